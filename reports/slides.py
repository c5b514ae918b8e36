"""PowerPoint decks (python-pptx) of a workshop's wrap-up, a unit's results and the
organisation's roadmap: 16:9, in the reader's language and the brand, with native charts
(PowerPoint radar and bar charts holding their data, editable in PowerPoint), tables as
PowerPoint tables and speaker notes that say what each slide shows.

Each deck is rendered from the same built data as its PDF (`UnitReport`, `RoadmapReport`,
`WrapUp`), so the figures are the app's own."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from assessment.brand import Brand
from assessment.framework import Framework
from assessment.i18n import Translator
from reports.pdf import action_status_labels, file_slug
from reports.roadmap_report import RoadmapReport, phase_title
from reports.summary import ExecutiveText
from reports.unit_report import UnitReport, unit_executive
from reports.wrapup import WrapUp

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)  # 16:9
MARGIN = Inches(0.5)
HEADER = Inches(1.05)
FOOTER_TOP = HEIGHT - Inches(0.45)
ROWS_PER_TABLE = 10
INK = RGBColor(0x1B, 0x1F, 0x24)
MUTED = RGBColor(0x3D, 0x47, 0x52)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
# Series after the brand's two colours: dark enough on white, and told apart by line and
# marker too (greyscale prints).
EXTRA_COLOURS = (RGBColor(0x2E, 0x6B, 0x30), RGBColor(0x6A, 0x3D, 0x9A),
                 RGBColor(0x55, 0x55, 0x55), RGBColor(0x8C, 0x51, 0x0A))
DASHES = (MSO_LINE_DASH_STYLE.SOLID, MSO_LINE_DASH_STYLE.DASH,
          MSO_LINE_DASH_STYLE.ROUND_DOT, MSO_LINE_DASH_STYLE.DASH_DOT,
          MSO_LINE_DASH_STYLE.LONG_DASH, MSO_LINE_DASH_STYLE.SQUARE_DOT)
MARKERS = (XL_MARKER_STYLE.CIRCLE, XL_MARKER_STYLE.SQUARE, XL_MARKER_STYLE.TRIANGLE,
           XL_MARKER_STYLE.DIAMOND, XL_MARKER_STYLE.X, XL_MARKER_STYLE.PLUS)
PPTX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _rgb(colour: tuple[int, int, int]) -> RGBColor:
    return RGBColor(*colour)


def _value(value: Decimal | int | None) -> float | None:
    return float(value) if value is not None else None


@dataclass(frozen=True)
class Series:
    """A chart series: its name and a value per category (None: no value)."""

    name: str
    values: tuple[float | None, ...]


class Deck:
    """A 16:9 deck in the brand: a title slide, then content slides with a title bar, the
    brand's footer and the slide number."""

    def __init__(self, t: Translator, brand: Brand, kind: str) -> None:
        self.t, self.brand, self.kind = t, brand, kind
        self.presentation = Presentation()
        self.presentation.slide_width, self.presentation.slide_height = WIDTH, HEIGHT
        self.layout = self.presentation.slide_layouts[6]  # blank
        self.palette = [_rgb(brand.primary_rgb), _rgb(brand.accent_rgb), *EXTRA_COLOURS]

    # Slides ----------------------------------------------------------------------------

    def title_slide(self, title: str, subtitle: str, facts: Sequence[str], notes: str) -> Any:
        """The opening slide: the brand's colour band, logos, the title and the facts."""
        slide = self.presentation.slides.add_slide(self.layout)
        band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, WIDTH, Inches(4.2))
        _fill(band, _rgb(self.brand.primary_rgb))
        accent = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, Inches(4.2), WIDTH,
                                        Inches(0.12))
        _fill(accent, _rgb(self.brand.accent_rgb))
        self._text(slide, self.kind.upper(), MARGIN, Inches(1.2), WIDTH - 2 * MARGIN,
                   Inches(0.5), size=16, colour=WHITE, bold=True)
        box = self._text(slide, title, MARGIN, Inches(1.8), WIDTH - 2 * MARGIN, Inches(1.2),
                         size=40, colour=WHITE, bold=True)
        box.name = "Title"
        self._text(slide, subtitle, MARGIN, Inches(3.0), WIDTH - 2 * MARGIN, Inches(0.8),
                   size=20, colour=WHITE)
        self._lines(slide, facts, MARGIN, Inches(4.6), Inches(8), Inches(1.8), size=16)
        self._logos(slide, top=Inches(4.6), height=Inches(0.9))
        contact = " · ".join(p for p in (self.brand.name, self.brand.contact) if p)
        if contact:
            self._text(slide, contact, MARGIN, FOOTER_TOP - Inches(0.2), WIDTH - 2 * MARGIN,
                       Inches(0.4), size=12, colour=MUTED)
        slide.notes_slide.notes_text_frame.text = notes
        return slide

    def slide(self, title: str, notes: str) -> Any:
        """A content slide with its title, the footer and the speaker notes."""
        slide = self.presentation.slides.add_slide(self.layout)
        bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, Inches(0.18), HEADER)
        _fill(bar, _rgb(self.brand.accent_rgb))
        box = self._text(slide, title, MARGIN, Inches(0.25), WIDTH - 2 * MARGIN - Inches(1.6),
                         Inches(0.8), size=28, colour=_rgb(self.brand.primary_rgb), bold=True)
        box.name = "Title"
        if self.brand.logo and self.brand.logo.png:
            picture = slide.shapes.add_picture(io.BytesIO(self.brand.logo.png), 0,
                                               Inches(0.3), height=Inches(0.5))
            if picture.width > Inches(2):
                ratio = Inches(2) / picture.width
                picture.width, picture.height = Inches(2), int(picture.height * ratio)
            picture.left = WIDTH - MARGIN - picture.width
        number = len(self.presentation.slides)
        footer = " · ".join(p for p in (self.brand.footer or self.brand.name,
                                        self.kind) if p)
        self._text(slide, footer, MARGIN, FOOTER_TOP, Inches(10), Inches(0.35), size=10,
                   colour=MUTED)
        self._text(slide, self.t.number(number), WIDTH - MARGIN - Inches(1), FOOTER_TOP,
                   Inches(1), Inches(0.35), size=10, colour=MUTED, align=PP_ALIGN.RIGHT)
        slide.notes_slide.notes_text_frame.text = notes
        return slide

    # Content ---------------------------------------------------------------------------

    def radar(self, slide: Any, categories: Sequence[str], series: Sequence[Series],
              levels: int, box: tuple[int, int, int, int]) -> Any:
        """A native radar chart (lines with markers) on the stages 0 … levels."""
        data = CategoryChartData(number_format="0.0")
        data.categories = list(categories)
        for item in series:
            data.add_series(item.name, item.values)
        frame = slide.shapes.add_chart(XL_CHART_TYPE.RADAR_MARKERS, *box, data)
        chart = frame.chart
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(12)
        chart.font.size = Pt(12)
        axis = chart.value_axis
        axis.minimum_scale, axis.maximum_scale, axis.major_unit = 0, levels, 1
        axis.tick_labels.font.size = Pt(10)
        self._style_lines(chart)
        return chart

    def bars(self, slide: Any, categories: Sequence[str], series: Sequence[Series],
             levels: int, box: tuple[int, int, int, int]) -> Any:
        """A native clustered bar chart with each bar's value written on it."""
        data = CategoryChartData(number_format="0.0")
        data.categories = list(categories)
        for item in series:
            data.add_series(item.name, item.values)
        frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, *box, data)
        chart = frame.chart
        chart.font.size = Pt(12)
        chart.has_legend = len(series) > 1
        if chart.has_legend:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
        axis = chart.value_axis
        axis.minimum_scale, axis.maximum_scale, axis.major_unit = 0, levels, 1
        axis.has_major_gridlines = True
        chart.category_axis.reverse_order = True  # the first factor on top, as in the tables
        plot = chart.plots[0]
        plot.has_data_labels = True
        plot.data_labels.number_format = "0.0"
        plot.data_labels.number_format_is_linked = False
        plot.data_labels.font.size = Pt(10)
        plot.gap_width = 60
        for index, item in enumerate(plot.series):
            fill = item.format.fill
            if index % 2:  # the second series hatched-light: told apart without colour
                fill.solid()
                fill.fore_color.rgb = WHITE
                item.format.line.color.rgb = self.palette[index % len(self.palette)]
                item.format.line.width = Pt(1.5)
            else:
                fill.solid()
                fill.fore_color.rgb = self.palette[index % len(self.palette)]
        return chart

    def table(self, slide: Any, header: Sequence[str], rows: Sequence[Sequence[str]],
              box: tuple[int, int, int, int], widths: Sequence[float] | None = None,
              size: int = 12) -> Any:
        """A PowerPoint table with a header row in the brand's colour."""
        left, top, width, _height = box
        shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top, width,
                                       Inches(0.4) * (len(rows) + 1))
        table = shape.table
        if widths:
            total = sum(widths)
            for index, share in enumerate(widths):
                table.columns[index].width = Emu(int(width * share / total))
        for col, text in enumerate(header):
            cell = table.cell(0, col)
            _cell(cell, text, size, bold=True, colour=WHITE)
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(self.brand.primary_rgb)
        for row_index, row in enumerate(rows, start=1):
            for col, text in enumerate(row):
                cell = table.cell(row_index, col)
                _cell(cell, text, size, colour=INK)
                cell.fill.solid()
                cell.fill.fore_color.rgb = (RGBColor(0xF3, 0xF5, 0xF7) if row_index % 2
                                            else WHITE)
        return table

    def bullets(self, slide: Any, lines: Sequence[str], box: tuple[int, int, int, int],
                size: int = 18) -> Any:
        """Lines of text, each its own paragraph with a bullet."""
        return self._lines(slide, [f"• {line}" for line in lines], *box, size=size)

    def text(self, slide: Any, text: str, box: tuple[int, int, int, int], size: int = 16,
             bold: bool = False) -> Any:
        """A block of text."""
        return self._text(slide, text, *box, size=size, colour=INK, bold=bold)

    def save(self) -> bytes:
        """The deck as a .pptx file."""
        out = io.BytesIO()
        self.presentation.save(out)
        return out.getvalue()

    # Helpers ---------------------------------------------------------------------------

    def _style_lines(self, chart: Any) -> None:
        for index, item in enumerate(chart.plots[0].series):
            colour = self.palette[index % len(self.palette)]
            item.format.line.color.rgb = colour
            item.format.line.width = Pt(2.25)
            item.format.line.dash_style = DASHES[index % len(DASHES)]
            item.marker.style = MARKERS[index % len(MARKERS)]
            item.marker.size = 8
            item.marker.format.fill.solid()
            item.marker.format.fill.fore_color.rgb = colour
            item.smooth = False

    def _logos(self, slide: Any, top: int, height: int) -> None:
        right = WIDTH - MARGIN
        for logo in (self.brand.client_logo, self.brand.logo):
            if logo and logo.png:
                picture = slide.shapes.add_picture(io.BytesIO(logo.png), 0, top, height=height)
                if picture.width > Inches(3):
                    ratio = Inches(3) / picture.width
                    picture.width, picture.height = Inches(3), int(picture.height * ratio)
                picture.left = right - picture.width
                right = picture.left - Inches(0.4)

    def _text(self, slide: Any, text: str, left: int, top: int, width: int, height: int, *,
              size: int, colour: RGBColor, bold: bool = False,
              align: PP_ALIGN | None = None) -> Any:
        box = slide.shapes.add_textbox(left, top, width, height)
        frame = box.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = MSO_ANCHOR.TOP
        paragraph = frame.paragraphs[0]
        paragraph.text = text
        if align is not None:
            paragraph.alignment = align
        font = paragraph.runs[0].font if paragraph.runs else paragraph.font
        font.size, font.bold, font.color.rgb = Pt(size), bold, colour
        return box

    def _lines(self, slide: Any, lines: Sequence[str], left: int, top: int, width: int,
               height: int, *, size: int) -> Any:
        box = slide.shapes.add_textbox(left, top, width, height)
        frame = box.text_frame
        frame.word_wrap = True
        for index, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            paragraph.text = line
            paragraph.space_after = Pt(8)
            for run in paragraph.runs:
                run.font.size, run.font.color.rgb = Pt(size), INK
        return box


