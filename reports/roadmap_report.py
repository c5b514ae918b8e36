"""The organisation's roadmap report: every phase of the rollout with its units, owners, gates
and actions, planned against achieved, built as data first and rendered (HTML, PDF) second.

Around the phases: an executive summary (where the organisation is weakest, how many gates
hold, how many actions are done), a timeline of the phases, a radar per phase with each of
its units as a series (a table only when there are more units than one radar tells apart),
and an appendix with every unit's scores in the latest round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from jinja2 import Environment
from sqlmodel import Session

from assessment import dashboard, org_frameworks, roadmap
from assessment.brand import Brand
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Translator
from assessment.models import ActionStatus, Organisation, PhaseKind, id_of, utcnow
from assessment.roadmap import PhaseProgress, UnitProgress
from reports.charts import PALETTE, LineStyle, ScoreFormat
from reports.pdf import action_status_labels, file_slug, render_html
from reports.radar import RadarChart, RadarSeries, cached_radar_svg, render_radar_svg
from reports.summary import (
    ExecutiveText,
    GapLine,
    PhaseLine,
    executive_text,
    largest_gaps,
    next_phase,
    phase_lines,
)
from reports.timeline import TimelineBar, TimelineChart, render_timeline_svg

LocalText = Mapping[str, str]
TEMPLATE = "reports/roadmap.html"
# A radar tells its series apart by colour first: one chart holds at most a palette's worth.
UNITS_PER_RADAR = len(PALETTE)
_STYLES: tuple[LineStyle, ...] = ("solid", "dashed", "dotted")
KIND_GROUPS = {PhaseKind.needs: 0, PhaseKind.pilot: 1, PhaseKind.wave: 2}


@dataclass(frozen=True)
class OwnerItem:
    """A person named for a phase, and their role in it."""

    name: str
    role: str


@dataclass(frozen=True)
class GateItem:
    """A gate criterion and how many of the phase's units have reached it."""

    factor_id: str
    level: int
    reached: int
    units: int
    holds: bool


@dataclass(frozen=True)
class UnitItem:
    """A unit of a phase: its targets from the planning round against its latest stages."""

    unit_id: int
    name: str
    plan_round: str | None
    latest_round: str | None
    targets: Mapping[str, int]
    baseline: Mapping[str, int]  # stage levels in the planning round
    latest: Mapping[str, int]  # stage levels in the latest measured round
    scores: Mapping[str, Decimal]  # scores in the latest measured round

    @property
    def measured(self) -> bool:
        """Whether the unit has a score in any round."""
        return self.latest_round is not None


@dataclass(frozen=True)
class ActionItem:
    """A planned action of one of the phase's units, with its text in every language."""

    unit_id: int
    unit_name: str
    factor_id: str
    text: LocalText
    owner: str
    due_on: date | None
    status: str
    from_level: int | None
    suggested: roadmap.LibraryDetails = field(default_factory=roadmap.LibraryDetails)


@dataclass(frozen=True)
class PhaseSection:
    """One phase of the rollout, with everything its section of the report shows."""

    phase_id: int
    kind: str
    name: str
    wave: int | None  # the wave's number among the waves
    starts_on: date | None
    ends_on: date | None
    notes: str
    focus: tuple[str, ...]
    owners: tuple[OwnerItem, ...]
    gates: tuple[GateItem, ...]
    units: tuple[UnitItem, ...]
    actions: tuple[ActionItem, ...]

    @property
    def anchor(self) -> str:
        """The section's id in the report."""
        return f"phase-{self.phase_id}"

    @property
    def gates_holding(self) -> int:
        """How many of the phase's gates hold."""
        return sum(1 for g in self.gates if g.holds)

    @property
    def measured(self) -> tuple[UnitItem, ...]:
        """The phase's units that have been measured, in phase order."""
        return tuple(u for u in self.units if u.measured)

    @property
    def actions_by_unit(self) -> list[tuple[str, list[ActionItem]]]:
        """The actions under their units' names, in phase order."""
        grouped: dict[int, list[ActionItem]] = {}
        for action in self.actions:
            grouped.setdefault(action.unit_id, []).append(action)
        return [(items[0].unit_name, items) for items in grouped.values()]

    @property
    def on_radar(self) -> bool:
        """Whether the measured units fit on one radar (each its own colour); with more, the
        report shows their scores as a table only."""
        return 0 < len(self.measured) <= UNITS_PER_RADAR

    def factor_ids(self, unit: UnitItem, framework: Framework) -> list[str]:
        """The factors planned against achieved for a unit: the focus factors, else the
        factors the unit has targets for, in framework order."""
        if self.focus:
            return list(self.focus)
        return [f.id for f in framework.factors if f.id in unit.targets]


