"""An organisation with rounds on two frameworks: the roadmap, its gates and actions speak
the framework chosen for it; the dashboard, trends, comparison, brief and exports show one
framework at a time and never match factors across frameworks, even by a shared id."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from assessment import org_frameworks, roadmap, services
from assessment.framework import Framework, load_framework, parse_framework
from assessment.framework_workbook import framework_yaml
from assessment.models import Organisation, Round, Unit, metadata
from assessment.web.app import create_app
from reports.brief import build_brief
from reports.roadmap_report import build_roadmap_report
from tests.conftest import FIXTURES, FRAMEWORKS, csrf_headers, make_settings, sign_in
from tests.factories import make_organisation, make_unit, make_user

OTHER = "another-model"  # sorts before some-maturity


def _other_framework() -> Framework:
    """The three-stage fixture as another framework whose first factor shares an id
    (`listening`) with the default framework."""
    data = yaml.safe_load((FIXTURES / "frameworks" / "three-stages.yaml").read_text("utf-8"))
    data["id"] = OTHER
    data["factors"][0]["id"] = "listening"
    return parse_framework(data, Path("other.yaml"))


@pytest.fixture
def frameworks_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "frameworks"
    shutil.copytree(FRAMEWORKS, directory)
    (directory / f"{OTHER}.yaml").write_text(framework_yaml(_other_framework()), "utf-8")
    return directory


@pytest.fixture
def app(frameworks_dir: Path) -> Iterator[FastAPI]:
    app = create_app(make_settings("sqlite://", frameworks_dir=frameworks_dir))
    metadata.create_all(app.state.engine)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    with Session(app.state.engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app: FastAPI, db: Session) -> Iterator[TestClient]:
    make_user(db, email="admin@example.com", is_admin=True)
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        csrf_headers(app, client)
        sign_in(client, "admin@example.com")
        yield client


@dataclass
class World:
    organisation: Organisation
    units: list[Unit]
    first: Round  # on the default framework
    second: Round  # newer, on the other framework
    default: Framework
    other: Framework


def _answer(db: Session, round_: Round, unit: Unit, framework: Framework, level: str) -> None:
    assessment = services.get_or_create_assessment(db, round_, unit)
    services.save_answers(db, assessment, framework, [
        services.AnswerInput(q.id, level) for f in framework.factors for q in f.questions])
    services.submit_assessment(db, assessment)


def _page(client: TestClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def world(app: FastAPI, db: Session, client: TestClient) -> World:
    registry = app.state.registry
    default, other = registry.get("some-maturity"), registry.get(OTHER)
    organisation = make_organisation(db, name="Kaksi mallia Oy")
    units = [make_unit(db, organisation=organisation, name=n) for n in ("Myynti", "Tuki")]
    first = services.create_round(db, organisation, "Kevät 2026", default)
    for unit in units:
        _answer(db, first, unit, default, "3")  # planned on every factor
    db.commit()
    # The consultant plans a pilot with a gate on listening at "planned" (it holds).
    org_id = organisation.id
    response = client.post(f"/organisations/{org_id}/roadmap/phases",
                           data={"kind": "pilot", "name": "Pilotti"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    phase = roadmap.phases(db, organisation)[0]
    for unit in units:
        client.post(f"/phases/{phase.id}/units", data={"unit_id": str(unit.id)})
    client.post(f"/phases/{phase.id}/gates", data={"gate_factor": "listening",
                                                   "gate_level": "3"})
    # A newer round on the other framework, where "listening" is low.
    second = services.create_round(db, organisation, "Syksy 2026", other)
    for unit in units:
        _answer(db, second, unit, other, "1")
    roadmap.set_target(db, second, units[0], other, "listening", "3")
    db.commit()
    db.refresh(organisation)
    return World(organisation, units, first, second, default, other)


def test_the_roadmap_keeps_its_framework_when_a_round_uses_another(
        client: TestClient, world: World, db: Session, app: FastAPI) -> None:
    assert world.organisation.roadmap_framework_id == "some-maturity"  # kept by the planner
    page = _page(client, f"/organisations/{world.organisation.id}/roadmap")
    assert "Framework of the roadmap: " in page.select_one("#roadmap-framework").get_text()
    text = page.get_text(" ", strip=True)
    gate_text = page.select_one(".gate-list li").get_text(" ", strip=True)
    assert "Listening : at least Planned" in gate_text and "✓ Holds" in gate_text
    assert "Middle" not in text and "Low" not in gate_text  # no stage of the other model
    progress = roadmap.roadmap(db, app.state.registry, world.organisation)
    assert progress[0].gates[0].holds
    assert progress[0].units[0].latest_round.id == world.first.id
    # Choosing the other framework: its rounds decide, and the gate no longer holds.
    client.post(f"/organisations/{world.organisation.id}/roadmap/framework",
                data={"roadmap_framework": OTHER})
    db.refresh(world.organisation)
    assert world.organisation.roadmap_framework_id == OTHER
    progress = roadmap.roadmap(db, app.state.registry, world.organisation)
    assert not progress[0].gates[0].holds
    assert progress[0].units[0].latest_round.id == world.second.id
    response = client.post(f"/organisations/{world.organisation.id}/roadmap/framework",
                           data={"roadmap_framework": "no-such"})
    assert response.status_code == 422 and "Choose one of the frameworks." in response.text


def test_the_roadmap_report_prints_no_other_frameworks_action_ids(
        client: TestClient, world: World, db: Session, app: FastAPI) -> None:
    registry = app.state.registry
    # An action proposed from the other framework (its library id is not the default's).
    gaps = roadmap.gaps(world.other, roadmap.round_scores(
        db, world.other, world.second, [world.units[0].id]).get(world.units[0].id),
        roadmap.targets(db, world.second.id, [world.units[0].id])[world.units[0].id])
    proposed = roadmap.propose_actions(db, world.units[0], world.other, gaps)
    assert [a.library_id for a in proposed] == ["alpha-up"]
    own = roadmap.add_action(db, world.units[0], world.default, "goals",
                             roadmap.ActionInput("Kirjoitetaan tavoitteet", "", None))
    db.commit()
    report = build_roadmap_report(db, registry, world.organisation)
    assert report.framework.id == "some-maturity"
    assert report.rounds == ("Kevät 2026",)
    texts = [a.text["en"] for phase in report.phases for a in phase.actions]
    assert texts == [own.text]
    assert "alpha-up" not in str(report)
    # The unit's plan for the other framework's round shows the proposed action's text.
    plan = _page(client, f"/units/{world.units[0].id}/plan?round={world.second.id}")
    assert "Raise." in plan.get_text() and "alpha-up" not in plan.get_text()
    plan = _page(client, f"/units/{world.units[0].id}/plan?round={world.first.id}")
    assert "Raise." not in plan.get_text()
    assert [o.get_text() for o in plan.select("#plan-round option")] == [
        "Kevät 2026 (Social media maturity: eight success factors)",
        "Syksy 2026 (Three-stage framework)"]
    # The actions export per framework.
    csv = client.get(f"/organisations/{world.organisation.id}/export/actions.csv"
                     f"?framework={OTHER}").content.decode("utf-8-sig")
    assert "Raise." in csv and "Kirjoitetaan" not in csv
    csv = client.get(f"/organisations/{world.organisation.id}/export/actions.csv"
                     "?framework=some-maturity").content.decode("utf-8-sig")
    assert "Raise." not in csv and "Kirjoitetaan" in csv
    assert client.get(f"/organisations/{world.organisation.id}/export/actions.csv"
                      "?framework=nope").status_code == 404


def test_trends_never_match_a_shared_factor_id_across_frameworks(
        client: TestClient, world: World, db: Session) -> None:
    org_id = world.organisation.id
    # By default the dashboard shows the newest round's framework, with both offered.
    page = _page(client, f"/organisations/{org_id}/dashboard")
    links = {a.get_text(strip=True): a["href"] for a in page.select("#framework-choice a")}
    assert set(links.values()) == {f"/organisations/{org_id}/dashboard?framework={OTHER}",
                                   f"/organisations/{org_id}/dashboard?framework=some-maturity"}
    assert page.select_one("#framework-choice [aria-current=page]").get_text() == \
        "Three-stage framework"
    assert [o.get_text() for o in page.select("#field-round option")] == ["Syksy 2026"]
    assert page.select_one(".version-notice") is None  # another framework is no "version"
    assert page.select_one("#one-round") is not None  # one round on this framework
    # The default framework: its own round only; listening is 3.0, never mixed with 1.0.
    page = _page(client, f"/organisations/{org_id}/dashboard?framework=some-maturity")
    assert [o.get_text() for o in page.select("#field-round option")] == ["Kevät 2026"]
    assert page.select_one("input[name=framework]")["value"] == "some-maturity"
    cells = page.select(f"#row-{world.units[0].id} td")
    assert any("3.0" in c.get_text() for c in cells)
    assert "1.0" not in page.select_one(f"#row-{world.units[0].id}").get_text()
    trends = _page(client, f"/organisations/{org_id}/dashboard/factors/listening"
                           "?framework=some-maturity")
    rows = [[td.get_text(strip=True) for td in tr.select("td")]
            for tr in trends.select("table.unit-rounds tbody tr")]
    assert rows == [["3.0"], ["3.0"]]
    unit_trend = _page(client, f"/units/{world.units[0].id}/trend?framework={OTHER}")
    assert "Syksy 2026" in unit_trend.get_text() and "Kevät 2026" not in unit_trend.get_text()
    compare = _page(client, f"/organisations/{org_id}/compare?framework=some-maturity")
    assert [o.get_text() for o in compare.select("#field-round option")] == ["Kevät 2026"]
    assert client.get(f"/organisations/{org_id}/dashboard?framework=nope").status_code == 404
    # A round asked for decides the framework.
    page = _page(client, f"/organisations/{org_id}/dashboard?round={world.first.id}")
    assert page.select_one("#framework-choice [aria-current=page]").get_text() != \
        "Three-stage framework"


def test_the_brief_compares_only_rounds_of_its_rounds_framework(
        world: World, db: Session, app: FastAPI) -> None:
    brief = build_brief(db, app.state.registry, world.organisation, world.first)
    assert [r.id for r in brief.trends.rounds] == [world.first.id]
    assert brief.version_gaps == ()
    brief = build_brief(db, app.state.registry, world.organisation)
    assert [r.id for r in brief.trends.rounds] == [world.second.id]
    assert brief.framework is not None and brief.framework.id == OTHER


def test_an_empty_organisation_uses_the_default_framework_and_can_choose(
        client: TestClient, db: Session, app: FastAPI) -> None:
    organisation = make_organisation(db, name="Tyhjä Oy")
    assert org_frameworks.roadmap_framework(db, app.state.registry, organisation).id == \
        "some-maturity"  # not the file that sorts first
    page = _page(client, f"/organisations/{organisation.id}/roadmap")
    options = [o["value"] for o in page.select("#field-roadmap-framework option")]
    assert set(options) == {"some-maturity", OTHER}
    assert page.select_one("#field-roadmap-framework option[selected]")["value"] == \
        "some-maturity"
    client.post(f"/organisations/{organisation.id}/roadmap/framework",
                data={"roadmap_framework": OTHER})
    page = _page(client, f"/organisations/{organisation.id}/roadmap")
    assert page.select_one("#field-roadmap-framework option[selected]")["value"] == OTHER
    response = client.post(f"/organisations/{organisation.id}/roadmap/phases",
                           data={"kind": "pilot", "name": "P", "focus": "alpha"})
    assert response.status_code == 422  # alpha is renamed: not a factor of the framework
    response = client.post(f"/organisations/{organisation.id}/roadmap/phases",
                           data={"kind": "pilot", "name": "P", "focus": "beta"},
                           follow_redirects=False)
    assert response.status_code == 303


def test_the_organisation_is_exported_with_its_roadmap_framework(
        world: World, db: Session) -> None:
    from assessment.exchange import export_organisation

    data = export_organisation(db, world.organisation)
    assert data["organisation"]["roadmap_framework_id"] == "some-maturity"


def test_the_default_framework_file_loads(frameworks_dir: Path) -> None:
    assert load_framework(frameworks_dir / f"{OTHER}.yaml").factors[0].id == "listening"


def test_the_unit_report_compares_only_with_a_round_on_its_framework(
        world: World, db: Session, app: FastAPI) -> None:
    from reports.unit_report import build_unit_report

    unit = world.units[0]
    gaps = roadmap.gaps(world.other, roadmap.round_scores(
        db, world.other, world.second, [unit.id]).get(unit.id),
        roadmap.targets(db, world.second.id, [unit.id])[unit.id])
    roadmap.propose_actions(db, unit, world.other, gaps)
    db.commit()
    # The earlier round is on another framework: not "the previous round" of this one.
    report = build_unit_report(db, app.state.registry, world.second, unit, min_votes=3)
    assert report.previous_round_name is None
    assert [a.text["en"] for a in report.actions] == ["Raise."]
    # The default framework's report lists none of the other framework's actions.
    report = build_unit_report(db, app.state.registry, world.first, unit, min_votes=3)
    assert report.actions == () and "alpha-up" not in str(report)