def _fill(shape: Any, colour: RGBColor) -> None:
    shape.fill.solid()
    shape.fill.fore_color.rgb = colour
    shape.line.fill.background()
    shape.shadow.inherit = False


def _cell(cell: Any, text: str, size: int, *, bold: bool = False,
          colour: RGBColor = INK) -> None:
    cell.text = text
    cell.margin_left = cell.margin_right = Inches(0.08)
    cell.margin_top = cell.margin_bottom = Inches(0.04)
    for paragraph in cell.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, colour


def _chunks(rows: Sequence[Any], size: int = ROWS_PER_TABLE) -> list[Sequence[Any]]:
    return [rows[i:i + size] for i in range(0, len(rows), size)] or [rows]


def _continued(t: Translator, title: str, index: int, total: int) -> str:
    return title if total == 1 else t.gettext("{title} ({n}/{total})", title=title,
                                              n=t.number(index + 1), total=t.number(total))


# Shared slides -------------------------------------------------------------------------

CHART_BOX = (MARGIN, HEADER + Inches(0.1), Inches(8.2), FOOTER_TOP - HEADER - Inches(0.2))
SIDE_BOX = (MARGIN + Inches(8.5), HEADER + Inches(0.4), Inches(3.8), Inches(5))
FULL_BOX = (MARGIN, HEADER + Inches(0.2), WIDTH - 2 * MARGIN,
            FOOTER_TOP - HEADER - Inches(0.4))


