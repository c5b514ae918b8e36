"""The JSON API: tokens, access rules, bad input, data that matches the domain, the write."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from assessment import dashboard, roadmap, services, tokens
from assessment.models import (
    Action,
    ApiToken,
    ApiTokenUse,
    AuditEvent,
    Membership,
    Role,
    Unit,
    utcnow,
)
from assessment.web.app import create_app
from tests.assessment.web.api.conftest import ApiWorld
from tests.assessment.web.test_access import json_api_cases
from tests.conftest import csrf_headers, make_settings, session_cookie, set_cookie
from tests.factories import make_user

PROBLEM = "application/problem+json"


@pytest.fixture
def api(app: FastAPI) -> TestClient:
    """A client without cookies' help: every request says its own token."""
    return TestClient(app, headers={"Accept-Language": "en"})


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"]
    assert "items" not in body and "name" not in body  # never data
    return body  # type: ignore[no-any-return]


# Access: every route, every kind of token ----------------------------------------------------

# rule -> outcome with no token, a read token, a read-write token, another organisation's
# token (on this organisation's data).
U, A, F = "unauthorized", "allow", "forbidden"
API_EXPECTED = {
    ("public", "read"): [A, A, A, A],
    ("organisation", "read"): [U, A, A, F],
    ("round", "read"): [U, A, A, F],
    ("dashboard", "read"): [U, A, A, F],
    ("roadmap", "read"): [U, A, A, F],
    ("plan", "read"): [U, A, A, F],
    ("workshop", "read"): [U, A, A, F],
    ("plan", "write"): [U, F, A, F],
}


def fill(path: str, world: ApiWorld) -> str:
    values = {"organisation_id": world.org.id, "round_id": world.rounds[-1].id,
              "action_id": world.action.id, "workshop_id": world.workshop.id}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def classify(response) -> str:  # type: ignore[no-untyped-def]
    return {401: U, 403: F}.get(response.status_code, A)


def test_every_api_route_by_token(app: FastAPI, api: TestClient, world: ApiWorld) -> None:
    failures = []
    cases = json_api_cases(app)
    assert {rule for _, _, rule in cases} <= set(API_EXPECTED)
    for index, secret in enumerate([None, world.read, world.write, world.other_read]):
        for method, path, rule in cases:
            headers = world.auth(secret) if secret else {}
            kwargs = {"json": {}} if method == "PATCH" else {}
            response = api.request(method, fill(path, world), headers=headers, **kwargs)
            expected = API_EXPECTED[rule][index]
            if path == "/api/v1/organisations" and secret:
                expected = A  # lists the token's own organisation
            if classify(response) != expected:
                failures.append(f"{index} {method} {path}: {response.status_code}")
            if response.status_code in (401, 403):
                assert_problem(response, response.status_code)
            else:
                assert response.status_code in (200, 422), f"{method} {path}: {response.text}"
    assert failures == []


def test_the_token_list_holds_only_its_organisation(api: TestClient, world: ApiWorld) -> None:
    body = api.get("/api/v1/organisations", headers=world.auth(world.read)).json()
    assert [o["id"] for o in body["items"]] == [world.org.id] and body["total"] == 1
    other = api.get("/api/v1/organisations", headers=world.auth(world.other_read)).json()
    assert [o["id"] for o in other["items"]] == [world.other.id]


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer smw_nope", "Basic dXNlcjpwYXNz",
                                    "Bearer not-even-a-token"])
