"""The administrators' frameworks page: download a workbook, check and publish an uploaded
workbook or framework file; bad uploads list every problem and publish nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from assessment.framework import load_framework
from assessment.framework_workbook import framework_from_workbook, workbook_bytes
from assessment.models import metadata
from assessment.web.app import create_app
from tests.conftest import FRAMEWORKS, csrf_headers, make_settings, sign_in
from tests.factories import make_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def published(tmp_path: Path) -> Path:
    return tmp_path / "published"


@pytest.fixture
def app(published: Path) -> Iterator[FastAPI]:
    """The app on SQLite with a directory for published frameworks."""
    app = create_app(make_settings("sqlite://", published_frameworks_dir=published))
    metadata.create_all(app.state.engine)
    yield app
    app.state.engine.dispose()


def _admin(app: FastAPI, language: str = "en") -> TestClient:
    with Session(app.state.engine) as session:
        make_user(session, email=f"admin-{language}@example.com", is_admin=True)
    client = TestClient(app, headers={"Accept-Language": language})
    csrf_headers(app, client)
    sign_in(client, f"admin-{language}@example.com")
    return client


def _workbook(version: str = "2099.1") -> bytes:
    framework = load_framework(FRAMEWORKS / "some-maturity.yaml")
    return workbook_bytes(framework.model_copy(update={"version": version}))


def _upload(client: TestClient, data: bytes, name: str = "malli.xlsx",
            intent: str = "publish") -> BeautifulSoup:
    response = client.post("/frameworks", files={"file": (name, data, XLSX)},
                           data={"intent": intent}, follow_redirects=True)
    page = BeautifulSoup(response.text, "html.parser")
    page.status = response.status_code  # type: ignore[attr-defined]
    return page


def test_the_page_lists_frameworks_with_workbooks_to_download(app: FastAPI) -> None:
    client = _admin(app)
    page = BeautifulSoup(client.get("/frameworks").text, "html.parser")
    links = [a["href"] for a in page.select("a[download]")]
    assert "/frameworks/some-maturity/workbook.xlsx?version=2026.2" in links
    response = client.get("/frameworks/some-maturity/workbook.xlsx?version=2026.1")
    assert response.headers["content-type"] == XLSX
    assert framework_from_workbook(response.content).version == "2026.1"
    assert client.get("/frameworks/some-maturity/workbook.xlsx?version=9").status_code == 404


def test_check_then_publish_a_workbook_as_a_new_version(app: FastAPI, published: Path,
                                                        ) -> None:
    client = _admin(app)
    page = _upload(client, _workbook(), intent="check")
    assert page.status == 200  # type: ignore[attr-defined]
    assert "malli.xlsx is valid." in page.select_one("#upload-checked").get_text()
    assert not published.exists()
    page = _upload(client, _workbook())
    assert "Published: some-maturity 2099.1" in page.get_text()
    assert load_framework(published / "some-maturity.yaml").version == "2099.1"
    assert app.state.registry.get("some-maturity").version == "2099.1"
    # A new round now pins the published version; the shipped one is still known.
    versions = [f.version for f in app.state.registry.versions("some-maturity")]
    assert versions[:2] == ["2099.1", "2026.2"]
    # The same version again is refused; the next one moves the previous to the archive.
    page = _upload(client, _workbook())
    assert page.status == 422  # type: ignore[attr-defined]
    assert "already published" in page.select_one("#upload-problems").get_text()
    _upload(client, _workbook("2099.2"))
    assert load_framework(published / "archive" / "some-maturity-2099.1.yaml").version \
        == "2099.1"
    assert app.state.registry.get("some-maturity").version == "2099.2"


def test_another_app_process_sees_a_published_framework(app: FastAPI, published: Path,
                                                        ) -> None:
    other = create_app(make_settings("sqlite://", published_frameworks_dir=published))
    _upload(_admin(app), _workbook("2099.5"))
    metadata.create_all(other.state.engine)
    client = _admin(other)
    page = BeautifulSoup(client.get("/frameworks").text, "html.parser")
    assert "2099.5 (current)" in page.get_text()
    other.state.engine.dispose()


def _broken() -> bytes:
    wb = load_workbook(io.BytesIO(_workbook()))
    wb["stages"]["B2"] = "=1+1"
    wb["factors"].merge_cells("C3:D3")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_every_problem_is_listed_in_the_users_language_and_nothing_is_published(
        app: FastAPI, published: Path) -> None:
    client = _admin(app, "fi")
    page = _upload(client, _broken())
    assert page.status == 422  # type: ignore[attr-defined]
    problems = [li.get_text(" ", strip=True) for li in page.select("#upload-problems li")]
    assert len(problems) == 2
    assert problems[0].startswith("välilehti stages, rivi 2, sarake B")
    assert "kaava" in problems[0]
    assert "yhdistetty" in problems[1]
    assert not published.exists()
    assert app.state.registry.get("some-maturity").version == "2026.2"


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"hello", "malli.xlsx", "The file is not an Excel workbook (.xlsx)."),
    (b"id: [unclosed", "malli.yaml", "not valid YAML"),
    (b"schema_version: 1\nid: x\n", "malli.yaml", "Field required"),
])
def test_bad_uploads_are_refused_with_their_problems(app: FastAPI, published: Path,
                                                     data: bytes, name: str,
                                                     message: str) -> None:
    page = _upload(_admin(app), data, name)
    assert page.status == 422  # type: ignore[attr-defined]
    assert message in page.select_one("#upload-problems").get_text()
    assert not published.exists()


def test_a_20_mb_upload_is_refused_with_a_message(app: FastAPI, published: Path) -> None:
    client = _admin(app)
    response = client.post("/frameworks", files={"file": ("big.xlsx", b"0" * (20 << 20),
                                                          XLSX)},
                           data={"intent": "publish"})
    assert response.status_code == 413
    assert "at most 5 MB. Nothing was published." in response.text
    assert not published.exists()


def test_an_upload_without_a_file_is_refused(app: FastAPI) -> None:
    response = _admin(app).post("/frameworks", data={"intent": "check"})
    assert response.status_code == 422
    assert "Choose a framework workbook" in response.text


def test_publishing_is_off_without_a_directory(published: Path) -> None:
    app = create_app(make_settings("sqlite://"))
    metadata.create_all(app.state.engine)
    page = _upload(_admin(app), _workbook())
    assert page.status == 422  # type: ignore[attr-defined]
    assert "MATURITY_PUBLISHED_FRAMEWORKS_DIR" in page.select_one("#upload-problems").get_text()
    app.state.engine.dispose()