def _executive_slide(deck: Deck, executive: ExecutiveText, notes: str) -> None:
    t = deck.t
    slide = deck.slide(t.gettext("Executive summary"), notes)
    top = HEADER + Inches(0.15)
    if executive.lede:
        deck.text(slide, " ".join(executive.lede), (MARGIN, top, WIDTH - 2 * MARGIN,
                                                     Inches(1.0)), size=18)
    column = (WIDTH - 2 * MARGIN - Inches(0.5)) // 2
    top += Inches(1.2)
    deck.text(slide, t.gettext("The largest gaps to target"),
              (MARGIN, top, column, Inches(0.5)), size=20, bold=True)
    if executive.gaps:
        deck.bullets(slide, executive.gaps, (MARGIN, top + Inches(0.6), column, Inches(3.5)),
                     size=17)
    else:
        deck.text(slide, executive.no_gaps, (MARGIN, top + Inches(0.6), column, Inches(3.5)),
                  size=17)
    right = MARGIN + column + Inches(0.5)
    if executive.phase_title:
        deck.text(slide, t.gettext("Next: {phase}", phase=executive.phase_title),
                  (right, top, column, Inches(0.5)), size=20, bold=True)
        deck.bullets(slide, [f"{executive.phase_window} · {executive.phase_units}",
                             *executive.gates],
                     (right, top + Inches(0.6), column, Inches(3.5)), size=17)
    else:
        deck.text(slide, t.gettext("Next phase"), (right, top, column, Inches(0.5)), size=20,
                  bold=True)
        deck.text(slide, executive.no_phase, (right, top + Inches(0.6), column, Inches(3.5)),
                  size=17)