def test_missing_or_unknown_token_is_401(api: TestClient, world: ApiWorld,
                                         header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    body = assert_problem(api.get(f"/api/v1/organisations/{world.org.id}", headers=headers), 401)
    assert "token" in body["detail"].lower()


def test_expired_and_revoked_tokens_are_401(api: TestClient, db: Session,
                                            world: ApiWorld) -> None:
    url = f"/api/v1/organisations/{world.org.id}/units"
    old, old_secret = tokens.create_token(db, world.org, by=world.consultant, name="Vanha",
                                          scope="read", days=1)
    gone, gone_secret = tokens.create_token(db, world.org, by=world.consultant, name="Pois",
                                            scope="read_write", days=1)
    db.commit()
    assert api.get(url, headers=world.auth(old_secret)).status_code == 200
    old.expires_at = utcnow() - timedelta(seconds=1)
    db.add(old)
    tokens.revoke_token(db, gone, by=world.consultant)
    db.commit()
    assert "expired" in assert_problem(api.get(url, headers=world.auth(old_secret)),
                                       401)["detail"]
    assert "revoked" in assert_problem(api.get(url, headers=world.auth(gone_secret)),
                                       401)["detail"]


def test_a_token_stops_when_its_creator_loses_access(api: TestClient, db: Session,
                                                     world: ApiWorld) -> None:
    url = f"/api/v1/organisations/{world.org.id}"
    person = make_user(db, email=f"{uuid.uuid4().hex}@example.com", organisation=world.org,
                       role=Role.consultant)
    _, secret = tokens.create_token(db, world.org, by=person, name="Lähtijä", scope="read",
                                    days=5)
    db.commit()
    assert api.get(url, headers=world.auth(secret)).status_code == 200
    membership = db.exec(select(Membership).where(Membership.user_id == person.id)).one()
    membership.role = Role.leadership
    db.add(membership)
    db.commit()
    assert "no longer" in assert_problem(api.get(url, headers=world.auth(secret)),
                                         401)["detail"]


def test_another_organisations_token_is_403_never_data(api: TestClient,
                                                       world: ApiWorld) -> None:
    for path in (f"/organisations/{world.org.id}/units", f"/rounds/{world.rounds[-1].id}/heatmap",
                 f"/actions/{world.action.id}", f"/workshops/{world.workshop.id}/votes"):
        body = assert_problem(api.get("/api/v1" + path, headers=world.auth(world.other_read)),
                              403)
        assert "another organisation" in body["detail"]


def test_cookie_sessions_do_not_work_on_the_api(app: FastAPI, api: TestClient,
                                                world: ApiWorld) -> None:
    set_cookie(api, "session", session_cookie(app, world.consultant))
    assert api.get(f"/organisations/{world.org.id}").status_code == 200  # the HTML app: yes
    assert_problem(api.get(f"/api/v1/organisations/{world.org.id}"), 401)


def test_tokens_do_not_work_on_the_html_app(api: TestClient, world: ApiWorld) -> None:
    response = api.get(f"/organisations/{world.org.id}", headers=world.auth(world.write),
                       follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


# Bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "status"), [
    ("/rounds/999999", 404), ("/organisations/999999/units", 404), ("/actions/999999", 404),
    ("/workshops/999999/votes", 404), ("/rounds/2147483648", 404),  # beyond the tables' ids
    ("/rounds/9223372036854775807", 404), ("/rounds/9223372036854775808", 422),
    ("/rounds/99999999999999999999999", 422), ("/rounds/0", 422), ("/rounds/-1", 422),
    ("/rounds/abc", 422),
])
def test_unknown_and_impossible_ids(api: TestClient, world: ApiWorld, path: str,
                                    status: int) -> None:
    body = assert_problem(api.get("/api/v1" + path, headers=world.auth(world.read)), status)
    if status == 422:
        assert body["errors"][0]["field"].endswith("_id")


@pytest.mark.parametrize("query", ["limit=201", "limit=0", "limit=-5", "offset=-1",
                                   "offset=99999999999999999999", "limit=x"])
def test_bad_pages_are_422(api: TestClient, world: ApiWorld, query: str) -> None:
    body = assert_problem(api.get(f"/api/v1/organisations/{world.org.id}/units?{query}",
                                  headers=world.auth(world.read)), 422)
    assert body["errors"][0]["field"] in ("limit", "offset")


def test_pages(api: TestClient, world: ApiWorld, db: Session) -> None:
    url = f"/api/v1/organisations/{world.org.id}/units"
    whole = api.get(url, headers=world.auth(world.read)).json()
    tree = services.unit_tree(db, world.org)
    assert [u["id"] for u in whole["items"]] == [t.unit.id for t in tree]
    assert whole["total"] == len(tree) and whole["offset"] == 0
    part = api.get(url + "?limit=3&offset=2", headers=world.auth(world.read)).json()
    assert [u["id"] for u in part["items"]] == [t.unit.id for t in tree][2:5]
    beyond = api.get(url + "?offset=1000", headers=world.auth(world.read)).json()
    assert beyond["items"] == [] and beyond["total"] == len(tree)


def test_an_unknown_unit_filter_is_404(api: TestClient, world: ApiWorld, db: Session) -> None:
    other_unit = db.exec(select(Unit).where(Unit.organisation_id == world.other.id)).one()
    assert_problem(api.get(f"/api/v1/rounds/{world.rounds[-1].id}/heatmap?unit_id="
                           f"{other_unit.id}", headers=world.auth(world.read)), 404)