@dataclass(frozen=True)
class FactorStanding:
    """A factor across the units measured in the latest round: average and weakest link."""

    factor_id: str
    average: Decimal | None
    weakest_score: Decimal | None
    weakest: tuple[str, ...]  # unit names, ties included


@dataclass(frozen=True)
class AppendixRow:
    """A unit's scores in the latest round, by factor (None: no score)."""

    name: str
    depth: int
    scores: Mapping[str, Decimal | None]

    @property
    def measured(self) -> bool:
        """Whether the unit has any score in the round."""
        return any(v is not None for v in self.scores.values())


@dataclass(frozen=True)
class RoadmapReport:
    """Everything the roadmap report shows, independent of the language it is rendered in."""

    organisation_name: str
    generated_at: datetime
    framework: Framework
    rounds: tuple[str, ...]
    latest_round: str | None
    phases: tuple[PhaseSection, ...]
    unplanned: tuple[str, ...]
    standings: tuple[FactorStanding, ...]
    appendix: tuple[AppendixRow, ...]
    actions_done: int
    actions_open: int  # planned or in progress
    actions_dropped: int
    phase_lines: tuple[PhaseLine, ...] = ()  # the phases as the executive summary tells them

    @property
    def empty(self) -> bool:
        """Whether there is no roadmap to report: the organisation has no phases."""
        return not self.phases

    @property
    def unit_count(self) -> int:
        """Units placed in a phase."""
        return sum(len(p.units) for p in self.phases)

    @property
    def gates(self) -> int:
        """Gate criteria over all phases."""
        return sum(len(p.gates) for p in self.phases)

    @property
    def gates_holding(self) -> int:
        """Gate criteria that hold, over all phases."""
        return sum(p.gates_holding for p in self.phases)

    @property
    def actions_total(self) -> int:
        """Actions that count towards the plan: everything but the dropped ones."""
        return self.actions_done + self.actions_open

    @property
    def weakest_factors(self) -> list[FactorStanding]:
        """The factors with an average, weakest average first (ties in framework order)."""
        order = {f.id: i for i, f in enumerate(self.framework.factors)}
        return sorted((s for s in self.standings if s.average is not None),
                      key=lambda s: (s.average, order[s.factor_id]))

    @property
    def timed(self) -> list[PhaseSection]:
        """The phases with both a start and an end date (the ones on the timeline)."""
        return [p for p in self.phases if p.starts_on and p.ends_on]

    @property
    def measured_units(self) -> int:
        """Units with a score in the latest round."""
        return sum(1 for row in self.appendix if row.measured)

    @property
    def summary_gaps(self) -> tuple[GapLine, ...]:
        """The three largest gaps of any unit in a phase between its target and its latest
        measured stage (for the executive summary)."""
        return largest_gaps([(u.name, u.targets, u.latest) for p in self.phases
                             for u in p.units], self.framework)

    @property
    def next_phase(self) -> PhaseLine | None:
        """The first phase whose gates do not all hold yet."""
        return next_phase(self.phase_lines, today=self.generated_at.date())


# Building ----------------------------------------------------------------------------------