def _factor_charts(deck: Deck, framework: Framework, title: str, series: Sequence[Series],
                   notes_radar: str, bar_title: str, notes_bars: str) -> None:
    """A radar of the outer factors with the core factor beside it, then a bar chart of
    every factor (the core one first, as the framework's centre)."""
    t = deck.t
    outer = [i for i, f in enumerate(framework.factors) if not f.core]
    core = next((i for i, f in enumerate(framework.factors) if f.core), None)
    slide = deck.slide(title, notes_radar)
    deck.radar(slide, [t.text(framework.factors[i].name) for i in outer],
               [Series(s.name, tuple(s.values[i] for i in outer)) for s in series],
               framework.last_level, CHART_BOX)
    if core is not None:
        factor = framework.factors[core]
        lines = [f"{s.name}: {_score(t, s.values[core])}" for s in series]
        deck.text(slide, t.gettext("At the centre: {factor}", factor=t.text(factor.name)),
                  (*SIDE_BOX[:2], SIDE_BOX[2], Inches(0.9)), size=18, bold=True)
        deck.bullets(slide, lines, (SIDE_BOX[0], SIDE_BOX[1] + Inches(1.0), SIDE_BOX[2],
                                    Inches(2.5)), size=16)
        if framework.wording.core_factor:  # why the core is the centre, in the model's words
            deck.text(slide, t.text(framework.wording.core_factor),
                      (SIDE_BOX[0], SIDE_BOX[1] + Inches(3.2), SIDE_BOX[2], Inches(1.5)),
                      size=13)
    order = ([core] if core is not None else []) + outer
    slide = deck.slide(bar_title, notes_bars)
    deck.bars(slide, [t.text(framework.factors[i].name) for i in order],
              [Series(s.name, tuple(s.values[i] for i in order)) for s in series[:2]],
              framework.last_level, FULL_BOX)