def test_throttled_per_token(shared_url: str, world: ApiWorld) -> None:
    throttled = create_app(make_settings(shared_url, api_requests_per_minute=3))
    try:
        with Session(throttled.state.engine, expire_on_commit=False) as db:
            _, first = tokens.create_token(db, world.org, by=world.consultant, name="Kiire",
                                           scope="read", days=1)
            _, second = tokens.create_token(db, world.org, by=world.consultant, name="Toinen",
                                            scope="read", days=1)
            db.commit()
        client = TestClient(throttled)
        url = f"/api/v1/organisations/{world.org.id}"
        assert [client.get(url, headers=world.auth(first)).status_code
                for _ in range(3)] == [200, 200, 200]
        response = client.get(url, headers=world.auth(first))
        assert_problem(response, 429)
        assert response.headers["retry-after"] == "60"
        # Another token has its own allowance.
        assert client.get(url, headers=world.auth(second)).status_code == 200
    finally:
        throttled.state.engine.dispose()


def test_every_use_is_recorded(api: TestClient, db: Session, world: ApiWorld) -> None:
    token, secret = tokens.create_token(db, world.org, by=world.consultant, name="Kirjattu",
                                        scope="read", days=5)
    db.commit()
    api.get(f"/api/v1/rounds/{world.rounds[-1].id}/heatmap", headers=world.auth(secret))
    api.get("/api/v1/rounds/999999", headers=world.auth(secret))
    uses = db.exec(select(ApiTokenUse).where(ApiTokenUse.token_id == token.id)
                   .order_by(col(ApiTokenUse.id))).all()
    assert [(u.method, u.path) for u in uses] == [
        ("GET", f"/api/v1/rounds/{world.rounds[-1].id}/heatmap"), ("GET", "/api/v1/rounds/999999")]
    assert all(u.address for u in uses)


def test_tokens_are_stored_hashed(db: Session, world: ApiWorld) -> None:
    stored = db.exec(select(ApiToken)).all()
    assert len(stored) >= 3
    for token in stored:
        assert token.token_hash not in (world.read, world.write, world.other_read)
        assert len(token.token_hash) == 64
    assert world.read.startswith("smw_") and len(world.read) >= 40


# The data: the same figures the dashboard and the plan page show -----------------------------

def test_the_heatmap_is_the_dashboards(api: TestClient, db: Session, world: ApiWorld,
                                       registry) -> None:  # type: ignore[no-untyped-def]
    round_ = world.rounds[-1]
    body = api.get(f"/api/v1/rounds/{round_.id}/heatmap", headers=world.auth(world.read)).json()
    overview = dashboard.round_overview(db, registry, world.org, round_)
    assert body["measured_units"] == overview.measured_units > 0
    for summary, out in zip(overview.factors, body["factors"], strict=True):
        assert out["factor_id"] == summary.factor.id
        assert out["weakest_unit_ids"] == [u.id for u in summary.weakest]
        assert out["average"] == (float(summary.average) if summary.average else None)
        assert [s["count"] for s in out["per_stage"]] == list(summary.per_stage)
    for row in body["rows"]:
        for cell in row["cells"]:
            found = overview.cell(row["unit_id"], cell["factor_id"])
            assert cell["score"] == (float(found.score) if found and found.score else None)
            assert cell["source"] == overview.scores[row["unit_id"]].source(cell["factor_id"])


def test_scores_name_their_measured_source(api: TestClient, world: ApiWorld) -> None:
    # The demo's spring round has the pilot's workshop: its factors come from the consensus.
    spring = world.rounds[1]
    body = api.get(f"/api/v1/rounds/{spring.id}/scores?limit=200",
                   headers=world.auth(world.read)).json()
    sources = {f["source"] for item in body["items"] for f in item["factors"]}
    assert sources == {"self", "workshop"}
    kinds = {item["kind"] for item in body["items"]}
    assert kinds == {"self", "workshop"}
    detail = api.get(f"/api/v1/rounds/{spring.id}", headers=world.auth(world.read)).json()
    assert detail["framework"]["version"] and detail["stages"][0]["level"] == 1


