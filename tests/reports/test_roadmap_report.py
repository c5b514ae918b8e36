"""The roadmap report: built as data, rendered to PDF and read back with a real PDF parser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from assessment.cli import app as cli
from assessment.db import create_db_engine
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Catalogues, Translator
from assessment.models import metadata
from reports.pdf import LocalOnlyFetcher, report_environment
from reports.roadmap_report import (
    RoadmapReport,
    build_roadmap_report,
    roadmap_filename,
    roadmap_report_html,
)
from tests.factories import make_organisation, make_unit
from tests.reports.conftest import read_back
from tests.reports.roadmap_world import (
    HOSTILE_ACTION,
    HOSTILE_OWNER,
    WAVE_UNITS,
    make_roadmap_world,
)

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


# The data ---------------------------------------------------------------------------------

def test_the_report_gathers_phases_gates_actions_and_standings(
        session: Session, registry: FrameworkRegistry, framework: Framework) -> None:
    world = make_roadmap_world(session, framework)
    report = build_roadmap_report(session, registry, world.organisation, now=NOW)
    assert not report.empty
    assert [(p.kind, p.wave, p.name) for p in report.phases] == [
        ("needs", None, "Tarpeet ja odotukset"), ("pilot", None, "Asiakaspalvelun pilotti"),
        ("wave", 1, "Myynnin aalto"), ("wave", 2, "Aalto ilman päiviä")]
    needs, pilot, wave, undated = report.phases
    assert [u.name for u in pilot.units] == ["Asiakaspalvelu", "Puhelinpalvelu"]
    assert pilot.focus == ("ownership", "listening")
    assert [(o.name, o.role) for o in pilot.owners][1] == (HOSTILE_OWNER, "Yhteisömanageri")
    # The pilot unit: targets from the spring, measured again in the autumn.
    unit = pilot.units[0]
    assert (unit.plan_round, unit.latest_round) == ("Kevät 2026", "Syksy 2026")
    assert unit.targets == {"ownership": 4, "listening": 3}
    assert unit.baseline["ownership"] == 2 and unit.latest["ownership"] == 3
    assert unit.scores["listening"] == Decimal("3.4")
    # Listening ≥ 3: the pilot unit has it, the phone service (2.4) not yet.
    gate = pilot.gates[0]
    assert (gate.factor_id, gate.level, gate.reached, gate.units, gate.holds) == (
        "listening", 3, 1, 2, False)
    assert report.gates == 1 and report.gates_holding == 0
    # Actions: the proposals for the pilot unit's gaps plus its own; one dropped, one done.
    assert len(pilot.actions) == report.actions_done + report.actions_open + \
        report.actions_dropped
    assert (report.actions_done, report.actions_dropped) == (1, 1)
    own = next(a for a in pilot.actions if a.owner == HOSTILE_OWNER)
    assert own.text == {"fi": HOSTILE_ACTION, "en": HOSTILE_ACTION}
    assert any(a.text["fi"] != a.text["en"] for a in pilot.actions)  # library actions
    # A radar tells five units apart: the pilot's two are drawn, the wave's six are not.
    assert pilot.on_radar and not wave.on_radar and len(wave.measured) == WAVE_UNITS
    assert not needs.on_radar and not needs.units and not undated.units
    assert [p.name for p in report.timed] == ["Tarpeet ja odotukset",
                                              "Asiakaspalvelun pilotti", "Myynnin aalto"]
    # Where the organisation is weakest: measuring, dragged down by the wave's units.
    weakest = report.weakest_factors[0]
    assert weakest.factor_id == "measurement" and weakest.average == Decimal("1.8")
    assert weakest.weakest_score == Decimal("1.4") and len(weakest.weakest) == WAVE_UNITS
    assert report.latest_round == "Syksy 2026" and report.measured_units == 8
    assert report.unplanned == ("Talous",)
    assert [row.name for row in report.appendix if not row.measured] == ["Talous"]


def test_an_organisation_without_phases_or_rounds_is_an_empty_report(
        session: Session, registry: FrameworkRegistry) -> None:
    organisation = make_organisation(session, name="Tyhjä Oy")
    make_unit(session, organisation=organisation, name="Ainoa")
    report = build_roadmap_report(session, registry, organisation, now=NOW)
    assert report.empty and report.rounds == () and report.latest_round is None
    assert report.appendix == () and report.standings == () and report.unplanned == ("Ainoa",)


# The PDF ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    """A report rendered in one language, and its PDF read back."""

    report: RoadmapReport
    t: Translator
    html: str
    reader: pypdf.PdfReader
    pages: list[str]
    fetcher: LocalOnlyFetcher

    def page_of(self, heading: str) -> int:
        """The page that starts with the heading (the running header comes last in the
        extracted text)."""
        return next(i for i, text in enumerate(self.pages) if text.startswith(heading))


def _render(report: RoadmapReport, t: Translator) -> Rendered:
    html = roadmap_report_html(report, t, report_environment())
    _pdf, reader, pages, fetcher = read_back(html)
    return Rendered(report, t, html, reader, pages, fetcher)


@pytest.fixture(scope="module")
def reports(registry: FrameworkRegistry, framework: Framework) -> Iterator[dict[str, Rendered]]:
    """The roadmap in Finnish and English, and an empty organisation's (rendered once)."""
    engine = create_db_engine("sqlite://")
    metadata.create_all(engine)
    catalogues = Catalogues()
    with Session(engine, expire_on_commit=False) as session:
        world = make_roadmap_world(session, framework)
        full = build_roadmap_report(session, registry, world.organisation, now=NOW)
        empty = build_roadmap_report(session, registry,
                                     make_organisation(session, name="Tyhjä Oy"), now=NOW)
    yield {"fi": _render(full, catalogues.translator("fi")),
           "en": _render(full, catalogues.translator("en")),
           "empty": _render(empty, catalogues.translator("en"))}
    engine.dispose()


