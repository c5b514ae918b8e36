"""The leadership views: units by factor in a round with the weakest link per factor, units
side by side on one radar, trends across rounds, and the rollout at a glance; and the
leadership brief, the dashboard as a PDF built in the background."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from markupsafe import Markup
from sqlmodel import Session
from starlette.responses import Response

from assessment import dashboard, org_frameworks, report_jobs, roadmap, services
from assessment.dashboard import MAX_COMPARED_UNITS, RoundOverview, Trends
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import LANGUAGE_NAMES, LANGUAGES, Translator
from assessment.models import Organisation, Round, Unit, id_of
from assessment.policy import Action
from assessment.services import ServiceError
from assessment.web.access import (
    BriefCreate,
    BriefRead,
    DashboardRead,
    UnitRead,
    UserDep,
    may,
)
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep
from assessment.web.pages import see_other
from reports import leadership
from reports.leadership import Line

router = APIRouter()
Raw = Annotated[str | None, Query()]
RoundParam = Annotated[str | None, Query(alias="round")]
FrameworkParam = Annotated[str | None, Query(alias="framework")]


def pick_round(rounds: Sequence[Round], raw: str | None) -> Round | None:
    """The round asked for, else the newest; a round of another organisation is a 404."""
    if raw is None or not raw.strip():
        return rounds[-1] if rounds else None
    chosen = next((r for r in rounds if str(r.id) == raw.strip()), None)
    if chosen is None:
        raise HTTPException(status_code=404)
    return chosen


@dataclass(frozen=True)
class FrameworkPick:
    """The framework a leadership view shows, the organisation's frameworks to choose from,
    and the round shown (the one asked for, else the newest on the framework)."""

    choice: org_frameworks.FrameworkChoice
    options: list[org_frameworks.FrameworkChoice]
    round: Round | None

    @property
    def rounds(self) -> list[Round]:
        """The rounds on the framework, oldest first."""
        return list(self.choice.rounds)


def pick_framework(session: Session, registry: FrameworkRegistry, organisation: Organisation,
                   rounds: Sequence[Round], raw_framework: str | None,
                   raw_round: str | None) -> FrameworkPick:
    """The framework asked for (`?framework=ID`; a round asked for decides it), else that of
    the newest round; an unknown framework or another organisation's round is a 404."""
    options = org_frameworks.choices(session, registry, organisation, rounds)
    if raw_round is not None and raw_round.strip():
        round_ = pick_round(rounds, raw_round)
        assert round_ is not None
        framework_id = org_frameworks.framework_ids(session, [round_])[id_of(round_)]
        choice = next(c for c in options if c.id == framework_id)
        return FrameworkPick(choice, options, round_)
    found = org_frameworks.pick(options, raw_framework)
    if found is None:
        raise HTTPException(status_code=404)
    return FrameworkPick(found, options, found.rounds[-1] if found.rounds else None)


def pick_unit(tree: Sequence[services.TreeUnit], raw: str | None) -> Unit | None:
    """The unit asked for, else none; a unit of another organisation is a 404."""
    if raw is None or not raw.strip():
        return None
    chosen = next((item.unit for item in tree if str(item.unit.id) == raw.strip()), None)
    if chosen is None:
        raise HTTPException(status_code=404)
    return chosen


def _helpers(t: Translator) -> dict[str, Callable[..., Any]]:
    """Template helpers: the stage a score has reached and its colour, in a framework."""

    def stage_name(score: Decimal | None, framework: Framework | None) -> str:
        return leadership.stage_name(t, score, framework)

    return {"stage_name": stage_name, "heat": leadership.score_heat}


def _heat_cells(session: Session, t: Translator, overview: RoundOverview) -> dict[int, Markup]:
    """The heatmap's cells by unit, kept under the round's scores, the units shown and the
    language (see `roadmap.kept_derived`)."""
    def make() -> dict[int, Markup]:
        return leadership.heatmap_cells_html(t, overview, leadership.heatmap_rows(t, overview))

    if overview.scores_key is None:
        return make()
    shown = tuple(id_of(item.unit) for item in overview.units)
    return roadmap.kept_derived(session, ("heat", overview.scores_key, shown, t.language), make)


