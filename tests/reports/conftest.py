"""What the report tests share: a file database for the command line, and a PDF rendered
and read back with a real parser."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import Engine

from assessment.db import create_db_engine
from assessment.migrate import upgrade
from reports.pdf import LocalOnlyFetcher, render_pdf
from tests.conftest import FRAMEWORKS


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated SQLite file that `maturity` commands use (through the environment)."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    upgrade(engine)
    monkeypatch.setenv("MATURITY_DATABASE_URL", str(engine.url))
    monkeypatch.setenv("MATURITY_FRAMEWORKS_DIR", str(FRAMEWORKS))
    yield engine
    engine.dispose()


def read_back(html: str) -> tuple[bytes, pypdf.PdfReader, list[str], LocalOnlyFetcher]:
    """The HTML rendered as a PDF and read back: its bytes, a reader, each page's text, and
    the fetcher (a spy: what the renderer asked for)."""
    fetcher = LocalOnlyFetcher()
    pdf = render_pdf(html, fetcher=fetcher)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return pdf, reader, [page.extract_text() for page in reader.pages], fetcher
