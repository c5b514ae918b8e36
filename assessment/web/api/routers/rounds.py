"""Rounds: the framework a round is pinned to, scores and stages per unit and factor, the
heatmap with the weakest links, targets and gaps, and the round's workshops."""

from __future__ import annotations

from fastapi import APIRouter

from assessment import dashboard, roadmap, services, workshops
from assessment.models import id_of
from assessment.web.api import convert
from assessment.web.api.access import (
    RoundDashboardRead,
    RoundPlanRead,
    RoundRead,
    RoundWorkshopRead,
)
from assessment.web.api.paging import PagingDep
from assessment.web.api.routers.organisations import UnitFilter, unit_root
from assessment.web.api.schemas import (
    HeatmapOut,
    Page,
    RoundDetail,
    UnitGapsOut,
    UnitScoresOut,
    WorkshopOut,
    utc,
)
from assessment.web.deps import RegistryDep, SessionDep

router = APIRouter()


@router.get("/rounds/{round_id}", response_model=RoundDetail)
def get_round(call: RoundRead, session: SessionDep, registry: RegistryDep) -> RoundDetail:
    """A round with its framework version, stages (by level) and factors."""
    framework, version = services.round_framework(session, registry, call.round)
    return convert.round_detail(call.round, version, framework)


@router.get("/rounds/{round_id}/scores", response_model=Page[UnitScoresOut])
def list_scores(call: RoundDashboardRead, session: SessionDep, registry: RegistryDep,
                paging: PagingDep, unit_id: UnitFilter = None) -> Page[UnitScoresOut]:
    """Each measured unit's score and stage per factor in the round (in tree order), with
    the assessment each factor's figure came from (workshop consensus or self-assessment)."""
    tree = services.unit_tree(session, call.organisation)
    root = unit_root(tree, unit_id)
    units = dashboard.subtree(session, call.organisation, root, tree=tree)
    framework = services.round_framework(session, registry, call.round)[0]
    scores = roadmap.round_scores(session, framework, call.round, [id_of(u.unit) for u in units])
    measured = [scores[id_of(u.unit)] for u in units if id_of(u.unit) in scores]
    return paging.page(measured, lambda m: convert.unit_scores(framework, m))


@router.get("/rounds/{round_id}/heatmap", response_model=HeatmapOut)
def get_heatmap(call: RoundDashboardRead, session: SessionDep, registry: RegistryDep,
                unit_id: UnitFilter = None) -> HeatmapOut:
    """Units by factors: every cell's score and stage, the weakest unit per factor (ties
    included), units per stage and the average, as on the dashboard."""
    tree = services.unit_tree(session, call.organisation)
    root = unit_root(tree, unit_id)
    overview = dashboard.round_overview(session, registry, call.organisation, call.round, root,
                                        tree=tree)
    version = services.round_framework(session, registry, call.round)[1]
    return convert.heatmap(overview, version, root)


@router.get("/rounds/{round_id}/targets", response_model=Page[UnitGapsOut])
def list_targets(call: RoundPlanRead, session: SessionDep, registry: RegistryDep,
                 paging: PagingDep, unit_id: UnitFilter = None) -> Page[UnitGapsOut]:
    """Per unit with targets or scores in the round: each factor's measured stage, target
    stage and gap."""
    tree = services.unit_tree(session, call.organisation)
    root = unit_root(tree, unit_id)
    unit_ids = [id_of(u.unit) for u in dashboard.subtree(session, call.organisation, root,
                                                         tree=tree)]
    framework = services.round_framework(session, registry, call.round)[0]
    scores = roadmap.round_scores(session, framework, call.round, unit_ids)
    targets = roadmap.targets(session, id_of(call.round), unit_ids)
    shown = [u for u in unit_ids if u in scores or targets.get(u)]
    return paging.page(shown, lambda u: convert.unit_gaps(
        framework, id_of(call.round), u, scores.get(u), targets.get(u, {})))


@router.get("/rounds/{round_id}/workshops", response_model=Page[WorkshopOut])
def list_workshops(call: RoundWorkshopRead, session: SessionDep,
                   paging: PagingDep) -> Page[WorkshopOut]:
    """The round's workshops."""
    found = workshops.workshops_of(session, call.round)
    return paging.page(found, lambda w: WorkshopOut(
        id=id_of(w), round_id=w.round_id, unit_id=w.unit_id, status=w.status,
        participants=workshops.participant_count(session, w), created_at=utc(w.created_at),
        closed_at=utc(w.closed_at) if w.closed_at else None))
