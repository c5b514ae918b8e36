"""What leadership sees, drawn and summed up: a round's profile, units side by side, trends
across rounds, and the rollout's planned vs achieved. Labels come in the reader's language;
every chart has a table with the same numbers on the page that shows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape
from sqlmodel import Session

from assessment import services
from assessment.dashboard import RoundOverview, Trends
from assessment.framework import Factor, Framework, FrameworkRegistry
from assessment.i18n import Translator
from assessment.models import AssessmentKind, Unit, id_of
from assessment.roadmap import PhaseProgress
from assessment.scoring import stage_for
from reports.charts import LineStyle, ScoreFormat
from reports.radar import RadarChart, RadarSeries, cached_radar_svg
from reports.trend import TrendChart, TrendSeries, cached_trend_svg

HEAT_CLASSES = 7  # .heat-0 … .heat-6 in app.css, lightest to darkest


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def heat_class(level: int | None, stage_count: int, first_level: int = 1) -> str:
    """The colour class of a stage: the first stage lightest, the last darkest, whatever the
    framework's number of stages and the number of its first stage."""
    if level is None or stage_count < 2:
        return "heat-none"
    step = (level - first_level) * (HEAT_CLASSES - 1) / (stage_count - 1)
    return f"heat-{int(step + 0.5)}"


def score_level(score: Decimal, framework: Framework) -> int:
    """The stage a score has reached, kept within the framework's stages."""
    return min(max(stage_for(score), framework.first_level), framework.last_level)


def stage_name(t: Translator, score: Decimal | None, framework: Framework | None) -> str:
    """The name of the stage a score has reached ("" without a score)."""
    if score is None or framework is None:
        return ""
    return t.text(framework.stage_by_level(score_level(score, framework)).name)


def score_heat(score: Decimal | None, framework: Framework | None) -> str:
    """The colour class of a score's stage."""
    if score is None or framework is None:
        return "heat-none"
    return heat_class(score_level(score, framework), framework.stage_count,
                      framework.first_level)


# The heatmap ---------------------------------------------------------------------------

# Marks a measured score that is the workshop consensus (others are the self-assessment's).
SOURCE_MARK = "✱"


@dataclass(frozen=True, slots=True)
class HeatCell:
    """A unit's factor in the heatmap: its score and stage in the reader's language, colour
    and whether it is the weakest link of the units shown."""

    factor_id: str
    score: Decimal | None  # None: not enough answers
    score_text: str
    stage: str
    heat: str
    weakest: bool
    from_workshop: bool = False  # the score is the workshop consensus, not the self-assessment


@dataclass(frozen=True, slots=True)
class HeatRow:
    """A unit in the heatmap; a unit without results in the round has no cells."""

    unit: Unit
    depth: int
    cells: tuple[HeatCell, ...]

    @property
    def measured(self) -> bool:
        """Whether the unit has results in the round."""
        return bool(self.cells)


def heatmap_rows(t: Translator, overview: RoundOverview) -> list[HeatRow]:
    """The round's heatmap ready to show: a row per unit, a cell per factor (worked out here
    once rather than per cell in a template: a large organisation has thousands)."""
    framework = overview.framework
    weakest = {s.factor.id: {id_of(u) for u in s.weakest} for s in overview.factors}
    stages = [t.text(stage.name) for stage in framework.stages]
    rows = []
    for item in overview.units:
        unit_id = id_of(item.unit)
        cells: list[HeatCell] = []
        if unit_id in overview.scores:
            for summary in overview.factors:
                found = overview.cell(unit_id, summary.factor.id)
                value = found.score if found else None
                level = score_level(value, framework) if value is not None else None
                source = overview.scores[unit_id].source(summary.factor.id)
                cells.append(HeatCell(
                    summary.factor.id, value, t.score(value) if value is not None else "",
                    stages[level - framework.first_level] if level is not None else "",
                    heat_class(level, framework.stage_count, framework.first_level),
                    unit_id in weakest[summary.factor.id],
                    value is not None and source == AssessmentKind.workshop))
        rows.append(HeatRow(item.unit, item.depth, tuple(cells)))
    return rows


