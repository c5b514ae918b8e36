"""The roadmap over HTTP: each phase's units on a radar on the planner page, and the roadmap
report asked for, built in the background with progress, and downloaded."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment.framework import Framework
from assessment.models import Organisation, ReportJob, Role
from tests.assessment.web.test_reports import HISTORY, HX, page_text, wait_until_finished
from tests.conftest import csrf_headers, sign_in
from tests.factories import make_organisation, make_user
from tests.reports.roadmap_world import HOSTILE_OWNER, WAVE_UNITS, RoadmapWorld, make_roadmap_world


@pytest.fixture
def database_url(database_url: str, tmp_path: Path) -> str:
    """An SQLite file, so reports are built in the background as in production."""
    if database_url == "sqlite://":
        return f"sqlite:///{tmp_path / 'roadmap-report.db'}"
    return database_url


@pytest.fixture
def world(db: Session, framework: Framework) -> RoadmapWorld:
    return make_roadmap_world(db, framework)


def roadmap_url(organisation: Organisation) -> str:
    return f"/organisations/{organisation.id}/roadmap"


# The planner page: each phase's latest scores ----------------------------------------------

def test_each_phase_shows_its_units_on_a_radar_with_a_table(client: TestClient,
                                                            world: RoadmapWorld) -> None:
    page = BeautifulSoup(client.get(roadmap_url(world.organisation)).text, "html.parser")
    needs, pilot, wave, undated = (page.select_one(f"#phase-{p.id}") for p in world.phases)
    assert needs is not None and pilot is not None and wave is not None and undated is not None
    # The pilot's two units: a series each on the radar, and the same numbers in the table.
    radar = pilot.select_one(".phase-radar .chart svg")
    assert radar is not None and radar.get("role") == "img"
    assert "Latest scores: Pilot: Asiakaspalvelun pilotti" in radar.get_text(" ")
    legend = radar.get_text(" ")
    assert "Asiakaspalvelu" in legend and "Puhelinpalvelu" in legend
    table = pilot.select_one(".phase-radar table.phase-scores")
    assert table is not None
    assert [th.get_text(strip=True) for th in table.select("thead th")] == [
        "Factor", "Asiakaspalvelu", "Puhelinpalvelu"]
    listening = next(row for row in table.select("tbody tr")
                     if row.th and row.th.get_text(strip=True) == "Listening")
    assert [td.get_text(strip=True) for td in listening.select("td")] == ["3.4", "2.4"]
    # Six units are more than one radar tells apart: the page says so, a table only.
    assert wave.select_one("svg") is None
    assert f"The phase has {WAVE_UNITS} measured units, more than one radar can tell apart " \
           "(at most 5), so their latest scores are in a table only." in " ".join(
               wave.get_text(" ").split())
    rows = wave.select("table.phase-scores tbody tr")
    assert [r.th.get_text(strip=True) for r in rows if r.th] == [
        f"Myynti {n}" for n in range(1, WAVE_UNITS + 1)]
    assert "No units placed in this phase yet." in undated.get_text(" ")
    assert needs.select_one("svg") is None


def test_the_radar_comes_with_the_htmx_fragment_and_a_history_restore(
        client: TestClient, world: RoadmapWorld) -> None:
    url = roadmap_url(world.organisation)
    fragment = client.get(url, headers=HX)
    assert "<html" not in fragment.text
    soup = BeautifulSoup(fragment.text, "html.parser")
    assert soup.select_one(f"#phase-{world.phases[1].id} .phase-radar svg") is not None
    restored = client.get(url, headers=HISTORY)
    assert "<html" in restored.text and "phase-radar" in restored.text


def test_user_text_on_the_radar_page_is_text(client: TestClient, world: RoadmapWorld) -> None:
    page = client.get(roadmap_url(world.organisation))
    assert HOSTILE_OWNER not in page.text  # escaped, never markup
    assert "&lt;b&gt;Omistaja&lt;/b&gt;" in page.text
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one("#phases img") is None


# The roadmap report -----------------------------------------------------------------------

def test_the_roadmap_report_is_built_with_progress_and_downloaded(
        client: TestClient, db: Session, world: RoadmapWorld) -> None:
    page = BeautifulSoup(client.get(roadmap_url(world.organisation)).text, "html.parser")
    link = page.select_one("a#roadmap-pdf")
    assert link is not None and link.get_text(strip=True) == "Roadmap (PDF)"
    form = client.get(str(link["href"]))
    assert form.status_code == 200
    chosen = BeautifulSoup(form.text, "html.parser").select_one("input[name=language][checked]")
    assert chosen is not None and chosen["value"] == "en"

    created = client.post(str(link["href"]), data={"language": "fi"}, follow_redirects=False)
    assert created.status_code == 303
    job = db.exec(select(ReportJob)).one()
    assert (job.kind, job.organisation_id, job.round_id, job.unit_id, job.language) == (
        "roadmap", world.organisation.id, None, None, "fi")
    job_url = created.headers["location"]
    assert job_url == f"/report-jobs/{job.id}"
    first = client.get(job_url)
    assert "Roadmap (PDF): Tiekarttatesti Oy" in page_text(first)

    finished = BeautifulSoup(wait_until_finished(client, job_url), "html.parser")
    assert finished.select_one(f"a[href='{job_url}/pdf']") is not None
    pdf = client.get(f"{job_url}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == \
        'attachment; filename="roadmap-tiekarttatesti-oy-fi.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert len(reader.pages) > 8
    for expected in ("Asiakaspalvelun pilotti", "Myynnin aalto", "Siirtymäehdot", "3,4",
                     "23.11.2026", "<b>Omistaja</b>"):
        assert expected in text, expected


def test_the_report_form_is_a_page_a_fragment_and_a_history_restore(
        client: TestClient, world: RoadmapWorld) -> None:
    url = f"{roadmap_url(world.organisation)}/report"
    for headers, whole in (({}, True), (HX, False), (HISTORY, True)):
        response = client.get(url, headers=headers)
        assert response.status_code == 200 and ("<html" in response.text) == whole
        soup = BeautifulSoup(response.text, "html.parser")
        assert soup.select_one(f"form[action='{url}'] input[name=language]") is not None
        assert "Roadmap (PDF): Tiekarttatesti Oy" in page_text(response)


def test_a_bad_language_is_refused_and_queues_nothing(client: TestClient, db: Session,
                                                      world: RoadmapWorld) -> None:
    url = f"{roadmap_url(world.organisation)}/report"
    bad = client.post(url, data={"language": "sv"})
    assert bad.status_code == 422 and "Choose the report's language." in page_text(bad)
    assert db.exec(select(ReportJob)).all() == []
    assert client.post("/organisations/999999/roadmap/report",
                       data={"language": "en"}).status_code == 404


def test_an_organisation_without_a_roadmap_gets_a_pdf_that_says_so(
        app: FastAPI, db: Session) -> None:
    organisation = make_organisation(db, name="Tyhjä Oy")
    make_user(db, email="johto@example.com", organisation=organisation, role=Role.leadership)
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        csrf_headers(app, client)
        sign_in(client, "johto@example.com")  # leadership may have it built
        made = client.post(f"{roadmap_url(organisation)}/report", data={"language": "en"},
                           follow_redirects=False)
        assert made.status_code == 303
        wait_until_finished(client, made.headers["location"])
        pdf = client.get(made.headers["location"] + "/pdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert len(reader.pages) <= 2 and "No roadmap yet" in text


def test_unit_leads_and_other_organisations_get_no_roadmap_report(
        app: FastAPI, db: Session, world: RoadmapWorld) -> None:
    make_user(db, email="lead@example.com", organisation=world.organisation,
              role=Role.unit_lead, units=[world.pilot])
    make_user(db, email="muu@example.com", role=Role.consultant,
              organisation=make_organisation(db, name="Muu Oy"))
    job = ReportJob(organisation_id=world.organisation.id or 0, kind="roadmap", language="en")
    db.add(job)
    db.commit()
    url = f"{roadmap_url(world.organisation)}/report"
    expected = {"lead@example.com": 403, "muu@example.com": 404}
    for email, status in expected.items():
        with TestClient(app, headers={"Accept-Language": "en"}) as client:
            csrf_headers(app, client)
            sign_in(client, email)
            assert client.get(url).status_code == status
            assert client.post(url, data={"language": "en"}).status_code == status
            assert client.get(f"/report-jobs/{job.id}").status_code == status
    assert [j.id for j in db.exec(select(ReportJob))] == [job.id]  # nothing queued
