"""A unit's plan over HTTP: targets by hand, gaps, and actions from the framework."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment import services
from assessment.framework import Framework
from assessment.models import Action, Organisation, Role, Round, Target, Unit
from tests.conftest import csrf_headers, set_cookie, sign_in
from tests.factories import make_organisation, make_unit, make_user

HX = {"HX-Request": "true"}
HISTORY = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ").split())


def assessed(db: Session, framework: Framework, level: int = 2,
             ) -> tuple[Organisation, Unit, Round]:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    assessment = services.get_or_create_assessment(db, round_, unit)
    services.save_answers(db, assessment, framework, [
        services.AnswerInput(q.id, str(level)) for f in framework.factors for q in f.questions])
    db.commit()
    return organisation, unit, round_


def gap_rows(html: str) -> dict[str, list[str]]:
    table = BeautifulSoup(html, "html.parser").select_one("table.gaps")
    assert table is not None
    result = {}
    for tr in table.select("tbody tr"):
        cells = tr.select("th, td")
        result[cells[0].get_text(" ", strip=True).removesuffix(" core")] = [
            c.get_text(" ", strip=True) for c in cells[1:]]
    return result


def test_plan_without_rounds_says_what_to_do(client: TestClient, db: Session) -> None:
    unit = make_unit(db, organisation=make_organisation(db))
    page = client.get(f"/units/{unit.id}/plan")
    assert page.status_code == 200
    assert "No rounds yet. Start a round on the organisation page" in page_text(page)


def test_targets_by_hand_show_gaps_here_and_on_the_results(client: TestClient, db: Session,
                                                           framework: Framework) -> None:
    _, unit, round_ = assessed(db, framework)
    first, second = framework.factors[0], framework.factors[1]
    saved = client.post(f"/rounds/{round_.id}/units/{unit.id}/targets",
                        data={f"target-{first.id}": "4", f"target-{second.id}": ""},
                        follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/units/{unit.id}/plan?round={round_.id}#targets"
    plan = client.get(saved.headers["location"]).text
    rows = gap_rows(plan)
    score, current, _, gap = rows[first.name["en"]]
    assert (score, current, gap) == ("2.0", "Ad hoc (self-assessment)", "2 stages")
    chosen = BeautifulSoup(plan, "html.parser").select_one(
        f"select[name=target-{first.id}] option[selected]")
    assert chosen is not None and chosen["value"] == "4"
    assert rows[second.name["en"]][-1] == "–"

    bad = client.post(f"/rounds/{round_.id}/units/{unit.id}/targets",
                      data={f"target-{first.id}": "2", f"target-{second.id}": "9"})
    assert bad.status_code == 422
    assert "Choose one of the stages 1–5." in page_text(bad)
    assert [(t.factor_id, t.level) for t in db.exec(select(Target))] == [(first.id, 4)], \
        "a bad target changes nothing, not even the valid ones in the same form"

    assessment = services.assessments_in_round(db, round_)[unit.id or 0]
    results = client.get(f"/assessments/{assessment.id}/results")
    assert gap_rows(results.text)[first.name["en"]] == ["Ad hoc", "Integrated", "2 stages"]
    assert f'href="/units/{unit.id}/plan?round={round_.id}"' in results.text


def test_actions_proposed_edited_and_removed(client: TestClient, db: Session,
                                             framework: Framework) -> None:
    _, unit, round_ = assessed(db, framework)
    factor = framework.factors[2]
    client.post(f"/rounds/{round_.id}/units/{unit.id}/targets", data={f"target-{factor.id}": "3"})
    proposed = client.post(f"/rounds/{round_.id}/units/{unit.id}/actions/propose",
                           follow_redirects=False)
    assert proposed.status_code == 303
    library = [a for a in factor.actions if a.from_stage == framework.stage_by_level(2).id]
    stored = list(db.exec(select(Action).order_by(Action.position)))  # type: ignore[arg-type]
    assert [a.library_id for a in stored] == [a.id for a in library]
    page = client.get(f"/units/{unit.id}/plan")
    texts = [p.get_text(strip=True) for p in
             BeautifulSoup(page.text, "html.parser").select(".action-text")]
    assert texts == [a.text["en"] for a in library]
    set_cookie(client, "lang", "fi")
    finnish = client.get(f"/units/{unit.id}/plan")
    assert library[0].text["fi"] in finnish.text and "Tavoitteet ja erot" in finnish.text
    set_cookie(client, "lang", "en")

    action = stored[0]
    bad = client.post(f"/actions/{action.id}", data={
        "text": "Uusi", "owner": "Mia", "due_on": "15.2.2027", "status": "planned",
        "round": str(round_.id)})
    assert bad.status_code == 422 and "Enter the date as YYYY-MM-DD." in page_text(bad)
    db.refresh(action)
    assert action.text == "" and action.owner == ""
    good = client.post(f"/actions/{action.id}", data={
        "text": "Perustetaan <b>sometiimi</b>", "owner": "Mia Virtanen", "due_on": "2027-02-15",
        "status": "in_progress", "round": str(round_.id)}, follow_redirects=False)
    assert good.status_code == 303
    page = client.get(f"/units/{unit.id}/plan")
    assert "Perustetaan &lt;b&gt;sometiimi&lt;/b&gt;" in page.text
    assert "Owner: Mia Virtanen" in page_text(page) and "Due 15 Feb 2027" in page_text(page)

    added = client.post(f"/units/{unit.id}/actions", data={
        "factor_id": factor.id, "text": "", "round": str(round_.id)})
    assert added.status_code == 422 and "Describe the action." in page_text(added)
    removed = client.post(f"/actions/{action.id}/delete", data={"round": str(round_.id)},
                          follow_redirects=False)
    assert removed.status_code == 303
    assert len(list(db.exec(select(Action)))) == len(library) - 1


def test_leadership_and_unit_leads_read_the_plan_without_forms(
        app: FastAPI, db: Session, framework: Framework) -> None:
    organisation, unit, round_ = assessed(db, framework)
    make_user(db, email="johto@example.com", organisation=organisation, role=Role.leadership)
    make_user(db, email="lead@example.com", organisation=organisation, role=Role.unit_lead,
              units=[unit])
    for email in ("johto@example.com", "lead@example.com"):
        with TestClient(app, headers={"Accept-Language": "en"}) as reader:
            csrf_headers(app, reader)
            sign_in(reader, email)
            page = reader.get(f"/units/{unit.id}/plan")
            assert page.status_code == 200 and "Targets and gaps" in page.text
            assert BeautifulSoup(page.text, "html.parser").select("main form[method=post]") == []
            assert reader.post(f"/rounds/{round_.id}/units/{unit.id}/targets",
                               data={}).status_code == 403


def test_plan_page_three_ways_and_a_foreign_round(client: TestClient, db: Session,
                                                  framework: Framework) -> None:
    _, unit, round_ = assessed(db, framework)
    other_org = make_organisation(db, name="Muu Oy")
    foreign = services.create_round(db, other_org, "Muu", framework)
    db.commit()
    url = f"/units/{unit.id}/plan?round={round_.id}"
    full, fragment, restored = (client.get(url), client.get(url, headers=HX),
                                client.get(url, headers=HISTORY))
    assert full.status_code == fragment.status_code == restored.status_code == 200
    assert "<html" in full.text and "<html" in restored.text and "<html" not in fragment.text
    assert client.get(f"/units/{unit.id}/plan?round={foreign.id}").status_code == 404
