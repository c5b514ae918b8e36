"""A bounded property-based fuzzer over every form route, on SQLite and PostgreSQL.

Every POST route of the app is found in its route table. The fuzzer signs in as an
administrator (who may reach every organisation route), joins the seed workshop as a
participant, sends a valid CSRF token, and posts generated values into each route's form
fields and path parameters: the seed world's real ids most of the time, otherwise huge,
negative or non-numeric ids, NUL bytes, markup, unicode digits, long text, bad dates. It
asserts that no answer is a 5xx and that no generated markup comes back unescaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from assessment import accounts, roadmap, services, survey, workshops
from assessment.framework import Framework
from assessment.models import Role, User, Workshop
from tests.assessment.web.test_access import api_routes
from tests.conftest import csrf_headers, set_cookie, sign_in
from tests.factories import make_organisation, make_unit, make_user

EXAMPLES_PER_ROUTE = 40
MARKER = "<fz-x"  # generated markup; it must never come back as a tag
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# Routes that read their form as a whole (field names carry question or factor ids): the
# fields their forms post. A test below fails when a new such route is not listed here.
DYNAMIC_FORM_FIELDS: dict[str, Callable[[World], list[str]]] = {
    "save_factor": lambda w: [f"choice-{w.question_id}", f"note-{w.question_id}", "go"],
    "save_answer": lambda w: [f"choice-{w.question_id}", f"note-{w.question_id}"],
    "save_targets": lambda w: [f"target-{w.factor_id}", "round"],
    "add_action": lambda w: ["factor_id", "text", "owner", "due_on", "status", "round"],
    "update_action": lambda w: ["text", "owner", "due_on", "status", "round"],
    "delete_action": lambda w: ["round"],
    "answer_survey": lambda w: ["factor", f"q-{w.question_id}"],
    "confirm_factor": lambda w: ["factor_id", f"level-{w.question_id}"],
}

# Routes that end something the rest of the run needs go last.
LAST = ("delete_action", "delete_phase", "remove_member", "close_survey", "close_workshop",
        "sign_out")

HOSTILE = [
    "", " ", "0", "-1", "1.5", "abc", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "1" * 40, "1e309", "NaN", "inf", "\x00", "a\x00b", "1\x00",
    f"{MARKER}>alert(1)</fz-x>", f'"><{MARKER[1:]} onload=x>', "²", "١٢", "\U0001d7d9", "ǅ",
    "2026-02-30", "9999-99-99", "0000-00-00", "2026-13-01", "10000-01-01", "x" * 5000,
    "$\\foo$", "50% \\n", "\u202e\u200b", "' OR 1=1 --", "%s%n", "{{7*7}}", "../../etc/passwd",
]


@dataclass
class World:
    """The seed rows the fuzzer aims at."""

    values: dict[str, list[str]] = field(default_factory=dict)
    question_id: str = ""
    factor_id: str = ""


@dataclass
class Tally:
    """Requests sent and failures found."""

    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    reflected: list[str] = field(default_factory=list)


def _seed(app: FastAPI, client: TestClient, db: Session, framework: Framework) -> World:
    organisation = make_organisation(db, name="Fuzz Oy")
    unit = make_unit(db, organisation=organisation, name="Myynti")
    child = make_unit(db, organisation=organisation, name="Asiakaspalvelu", parent=unit)
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    assessment = services.get_or_create_assessment(db, round_, unit)
    admin = db.exec(select(User).where(User.email == "admin@example.com")).one()
    lead = make_user(db, email="lead@example.com", organisation=organisation,
                     role=Role.unit_lead, units=[unit])
    membership = accounts.memberships_of(db, lead)[0][0]
    _, token = accounts.invite(db, organisation, by=admin, email="new@example.com",
                               name="Uusi", role="leadership")
    factor = framework.factors[0]
    phase = roadmap.create_phase(db, organisation, framework, roadmap.PhaseInput(
        "wave", "Aalto 1", "2026-01-01", "2026-06-30", [factor.id]))
    roadmap.place_unit(db, phase, unit)
    owner = roadmap.add_owner(db, phase, "Maija", "Vetäjä")
    gate = roadmap.set_gate(db, phase, framework, factor.id, "3")
    action = roadmap.add_action(db, unit, framework, factor.id,
                                roadmap.ActionInput("Tee suunnitelma", "Maija", None))
    db.commit()
    started = client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops",
                          follow_redirects=False)
    assert started.status_code == 303
    workshop_id = int(started.headers["location"].rsplit("/", 1)[1])
    workshop = workshops.open_workshop(db, _code_of(db, workshop_id))
    participant, participant_token = workshops.join(db, workshop, "Fuzzer")
    need = workshops.post_need(db, workshop, framework, participant, "Vuosikello", None)
    presurvey = survey.open_survey(db, round_, unit, by=None)
    db.commit()
    set_cookie(client, f"wp{workshop_id}", participant_token)
    ids = {
        "organisation_id": organisation.id, "round_id": round_.id, "unit_id": unit.id,
        "parent_id": unit.id, "assessment_id": assessment.id, "workshop_id": workshop_id,
        "need_id": need.id, "keep": need.id, "other": need.id, "phase_id": phase.id,
        "owner_id": owner.id, "gate_id": gate.id, "action_id": action.id,
        "membership_id": membership.id, "unit_ids": child.id, "round": round_.id,
        "survey_id": presurvey.id,
    }
    question = factor.questions[0].id
    values = {name: [str(value)] for name, value in ids.items()}
    values.update({
        "code": [workshop.code], "token": [token], "factor_id": [factor.id],
        "gate_factor": [factor.id], "question_id": [question],
        "level": ["1", "3", "5"], "gate_level": ["3"], "choice": ["2", "dont_know", "na"],
        f"choice-{question}": ["4", "na"], f"target-{factor.id}": ["4", ""],
        "dots": ["3", "1"], "index": ["0", "1", "5"], "step": ["-1", "1"],
        "kind": ["wave", "pilot", "needs"], "role": ["leadership", "unit_lead", "consultant"],
        "status": ["planned", "done"], "due_on": ["2026-05-01"], "starts_on": ["2026-01-01"],
        "ends_on": ["2026-12-31"], "focus": [factor.id], "op": ["add", "remove"],
        "language": ["fi", "en"], "lang": ["fi", "en"], "hide": ["1"], "go": ["next"],
        "email": ["someone@example.com"], "next": ["/"],
        "survey_code": [presurvey.code], "factor": [factor.id],
        f"q-{question}": ["3", "dont_know"], f"level-{question}": ["3"],
        "prompt": [f"q:{question}:0", ""],
    })
    return World(values=values, question_id=question, factor_id=factor.id)


def _code_of(db: Session, workshop_id: int) -> str:
    row = db.get(Workshop, workshop_id)
    assert row is not None
    return row.code


def _form_routes(app: FastAPI) -> list[APIRoute]:
    routes = [r for r in api_routes(app.routes) if r.methods & UNSAFE]
    return sorted(routes, key=lambda r: (r.name in LAST, LAST.index(r.name)
                                         if r.name in LAST else 0, r.path))


def _reads_whole_form(route: APIRoute) -> bool:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if dependant.call is not None and getattr(dependant.call, "__name__", "") == "read_form":
            return True
        stack.extend(dependant.dependencies)
    return False


def _params(route: APIRoute, kind: str) -> list[str]:
    names: list[str] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        names += [p.alias for p in getattr(dependant, kind)]
        stack.extend(dependant.dependencies)
    return list(dict.fromkeys(names))


def _fields(route: APIRoute, world: World) -> list[str]:
    names = _params(route, "body_params")
    if _reads_whole_form(route):
        names += DYNAMIC_FORM_FIELDS[route.name](world)
    return names


def _path_params(route: APIRoute) -> list[str]:
    return _params(route, "path_params")


_texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


def _value(world: World, name: str) -> st.SearchStrategy[str]:
    known = world.values.get(name, [])
    hostile = st.sampled_from(HOSTILE) | _texts | st.integers().map(str)
    if not known:
        return hostile
    return st.sampled_from(known) | hostile


def _fuzz_route(client: TestClient, route: APIRoute, world: World, tally: Tally) -> None:
    path_names = _path_params(route)
    form_names = _fields(route, world)
    strategy = st.tuples(
        st.fixed_dictionaries({n: _value(world, n) for n in path_names}),
        st.fixed_dictionaries({n: _value(world, n) for n in form_names}),
        st.booleans(),
    )

    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(example: tuple[dict[str, str], dict[str, str], bool]) -> None:
        path_values, form, htmx = example
        try:
            url = route.path_format.format(**{k: _quote(v) for k, v in path_values.items()})
        except (KeyError, IndexError, ValueError):
            return
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post(url, data=form, headers=headers, follow_redirects=False)
        tally.requests += 1
        if response.status_code >= 500:
            tally.server_errors.append(f"{route.name} {response.status_code} {url!r} {form!r}")
        if MARKER in response.text:
            tally.reflected.append(f"{route.name} {url!r} {form!r}")

    run()


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="") or "%20"


@pytest.fixture
def fuzz_client(app: FastAPI, db: Session) -> Iterator[TestClient]:
    """An administrator's client that turns server errors into 500 answers, not exceptions."""
    make_user(db, email="admin@example.com", is_admin=True)
    with TestClient(app, headers={"Accept-Language": "en"},
                    raise_server_exceptions=False) as client:
        csrf_headers(app, client)
        sign_in(client, "admin@example.com")
        yield client


