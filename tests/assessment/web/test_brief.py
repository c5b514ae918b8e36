"""The leadership brief over HTTP (the dashboard's link, the form, the background job with its
progress, the PDF) and the dashboard's table as CSV and XLSX: who may, and what they get."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pypdf
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from assessment import services
from assessment.framework import Framework
from assessment.models import AuditEvent, ReportJob, Role, User
from reports.tables import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from tests.assessment.web.test_reports import HISTORY, HX, page_text, wait_until_finished
from tests.conftest import csrf_headers, session_cookie, set_cookie
from tests.factories import make_organisation, make_unit, make_user
from tests.reports.test_brief import BriefWorld, make_brief_world


@pytest.fixture
def database_url(database_url: str, tmp_path: Path) -> str:
    """An SQLite file rather than an in-memory database, so that the brief is built in the
    background while the page polls, as in production (see tests/assessment/web/
    test_reports.py)."""
    if database_url == "sqlite://":
        return f"sqlite:///{tmp_path / 'brief.db'}"
    return database_url


@pytest.fixture
def world(db: Session, framework: Framework) -> BriefWorld:
    return make_brief_world(db, framework)


@pytest.fixture
def users(db: Session, world: BriefWorld) -> dict[str, User]:
    """One user per role in the organisation (the unit lead leads Asiakaspalvelu), and a
    consultant of another organisation."""
    found = {role.value: make_user(db, email=f"{role.value}@example.com",
                                   organisation=world.organisation, role=role,
                                   units=[world.units["A"]] if role is Role.unit_lead else None)
             for role in Role}
    found["outsider"] = make_user(db, email="muu@example.com",
                                  organisation=make_organisation(db, name="Muu Oy"),
                                  role=Role.consultant)
    return found


@pytest.fixture
def as_user(app: FastAPI, anonymous: TestClient):  # type: ignore[no-untyped-def]
    def sign_in_as(user: User) -> TestClient:
        csrf_headers(app, anonymous)
        set_cookie(anonymous, "session", session_cookie(app, user))
        return anonymous
    return sign_in_as


def soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


# The brief --------------------------------------------------------------------------------

def test_the_dashboard_links_the_brief_with_its_filter(as_user, world: BriefWorld,  # type: ignore[no-untyped-def]
                                                       users: dict[str, User]) -> None:
    client = as_user(users["leadership"])
    org = world.organisation.id
    older, branch = world.rounds[0].id, world.units["A"].id
    page = soup(client.get(f"/organisations/{org}/dashboard?round={older}&unit={branch}"))
    link = page.select_one("#brief-link")
    assert link is not None and link.get_text(strip=True) == "Leadership brief (PDF)"
    assert link["href"] == f"/organisations/{org}/brief?round={older}&unit={branch}"
    form = client.get(link["href"])
    assert form.status_code == 200
    chosen = soup(form)
    assert chosen.select_one("#field-round option[selected]")["value"] == str(older)  # type: ignore[index]
    assert chosen.select_one("#field-unit option[selected]")["value"] == str(branch)  # type: ignore[index]
    assert chosen.select_one("input[name=language][checked]")["value"] == "en"  # type: ignore[index]
    # Three ways: a full page, the htmx fragment, a history restore.
    fragment = client.get(link["href"], headers=HX)
    assert "<html" not in fragment.text and soup(fragment).h1 is not None
    assert "<html" in client.get(link["href"], headers=HISTORY).text
    plain = soup(client.get(f"/organisations/{org}/dashboard"))
    assert plain.select_one("#brief-link")["href"] == \
        f"/organisations/{org}/brief?round={world.rounds[1].id}"  # type: ignore[index]


def test_the_brief_is_built_with_progress_and_downloaded(
        app: FastAPI, as_user, db: Session, world: BriefWorld,  # type: ignore[no-untyped-def]
        users: dict[str, User]) -> None:
    client = as_user(users["leadership"])
    assert not app.state.report_jobs.inline  # built in the background
    org = world.organisation.id
    created = client.post(f"/organisations/{org}/brief", data={
        "round": str(world.rounds[1].id), "unit": str(world.units["A"].id),
        "language": "fi"}, follow_redirects=False)
    assert created.status_code == 303
    job = db.exec(select(ReportJob)).one()
    assert created.headers["location"] == f"/report-jobs/{job.id}"
    assert (job.kind, job.round_id, job.unit_id, job.language) == (
        "brief", world.rounds[1].id, world.units["A"].id, "fi")
    page = client.get(created.headers["location"])
    assert "Leadership brief (PDF): Esimerkki <Oy>" in page_text(page)
    assert "Asiakaspalvelu and the units below it." in page_text(page)

    finished = wait_until_finished(client, created.headers["location"])
    assert "Download the PDF" in finished
    pdf = client.get(created.headers["location"] + "/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == \
        'attachment; filename="leadership-brief-esimerkki-oy-asiakaspalvelu-kevat-2026-fi.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert len(reader.pages) > 4
    assert "Tavoitteiden asettaminen" in text and "1,8" in text and "Chat" in text
    assert "Markkinointi" not in text  # the sub-tree only


def test_a_brief_of_an_organisation_without_rounds_says_so(
        app: FastAPI, as_user, db: Session) -> None:  # type: ignore[no-untyped-def]
    organisation = make_organisation(db, name="Tyhjä Oy")
    user = make_user(db, email="johto@example.com", organisation=organisation,
                     role=Role.leadership)
    client = as_user(user)
    form = soup(client.get(f"/organisations/{organisation.id}/brief"))
    assert form.select_one("#no-rounds") is not None and form.select_one("#field-round") is None
    created = client.post(f"/organisations/{organisation.id}/brief", data={"language": "en"},
                          follow_redirects=False)
    assert created.status_code == 303
    assert db.exec(select(ReportJob)).one().round_id is None
    wait_until_finished(client, created.headers["location"])
    pdf = pypdf.PdfReader(io.BytesIO(client.get(created.headers["location"] + "/pdf").content))
    assert len(pdf.pages) <= 2
    assert "No assessment rounds yet" in pdf.pages[-1].extract_text().replace("\n", " ")


def test_bad_input_is_refused_and_queues_nothing(as_user, db: Session, world: BriefWorld,  # type: ignore[no-untyped-def]
                                                 users: dict[str, User],
                                                 framework: Framework) -> None:
    client = as_user(users["consultant"])
    url = f"/organisations/{world.organisation.id}/brief"
    bad = client.post(url, data={"language": "sv"})
    assert bad.status_code == 422 and "Choose the report's language." in page_text(bad)
    stranger = make_unit(db, organisation=make_organisation(db, name="Kolmas Oy"))
    other_round = services.create_round(db, make_organisation(db, name="Neljäs Oy"), "X",
                                        framework)
    db.commit()
    assert client.post(url, data={"language": "en", "unit": str(stranger.id)}).status_code == 404
    assert client.post(url, data={"language": "en",
                                  "round": str(other_round.id)}).status_code == 404
    assert client.get(f"{url}?unit={stranger.id}").status_code == 404
    assert db.exec(select(ReportJob)).all() == []


def test_leadership_may_have_a_brief_built_and_a_unit_lead_may_not(
        app: FastAPI, as_user, db: Session, world: BriefWorld,  # type: ignore[no-untyped-def]
        users: dict[str, User]) -> None:
    url = f"/organisations/{world.organisation.id}/brief"
    lead = as_user(users["unit_lead"])
    assert lead.get(url).status_code == 403
    assert lead.post(url, data={"language": "en"}).status_code == 403
    outsider = as_user(users["outsider"])
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, data={"language": "en"}).status_code == 404
    # A brief of the unit lead's own unit is still the dashboard's data: not theirs to read.
    job = ReportJob(organisation_id=world.organisation.id or 0, kind="brief",
                    round_id=world.rounds[1].id, unit_id=world.units["A"].id, language="en",
                    status="done", progress=100, pdf=b"%PDF-1.7 test", filename="brief.pdf")
    db.add(job)
    db.commit()
    for path in (f"/report-jobs/{job.id}", f"/report-jobs/{job.id}/pdf"):
        assert as_user(users["unit_lead"]).get(path).status_code == 403
        assert as_user(users["outsider"]).get(path).status_code == 404
        assert as_user(users["leadership"]).get(path).status_code == 200
    leadership = as_user(users["leadership"])
    made = leadership.post(url, data={"language": "en"}, follow_redirects=False)
    assert made.status_code == 303


# The dashboard's table --------------------------------------------------------------------

def exports(db: Session) -> list[AuditEvent]:
    db.expire_all()
    return list(db.exec(select(AuditEvent).where(AuditEvent.event == "export")
                        .order_by(col(AuditEvent.id))))


def test_the_dashboard_table_as_csv_and_xlsx(app: FastAPI, as_user, db: Session,  # type: ignore[no-untyped-def]
                                             world: BriefWorld, users: dict[str, User],
                                             framework: Framework) -> None:
    client = as_user(users["leadership"])
    org = world.organisation.id
    page = soup(client.get(f"/organisations/{org}/dashboard"))
    links = [a["href"] for a in page.select("#heatmap-downloads a")]
    newest = world.rounds[1].id
    assert links == [f"/organisations/{org}/export/dashboard.csv?round={newest}",
                     f"/organisations/{org}/export/dashboard.xlsx?round={newest}"]
    response = client.get(links[0])
    assert response.status_code == 200 and response.headers["content-type"] == CSV_MEDIA_TYPE
    assert response.headers["content-disposition"] == \
        'attachment; filename="dashboard-esimerkki-oy-kevat-2026.csv"'
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Unit", "Parent units", "Depth", "Factor", "Score", "Stage",
                       "Weakest link", "Source"]
    factors = len(framework.factors)
    assert len(rows) == 1 + 4 * factors  # every unit, every factor
    by_key = {(r[0], r[3]): r for r in rows[1:]}
    assert by_key[("Chat", "Setting goals")] == [
        "Chat", "Asiakaspalvelu", "1", "Setting goals", "1.8", "First steps", "weakest",
        "Self-assessment"]
    assert by_key[("Asiakaspalvelu", "Setting goals")][1:] == [
        "", "0", "Setting goals", "2.4", "Ad hoc", "", "Self-assessment"]
    assert by_key[("Viestintä", "Listening")][4:] == ["", "Not measured", "", ""]
    listening = sorted(r[0] for r in rows[1:] if r[3] == "Listening" and r[6])
    assert listening == ["Asiakaspalvelu", "Markkinointi"]  # a tie: both are marked

    workbook = client.get(links[1])
    assert workbook.status_code == 200 and workbook.headers["content-type"] == XLSX_MEDIA_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None and sheet.max_row == 1 + 4 * factors
    assert [c.value for c in sheet[1]][:2] == ["Unit", "Parent units"]
    assert events_detail(db) == [
        {"format": "csv", "round": newest, "unit": None, "what": "dashboard"},
        {"format": "xlsx", "round": newest, "unit": None, "what": "dashboard"}]
    assert [e.user_id for e in exports(db)] == [users["leadership"].id] * 2


def events_detail(db: Session) -> list[dict[str, object]]:
    return [json.loads(e.detail) for e in exports(db)]


def test_the_dashboard_table_of_a_sub_tree_in_finnish(as_user, db: Session, world: BriefWorld,  # type: ignore[no-untyped-def]
                                                      users: dict[str, User]) -> None:
    client = as_user(users["consultant"])
    set_cookie(client, "lang", "fi")
    org, older, branch = world.organisation.id, world.rounds[0].id, world.units["A"].id
    response = client.get(f"/organisations/{org}/export/dashboard.csv?round={older}"
                          f"&unit={branch}")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == \
        'attachment; filename="dashboard-esimerkki-oy-asiakaspalvelu-kevat-2025.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Yksikkö"
    assert {r[0] for r in rows[1:]} == {"Asiakaspalvelu", "Chat"}
    goals = next(r for r in rows[1:] if r[0] == "Asiakaspalvelu" and
                 r[3] == "Tavoitteiden asettaminen")
    assert goals[4:6] == ["2,0", "Ad hoc"]
    assert events_detail(db)[-1] == {"format": "csv", "round": older, "unit": branch,
                                     "what": "dashboard"}


def test_who_may_download_the_dashboard_table(as_user, db: Session, world: BriefWorld,  # type: ignore[no-untyped-def]
                                              users: dict[str, User]) -> None:
    url = f"/organisations/{world.organisation.id}/export/dashboard.csv"
    assert as_user(users["unit_lead"]).get(url).status_code == 403
    assert as_user(users["outsider"]).get(url).status_code == 404
    assert as_user(users["consultant"]).get(f"{url}?round=999999").status_code == 404
    assert as_user(users["consultant"]).get(f"{url}?unit=999999").status_code == 404
    assert exports(db) == []
    empty = make_organisation(db, name="Kierroksetta Oy")
    user = make_user(db, email="k2@example.com", organisation=empty, role=Role.consultant)
    none = as_user(user).get(f"/organisations/{empty.id}/export/dashboard.csv")
    assert none.status_code == 404 and "No assessment rounds yet" in page_text(none)
