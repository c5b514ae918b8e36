"""Access rules: every route has one, and the route-by-role matrix holds cell by cell.

The routes come from the app's own route table, so a new route without a rule, or with a
rule kind this table does not know, fails here. The expected outcomes are written out below
as the specification, independent of `assessment.policy`.
"""

from __future__ import annotations

import re
from itertools import count

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.routing import BaseRoute, Mount

from assessment import accounts, roadmap, services, survey, tokens, workshops
from assessment.framework import Framework
from assessment.models import ReportJob, ReportJobStatus, Role
from tests.conftest import csrf_headers, session_cookie, set_cookie
from tests.factories import make_organisation, make_unit, make_user

ROLES = ["anonymous", "admin", "consultant", "leadership", "unit_lead", "outsider"]
A, F, S, N, I = "allow", "forbidden", "sign_in", "not_found", "allow"  # noqa: E741
# rule -> outcome per role, in ROLES order. "unit" rules are checked on the unit lead's own
# unit (and its sub-unit) and on a sibling unit, where the unit lead is forbidden.
EXPECTED: dict[tuple[str, str], list[str]] = {
    ("public", "read"): [A, A, A, A, A, A],
    ("public", "write"): [A, A, A, A, A, A],
    ("site", "read"): [S, A, A, A, A, A],
    ("site", "write"): [S, A, F, F, F, F],
    ("account", "read"): [S, A, A, A, A, A],
    ("account", "write"): [S, A, A, A, A, A],
    ("users", "read"): [S, A, F, F, F, F],
    ("users", "write"): [S, A, F, F, F, F],
    ("frameworks", "read"): [S, A, F, F, F, F],
    ("frameworks", "write"): [S, A, F, F, F, F],
    ("organisation", "read"): [S, A, A, A, F, N],
    ("organisation", "write"): [S, A, A, F, F, N],
    ("members", "read"): [S, A, A, F, F, N],
    ("members", "write"): [S, A, A, F, F, N],
    ("audit", "read"): [S, A, A, F, F, N],
    ("round", "read"): [S, A, A, A, A, N],
    ("unit", "write"): [S, A, A, F, A, N],
    ("assessment", "read"): [S, A, A, A, A, N],
    ("assessment", "write"): [S, A, A, F, A, N],
    ("workshop", "read"): [S, A, A, A, F, N],
    ("workshop", "write"): [S, A, A, F, F, N],
    # Anyone with the join code; without the participant cookie the page sends them to join.
    ("participant", "read"): [A, A, A, A, A, A],
    ("participant", "write"): [A, A, A, A, A, A],
    ("roadmap", "read"): [S, A, A, A, F, N],
    ("roadmap", "write"): [S, A, A, F, F, N],
    ("plan", "read"): [S, A, A, A, A, N],
    ("plan", "write"): [S, A, A, F, F, N],
    # Building a unit's PDF report changes no data: whoever reads the unit's results may.
    ("report", "read"): [S, A, A, A, A, N],
    ("report", "write"): [S, A, A, A, A, N],
    # The roadmap as a PDF: whoever reads the roadmap may have it built.
    ("roadmap_report", "read"): [S, A, A, A, F, N],
    ("roadmap_report", "write"): [S, A, A, A, F, N],
    ("export", "read"): [S, A, A, A, F, N],
    ("full_export", "read"): [S, A, A, F, F, N],
    ("dashboard", "read"): [S, A, A, A, F, N],
    # The leadership brief (the dashboard as a PDF): the dashboard's readers may build it.
    ("brief", "read"): [S, A, A, A, F, N],
    ("brief", "write"): [S, A, A, A, F, N],
    ("unit", "read"): [S, A, A, A, A, N],
    # API tokens are handed out by consultants (and administrators) only.
    ("api_tokens", "read"): [S, A, A, F, F, N],
    ("api_tokens", "write"): [S, A, A, F, F, N],
    # Brands: the installation's is the administrator's; a client's, its consultants'.
    ("site_brand", "read"): [S, A, F, F, F, F],
    ("site_brand", "write"): [S, A, F, F, F, F],
    ("brand", "read"): [S, A, A, F, F, N],
    ("brand", "write"): [S, A, A, F, F, N],
}
SIBLING = {"unit_lead": F}  # on a unit the lead does not lead, only this changes