def test_every_form_route_survives_hostile_values(app: FastAPI, fuzz_client: TestClient,
                                                   db: Session, framework: Framework,
                                                   database_url: str) -> None:
    world = _seed(app, fuzz_client, db, framework)
    tally = Tally()
    routes = _form_routes(app)
    for route in routes:
        _fuzz_route(fuzz_client, route, world, tally)
    distinct = sorted({e.split(" ", 2)[0] + " " + e.split(" ", 2)[1]
                       for e in tally.server_errors})
    print(f"\nfuzz {database_url.split(':')[0]}: {len(routes)} routes, {tally.requests} "
          f"requests, {len(tally.server_errors)} 5xx, distinct: {distinct}")
    assert tally.requests >= len(routes) * EXAMPLES_PER_ROUTE // 2
    assert not tally.server_errors, "\n".join(tally.server_errors[:40])
    assert not tally.reflected, "\n".join(tally.reflected[:40])


def test_every_dynamic_form_route_lists_its_fields(app: FastAPI) -> None:
    dynamic = {r.name for r in _form_routes(app) if _reads_whole_form(r)}
    assert dynamic == set(DYNAMIC_FORM_FIELDS)


def test_the_hostile_values_cover_every_class() -> None:
    assert any("\x00" in v for v in HOSTILE) and any(MARKER in v for v in HOSTILE)
    assert any(v.isdigit() and int(v) > 2**63 for v in HOSTILE if v.isascii())
    assert any(not v.isascii() and v.isdigit() for v in HOSTILE)
