"""The PowerPoint decks read back with python-pptx: slides, titles, native charts whose series
hold the app's figures, tables, speaker notes, the brand; and one deck rendered by LibreOffice
to check its slides are not blank."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pypdfium2
import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from assessment import services
from assessment.brand import Brand, check_logo
from assessment.cli import app as cli
from assessment.demo import PILOT_UNIT, load_demo
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Catalogues, Translator
from assessment.models import Organisation, Round, Unit, Workshop
from reports.roadmap_report import build_roadmap_report
from reports.slides import roadmap_deck, unit_deck, unit_series, wrapup_deck, wrapup_series
from reports.unit_report import build_unit_report
from reports.wrapup import build_wrapup

LOGO_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 50">'
            b'<rect width="50" height="50" fill="#0b5d3b"/><text x="60" y="35" '
            b'font-size="24">Kumppani</text></svg>')
BRAND = Brand(name="Kumppani Consulting", contact="kalle@kumppani.example",
              footer="Kumppani · Luottamuksellinen", primary="#0b5d3b", accent="#9c3d00",
              logo=check_logo(LOGO_SVG), client_name="Pohjolan Palvelu")


@pytest.fixture
def database_url() -> str:
    """The decks are rendered from built data: one database kind is enough."""
    return "sqlite://"


@pytest.fixture
def demo(session: Session, framework: Framework) -> Organisation:
    return load_demo(session, framework).organisation


def translator(language: str) -> Translator:
    return Catalogues().translator(language)


def deck(data: bytes):  # type: ignore[no-untyped-def]
    return Presentation(io.BytesIO(data))


def titles(presentation) -> list[str]:  # type: ignore[no-untyped-def]
    return [next(s.text_frame.text for s in slide.shapes if s.name == "Title")
            for slide in presentation.slides]


def charts(slide) -> list:  # type: ignore[no-untyped-def,type-arg]
    return [s.chart for s in slide.shapes if s.has_chart]


def series_values(chart) -> dict[str, tuple[float | None, ...]]:  # type: ignore[no-untyped-def]
    return {s.name: tuple(s.values) for s in chart.plots[0].series}


def assert_every_slide_has_notes(presentation) -> None:  # type: ignore[no-untyped-def]
    for number, slide in enumerate(presentation.slides, start=1):
        assert slide.has_notes_slide, number
        assert len(slide.notes_slide.notes_text_frame.text) > 40, number


def the_pilot(session: Session) -> tuple[Round, Unit]:
    unit = session.exec(select(Unit).where(Unit.name == PILOT_UNIT)).one()
    spring = services.list_rounds(session, session.get(Organisation, unit.organisation_id))[1]
    return spring, unit


def test_unit_deck_holds_the_reports_figures_as_native_charts(
        session: Session, registry: FrameworkRegistry, demo: Organisation) -> None:
    round_, unit = the_pilot(session)
    report = build_unit_report(session, registry, round_, unit, min_votes=3)
    t = translator("en")
    presentation = deck(unit_deck(report, t, BRAND))

    assert presentation.slide_width == Inches(13.333)
    assert presentation.slide_height == Inches(7.5)
    action_slides = -(-len(report.actions) // 8)  # eight actions a slide
    assert action_slides > 1
    assert titles(presentation) == [
        PILOT_UNIT, "Executive summary", "Maturity by factor", "Score per factor",
        "Score, stage and target",
        *(f"Roadmap actions ({n}/{action_slides})" for n in range(1, action_slides + 1))]
    assert_every_slide_has_notes(presentation)

    framework = report.framework
    outer = [s for s in report.sections if not s.factor.core]
    core = next(s for s in report.sections if s.factor.core)
    radar = charts(presentation.slides[2])
    assert [c.chart_type for c in radar] == [XL_CHART_TYPE.RADAR_MARKERS]
    assert list(radar[0].plots[0].categories) == [t.text(s.factor.name) for s in outer]
    current = series_values(radar[0])["Current"]
    assert current == tuple(float(s.score) if s.score is not None else None for s in outer)
    assert series_values(radar[0])["Target"] == tuple(
        float(s.target) if s.target else None for s in outer)
    assert set(series_values(radar[0])) == {s.name for s in unit_series(report, t)}
    core_text = " ".join(s.text_frame.text for s in presentation.slides[2].shapes
                         if s.has_text_frame)
    assert f"Current: {t.score(core.score or Decimal(0))}" in core_text

    bars = charts(presentation.slides[3])
    assert [c.chart_type for c in bars] == [XL_CHART_TYPE.BAR_CLUSTERED]
    order = [core, *outer]
    assert list(bars[0].plots[0].categories) == [t.text(s.factor.name) for s in order]
    assert series_values(bars[0])["Current"] == tuple(
        float(s.score) if s.score is not None else None for s in order)

    tables = [s.table for s in presentation.slides[4].shapes if s.has_table]
    assert len(tables) == 1
    rows = [[c.text for c in row.cells] for row in tables[0].rows]
    assert rows[0] == ["Factor", "Score", "Stage", "Target", "Gap"]
    assert [r[0] for r in rows[1:]] == [t.text(f.name) for f in framework.factors]
    assert [r[1] for r in rows[1:]] == [t.score(s.score) if s.score is not None
                                        else "Not enough answers" for s in report.sections]
    action_rows = sum(len(s.table.rows) - 1 for slide in list(presentation.slides)[5:]
                      for s in slide.shapes if s.has_table)
    assert action_rows == len(report.actions)


def test_decks_carry_the_brand(session: Session, registry: FrameworkRegistry,
                               demo: Organisation) -> None:
    round_, unit = the_pilot(session)
    report = build_unit_report(session, registry, round_, unit, min_votes=3)
    presentation = deck(unit_deck(report, translator("fi"), BRAND))
    first = presentation.slides[0]
    pictures = [s for s in first.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 1  # the consultancy's logo (the client has none here)
    text = " ".join(s.text_frame.text for s in first.shapes if s.has_text_frame)
    assert "Kumppani Consulting" in text and "kalle@kumppani.example" in text
    band = next(s for s in first.shapes if s.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE)
    assert str(band.fill.fore_color.rgb) == "0B5D3B"
    later = presentation.slides[2]
    footer = " ".join(s.text_frame.text for s in later.shapes if s.has_text_frame)
    assert "Kumppani · Luottamuksellinen" in footer
    radar = charts(later)[0]
    assert str(radar.plots[0].series[0].format.line.color.rgb) == "0B5D3B"
    # Finnish throughout: the titles and the chart's series.
    assert titles(presentation)[1:3] == ["Johdon yhteenveto", "Kypsyys menestystekijöittäin"]
    assert "Nykyinen" in series_values(radar)


def test_roadmap_deck(session: Session, registry: FrameworkRegistry,
                      demo: Organisation) -> None:
    report = build_roadmap_report(session, registry, demo)
    t = translator("en")
    presentation = deck(roadmap_deck(report, t, BRAND))
    names = titles(presentation)
    assert names[:4] == [demo.name, "Executive summary", "Phases at a glance",
                         f"Where the organisation stands in {report.latest_round}"]
    assert_every_slide_has_notes(presentation)
    standings = charts(presentation.slides[3])[0]
    assert standings.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    by_id = {s.factor_id: s for s in report.standings}
    assert series_values(standings)["Average"] == tuple(
        float(by_id[f.id].average) if by_id[f.id].average is not None else None
        for f in report.framework.factors)
    for phase in report.phases:
        assert any(name.endswith(phase.name) for name in names), phase.name
    radars = [c for slide in presentation.slides for c in charts(slide)
              if c.chart_type == XL_CHART_TYPE.RADAR_MARKERS]
    assert len(radars) == sum(1 for p in report.phases if p.on_radar)
    appendix = [s.table for slide in presentation.slides for s in slide.shapes
                if s.has_table and s.table.cell(0, 0).text == "Unit"
                and len(s.table.columns) == len(report.framework.factors) + 1]
    assert sum(len(a.rows) - 1 for a in appendix) == len(report.appendix)


def test_wrapup_deck(session: Session, registry: FrameworkRegistry,
                     demo: Organisation) -> None:
    workshop = session.exec(select(Workshop)).one()
    wrapup = build_wrapup(session, registry, workshop, min_votes=3)
    t = translator("en")
    presentation = deck(wrapup_deck(wrapup, t, BRAND))
    pages = -(-len(wrapup.divergent) // 8)  # eight questions a slide
    assert pages > 1
    assert titles(presentation) == [
        PILOT_UNIT, "Consensus and targets", "Consensus and target per factor",
        "Needs and expectations",
        *(f"Questions to discuss further ({n}/{pages})" for n in range(1, pages + 1))]
    questions = [s.table.cell(r, 1).text for slide in list(presentation.slides)[4:]
                 for s in slide.shapes if s.has_table for r in range(1, len(s.table.rows))]
    assert questions == [t.text(d.question.text) for d in wrapup.divergent]
    assert_every_slide_has_notes(presentation)
    radar = charts(presentation.slides[1])[0]
    assert radar.chart_type == XL_CHART_TYPE.RADAR_MARKERS
    outer = [f for f in wrapup.framework.factors if not f.core]
    expected = {s.name: s.values for s in wrapup_series(wrapup, t)}
    index = [wrapup.framework.factors.index(f) for f in outer]
    assert series_values(radar) == {name: tuple(values[i] for i in index)
                                    for name, values in expected.items()}
    assert series_values(radar)["Consensus"] == tuple(
        float(v) if (v := wrapup.scores[f.id]) is not None else None for f in outer)
    needs = next(s.table for s in presentation.slides[3].shapes if s.has_table)
    assert [needs.cell(r, 1).text for r in range(1, len(needs.rows))] == [
        n.text for n in wrapup.needs[:10]]
    assert [needs.cell(r, 2).text for r in range(1, len(needs.rows))] == [
        str(n.dots) for n in wrapup.needs[:10]]


def test_a_deck_renders_in_libreoffice_without_blank_slides(
        session: Session, registry: FrameworkRegistry, demo: Organisation,
        tmp_path: Path) -> None:
    """LibreOffice (Debian's libreoffice-impress, installed by scripts/test.sh) opens the
    deck and every slide has something on it."""
    soffice = shutil.which("soffice")
    assert soffice is not None, "LibreOffice Impress is missing: run scripts/test.sh"
    workshop = session.exec(select(Workshop)).one()
    wrapup = build_wrapup(session, registry, workshop, min_votes=3)
    source = tmp_path / "wrapup.pptx"
    source.write_bytes(wrapup_deck(wrapup, translator("fi"), BRAND))
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(source)], check=True, capture_output=True, timeout=240)
    document = pypdfium2.PdfDocument(str(tmp_path / "wrapup.pdf"))
    try:
        assert len(document) == len(Presentation(str(source)).slides)
        for index in range(len(document)):
            image = document[index].render(scale=0.25).to_pil().convert("L")
            low, high = image.getextrema()
            assert high - low > 100, f"slide {index + 1} is blank"
            dark = sum(image.histogram()[:160])  # pixels darker than light grey
            assert dark > 200, f"slide {index + 1} has almost nothing on it"
    finally:
        document.close()


def test_the_command_line_writes_the_decks_in_the_brand(
        cli_database: Engine, framework: Framework, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_bytes(LOGO_SVG)
    monkeypatch.setenv("MATURITY_BRAND_NAME", "Kumppani Consulting")
    monkeypatch.setenv("MATURITY_BRAND_LOGO", str(logo))
    monkeypatch.setenv("MATURITY_BRAND_PRIMARY_COLOUR", "#0B5D3B")
    with Session(cli_database, expire_on_commit=False) as session:
        organisation = load_demo(session, framework).organisation
        session.commit()
        round_, unit = the_pilot(session)
        workshop = session.exec(select(Workshop)).one()
    runs = {
        "unit.pptx": ["report", "unit", "--round", str(round_.id), "--unit", str(unit.id),
                      "--format", "pptx", "--language", "fi"],
        "roadmap.pptx": ["report", "roadmap", "--organisation", str(organisation.id),
                         "--format", "pptx"],
        "wrapup.pptx": ["report", "wrapup", "--workshop", str(workshop.id)],
    }
    for name, args in runs.items():
        output = tmp_path / name
        result = CliRunner().invoke(cli, [*args, "--output", str(output)])
        assert result.exit_code == 0, result.output
        presentation = Presentation(str(output))
        first = presentation.slides[0]
        assert any(s.shape_type == MSO_SHAPE_TYPE.PICTURE for s in first.shapes), name
        band = next(s for s in first.shapes if s.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE)
        assert str(band.fill.fore_color.rgb) == "0B5D3B", name
        assert any(c.chart_type == XL_CHART_TYPE.RADAR_MARKERS
                   for slide in presentation.slides for c in charts(slide)), name
    assert titles(Presentation(str(tmp_path / "unit.pptx")))[1] == "Johdon yhteenveto"
    brief = CliRunner().invoke(cli, ["report", "brief", "--organisation",
                                     str(organisation.id), "--format", "pptx",
                                     "--output", str(tmp_path / "brief.pptx")])
    assert brief.exit_code != 0 and not (tmp_path / "brief.pptx").exists()
    wrapup_pdf = CliRunner().invoke(cli, ["report", "wrapup", "--workshop", str(workshop.id),
                                          "--format", "pdf", "--output",
                                          str(tmp_path / "wrapup.pdf")])
    assert wrapup_pdf.exit_code == 2 and "PowerPoint deck only" in wrapup_pdf.output
    assert not (tmp_path / "wrapup.pdf").exists()
