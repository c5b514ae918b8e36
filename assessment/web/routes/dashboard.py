"""The leadership views: units by factor in a round with the weakest link per factor, units
side by side on one radar, trends across rounds, and the rollout at a glance."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from sqlmodel import Session
from starlette.responses import Response

from assessment import dashboard, roadmap, services
from assessment.dashboard import MAX_COMPARED_UNITS, RoundOverview, Trends
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Translator
from assessment.models import Organisation, Round, Unit, id_of
from assessment.policy import Action
from assessment.scoring import stage_for
from assessment.web.access import DashboardRead, UnitRead, may
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep
from reports import leadership
from reports.leadership import Line

router = APIRouter()
Raw = Annotated[str | None, Query()]
RoundParam = Annotated[str | None, Query(alias="round")]


def _pick_round(rounds: Sequence[Round], raw: str | None) -> Round | None:
    """The round asked for, else the newest; a round of another organisation is a 404."""
    if raw is None or not raw.strip():
        return rounds[-1] if rounds else None
    chosen = next((r for r in rounds if str(r.id) == raw.strip()), None)
    if chosen is None:
        raise HTTPException(status_code=404)
    return chosen


def _pick_unit(tree: Sequence[services.TreeUnit], raw: str | None) -> Unit | None:
    """The unit asked for, else none; a unit of another organisation is a 404."""
    if raw is None or not raw.strip():
        return None
    chosen = next((item.unit for item in tree if str(item.unit.id) == raw.strip()), None)
    if chosen is None:
        raise HTTPException(status_code=404)
    return chosen


def _helpers(t: Translator) -> dict[str, Callable[..., Any]]:
    """Template helpers: the stage a score has reached and its colour, in a framework."""

    def level(score: Decimal, framework: Framework) -> int:
        return min(max(stage_for(score), 1), framework.stage_count)

    def stage_name(score: Decimal | None, framework: Framework | None) -> str:
        if score is None or framework is None:
            return ""
        return t.text(framework.stage_by_level(level(score, framework)).name)

    def heat(score: Decimal | None, framework: Framework | None) -> str:
        if score is None or framework is None:
            return "heat-none"
        return leadership.heat_class(level(score, framework), framework.stage_count)

    return {"stage_name": stage_name, "heat": heat}


@dataclass(frozen=True)
class VersionNotice:
    """Rounds on a framework version other than the newest round's, and the newest round's
    factors that version lacks (those are not compared)."""

    version: str
    rounds: list[str]
    missing: list[str]  # factor names in the page's language


def _version_notices(session: Session, registry: FrameworkRegistry, t: Translator,
                     trends: Trends) -> list[VersionNotice]:
    """One notice per differing framework version, naming its rounds and missing factors."""
    if trends.framework is None:
        return []
    rounds: dict[str, list[str]] = {}
    known: dict[str, set[str]] = {}
    for round_ in trends.differing:
        version = trends.versions[id_of(round_)]
        rounds.setdefault(version, []).append(round_.name)
        factors = services.round_framework(session, registry, round_)[0].factors
        known[version] = known.get(version, {f.id for f in factors}) & {f.id for f in factors}
    return [VersionNotice(version, names, [t.text(f.name) for f in trends.framework.factors
                                           if f.id not in known[version]])
            for version, names in rounds.items()]


def _weakest_ids(overview: RoundOverview | None) -> dict[str, set[int]]:
    if overview is None:
        return {}
    return {s.factor.id: {id_of(u) for u in s.weakest} for s in overview.factors}


@router.get("/organisations/{organisation_id}/dashboard")
def show_dashboard(request: Request, session: SessionDep, t: TranslatorDep,
                   registry: RegistryDep, organisation: DashboardRead,
                   chosen_round: RoundParam = None, unit: Raw = None) -> Response:
    """Units by factor in a round (the newest unless one is chosen), for the whole
    organisation or the sub-tree under one unit, with trends and rollout progress."""
    org_id = id_of(organisation)
    rounds = services.list_rounds(session, organisation)
    tree = services.unit_tree(session, organisation)
    round_ = _pick_round(rounds, chosen_round)
    root = _pick_unit(tree, unit)
    root_id = id_of(root) if root else None
    overview = (dashboard.round_overview(session, registry, organisation, round_, root_id)
                if round_ is not None else None)
    trends = dashboard.trends(session, registry, organisation, root_id)
    phases = roadmap.roadmap(session, registry, organisation)
    measured = overview is not None and overview.measured_units > 0
    viewer = request.state.viewer
    values: dict[str, Any] = {
        "organisation": organisation, "rounds": rounds, "round": round_, "tree": tree,
        "root": root, "overview": overview, "weakest": _weakest_ids(overview),
        "profile_svg": (leadership.profile_radar_svg(t, overview)
                        if overview is not None and measured else ""),
        "trends": trends,
        "trend_svgs": (leadership.organisation_trend_svgs(t, trends)
                       if len(trends.rounds) > 1 else {}),
        "notices": _version_notices(session, registry, t, trends),
        "rollout": leadership.rollout_summary(phases),
        "heat_class": leadership.heat_class,
        "can_read_roadmap": may(viewer, "roadmap", Action.read, org_id),
        "can_open_organisation": may(viewer, "organisation", Action.read, org_id),
        **_helpers(t),
    }
    return request.app.state.pages.page(request, t, "dashboard.html", values,
                                        fragment=["content"])


def _compared_ids(tree: Sequence[services.TreeUnit], raw: Sequence[str]) -> list[int]:
    """The chosen units in tree order, each once; a unit of another organisation is a 404."""
    known = {str(item.unit.id): id_of(item.unit) for item in tree}
    wanted = set()
    for value in raw:
        if not value.strip():
            continue
        if value.strip() not in known:
            raise HTTPException(status_code=404)
        wanted.add(known[value.strip()])
    return [id_of(item.unit) for item in tree if item.unit.id in wanted]


def _compare_lines(t: Translator, overview: RoundOverview, units: Sequence[Unit],
                   average: bool) -> list[Line]:
    lines = []
    for unit in units:
        cells = {f.id: (score.score if (score := overview.cell(id_of(unit), f.id)) else None)
                 for f in overview.framework.factors}
        lines.append(Line(unit.name, cells))
    if average:
        # Last and dashed: with five units it shares the first unit's colour (the palette has
        # five), and its dashes and markers tell it apart.
        lines.append(Line(t.gettext("Organisation average"),
                          {s.factor.id: s.average for s in overview.factors}, "dashed"))
    return lines


@router.get("/organisations/{organisation_id}/compare")
def compare_units(request: Request, session: SessionDep, t: TranslatorDep,
                  registry: RegistryDep, organisation: DashboardRead,
                  chosen_round: RoundParam = None,
                  units: Annotated[list[str] | None, Query()] = None,
                  average: Raw = None) -> Response:
    """Up to MAX_COMPARED_UNITS units on one radar in a round, optionally with the
    organisation's average; more units re-show the form with a message (422)."""
    rounds = services.list_rounds(session, organisation)
    tree = services.unit_tree(session, organisation)
    round_ = _pick_round(rounds, chosen_round)
    chosen = _compared_ids(tree, units or [])
    with_average = bool(average)
    error = None
    if len(chosen) > MAX_COMPARED_UNITS:
        error = t.gettext("Choose at most {max} units: you chose {n}.",
                          max=t.number(MAX_COMPARED_UNITS), n=t.number(len(chosen)))
    overview = None
    compared: list[Unit] = []
    radar = ""
    if round_ is not None and error is None and (chosen or with_average):
        overview = dashboard.round_overview(session, registry, organisation, round_)
        by_id = {id_of(item.unit): item.unit for item in tree}
        compared = [by_id[i] for i in chosen]
        radar = leadership.factor_radar_svg(
            t, overview.framework, t.gettext("Units compared: {round}", round=round_.name),
            _compare_lines(t, overview, compared, with_average))
    viewer = request.state.viewer
    org_id = id_of(organisation)
    values: dict[str, Any] = {
        "organisation": organisation, "rounds": rounds, "round": round_, "tree": tree,
        "chosen": chosen, "with_average": with_average, "error": error,
        "max_units": MAX_COMPARED_UNITS, "overview": overview, "compared": compared,
        "unmeasured": [u for u in compared if overview and id_of(u) not in overview.scores],
        "radar_svg": radar,
        "can_open_organisation": may(viewer, "organisation", Action.read, org_id),
        **_helpers(t),
    }
    return request.app.state.pages.page(request, t, "compare.html", values,
                                        fragment=["content"], status=422 if error else 200)


