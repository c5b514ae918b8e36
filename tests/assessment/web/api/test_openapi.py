"""The OpenAPI document: committed and current, served, typed throughout; its docs page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assessment.web.api.app import openapi_text
from assessment.web.app import STATIC_DIR
from tests.conftest import REPO


def test_the_committed_document_is_current() -> None:
    committed = (REPO / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi_text(), (
        "openapi.json is stale: run ./scripts/update-openapi.sh")


def test_the_document_is_served(app: FastAPI) -> None:
    with TestClient(app) as client:
        response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == json.loads(openapi_text())
    assert response.json()["servers"] == [{"url": "/api/v1"}]


def _schemas(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Every schema in the document, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("schema", "items", "additionalProperties") and isinstance(value, dict):
                yield f"{where}/{key}", value
            if key == "properties" and isinstance(value, dict):
                for name, schema in value.items():
                    yield f"{where}/{name}", schema
            if key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
                for index, schema in enumerate(value):
                    yield f"{where}/{key}{index}", schema
            yield from _schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{where}/{index}")


def test_every_schema_is_typed() -> None:
    document = json.loads(openapi_text())
    untyped = [where for where, schema in _schemas(document)
               if not {"type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const"} & set(schema)]
    assert untyped == []
    # Every operation answers 200 with a named model, and documents its errors as problems.
    for path, item in document["paths"].items():
        for method, operation in item.items():
            ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
            assert "$ref" in ok, f"{method} {path}"
            for status in ("401", "403", "404", "422", "429"):
                problem = operation["responses"][status]["content"]["application/problem+json"]
                assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert document["components"]["securitySchemes"]["token"] == {
        "type": "http", "scheme": "bearer",
        "description": "An API token from the organisation's API tokens page"}


def test_the_docs_page_uses_only_pinned_static_files(app: FastAPI) -> None:
    with TestClient(app) as client:
        response = client.get("/api/v1/docs")
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        script_src = re.search(r"script-src ([^;]*)", csp)
        assert script_src and script_src.group(1).strip() == "'self'"
        page = BeautifulSoup(response.text, "html.parser")
        scripts = page.find_all("script")
        assert scripts and all(s.get("src") and not s.string for s in scripts)
        for url in [s["src"] for s in scripts] + [
                link["href"] for link in page.find_all("link", rel="stylesheet")]:
            assert url.startswith("/static/")
            assert client.get(url).status_code == 200, url
    assert (STATIC_DIR / "vendor" / "swagger-ui" / "swagger-ui-bundle.js").stat().st_size > 100_000