def _unit_item(progress: UnitProgress) -> UnitItem:
    latest = progress.latest
    return UnitItem(
        unit_id=id_of(progress.unit), name=progress.unit.name,
        plan_round=progress.plan_round.name if progress.plan_round else None,
        latest_round=progress.latest_round.name if progress.latest_round else None,
        targets=dict(progress.targets),
        baseline={fid: s.stage_level for fid, s in progress.baseline.factors.items()
                  if s.stage_level is not None} if progress.baseline else {},
        latest={fid: s.stage_level for fid, s in latest.factors.items()
                if s.stage_level is not None} if latest else {},
        scores={fid: s.score for fid, s in latest.factors.items()
                if s.score is not None} if latest else {})


def _action_items(session: Session, framework: Framework, organisation_id: int,
                  units: Sequence[UnitItem], earlier: Sequence[Framework],
                  ) -> tuple[ActionItem, ...]:
    if not units:
        return ()
    names = {u.unit_id: u.name for u in units}
    position = {u.unit_id: i for i, u in enumerate(units)}
    order = {f.id: i for i, f in enumerate(framework.factors)}
    # Only the actions of the roadmap's framework (another framework's actions belong to
    # its own plan, and its texts are not this framework's).
    found = [a for a in roadmap.actions(session, organisation_id, list(names))
             if roadmap.belongs_to(a, framework, earlier)]
    found.sort(key=lambda a: (position[a.unit_id], order.get(a.factor_id, len(order)),
                              a.position, a.id or 0))
    return tuple(ActionItem(
        unit_id=a.unit_id, unit_name=names[a.unit_id], factor_id=a.factor_id,
        text={lang: roadmap.action_text(a, framework, lang, earlier)
              for lang in framework.languages},
        owner=a.owner, due_on=a.due_on, status=str(a.status), from_level=a.from_level,
        suggested=roadmap.library_details(a, framework, earlier))
        for a in found)


def _section(session: Session, framework: Framework, organisation_id: int,
             item: PhaseProgress, wave: int | None, earlier: Sequence[Framework],
             ) -> PhaseSection:
    phase = item.phase
    units = tuple(_unit_item(u) for u in item.units)
    return PhaseSection(
        phase_id=id_of(phase), kind=str(phase.kind), name=phase.name, wave=wave,
        starts_on=phase.starts_on, ends_on=phase.ends_on, notes=phase.notes,
        focus=tuple(item.focus),
        owners=tuple(OwnerItem(o.name, o.role) for o in item.owners),
        gates=tuple(GateItem(g.gate.factor_id, g.gate.level, g.reached, g.units, g.holds)
                    for g in item.gates),
        units=units,
        actions=_action_items(session, framework, organisation_id, units, earlier))


def build_roadmap_report(session: Session, registry: FrameworkRegistry,
                         organisation: Organisation, *, now: datetime | None = None,
                         ) -> RoadmapReport:
    """Gather everything the roadmap report shows for the organisation."""
    org_id = id_of(organisation)
    choice = org_frameworks.roadmap_choice(session, registry, organisation)
    rounds = list(choice.rounds)  # only the rounds on the roadmap's framework
    progress = roadmap.roadmap(session, registry, organisation, choice.id)
    if rounds:
        overview = dashboard.round_overview(session, registry, organisation, rounds[-1])
        framework = overview.framework
        standings = tuple(FactorStanding(s.factor.id, s.average, s.weakest_score,
                                         tuple(u.name for u in s.weakest))
                          for s in overview.factors)
        appendix = tuple(AppendixRow(
            item.unit.name, item.depth,
            {f.id: (c.score if (c := overview.cell(id_of(item.unit), f.id)) else None)
             for f in framework.factors})
            for item in overview.units)
    else:
        framework, standings, appendix = choice.framework, (), ()
    waves = iter(range(1, len(progress) + 1))
    earlier = registry.versions(framework.id)
    phases = tuple(_section(session, framework, org_id, item,
                            next(waves) if item.phase.kind == PhaseKind.wave else None, earlier)
                   for item in progress)
    statuses = [a.status for a in roadmap.actions(session, org_id)]
    return RoadmapReport(
        organisation_name=organisation.name, generated_at=now or utcnow(), framework=framework,
        rounds=tuple(r.name for r in rounds), latest_round=rounds[-1].name if rounds else None,
        phases=phases,
        unplanned=tuple(u.name for u in roadmap.unplanned_units(session, organisation)),
        standings=standings, appendix=appendix,
        actions_done=statuses.count(ActionStatus.done),
        actions_open=sum(1 for s in statuses if s in (ActionStatus.planned,
                                                       ActionStatus.in_progress)),
        actions_dropped=statuses.count(ActionStatus.dropped),
        phase_lines=phase_lines(progress))