def _stage_range(t: Translator, framework: Framework) -> dict[str, str]:
    """The framework's first and last stage numbers, for "on the stages 1–5"."""
    return {"first": t.number(framework.first_level), "last": t.number(framework.last_level)}


def _core_note(t: Translator, framework: Framework, sentence: str) -> list[str]:
    """The sentence about the core factor, for a framework that has one."""
    return [sentence] if framework.core_factor is not None else []


def _score(t: Translator, value: float | None) -> str:
    return t.score(value) if value is not None else "–"


def _stage(t: Translator, framework: Framework, level: int | None) -> str:
    return t.text(framework.stage_by_level(level).name) if level else "–"


# The unit's results ----------------------------------------------------------------------

def unit_series(report: UnitReport, t: Translator) -> list[Series]:
    """The unit's chart series, in framework order: current, target, organisation average
    and previous round (those with values)."""
    sections = report.sections
    series = [Series(t.gettext("Current"), tuple(_value(s.score) for s in sections))]
    if report.has_targets:
        series.append(Series(t.gettext("Target"), tuple(_value(s.target) for s in sections)))
    if report.has_average:
        series.append(Series(t.gettext("Organisation average"),
                             tuple(_value(s.average) for s in sections)))
    if report.has_previous:
        series.append(Series(t.gettext("Previous round: {round}",
                                       round=report.previous_round_name),
                             tuple(_value(s.previous) for s in sections)))
    return series


def unit_deck(report: UnitReport, t: Translator, brand: Brand | None = None) -> bytes:
    """The unit's results as a deck: title, executive summary, radar, bars, the scores
    table and the actions."""
    brand = brand or Brand()
    deck = Deck(t, brand, t.gettext("Unit maturity report"))
    framework = report.framework
    deck.title_slide(report.unit_name, f"{report.organisation_name} · {report.round_name}",
                     [t.gettext("Framework: {name}, version {version}",
                                name=t.text(framework.name), version=report.framework_version),
                      t.gettext("Made on {date}", date=t.date(report.generated_at))],
                     t.gettext("The unit's maturity results in the round {round}: what the "
                               "unit reached per factor, against its targets.",
                               round=report.round_name))
    if report.empty:
        slide = deck.slide(t.gettext("No answers yet"), t.gettext(
            "The unit has no answers in this round yet, so there is nothing to show."))
        deck.text(slide, t.gettext("{unit} has no answers in the round {round} yet.",
                                   unit=report.unit_name, round=report.round_name), FULL_BOX)
        return deck.save()
    _executive_slide(deck, unit_executive(report, t), t.gettext(
        "The one-minute version: how the unit stands, its three largest gaps to target and "
        "the rollout phase it is in, with the gate it must pass."))
    series = unit_series(report, t)
    _factor_charts(
        deck, framework, t.gettext("Maturity by factor"), series,
        " ".join([t.gettext("Radar of the unit's scores per factor on the stages "
                            "{first}–{last}: {series}.", **_stage_range(t, framework),
                            series=", ".join(s.name for s in series)),
                  *_core_note(t, framework, t.gettext(
                      "The core factor is shown beside the chart, as the centre of the "
                      "framework.")),
                  t.gettext("Right-click the chart and choose Edit Data to change it.")]),
        t.gettext("Score per factor"),
        " ".join([t.gettext("The first two of these series as bars ({series}), every factor "
                            "with its value written on the bar.",
                            series=", ".join(s.name for s in series[:2])),
                  *_core_note(t, framework, t.gettext("The core factor comes first."))]))
    rows = []
    for section in report.sections:
        gap = ("–" if section.gap is None else t.gettext("reached") if section.gap == 0
               else t.ngettext("{n} stage", "{n} stages", section.gap))
        rows.append([t.text(section.factor.name),
                     t.score(section.score) if section.score is not None else
                     t.gettext("Not enough answers"),
                     _stage(t, framework, section.result.score.stage_level)
                     if section.result and section.score is not None else "–",
                     _stage(t, framework, section.target), gap])
    slide = deck.slide(t.gettext("Score, stage and target"), t.gettext(
        "Per factor the score (the mean of its answered stages), the stage it has reached, "
        "the target stage and the gap to it."))
    deck.table(slide, [t.gettext("Factor"), t.gettext("Score"), t.gettext("Stage"),
                       t.gettext("Target"), t.gettext("Gap")], rows, FULL_BOX,
               [3.2, 1, 1.6, 1.6, 1.2])
    _actions_slides(deck, framework, [(t.text(framework.factor(a.factor_id).name), a)
                                      for a in report.actions])
    return deck.save()


