"""Request-scoped dependencies: database session, settings, frameworks and language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.telemetry import TelemetryConfig
from sqlmodel import Session

from assessment.framework import FrameworkRegistry
from assessment.i18n import Translator, negotiate
from assessment.services import MAX_ID
from assessment.settings import Settings

LANGUAGE_COOKIE = "lang"


def get_session(request: Request) -> Iterator[Session]:
    """A session for this request; routes that write commit explicitly."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_registry(request: Request) -> FrameworkRegistry:
    """The app's framework registry (with any framework published since, also by another
    app process)."""
    registry: FrameworkRegistry = request.app.state.published.refresh()
    return registry


def translator_for(request: Request) -> Translator:
    """The translator for the request's language (cookie, then Accept-Language, then default)."""
    language = negotiate(request.cookies.get(LANGUAGE_COOKIE),
                         request.headers.get("accept-language"),
                         request.app.state.settings.default_language)
    translator: Translator = request.app.state.catalogues.translator(language)
    return translator


# A row id in a path: anything else (too large for the database, negative, not a number) is
# a validation error, which the error handler answers with 404.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RegistryDep = Annotated[FrameworkRegistry, Depends(get_registry)]
TranslatorDep = Annotated[Translator, Depends(translator_for)]


def telemetry_config(settings: Settings) -> TelemetryConfig | None:
    """FastAPI's OpenTelemetry: as FastAPI has it when the setting is on; else off, so that
    no request looks up the process's providers (hundreds of phones vote within seconds)."""
    if settings.telemetry:
        return None
    return {"tracing": False, "metrics": False, "logs": False}