@router.get("/organisations/{organisation_id}/dashboard")
def show_dashboard(request: Request, session: SessionDep, t: TranslatorDep,
                   registry: RegistryDep, organisation: DashboardRead,
                   chosen_round: RoundParam = None, unit: Raw = None,
                   framework: FrameworkParam = None) -> Response:
    """Units by factor in a round (the newest on the chosen framework unless one is chosen),
    for the whole organisation or the sub-tree under one unit, with trends on that framework
    and rollout progress."""
    org_id = id_of(organisation)
    tree = services.unit_tree(session, organisation)
    chosen = pick_framework(session, registry, organisation,
                            services.list_rounds(session, organisation), framework,
                            chosen_round)
    rounds, round_ = chosen.rounds, chosen.round
    root = pick_unit(tree, unit)
    root_id = id_of(root) if root else None
    overview = (dashboard.round_overview(session, registry, organisation, round_, root_id,
                                         tree=tree)
                if round_ is not None else None)
    trends = dashboard.trends(session, registry, organisation, root_id, tree=tree,
                              framework_id=chosen.choice.id)
    phases = roadmap.roadmap(session, registry, organisation)
    measured = overview is not None and overview.measured_units > 0
    heat_cells = _heat_cells(session, t, overview) if overview is not None else {}
    viewer = request.state.viewer
    values: dict[str, Any] = {
        "organisation": organisation, "rounds": rounds, "round": round_, "tree": tree,
        "root": root, "overview": overview, "chosen": chosen,
        "heat_cells": heat_cells,
        "profile_svg": (leadership.profile_radar_svg(t, overview)
                        if overview is not None and measured else ""),
        "trends": trends,
        "trend_svgs": (leadership.organisation_trend_svgs(t, trends)
                       if len(trends.rounds) > 1 else {}),
        "notices": leadership.version_notices(session, registry, t, trends),
        "rollout": leadership.rollout_summary(phases),
        "heat_class": leadership.heat_class,
        "can_read_roadmap": may(viewer, "roadmap", Action.read, org_id),
        "can_open_organisation": may(viewer, "organisation", Action.read, org_id),
        **_helpers(t),
    }
    return request.app.state.pages.page(request, t, "dashboard.html", values,
                                        fragment=["content"])