def _actions_slides(deck: Deck, framework: Framework, items: Sequence[tuple[str, Any]],
                    with_unit: bool = False) -> None:
    t = deck.t
    if not items:
        return
    labels = action_status_labels(t)
    rows = [([getattr(a, "unit_name", "")] if with_unit else []) +
            [factor, t.text(a.text), a.owner or "–",
             t.date(a.due_on) if a.due_on else "–", labels.get(a.status, a.status)]
            for factor, a in items]
    header = ([t.gettext("Unit")] if with_unit else []) + [
        t.gettext("Factor"), t.gettext("Action"), t.gettext("Owner"), t.gettext("Due"),
        t.gettext("Status")]
    widths = ([1.4] if with_unit else []) + [1.6, 4.2, 1.4, 1, 1]
    chunks = _chunks(rows, 8)
    for index, chunk in enumerate(chunks):
        slide = deck.slide(_continued(t, t.gettext("Roadmap actions"), index, len(chunks)),
                           t.gettext("The planned actions with their owners, due dates and "
                                     "status."))
        deck.table(slide, header, chunk, FULL_BOX, widths, size=11)


# The organisation's roadmap --------------------------------------------------------------

def roadmap_deck(report: RoadmapReport, t: Translator, brand: Brand | None = None) -> bytes:
    """The roadmap as a deck: title, executive summary, the phases, where the organisation
    stands, a slide per phase (gates, and its units on a radar) and every unit's scores."""
    from reports.roadmap_report import roadmap_executive

    brand = brand or Brand()
    deck = Deck(t, brand, t.gettext("Rollout roadmap"))
    framework = report.framework
    deck.title_slide(report.organisation_name, t.gettext("Rollout roadmap"),
                     [t.gettext("Latest round: {round}", round=report.latest_round or "–"),
                      t.gettext("Made on {date}", date=t.date(report.generated_at))],
                     t.gettext("The organisation's staged rollout: its phases, their gates "
                               "and where the units stand."))
    if report.empty:
        slide = deck.slide(t.gettext("No phases yet"), t.gettext("The roadmap is empty."))
        deck.text(slide, t.gettext("No rollout phases have been planned yet."), FULL_BOX)
        return deck.save()
    _executive_slide(deck, roadmap_executive(report, t), t.gettext(
        "The one-minute version: the organisation's three largest gaps to target and the "
        "phase that comes next, with its gate."))
    rows = [[phase_title(t, p),
             (t.gettext("{start} – {end}", start=t.date(p.starts_on), end=t.date(p.ends_on))
              if p.starts_on and p.ends_on else "–"),
             ", ".join(u.name for u in p.units) or "–",
             t.gettext("{n} / {total}", n=t.number(p.gates_holding),
                       total=t.number(len(p.gates))) if p.gates else "–"]
            for p in report.phases]
    chunks = _chunks(rows, 8)
    for index, chunk in enumerate(chunks):
        slide = deck.slide(_continued(t, t.gettext("Phases at a glance"), index, len(chunks)),
                           t.gettext("Every phase in order with its time window, its units "
                                     "and how many of its gate criteria hold."))
        deck.table(slide, [t.gettext("Phase"), t.gettext("Time window"), t.gettext("Units"),
                           t.gettext("Gates holding")], chunk, FULL_BOX, [2.2, 2, 4, 1.2])
    if report.standings:
        by_id = {s.factor_id: s for s in report.standings}
        series = [Series(t.gettext("Average"), tuple(
                      _value(by_id[f.id].average) if f.id in by_id else None
                      for f in framework.factors)),
                  Series(t.gettext("Weakest link"), tuple(
                      _value(by_id[f.id].weakest_score) if f.id in by_id else None
                      for f in framework.factors))]
        slide = deck.slide(t.gettext("Where the organisation stands in {round}",
                                     round=report.latest_round),
                           t.gettext("Per factor the average of the units measured in the "
                                     "latest round and its weakest link (the lowest unit "
                                     "score): the organisation is only as strong as its "
                                     "weakest link."))
        deck.bars(slide, [t.text(f.name) for f in framework.factors], series,
                  framework.last_level, FULL_BOX)
    for phase in report.phases:
        _phase_slide(deck, report, phase)
    if report.appendix:
        header = [t.gettext("Unit"), *(t.text(f.name) for f in framework.factors)]
        rows = [[row.name, *(t.score(v) if (v := row.scores.get(f.id)) is not None else "–"
                             for f in framework.factors)] for row in report.appendix]
        chunks = _chunks(rows, 9)
        for index, chunk in enumerate(chunks):
            slide = deck.slide(_continued(t, t.gettext("Unit scores in {round}",
                                                       round=report.latest_round),
                                          index, len(chunks)),
                               t.gettext("Every unit's score per factor in the latest round; "
                                         "– means no score."))
            deck.table(slide, header, chunk, FULL_BOX,
                       [2.2] + [1] * len(framework.factors), size=10)
    return deck.save()