def _destination_page(reader: pypdf.PdfReader, annotation: pypdf.generic.DictionaryObject,
                      ) -> int:
    target = annotation.get("/Dest")
    if target is None:
        action = annotation["/A"]
        assert action["/S"] == "/GoTo"
        target = action["/D"]
    if isinstance(target, str):
        return reader.get_destination_page_number(reader.named_destinations[str(target)])
    return reader.get_page_number(target[0].get_object())


PHASE_TITLES = ["Needs and expectations: Tarpeet ja odotukset", "Pilot: Asiakaspalvelun pilotti",
                "Wave 1: Myynnin aalto", "Wave 2: Aalto ilman päiviä"]


def test_the_contents_link_to_every_section_on_its_page(reports: dict[str, Rendered]) -> None:
    rendered = reports["en"]
    reader, pages = rendered.reader, rendered.pages
    assert "Rollout roadmap".upper() in pages[0] and "Tiekarttatesti Oy" in pages[0]
    # The one-page executive summary opens the report; the contents follow it.
    assert pages[1].lstrip().startswith("Executive summary")
    assert "Contents" in pages[2]
    entries = ["Executive summary", "Summary", "Timeline", "Phases",
               "Appendix: unit scores", *PHASE_TITLES]
    for entry in entries:
        assert entry in pages[2], entry
    links = [a.get_object() for a in reader.pages[2].get("/Annots", [])
             if a.get_object()["/Subtype"] == "/Link"]
    targets = {_destination_page(reader, link) for link in links}
    assert len(links) >= len(entries)
    # Each phase has a section of its own, starting on the page its contents entry names.
    starts = [rendered.page_of(title) for title in PHASE_TITLES]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert set(starts) <= targets
    assert rendered.page_of("Appendix: unit scores") in targets
    assert not any("/URI" in str(a.get_object().get("/A", {}))
                   for page in reader.pages for a in page.get("/Annots", []))


def test_every_page_has_its_number_and_the_running_header(
        reports: dict[str, Rendered]) -> None:
    for language in ("en", "fi"):
        rendered = reports[language]
        count = len(rendered.pages)
        assert count > 8
        for number, text in enumerate(rendered.pages, start=1):
            wanted = rendered.t.gettext("Page {page} / {pages}", page=number, pages=count)
            assert wanted in text, (language, number)
        header = f"Tiekarttatesti Oy · {rendered.t.date(NOW)}"
        assert header in rendered.pages[2] and header in rendered.pages[-1]
        assert header not in rendered.pages[0]  # not on the cover
    assert "Tiekarttatesti Oy · 23.11.2026" in reports["fi"].pages[3]


def test_each_phase_section_has_its_owners_gates_units_and_actions(
        reports: dict[str, Rendered]) -> None:
    rendered = reports["en"]
    pilot = rendered.page_of("Pilot: Asiakaspalvelun pilotti")
    wave = rendered.page_of("Wave 1: Myynnin aalto")
    section = " ".join(" ".join(rendered.pages[pilot:wave]).split())
    for expected in ("2 Mar 2026 – 28 Aug 2026", "Defining ownership", "Listening",
                     "Ulla Yksikkö", "Pilotin omistaja",
                     "Gate criteria", "✗ Not yet", "1 / 2", "Planned and achieved",
                     "Targets from Kevät 2026.", "Latest measurement: Syksy 2026.",
                     "4. Integrated", "2. Ad hoc", "3. Planned", "1 stage to go", "✓ Reached",
                     "Roadmap actions", "Due 23 Nov 2026", "Done", "Dropped",
                     "The radar's values", "Latest scores: Pilot: Asiakaspalvelun pilotti"):
        assert expected in section, expected
    # The wave's six units are too many for one radar: their scores are a table only.
    later = " ".join(" ".join(rendered.pages[wave:]).split())
    assert "The phase has 6 measured units, more than one radar can tell apart" in later
    soup = BeautifulSoup(rendered.html, "html.parser")
    assert len(soup.select(".phase-scores svg")) == 1  # the pilot's radar only
    assert len(soup.select(".timeline svg")) == 1
    radar = soup.select_one(".phase-scores svg")
    assert radar is not None and "Puhelinpalvelu" in radar.get_text(" ")