# Rendering ---------------------------------------------------------------------------------

def kind_title(t: Translator, kind: str, wave: int | None, name: str) -> str:
    """A phase's kind and name ("Wave 2: Sales and HR"), or its name alone when the name
    already says its kind ("Wave 2: sales")."""
    label = {"needs": t.gettext("Needs and expectations"), "pilot": t.gettext("Pilot")}.get(
        kind) or t.gettext("Wave {n}", n=wave or 0)
    if name.casefold().startswith(label.casefold()):
        return name
    return t.gettext("{kind}: {name}", kind=label, name=name)


def phase_title(t: Translator, phase: PhaseSection) -> str:
    """The phase's kind and name, as the report's headings show it."""
    return kind_title(t, phase.kind, phase.wave, phase.name)


def timeline_svg(report: RoadmapReport, t: Translator) -> str | None:
    """The phases with dates as bars over the calendar, with today marked; None when no
    phase has both dates."""
    timed = report.timed
    if not timed:
        return None
    chart = TimelineChart(
        title=t.gettext("Roadmap timeline: {organisation}",
                        organisation=report.organisation_name),
        bars=tuple(TimelineBar(phase_title(t, p), p.starts_on, p.ends_on,
                               KIND_GROUPS[PhaseKind(p.kind)])
                   for p in timed if p.starts_on and p.ends_on),
        groups=(t.gettext("Needs and expectations"), t.gettext("Pilot"), t.gettext("Wave")),
        today=report.generated_at.date(), today_label=t.gettext("Today"),
        date_format=t.date)
    return render_timeline_svg(chart)


def units_radar_chart(t: Translator, framework: Framework, title: str,
                      units: Sequence[tuple[str, Mapping[str, Decimal]]]) -> RadarChart:
    """A radar of the framework's factors with one series per unit (at most a palette's
    worth): colour, marker and line style all differ from one unit to the next."""
    if len(units) > UNITS_PER_RADAR:
        raise ValueError(f"{len(units)} units on one radar; at most {UNITS_PER_RADAR}")
    core = next((f for f in framework.factors if f.core), None)
    outer = [f for f in framework.factors if not f.core]

    def value(scores: Mapping[str, Decimal], factor_id: str) -> float | None:
        found = scores.get(factor_id)
        return float(found) if found is not None else None

    return RadarChart(
        title=title,
        axes=tuple(t.text(f.name) for f in outer),
        levels=tuple(t.text(s.name) for s in framework.stages),
        first_level=framework.first_level,
        series=tuple(RadarSeries(name, tuple(value(scores, f.id) for f in outer),
                                 _STYLES[number % len(_STYLES)])
                     for number, (name, scores) in enumerate(units)),
        core_label=t.text(core.name) if core else None,
        core_values=tuple(value(scores, core.id) for _, scores in units) if core else (),
        number_format=ScoreFormat.of(t))


def phase_radar_svg(report: RoadmapReport, phase: PhaseSection, t: Translator) -> str | None:
    """The phase's radar: each measured unit at its latest scores; None when none is
    measured or there are more than one radar tells apart."""
    if not phase.on_radar:
        return None
    return render_radar_svg(units_radar_chart(
        t, report.framework, t.gettext("Latest scores: {phase}", phase=phase_title(t, phase)),
        [(u.name, u.scores) for u in phase.measured]))