def _phase_slide(deck: Deck, report: RoadmapReport, phase: Any) -> None:
    t, framework = deck.t, report.framework
    title = phase_title(t, phase)
    slide = deck.slide(title, t.gettext(
        "The phase's units and its gate criteria: the stage every unit of the phase must "
        "reach before the next phase starts, and how many have reached it."))
    facts = [t.gettext("Units: {units}.", units=", ".join(u.name for u in phase.units))
             if phase.units else t.gettext("No units placed in this phase yet."),
             t.gettext("Owners: {owners}.", owners=", ".join(
                 f"{o.name} ({o.role})" if o.role else o.name for o in phase.owners))
             if phase.owners else t.gettext("No owners named yet.")]
    deck.bullets(slide, facts, (MARGIN, HEADER + Inches(0.1), WIDTH - 2 * MARGIN,
                                Inches(1.2)), size=15)
    if phase.gates:
        rows = [[t.text(framework.factor(g.factor_id).name), _stage(t, framework, g.level),
                 t.gettext("{n} / {total}", n=t.number(g.reached), total=t.number(g.units)),
                 t.gettext("✓ Holds") if g.holds else t.gettext("✗ Not yet")]
                for g in phase.gates]
        deck.table(slide, [t.gettext("Factor"), t.gettext("Stage every unit must reach"),
                           t.gettext("Units that reached it"), t.gettext("Status")],
                   rows[:8], (MARGIN, HEADER + Inches(1.5), WIDTH - 2 * MARGIN, Inches(3)),
                   [3, 3, 2, 1.5])
    else:
        deck.text(slide, t.gettext("No gate criteria yet."),
                  (MARGIN, HEADER + Inches(1.5), WIDTH - 2 * MARGIN, Inches(1)))
    if phase.on_radar:
        series = [Series(u.name, tuple(_value(u.scores.get(f.id)) for f in framework.factors))
                  for u in phase.measured]
        outer = [f for f in framework.factors if not f.core]
        slide = deck.slide(t.gettext("Latest scores: {phase}", phase=title), t.gettext(
            "Each unit of the phase at its latest measured scores, one series per unit."))
        index = [framework.factors.index(f) for f in outer]
        deck.radar(slide, [t.text(f.name) for f in outer],
                   [Series(s.name, tuple(s.values[i] for i in index)) for s in series],
                   framework.last_level, CHART_BOX)
        core = next((f for f in framework.factors if f.core), None)
        if core is not None:
            position = framework.factors.index(core)
            deck.text(slide, t.gettext("At the centre: {factor}", factor=t.text(core.name)),
                      (*SIDE_BOX[:2], SIDE_BOX[2], Inches(0.9)), size=18, bold=True)
            deck.bullets(slide, [f"{s.name}: {_score(t, s.values[position])}"
                                 for s in series],
                         (SIDE_BOX[0], SIDE_BOX[1] + Inches(1.0), SIDE_BOX[2], Inches(3)),
                         size=14)


