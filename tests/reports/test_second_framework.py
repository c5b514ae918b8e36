"""Every PDF of an organisation on the OWASP SAMM fixture (groups, levels 0–3, no core
factor): the unit report, the roadmap report and the leadership brief, in English and
Finnish, read back from the rendered PDF."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pptx import Presentation
from sqlmodel import Session, select

from assessment import demo
from assessment.db import create_db_engine
from assessment.framework import Framework, FrameworkRegistry, load_framework
from assessment.i18n import Catalogues
from assessment.models import Round, Unit, metadata
from reports.brief import brief_html, build_brief
from reports.pdf import report_environment
from reports.roadmap_report import build_roadmap_report, roadmap_report_html
from reports.slides import roadmap_deck, unit_deck
from reports.unit_report import build_unit_report, unit_report_html
from tests.conftest import FIXTURES
from tests.reports.conftest import read_back

FUNCTIONS = {"en": ["Governance", "Design", "Implementation", "Verification", "Operations"],
             "fi": ["Hallinto", "Suunnittelu", "Toteutus", "Todentaminen", "Ylläpito"]}


@dataclass(frozen=True)
class Pdfs:
    framework: Framework
    texts: dict[tuple[str, str], str]  # (report, language) -> the PDF's text in one line
    html: dict[tuple[str, str], str]
    decks: dict[tuple[str, str], str]  # (deck, language) -> every slide's text and notes


@pytest.fixture(scope="module")
def pdfs() -> Iterator[Pdfs]:
    """The SAMM demo organisation's three reports in both languages."""
    samm = load_framework(FIXTURES / "frameworks" / "owasp-samm.yaml")
    registry = FrameworkRegistry([samm])
    engine = create_db_engine("sqlite://")
    metadata.create_all(engine)
    catalogues = Catalogues()
    texts: dict[tuple[str, str], str] = {}
    html: dict[tuple[str, str], str] = {}
    decks: dict[tuple[str, str], str] = {}
    with Session(engine, expire_on_commit=False) as session:
        organisation = demo.load_demo(session, samm).organisation
        session.commit()
        rounds = list(session.exec(select(Round).order_by(Round.id)))
        pilot = session.exec(select(Unit).where(Unit.name == demo.PILOT_UNIT)).one()
        unit = build_unit_report(session, registry, rounds[1], pilot, min_votes=3)
        road = build_roadmap_report(session, registry, organisation)
        brief = build_brief(session, registry, organisation)
        for language in ("en", "fi"):
            t = catalogues.translator(language)
            env = report_environment()
            for name, made in (("unit", unit_report_html(unit, t, env)),
                               ("roadmap", roadmap_report_html(road, t, env)),
                               ("brief", brief_html(brief, t, env))):
                _pdf, _reader, pages, _fetcher = read_back(made)
                texts[name, language] = " ".join(" ".join(pages).split())
                html[name, language] = made
            for name, data in (("unit", unit_deck(unit, t)), ("roadmap", roadmap_deck(road, t))):
                decks[name, language] = deck_text(data)
    engine.dispose()
    yield Pdfs(samm, texts, html, decks)


def deck_text(data: bytes) -> str:
    """Every text of a deck: its shapes' text and its speaker notes, in one line."""
    presentation = Presentation(io.BytesIO(data))
    found = []
    for slide in presentation.slides:
        found += [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        found.append(slide.notes_slide.notes_text_frame.text)
    return " ".join(" ".join(found).split())


@pytest.mark.parametrize("language", ["en", "fi"])
@pytest.mark.parametrize("name", ["unit", "roadmap"])
def test_a_samm_deck_numbers_stages_from_zero_and_has_no_core_factor(pdfs: Pdfs, name: str,
                                                                     language: str) -> None:
    text = pdfs.decks[name, language]
    core = {"en": "core factor", "fi": "ydintekijä"}[language]
    assert core not in text.lower()
    assert ("social media" if language == "en" else "some") not in text.lower().split()
    if name == "unit":  # the radar's notes name the model's own stage numbers
        assert ("on the stages 0–3" if language == "en" else "tasoilla 0–3") in text


@pytest.mark.parametrize("language", ["en", "fi"])
@pytest.mark.parametrize("report", ["unit", "roadmap", "brief"])
def test_no_social_media_or_core_factor_text_in_a_samm_report(pdfs: Pdfs, report: str,
                                                              language: str) -> None:
    text = pdfs.texts[report, language].lower()
    for wording in ("social media", "sosiaalisessa mediassa", "some-", "m-brain",
                    "core factor", "ydintekijä", "ydinmenestystekijä", "centre", "keskellä"):
        assert wording not in text, (report, language, wording)


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_unit_report_groups_factors_and_numbers_stages_from_zero(pdfs: Pdfs,
                                                                     language: str) -> None:
    text = pdfs.texts["unit", language]
    for name in FUNCTIONS[language]:
        assert name.upper() in text or name in text, name
    stages = [s.name[language] for s in pdfs.framework.stages]
    assert f"0 {stages[0]}" in text and f"3 {stages[3]}" in text
    # "Stage N: name" always names the stage numbered N.
    found = re.findall(r"(?:Stage|Taso) (\d): (\w+)", text)
    assert found
    for number, name in found:
        assert pdfs.framework.stage_by_level(int(number)).name[language].startswith(name)
    page = pdfs.html["unit", language]
    assert page.count('class="group-row"') == 5 and page.count('class="group-name"') == 5


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_brief_groups_the_heatmap_and_speaks_of_software(pdfs: Pdfs, language: str) -> None:
    text = pdfs.texts["brief", language]
    sentence = pdfs.framework.wording.weakest_link
    assert sentence is not None and " ".join(sentence[language].split()) in text
    page = pdfs.html["brief", language]
    heads = re.findall(r'<th scope="colgroup" colspan="3">([^<]+)</th>', page)
    assert heads == FUNCTIONS[language]
    stages = [s.name[language] for s in pdfs.framework.stages]
    assert f"0. {stages[0]}" in text


def test_the_roadmap_report_names_actions_and_gates_with_stages_from_zero(pdfs: Pdfs) -> None:
    text = pdfs.texts["roadmap", "en"]
    assert "Pilotti: asiakaspalvelu" in text
    library = {a.id for f in pdfs.framework.factors for a in f.actions}
    assert not any(action_id in text for action_id in library), "no raw action id"
    assert re.search(r"\d\. (None|Initial|Defined|Mastered)", text)
