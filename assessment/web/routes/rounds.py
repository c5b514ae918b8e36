"""Rounds: which units have assessed themselves, and starting a self-assessment."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from assessment import services, survey, workshops
from assessment.framework import FrameworkRegistry
from assessment.i18n import Translator
from assessment.models import Organisation, Round, WorkshopStatus
from assessment.policy import Action
from assessment.web.access import RoundRead, RoundUnitWrite, may
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep
from assessment.web.pages import see_other

router = APIRouter()


@dataclass(frozen=True)
class WorkshopForm:
    """A start of a workshop that was refused: the unit, the value typed and the message."""

    unit_id: int
    dots: str
    error: str


@router.get("/rounds/{round_id}")
def show_round(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
               round_: RoundRead) -> Response:
    """The round's units with the state of their self-assessments."""
    return round_page(request, session, t, registry, round_)


def round_page(request: Request, session: Session, t: Translator, registry: FrameworkRegistry,
               round_: Round, *, workshop_form: WorkshopForm | None = None,
               status: int = 200) -> Response:
    """The round page; `workshop_form` re-shows a refused start of a workshop for a unit."""
    organisation = session.get(Organisation, round_.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    framework, version = services.round_framework(session, registry, round_)
    viewer = request.state.viewer
    org_id = organisation.id or 0
    tree = [item for item in services.unit_tree(session, organisation)
            if may(viewer, "unit", Action.read, org_id, item.unit.id)]
    assessments = services.assessments_in_round(session, round_)
    counts = services.answer_counts(session, [a.id for a in assessments.values() if a.id])
    values = {
        "round": round_, "organisation": organisation, "framework": framework,
        "version": version, "tree": tree,
        "writable": {item.unit.id for item in tree
                     if may(viewer, "unit", Action.write, org_id, item.unit.id)},
        "can_open_organisation": may(viewer, "organisation", Action.read, org_id),
        "can_run_workshops": may(viewer, "workshop", Action.write, org_id),
        "can_see_workshops": may(viewer, "workshop", Action.read, org_id),
        "can_export": may(viewer, "export", Action.read, org_id),
        "workshops": (found := workshops.workshops_of(session, round_)),
        # Newest first, so the newest open session of a unit wins.
        "running": {w.unit_id: w for w in reversed(found) if w.status == WorkshopStatus.open},
        "unit_names": {item.unit.id: item.unit.name for item in tree},
        "assessments": assessments, "counts": counts,
        "question_count": sum(len(f.questions) for f in framework.factors),
        "workshop_form": workshop_form,
        "surveys": survey.surveys_of_round(session, round_),
        "agenda_templates": request.app.state.agendas.templates,
    }
    return request.app.state.pages.page(request, t, "round.html", values, fragment=["content"],
                                        status=status)


@router.post("/rounds/{round_id}/units/{unit_id}/self-assessment")
def start_self_assessment(session: SessionDep, target: RoundUnitWrite) -> Response:
    """Open the unit's self-assessment in the round, creating it on first use."""
    assessment = services.get_or_create_assessment(session, target.round, target.unit)
    session.commit()
    return see_other(f"/assessments/{assessment.id}")