def test_the_timeline_is_drawn_with_its_table_of_dates(reports: dict[str, Rendered]) -> None:
    rendered = reports["fi"]
    page = rendered.page_of(rendered.t.gettext("Timeline"))
    text = " ".join(rendered.pages[page].split())
    # Text drawn in the chart (the today marker) and the table beside it.
    assert f"{rendered.t.gettext('Today')} 23.11.2026" in text
    for name in ("Tarpeet ja odotukset", "Asiakaspalvelun pilotti", "Myynnin aalto",
                 "Aalto ilman päiviä", "2.3.2026", "28.8.2026", "26.2.2027"):
        assert name in text, name
    box = rendered.reader.pages[page].mediabox
    assert box.width > box.height  # a landscape page, so the bars have room


def test_the_finnish_report_has_finnish_dates_and_decimal_commas(
        reports: dict[str, Rendered]) -> None:
    rendered = reports["fi"]
    text = " ".join(" ".join(rendered.pages).split())
    assert "23.11.2026" in text and "12.1.2026 – 27.2.2026" in text
    assert "3,4" in text and "1,8" in text
    assert not re.search(r"(?<![\d.])[1-5]\.[0-9](?![\d.])", text)  # no 3.4 anywhere
    assert "Mittaaminen ja analysointi" in text and "Tavoitteiden asettaminen" in text
    assert rendered.t.gettext("Gate criteria") == "Siirtymäehdot" and "Siirtymäehdot" in text


def test_user_text_is_shown_as_text_and_nothing_is_fetched(
        reports: dict[str, Rendered]) -> None:
    rendered = reports["en"]
    text = "".join("".join(rendered.pages).split())  # lines may break inside a URL
    for shown in (HOSTILE_OWNER, HOSTILE_ACTION, "Tavoitteet sovitaan <i>ohjausryhmässä</i>."):
        assert "".join(shown.split()) in text, shown
    assert "&lt;" not in text
    assert all(not page.images for page in rendered.reader.pages)
    soup = BeautifulSoup(rendered.html, "html.parser")
    assert soup.find("img") is None and soup.find("script") is None and soup.find("b") is None
    assert all(a["href"].startswith("#") for a in soup.find_all("a"))
    for language in ("en", "fi", "empty"):
        assert reports[language].fetcher.refused == []
        assert reports[language].fetcher.served == []


def test_an_organisation_without_a_roadmap_gets_a_short_pdf_that_says_so(
        reports: dict[str, Rendered]) -> None:
    rendered = reports["empty"]
    text = " ".join("\n".join(rendered.pages).split())
    assert len(rendered.pages) <= 2
    assert "No roadmap yet" in text and "Tyhjä Oy has no rollout phases yet" in text
    assert "No assessment rounds yet" in text
    assert "<svg" not in rendered.html


def test_the_file_name_is_plain_ascii(reports: dict[str, Rendered]) -> None:
    assert roadmap_filename(reports["fi"].report, "fi") == "roadmap-tiekarttatesti-oy-fi.pdf"


# The command line -------------------------------------------------------------------------

def test_the_command_line_writes_the_roadmap(cli_database: Engine, framework: Framework,
                                             tmp_path: Path) -> None:
    with Session(cli_database, expire_on_commit=False) as session:
        world = make_roadmap_world(session, framework)
    output = tmp_path / "tiekartta.pdf"
    result = CliRunner().invoke(cli, ["report", "roadmap", "--organisation",
                                      str(world.organisation.id), "--language", "fi",
                                      "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "Tiekarttatesti Oy" in result.output and str(output) in result.output
    reader = pypdf.PdfReader(output)
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert len(reader.pages) > 8 and "Asiakaspalvelun pilotti" in text and "3,4" in text

    missing = CliRunner().invoke(cli, ["report", "roadmap", "--organisation", "9999",
                                       "--output", str(tmp_path / "x.pdf")])
    assert missing.exit_code == 1 and "no organisation 9999" in missing.output
    language = CliRunner().invoke(cli, ["report", "roadmap", "--organisation",
                                        str(world.organisation.id), "--language", "sv",
                                        "--output", str(tmp_path / "y.pdf")])
    assert language.exit_code == 2 and "fi, en" in language.output
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


def test_phase_actions_show_the_suggested_owner_role_and_done_when(
        reports: dict[str, Rendered]) -> None:
    rendered = reports["en"]
    actions = [a for phase in rendered.report.phases for a in phase.actions
               if a.suggested.owner_role]
    assert actions, "the pilot's actions come from the framework"
    text = " ".join(" ".join(rendered.pages).split())
    for action in actions[:3]:
        assert action.suggested.owner_role and action.suggested.done_when
        assert f"Suggested owner: {action.suggested.owner_role['en']}" in text
        assert " ".join(action.suggested.done_when["en"].split()) in text
