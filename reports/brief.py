"""The leadership brief: the dashboard of one round as a PDF, for the whole organisation or
the units under one unit. Built as data first (`build_brief`), rendered (HTML, PDF) second.

It has the heatmap of units by factor with each cell's score and stage and the weakest link
per factor marked in words, how many units are at each stage, the organisation's profile
(average and weakest link per factor) as a radar with its table, each factor's trend across
the rounds as a chart with its table, and the rollout's progress. An organisation without
rounds, or a round without results, gets a short PDF that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from jinja2 import Environment
from sqlmodel import Session

from assessment import dashboard, roadmap, services
from assessment.brand import Brand
from assessment.dashboard import FactorSummary, RoundOverview, Trends
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Translator
from assessment.models import Organisation, PhaseKind, Round, Unit, id_of, utcnow
from reports import leadership
from reports.leadership import VersionGap
from reports.pdf import file_slug, render_html
from reports.summary import (
    ExecutiveText,
    GapLine,
    PhaseLine,
    executive_text,
    largest_gaps,
    next_phase,
    phase_lines,
)

TEMPLATE = "reports/brief.html"
NOT_OURS = services.N_("The round or the unit belongs to another organisation.")


@dataclass(frozen=True)
class RolloutRow:
    """A rollout phase at a glance: its units, the gates that hold, the targets reached."""

    kind: str  # PhaseKind: needs, pilot or wave
    wave: int | None  # the wave's number (1, 2 …); None for other kinds
    name: str
    units: tuple[str, ...]
    measured_units: int
    gates: int
    gates_holding: int
    targets: int
    targets_reached: int


@dataclass(frozen=True)
class LeadershipBrief:
    """Everything the brief shows, independent of the language it is rendered in."""

    organisation_name: str
    root_name: str | None  # the sub-tree's top unit; None: the whole organisation
    generated_at: datetime
    round_name: str | None  # None: the organisation has no rounds
    framework: Framework | None  # the round's framework
    framework_version: str | None
    content_hash: str | None
    overview: RoundOverview | None
    trends: Trends
    version_gaps: tuple[VersionGap, ...]
    rollout: tuple[RolloutRow, ...]
    phase_lines: tuple[PhaseLine, ...] = ()
    summary_gaps: tuple[GapLine, ...] = ()  # the units' three largest gaps to target

    @property
    def measured(self) -> bool:
        """Whether any unit shown has results in the round."""
        return self.overview is not None and self.overview.measured_units > 0

    @property
    def has_trend(self) -> bool:
        """Whether there are rounds enough (two) for a trend."""
        return len(self.trends.rounds) > 1

    @property
    def by_average(self) -> list[FactorSummary]:
        """The factors with an average, lowest first (framework order among equals)."""
        factors = self.overview.factors if self.overview else []
        return sorted((f for f in factors if f.average is not None),
                      key=lambda f: f.average or Decimal(0))

    @property
    def weakest_link(self) -> FactorSummary | None:
        """The factor with the lowest unit score of all (the first such factor)."""
        factors = [f for f in (self.overview.factors if self.overview else [])
                   if f.weakest_score is not None]
        return min(factors, key=lambda f: f.weakest_score or Decimal(0), default=None)


def _rollout(phases: list[roadmap.PhaseProgress]) -> tuple[RolloutRow, ...]:
    rows = []
    waves = 0
    for summary in leadership.rollout_summary(phases):
        phase = summary.progress.phase
        waves += phase.kind == PhaseKind.wave
        rows.append(RolloutRow(
            str(phase.kind), waves if phase.kind == PhaseKind.wave else None, phase.name,
            tuple(u.unit.name for u in summary.progress.units), summary.measured_units,
            len(summary.progress.gates), summary.gates_holding, summary.targets,
            summary.targets_reached))
    return tuple(rows)


def build_brief(session: Session, registry: FrameworkRegistry, organisation: Organisation,
                round_: Round | None = None, root: Unit | None = None, *,
                now: datetime | None = None) -> LeadershipBrief:
    """Gather the brief of the round (the newest one unless given) for the whole organisation
    or the units under `root`."""
    org_id = id_of(organisation)
    if (round_ is not None and round_.organisation_id != org_id) or \
            (root is not None and root.organisation_id != org_id):
        raise services.InvalidInput(NOT_OURS)
    if round_ is None:
        rounds = services.list_rounds(session, organisation)
        round_ = rounds[-1] if rounds else None
    tree = services.unit_tree(session, organisation)
    root_id = id_of(root) if root else None
    overview = (dashboard.round_overview(session, registry, organisation, round_, root_id,
                                         tree=tree) if round_ is not None else None)
    version = services.round_framework(session, registry, round_)[1] if round_ else None
    # The trends of the round's framework only: another framework's rounds never compare.
    trends = dashboard.trends(session, registry, organisation, root_id, tree=tree,
                              framework_id=version.framework_id if version else None)
    progress = roadmap.roadmap(session, registry, organisation)
    shown = ({id_of(item.unit) for item in overview.units} if overview is not None
             else set())
    gaps = largest_gaps(
        [(u.unit.name, u.targets, {fid: s.stage_level for fid, s in u.latest.factors.items()
                                   if s.stage_level is not None})
         for p in progress for u in p.units if u.latest and id_of(u.unit) in shown],
        overview.framework) if overview is not None else ()
    return LeadershipBrief(
        organisation_name=organisation.name, root_name=root.name if root else None,
        generated_at=now or utcnow(), round_name=round_.name if round_ else None,
        framework=overview.framework if overview else None,
        framework_version=version.version if version else None,
        content_hash=version.content_hash if version else None,
        overview=overview, trends=trends,
        version_gaps=tuple(leadership.version_gaps(session, registry, trends)),
        rollout=_rollout(progress), phase_lines=phase_lines(progress), summary_gaps=gaps)


# Rendering ---------------------------------------------------------------------------------

def brief_executive(brief: LeadershipBrief, t: Translator) -> ExecutiveText | None:
    """The executive summary's words: how many units are measured, where the organisation
    is weakest, the largest gaps and the phase that comes next; None without results."""
    overview = brief.overview
    if not brief.measured or overview is None:
        return None
    lede = [t.ngettext("{measured} of {n} unit has results in this round.",
                       "{measured} of {n} units have results in this round.",
                       len(overview.units), measured=t.number(overview.measured_units))]
    ranked, link = brief.by_average, brief.weakest_link
    if ranked:
        lede.append(t.gettext("Weakest factor on average: {factor} ({score}).",
                              factor=t.text(ranked[0].factor.name),
                              score=t.score(ranked[0].average or 0)))
    if link is not None:
        lede.append(t.gettext("The weakest link of all: {units} in {factor} ({score}).",
                              units=", ".join(u.name for u in link.weakest),
                              factor=t.text(link.factor.name),
                              score=t.score(link.weakest_score or 0)))
    has_targets = any(r.targets for r in brief.rollout)
    return executive_text(t, overview.framework, (" ".join(lede),), brief.summary_gaps,
                          next_phase(brief.phase_lines, today=brief.generated_at.date()),
                          has_targets=has_targets)


SMALL_HEATMAP_ROWS = 14  # the executive summary's heatmap; the full one follows


def brief_html(brief: LeadershipBrief, t: Translator, environment: Environment,
               brand: Brand | None = None) -> str:
    """The brief as print-ready HTML in the translator's language."""
    overview = brief.overview
    return render_html(environment, TEMPLATE, t, {
        "executive": brief_executive(brief, t), "small_rows": SMALL_HEATMAP_ROWS,
        "brief": brief, "framework": brief.framework, "overview": overview,
        "trends": brief.trends,
        "heat_rows": leadership.heatmap_rows(t, overview) if brief.measured and overview
        else [],
        "heat_class": leadership.heat_class,
        "stage_name": lambda score, framework: leadership.stage_name(t, score, framework),
        "profile_svg": leadership.profile_radar_svg(t, overview)
        if brief.measured and overview else "",
        "trend_svgs": leadership.organisation_trend_svgs(t, brief.trends)
        if brief.has_trend else {},
        "differing": {id_of(r) for r in brief.trends.differing},
        "notices": [leadership.notice(t, gap) for gap in brief.version_gaps],
    }, brand=brand)


def brief_filename(brief: LeadershipBrief, language: str) -> str:
    """A plain ASCII file name: leadership-brief-<organisation>[-<unit>]-<round>-<lang>.pdf."""
    parts = [brief.organisation_name, brief.root_name, brief.round_name]
    return "-".join(["leadership-brief", *(file_slug(p) for p in parts if p), language]) + ".pdf"
