"""Organisations: the token's organisation, its unit tree, rounds, trends, roadmap and
actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session

from assessment import dashboard, roadmap, services
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import Action as PlannedAction
from assessment.models import ActionStatus, Organisation, id_of
from assessment.settings import Language
from assessment.web.api import convert
from assessment.web.api.access import (
    MAX_API_ID,
    DashboardRead,
    OrganisationPlanRead,
    OrganisationRead,
    OwnOrganisation,
    RoadmapRead,
)
from assessment.web.api.paging import PagingDep
from assessment.web.api.problems import ApiError
from assessment.web.api.schemas import (
    ActionOut,
    OrganisationOut,
    Page,
    RoadmapOut,
    RoundOut,
    TrendsOut,
    UnitOut,
    utc,
)
from assessment.web.deps import RegistryDep, SessionDep, SettingsDep
from reports.leadership import rollout_summary

router = APIRouter()
UnitFilter = Annotated[int | None, Query(ge=1, le=MAX_API_ID,
                                         description="Only this unit and the units below it")]
LanguageParam = Annotated[Language | None, Query(
    description="Language of framework texts (actions proposed from the framework); "
    "default: the app's default language")]


def unit_root(tree: list[services.TreeUnit], unit_id: int | None) -> int | None:
    """The asked-for unit when it is one of the organisation's, else 404."""
    if unit_id is not None and not any(item.unit.id == unit_id for item in tree):
        raise ApiError(404, f"The organisation has no unit with id {unit_id}.")
    return unit_id


@router.get("/organisations", response_model=Page[OrganisationOut])
def list_organisations(caller: OwnOrganisation, session: SessionDep,
                       paging: PagingDep) -> Page[OrganisationOut]:
    """The organisations the token reads: its own."""
    rows = services.list_organisations(session, [caller.organisation_id])
    return paging.page(rows, convert.organisation)


@router.get("/organisations/{organisation_id}", response_model=OrganisationOut)
def get_organisation(call: OrganisationRead) -> OrganisationOut:
    """One organisation."""
    return convert.organisation(call.organisation)


@router.get("/organisations/{organisation_id}/units", response_model=Page[UnitOut])
def list_units(call: OrganisationRead, session: SessionDep,
               paging: PagingDep) -> Page[UnitOut]:
    """The organisation's units in tree order (parents first, siblings by name)."""
    tree = services.unit_tree(session, call.organisation)
    return paging.page(tree, lambda item: UnitOut(
        id=id_of(item.unit), name=item.unit.name, parent_id=item.unit.parent_id,
        depth=item.depth, created_at=utc(item.unit.created_at)))


@router.get("/organisations/{organisation_id}/rounds", response_model=Page[RoundOut])
def list_rounds(call: OrganisationRead, session: SessionDep, registry: RegistryDep,
                paging: PagingDep) -> Page[RoundOut]:
    """The organisation's rounds, oldest first, each with its framework version."""
    rounds = services.list_rounds(session, call.organisation)
    return paging.page(rounds, lambda r: convert.round_out(
        r, services.round_framework(session, registry, r)[1]))


@router.get("/organisations/{organisation_id}/trends", response_model=TrendsOut)
def get_trends(call: DashboardRead, session: SessionDep, registry: RegistryDep,
               unit_id: UnitFilter = None) -> TrendsOut:
    """Per factor of the newest round's framework: the organisation's average and weakest
    link in every round, and each unit's score (rounds on another framework version count
    only for the factors they share)."""
    tree = services.unit_tree(session, call.organisation)
    root = unit_root(tree, unit_id)
    found = dashboard.trends(session, registry, call.organisation, root, tree=tree)
    return convert.trends(session, registry, id_of(call.organisation), found, root)


@router.get("/organisations/{organisation_id}/roadmap", response_model=RoadmapOut)
def get_roadmap(call: RoadmapRead, session: SessionDep, registry: RegistryDep) -> RoadmapOut:
    """The rollout roadmap: phases with owners, units (targets against latest stages) and
    gates with whether they hold."""
    phases = roadmap.roadmap(session, registry, call.organisation)
    return RoadmapOut(organisation_id=id_of(call.organisation),
                      phases=[convert.phase(s) for s in rollout_summary(phases)])


@router.get("/organisations/{organisation_id}/actions", response_model=Page[ActionOut])
def list_actions(call: OrganisationPlanRead, session: SessionDep, registry: RegistryDep,
                 paging: PagingDep, settings: SettingsDep, unit_id: UnitFilter = None,
                 status: Annotated[ActionStatus | None, Query()] = None,
                 lang: LanguageParam = None) -> Page[ActionOut]:
    """The organisation's actions by unit, factor and position (or one unit's and the units
    below it), optionally of one status."""
    tree = services.unit_tree(session, call.organisation)
    root = unit_root(tree, unit_id)
    units = [id_of(i.unit) for i in dashboard.subtree(session, call.organisation, root,
                                                      tree=tree)] if root else None
    rows = [a for a in roadmap.actions(session, id_of(call.organisation), units)
            if status is None or a.status == status]
    texts = ActionTexts.of(session, registry, call.organisation, lang or settings.default_language)
    return paging.page(rows, lambda a: convert.action(a, texts.text(a)))


@dataclass(frozen=True)
class ActionTexts:
    """What actions say in one language: their own text, or their framework action's, looked
    up in the organisation's newest round's framework and its other versions (as the plan
    page does)."""

    framework: Framework | None
    earlier: list[Framework]
    language: str

    @classmethod
    def of(cls, session: Session, registry: FrameworkRegistry, organisation: Organisation,
           language: str) -> ActionTexts:
        """The texts of the organisation's actions in the language."""
        rounds = services.list_rounds(session, organisation)
        if not rounds:
            return cls(None, [], language)
        framework = services.round_framework(session, registry, rounds[-1])[0]
        return cls(framework, registry.versions(framework.id), language)

    def text(self, action: PlannedAction) -> str:
        """The action's text."""
        if self.framework is None or action.text or not action.library_id:
            return action.text or (action.library_id or "")
        return roadmap.action_text(action, self.framework, self.language, self.earlier)
