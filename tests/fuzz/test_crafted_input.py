"""Crafted input never gets a 5xx: ids out of range, bad workshop dots, NUL bytes, bad dates."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment import roadmap, services
from assessment.framework import Framework
from assessment.models import Action, Organisation, Workshop
from tests.assessment.web.test_access import api_routes
from tests.conftest import csrf_headers
from tests.factories import make_organisation, make_round, make_unit

HOSTILE_IDS = ["9223372036854775808", "2147483648", "99999999999999999999999", "-1", "0",
               "abc", "%00", "1%00"]


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ").split())


def test_no_path_id_out_of_range_gives_a_server_error(app: FastAPI, client: TestClient,
                                                      anonymous: TestClient,
                                                      db: Session) -> None:
    make_organisation(db)
    csrf_headers(app, anonymous)
    checked = 0
    for route in api_routes(app.routes):
        names = re.findall(r"{(\w+)}", route.path)
        if not names:
            continue
        for hostile in HOSTILE_IDS:
            url = route.path_format.format(**dict.fromkeys(names, hostile))
            for who in (client, anonymous):
                for method in route.methods:
                    response = who.request(method, url, follow_redirects=False)
                    checked += 1
                    assert response.status_code < 500, (method, url, response.status_code)
                    if any(n.endswith("_id") for n in names) and who is anonymous:
                        assert response.status_code in (303, 401, 403, 404, 422), url
    assert checked > 500
    signed_out = anonymous.get("/organisations/9223372036854775808")
    assert signed_out.status_code == 404 and "Page not found" in text_of(signed_out)


def _query_params(route: Any) -> list[str]:
    names: list[str] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        names += [p.alias for p in dependant.query_params]
        stack.extend(dependant.dependencies)
    return names


def test_no_query_value_gives_a_server_error(client: TestClient, db: Session,
                                             framework: Framework) -> None:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation)
    round_ = make_round(db, organisation=organisation, framework=framework)
    real = {"organisation_id": organisation.id, "unit_id": unit.id, "round_id": round_.id}
    checked = 0
    for route in api_routes(client.app.routes):  # type: ignore[attr-defined]
        names = _query_params(route)
        if "GET" not in route.methods or not names:
            continue
        path = {n: real.get(n, 1) for n in re.findall(r"{(\w+)}", route.path)}
        url = route.path_format.format(**path)
        for hostile in [*HOSTILE_IDS, "<fz-x>", "a\x00b", "2026-02-30"]:
            response = client.get(url, params=dict.fromkeys(names, hostile))
            checked += 1
            assert response.status_code < 500, (url, names, hostile)
            assert "<fz-x>" not in response.text, (url, names)
    assert checked > 20


def test_starting_a_workshop_with_bad_dots_re_shows_the_form(client: TestClient, db: Session,
                                                             framework: Framework) -> None:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation)
    round_ = make_round(db, organisation=organisation, framework=framework)
    for dots in ["11", "0", "abc", "-3", "1" * 5000, "²"]:
        response = client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops",
                               data={"dots": dots})
        assert response.status_code == 422, dots
        page = BeautifulSoup(response.text, "html.parser")
        field = page.select_one(f"#dots-{unit.id}")
        assert field is not None and field["aria-invalid"] == "true"
        assert field["value"] == dots.strip()
        assert "Give each participant 1–10 dots." in text_of(response)
    assert db.exec(select(Workshop)).all() == []
    started = client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops",
                          data={"dots": "5"}, follow_redirects=False)
    assert started.status_code == 303
    assert db.exec(select(Workshop)).one().dots_per_participant == 5


def test_an_action_with_a_bad_date_and_a_wrong_round_is_refused(client: TestClient,
                                                               db: Session,
                                                               framework: Framework) -> None:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation)
    make_round(db, organisation=organisation, framework=framework)
    factor = framework.factors[0].id
    action = roadmap.add_action(db, unit, framework, factor,
                                roadmap.ActionInput("Suunnitelma", "Maija", None))
    db.commit()
    for round_value in ["x", "9223372036854775808", "999999"]:
        response = client.post(f"/actions/{action.id}",
                               data={"text": "Uusi", "due_on": "2026-02-30",
                                     "round": round_value, "status": "planned"})
        assert response.status_code == 422
        assert "Enter the date as YYYY-MM-DD." in text_of(response)
    db.expire_all()
    assert db.get(Action, action.id).text == "Suunnitelma"  # type: ignore[union-attr]


def test_a_nul_byte_in_any_text_is_refused_and_changes_nothing(client: TestClient,
                                                               db: Session) -> None:
    response = client.post("/organisations", data={"name": "Evil\x00 Oy"})
    assert response.status_code == 422
    assert "NUL character" in text_of(response)
    assert db.exec(select(Organisation)).all() == []
    query = client.get("/", params={"q": "a\x00b"})
    assert query.status_code == 422
    path = client.get("/w/AB%00CD")
    assert path.status_code == 404
    organisation = services.create_organisation(db, "Oikea Oy")
    db.commit()
    unit = client.post(f"/organisations/{organisation.id}/units", data={"name": "x\x00"})
    assert unit.status_code == 422
    fragment = client.post(f"/organisations/{organisation.id}/units", data={"name": "x\x00"},
                           headers={"HX-Request": "true"})
    assert fragment.status_code == 422 and "<html" not in fragment.text