def test_targets_trends_roadmap_and_votes(api: TestClient, db: Session, world: ApiWorld,
                                          registry) -> None:  # type: ignore[no-untyped-def]
    auth = world.auth(world.read)
    spring = world.rounds[1]
    targets = api.get(f"/api/v1/rounds/{spring.id}/targets", headers=auth).json()
    pilot = world.workshop.unit_id
    mine = next(t for t in targets["items"] if t["unit_id"] == pilot)
    assert any(f["target_stage"] for f in mine["factors"])
    for f in mine["factors"]:
        if f["current_stage"] is not None and f["target_stage"] is not None:
            assert f["gap"] == max(f["target_stage"] - f["current_stage"], 0)
    trends = api.get(f"/api/v1/organisations/{world.org.id}/trends", headers=auth).json()
    assert [r["id"] for r in trends["rounds"]] == [r.id for r in world.rounds]
    assert all(len(f["points"]) == len(world.rounds) for f in trends["factors"])
    plan = api.get(f"/api/v1/organisations/{world.org.id}/roadmap", headers=auth).json()
    phases = roadmap.roadmap(db, registry, world.org)
    assert [p["id"] for p in plan["phases"]] == [p.phase.id for p in phases]
    assert [[g["holds"] for g in p["gates"]] for p in plan["phases"]] == [
        [g.holds for g in p.gates] for p in phases]
    votes = api.get(f"/api/v1/workshops/{world.workshop.id}/votes", headers=auth).json()
    assert votes["questions"] and votes["targets"]
    for item in votes["questions"]:
        dist = item["distribution"]
        assert dist["hidden"] is False and sum(s["count"] for s in dist["per_stage"]) + \
            dist["dont_know"] == dist["votes"]
    text = json.dumps(votes)
    assert "Osallistuja" not in text and "participant_id" not in text and "respondent" not in text


def test_votes_below_the_minimum_show_only_their_count(app: FastAPI, api: TestClient,
                                                       world: ApiWorld) -> None:
    app.state.settings.workshop_min_votes = 50
    try:
        votes = api.get(f"/api/v1/workshops/{world.workshop.id}/votes",
                        headers=world.auth(world.read)).json()
    finally:
        app.state.settings.workshop_min_votes = 3
    assert votes["min_votes"] == 50 and votes["questions"]
    for item in votes["questions"] + votes["targets"]:
        assert item["distribution"] == {"votes": item["distribution"]["votes"], "hidden": True,
                                        "per_stage": None, "dont_know": None, "median": None,
                                        "spread": None, "divergent": None}


