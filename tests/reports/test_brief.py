"""The leadership brief: built as data, rendered to PDF and read back with pypdf, in Finnish
and English, for a sub-tree, and for an organisation without rounds or results."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from assessment import roadmap, services
from assessment.cli import app as cli
from assessment.db import create_db_engine
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Catalogues, Translator
from assessment.models import Organisation, Round, Unit, metadata
from reports.brief import LeadershipBrief, brief_filename, brief_html, build_brief
from reports.pdf import LocalOnlyFetcher, report_environment
from tests.assessment.web.test_dashboard import answer
from tests.factories import make_organisation, make_unit
from tests.reports.conftest import read_back


@dataclass(frozen=True)
class BriefWorld:
    organisation: Organisation
    units: dict[str, Unit]
    rounds: list[Round]


def make_brief_world(session: Session, framework: Framework) -> BriefWorld:
    """Asiakaspalvelu > Chat, Markkinointi, and Viestintä (never measured); two rounds; a
    pilot phase of Asiakaspalvelu and Chat with a gate on goals at stage 2.

    In the newest round: goals A 2.4, C 1.8 (weakest), M 3.0; listening A 2.0 and M 2.0
    (tied weakest), C 3.0; every other factor A 3.0, C 4.0, M 3.0."""
    organisation = make_organisation(session, name="Esimerkki <Oy>")
    service = make_unit(session, organisation=organisation, name="Asiakaspalvelu")
    chat = make_unit(session, organisation=organisation, name="Chat", parent=service)
    marketing = make_unit(session, organisation=organisation, name="Markkinointi")
    comms = make_unit(session, organisation=organisation, name="Viestintä")
    first = services.create_round(session, organisation, "Kevät 2025", framework)
    second = services.create_round(session, organisation, "Kevät 2026", framework)
    session.commit()
    answer(session, first, service, framework, {}, default=2)
    answer(session, first, marketing, framework, {}, default=3)
    answer(session, second, service, framework,
           {"goals": [2, 2, 2, 3, 3], "listening": [2, 2, 2, 2, 2]}, default=3)
    answer(session, second, chat, framework,
           {"goals": [1, 2, 2, 2, 2], "listening": [3, 3, 3, 3, 3]}, default=4)
    answer(session, second, marketing, framework, {"listening": [2, 2, 2, 2, 2]}, default=3)
    pilot = roadmap.create_phase(session, organisation, framework, roadmap.PhaseInput(
        "pilot", "Asiakaspalvelun pilotti", None, None, ["goals"]))
    roadmap.place_unit(session, pilot, service)
    roadmap.place_unit(session, pilot, chat)
    roadmap.set_gate(session, pilot, framework, "goals", "2")
    session.commit()
    return BriefWorld(organisation, {"A": service, "C": chat, "M": marketing, "V": comms},
                      [first, second])


# The data ---------------------------------------------------------------------------------

def test_the_brief_gathers_the_newest_round_trends_and_rollout(
        session: Session, registry: FrameworkRegistry, framework: Framework) -> None:
    world = make_brief_world(session, framework)
    brief = build_brief(session, registry, world.organisation)
    assert brief.round_name == "Kevät 2026" and brief.measured and brief.has_trend
    assert brief.framework_version == framework.version and brief.content_hash
    assert brief.overview is not None and brief.overview.measured_units == 3
    goals = brief.overview.factors[0]
    assert goals.average == Decimal("2.4") and [u.name for u in goals.weakest] == ["Chat"]
    assert brief.by_average[0].factor.id in {"goals", "listening"}
    link = brief.weakest_link
    assert link is not None and link.factor.id == "goals" and link.weakest_score == Decimal("1.8")
    assert [p.average for p in brief.trends.factors["goals"]] == [Decimal("2.5"),
                                                                  Decimal("2.4")]
    (pilot,) = brief.rollout
    assert (pilot.kind, pilot.wave, pilot.name) == ("pilot", None, "Asiakaspalvelun pilotti")
    assert pilot.units == ("Asiakaspalvelu", "Chat") and pilot.measured_units == 2
    assert (pilot.gates, pilot.gates_holding) == (1, 0)  # Chat's goals 1.8: stage 1 < 2

    older = build_brief(session, registry, world.organisation, world.rounds[0],
                        world.units["A"])
    assert older.round_name == "Kevät 2025" and older.root_name == "Asiakaspalvelu"
    assert older.overview is not None
    assert [i.unit.name for i in older.overview.units] == ["Asiakaspalvelu", "Chat"]
    stranger = make_unit(session, organisation=make_organisation(session, name="Muu Oy"))
    with pytest.raises(services.InvalidInput):
        build_brief(session, registry, world.organisation, root=stranger)


def test_empty_organisations_give_an_empty_brief(session: Session, registry: FrameworkRegistry,
                                                 framework: Framework) -> None:
    organisation = make_organisation(session, name="Tyhjä Oy")
    make_unit(session, organisation=organisation, name="Yksikkö")
    brief = build_brief(session, registry, organisation)
    assert brief.round_name is None and brief.overview is None and not brief.measured
    services.create_round(session, organisation, "Syksy 2026", framework)
    session.commit()
    brief = build_brief(session, registry, organisation)
    assert brief.round_name == "Syksy 2026" and not brief.measured and not brief.has_trend


# The PDF ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    brief: LeadershipBrief
    t: Translator
    html: str
    reader: pypdf.PdfReader
    pages: list[str]
    fetcher: LocalOnlyFetcher

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.pages).split())


def render(brief: LeadershipBrief, t: Translator) -> Rendered:
    html = brief_html(brief, t, report_environment())
    _pdf, reader, pages, fetcher = read_back(html)
    return Rendered(brief, t, html, reader, pages, fetcher)


@pytest.fixture(scope="module")
def briefs(registry: FrameworkRegistry, framework: Framework) -> Iterator[dict[str, Rendered]]:
    """The brief in Finnish and English, of a sub-tree, and of two empty organisations."""
    engine = create_db_engine("sqlite://")
    metadata.create_all(engine)
    catalogues = Catalogues()
    with Session(engine, expire_on_commit=False) as session:
        world = make_brief_world(session, framework)
        full = build_brief(session, registry, world.organisation)
        branch = build_brief(session, registry, world.organisation, root=world.units["A"])
        no_rounds = make_organisation(session, name="Kierroksetta Oy")
        make_unit(session, organisation=no_rounds, name="Yksikkö")
        empty_rounds = build_brief(session, registry, no_rounds)
        services.create_round(session, no_rounds, "Syksy 2026", framework)
        session.commit()
        no_results = build_brief(session, registry, no_rounds)
    en, fi = catalogues.translator("en"), catalogues.translator("fi")
    yield {"en": render(full, en), "fi": render(full, fi), "branch": render(branch, en),
           "no-rounds": render(empty_rounds, en), "no-results": render(no_results, en)}
    engine.dispose()


def _annotations(reader: pypdf.PdfReader, page: int) -> list[pypdf.generic.DictionaryObject]:
    return [a.get_object() for a in reader.pages[page].get("/Annots", [])]


def _destination(reader: pypdf.PdfReader, annotation: pypdf.generic.DictionaryObject) -> int:
    target = annotation.get("/Dest")
    if target is None:
        target = annotation["/A"]["/D"]
    if isinstance(target, str):
        return reader.get_destination_page_number(reader.named_destinations[str(target)])
    return reader.get_page_number(target[0].get_object())


def test_the_brief_has_a_cover_and_contents_whose_links_go_to_their_sections(
        briefs: dict[str, Rendered], framework: Framework) -> None:
    rendered = briefs["en"]
    pages, reader = rendered.pages, rendered.reader
    assert 6 <= len(pages) <= 14
    assert "LEADERSHIP BRIEF" in pages[0] and "Esimerkki <Oy>" in pages[0]
    assert "Kevät 2026" in pages[0] and "3 of 4 units have results in this round." in \
        " ".join(pages[0].split())
    # The one-page executive summary opens the brief; the contents follow it.
    assert pages[1].lstrip().startswith("Executive summary")
    assert "Contents" in pages[2]
    entries = ["Executive summary", "Summary", "Units by factor: Kevät 2026",
               "Units at each stage", "Profile: average and weakest link", "Over time",
               "Rollout progress", *(f.name["en"] for f in framework.factors)]
    toc = " ".join(pages[2].split())
    for entry in entries:
        assert entry in toc, entry
    links = [a for a in _annotations(reader, 2) if a["/Subtype"] == "/Link"]
    assert len(links) >= len(entries)
    targets = [_destination(reader, link) for link in links]
    assert all(0 < page < len(pages) and page != 2 for page in targets)
    # The contents give each section's page; the heatmap's link goes to the heatmap's page.
    heatmap = next(i for i, text in enumerate(pages) if i > 2 and "▼ weakest" in text)
    assert heatmap in targets
    number = re.search(r"Units by factor: Kevät 2026[\s.]*?(\d+)\n", pages[2])
    assert number is not None and int(number.group(1)) == heatmap + 1
    # Page numbers and the running header.
    for page_number, text in enumerate(pages, start=1):
        assert f"Page {page_number} / {len(pages)}" in text
    assert "Esimerkki <Oy> · Kevät 2026" in pages[2]


def test_the_heatmap_shows_score_and_stage_and_marks_the_weakest_in_words(
        briefs: dict[str, Rendered]) -> None:
    rendered = briefs["en"]
    heatmap = next(" ".join(p.split()) for p in rendered.pages if "▼ weakest" in p)
    for unit in ("Asiakaspalvelu", "Chat", "Markkinointi", "Viestintä"):
        assert unit in heatmap
    assert "1.8 First steps ▼ weakest" in heatmap  # Chat on goals
    assert heatmap.count("▼ weakest") >= 8 + 1  # every factor; listening has a tie
    assert "No results in this round" in heatmap  # Viestintä
    text = rendered.text
    assert "Units at each stage" in text and "Weakest link" in text
    assert "Setting goals: average and weakest link by round" in text
    assert "Asiakaspalvelun pilotti" in text and "0 of 1 holds" in text
    assert "Weakest factor on average" in text
    assert "The weakest link of all: Chat in Setting goals (1.8)." in text


def test_the_finnish_brief_speaks_finnish_with_finnish_numbers(
        briefs: dict[str, Rendered]) -> None:
    rendered = briefs["fi"]
    text, t = rendered.text, rendered.t
    assert "Tavoitteiden asettaminen" in text and "Kuunteleminen" in text
    assert "2,4" in text and "1,8" in text
    assert not re.search(r"(?<![\d.,])(2\.4|1\.8)(?![\d.])", text)
    for message in ("Units at each stage", "Rollout progress", "Over time", "Contents"):
        assert t.gettext(message) in text, message
    assert "Sisällys" in text and "Sivu 1 / " in rendered.pages[0]
    assert f"▼ {t.gettext('weakest')}" in text


def test_the_charts_are_drawn_inline_and_nothing_is_fetched(briefs: dict[str, Rendered],
                                                            framework: Framework) -> None:
    for name in ("en", "fi", "no-rounds", "no-results"):
        assert briefs[name].fetcher.refused == [] and briefs[name].fetcher.served == []
    html = briefs["en"].html
    assert html.count("<svg") == 1 + len(framework.factors)  # the profile and each trend
    assert "Esimerkki &lt;Oy&gt;" in html and "<Oy>" not in html  # names are text


def test_a_sub_tree_brief_shows_only_its_units(briefs: dict[str, Rendered]) -> None:
    rendered = briefs["branch"]
    heatmap = next(" ".join(p.split()) for p in rendered.pages if "▼ weakest" in p)
    assert "Asiakaspalvelu" in heatmap and "Chat" in heatmap
    assert "Markkinointi" not in heatmap and "Viestintä" not in heatmap
    assert "Asiakaspalvelu and the units below it." in " ".join(rendered.pages[0].split())
    assert brief_filename(rendered.brief, "en") == \
        "leadership-brief-esimerkki-oy-asiakaspalvelu-kevat-2026-en.pdf"


def test_without_rounds_or_results_the_brief_is_short_and_says_so(
        briefs: dict[str, Rendered]) -> None:
    no_rounds, no_results = briefs["no-rounds"], briefs["no-results"]
    assert len(no_rounds.pages) <= 2 and len(no_results.pages) <= 2
    assert "No assessment rounds yet, so there is nothing to compare." in no_rounds.text
    assert "No results in Syksy 2026 yet" in no_results.text
    assert "Contents" not in no_rounds.text and "Contents" not in no_results.text
    assert "<svg" not in no_rounds.html and "<svg" not in no_results.html


def test_rounds_on_another_framework_version_get_a_notice(
        session: Session, registry: FrameworkRegistry, framework: Framework) -> None:
    organisation = make_organisation(session, name="Versiot Oy")
    unit = make_unit(session, organisation=organisation, name="Yksikkö")
    older = framework.model_copy(update={"version": "2025.1", "factors": framework.factors[:-1]})
    old_round = services.create_round(session, organisation, "Vanha", older)
    new_round = services.create_round(session, organisation, "Uusi", framework)
    session.commit()
    answer(session, old_round, unit, older, {}, default=2)
    answer(session, new_round, unit, framework, {}, default=3)
    brief = build_brief(session, registry, organisation)
    assert [g.version for g in brief.version_gaps] == ["2025.1"]
    rendered = render(brief, Catalogues().translator("en"))
    text = rendered.text
    assert "Rounds answered on framework version 2025.1 are compared only on the factors" in text
    assert f"Not in version 2025.1: {framework.factors[-1].name['en']}." in text
    assert "Vanha † framework version 2025.1" in text


# The command line -------------------------------------------------------------------------

def test_the_command_line_writes_the_brief(cli_database: Engine, framework: Framework,
                                           tmp_path: Path) -> None:
    with Session(cli_database, expire_on_commit=False) as session:
        world = make_brief_world(session, framework)
        other = make_organisation(session, name="Muu Oy")
    org = str(world.organisation.id)
    output = tmp_path / "katsaus.pdf"
    result = CliRunner().invoke(cli, ["report", "brief", "--organisation", org,
                                      "--round", str(world.rounds[0].id), "--unit",
                                      str(world.units["A"].id), "--language", "fi",
                                      "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "Asiakaspalvelu" in result.output and "Kevät 2025" in result.output
    reader = pypdf.PdfReader(output)
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Kevät 2025" in reader.pages[0].extract_text()
    assert "Tavoitteiden asettaminen" in text and "2,0" in text and "Markkinointi" not in text

    runs = {
        "no organisation": (["--organisation", "9999"], 1, "no organisation 9999"),
        "foreign round": (["--organisation", str(other.id), "--round",
                           str(world.rounds[0].id)], 1, "no round"),
        "foreign unit": (["--organisation", str(other.id), "--unit",
                          str(world.units["A"].id)], 1, "no unit"),
        "language": (["--organisation", org, "--language", "sv"], 2, "fi, en"),
    }
    for name, (args, code, message) in runs.items():
        target = tmp_path / f"{name}.pdf"
        run = CliRunner().invoke(cli, ["report", "brief", *args, "--output", str(target)])
        assert run.exit_code == code and message in run.output, (name, run.output)
        assert not target.exists()

    # An organisation without rounds gets its short brief.
    empty = CliRunner().invoke(cli, ["report", "brief", "--organisation", str(other.id),
                                     "--language", "en", "--output", str(tmp_path / "e.pdf")])
    assert empty.exit_code == 0 and "no rounds yet" in empty.output
    assert "No assessment rounds yet" in pypdf.PdfReader(tmp_path / "e.pdf").pages[-1] \
        .extract_text().replace("\n", " ")
