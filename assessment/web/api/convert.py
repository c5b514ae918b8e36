"""Domain and report data as API models: one function per model, no recomputation."""

from __future__ import annotations

from sqlmodel import Session

from assessment import roadmap, services
from assessment.dashboard import RoundOverview, Trends
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import Action as PlannedAction
from assessment.models import FrameworkVersion, Organisation, Round, id_of
from assessment.roadmap import UnitScores
from assessment.scoring import FactorScore
from assessment.web.api.schemas import (
    ActionOut,
    FactorGapOut,
    FactorLevel,
    FactorOut,
    FactorScoreOut,
    FactorSummaryOut,
    FrameworkRef,
    GateOut,
    HeatCellOut,
    HeatmapOut,
    HeatRowOut,
    OrganisationOut,
    OwnerOut,
    PhaseOut,
    PhaseUnitOut,
    RoundDetail,
    RoundOut,
    Source,
    StageCount,
    StageOut,
    TrendFactorOut,
    TrendPointOut,
    TrendRoundOut,
    TrendsOut,
    UnitGapsOut,
    UnitScoresOut,
    UnitValue,
    number,
    utc,
)
from reports.leadership import PhaseSummary, score_level


def organisation(row: Organisation) -> OrganisationOut:
    """An organisation."""
    return OrganisationOut(id=id_of(row), name=row.name, created_at=utc(row.created_at))


def framework_ref(version: FrameworkVersion) -> FrameworkRef:
    """The stored framework version a round is pinned to."""
    return FrameworkRef(id=version.framework_id, version=version.version,
                        content_hash=version.content_hash)


def round_out(round_: Round, version: FrameworkVersion) -> RoundOut:
    """A round with its framework version."""
    return RoundOut(id=id_of(round_), organisation_id=round_.organisation_id, name=round_.name,
                    created_at=utc(round_.created_at), framework=framework_ref(version))


def round_detail(round_: Round, version: FrameworkVersion, framework: Framework) -> RoundDetail:
    """A round with its framework's stages and factors."""
    return RoundDetail(
        **round_out(round_, version).model_dump(),
        stages=[StageOut(level=framework.level_of(s.id), id=s.id, name=dict(s.name))
                for s in framework.stages],
        factors=[FactorOut(id=f.id, name=dict(f.name), core=f.core, questions=len(f.questions))
                 for f in framework.factors])


def _stage_id(framework: Framework, level: int | None) -> str | None:
    return framework.stage_by_level(level).id if level else None


def _source(measured: UnitScores | None, factor_id: str) -> Source | None:
    found = measured.source(factor_id) if measured else None
    return "workshop" if found == "workshop" else "self" if found == "self" else None


def factor_score(framework: Framework, measured: UnitScores, score: FactorScore,
                 ) -> FactorScoreOut:
    """A unit's measured score of one factor, with where it came from."""
    return FactorScoreOut(
        factor_id=score.factor_id, score=number(score.score), stage_level=score.stage_level,
        stage_id=_stage_id(framework, score.stage_level),
        source=_source(measured, score.factor_id), questions=score.questions,
        answered=score.answered, dont_know=score.dont_know,
        not_applicable=score.not_applicable)


def unit_scores(framework: Framework, measured: UnitScores) -> UnitScoresOut:
    """A unit's measured scores in a round, in framework order."""
    return UnitScoresOut(
        round_id=measured.round_id, unit_id=measured.unit_id,
        kind="workshop" if measured.kind == "workshop" else "self",
        factors=[factor_score(framework, measured, measured.factors[f.id])
                 for f in framework.factors if f.id in measured.factors])