def test_actions_list_filters_and_text(api: TestClient, world: ApiWorld) -> None:
    auth = world.auth(world.read)
    url = f"/api/v1/organisations/{world.org.id}/actions"
    every = api.get(url + "?limit=200", headers=auth).json()
    assert every["total"] >= 3 and all(a["text"] for a in every["items"])
    done = api.get(url + "?status=done&limit=200", headers=auth).json()
    assert done["items"] and all(a["status"] == "done" for a in done["items"])
    fi = api.get(url + "?lang=fi&limit=1", headers=auth).json()["items"][0]
    en = api.get(url + "?lang=en&limit=1", headers=auth).json()["items"][0]
    assert fi["id"] == en["id"] and fi["text"] != en["text"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", en["due_on"])
    assert en["created_at"].endswith(("Z", "+00:00"))


# The write ---------------------------------------------------------------------------------

@pytest.fixture
def action(db: Session, world: ApiWorld, registry) -> Action:  # type: ignore[no-untyped-def]
    """A fresh action of the demo's pilot unit, for a test that changes one."""
    unit = db.get(Unit, world.action.unit_id)
    assert unit is not None
    framework = services.round_framework(db, registry, world.rounds[-1])[0]
    made = roadmap.add_action(db, unit, framework, world.action.factor_id,
                              roadmap.ActionInput("Kokeilu", "Olli", "2027-03-01", "planned"))
    db.commit()
    return made


def _events(db: Session, action: Action) -> list[AuditEvent]:
    return [e for e in db.exec(select(AuditEvent).where(AuditEvent.event == "action_updated"))
            if json.loads(e.detail).get("action") == action.id]


def _fields(db: Session, action_id: int) -> tuple[object, ...]:
    found = _stored(db, action_id)
    return (str(found.status), found.owner, found.due_on, found.text, found.updated_at)


def _stored(db: Session, action_id: int) -> Action:
    db.expire_all()
    found = db.get(Action, action_id)
    assert found is not None
    return found


def test_update_an_action(api: TestClient, db: Session, world: ApiWorld,
                          action: Action) -> None:
    url = f"/api/v1/actions/{action.id}"
    response = api.patch(url, headers=world.auth(world.write),
                         json={"status": "in_progress", "owner": "  Maija   Meikäläinen ",
                               "due_on": "2027-01-31"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["owner"], body["due_on"]) == (
        "in_progress", "Maija Meikäläinen", "2027-01-31")
    stored = _stored(db, action.id)
    assert (stored.status, stored.owner, str(stored.due_on)) == (
        "in_progress", "Maija Meikäläinen", "2027-01-31")
    [event] = _events(db, action)
    assert event.organisation_id == world.org.id and event.user_id == world.consultant.id
    assert "api token smw_" in event.detail and "Maija" in event.detail
    # Only what is sent changes; null clears the due date.
    api.patch(url, headers=world.auth(world.write), json={"due_on": None})
    stored = _stored(db, action.id)
    assert stored.due_on is None and stored.owner == "Maija Meikäläinen"


@pytest.mark.parametrize(("body", "field"), [
    ({"status": "finished"}, "status"), ({"owner": "x" * 121}, "owner"),
    ({"due_on": "31.1.2027"}, "due_on"), ({"due_on": "2027-02-30"}, "due_on"),
    ({"text": "Uusi teksti"}, "text"), ({"owner": "a\x00b"}, "owner"),
    ({"status": "done", "owner": "y" * 500}, "owner"),
])
def test_a_write_breaking_a_rule_is_422_and_changes_nothing(
        api: TestClient, db: Session, world: ApiWorld, action: Action, body: dict,  # type: ignore[type-arg]
        field: str) -> None:
    before = _fields(db, action.id)
    problem = assert_problem(api.patch(f"/api/v1/actions/{action.id}",
                                       headers=world.auth(world.write), json=body), 422)
    assert [e["field"] for e in problem["errors"]] == [field]
    assert _fields(db, action.id) == before
    assert _events(db, action) == []


def test_a_read_token_cannot_write(api: TestClient, db: Session, world: ApiWorld,
                                   action: Action) -> None:
    before = _fields(db, action.id)
    body = assert_problem(api.patch(f"/api/v1/actions/{action.id}",
                                    headers=world.auth(world.read), json={"status": "done"}), 403)
    assert "only read" in body["detail"]
    assert _fields(db, action.id) == before


def test_not_json_is_422(api: TestClient, world: ApiWorld) -> None:
    response = api.patch(f"/api/v1/actions/{world.action.id}", headers={
        **world.auth(world.write), "Content-Type": "application/json"}, content=b"{nope")
    assert_problem(response, 422)


def test_the_web_form_audits_an_action_update_too(app: FastAPI, db: Session, world: ApiWorld,
                                                  action: Action) -> None:
    with TestClient(app) as client:
        csrf_headers(app, client)
        set_cookie(client, "session", session_cookie(app, world.consultant))
        response = client.post(f"/actions/{action.id}", data={
            "text": "Teksti", "owner": "Olli", "due_on": "", "status": "done"},
            follow_redirects=False)
    assert response.status_code == 303
    [event] = _events(db, action)
    assert json.loads(event.detail)["via"] == "web" and event.user_id == world.consultant.id


# Every error is a problem body; the API sets no cookie and is never cached ---------------------

def test_unknown_paths_and_methods_are_problems(api: TestClient, world: ApiWorld) -> None:
    assert_problem(api.get("/api/v1/nothing-here", headers=world.auth(world.read)), 404)
    assert_problem(api.delete(f"/api/v1/actions/{world.action.id}",
                              headers=world.auth(world.write)), 405)


def test_a_body_over_the_limit_is_a_413_problem(api: TestClient, world: ApiWorld) -> None:
    response = api.patch(f"/api/v1/actions/{world.action.id}", headers={
        **world.auth(world.write), "Content-Type": "application/json"},
        content=b'{"owner": "' + b"x" * (1024 * 1024) + b'"}')
    assert_problem(response, 413)


def test_a_crash_is_a_500_problem_without_details(app: FastAPI, world: ApiWorld,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(dashboard, "round_overview", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(f"/api/v1/rounds/{world.rounds[-1].id}/heatmap",
                              headers=world.auth(world.read))
    body = assert_problem(response, 500)
    assert "secret" not in response.text and body["title"] == "Internal Server Error"


def test_api_answers_set_no_cookie_and_are_not_cached(api: TestClient, world: ApiWorld) -> None:
    for response in (api.get(f"/api/v1/organisations/{world.org.id}",
                             headers=world.auth(world.read)),
                     api.get(f"/api/v1/organisations/{world.org.id}")):
        assert "set-cookie" not in response.headers
        assert response.headers["cache-control"] == "no-store"
        assert "default-src 'self'" in response.headers["content-security-policy"]
