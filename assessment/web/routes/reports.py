"""PDF reports: ask for a unit's report or the organisation's roadmap, watch it being built,
download it."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from assessment import report_jobs, services
from assessment.i18n import LANGUAGE_NAMES, LANGUAGES, Translator
from assessment.models import ReportJob, ReportJobStatus, id_of
from assessment.services import ServiceError
from assessment.web.access import (
    ReportCreate,
    ReportJobRead,
    ReportRead,
    RoadmapReportCreate,
    RoadmapReportRead,
    RoundUnit,
    UserDep,
)
from assessment.web.deps import SessionDep, TranslatorDep
from assessment.web.errors import PageError
from assessment.web.pages import see_other

router = APIRouter()


def _form(request: Request, t: Translator, target: RoundUnit, session: SessionDep, *,
          language: str | None = None, error: str | None = None, status: int = 200,
          ) -> Response:
    organisation = session.get(services.Organisation, target.round.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    values: dict[str, Any] = {
        "round": target.round, "unit": target.unit, "organisation": organisation,
        "report_languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "chosen": language or t.language, "error": error}
    return request.app.state.pages.page(request, t, "report.html", values,
                                        fragment=["content"], status=status)


@router.get("/rounds/{round_id}/units/{unit_id}/report")
def show_report_form(request: Request, session: SessionDep, t: TranslatorDep,
                     target: ReportRead) -> Response:
    """The unit report: choose its language and have it built."""
    return _form(request, t, target, session)


@router.post("/rounds/{round_id}/units/{unit_id}/report")
def create_report(request: Request, session: SessionDep, t: TranslatorDep, target: ReportCreate,
                  user: UserDep, language: Annotated[str | None, Form()] = None) -> Response:
    """Queue the unit report and go to the page that shows its progress."""
    try:
        job = report_jobs.create_unit_report_job(session, target.round, target.unit, language,
                                                 by=user)
    except ServiceError as exc:
        session.rollback()
        return _form(request, t, target, session, language=language,
                     error=t.gettext(exc.message, **exc.params), status=exc.status)
    session.commit()
    request.app.state.report_jobs.submit(id_of(job))
    return see_other(f"/report-jobs/{job.id}")


def _roadmap_form(request: Request, t: Translator, organisation: services.Organisation, *,
                  language: str | None = None, error: str | None = None, status: int = 200,
                  ) -> Response:
    values: dict[str, Any] = {
        "organisation": organisation,
        "report_languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "chosen": language or t.language, "error": error}
    return request.app.state.pages.page(request, t, "roadmap_report.html", values,
                                        fragment=["content"], status=status)


@router.get("/organisations/{organisation_id}/roadmap/report")
def show_roadmap_report_form(request: Request, t: TranslatorDep,
                             organisation: RoadmapReportRead) -> Response:
    """The roadmap report: choose its language and have it built."""
    return _roadmap_form(request, t, organisation)


@router.post("/organisations/{organisation_id}/roadmap/report")
def create_roadmap_report(request: Request, session: SessionDep, t: TranslatorDep,
                          organisation: RoadmapReportCreate, user: UserDep,
                          language: Annotated[str | None, Form()] = None) -> Response:
    """Queue the roadmap report and go to the page that shows its progress."""
    try:
        job = report_jobs.create_roadmap_report_job(session, organisation, language, by=user)
    except ServiceError as exc:
        session.rollback()
        return _roadmap_form(request, t, organisation, language=language,
                             error=t.gettext(exc.message, **exc.params), status=exc.status)
    session.commit()
    request.app.state.report_jobs.submit(id_of(job))
    return see_other(f"/report-jobs/{job.id}")


@router.get("/report-jobs/{job_id}")
def show_report_job(request: Request, session: SessionDep, t: TranslatorDep,
                    job: ReportJobRead) -> Response:
    """How far the report has got; htmx polls the progress block every second until done."""
    round_ = session.get(services.Round, job.round_id) if job.round_id else None
    unit = session.get(services.Unit, job.unit_id) if job.unit_id else None
    organisation = session.get(services.Organisation, job.organisation_id)
    retry = (f"/organisations/{job.organisation_id}/roadmap/report"
             if job.kind == report_jobs.ROADMAP_REPORT
             else f"/workshops/{job.workshop_id}/guide"
             if job.kind == report_jobs.FACILITATOR_GUIDE
             else f"/rounds/{job.round_id}/units/{job.unit_id}/needs"
             if job.kind == report_jobs.NEEDS_RESULT
             else _brief_url(job) if job.kind == report_jobs.LEADERSHIP_BRIEF
             else f"/rounds/{job.round_id}/units/{job.unit_id}/report" if unit else None)
    values = {"job": job, "status": report_jobs.status(job).value,
              "message": t.gettext(report_jobs.message(job)), "round": round_, "unit": unit,
              "organisation": organisation, "retry_url": retry,
              "language_name": LANGUAGE_NAMES.get(job.language, job.language)}
    return request.app.state.pages.page(request, t, "report_job.html", values,
                                        fragment=["progress"])


@router.get("/report-jobs/{job_id}/pdf")
def download_report(job: ReportJobRead) -> Response:
    """The finished PDF, as a download."""
    if report_jobs.status(job) is not ReportJobStatus.done or job.pdf is None:
        raise PageError(409, report_jobs.message(job) if job.status == ReportJobStatus.failed
                        else NOT_READY)
    return Response(job.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{_filename(job)}"',
        "Cache-Control": "private, no-store"})


NOT_READY = services.N_("The report is not ready yet.")


def _brief_url(job: ReportJob) -> str:
    """The form of the leadership brief, with the job's round and units chosen."""
    query = urlencode({k: v for k, v in (("round", job.round_id), ("unit", job.unit_id)) if v})
    return f"/organisations/{job.organisation_id}/brief" + (f"?{query}" if query else "")


def _filename(job: ReportJob) -> str:
    # Built from ASCII letters, digits and hyphens only; anything else would not be safe here.
    name = job.filename or f"report-{job.id}.pdf"
    return "".join(c for c in name if c.isascii() and (c.isalnum() or c in "-_.")) or "report.pdf"