def heatmap_cells_html(t: Translator, overview: RoundOverview,
                       rows: Sequence[HeatRow]) -> dict[int, Markup]:
    """The dashboard's heatmap cells of each measured unit as HTML (a row's <td>s), every
    text escaped. With 200 units that is 1,600 cells: written here they cost a fraction of
    what the same markup costs in the template (each `{{ }}` there is escaped and wrapped
    on its own), and the dashboard of 200 units stays within twice the time of 20."""
    not_enough = f'<span class="insufficient">{escape(t.gettext("Not enough answers"))}</span>'
    source = escape(t.gettext("from the workshop consensus"))
    from_workshop = (f' <span class="source-mark"><span aria-hidden="true">{SOURCE_MARK}</span>'
                     f'<span class="visually-hidden"> {source}</span></span>')
    mark = escape(t.gettext("weakest"))
    weakest = {}
    for summary in overview.factors:
        why = escape(t.gettext("the lowest score of the units shown for {factor}",
                               factor=t.text(summary.factor.name)))
        weakest[summary.factor.id] = (
            f' <span class="weakest-mark"><span aria-hidden="true">▼</span> {mark}'
            f'<span class="visually-hidden">: {why}</span></span>')
    cells: dict[int, Markup] = {}
    for row in rows:
        if not row.measured:
            continue
        parts = []
        for cell in row.cells:
            shown = not_enough if cell.score is None else (
                f'<span class="cell-score">{escape(cell.score_text)}</span> '
                f'<span class="cell-stage">{escape(cell.stage)}</span>'
                f'{from_workshop if cell.from_workshop else ""}')
            parts.append(
                f'<td class="heat {escape(cell.heat)}{" weakest" if cell.weakest else ""}" '
                f'data-factor="{escape(cell.factor_id)}">{shown}'
                f'{weakest[cell.factor_id] if cell.weakest else ""}</td>')
        cells[id_of(row.unit)] = Markup("".join(parts))  # every text escaped above
    return cells


# Framework versions ----------------------------------------------------------------------

@dataclass(frozen=True)
class VersionGap:
    """Rounds on a framework version other than the newest round's, and the newest round's
    factors that version lacks (those are not compared)."""

    version: str
    rounds: tuple[str, ...]
    missing: tuple[Factor, ...]
    # Shared factors whose questions or anchors differ: compared as a factor score and stage
    # only, never question by question.
    changed: tuple[Factor, ...] = ()


def _questions_of(framework: Framework, factor_id: str) -> list[Any]:
    """A factor's questions as data (ids, texts, anchors, scope), for comparing versions."""
    try:
        return [q.model_dump() for q in framework.factor(factor_id).questions]
    except KeyError:
        return []


def version_gaps(session: Session, registry: FrameworkRegistry,
                 trends: Trends) -> list[VersionGap]:
    """One gap per differing framework version, with its rounds and missing factors."""
    if trends.framework is None:
        return []
    newest = trends.framework
    rounds: dict[str, list[str]] = {}
    known: dict[str, set[str]] = {}
    changed: dict[str, set[str]] = {}
    for round_ in trends.differing:
        version = trends.versions[id_of(round_)]
        rounds.setdefault(version, []).append(round_.name)
        framework = services.round_framework(session, registry, round_)[0]
        factors = {f.id for f in framework.factors}
        known[version] = known.get(version, factors) & factors
        changed.setdefault(version, set()).update(
            f.id for f in newest.factors
            if f.id in factors and _questions_of(framework, f.id) != _questions_of(newest, f.id))
    return [VersionGap(version, tuple(names),
                       tuple(f for f in newest.factors if f.id not in known[version]),
                       tuple(f for f in newest.factors
                             if f.id in known[version] and f.id in changed[version]))
            for version, names in rounds.items()]


@dataclass(frozen=True)
class VersionNotice:
    """A `VersionGap` in the reader's language."""

    version: str
    rounds: list[str]
    missing: list[str]  # factor names in the reader's language
    changed: list[str] = field(default_factory=list)  # shared factors with other questions


def version_notices(session: Session, registry: FrameworkRegistry, t: Translator,
                    trends: Trends) -> list[VersionNotice]:
    """One notice per differing framework version, naming its rounds and missing factors."""
    return [notice(t, gap) for gap in version_gaps(session, registry, trends)]


def notice(t: Translator, gap: VersionGap) -> VersionNotice:
    """The gap in the reader's language."""
    return VersionNotice(gap.version, list(gap.rounds), [t.text(f.name) for f in gap.missing],
                         [t.text(f.name) for f in gap.changed])


# Charts ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One series of a factor chart: a score per factor id."""

    label: str
    values: Mapping[str, Decimal | None]
    style: LineStyle = "solid"


