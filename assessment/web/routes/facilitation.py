"""Guided facilitation: a workshop's agenda (drop, add, reorder items; their timeboxes), the
timer everyone sees, the facilitator guide and the needs-and-expectations result as PDFs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from assessment import report_jobs, services, workshops
from assessment.agendas import DEFAULT_MINUTES, Plan, PlanItem
from assessment.framework import Framework
from assessment.i18n import LANGUAGE_NAMES, LANGUAGES, Translator
from assessment.models import Workshop, WorkshopStatus, id_of
from assessment.services import ServiceError
from assessment.web.access import (
    ReportCreate,
    ReportRead,
    RoundUnit,
    UserDep,
    WorkshopRead,
    WorkshopWrite,
)
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep
from assessment.web.pages import see_other
from assessment.web.routes.workshops import _facilitator_action, _join_base

router = APIRouter()
Text = Annotated[str | None, Form()]
Texts = Annotated[list[str] | None, Form()]


@dataclass(frozen=True)
class AgendaRow:
    """A row of the agenda form: an item that is on the agenda or could be added."""

    key: str
    kind: str
    factor_id: str | None
    used: bool
    order: str
    minutes: str


def _item(key: str, minutes: int) -> PlanItem:
    kind, _, factor_id = key.partition(":")
    return PlanItem(kind, minutes, factor_id or None)


def _rows(plan: Plan, framework: Framework) -> list[AgendaRow]:
    """The plan's items in order, then every item it could add (unticked)."""
    rows = [AgendaRow(i.key, i.kind, i.factor_id, True, str(n), str(i.minutes))
            for n, i in enumerate(plan.items, 1)]
    present = {i.key for i in plan.items}
    factor_minutes = next((i.minutes for i in plan.items if i.kind == "factor"),
                          DEFAULT_MINUTES["factor"])
    candidates = [PlanItem("needs", DEFAULT_MINUTES["needs"]),
                  PlanItem("needs_vote", DEFAULT_MINUTES["needs_vote"])]
    candidates += [PlanItem("factor", factor_minutes, f.id) for f in framework.factors]
    candidates += [PlanItem("targets", DEFAULT_MINUTES["targets"]),
                   PlanItem("wrapup", DEFAULT_MINUTES["wrapup"])]
    n = len(rows)
    for item in candidates:
        if item.key not in present:
            n += 1
            rows.append(AgendaRow(item.key, item.kind, item.factor_id, False, str(n),
                                  str(item.minutes)))
    return rows


def _agenda_page(request: Request, session: SessionDep, t: Translator, registry: RegistryDep,
                 workshop: Workshop, *, rows: list[AgendaRow] | None = None,
                 error: str | None = None, status: int = 200) -> Response:
    framework = services.framework_of_round(session, registry, workshop.round_id)
    plan = workshops.plan_of(workshop, framework)
    unit = session.get(services.Unit, workshop.unit_id)
    round_ = session.get(services.Round, workshop.round_id)
    values: dict[str, Any] = {
        "workshop": workshop, "framework": framework, "plan": plan, "unit": unit,
        "round": round_, "rows": rows or _rows(plan, framework), "error": error,
        "closed": workshop.status == WorkshopStatus.closed,
        "choose": request.query_params.get("choose") == "1"}
    return request.app.state.pages.page(request, t, "workshop_agenda.html", values,
                                        fragment=["content"], status=status)


@router.get("/workshops/{workshop_id}/agenda")
def show_agenda(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                workshop: WorkshopRead) -> Response:
    """The workshop's agenda: its items in order with their timeboxes, to drop, add or
    reorder."""
    return _agenda_page(request, session, t, registry, workshop)


def _number(raw: str | None, fallback: int) -> int:
    raw = (raw or "").strip()
    small = raw.isascii() and raw.lstrip("-").isdigit() and len(raw) < 7
    return int(raw) if small else fallback


