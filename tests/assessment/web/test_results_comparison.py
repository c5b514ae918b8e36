"""The results page puts a unit's self-assessment and workshop side by side."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from assessment import services, workshops
from assessment.framework import Framework
from assessment.models import Assessment, Unit, Workshop
from tests.conftest import set_cookie
from tests.factories import make_organisation, make_unit


def rows(html: str, selector: str) -> list[list[str]]:
    table = BeautifulSoup(html, "html.parser").select_one(selector)
    assert table is not None, f"no {selector} on the page"
    return [[cell.get_text(" ", strip=True) for cell in tr.select("th, td")]
            for tr in table.select("tbody tr")]


def setup(db: Session, framework: Framework, *, self_level: int,
          consensus: dict[str, int]) -> tuple[Assessment, Workshop]:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    own = services.get_or_create_assessment(db, round_, unit)
    services.save_answers(db, own, framework, [
        services.AnswerInput(q.id, str(self_level), None)
        for f in framework.factors for q in f.questions])
    workshop = workshops.create_workshop(db, round_, unit, by=None)
    for factor in framework.factors:
        if factor.id in consensus:
            for question in factor.questions:
                workshops.record_consensus(db, workshop, framework, question.id,
                                           str(consensus[factor.id]), "Sovittiin yhdessä")
    db.commit()
    return own, workshop


def test_self_assessment_and_workshop_side_by_side(client: TestClient, db: Session,
                                                   framework: Framework) -> None:
    first, second = framework.factors[0], framework.factors[1]
    own, workshop = setup(db, framework, self_level=2, consensus={first.id: 3, second.id: 1})
    page = client.get(f"/assessments/{own.id}/results")
    assert page.status_code == 200
    table = {row[0]: row[1:] for row in rows(page.text, "table.comparison")}
    assert len(table) == len(framework.factors)
    first_name = first.name["en"] + (" core" if first.core else "")
    second_name = second.name["en"] + (" core" if second.core else "")
    assert table[first_name] == ["2.0", "3.0", "+1.0"]
    assert table[second_name] == ["2.0", "1.0", "\u22121.0"]
    third = framework.factors[2]
    assert table[third.name["en"] + (" core" if third.core else "")] == [
        "2.0", "Not enough answers", "–"]
    svg = BeautifulSoup(page.text, "html.parser").select_one(".chart svg")
    assert svg is not None and "Self-assessment" in svg.text and "Workshop" in svg.text
    link = f'/assessments/{workshop.assessment_id}/results'
    assert f'href="{link}"' in page.text

    # The workshop's own page compares the same way and names its notes as rationale.
    other = client.get(link)
    assert other.status_code == 200
    assert rows(other.text, "table.comparison") == rows(page.text, "table.comparison")
    assert "Consensus rationale" in other.text and "Sovittiin yhdessä" in other.text
    assert "Results so far: the workshop has not ended yet." in other.text


def test_no_comparison_without_workshop_scores(client: TestClient, db: Session,
                                               framework: Framework) -> None:
    own, workshop = setup(db, framework, self_level=2, consensus={})
    page = client.get(f"/assessments/{own.id}/results")
    assert page.status_code == 200
    assert BeautifulSoup(page.text, "html.parser").select_one("table.comparison") is None
    # Still linked, so the workshop's needs can be found from the unit's results.
    assert f'href="/assessments/{workshop.assessment_id}/results"' in page.text


def test_workshop_results_list_ranked_needs_as_text(client: TestClient, db: Session,
                                                    framework: Framework) -> None:
    _, workshop = setup(db, framework, self_level=2, consensus={})
    for text in ["Yhteinen vuosikello", "<script>alert(1)</script>"]:
        workshops.post_need(db, workshop, framework, None, text, None)
    db.commit()
    page = client.get(f"/assessments/{workshop.assessment_id}/results")
    items = [li.get_text(" ", strip=True)
             for li in BeautifulSoup(page.text, "html.parser").select("ol.needs-ranked > li")]
    assert items == ["Yhteinen vuosikello 0 dots", "<script>alert(1)</script> 0 dots"]
    assert "<script>alert(1)" not in page.text


def test_workshop_results_without_needs_say_so_in_finnish(client: TestClient, db: Session,
                                                          framework: Framework) -> None:
    _, workshop = setup(db, framework, self_level=2, consensus={})
    set_cookie(client, "lang", "fi")
    page = client.get(f"/assessments/{workshop.assessment_id}/results")
    assert page.status_code == 200
    assert "Työpajan tulokset" in page.text
    assert BeautifulSoup(page.text, "html.parser").select_one("ol.needs-ranked") is None


def test_a_partial_workshop_replaces_only_the_factors_it_scored(
        client: TestClient, db: Session, framework: Framework) -> None:
    first = framework.factors[0]
    own, workshop = setup(db, framework, self_level=2, consensus={first.id: 4})
    unit = db.get(Unit, own.unit_id)
    assert unit is not None
    dashboard = client.get(f"/organisations/{unit.organisation_id}/dashboard")
    cells = BeautifulSoup(dashboard.text, "html.parser").select("td.heat")
    by_factor = {td["data-factor"]: td.get_text(" ", strip=True) for td in cells}
    assert by_factor[first.id].startswith("4.0") and "from the workshop consensus" in \
        by_factor[first.id]
    for other in framework.factors[1:]:
        assert by_factor[other.id].startswith("2.0"), "the self-assessment still counts"
        assert "workshop" not in by_factor[other.id]
    table = client.get(f"/organisations/{unit.organisation_id}/export/dashboard.csv").text
    lines = [line for line in table.splitlines()[1:] if line]
    assert sum(line.endswith(",Workshop") for line in lines) == 1
    assert sum(line.endswith(",Self-assessment") for line in lines) == len(framework.factors) - 1
    plan = BeautifulSoup(client.get(f"/units/{unit.id}/plan?round={own.round_id}").text,
                         "html.parser").get_text(" ")
    assert "(workshop consensus)" in plan and "(self-assessment)" in plan

    # The console warns at the wrap-up what ending the workshop will and will not replace.
    wrapup = workshops.agenda(framework)[-1].index
    assert client.post(f"/workshops/{workshop.id}/step", data={"index": str(wrapup)},
                       follow_redirects=False).status_code == 303
    console = BeautifulSoup(client.get(f"/workshops/{workshop.id}").text, "html.parser")
    replaces, keeps = console.select_one("#end-replaces"), console.select_one("#end-keeps")
    assert replaces is not None and first.name["en"] in replaces.get_text()
    assert keeps is not None and framework.factors[1].name["en"] in keeps.get_text()
    assert first.name["en"] not in keeps.get_text()


def test_reopening_the_workshop_result_is_labelled_as_the_workshops(
        client: TestClient, db: Session, framework: Framework) -> None:
    _, workshop = setup(db, framework, self_level=2, consensus={framework.factors[0].id: 3})
    workshops.close_workshop(db, workshop)
    db.commit()
    reopened = client.post(f"/assessments/{workshop.assessment_id}/reopen")
    assert reopened.status_code == 200
    heading = BeautifulSoup(reopened.text, "html.parser").select_one("h1")
    assert heading is not None and heading.get_text().startswith("Workshop assessment")
    assert "Self-assessment" not in heading.get_text()
