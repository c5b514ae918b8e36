"""The application factory: everything the app needs is built here, from its settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from assessment.db import create_db_engine
from assessment.framework import FrameworkRegistry
from assessment.i18n import Catalogues
from assessment.resources import data_dir
from assessment.settings import Settings
from assessment.web import errors
from assessment.web.pages import Pages
from assessment.web.routes import assessments, language, organisations, rounds

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
log = logging.getLogger("assessment")


class MissingAssetsError(RuntimeError):
    """The pinned front-end packages have not been fetched."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; an invalid framework file or missing asset stops it here."""
    settings = settings or Settings()
    if not (STATIC_DIR / "vendor" / "htmx.min.js").exists():
        raise MissingAssetsError("htmx is missing from assessment/static/vendor: "
                                 "run scripts/fetch-assets.sh (the README's commands do)")
    registry = FrameworkRegistry.from_directories([settings.frameworks_dir])
    if not registry.current:
        raise RuntimeError(f"no framework files (*.yaml) in {settings.frameworks_dir}")
    engine = create_db_engine(settings.database_url,
                              sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="SoMe Maturity Workshop", docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.registry = registry
    app.state.catalogues = Catalogues()
    app.state.pages = Pages(data_dir("templates"))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (organisations.router, rounds.router, assessments.router, language.router):
        app.include_router(router)
    errors.install(app)
    return app


def app_from_environment() -> FastAPI:
    """The app configured from the environment (the factory `maturity serve` runs)."""
    return create_app(Settings())
