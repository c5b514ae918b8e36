"""Imports point one way: web -> reports -> domain -> persistence."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Every module of the package except the command line and the web layer is domain or
# persistence, so a new module is checked without being listed.
DOMAIN = sorted(str(p.relative_to(REPO)) for p in (REPO / "assessment").glob("*.py")
                if p.name != "cli.py")
WEB_OR_RENDERING = ("fastapi", "starlette", "jinja2", "jinja2_fragments", "weasyprint",
                    "matplotlib", "assessment.web", "reports", "typer", "uvicorn")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def offending(path: Path, forbidden: tuple[str, ...]) -> set[str]:
    return {m for m in imported_modules(path)
            if any(m == f or m.startswith(f + ".") for f in forbidden)}


def test_domain_never_imports_web_or_rendering() -> None:
    assert "assessment/roadmap.py" in DOMAIN and "assessment/workshops.py" in DOMAIN
    for relative in DOMAIN:
        assert offending(REPO / relative, WEB_OR_RENDERING) == set(), relative


def test_reports_never_import_the_web_layer() -> None:
    for path in (REPO / "reports").glob("*.py"):
        assert offending(path, ("assessment.web", "fastapi", "starlette")) == set(), path


def test_no_pyplot_anywhere() -> None:
    for path in [*REPO.glob("assessment/**/*.py"), *REPO.glob("reports/**/*.py")]:
        assert offending(path, ("matplotlib.pyplot",)) == set(), path