def heatmap(overview: RoundOverview, version: FrameworkVersion,
            root_id: int | None) -> HeatmapOut:
    """The round's heatmap and factor summaries, as `dashboard.round_overview` made them."""
    framework = overview.framework
    weakest = {s.factor.id: {id_of(u) for u in s.weakest} for s in overview.factors}
    rows = []
    for item in overview.units:
        unit_id = id_of(item.unit)
        measured = overview.scores.get(unit_id)
        cells = []
        if measured is not None:
            for summary in overview.factors:
                fid = summary.factor.id
                found = overview.cell(unit_id, fid)
                value = found.score if found else None
                level = score_level(value, framework) if value is not None else None
                cells.append(HeatCellOut(
                    factor_id=fid, score=number(value), stage_level=level,
                    stage_id=_stage_id(framework, level), source=_source(measured, fid),
                    weakest=unit_id in weakest[fid]))
        rows.append(HeatRowOut(unit_id=unit_id, name=item.unit.name, depth=item.depth,
                               measured=measured is not None, cells=cells))
    factors = [FactorSummaryOut(
        factor_id=s.factor.id, average=number(s.average), weakest_score=number(s.weakest_score),
        weakest_unit_ids=[id_of(u) for u in s.weakest],
        per_stage=[StageCount(level=framework.level_of(stage.id), count=count)
                   for stage, count in zip(framework.stages, s.per_stage, strict=True)],
        unmeasured=s.unmeasured) for s in overview.factors]
    return HeatmapOut(round_id=id_of(overview.round), root_unit_id=root_id,
                      framework=framework_ref(version), measured_units=overview.measured_units,
                      rows=rows, factors=factors)


def trends(session: Session, registry: FrameworkRegistry, organisation_id: int,
           found: Trends, root_id: int | None) -> TrendsOut:
    """Every factor across the rounds, as `dashboard.trends` worked it out."""
    differing = {id_of(r) for r in found.differing}
    newest = None
    if found.rounds:
        newest = framework_ref(services.round_framework(session, registry, found.rounds[-1])[1])
    factors = []
    if found.framework is not None:
        for factor in found.framework.factors:
            factors.append(TrendFactorOut(factor_id=factor.id, name=dict(factor.name), points=[
                TrendPointOut(round_id=id_of(p.round), comparable=p.comparable,
                              average=number(p.average), weakest=number(p.weakest),
                              units=[UnitValue(unit_id=uid, score=number(v))
                                     for uid, v in sorted(p.units.items())])
                for p in found.factors[factor.id]]))
    return TrendsOut(
        organisation_id=organisation_id, root_unit_id=root_id, framework=newest,
        rounds=[TrendRoundOut(id=id_of(r), name=r.name, framework_version=found.versions[id_of(r)],
                              same_version_as_newest=id_of(r) not in differing)
                for r in found.rounds],
        factors=factors)


def unit_gaps(framework: Framework, round_id: int, unit_id: int, measured: UnitScores | None,
              targets: dict[str, int]) -> UnitGapsOut:
    """A unit's targets and gaps, as `roadmap.gaps` works them out."""
    return UnitGapsOut(round_id=round_id, unit_id=unit_id, factors=[
        FactorGapOut(factor_id=g.factor_id, score=number(g.score.score) if g.score else None,
                     current_stage=g.current, target_stage=g.target, gap=g.gap,
                     source=_source(measured, g.factor_id))
        for g in roadmap.gaps(framework, measured, targets)])


def phase(summary: PhaseSummary) -> PhaseOut:
    """A roadmap phase with its units, owners, gates and how they stand."""
    progress = summary.progress
    row = progress.phase
    return PhaseOut(
        id=id_of(row), kind=row.kind, name=row.name, position=row.position,
        starts_on=row.starts_on, ends_on=row.ends_on, focus=progress.focus, notes=row.notes,
        owners=[OwnerOut(id=id_of(o), name=o.name, role=o.role) for o in progress.owners],
        units=[PhaseUnitOut(
            unit_id=id_of(u.unit), plan_round_id=u.plan_round.id if u.plan_round else None,
            latest_round_id=u.latest_round.id if u.latest_round else None,
            targets=[FactorLevel(factor_id=f, level=lv) for f, lv in u.targets.items()],
            latest_stages=[FactorLevel(factor_id=f, level=s.stage_level)
                           for f, s in (u.latest.factors.items() if u.latest else ())
                           if s.stage_level is not None])
            for u in progress.units],
        gates=[GateOut(id=id_of(g.gate), factor_id=g.gate.factor_id, level=g.gate.level,
                       reached=g.reached, units=g.units, holds=g.holds)
               for g in progress.gates],
        gates_holding=summary.gates_holding, targets=summary.targets,
        targets_reached=summary.targets_reached)


def action(row: PlannedAction, text: str) -> ActionOut:
    """A planned action, with the text it shows."""
    return ActionOut(
        id=id_of(row), organisation_id=row.organisation_id, unit_id=row.unit_id,
        factor_id=row.factor_id, from_level=row.from_level, library_id=row.library_id,
        text=text, owner=row.owner, due_on=row.due_on, status=row.status,
        position=row.position, created_at=utc(row.created_at),
        updated_at=utc(row.updated_at))
