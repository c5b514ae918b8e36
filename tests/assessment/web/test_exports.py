"""Downloads over HTTP: answers, scores and actions as CSV and XLSX, the organisation as JSON,
who may download what, and the audit event every download leaves."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from assessment import exchange, roadmap, services
from assessment.framework import Framework
from assessment.models import AuditEvent, Organisation, Role, Round, Unit, User
from assessment.web.routes.exports import ascii_filename
from reports.tables import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from tests.conftest import session_cookie, set_cookie
from tests.factories import make_organisation, make_unit, make_user

World = tuple[Organisation, Round, Unit, dict[str, User]]


@pytest.fixture
def world(db: Session, framework: Framework) -> World:
    """An organisation with an answered unit, an action and one user per role."""
    organisation = make_organisation(db, name="Pohjolan Palvelu Oy")
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    assessment = services.get_or_create_assessment(db, round_, unit)
    services.save_answers(db, assessment, framework, [
        services.AnswerInput(q.id, "3", "@muistiinpano" if i == 0 else None)
        for i, q in enumerate(framework.factors[0].questions)])
    roadmap.add_action(db, unit, framework, framework.factors[0].id,
                       roadmap.ActionInput("Tavoitteet strategiaan", "Åsa", "2027-01-31"))
    db.commit()
    users = {role.value: make_user(db, email=f"{role.value}@example.com",
                                   organisation=organisation, role=role,
                                   units=[unit] if role is Role.unit_lead else None)
             for role in Role}
    return organisation, round_, unit, users


def as_user(app: FastAPI, client: TestClient, user: User) -> TestClient:
    set_cookie(client, "session", session_cookie(app, user))
    return client


def exports(db: Session) -> list[AuditEvent]:
    db.expire_all()
    return list(db.exec(select(AuditEvent).where(AuditEvent.event == "export")
                        .order_by(col(AuditEvent.id))))


def test_answers_csv_and_xlsx_download_with_audit(app: FastAPI, anonymous: TestClient,
                                                  db: Session, world: World) -> None:
    organisation, round_, _, users = world
    client = as_user(app, anonymous, users["leadership"])
    response = client.get(f"/rounds/{round_.id}/export/answers.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == CSV_MEDIA_TYPE
    assert response.headers["content-disposition"] == \
        'attachment; filename="answers-kevat-2026.csv"'
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Unit", "Factor"] and len(rows) == 6
    assert rows[1][0] == "Asiakaspalvelu" and rows[1][6] == "'@muistiinpano"
    workbook = client.get(f"/rounds/{round_.id}/export/answers.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["content-type"] == XLSX_MEDIA_TYPE
    assert workbook.headers["content-disposition"].endswith('filename="answers-kevat-2026.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None and sheet["A2"].value == "Asiakaspalvelu"
    events = exports(db)
    assert [(e.user_id, e.organisation_id) for e in events] == [
        (users["leadership"].id, organisation.id)] * 2
    assert [json.loads(e.detail) for e in events] == [
        {"format": "csv", "round": round_.id, "what": "answers"},
        {"format": "xlsx", "round": round_.id, "what": "answers"}]


def test_scores_in_finnish(app: FastAPI, anonymous: TestClient, world: World) -> None:
    _, round_, _, users = world
    client = as_user(app, anonymous, users["consultant"])
    set_cookie(client, "lang", "fi")
    response = client.get(f"/rounds/{round_.id}/export/scores.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Yksikkö" and rows[0][3] == "Tulos"
    assert rows[1][3:5] == ["3,0", "Suunnitelmallinen"]
    assert client.get(f"/rounds/{round_.id}/export/scores.xlsx").status_code == 200


def test_actions_download(app: FastAPI, anonymous: TestClient, db: Session,
                          world: World) -> None:
    organisation, _, _, users = world
    client = as_user(app, anonymous, users["leadership"])
    response = client.get(f"/organisations/{organisation.id}/export/actions.csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == \
        'attachment; filename="actions-pohjolan-palvelu-oy.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][3:6] == ["Tavoitteet strategiaan", "Åsa", "31 Jan 2027"]
    workbook = client.get(f"/organisations/{organisation.id}/export/actions.xlsx")
    assert workbook.headers["content-type"] == XLSX_MEDIA_TYPE
    assert [json.loads(e.detail)["what"] for e in exports(db)] == ["actions", "actions"]


def test_organisation_json_for_consultants_only(app: FastAPI, anonymous: TestClient,
                                                db: Session, world: World) -> None:
    organisation, _, _, users = world
    url = f"/organisations/{organisation.id}/export.json"
    client = as_user(app, anonymous, users["leadership"])
    assert client.get(url).status_code == 403
    client = as_user(app, anonymous, users["consultant"])
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == \
        'attachment; filename="organisation-pohjolan-palvelu-oy.json"'
    assert response.text == exchange.dump_json(exchange.export_organisation(db, organisation))
    assert json.loads(response.text)["organisation"]["name"] == "Pohjolan Palvelu Oy"
    events = exports(db)
    assert len(events) == 1 and events[0].user_id == users["consultant"].id
    assert json.loads(events[0].detail) == {"format": "json", "what": "organisation"}


def test_unit_leads_and_outsiders_cannot_download(app: FastAPI, anonymous: TestClient,
                                                  db: Session, world: World) -> None:
    organisation, round_, _, users = world
    urls = [f"/rounds/{round_.id}/export/answers.csv",
            f"/rounds/{round_.id}/export/scores.xlsx",
            f"/organisations/{organisation.id}/export/actions.csv",
            f"/organisations/{organisation.id}/export.json"]
    client = as_user(app, anonymous, users["unit_lead"])
    assert [client.get(u).status_code for u in urls] == [403] * 4
    other = make_organisation(db, name="Muu Oy")
    outsider = make_user(db, email="out@example.com", organisation=other, role=Role.consultant)
    client = as_user(app, anonymous, outsider)
    assert [client.get(u).status_code for u in urls] == [404] * 4
    assert exports(db) == []


def test_download_links_are_shown_to_those_who_may_download(
        app: FastAPI, anonymous: TestClient, world: World) -> None:
    organisation, round_, _, users = world

    def links(path: str, role: str) -> set[str]:
        client = as_user(app, anonymous, users[role])
        page = BeautifulSoup(client.get(path).text, "html.parser")
        return {str(a["href"]) for a in page.select("a[download]")}

    round_links = {f"/rounds/{round_.id}/export/{what}.{ext}"
                   for what in ("answers", "scores") for ext in ("csv", "xlsx")}
    assert links(f"/rounds/{round_.id}", "leadership") == round_links
    assert links(f"/rounds/{round_.id}", "unit_lead") == set()
    org_path = f"/organisations/{organisation.id}"
    actions = {f"{org_path}/export/actions.csv", f"{org_path}/export/actions.xlsx"}
    assert links(org_path, "leadership") == actions
    assert links(org_path, "consultant") == actions | {f"{org_path}/export.json"}


@pytest.mark.parametrize(("name", "expected"), [
    ("Kevät 2026", "answers-kevat-2026.csv"),
    ('Öljy "ja" /../ \\x\r\n', "answers-oljy-ja-x.csv"),
    ("日本", "answers-round-7.csv"),
    ("x" * 100, "answers-" + "x" * 60 + ".csv"),
])
def test_download_names_are_plain_ascii(name: str, expected: str) -> None:
    assert ascii_filename("answers", name, "csv", "round-7") == expected
