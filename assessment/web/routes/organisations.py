"""Organisations, their unit tree and their rounds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from assessment import org_frameworks, services
from assessment.models import Organisation, Role
from assessment.policy import Action, Viewer
from assessment.web.access import OrganisationRead, OrganisationWrite, SiteRead, SiteWrite, may
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep
from assessment.web.pages import empty_form, failed_form, see_other

router = APIRouter()
OptionalText = Annotated[str | None, Form()]



def _home(request: Request, session: SessionDep, t: TranslatorDep, *,
          form: dict[str, Any] | None = None, status: int = 200) -> Response:
    viewer: Viewer = request.state.viewer
    organisations = services.list_organisations(
        session, None if viewer.is_admin else list(viewer.roles))
    led = [o for o in organisations if viewer.role_in(o.id or 0) == Role.unit_lead]
    values = {"organisations": [o for o in organisations if o not in led],
              "led_rounds": [(o, services.list_rounds(session, o)) for o in led],
              "form": form or empty_form()}
    return request.app.state.pages.page(request, t, "home.html", values,
                                        fragment=["content"], status=status)


@router.get("/")
def show_home(request: Request, session: SessionDep, t: TranslatorDep, _: SiteRead) -> Response:
    """The organisations, and a form to add one."""
    return _home(request, session, t)


@router.post("/organisations")
def create_organisation(request: Request, session: SessionDep, t: TranslatorDep, _: SiteWrite,
                        name: OptionalText = None) -> Response:
    """Create an organisation and open it."""
    try:
        organisation = services.create_organisation(session, name)
    except services.ServiceError as exc:
        form = failed_form(t, exc, {"name": name})
        return _home(request, session, t, form=form, status=exc.status)
    session.commit()
    return see_other(f"/organisations/{organisation.id}")


def _organisation_page(request: Request, session: SessionDep, t: TranslatorDep,
                       registry: RegistryDep, organisation: Organisation, *,
                       unit_form: dict[str, Any] | None = None,
                       round_form: dict[str, Any] | None = None, status: int = 200) -> Response:
    values = {
        "organisation": organisation,
        "tree": services.unit_tree(session, organisation),
        "rounds": services.list_rounds(session, organisation),
        "frameworks": registry.current,
        "framework_choices": org_frameworks.choices(session, registry, organisation),
        "can_edit": may(request.state.viewer, "organisation", Action.write, organisation.id or 0),
        "can_read_roadmap": may(request.state.viewer, "roadmap", Action.read,
                                organisation.id or 0),
        "can_export": may(request.state.viewer, "export", Action.read, organisation.id or 0),
        "can_export_all": may(request.state.viewer, "full_export", Action.read,
                              organisation.id or 0),
        "unit_form": unit_form or empty_form(),
        "round_form": round_form or empty_form(),
    }
    return request.app.state.pages.page(request, t, "organisation.html", values,
                                        fragment=["content"], status=status)


@router.get("/organisations/{organisation_id}")
def show_organisation(request: Request, session: SessionDep, t: TranslatorDep,
                      registry: RegistryDep, organisation: OrganisationRead) -> Response:
    """An organisation's unit tree and rounds."""
    return _organisation_page(request, session, t, registry, organisation)


def _optional_int(raw: str | None) -> int | None:
    # Anything that is not an id names no unit (-1): the service refuses it with a message.
    return (services.parse_id(raw) or -1) if raw else None


@router.post("/organisations/{organisation_id}/units")
def create_unit(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                organisation: OrganisationWrite, name: OptionalText = None,
                parent_id: OptionalText = None) -> Response:
    """Add a unit, optionally under another unit."""
    try:
        services.create_unit(session, organisation, name, _optional_int(parent_id))
    except services.ServiceError as exc:
        session.rollback()
        form = failed_form(t, exc, {"name": name, "parent_id": parent_id})
        return _organisation_page(request, session, t, registry, organisation,
                                  unit_form=form, status=exc.status)
    session.commit()
    return see_other(f"/organisations/{organisation.id}#units")


@router.post("/organisations/{organisation_id}/rounds")
def create_round(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                 organisation: OrganisationWrite, name: OptionalText = None,
                 framework_id: OptionalText = None) -> Response:
    """Start a round, pinned to the chosen framework's current content."""
    try:
        try:
            framework = registry.get(framework_id or "")
        except KeyError:
            raise services.InvalidInput(services.N_("Choose a framework."),
                                        field="framework_id") from None
        round_ = services.create_round(session, organisation, name, framework)
    except services.ServiceError as exc:
        session.rollback()
        form = failed_form(t, exc, {"name": name, "framework_id": framework_id})
        return _organisation_page(request, session, t, registry, organisation,
                                  round_form=form, status=exc.status)
    session.commit()
    return see_other(f"/rounds/{round_.id}")