@router.post("/workshops/{workshop_id}/agenda")
def change_agenda(request: Request, session: SessionDep, t: TranslatorDep,
                  registry: RegistryDep, workshop: WorkshopWrite, key: Texts = None,
                  use: Texts = None, order: Texts = None, minutes: Texts = None) -> Response:
    """Store the agenda as the form has it: the ticked items in the order given, each with
    its timebox. A bad timebox, an unknown factor or an empty agenda stores nothing."""
    keys, used = key or [], set(use or [])
    orders, lengths = order or [], minutes or []
    rows = [AgendaRow(k, k.partition(":")[0], k.partition(":")[2] or None, k in used,
                      orders[n] if n < len(orders) else "", lengths[n] if n < len(lengths) else "")
            for n, k in enumerate(keys)]
    chosen = sorted((r for r in rows if r.used),
                    key=lambda r: (_number(r.order, 10**6), keys.index(r.key)))
    try:
        if used - set(keys):  # a ticked item the form never offered
            raise services.InvalidInput(services.N_(
                "Choose factors of the workshop's framework."))
        framework = services.framework_of_round(session, registry, workshop.round_id)
        workshops.set_plan(session, workshop, framework,
                           [_item(r.key, _number(r.minutes, 0)) for r in chosen])
    except ServiceError as exc:
        session.rollback()
        return _agenda_page(request, session, t, registry, workshop, rows=rows,
                            error=t.gettext(exc.message, **exc.params), status=exc.status)
    session.commit()
    return see_other(f"/workshops/{workshop.id}")


@router.post("/workshops/{workshop_id}/timer")
def change_timer(request: Request, session: SessionDep, t: TranslatorDep,
                 registry: RegistryDep, workshop: WorkshopWrite, action: Text = None,
                 ) -> Response:
    """Start, pause, resume, add a minute to or reset the current item's timer."""
    return _facilitator_action(
        request, session, t, registry, workshop,
        lambda fw: workshops.change_timer(session, workshop, fw, action))


# The facilitator guide and the needs result ---------------------------------------------

def _document_form(request: Request, t: Translator, values: dict[str, Any], *,
                   language: str | None = None, error: str | None = None, status: int = 200,
                   ) -> Response:
    values.update(report_languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
                  chosen=language or t.language, error=error)
    return request.app.state.pages.page(request, t, "workshop_document.html", values,
                                        fragment=["content"], status=status)


def _guide_values(session: SessionDep, workshop: Workshop) -> dict[str, Any]:
    return {"kind": "guide", "workshop": workshop,
            "unit": session.get(services.Unit, workshop.unit_id),
            "round": session.get(services.Round, workshop.round_id),
            "action": f"/workshops/{workshop.id}/guide"}


@router.get("/workshops/{workshop_id}/guide")
def show_guide_form(request: Request, session: SessionDep, t: TranslatorDep,
                    workshop: WorkshopRead) -> Response:
    """The facilitator guide: choose its language and have it built."""
    return _document_form(request, t, _guide_values(session, workshop))


@router.post("/workshops/{workshop_id}/guide")
def create_guide(request: Request, session: SessionDep, t: TranslatorDep,
                 workshop: WorkshopWrite, user: UserDep, language: Text = None) -> Response:
    """Queue the facilitator guide and go to the page that shows its progress."""
    try:
        job = report_jobs.create_guide_job(session, workshop, language, _join_base(request),
                                           by=user)
    except ServiceError as exc:
        session.rollback()
        return _document_form(request, t, _guide_values(session, workshop), language=language,
                              error=t.gettext(exc.message, **exc.params), status=exc.status)
    session.commit()
    request.app.state.report_jobs.submit(id_of(job))
    return see_other(f"/report-jobs/{job.id}")


def _needs_values(target: RoundUnit) -> dict[str, Any]:
    return {"kind": "needs", "workshop": None, "unit": target.unit, "round": target.round,
            "action": f"/rounds/{target.round.id}/units/{target.unit.id}/needs"}


@router.get("/rounds/{round_id}/units/{unit_id}/needs")
def show_needs_form(request: Request, t: TranslatorDep, target: ReportRead) -> Response:
    """The needs-and-expectations result (one page): choose its language, have it built."""
    return _document_form(request, t, _needs_values(target))


@router.post("/rounds/{round_id}/units/{unit_id}/needs")
def create_needs_result(request: Request, session: SessionDep, t: TranslatorDep,
                        target: ReportCreate, user: UserDep, language: Text = None,
                        ) -> Response:
    """Queue the needs-and-expectations result and go to the page of its progress."""
    try:
        job = report_jobs.create_needs_job(session, target.round, target.unit, language,
                                           by=user)
    except ServiceError as exc:
        session.rollback()
        return _document_form(request, t, _needs_values(target), language=language,
                              error=t.gettext(exc.message, **exc.params), status=exc.status)
    session.commit()
    request.app.state.report_jobs.submit(id_of(job))
    return see_other(f"/report-jobs/{job.id}")
