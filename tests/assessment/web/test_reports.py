"""The unit report over HTTP: ask for it, watch the progress, download the PDF."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment import services
from assessment.framework import Framework
from assessment.models import (
    Organisation,
    ReportJob,
    ReportJobStatus,
    Role,
    Round,
    Unit,
    utcnow,
)
from tests.conftest import csrf_headers, sign_in
from tests.factories import make_organisation, make_unit, make_user

HX = {"HX-Request": "true"}
HISTORY = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


@pytest.fixture
def database_url(database_url: str, tmp_path: Path) -> str:
    """An SQLite file rather than an in-memory database: the one connection of the latter is
    shared by every thread, so the app builds reports in the request there; here the builder
    works in the background while the page polls, as in production."""
    if database_url == "sqlite://":
        return f"sqlite:///{tmp_path / 'reports.db'}"
    return database_url


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ").split())


def assessed(db: Session, framework: Framework) -> tuple[Unit, Round, int]:
    """A unit with a submitted self-assessment (every answer 3, one note with markup)."""
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    assessment = services.get_or_create_assessment(db, round_, unit)
    first = framework.factors[0].questions[0].id
    services.save_answers(db, assessment, framework, [
        services.AnswerInput(q.id, "3", "<b>lihavoitu</b>" if q.id == first else None)
        for f in framework.factors for q in f.questions])
    services.submit_assessment(db, assessment)
    db.commit()
    return unit, round_, assessment.id or 0


def wait_until_finished(client: TestClient, job_url: str, seconds: float = 180) -> str:
    """Poll the progress block as the page does, until the job has finished."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        poll = client.get(job_url, headers=HX)
        assert poll.status_code == 200
        block = BeautifulSoup(poll.text, "html.parser").select_one("#report-progress")
        assert block is not None
        if not block.has_attr("data-hx-get"):
            return poll.text
        time.sleep(0.25)
    raise AssertionError("the report was not built in time")


def test_results_link_to_the_unit_report(client: TestClient, db: Session,
                                         framework: Framework) -> None:
    unit, round_, assessment_id = assessed(db, framework)
    results = BeautifulSoup(client.get(f"/assessments/{assessment_id}/results").text,
                            "html.parser")
    link = results.find("a", string="Unit report (PDF)")
    assert link is not None and link["href"] == f"/rounds/{round_.id}/units/{unit.id}/report"
    form = client.get(link["href"])
    assert form.status_code == 200
    chosen = BeautifulSoup(form.text, "html.parser").select_one("input[name=language][checked]")
    assert chosen is not None and chosen["value"] == "en"  # the reader's language first