@router.get("/organisations/{organisation_id}/dashboard/factors/{factor_id}")
def show_factor_units(request: Request, session: SessionDep, t: TranslatorDep,
                      registry: RegistryDep, organisation: DashboardRead, factor_id: str,
                      unit: Raw = None, framework: FrameworkParam = None) -> Response:
    """Every unit's score for one factor in each round on the framework, for the whole
    organisation or a sub-tree: the dashboard loads the table when its "Every unit by round"
    is opened."""
    tree = services.unit_tree(session, organisation)
    root = pick_unit(tree, unit)
    chosen = pick_framework(session, registry, organisation,
                            services.list_rounds(session, organisation), framework, None)
    trends = dashboard.trends(session, registry, organisation, id_of(root) if root else None,
                              framework_id=chosen.choice.id)
    if trends.framework is None or factor_id not in trends.factors:
        raise HTTPException(status_code=404)
    values: dict[str, Any] = {
        "organisation": organisation, "root": root, "trends": trends, "chosen": chosen,
        "factor": trends.framework.factor(factor_id), "points": trends.factors[factor_id],
        "can_open_organisation": may(request.state.viewer, "organisation", Action.read,
                                     id_of(organisation)),
    }
    return request.app.state.pages.page(request, t, "factor_units.html", values,
                                        fragment=["unit_table"])


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
                  average: Raw = None, framework: FrameworkParam = None) -> Response:
    """Up to MAX_COMPARED_UNITS units on one radar in a round (of the chosen framework),
    optionally with the organisation's average; more units re-show the form with a message
    (422)."""
    tree = services.unit_tree(session, organisation)
    chosen_framework = pick_framework(session, registry, organisation,
                                      services.list_rounds(session, organisation), framework,
                                      chosen_round)
    rounds, round_ = chosen_framework.rounds, chosen_framework.round
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
        "chosen_framework": chosen_framework,
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
                    registry: RegistryDep, unit: UnitRead,
                    framework: FrameworkParam = None) -> Response:
    """The unit's score per factor in each round (on the chosen framework) beside the
    organisation's average and weakest link, and a radar of the unit against the average in
    its latest measured round."""
    organisation = session.get(Organisation, unit.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    unit_id = id_of(unit)
    chosen = pick_framework(session, registry, organisation,
                            services.list_rounds(session, organisation), framework, None)
    trends = dashboard.trends(session, registry, organisation, framework_id=chosen.choice.id)
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
        "latest": latest, "radar_svg": radar, "chosen": chosen,
        "trend_svgs": (leadership.unit_trend_svgs(t, trends, unit_id, unit.name)
                       if measured and len(trends.rounds) > 1 else {}),
        "notices": leadership.version_notices(session, registry, t, trends),
        "can_open_organisation": may(viewer, "organisation", Action.read,
                                     unit.organisation_id),
        "can_read_dashboard": may(viewer, "dashboard", Action.read, unit.organisation_id),
        **_helpers(t),
    }
    return request.app.state.pages.page(request, t, "unit_trend.html", values,
                                        fragment=["content"])


# The leadership brief (PDF) ---------------------------------------------------------------

def _brief_form(request: Request, session: Session, t: Translator, organisation: Organisation,
                *, round_: Round | None, root: Unit | None, language: str | None = None,
                error: str | None = None, status: int = 200) -> Response:
    values: dict[str, Any] = {
        "organisation": organisation, "rounds": services.list_rounds(session, organisation),
        "tree": services.unit_tree(session, organisation), "round": round_, "root": root,
        "report_languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "chosen": language or t.language, "error": error,
        "can_open_organisation": may(request.state.viewer, "organisation", Action.read,
                                     id_of(organisation)),
    }
    return request.app.state.pages.page(request, t, "brief.html", values,
                                        fragment=["content"], status=status)


@router.get("/organisations/{organisation_id}/brief")
def show_brief_form(request: Request, session: SessionDep, t: TranslatorDep,
                    organisation: BriefRead, chosen_round: RoundParam = None,
                    unit: Raw = None) -> Response:
    """The leadership brief: choose the round, the units and the language, and have it built
    (the dashboard's link carries its round and unit filter)."""
    round_ = pick_round(services.list_rounds(session, organisation), chosen_round)
    root = pick_unit(services.unit_tree(session, organisation), unit)
    return _brief_form(request, session, t, organisation, round_=round_, root=root)


@router.post("/organisations/{organisation_id}/brief")
def create_brief(request: Request, session: SessionDep, t: TranslatorDep, user: UserDep,
                 organisation: BriefCreate,
                 chosen_round: Annotated[str | None, Form(alias="round")] = None,
                 unit: Annotated[str | None, Form()] = None,
                 language: Annotated[str | None, Form()] = None) -> Response:
    """Queue the leadership brief and go to the page that shows its progress."""
    round_ = pick_round(services.list_rounds(session, organisation), chosen_round)
    root = pick_unit(services.unit_tree(session, organisation), unit)
    try:
        job = report_jobs.create_brief_job(session, organisation, round_, root, language,
                                           by=user)
    except ServiceError as exc:
        session.rollback()
        return _brief_form(request, session, t, organisation, round_=round_, root=root,
                           language=language, error=t.gettext(exc.message, **exc.params),
                           status=exc.status)
    session.commit()
    request.app.state.report_jobs.submit(id_of(job))
    return see_other(f"/report-jobs/{job.id}")
