"""Actions: read one, and the narrow write a project tool syncs (status, owner, due date)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from assessment import accounts, roadmap
from assessment.models import Organisation, User
from assessment.services import ServiceError
from assessment.web.api import convert
from assessment.web.api.access import ActionRead, ActionWrite, CallerDep
from assessment.web.api.problems import ApiError, FieldProblem
from assessment.web.api.routers.organisations import ActionTexts, LanguageParam
from assessment.web.api.schemas import ActionOut, ActionPatch
from assessment.web.deps import RegistryDep, SessionDep, SettingsDep
from assessment.web.security import client_address

router = APIRouter()


def _texts(session: SessionDep, registry: RegistryDep, organisation_id: int,
           language: str) -> ActionTexts:
    organisation = session.get(Organisation, organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    return ActionTexts.of(session, registry, organisation, language)


@router.get("/actions/{action_id}", response_model=ActionOut)
def get_action(planned: ActionRead, session: SessionDep, registry: RegistryDep,
               settings: SettingsDep, lang: LanguageParam = None) -> ActionOut:
    """One action."""
    texts = _texts(session, registry, planned.organisation_id, lang or settings.default_language)
    return convert.action(planned, texts.text(planned))


@router.patch("/actions/{action_id}", response_model=ActionOut)
def update_action(request: Request, planned: ActionWrite, caller: CallerDep, body: ActionPatch,
                  session: SessionDep, registry: RegistryDep, settings: SettingsDep,
                  lang: LanguageParam = None) -> ActionOut:
    """Change an action's status, owner or due date (a read-write token). The values are
    checked as the web form checks them; a value that breaks a rule is a 422 naming the
    field, and nothing changes. The change is recorded in the organisation's audit log."""
    sent = body.model_fields_set
    owner = body.owner if "owner" in sent else None
    if owner is not None and "\x00" in owner:
        raise ApiError(422, "The text contains a NUL character, which no field may hold.",
                       errors=[FieldProblem(field="owner", message="NUL character")])
    data = roadmap.TrackingInput(
        status=str(body.status) if body.status is not None else None, owner=owner,
        due_on=body.due_on.isoformat() if body.due_on is not None else None,
        clear_due_on="due_on" in sent and body.due_on is None)
    try:
        changes = roadmap.update_action_tracking(session, planned, data)
    except ServiceError as exc:
        session.rollback()
        message = exc.message.format(**exc.params) if exc.params else exc.message
        raise ApiError(422, message, errors=[FieldProblem(field=exc.field or "body",
                                                          message=message)]) from None
    if changes:
        accounts.audit(session, "action_updated", user=session.get(User, caller.token.created_by),
                       organisation_id=planned.organisation_id,
                       address=client_address(request), action=planned.id,
                       unit=planned.unit_id, via=f"api token {caller.token.prefix}", **changes)
    session.commit()
    texts = _texts(session, registry, planned.organisation_id, lang or settings.default_language)
    return convert.action(planned, texts.text(planned))