def test_a_report_is_built_with_progress_and_downloaded(client: TestClient, db: Session,
                                                        framework: Framework) -> None:
    unit, round_, _ = assessed(db, framework)
    assert not client.app.state.report_jobs.inline  # type: ignore[attr-defined]  # background
    created = client.post(f"/rounds/{round_.id}/units/{unit.id}/report",
                          data={"language": "fi"}, follow_redirects=False)
    assert created.status_code == 303
    job_url = created.headers["location"]
    job = db.exec(select(ReportJob)).one()
    assert job_url == f"/report-jobs/{job.id}"
    assert (job.language, job.unit_id, job.round_id) == ("fi", unit.id, round_.id)

    page = client.get(job_url)
    assert page.status_code == 200 and "<html" in page.text
    assert "Unit report (PDF): Asiakaspalvelu" in page_text(page)

    finished = wait_until_finished(client, job_url)
    fragment = BeautifulSoup(finished, "html.parser")
    # Only the progress block comes back: no page around it.
    assert [tag.name for tag in fragment.find_all(recursive=False)] == ["div"]
    assert fragment.find("h1") is None and "<html" not in finished
    download = fragment.select_one(f"a[href='{job_url}/pdf']")
    assert download is not None and download.get_text(strip=True) == "Download the PDF"

    pdf = client.get(f"{job_url}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == \
        'attachment; filename="unit-report-asiakaspalvelu-kevat-2026-fi.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert len(reader.pages) > 5
    assert "Tavoitteiden asettaminen" in text and "3,0" in text
    assert "<b>lihavoitu</b>" in text

    # A history restore and a plain visit get the whole page, with the link too.
    for headers in (HISTORY, {}):
        again = client.get(job_url, headers=headers)
        assert "<html" in again.text and f'href="{job_url}/pdf"' in again.text


def test_progress_is_shown_while_the_report_is_built(client: TestClient, db: Session,
                                                     framework: Framework) -> None:
    unit, round_, _ = assessed(db, framework)
    job = ReportJob(organisation_id=unit.organisation_id, round_id=round_.id or 0,
                    unit_id=unit.id, language="en", status=ReportJobStatus.running,
                    progress=40, message="Drawing the charts")
    db.add(job)
    db.commit()
    fragment = client.get(f"/report-jobs/{job.id}", headers=HX)
    block = BeautifulSoup(fragment.text, "html.parser").select_one("#report-progress")
    assert block is not None
    assert block["data-hx-get"] == f"/report-jobs/{job.id}"
    assert block["data-hx-trigger"] == "every 1s"
    assert "Building the report… 40 %" in page_text(fragment)
    assert "Drawing the charts" in page_text(fragment)
    assert block.select_one("progress")["value"] == "40"  # type: ignore[index]
    assert block.select_one(f"a[href='/report-jobs/{job.id}']") is not None  # without JS
    not_yet = client.get(f"/report-jobs/{job.id}/pdf")
    assert not_yet.status_code == 409 and "The report is not ready yet." in page_text(not_yet)

    # A job left unfinished for long was lost with its process: it says so, polling stops.
    job.created_at = utcnow() - timedelta(hours=1)
    db.add(job)
    db.commit()
    stale = client.get(f"/report-jobs/{job.id}", headers=HX)
    block = BeautifulSoup(stale.text, "html.parser").select_one("#report-progress")
    assert block is not None and not block.has_attr("data-hx-get")
    assert "The report took too long and was stopped. Try again." in page_text(stale)
    assert client.get(f"/report-jobs/{job.id}/pdf").status_code == 409


def test_a_bad_language_is_refused_and_queues_nothing(client: TestClient, db: Session,
                                                      framework: Framework) -> None:
    unit, round_, _ = assessed(db, framework)
    bad = client.post(f"/rounds/{round_.id}/units/{unit.id}/report", data={"language": "sv"})
    assert bad.status_code == 422
    assert "Choose the report's language." in page_text(bad)
    assert db.exec(select(ReportJob)).all() == []
    other = make_unit(db, organisation=make_organisation(db, name="Muu Oy"), name="Muu")
    assert client.post(f"/rounds/{round_.id}/units/{other.id}/report",
                       data={"language": "en"}).status_code == 404
    assert client.get("/report-jobs/999999").status_code == 404


def test_leadership_may_build_a_report_and_a_unit_lead_only_their_units(
        app: FastAPI, db: Session, framework: Framework) -> None:
    unit, round_, _ = assessed(db, framework)
    organisation = db.get(Organisation, unit.organisation_id)
    assert organisation is not None
    sibling = make_unit(db, organisation=organisation, name="Talous")
    make_user(db, email="johto@example.com", organisation=organisation, role=Role.leadership)
    make_user(db, email="lead@example.com", organisation=organisation, role=Role.unit_lead,
              units=[unit])
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        csrf_headers(app, client)
        sign_in(client, "johto@example.com")
        made = client.post(f"/rounds/{round_.id}/units/{sibling.id}/report",
                           data={"language": "en"}, follow_redirects=False)
        assert made.status_code == 303
        # The empty unit's report is short and says there is nothing yet.
        finished = wait_until_finished(client, made.headers["location"])
        assert "Download the PDF" in finished
        pdf = client.get(made.headers["location"] + "/pdf")
        text = " ".join(pypdf.PdfReader(io.BytesIO(pdf.content)).pages[-1].extract_text()
                        .split())
        assert "No answers yet" in text
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        csrf_headers(app, client)
        sign_in(client, "lead@example.com")
        assert client.get(made.headers["location"]).status_code == 403
        assert client.post(f"/rounds/{round_.id}/units/{sibling.id}/report",
                           data={"language": "en"}).status_code == 403
        own = client.post(f"/rounds/{round_.id}/units/{unit.id}/report",
                          data={"language": "en"}, follow_redirects=False)
        assert own.status_code == 303