@dataclass(frozen=True)
class PhaseScores:
    """The latest scores of a phase's measured units, with their radar when they fit one."""

    units: tuple[UnitItem, ...]
    radar_svg: str | None

    @property
    def on_radar(self) -> bool:
        """Whether the units are drawn (else their scores are in a table only)."""
        return self.radar_svg is not None


def phase_scores(t: Translator, framework: Framework, progress: PhaseProgress,
                 title: str) -> PhaseScores:
    """A phase's measured units at their latest scores, for the planner page: a radar with a
    series per unit when they fit one (at most `UNITS_PER_RADAR`), else none."""
    units = tuple(_unit_item(u) for u in progress.units if u.latest is not None)
    svg = None
    if 0 < len(units) <= UNITS_PER_RADAR:
        svg = cached_radar_svg(units_radar_chart(
            t, framework, t.gettext("Latest scores: {phase}", phase=title),
            [(u.name, u.scores) for u in units]))
    return PhaseScores(units, svg)


def roadmap_executive(report: RoadmapReport, t: Translator) -> ExecutiveText:
    """The executive summary's words: the rollout in a sentence, the largest gaps and the
    phase that comes next."""
    lede = [t.ngettext("The roadmap has {n} phase with {units} units.",
                       "The roadmap has {n} phases with {units} units.", len(report.phases),
                       units=t.number(report.unit_count))]
    if report.gates:
        lede.append(t.ngettext("{holding} of {n} gate criterion holds.",
                               "{holding} of {n} gate criteria hold.", report.gates,
                               holding=t.number(report.gates_holding)))
    if report.actions_total:
        lede.append(t.ngettext("{done} of {n} action done.", "{done} of {n} actions done.",
                               report.actions_total, done=t.number(report.actions_done)))
    weakest = report.weakest_factors
    if weakest:
        lede.append(t.gettext("Weakest factor in {round}: {factor}, average {score}.",
                              round=report.latest_round,
                              factor=t.text(report.framework.factor(weakest[0].factor_id).name),
                              score=t.score(weakest[0].average or 0)))
    has_targets = any(u.targets for p in report.phases for u in p.units)
    return executive_text(t, report.framework, (" ".join(lede),), report.summary_gaps,
                          report.next_phase, has_targets=has_targets)


def standings_radar_svg(report: RoadmapReport, t: Translator) -> str | None:
    """The executive summary's radar: the organisation's average and weakest link per
    factor in the latest round; None before any unit is measured."""
    if not report.standings:
        return None
    by_id = {s.factor_id: s for s in report.standings}

    def values(pick: str) -> dict[str, Decimal]:
        return {fid: v for fid, s in by_id.items() if (v := getattr(s, pick)) is not None}

    chart = units_radar_chart(
        t, report.framework, t.gettext("At a glance: {organisation}, {round}",
                                       organisation=report.organisation_name,
                                       round=report.latest_round),
        [(t.gettext("Average"), values("average")),
         (t.gettext("Weakest link"), values("weakest_score"))])
    return render_radar_svg(chart)


def roadmap_report_html(report: RoadmapReport, t: Translator, environment: Environment,
                        brand: Brand | None = None) -> str:
    """The report as print-ready HTML in the translator's language."""
    return render_html(environment, TEMPLATE, t, {
        "executive": None if report.empty else roadmap_executive(report, t),
        "summary_svg": None if report.empty else standings_radar_svg(report, t),
        "report": report, "framework": report.framework,
        "timeline_svg": None if report.empty else timeline_svg(report, t),
        "radars": {p.phase_id: phase_radar_svg(report, p, t) for p in report.phases},
        "titles": {p.phase_id: phase_title(t, p) for p in report.phases},
        "factor_names": {f.id: t.text(f.name) for f in report.framework.factors},
        "status_labels": action_status_labels(t), "units_per_radar": UNITS_PER_RADAR,
    }, brand=brand)


def roadmap_filename(report: RoadmapReport, language: str) -> str:
    """A plain ASCII file name for the PDF: roadmap-<organisation>-<language>.pdf."""
    return f"roadmap-{file_slug(report.organisation_name)}-{language}.pdf"