# A workshop's wrap-up ----------------------------------------------------------------------

def wrapup_series(wrapup: WrapUp, t: Translator) -> list[Series]:
    """The wrap-up's chart series in framework order: the consensus and the targets."""
    factors = wrapup.framework.factors
    return [Series(t.gettext("Consensus"), tuple(_value(wrapup.scores.get(f.id))
                                                 for f in factors)),
            Series(t.gettext("Target"), tuple(_value(wrapup.targets.get(f.id))
                                              for f in factors))]


def wrapup_deck(wrapup: WrapUp, t: Translator, brand: Brand | None = None) -> bytes:
    """The workshop's wrap-up as a deck: title, consensus against targets (radar and bars),
    the ranked needs and the questions whose votes diverged."""
    brand = brand or Brand()
    deck = Deck(t, brand, t.gettext("Workshop wrap-up"))
    framework = wrapup.framework
    deck.title_slide(wrapup.unit_name, f"{wrapup.organisation_name} · {wrapup.round_name}",
                     [t.ngettext("{n} participant", "{n} participants", wrapup.participants),
                      t.gettext("Made on {date}", date=t.date(wrapup.generated_at))],
                     t.gettext("What the workshop agreed: the consensus stage of every "
                               "factor, the targets, the needs and the questions to discuss "
                               "further."))
    _factor_charts(
        deck, framework, t.gettext("Consensus and targets"), wrapup_series(wrapup, t),
        " ".join([t.gettext("Radar of the workshop's consensus per factor against the "
                            "targets the participants agreed, on the stages {first}–{last}.",
                            **_stage_range(t, framework)),
                  *_core_note(t, framework, t.gettext("The core factor is beside the chart."))]),
        t.gettext("Consensus and target per factor"),
        " ".join([t.gettext("The consensus score and the target of every factor as bars."),
                  *_core_note(t, framework, t.gettext("The core factor comes first."))]))
    needs = [[t.number(index), need.text, t.number(need.dots),
              t.text(framework.factor(need.factor_id).name) if need.factor_id else "–"]
             for index, need in enumerate(wrapup.needs, start=1)][:ROWS_PER_TABLE]
    slide = deck.slide(t.gettext("Needs and expectations"), t.gettext(
        "The participants' needs and expectations, most dots first (the top {n}).",
        n=t.number(ROWS_PER_TABLE)))
    if needs:
        deck.table(slide, [t.gettext("Rank"), t.gettext("Need"), t.gettext("Dots"),
                           t.gettext("Factor")], needs, FULL_BOX, [0.7, 6, 0.8, 2.5], size=11)
    else:
        deck.text(slide, t.gettext("No needs were posted in this workshop."), FULL_BOX)
    rows = [[t.text(framework.factor(d.factor_id).name), t.text(d.question.text),
             t.score(d.summary.median) if d.summary.median is not None else "–",
             t.number(d.summary.spread or 0)] for d in wrapup.divergent]
    chunks = _chunks(rows, 8)
    for index, chunk in enumerate(chunks):
        slide = deck.slide(
            _continued(t, t.gettext("Questions to discuss further"), index, len(chunks)),
            t.gettext("Questions whose votes diverged: three or more stages apart, worth a "
                      "second look."))
        if chunk:
            deck.table(slide, [t.gettext("Factor"), t.gettext("Question"),
                               t.gettext("Median"), t.gettext("Spread")], chunk, FULL_BOX,
                       [2, 6, 1, 1], size=12)
        else:
            deck.text(slide, t.gettext("No question's votes diverged by three or more "
                                       "stages."), FULL_BOX)
    return deck.save()


def deck_filename(stem: str, *names: str, language: str) -> str:
    """A plain ASCII file name for a deck: <stem>-<names…>-<language>.pptx."""
    return "-".join([stem, *(file_slug(n) for n in names if n), language]) + ".pptx"


Renderer = Callable[[Any, Translator, Brand | None], bytes]
DECKS: Mapping[str, Renderer] = {"unit": unit_deck, "roadmap": roadmap_deck,
                                 "wrapup": wrapup_deck}
