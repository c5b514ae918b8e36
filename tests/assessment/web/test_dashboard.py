"""The leadership views through HTTP: the heatmap of units by factor with the weakest link,
stage counts, the sub-tree filter and round picker, units compared, unit trends, framework
versions that differ, rollout progress and the empty states."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from assessment import roadmap, services
from assessment.framework import Framework, FrameworkRegistry, load_framework
from assessment.models import Organisation, Role, Round, Unit
from reports.leadership import heat_class
from tests.conftest import FIXTURES, csrf_headers, sign_in
from tests.factories import make_organisation, make_unit, make_user

HX = {"HX-Request": "true"}
HISTORY = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
CSS = Path(__file__).resolve().parents[3] / "assessment" / "static" / "app.css"


def soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def text_of(node) -> str:  # type: ignore[no-untyped-def]
    """The visible text of an element or a response, with whitespace collapsed."""
    if not isinstance(node, Tag):
        node = soup(node)
    return " ".join(node.get_text(" ").split())


def answer(db: Session, round_: Round, unit: Unit, framework: Framework,
           levels: dict[str, list[int]], default: int | None = None) -> None:
    """A self-assessment: per factor the levels of its first questions (a factor not listed
    gets `default` on every question, or no answers)."""
    assessment = services.get_or_create_assessment(db, round_, unit)
    inputs = []
    for factor in framework.factors:
        chosen = levels.get(factor.id, [default] * len(factor.questions) if default else [])
        inputs += [services.AnswerInput(q.id, str(level))
                   for q, level in zip(factor.questions, chosen, strict=False)]
    services.save_answers(db, assessment, framework, inputs)
    db.commit()


@dataclass
class World:
    organisation: Organisation
    units: dict[str, Unit]
    rounds: list[Round]

    @property
    def url(self) -> str:
        return f"/organisations/{self.organisation.id}/dashboard"


@pytest.fixture
def world(db: Session, framework: Framework) -> World:
    """Asiakaspalvelu > Chat, Markkinointi and Viestintä (never measured); two rounds.

    In the newest round: goals A 2.4, C 1.8, M 3.0 (C weakest); listening A 2.0, C 3.0,
    M 2.0 (A and M tie as weakest); every other factor A 3.0, C 4.0, M 3.0."""
    organisation = make_organisation(db, name="Esimerkki Oy")
    service = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    chat = make_unit(db, organisation=organisation, name="Chat", parent=service)
    marketing = make_unit(db, organisation=organisation, name="Markkinointi")
    comms = make_unit(db, organisation=organisation, name="Viestintä")
    first = services.create_round(db, organisation, "Kevät 2025", framework)
    second = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    answer(db, first, service, framework, {}, default=2)
    answer(db, first, marketing, framework, {}, default=3)
    answer(db, second, service, framework,
           {"goals": [2, 2, 2, 3, 3], "listening": [2, 2, 2, 2, 2]}, default=3)
    answer(db, second, chat, framework,
           {"goals": [1, 2, 2, 2, 2], "listening": [3, 3, 3, 3, 3]}, default=4)
    answer(db, second, marketing, framework, {"listening": [2, 2, 2, 2, 2]}, default=3)
    return World(organisation, {"A": service, "C": chat, "M": marketing, "V": comms},
                 [first, second])


@pytest.fixture
def leadership(app: FastAPI, db: Session, world: World) -> Iterator[TestClient]:
    make_user(db, email="johto@example.com", organisation=world.organisation,
              role=Role.leadership)
    with TestClient(app, headers={"Accept-Language": "en"}) as other:
        csrf_headers(app, other)
        sign_in(other, "johto@example.com")
        yield other


def cell(page: BeautifulSoup, unit: Unit, factor_id: str) -> Tag:
    found = page.select_one(f"table.heatmap #row-{unit.id} td[data-factor='{factor_id}']")
    assert found is not None, (unit.name, factor_id)
    return found


def row_names(page: BeautifulSoup) -> list[str]:
    return [text_of(th) for th in page.select("table.heatmap tbody th[scope=row]")]


def weakest_in(page: BeautifulSoup, factor_id: str) -> list[str]:
    """The units whose cell for the factor is marked weakest."""
    return [text_of(td.find_parent("tr").th) for td in page.select(
        f"table.heatmap td.weakest[data-factor='{factor_id}']")]


def test_heatmap_shows_score_and_stage_and_marks_the_weakest(
        leadership: TestClient, world: World) -> None:
    response = leadership.get(world.url)
    assert response.status_code == 200
    page = soup(response)
    assert text_of(page.h1) == "Dashboard: Esimerkki Oy"
    assert "Units by factor: Kevät 2026" in text_of(page.select_one("#heatmap h2"))
    assert row_names(page) == ["Asiakaspalvelu", "Chat", "Markkinointi", "Viestintä"]
    assert page.select_one(f"#row-{world.units['C'].id} th")["class"] == ["unit", "depth-1"]
    units = world.units
    goals_a = cell(page, units["A"], "goals")
    assert goals_a.select_one(".cell-score").get_text() == "2.4"
    assert goals_a.select_one(".cell-stage").get_text() == "Ad hoc"
    assert "heat-2" in goals_a["class"]  # stage 2 of 5
    assert text_of(cell(page, units["C"], "goals")).startswith("1.8 First steps")
    assert text_of(cell(page, units["C"], "ownership")) == "4.0 Integrated"
    # The weakest unit per factor: its cell says so in text, not by colour alone.
    assert weakest_in(page, "goals") == ["Chat"]
    assert weakest_in(page, "listening") == ["Asiakaspalvelu", "Markkinointi"]  # a tie
    mark = cell(page, units["C"], "goals").select_one(".weakest-mark")
    assert "weakest" in text_of(mark) and "lowest score" in text_of(
        mark.select_one(".visually-hidden"))
    assert mark.select_one("[aria-hidden=true]").get_text() == "▼"
    assert cell(page, units["C"], "ownership").select_one(".weakest-mark") is None
    # A unit without results in the round: one cell that says so.
    missing = page.select_one(f"#row-{units['V'].id} td")
    assert missing["colspan"] == str(8) and text_of(missing) == "No results in this round"
    assert "3 of 4 units have results in this round." in text_of(page.select_one("#heatmap"))
    # Unit names open the unit's trend.
    link = page.select_one(f"#row-{units['M'].id} th a")
    assert link["href"] == f"/units/{units['M'].id}/trend?framework=some-maturity"
    # The legend names every stage and the weakest marker.
    legend = text_of(page.select_one(".heat-legend"))
    assert "1 First steps" in legend and "5 Strategic" in legend and "▼ weakest" in legend


def test_stage_counts_and_profile(leadership: TestClient, world: World,
                                 framework: Framework) -> None:
    page = soup(leadership.get(world.url))
    counts = {text_of(tr.th): [text_of(td) for td in tr.select("td")]
              for tr in page.select("table.stage-counts tbody tr")}
    names = {f.id: f.name["en"] for f in framework.factors}
    assert counts[names["goals"]] == ["1", "1", "1", "0", "0", "1"]
    assert counts[names["listening"]] == ["0", "2", "1", "0", "0", "1"]
    assert counts[names["ownership"]] == ["0", "0", "2", "1", "0", "1"]
    headers = [text_of(th) for th in page.select("table.stage-counts thead th")]
    assert headers == ["Factor", "1. First steps", "2. Ad hoc", "3. Planned",
                       "4. Integrated", "5. Strategic", "Not measured"]
    goals = page.select_one("#profile-goals")
    assert [text_of(td) for td in goals.select("td")] == ["2.4 Ad hoc", "1.8 First steps Chat"]
    listening = page.select_one("#profile-listening")
    assert text_of(listening.select("td")[0]) == "2.3 Ad hoc"  # (2 + 3 + 2) / 3
    assert text_of(listening.select("td")[1]).endswith("Asiakaspalvelu, Markkinointi")
    radar = page.select_one("#profile .chart svg[role=img]")
    assert radar is not None and "Weakest link" in radar.get_text()


def test_sub_tree_filter_and_round_picker(leadership: TestClient, world: World) -> None:
    units = world.units
    page = soup(leadership.get(world.url, params={"unit": units["A"].id}))
    assert row_names(page) == ["Asiakaspalvelu", "Chat"]
    assert page.select_one(f"#row-{units['C'].id} th")["class"] == ["unit", "depth-1"]
    # Within the sub-tree the weakest link is the sub-tree's own.
    assert weakest_in(page, "listening") == ["Asiakaspalvelu"]
    assert weakest_in(page, "goals") == ["Chat"]
    assert "Asiakaspalvelu and the units below it." in text_of(page.select_one("#heatmap"))
    selected = page.select_one("#field-unit option[selected]")
    assert selected["value"] == str(units["A"].id)
    form = page.select_one("form.filters")
    assert form["method"] == "get" and form["action"] == world.url
    assert form["data-hx-get"] == world.url and form["data-hx-push-url"] == "true"
    assert form["data-hx-target"] == "#main"

    older = soup(leadership.get(world.url, params={"round": world.rounds[0].id}))
    assert "Units by factor: Kevät 2025" in text_of(older.select_one("#heatmap h2"))
    assert text_of(cell(older, units["A"], "goals")) == "2.0 Ad hoc ▼ weakest : the " \
        "lowest score of the units shown for Setting goals"
    assert older.select_one(f"#row-{units['C'].id} td.not-measured") is not None
    assert older.select_one("#field-round option[selected]")["value"] == str(
        world.rounds[0].id)
    # The newest round is offered first.
    assert [o.get_text() for o in older.select("#field-round option")] == [
        "Kevät 2026", "Kevät 2025"]


def test_trends_per_factor_with_average_and_weakest(leadership: TestClient,
                                                    world: World) -> None:
    page = soup(leadership.get(world.url))
    figure = page.select_one("#trend-goals")
    assert figure.select_one(".chart svg[role=img]") is not None
    rows = [[text_of(c) for c in tr.select("th, td")]
            for tr in figure.select("table.trend-table tbody tr")]
    assert rows == [["Kevät 2025", "2.5 Ad hoc", "2.0 Ad hoc"],
                    ["Kevät 2026", "2.4 Ad hoc", "1.8 First steps"]]
    # Every unit by round is loaded when opened (htmx), or opened as a page (a link).
    details = figure.select_one("details.unit-trends")
    url = (f"/organisations/{world.organisation.id}/dashboard/factors/goals"
           "?framework=some-maturity")
    assert details["data-hx-get"] == url and details["data-hx-trigger"] == "toggle once"
    assert details.select_one(f".unit-trends-body a[href='{url}']") is not None
    assert details.select_one("table") is None
    full, fragment, restored = (leadership.get(url), leadership.get(url, headers=HX),
                                leadership.get(url, headers=HISTORY))
    assert full.status_code == fragment.status_code == restored.status_code == 200
    assert "<html" in full.text and "<html" in restored.text and "<html" not in fragment.text
    assert soup(fragment).h1 is None
    for response in (full, fragment):
        units = {text_of(tr.th): [text_of(td) for td in tr.select("td")]
                 for tr in soup(response).select("table.unit-rounds tbody tr")}
        assert units == {"Asiakaspalvelu": ["2.0", "2.4"], "Chat": ["–", "1.8"],
                         "Markkinointi": ["3.0", "3.0"], "Viestintä": ["–", "–"]}
    branch = soup(leadership.get(f"{url}&unit={world.units['A'].id}", headers=HX))
    assert [text_of(tr.th) for tr in branch.select("tbody tr")] == ["Asiakaspalvelu", "Chat"]
    assert leadership.get(url.replace("goals", "nonexistent")).status_code == 404
    assert page.select_one(".version-notice") is None


def test_unknown_or_foreign_round_and_unit_are_404(leadership: TestClient, db: Session,
                                                   world: World, framework: Framework) -> None:
    other = make_organisation(db, name="Muu Oy")
    stranger = make_unit(db, organisation=other, name="Vieras")
    foreign_round = services.create_round(db, other, "Vieras kierros", framework)
    db.commit()
    for params in ({"unit": stranger.id}, {"round": foreign_round.id}, {"unit": "abc"},
                   {"round": "999999"}):
        response = leadership.get(world.url, params=params)
        assert response.status_code == 404, params
        assert text_of(soup(response).h1) == "Page not found"
    compare = f"/organisations/{world.organisation.id}/compare"
    assert leadership.get(compare, params={"units": [world.units["A"].id, stranger.id]}
                          ).status_code == 404
    assert leadership.get(compare, params={"round": foreign_round.id}).status_code == 404
    assert leadership.get(f"/units/{stranger.id}/trend").status_code == 404
    assert leadership.get(f"/organisations/{other.id}/dashboard").status_code == 404


def test_no_rounds_gives_an_empty_state_pointing_to_starting_one(
        client: TestClient, db: Session) -> None:
    organisation = make_organisation(db, name="Tyhjä Oy")
    make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    response = client.get(f"/organisations/{organisation.id}/dashboard")
    assert response.status_code == 200
    empty = soup(response).select_one("#no-rounds")
    assert "No assessment rounds yet" in text_of(empty)
    assert empty.a["href"] == f"/organisations/{organisation.id}#rounds"
    assert soup(response).select_one("#heatmap") is None
    assert soup(response).select_one("#no-phases") is not None
    compare = client.get(f"/organisations/{organisation.id}/compare")
    assert compare.status_code == 200 and soup(compare).select_one("#no-rounds")


def test_a_round_without_assessments_gives_an_empty_state(
        leadership: TestClient, db: Session, world: World, framework: Framework) -> None:
    services.create_round(db, world.organisation, "Syksy 2026", framework)
    db.commit()
    response = leadership.get(world.url)
    assert response.status_code == 200
    page = soup(response)
    assert "No results in Syksy 2026 yet" in text_of(page.select_one("#no-results"))
    assert page.select_one("table.heatmap") is None and page.select_one("#profile") is None
    # The trends still show the earlier rounds; the empty round has no values.
    rows = [[text_of(c) for c in tr.select("th, td")]
            for tr in page.select("#trend-goals table.trend-table tbody tr")]
    assert rows[-1] == ["Syksy 2026", "Not measured", "Not measured"]


def test_one_round_only_says_a_trend_needs_two(client: TestClient, db: Session,
                                               framework: Framework) -> None:
    organisation = make_organisation(db, name="Yksi Oy")
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    answer(db, round_, unit, framework, {}, default=3)
    page = soup(client.get(f"/organisations/{organisation.id}/dashboard"))
    assert "A trend needs at least two rounds" in text_of(page.select_one("#one-round"))
    assert page.select_one("table.heatmap") is not None
    trend = client.get(f"/units/{unit.id}/trend")
    assert trend.status_code == 200
    assert "A trend needs two rounds: Asiakaspalvelu has results from Kevät 2026 only" in \
        text_of(soup(trend).select_one("#one-round"))
    assert soup(trend).select_one("#versus svg[role=img]") is not None
    assert soup(trend).select_one("#trends") is None


def test_unit_trend_beside_the_organisation(leadership: TestClient, world: World) -> None:
    unit = world.units["A"]
    response = leadership.get(f"/units/{unit.id}/trend")
    assert response.status_code == 200
    page = soup(response)
    assert text_of(page.h1) == "Trend: Asiakaspalvelu"
    assert "Asiakaspalvelu and the organisation: Kevät 2026" in text_of(
        page.select_one("#versus h2"))
    assert [text_of(td) for td in page.select("#versus-goals td")] == [
        "2.4 Ad hoc", "2.4 Ad hoc", "1.8 First steps"]
    rows = [[text_of(c) for c in tr.select("th, td")]
            for tr in page.select("#trend-listening table.trend-table tbody tr")]
    assert rows == [["Kevät 2025", "2.0 Ad hoc", "2.5 Ad hoc", "2.0 Ad hoc"],
                    ["Kevät 2026", "2.0 Ad hoc", "2.3 Ad hoc", "2.0 Ad hoc"]]
    assert page.select_one("#trend-listening svg[role=img]") is not None
    crumbs = page.select(".breadcrumbs a")
    assert crumbs[-1]["href"] == (f"/organisations/{world.organisation.id}/dashboard"
                                  "?framework=some-maturity")
    never = soup(leadership.get(f"/units/{world.units['V'].id}/trend"))
    assert "Viestintä has no results in any round yet." in text_of(never.select_one("#no-results"))


def test_unit_lead_sees_their_units_trend_without_the_dashboard(
        app: FastAPI, db: Session, world: World) -> None:
    make_user(db, email="lead@example.com", organisation=world.organisation,
              role=Role.unit_lead, units=[world.units["A"]])
    with TestClient(app, headers={"Accept-Language": "en"}) as lead:
        csrf_headers(app, lead)
        sign_in(lead, "lead@example.com")
        own = lead.get(f"/units/{world.units['C'].id}/trend")
        assert own.status_code == 200
        assert not soup(own).select(".breadcrumbs a[href$='/dashboard']")
        assert lead.get(f"/units/{world.units['M'].id}/trend").status_code == 403
        assert lead.get(world.url).status_code == 403


def test_compare_units_with_the_average(leadership: TestClient, world: World) -> None:
    url = f"/organisations/{world.organisation.id}/compare"
    units = world.units
    first = leadership.get(url)
    assert first.status_code == 200 and soup(first).select_one("#choose-units")
    response = leadership.get(url, params={"units": [units["M"].id, units["A"].id,
                                                     units["V"].id],
                                           "average": "1"})
    assert response.status_code == 200
    page = soup(response)
    headers = [text_of(th) for th in page.select("table.compared thead th")]
    # Units in tree order, then the average.
    assert headers == ["Factor", "Asiakaspalvelu", "Markkinointi", "Viestintä",
                       "Organisation average"]
    goals = page.select("table.compared tbody tr")[0]
    assert [text_of(td) for td in goals.select("td")] == [
        "2.4 Ad hoc", "3.0 Planned", "Not measured", "2.4 Ad hoc"]
    assert "No results in Kevät 2026: Viestintä." in text_of(page.select_one("#unmeasured"))
    radar = page.select_one("#comparison svg[role=img]")
    assert radar is not None and "Organisation average" in radar.get_text()
    checked = [i["value"] for i in page.select("input[name=units][checked]")]
    assert checked == [str(units["A"].id), str(units["M"].id), str(units["V"].id)]
    assert page.select_one("#field-average").has_attr("checked")


def test_compare_more_than_five_units_is_a_form_error(leadership: TestClient, db: Session,
                                                      world: World) -> None:
    extra = [make_unit(db, organisation=world.organisation, name=f"Yksikkö {n}")
             for n in range(2)]
    chosen = [*world.units.values(), *extra]
    url = f"/organisations/{world.organisation.id}/compare"
    response = leadership.get(url, params={"units": [u.id for u in chosen]})
    assert response.status_code == 422
    page = soup(response)
    assert text_of(page.select_one("#compare-error")) == "Choose at most 5 units: you chose 6."
    assert page.select_one("fieldset")["aria-describedby"] == "error-units"
    assert len(page.select("input[name=units][checked]")) == 6
    assert page.select_one("#comparison") is None
    fragment = leadership.get(url, params={"units": [u.id for u in chosen]}, headers=HX)
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert "Choose at most 5 units" in fragment.text


def differing_framework(framework: Framework) -> Framework:
    """The default framework as an earlier version: no listening, and goals under another id."""
    factors = [f.model_copy(update={"id": "aims"}) if f.id == "goals" else f
               for f in framework.factors if f.id != "listening"]
    return framework.model_copy(update={"version": "2025.9", "factors": factors})


def test_rounds_on_another_framework_version_are_compared_on_shared_factors(
        leadership: TestClient, db: Session, framework: Framework) -> None:
    older = differing_framework(framework)
    organisation = make_organisation(db, name="Versio Oy")
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    make_user(db, email="johto2@example.com", organisation=organisation, role=Role.leadership)
    first = services.create_round(db, organisation, "Syksy 2024", older)
    second = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    answer(db, first, unit, older, {}, default=2)
    answer(db, second, unit, framework, {}, default=3)
    sign_in(leadership, "johto2@example.com")
    page = soup(leadership.get(f"/organisations/{organisation.id}/dashboard"))
    notice = text_of(page.select_one(".version-notice"))
    assert "Rounds answered on framework version 2025.9 are compared only on the factors " \
           f"they share with the newest round ({framework.version}): Syksy 2024. Not in " \
           "version 2025.9: Setting goals, Listening." in notice
    assert "compared on the factor's score and stage only" not in notice  # same questions

    def rows(factor_id: str) -> list[list[str]]:
        return [[text_of(c) for c in tr.select("th, td")]
                for tr in page.select(f"#trend-{factor_id} table.trend-table tbody tr")]

    assert rows("ownership") == [["Syksy 2024 † framework version 2025.9", "2.0 Ad hoc",
                                  "2.0 Ad hoc"], ["Kevät 2026", "3.0 Planned", "3.0 Planned"]]
    for factor_id in ("listening", "goals"):  # removed, and renamed: not shared
        assert rows(factor_id)[0] == ["Syksy 2024 † framework version 2025.9",
                                      "Not in this round's framework version"]
    assert page.select_one("#trend-aims") is None  # only the older version has it
    # The unit's own trend says the same.
    trend = soup(leadership.get(f"/units/{unit.id}/trend"))
    assert "framework version 2025.9" in text_of(trend.select_one(".version-notice"))
    # The older round's heatmap uses that round's own factors.
    own = soup(leadership.get(f"/organisations/{organisation.id}/dashboard",
                              params={"round": first.id}))
    columns = [th["id"] for th in own.select("table.heatmap thead th[id]")]
    assert "col-aims" in columns and "col-listening" not in columns


def test_rollout_progress_planned_vs_achieved(leadership: TestClient, db: Session,
                                              world: World, framework: Framework) -> None:
    organisation, units = world.organisation, world.units
    pilot = roadmap.create_phase(db, organisation, framework, roadmap.PhaseInput(
        "pilot", "Asiakaspalvelun pilotti", None, None, ["goals", "listening"]))
    roadmap.place_unit(db, pilot, units["A"])
    roadmap.set_gate(db, pilot, framework, "goals", "3")
    roadmap.set_gate(db, pilot, framework, "listening", "2")
    for factor_id, level in (("goals", "3"), ("listening", "2"), ("ownership", "4")):
        roadmap.set_target(db, world.rounds[1], units["A"], framework, factor_id, level)
    wave = roadmap.create_phase(db, organisation, framework, roadmap.PhaseInput(
        "wave", "Ensimmäinen aalto", None, None, []))
    roadmap.place_unit(db, wave, units["M"])
    roadmap.place_unit(db, wave, units["V"])
    db.commit()
    page = soup(leadership.get(world.url))
    row = page.select_one(f"#rollout-{pilot.id}")
    cells = [text_of(td) for td in row.select("td")]
    assert text_of(row.th) == "Pilot Asiakaspalvelun pilotti"
    # Focus factors only: listening reached (2 ≥ 2), goals not (stage 2 < 3).
    assert cells == ["Asiakaspalvelu 1 of 1 measured", "1 of 2 hold", "1 of 2 reached"]
    wave_cells = [text_of(td) for td in page.select_one(f"#rollout-{wave.id}").select("td")]
    assert text_of(page.select_one(f"#rollout-{wave.id} th")) == "Wave 1 Ensimmäinen aalto"
    assert wave_cells == ["Markkinointi, Viestintä 1 of 2 measured", "No gates",
                          "No targets yet"]
    assert page.select_one("#rollout a")["href"] == f"{world.url.rsplit('/', 1)[0]}/roadmap"


def test_finnish_uses_decimal_commas_and_finnish_names(leadership: TestClient,
                                                       world: World) -> None:
    leadership.cookies.set("lang", "fi")
    response = leadership.get(world.url)
    assert response.headers["content-language"] == "fi"
    page = soup(response)
    assert text_of(cell(page, world.units["A"], "goals")).startswith("2,4 Ad hoc")
    assert text_of(cell(page, world.units["M"], "goals")).startswith("3,0 Suunnitelmallinen")
    assert "Tavoitteiden asettaminen" in text_of(page.select_one("table.heatmap thead"))
    assert text_of(page.select_one("#profile-goals td")) == "2,4 Ad hoc"
    trend = soup(leadership.get(f"/units/{world.units['A'].id}/trend"))
    assert text_of(trend.select_one("#versus-goals td")) == "2,4 Ad hoc"


@pytest.mark.parametrize("path", ["/organisations/{org}/dashboard?unit={unit}",
                                  "/organisations/{org}/compare?units={unit}&average=1",
                                  "/units/{unit}/trend"])
def test_every_page_three_ways(leadership: TestClient, world: World, path: str) -> None:
    url = path.format(org=world.organisation.id, unit=world.units["A"].id)
    full, fragment, restored = (leadership.get(url), leadership.get(url, headers=HX),
                                leadership.get(url, headers=HISTORY))
    assert full.status_code == fragment.status_code == restored.status_code == 200
    assert "<html" in full.text and "<html" in restored.text
    assert "<html" not in fragment.text and soup(fragment).h1 is not None
    assert full.headers["vary"].startswith("HX-Request")
    title = soup(full).title
    assert title is not None and title.find() is None
    assert 0 < len(title.get_text(strip=True)) < 120
    # The fragment is the page's content: the same headings as the full page's main.
    assert [text_of(h) for h in soup(fragment).select("h2")] == [
        text_of(h) for h in soup(full).select("main h2")]


def test_organisation_page_links_the_dashboard(leadership: TestClient, world: World) -> None:
    page = soup(leadership.get(f"/organisations/{world.organisation.id}"))
    assert page.select_one(f"a[href='{world.url}']") is not None


def test_framework_with_three_stages_spans_the_whole_colour_scale(
        client: TestClient, db: Session) -> None:
    three = load_framework(FIXTURES / "frameworks" / "three-stages.yaml")
    organisation = make_organisation(db, name="Kolme Oy")
    units = [make_unit(db, organisation=organisation, name=n) for n in ("A", "B", "C")]
    round_ = services.create_round(db, organisation, "Kierros", three)
    db.commit()
    for unit, level in zip(units, (1, 2, 3), strict=True):
        answer(db, round_, unit, three, {}, default=level)
    page = soup(client.get(f"/organisations/{organisation.id}/dashboard"))
    classes = [next(c for c in cell(page, u, "alpha")["class"] if c.startswith("heat-"))
               for u in units]
    assert classes == ["heat-0", "heat-3", "heat-6"]
    assert len(page.select("table.stage-counts thead th")) == 1 + 3 + 1


def test_heat_classes_run_from_first_to_last_stage() -> None:
    for stages in range(3, 8):
        assert heat_class(1, stages) == "heat-0"
        assert heat_class(stages, stages) == "heat-6"
        steps = [int(heat_class(level, stages).split("-")[1]) for level in range(1, stages + 1)]
        assert steps == sorted(set(steps))  # each stage its own, darker colour
    assert heat_class(None, 5) == "heat-none"


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_heat_colours_keep_the_text_readable() -> None:
    rules = re.findall(r"\.heat-(\d|none) \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6}); \}",
                       CSS.read_text(encoding="utf-8"))
    assert {name for name, _, _ in rules} == {*map(str, range(7)), "none"}
    for name, background, text in rules:
        light, dark = sorted((_luminance(background), _luminance(text)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, name  # WCAG AA for normal text


def test_html_in_names_is_shown_as_text(leadership: TestClient, db: Session,
                                        world: World) -> None:
    odd = make_unit(db, organisation=world.organisation, name="R&D <b>lab</b>")
    page = soup(leadership.get(world.url))
    assert text_of(page.select_one(f"#row-{odd.id} th")) == "R&D <b>lab</b>"
    compare = soup(leadership.get(f"/organisations/{world.organisation.id}/compare",
                                  params={"units": [odd.id, world.units["A"].id]}))
    assert "No results in Kevät 2026: R&D <b>lab</b>." in text_of(compare.select_one("#unmeasured"))
    assert compare.select("main b") == []
    trend = soup(leadership.get(f"/units/{odd.id}/trend"))
    assert text_of(trend.h1) == "Trend: R&D <b>lab</b>"


def test_rounds_on_2026_1_and_2026_2_say_the_questions_differ(
        leadership: TestClient, db: Session, framework: Framework,
        registry: FrameworkRegistry) -> None:
    earlier = registry.earlier(framework)
    assert earlier is not None and earlier.version == "2026.1"
    organisation = make_organisation(db, name="Versiot Oy")
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    make_user(db, email="johto3@example.com", organisation=organisation, role=Role.leadership)
    first = services.create_round(db, organisation, "Kevät 2026", earlier)
    second = services.create_round(db, organisation, "Syksy 2026", framework)
    db.commit()
    answer(db, first, unit, earlier, {}, default=2)
    answer(db, second, unit, framework, {}, default=3)
    sign_in(leadership, "johto3@example.com")
    page = soup(leadership.get(f"/organisations/{organisation.id}/dashboard"))
    notice = text_of(page.select_one(".version-notice"))
    assert "framework version 2026.1" in notice
    assert "so they are compared on the factor's score and stage only, never question by " \
           "question: " + ", ".join(f.name["en"] for f in framework.factors) in notice
    scope = page.select_one(".scope-notice")
    assert scope is not None and "do not tell units apart" in text_of(scope)
    marked = [text_of(li) for li in scope.select("li")]
    expected = [f for f in framework.factors if any(q.scope == "organisation"
                                                    for q in f.questions)]
    assert [m.split(":")[0] for m in marked] == [f.name["en"] for f in expected]
