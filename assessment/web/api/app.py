"""The JSON API, mounted at /api/v1: its own FastAPI app with its own OpenAPI document, error
handling (RFC 9457 problem bodies) and access rules (bearer tokens, never cookies)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.responses import FileResponse, JSONResponse, Response

from assessment.web.api import problems
from assessment.web.api.access import PublicDoc
from assessment.web.api.routers import actions, organisations, rounds, workshops
from assessment.web.deps import telemetry_config

PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"
DESCRIPTION = """\
Read an organisation's maturity results (units, rounds, scores and stages per unit and factor,
the heatmap with the weakest links, trends, targets and gaps, the rollout roadmap, actions and
anonymous workshop vote distributions) and sync actions' status, owner and due date.

Every request carries an API token: `Authorization: Bearer smw_…`. A consultant or an
administrator creates one on the organisation's *API tokens* page; it reads one organisation,
read-only or read-write, until it expires or is revoked. Errors come as RFC 9457 problem
details (`application/problem+json`). Lists are paginated with `limit` (1–200) and `offset`.
"""


def create_api(settings: Any, engine: Any, registry: Any) -> FastAPI:
    """The API app, sharing the web app's settings, database engine and frameworks."""
    api = FastAPI(title="SoMe Maturity Workshop API", version="1.0.0", description=DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url=None,
                  servers=[{"url": PREFIX}], responses=problems.COMMON_RESPONSES,
                  telemetry=telemetry_config(settings))
    api.state.settings, api.state.engine, api.state.registry = settings, engine, registry
    for router in (organisations.router, rounds.router, actions.router, workshops.router):
        api.include_router(router)
    problems.install(api)

    @api.get("/openapi.json", include_in_schema=False)
    def openapi_document(_: PublicDoc) -> Response:
        """The API's OpenAPI document."""
        return JSONResponse(openapi(api))

    @api.get("/docs", include_in_schema=False)
    def docs_page(_: PublicDoc) -> Response:
        """The API's documentation page (Swagger UI, served from this site's static files)."""
        return FileResponse(STATIC_DIR / "api-docs.html", media_type="text/html")

    return api


def openapi(api: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the Problem schema every error response refers to."""
    document = api.openapi()
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = problems.Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, schema in {**problem.pop("$defs", {}), "Problem": problem}.items():
        schemas.setdefault(name, schema)
    return document


def openapi_text() -> str:
    """The committed `openapi.json`: the API's document built from its routes and models."""
    from assessment.settings import Settings

    api = create_api(Settings(_env_file=None), None, None)  # type: ignore[call-arg]
    return json.dumps(openapi(api), indent=2, ensure_ascii=False) + "\n"
