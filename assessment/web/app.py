"""The application factory: everything the app needs is built here, from its settings."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from assessment.agendas import AGENDAS, AgendaLibrary
from assessment.brand import defaults_for
from assessment.db import create_db_engine
from assessment.framework import FrameworkRegistry
from assessment.framework_library import PublishedFrameworks, load_registry
from assessment.i18n import Catalogues
from assessment.live import LiveFeed
from assessment.resources import data_dir
from assessment.services import N_
from assessment.settings import Settings, secret_key
from assessment.web import errors
from assessment.web.access import SeatCache
from assessment.web.api.app import PREFIX as API_PREFIX
from assessment.web.api.app import create_api
from assessment.web.api.problems import problem_response
from assessment.web.auth import CSRF_FIELD, Sessions, require_csrf
from assessment.web.deps import telemetry_config
from assessment.web.errors import PageError
from assessment.web.pages import Pages
from assessment.web.routes import (
    accounts,
    assessments,
    brand,
    dashboard,
    decks,
    exports,
    facilitation,
    language,
    members,
    organisations,
    plans,
    reports,
    roadmap,
    rounds,
    stream,
    survey,
    tokens,
    users,
    workshops,
)
from assessment.web.routes import frameworks as framework_routes
from assessment.web.security import SecurityMiddleware
from reports.jobs import ReportJobs

GC_YOUNGEST_THRESHOLD = 10_000
# Threads that store participants' votes (a vote holds one for a few milliseconds; SQLite
# writes one at a time anyway). Idle ones cost nothing; they end with the process.
VOTE_THREADS = 16
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
log = logging.getLogger("assessment")
NUL_MESSAGE = N_("The text contains a NUL character (a zero byte), which no field may hold. "
                 "Remove it and try again.")


class MissingAssetsError(RuntimeError):
    """The pinned front-end packages have not been fetched."""


def load_agendas(frameworks_dir: Path, registry: FrameworkRegistry) -> AgendaLibrary:
    """The agenda templates beside the frameworks (`agendas/`), or the shipped ones when the
    frameworks directory has none; an invalid file stops start-up like a framework file."""
    directory = frameworks_dir / AGENDAS
    if not directory.is_dir():
        directory = data_dir("frameworks") / AGENDAS
    return AgendaLibrary.from_directory(directory, registry.current)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; an invalid framework file or missing asset stops it here."""
    settings = settings or Settings()
    for asset in ("htmx.min.js", "sse.js", "swagger-ui/swagger-ui-bundle.js",
                  "swagger-ui/swagger-ui.css"):
        if not (STATIC_DIR / "vendor" / asset).exists():
            raise MissingAssetsError(f"{asset} is missing from assessment/static/vendor: "
                                     "run scripts/fetch-assets.sh (the README's commands do)")
    registry = load_registry(settings.frameworks_dir, settings.published_frameworks_dir)
    if not registry.current:
        raise RuntimeError(f"no framework files (*.yaml) in {settings.frameworks_dir}")
    engine = create_db_engine(settings.database_url,
                              sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)

    app = FastAPI(title="SoMe Maturity Workshop", docs_url=None, redoc_url=None,
                  openapi_url=None, dependencies=[Depends(check_request)],
                  lifespan=_lifespan, telemetry=telemetry_config(settings))
    app.state.settings = settings
    app.state.engine = engine
    app.state.registry = registry
    app.state.published = PublishedFrameworks(registry, settings.frameworks_dir,
                                               settings.published_frameworks_dir)
    app.state.agendas = load_agendas(settings.frameworks_dir, registry)
    app.state.catalogues = Catalogues()
    app.state.pages = Pages(data_dir("templates"))
    app.state.sessions = Sessions(secret_key(settings), settings.session_hours)
    app.state.brand_defaults = defaults_for(settings)  # a bad logo or colour stops start-up
    app.state.report_jobs = ReportJobs(engine, registry, app.state.catalogues,
                                       min_votes=settings.workshop_min_votes,
                                       brand_defaults=app.state.brand_defaults)
    app.state.live = LiveFeed(engine, poll_seconds=settings.live_poll_ms / 1000)
    app.state.stream_limits = stream.StreamLimits(
        per_address_per_minute=10 * settings.workshop_joins_per_address)
    app.state.phone_screens = stream.PhoneScreens()
    app.state.seats = SeatCache()
    app.state.voters = ThreadPoolExecutor(VOTE_THREADS, thread_name_prefix="vote")
    # A request is matched against the routes in this order, one by one: the live workshop's
    # routes first, which hundreds of phones call at once (no two routes share a path).
    for router in (workshops.phones, stream.router, workshops.router, facilitation.router,
                   organisations.router, rounds.router, assessments.router, language.router,
                   accounts.router, members.router, users.router, plans.router,
                   roadmap.router, exports.router, reports.router, dashboard.router,
                   tokens.router, framework_routes.router, survey.router, brand.router,
                   decks.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    api = create_api(settings, engine, registry)
    api.state.published = app.state.published  # a newly published version reaches the API too
    app.mount(API_PREFIX, api)
    errors.install(app)
    app.add_middleware(SecurityMiddleware, error_page=_error_page,
                       trusted_proxies=settings.proxy_networks())
    return app


def _error_page(request: Request, status: int) -> Response:
    """The page the security middleware answers a too large body or a crash with: a problem
    body on the API, else the HTML error page."""
    if request.url.path.startswith(API_PREFIX + "/"):
        return problem_response(request, status)
    return errors.error_page(request, status)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up of a served process, set what it has loaded aside from the garbage
    collector (`tune_collector`); on shutdown, let the report being built finish and stop
    the PDF worker process."""
    if getattr(app.state, "served", False):
        tune_collector()
    yield
    app.state.live.close()
    await run_in_threadpool(app.state.report_jobs.shutdown)


async def check_request(request: Request) -> None:
    """Every request: check the CSRF token of an unsafe one, then refuse a NUL character
    anywhere in it (one dependency: each costs every request a step of its own)."""
    await check_csrf(request)
    await refuse_nul(request)


def _form_posted(request: Request) -> bool:
    return request.method in {"POST", "PUT", "PATCH", "DELETE"} and \
        request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data"))


async def check_csrf(request: Request) -> None:
    """Every unsafe request carries the CSRF token (form field or htmx header)."""
    form_token = None
    if _form_posted(request):
        value = (await request.form()).get(CSRF_FIELD)
        form_token = value if isinstance(value, str) else None
    require_csrf(request, request.app.state.sessions, form_token)


async def refuse_nul(request: Request) -> None:
    """Refuse a NUL character anywhere in the path, query or form: no text may hold one
    (PostgreSQL cannot store it, and no person types it)."""
    if any("\x00" in value for value in request.path_params.values()):
        raise HTTPException(status_code=404)
    values = list(request.query_params.values())
    if _form_posted(request):
        form = await request.form()
        values += [v if isinstance(v, str) else (v.filename or "") for _, v in form.multi_items()]
        values += list(form.keys())
    if any("\x00" in value for value in values):
        raise PageError(422, NUL_MESSAGE)


def tune_collector() -> None:
    """Tune Python's garbage collector for a process that serves the app.

    Everything loaded at start-up (modules, frameworks, templates) lives as long as the
    process: frozen, a full collection no longer walks it. And a request makes thousands of
    short-lived objects: the youngest generation is collected per ten thousand new ones
    rather than Python's seven hundred, so fewer collections, and far fewer full ones,
    interrupt requests (measured with `benchmarks.workshop`: without this, full collections
    of up to a quarter of a second stopped the votes in flight several times a workshop)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNGEST_THRESHOLD, 10, 10)


def app_from_environment() -> FastAPI:
    """The app configured from the environment (the factory `maturity serve` runs); its
    process's collector is tuned at start-up."""
    app = create_app(Settings())
    app.state.served = True
    return app
