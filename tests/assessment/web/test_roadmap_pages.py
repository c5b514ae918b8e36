"""The rollout planner page through HTTP: phases, units, owners and gates, planned vs achieved."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment import roadmap, services
from assessment.framework import Framework
from assessment.models import Gate, Organisation, Phase, PhaseOwner, PhaseUnit, Role, Round, Unit
from tests.conftest import csrf_headers, set_cookie, sign_in
from tests.factories import make_organisation, make_unit, make_user

HX = {"HX-Request": "true"}
HISTORY = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def text_of(node) -> str:  # type: ignore[no-untyped-def]
    """The visible text of an element or a response, with whitespace collapsed."""
    if not isinstance(node, Tag):
        node = soup(node)
    return " ".join(node.get_text().split())


@pytest.fixture
def organisation(db: Session) -> Organisation:
    return make_organisation(db, name="Esimerkki Oy")


@pytest.fixture
def units(db: Session, organisation: Organisation) -> list[Unit]:
    return [make_unit(db, organisation=organisation, name=name)
            for name in ("Asiakaspalvelu", "Markkinointi", "Viestintä")]


def url(organisation: Organisation) -> str:
    return f"/organisations/{organisation.id}/roadmap"


def add_phase(client: TestClient, db: Session, organisation: Organisation, kind: str,
              name: str, **fields: object) -> Phase:
    data: dict[str, object] = {"kind": kind, "name": name, "starts_on": "2027-01-01",
                               "ends_on": "2027-03-31", **fields}
    response = client.post(f"{url(organisation)}/phases", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    phase_id = int(response.headers["location"].rsplit("#phase-", 1)[1])
    assert response.headers["location"] == f"{url(organisation)}#phase-{phase_id}"
    phase = db.get(Phase, phase_id)
    assert phase is not None and phase.name == " ".join(name.split())
    return phase


def headings(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [text_of(h) for h in soup(response).select("#phases section.phase > h2")]


def unit_order(db: Session, phase: Phase) -> list[int]:
    db.expire_all()
    return [r.unit_id for r in roadmap.phase_units(db, [phase.id or 0])[phase.id or 0]]


def answer_all(db: Session, round_: Round, unit: Unit, framework: Framework, level: int) -> None:
    assessment = services.get_or_create_assessment(db, round_, unit)
    services.save_answers(db, assessment, framework, [
        services.AnswerInput(q.id, str(level)) for f in framework.factors for q in f.questions])
    db.commit()


@pytest.fixture
def leadership(app: FastAPI, db: Session, organisation: Organisation) -> Iterator[TestClient]:
    make_user(db, email="johto@example.com", organisation=organisation, role=Role.leadership)
    with TestClient(app, headers={"Accept-Language": "en"}) as other:
        csrf_headers(app, other)
        sign_in(other, "johto@example.com")
        yield other


def test_empty_roadmap_explains_the_order_and_offers_the_form(
        client: TestClient, organisation: Organisation, units: list[Unit]) -> None:
    response = client.get(url(organisation))
    assert response.status_code == 200
    text = text_of(response)
    assert "No phases yet." in text and "Start with phase 0, needs and expectations" in text
    assert "No assessment rounds yet" in text
    form = soup(response).select_one("#new-phase form")
    assert form["action"] == f"{url(organisation)}/phases" and form["method"] == "post"
    # The first phase to add is the needs phase; every input has a label.
    assert form.select_one("input[name=kind][value=needs]").has_attr("checked")
    for field in form.select("input:not([type=hidden]), select, textarea"):
        assert form.select_one(f"label[for='{field['id']}']") is not None, field
    assert [text_of(td) for td in soup(response).select("#unplanned tbody th")] == [
        "Asiakaspalvelu", "Markkinointi", "Viestintä"]


def test_phases_are_created_and_shown_in_rollout_order(
        client: TestClient, db: Session, organisation: Organisation,
        framework: Framework) -> None:
    add_phase(client, db, organisation, "wave", "Ensimmäinen aalto", ends_on="")
    pilot = add_phase(client, db, organisation, "pilot", "Asiakaspalvelun pilotti",
                      focus=["listening", "ownership"], notes="Pilotti\nkahdessa osassa")
    add_phase(client, db, organisation, "needs", "Tarpeet", starts_on="", ends_on="")
    page = client.get(url(organisation))
    assert headings(page) == ["Needs and expectations Tarpeet",
                              "Pilot Asiakaspalvelun pilotti", "Wave 1 Ensimmäinen aalto"]
    section = soup(page).select_one(f"#phase-{pilot.id}")
    facts = text_of(section.select_one(".phase-facts"))
    assert "1 Jan 2027 – 31 Mar 2027" in facts
    names = [framework.factor(f).name["en"] for f in ("ownership", "listening")]
    assert ", ".join(names) in facts  # in framework order
    assert "From 1 Jan 2027" in text_of(soup(page).select("section.phase")[2])
    assert "No dates yet" in text_of(soup(page).select("section.phase")[0])
    stored = db.exec(select(Phase).where(Phase.name == "Asiakaspalvelun pilotti")).one()
    assert stored.focus == "ownership,listening" and stored.notes == "Pilotti\nkahdessa osassa"


@pytest.mark.parametrize(("data", "field", "message", "status"), [
    ({"kind": "wave", "name": "Aalto", "starts_on": "2027-05-01", "ends_on": "2027-04-30"},
     "ends_on", "The phase cannot end before it starts.", 422),
    ({"kind": "wave", "name": "Aalto", "starts_on": "1.5.2027"},
     "starts_on", "Enter the date as YYYY-MM-DD.", 422),
    ({"kind": "wave", "name": "  "}, "name", "Enter a name.", 422),
    ({"kind": "", "name": "Aalto"}, "kind", "Choose the kind of phase.", 422),
    ({"kind": "wave", "name": "Aalto", "focus": ["no-such-factor"]},
     "focus", "Choose focus factors from the framework.", 422),
    ({"kind": "pilot", "name": "Toinen pilotti"}, "kind", "The roadmap already has a pilot.",
     409),
])
def test_bad_phase_is_refused_next_to_its_field_and_nothing_stored(
        client: TestClient, db: Session, organisation: Organisation,
        data: dict[str, object], field: str, message: str, status: int) -> None:
    add_phase(client, db, organisation, "pilot", "Pilotti")
    response = client.post(f"{url(organisation)}/phases", data=data)
    assert response.status_code == status
    page = soup(response)
    assert page.select_one(f"#error-new-{field}").get_text(strip=True) == message
    if field not in ("kind", "focus"):
        assert page.select_one(f"#new-{field}")["aria-invalid"] == "true"
    assert page.select_one("#new-name")["value"] == data["name"]  # the values are kept
    assert [p.name for p in db.exec(select(Phase))] == ["Pilotti"]


def test_editing_a_phase_and_a_failed_edit_keeps_the_form_open(
        client: TestClient, db: Session, organisation: Organisation) -> None:
    wave = add_phase(client, db, organisation, "wave", "Aalto")
    response = client.post(f"/phases/{wave.id}", data={
        "kind": "wave", "name": "Kesän aalto", "starts_on": "2027-06-01",
        "ends_on": "2027-08-31", "focus": ["goals"]}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{url(organisation)}#phase-{wave.id}"
    stored = db.get(Phase, wave.id)
    assert stored is not None
    db.refresh(stored)
    assert (stored.name, stored.focus, str(stored.ends_on)) == ("Kesän aalto", "goals",
                                                               "2027-08-31")
    failed = client.post(f"/phases/{wave.id}", data={
        "kind": "wave", "name": "Muutettu", "starts_on": "2027-06-01", "ends_on": "2027-01-01"})
    assert failed.status_code == 422
    page = soup(failed)
    edit = page.select_one(f"#phase-{wave.id} details.edit-phase")
    assert edit.has_attr("open")
    assert edit.select_one(f"#error-p{wave.id}-ends_on").get_text(strip=True) == \
        "The phase cannot end before it starts."
    assert edit.select_one(f"#p{wave.id}-name")["value"] == "Muutettu"
    # The new-phase form is not marked by the other form's error.
    assert page.select_one("#error-new-ends_on") is None
    db.refresh(stored)
    assert stored.name == "Kesän aalto"


def test_owner_and_gate_errors_are_shown_and_nothing_stored(
        client: TestClient, db: Session, organisation: Organisation) -> None:
    pilot = add_phase(client, db, organisation, "pilot", "Pilotti")
    no_role = client.post(f"/phases/{pilot.id}/owners",
                          data={"owner_name": "Maija Meikäläinen", "owner_role": " "})
    assert no_role.status_code == 422
    page = soup(no_role)
    assert page.select_one(f"#error-p{pilot.id}-owner_role").get_text(strip=True) == \
        "Enter the owner's role in the phase."
    assert page.select_one(f"#p{pilot.id}-owner_name")["value"] == "Maija Meikäläinen"
    no_name = client.post(f"/phases/{pilot.id}/owners", data={"owner_role": "Vetäjä"})
    assert no_name.status_code == 422
    assert "Enter the owner's name." in text_of(soup(no_name).select_one(f"#phase-{pilot.id}"))
    unknown = client.post(f"/phases/{pilot.id}/gates",
                          data={"gate_factor": "no-such-factor", "gate_level": "3"})
    assert unknown.status_code == 422
    assert soup(unknown).select_one(f"#error-p{pilot.id}-gate_factor").get_text(strip=True) == \
        "Choose one of the framework's factors."
    too_high = client.post(f"/phases/{pilot.id}/gates",
                           data={"gate_factor": "listening", "gate_level": "9"})
    assert too_high.status_code == 422
    assert soup(too_high).select_one(f"#error-p{pilot.id}-gate_level").get_text(strip=True) == \
        "Choose one of the stages 1–5."
    assert db.exec(select(PhaseOwner)).all() == [] and db.exec(select(Gate)).all() == []


def test_waves_are_reordered(client: TestClient, db: Session,
                             organisation: Organisation) -> None:
    first, _second, third = (add_phase(client, db, organisation, "wave", name)
                             for name in ("Aalto A", "Aalto B", "Aalto C"))
    page = soup(client.get(url(organisation)))
    # The first wave cannot move earlier, the last cannot move later.
    assert page.select_one(f"#p{first.id}-earlier") is None
    assert page.select_one(f"#p{third.id}-later") is None
    moved = client.post(f"/phases/{third.id}/move", data={"step": "-1"}, follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"{url(organisation)}#phase-{third.id}"
    assert headings(client.get(url(organisation))) == [
        "Wave 1 Aalto A", "Wave 2 Aalto C", "Wave 3 Aalto B"]
    refused = client.post(f"/phases/{first.id}/move", data={"step": "-1"})
    assert refused.status_code == 409
    alert = soup(refused).select_one(f"#phase-{first.id} .alert")
    assert alert is not None and "already at that end" in text_of(alert)
    assert client.post(f"/phases/{first.id}/move", data={"step": "7"}).status_code == 422


def test_units_are_placed_reordered_and_moved_between_phases(
        client: TestClient, db: Session, organisation: Organisation,
        units: list[Unit]) -> None:
    service, marketing, comms = units
    pilot = add_phase(client, db, organisation, "pilot", "Pilotti")
    wave = add_phase(client, db, organisation, "wave", "Aalto")
    for unit in (service, marketing):
        placed = client.post(f"/phases/{pilot.id}/units", data={"unit_id": str(unit.id)},
                             follow_redirects=False)
        assert placed.status_code == 303
    assert unit_order(db, pilot) == [service.id, marketing.id]
    page = soup(client.get(url(organisation)))
    assert [text_of(h) for h in page.select(f"#phase-{pilot.id} .phase-unit h4")] == [
        "Asiakaspalvelu", "Markkinointi"]
    assert [text_of(th) for th in page.select("#unplanned tbody th")] == ["Viestintä"]
    # The wave's form offers the pilot's units as moves.
    options = text_of(page.select_one(f"#p{wave.id}-unit_id"))
    assert "Markkinointi (now in Pilotti)" in options
    # A phase's own units are not offered to it again.
    assert [text_of(o) for o in page.select(f"#p{pilot.id}-unit_id option")] == [
        "Choose a unit", "Viestintä"]

    assert client.post(f"/phases/{pilot.id}/units/move",
                       data={"unit_id": str(marketing.id), "step": "-1"},
                       follow_redirects=False).status_code == 303
    assert unit_order(db, pilot) == [marketing.id, service.id]

    moved = client.post(f"/phases/{wave.id}/units", data={"unit_id": str(marketing.id)},
                        follow_redirects=False)
    assert moved.status_code == 303
    assert unit_order(db, pilot) == [service.id] and unit_order(db, wave) == [marketing.id]
    assert len(db.exec(select(PhaseUnit).where(PhaseUnit.unit_id == marketing.id)).all()) == 1

    # A unit id that names nothing, or a unit of another organisation: a message, not a 404.
    stranger = make_unit(db, organisation=make_organisation(db, name="Muu Oy"), name="Vieras")
    for bad in ("", "abc", "99999", str(stranger.id)):
        refused = client.post(f"/phases/{wave.id}/units", data={"unit_id": bad})
        assert refused.status_code == 422, bad
        assert soup(refused).select_one(f"#error-p{wave.id}-unit_id").get_text(strip=True) == \
            "Choose one of the organisation's units."
    not_here = client.post(f"/phases/{wave.id}/units/remove", data={"unit_id": str(comms.id)})
    assert not_here.status_code == 409 and "That unit is not in this phase." in text_of(not_here)


def test_removing_asks_first_and_then_works(
        client: TestClient, db: Session, organisation: Organisation,
        units: list[Unit]) -> None:
    pilot = add_phase(client, db, organisation, "pilot", "Pilotti")
    client.post(f"/phases/{pilot.id}/units", data={"unit_id": str(units[0].id)})
    client.post(f"/phases/{pilot.id}/owners",
                data={"owner_name": "Maija", "owner_role": "Viestintäjohtaja"})
    client.post(f"/phases/{pilot.id}/gates", data={"gate_factor": "listening", "gate_level": "3"})
    owner, gate = db.exec(select(PhaseOwner)).one(), db.exec(select(Gate)).one()
    page = soup(client.get(url(organisation)))
    section = page.select_one(f"#phase-{pilot.id}")
    for action in ("delete", "owners/remove", "gates/remove", "units/remove"):
        form = section.select_one(f"form[action='/phases/{pilot.id}/{action}']")
        assert form is not None, action
        button = form.select_one("button[type=submit]")
        # The button only shows once the details are opened: the page asks first.
        assert button.find_parent("details") is not None, action
        assert form.select_one("details summary") is not None, action

    assert client.post(f"/phases/{pilot.id}/owners/remove", data={"owner_id": str(owner.id)},
                       follow_redirects=False).status_code == 303
    assert client.post(f"/phases/{pilot.id}/gates/remove", data={"gate_id": str(gate.id)},
                       follow_redirects=False).status_code == 303
    again = client.post(f"/phases/{pilot.id}/gates/remove", data={"gate_id": str(gate.id)})
    assert again.status_code == 409 and "That gate is not in this phase." in text_of(again)
    assert db.exec(select(PhaseOwner)).all() == [] and db.exec(select(Gate)).all() == []

    deleted = client.post(f"/phases/{pilot.id}/delete", follow_redirects=False)
    assert deleted.status_code == 303
    assert deleted.headers["location"] == f"{url(organisation)}#phases"
    assert db.exec(select(Phase)).all() == [] and db.exec(select(PhaseUnit)).all() == []
    page = soup(client.get(url(organisation)))
    assert "Asiakaspalvelu" in [text_of(th) for th in page.select("#unplanned tbody th")]
    assert client.post(f"/phases/{pilot.id}/delete").status_code == 404


def test_leadership_reads_without_forms_and_cannot_change(
        client: TestClient, leadership: TestClient, db: Session, organisation: Organisation,
        units: list[Unit]) -> None:
    pilot = add_phase(client, db, organisation, "pilot", "Pilotti")
    client.post(f"/phases/{pilot.id}/units", data={"unit_id": str(units[0].id)})
    client.post(f"/phases/{pilot.id}/owners",
                data={"owner_name": "Maija", "owner_role": "Omistaja"})
    response = leadership.get(url(organisation))
    assert response.status_code == 200
    main = soup(response).select_one("main")
    assert main.select("form") == [] and main.select("input, select, textarea") == []
    assert "Pilotti" in text_of(main) and "Maija — Omistaja" in text_of(main)
    posts = [(f"{url(organisation)}/phases", {"kind": "wave", "name": "Aalto"}),
             (f"/phases/{pilot.id}", {"kind": "pilot", "name": "Muutettu"}),
             (f"/phases/{pilot.id}/delete", {}),
             (f"/phases/{pilot.id}/owners", {"owner_name": "X", "owner_role": "Y"}),
             (f"/phases/{pilot.id}/gates", {"gate_factor": "listening", "gate_level": "3"}),
             (f"/phases/{pilot.id}/units/remove", {"unit_id": str(units[0].id)})]
    for path, data in posts:
        assert leadership.post(path, data=data).status_code == 403, path
    assert [p.name for p in db.exec(select(Phase))] == ["Pilotti"]
    # The organisation page links to the roadmap for those who may read it.
    organisation_page = soup(leadership.get(f"/organisations/{organisation.id}"))
    assert organisation_page.select_one(f"main a[href='{url(organisation)}']") is not None


def test_planned_against_achieved_and_gates_after_a_later_round(
        client: TestClient, db: Session, organisation: Organisation, units: list[Unit],
        framework: Framework) -> None:
    service, marketing, _ = units
    spring = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    answer_all(db, spring, service, framework, 2)
    answer_all(db, spring, marketing, framework, 3)
    roadmap.set_target(db, spring, service, framework, "listening", "3")
    roadmap.set_target(db, spring, service, framework, "goals", "4")
    db.commit()
    pilot = add_phase(client, db, organisation, "pilot", "Pilotti")
    wave = add_phase(client, db, organisation, "wave", "Aalto", focus=["listening"])
    client.post(f"/phases/{pilot.id}/units", data={"unit_id": str(service.id)})
    client.post(f"/phases/{wave.id}/units", data={"unit_id": str(marketing.id)})
    client.post(f"/phases/{pilot.id}/gates", data={"gate_factor": "listening", "gate_level": "3"})

    def table(page: BeautifulSoup, phase: Phase, unit: Unit) -> dict[str, list[str]]:
        found = page.select_one(f"#phase-{phase.id}-unit-{unit.id} table")
        header = [text_of(th) for th in found.select("thead th")]
        rows = {text_of(tr.th): [text_of(td) for td in tr.select("td")]
                for tr in found.select("tbody tr")}
        return {"header": header, **rows}

    before = soup(client.get(url(organisation)))
    gate = text_of(before.select_one(f"#phase-{pilot.id} .gate-list li"))
    assert "Listening: at least Planned — 0 of 1 unit has reached it." in gate
    assert "Not yet" in gate and "Holds" not in gate
    # No focus: every factor with a target, in framework order.
    rows = table(before, pilot, service)
    assert list(rows) == ["header", "Setting goals", "Listening"]
    assert rows["Listening"] == ["3. Planned", "2. Ad hoc", "2. Ad hoc", "1 stage to go"]
    # With focus: the focus factors, also without a target.
    assert table(before, wave, marketing)["Listening"] == ["No target", "—", "3. Planned", "—"]

    autumn = services.create_round(db, organisation, "Syksy 2026", framework)
    db.commit()
    answer_all(db, autumn, service, framework, 3)
    after = soup(client.get(url(organisation)))
    rows = table(after, pilot, service)
    assert rows["header"] == ["Factor", "Target", "Stage in Kevät 2026",
                              "Latest stage (Syksy 2026)", "Status"]
    assert rows["Listening"] == ["3. Planned", "2. Ad hoc", "3. Planned", "✓ Reached"]
    assert rows["Setting goals"] == ["4. Integrated", "2. Ad hoc", "3. Planned",
                                     "1 stage to go"]
    meta = text_of(after.select_one(f"#phase-{pilot.id}-unit-{service.id} .meta"))
    assert meta == "Targets from Kevät 2026. Latest measurement: Syksy 2026."
    gate = text_of(after.select_one(f"#phase-{pilot.id} .gate-list li"))
    assert "1 of 1 unit has reached it." in gate and "Holds" in gate and "Not yet" not in gate
    assert "No assessment rounds yet" not in text_of(after)


def test_html_in_names_and_roles_is_shown_as_text(
        client: TestClient, db: Session, organisation: Organisation) -> None:
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    unit = make_unit(db, organisation=organisation, name=evil)
    pilot = add_phase(client, db, organisation, "pilot", evil, notes=evil)
    client.post(f"/phases/{pilot.id}/units", data={"unit_id": str(unit.id)})
    client.post(f"/phases/{pilot.id}/owners", data={"owner_name": evil, "owner_role": evil})
    for response in (client.get(url(organisation)), client.get(url(organisation), headers=HX),
                     client.post(f"/phases/{pilot.id}/owners", data={"owner_name": evil})):
        assert "<script>alert" not in response.text and "<img src=x" not in response.text
        assert evil in soup(response).get_text()


def test_finnish_page_renders(client: TestClient, db: Session, organisation: Organisation,
                              units: list[Unit], framework: Framework) -> None:
    pilot = add_phase(client, db, organisation, "pilot", "Pilotti", focus=["listening"])
    client.post(f"/phases/{pilot.id}/units", data={"unit_id": str(units[0].id)})
    client.post(f"/phases/{pilot.id}/gates", data={"gate_factor": "listening", "gate_level": "3"})
    set_cookie(client, "lang", "fi")
    response = client.get(url(organisation))
    assert response.status_code == 200 and response.headers["content-language"] == "fi"
    page = soup(response)
    assert page.find("html")["lang"] == "fi"
    section = text_of(page.select_one(f"#phase-{pilot.id}"))
    assert "1.1.2027" in section and "31.3.2027" in section
    assert framework.factor("listening").name["fi"] in section
    assert framework.stages[2].name["fi"] in section
    refused = client.post(f"/phases/{pilot.id}/owners", data={"owner_name": "Maija"})
    assert refused.status_code == 422 and soup(refused).find("html")["lang"] == "fi"


def test_roadmap_page_three_ways_and_htmx_posts(
        client: TestClient, db: Session, organisation: Organisation, units: list[Unit]) -> None:
    pilot = add_phase(client, db, organisation, "pilot", "Pilotti")
    full, fragment, restored = (client.get(url(organisation)),
                                client.get(url(organisation), headers=HX),
                                client.get(url(organisation), headers=HISTORY))
    assert full.status_code == fragment.status_code == restored.status_code == 200
    assert full.headers["vary"].startswith("HX-Request")
    assert "<html" in full.text and "<html" in restored.text
    assert "<html" not in fragment.text and soup(fragment).h1 is not None
    assert soup(fragment).select_one(f"#phase-{pilot.id}") is not None
    title = soup(full).title
    assert title is not None and title.find() is None
    assert title.get_text(strip=True).startswith("Roadmap · Esimerkki Oy")
    # Forms post to themselves without JavaScript and swap the content block with htmx.
    form = soup(full).select_one(f"form[action='/phases/{pilot.id}/owners']")
    assert form["method"] == "post" and form["data-hx-post"] == form["action"]
    assert form["data-hx-target"] == "#main"
    failed = client.post(f"/phases/{pilot.id}/owners", data={"owner_name": "Maija"}, headers=HX)
    assert failed.status_code == 422 and "<html" not in failed.text
    assert soup(failed).select_one(f"#error-p{pilot.id}-owner_role") is not None
    added = client.post(f"/phases/{pilot.id}/owners",
                        data={"owner_name": "Maija", "owner_role": "Vetäjä"}, headers=HX)
    assert added.status_code == 200 and "<html" not in added.text  # followed the 303
    assert "Maija — Vetäjä" in text_of(added)


def test_unit_lead_and_strangers_cannot_open_the_roadmap(
        app: FastAPI, db: Session, organisation: Organisation, units: list[Unit]) -> None:
    make_user(db, email="lead@example.com", organisation=organisation, role=Role.unit_lead,
              units=[units[0]])
    with TestClient(app, headers={"Accept-Language": "en"}) as lead:
        csrf_headers(app, lead)
        sign_in(lead, "lead@example.com")
        assert lead.get(url(organisation)).status_code == 403
        assert lead.get(url(organisation), headers=HX).status_code == 403
        assert lead.get("/organisations/999/roadmap").status_code == 404