def api_routes(routes: list[BaseRoute]) -> list[APIRoute]:
    """The app's routes, also those behind included routers (FastAPI keeps those lazily); not
    the JSON API's (see `json_api_routes`)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif (included := getattr(route, "original_router", None)) is not None:
            found += api_routes(included.routes)
    return found


def json_api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """The JSON API's routes (mounted at /api/v1), with their full paths."""
    mounts = [r for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1"]
    assert len(mounts) == 1
    api = mounts[0].app
    assert isinstance(api, FastAPI)
    return [("/api/v1" + route.path, route) for route in api_routes(api.routes)]


def rules(dependant: Dependant) -> list[tuple[str, str]]:
    found = []
    for dep in dependant.dependencies:
        rule = getattr(dep.call, "__access_rule__", None)
        if rule is not None:
            found.append((rule[0], str(rule[1])))
        found += rules(dep)
    return found


def route_cases(app: FastAPI) -> list[tuple[str, str, tuple[str, str]]]:
    cases = []
    for route in api_routes(app.routes):
        found = rules(route.dependant)
        assert len(found) == 1, f"{route.methods} {route.path}: {found}"
        for method in sorted(route.methods):
            cases.append((method, route.path, found[0]))
    return cases


def json_api_cases(app: FastAPI) -> list[tuple[str, str, tuple[str, str]]]:
    cases = []
    for path, route in json_api_routes(app):
        found = rules(route.dependant)
        assert len(found) == 1, f"{route.methods} {path}: {found}"
        for method in sorted(route.methods):
            cases.append((method, path, found[0]))
    return cases


def test_every_route_has_exactly_one_known_rule(app: FastAPI) -> None:
    cases = route_cases(app)
    assert len(cases) >= 20
    api_cases = json_api_cases(app)
    assert len(api_cases) >= 15
    for method, path, rule in cases + api_cases:
        assert rule in EXPECTED, f"{method} {path}: no expectation for {rule}"
        unsafe = method in {"POST", "PUT", "PATCH", "DELETE"}
        assert (rule[1] == "write") == unsafe, f"{method} {path}: {rule}"


def test_only_static_files_are_mounted(app: FastAPI) -> None:
    assert [r.path for r in app.routes if isinstance(r, Mount)] == ["/static", "/api/v1"]


def classify(response) -> str:  # type: ignore[no-untyped-def]
    if response.status_code in (303, 307) and response.headers["location"].startswith(
            "/sign-in?"):
        return S
    return {403: F, 404: N}.get(response.status_code, A)


@pytest.fixture
def world(db: Session, framework: Framework) -> dict[str, object]:
    """Organisation A (units P > C, and O) with a round and assessments; organisation B."""
    org_a, org_b = make_organisation(db, name="A Oy"), make_organisation(db, name="B Oy")
    parent = make_unit(db, organisation=org_a, name="P")
    child = make_unit(db, organisation=org_a, name="C", parent=parent)
    sibling = make_unit(db, organisation=org_a, name="O")
    round_a = services.create_round(db, org_a, "Kevät", framework)
    assessments = {u.name: services.get_or_create_assessment(db, round_a, u)
                   for u in (parent, child, sibling)}
    db.commit()
    users = {
        "admin": make_user(db, email="root@example.com", is_admin=True),
        "consultant": make_user(db, email="c@example.com", organisation=org_a,
                                role=Role.consultant),
        "leadership": make_user(db, email="l@example.com", organisation=org_a,
                                role=Role.leadership),
        "unit_lead": make_user(db, email="u@example.com", organisation=org_a,
                               role=Role.unit_lead, units=[parent]),
        "outsider": make_user(db, email="o@example.com", organisation=org_b,
                              role=Role.consultant),
    }
    _, token = accounts.invite(db, org_a, by=users["admin"], email="inv@example.com",
                               name="Kutsuttu", role="leadership")
    workshop = workshops.create_workshop(db, round_a, parent, by=None)
    presurvey = survey.open_survey(db, round_a, parent, by=None)
    db.commit()
    return {"survey": presurvey,
            "org": org_a, "round": round_a, "units": {"P": parent, "C": child, "O": sibling},
            "assessments": assessments, "users": users, "token": token, "workshop": workshop,
            "framework": framework}


_dummy = count()


def fill(path: str, world: dict, unit: str, db: Session) -> str:  # type: ignore[type-arg]
    framework: Framework = world["framework"]  # type: ignore[assignment]
    values = {
        "organisation_id": world["org"].id, "round_id": world["round"].id,  # type: ignore[attr-defined]
        "unit_id": world["units"][unit].id,  # type: ignore[index]
        "assessment_id": world["assessments"][unit].id,  # type: ignore[index]
        "factor_id": framework.factors[0].id, "framework_id": framework.id,
        "question_id": framework.factors[0].questions[0].id,
        "token": world["token"], "workshop_id": world["workshop"].id,  # type: ignore[attr-defined]
        "code": world["workshop"].code, "need_id": 1,  # type: ignore[attr-defined]
        "participant_id": 999_999,  # no such seat: the rule is checked before the seat
        "survey_id": world["survey"].id, "survey_code": world["survey"].code,  # type: ignore[attr-defined]
    }
    if "{phase_id}" in path:
        # A fresh phase (and action) each time, so deleting one never changes another cell.
        phase = roadmap.create_phase(db, world["org"], framework, roadmap.PhaseInput(  # type: ignore[arg-type]
            "wave", f"Aalto {next(_dummy)}", None, None, []))
        db.commit()
        values["phase_id"] = phase.id
    if "{action_id}" in path:
        action = roadmap.add_action(db, world["units"][unit], framework,  # type: ignore[index]
                                    framework.factors[0].id,
                                    roadmap.ActionInput("Toimenpide", "", None))
        db.commit()
        values["action_id"] = action.id
    if "{job_id}" in path:
        # A finished report job of this unit (the matrix never waits for a real build).
        job = ReportJob(organisation_id=world["org"].id, round_id=world["round"].id,  # type: ignore[attr-defined]
                        unit_id=world["units"][unit].id, language="en",  # type: ignore[index]
                        status=ReportJobStatus.done, progress=100, pdf=b"%PDF-1.7 test",
                        filename="unit-report.pdf")
        db.add(job)
        db.commit()
        values["job_id"] = job.id
    if "{token_id}" in path:
        # A fresh token each time, so revoking one never changes another cell.
        token, _secret = tokens.create_token(db, world["org"], by=world["users"]["admin"],  # type: ignore[arg-type]
                                             name=f"BI {next(_dummy)}", scope="read", days=30)
        db.commit()
        values["token_id"] = token.id
    if "{membership_id}" in path:
        # A fresh member each time, so removing one never changes another cell.
        member = make_user(db, email=f"dummy{next(_dummy)}@example.com",
                           organisation=world["org"], role=Role.leadership)  # type: ignore[arg-type]
        values["membership_id"] = accounts.memberships_of(db, member)[0][0].id
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def test_route_role_matrix(app: FastAPI, db: Session, world: dict) -> None:  # type: ignore[type-arg]
    cases = route_cases(app)
    # A live screen's stream runs until the server ends it: end it after a second, so the
    # test client (which reads a response to its end) gets its answer.
    app.state.settings = app.state.settings.model_copy(update={"live_stream_seconds": 1})
    failures = []
    for role_index, role in enumerate(ROLES):
        with TestClient(app, headers={"Accept-Language": "en"}) as client:
            csrf_headers(app, client)
            for method, path, rule in cases:
                units = ["P", "C", "O"] if rule[0] in ("unit", "assessment", "plan", "report") \
                    else ["P"]
                for unit in units:
                    if role != "anonymous":
                        user = world["users"][role]
                        set_cookie(client, "session", session_cookie(app, user))
                    url = fill(path, world, unit, db)
                    response = client.request(method, url, follow_redirects=False)
                    expected = EXPECTED[rule][role_index]
                    if unit == "O":
                        expected = SIBLING.get(role, expected)
                    if classify(response) != expected:
                        failures.append(f"{role} {method} {url}: {response.status_code}, "
                                        f"expected {expected}")
    assert failures == []