def factor_radar_svg(t: Translator, framework: Framework, title: str,
                     lines: Sequence[Line]) -> str:
    """A radar of the framework's factors with one series per line; the core factor in the
    centre."""
    core = next((f for f in framework.factors if f.core), None)
    outer = [f for f in framework.factors if not f.core]
    chart = RadarChart(
        title=title,
        axes=tuple(t.text(f.name) for f in outer),
        levels=tuple(t.text(s.name) for s in framework.stages),
        first_level=framework.first_level,
        series=tuple(RadarSeries(line.label, tuple(_float(line.values.get(f.id)) for f in outer),
                                 line.style) for line in lines),
        core_label=t.text(core.name) if core else None,
        core_values=tuple(_float(line.values.get(core.id)) for line in lines) if core else (),
        number_format=ScoreFormat.of(t),
    )
    return cached_radar_svg(chart)


def profile_radar_svg(t: Translator, overview: RoundOverview) -> str:
    """The round's profile: the organisation's average and its weakest link per factor."""
    return factor_radar_svg(
        t, overview.framework,
        t.gettext("Organisation profile: {round}", round=overview.round.name),
        [Line(t.gettext("Average"), {s.factor.id: s.average for s in overview.factors}),
         Line(t.gettext("Weakest link"),
              {s.factor.id: s.weakest_score for s in overview.factors}, "dashed")])


@dataclass(frozen=True)
class TrendLine:
    """One series of a trend chart: a value per round."""

    label: str
    values: Sequence[Decimal | None]
    style: LineStyle = "solid"


def trend_svg(t: Translator, framework: Framework, title: str, rounds: Sequence[str],
              lines: Sequence[TrendLine]) -> str:
    """A line chart of scores across rounds, on the framework's stages."""
    chart = TrendChart(
        title=title, rounds=tuple(rounds),
        levels=tuple(t.text(s.name) for s in framework.stages),
        first_level=framework.first_level,
        series=tuple(TrendSeries(line.label, tuple(_float(v) for v in line.values), line.style)
                     for line in lines),
        number_format=ScoreFormat.of(t))
    return cached_trend_svg(chart)


def round_labels(trends: Trends) -> list[str]:
    """The rounds' names along a trend chart; a round on another framework version is
    marked with a dagger, which the page explains."""
    differing = {r.id for r in trends.differing}
    return [f"{r.name} †" if r.id in differing else r.name for r in trends.rounds]


def organisation_trend_svgs(t: Translator, trends: Trends) -> dict[str, str]:
    """Per factor: the average and the weakest link across the rounds."""
    if trends.framework is None:
        return {}
    labels = round_labels(trends)
    return {factor.id: trend_svg(
        t, trends.framework, t.gettext("{factor}: average and weakest link by round",
                                       factor=t.text(factor.name)), labels,
        [TrendLine(t.gettext("Average"), [p.average for p in trends.factors[factor.id]]),
         TrendLine(t.gettext("Weakest link"), [p.weakest for p in trends.factors[factor.id]],
                   "dashed")])
        for factor in trends.framework.factors}


def unit_trend_svgs(t: Translator, trends: Trends, unit_id: int,
                    unit_name: str) -> dict[str, str]:
    """Per factor: the unit's score beside the organisation's average and weakest link."""
    if trends.framework is None:
        return {}
    labels = round_labels(trends)
    return {factor.id: trend_svg(
        t, trends.framework, t.gettext("{factor}: {unit} by round", factor=t.text(factor.name),
                                       unit=unit_name), labels,
        [TrendLine(unit_name, trends.unit_trend(unit_id, factor.id)),
         TrendLine(t.gettext("Organisation average"),
                   [p.average for p in trends.factors[factor.id]], "dashed"),
         TrendLine(t.gettext("Weakest link"), [p.weakest for p in trends.factors[factor.id]],
                   "dotted")])
        for factor in trends.framework.factors}


# Rollout progress ------------------------------------------------------------------------

@dataclass(frozen=True)
class PhaseSummary:
    """A phase at a glance: its gates that hold and its units' targets reached."""

    progress: PhaseProgress
    gates_holding: int
    targets: int  # targets on the phase's focus factors (all targeted factors without focus)
    targets_reached: int
    measured_units: int


def rollout_summary(phases: Sequence[PhaseProgress]) -> list[PhaseSummary]:
    """Planned vs achieved per phase: a target counts as reached when the unit's latest
    measured stage is at least the target stage."""
    summaries = []
    for item in phases:
        targets = reached = 0
        for unit in item.units:
            factor_ids = item.focus or list(unit.targets)
            for factor_id in factor_ids:
                target = unit.targets.get(factor_id)
                if target is None:
                    continue
                targets += 1
                latest = unit.latest.stage(factor_id) if unit.latest else None
                if latest is not None and latest >= target:
                    reached += 1
        summaries.append(PhaseSummary(
            item, sum(1 for gate in item.gates if gate.holds), targets, reached,
            sum(1 for unit in item.units if unit.latest is not None)))
    return summaries