def _measured_rounds(trends: Trends, unit_id: int) -> list[Round]:
    """The rounds in which the unit has a score on at least one factor."""
    return [round_ for index, round_ in enumerate(trends.rounds)
            if any(points[index].units.get(unit_id) is not None
                   for points in trends.factors.values())]


@router.get("/units/{unit_id}/trend")
def show_unit_trend(request: Request, session: SessionDep, t: TranslatorDep,
                    registry: RegistryDep, unit: UnitRead) -> Response:
    """The unit's score per factor in each round beside the organisation's average and
    weakest link, and a radar of the unit against the average in its latest measured round."""
    organisation = session.get(Organisation, unit.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    unit_id = id_of(unit)
    trends = dashboard.trends(session, registry, organisation)
    measured = _measured_rounds(trends, unit_id)
    latest = None
    radar = ""
    if measured:
        latest = dashboard.round_overview(session, registry, organisation, measured[-1])
        cells = {f.id: (score.score if (score := latest.cell(unit_id, f.id)) else None)
                 for f in latest.framework.factors}
        radar = leadership.factor_radar_svg(
            t, latest.framework,
            t.gettext("{unit} and the organisation: {round}", unit=unit.name,
                      round=measured[-1].name),
            [Line(unit.name, cells),
             Line(t.gettext("Organisation average"),
                  {s.factor.id: s.average for s in latest.factors}, "dashed")])
    viewer = request.state.viewer
    values: dict[str, Any] = {
        "unit": unit, "organisation": organisation, "trends": trends, "measured": measured,
        "latest": latest, "radar_svg": radar,
        "trend_svgs": (leadership.unit_trend_svgs(t, trends, unit_id, unit.name)
                       if measured and len(trends.rounds) > 1 else {}),
        "notices": _version_notices(session, registry, t, trends),
        "can_open_organisation": may(viewer, "organisation", Action.read,
                                     unit.organisation_id),
        "can_read_dashboard": may(viewer, "dashboard", Action.read, unit.organisation_id),
        **_helpers(t),
    }
    return request.app.state.pages.page(request, t, "unit_trend.html", values,
                                        fragment=["content"])
