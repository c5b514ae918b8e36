"""Request-scoped dependencies: database session, settings, frameworks and language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from assessment.framework import FrameworkRegistry
from assessment.i18n import Translator, negotiate
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
    """The app's framework registry."""
    registry: FrameworkRegistry = request.app.state.registry
    return registry


def translator_for(request: Request) -> Translator:
    """The translator for the request's language (cookie, then Accept-Language, then default)."""
    language = negotiate(request.cookies.get(LANGUAGE_COOKIE),
                         request.headers.get("accept-language"),
                         request.app.state.settings.default_language)
    translator: Translator = request.app.state.catalogues.translator(language)
    return translator


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RegistryDep = Annotated[FrameworkRegistry, Depends(get_registry)]
TranslatorDep = Annotated[Translator, Depends(translator_for)]
