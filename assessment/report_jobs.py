"""Report jobs: a report asked for in the web app is built in the background while the page
shows its progress. The job's state lives in the database, so any app process can answer the
progress polls; the process that created the job builds it.

Jobs are kept for a day, then removed the next time someone asks for a report.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, delete

from assessment.i18n import LANGUAGES
from assessment.models import (
    Organisation,
    ReportJob,
    ReportJobStatus,
    Round,
    Unit,
    User,
    Workshop,
    id_of,
    utcnow,
)
from assessment.services import N_, InvalidInput

# The kinds of report a job builds (`ReportJob.kind`).
UNIT_REPORT = "unit"  # one unit in one round
ROADMAP_REPORT = "roadmap"  # the organisation's rollout roadmap, over all its rounds
LEADERSHIP_BRIEF = "brief"  # the dashboard of a round (or none), optionally of a sub-tree
FACILITATOR_GUIDE = "guide"  # one workshop's agenda, what to say and ask, how to join
NEEDS_RESULT = "needs"  # a unit's ranked needs and expectations in a round, on one page
KEEP_FOR = timedelta(days=1)
# A job that has not finished in this time was lost (its app process stopped): say so.
STALE_AFTER = timedelta(minutes=10)

QUEUED = N_("Waiting for other reports to finish")
GATHERING = N_("Gathering the results")
DRAWING = N_("Drawing the charts")
LAYING_OUT = N_("Laying out the pages")
READY = N_("The report is ready.")
FAILED = N_("The report could not be built. Try again; if it fails again, tell the "
            "administrator.")
STOPPED = N_("The server stopped before the report was built. Try again.")
TOO_SLOW = N_("The report took too long and was stopped. Try again.")


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; they were stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def create_unit_report_job(session: Session, round_: Round, unit: Unit, language: str | None,
                           *, by: User | None) -> ReportJob:
    """Queue the unit report of the unit in the round, in the language."""
    if language not in LANGUAGES:
        raise InvalidInput(N_("Choose the report's language."), field="language")
    if unit.organisation_id != round_.organisation_id:
        raise InvalidInput(N_("The unit and the round belong to different organisations."))
    session.exec(delete(ReportJob).where(col(ReportJob.created_at) < utcnow() - KEEP_FOR))
    job = ReportJob(organisation_id=round_.organisation_id, kind=UNIT_REPORT,
                    round_id=id_of(round_), unit_id=id_of(unit), language=language,
                    message=QUEUED,
                    created_by=by.id if by else None)
    session.add(job)
    session.flush()
    return job


def create_roadmap_report_job(session: Session, organisation: Organisation,
                              language: str | None, *, by: User | None) -> ReportJob:
    """Queue the organisation's roadmap report, in the language."""
    if language not in LANGUAGES:
        raise InvalidInput(N_("Choose the report's language."), field="language")
    session.exec(delete(ReportJob).where(col(ReportJob.created_at) < utcnow() - KEEP_FOR))
    job = ReportJob(organisation_id=id_of(organisation), kind=ROADMAP_REPORT, round_id=None,
                    unit_id=None, language=language, message=QUEUED,
                    created_by=by.id if by else None)
    session.add(job)
    session.flush()
    return job


def create_brief_job(session: Session, organisation: Organisation, round_: Round | None,
                     root: Unit | None, language: str | None, *, by: User | None) -> ReportJob:
    """Queue the leadership brief of the round (None: the organisation has no rounds yet) for
    the whole organisation or the units under `root`, in the language."""
    if language not in LANGUAGES:
        raise InvalidInput(N_("Choose the report's language."), field="language")
    org_id = id_of(organisation)
    if (round_ is not None and round_.organisation_id != org_id) or \
            (root is not None and root.organisation_id != org_id):
        raise InvalidInput(N_("The round or the unit belongs to another organisation."))
    session.exec(delete(ReportJob).where(col(ReportJob.created_at) < utcnow() - KEEP_FOR))
    job = ReportJob(organisation_id=org_id, kind=LEADERSHIP_BRIEF,
                    round_id=id_of(round_) if round_ else None,
                    unit_id=id_of(root) if root else None, language=language, message=QUEUED,
                    created_by=by.id if by else None)
    session.add(job)
    session.flush()
    return job


def create_guide_job(session: Session, workshop: Workshop, language: str | None,
                     join_base: str, *, by: User | None) -> ReportJob:
    """Queue the facilitator guide of the workshop, in the language; `join_base` is the join
    page's address as the phones reach it."""
    if language not in LANGUAGES:
        raise InvalidInput(N_("Choose the report's language."), field="language")
    session.exec(delete(ReportJob).where(col(ReportJob.created_at) < utcnow() - KEEP_FOR))
    job = ReportJob(organisation_id=workshop.organisation_id, kind=FACILITATOR_GUIDE,
                    round_id=workshop.round_id, unit_id=workshop.unit_id,
                    workshop_id=id_of(workshop), join_base=join_base[:500], language=language,
                    message=QUEUED, created_by=by.id if by else None)
    session.add(job)
    session.flush()
    return job


def create_needs_job(session: Session, round_: Round, unit: Unit, language: str | None,
                     *, by: User | None) -> ReportJob:
    """Queue the one-page needs-and-expectations result of the unit in the round."""
    job = create_unit_report_job(session, round_, unit, language, by=by)
    job.kind = NEEDS_RESULT
    session.add(job)
    session.flush()
    return job


def start(session: Session, job: ReportJob) -> None:
    """Mark the job as being built."""
    job.status, job.started_at = ReportJobStatus.running, utcnow()
    advance(session, job, 10, GATHERING)


def advance(session: Session, job: ReportJob, progress: int, message: str) -> None:
    """Record how far the job has got (0–100) and the step it is on."""
    job.progress, job.message = max(0, min(progress, 100)), message
    session.add(job)
    session.flush()


def finish(session: Session, job: ReportJob, pdf: bytes, filename: str) -> None:
    """Store the built PDF."""
    job.status, job.pdf, job.filename = ReportJobStatus.done, pdf, filename
    job.finished_at = utcnow()
    advance(session, job, 100, READY)


def fail(session: Session, job: ReportJob, message: str = FAILED) -> None:
    """Mark the job as failed, with a message for the person waiting."""
    job.status, job.finished_at = ReportJobStatus.failed, utcnow()
    advance(session, job, job.progress, message)


def status(job: ReportJob, now: datetime | None = None) -> ReportJobStatus:
    """The job's status as it should be shown: one left unfinished for too long has failed."""
    current = ReportJobStatus(job.status)
    if current in (ReportJobStatus.queued, ReportJobStatus.running) and \
            (now or utcnow()) - _aware(job.created_at) > STALE_AFTER:
        return ReportJobStatus.failed
    return current


def message(job: ReportJob, now: datetime | None = None) -> str:
    """The msgid to show with the job's status."""
    if status(job, now) is ReportJobStatus.failed and job.status != ReportJobStatus.failed:
        return TOO_SLOW
    return job.message or QUEUED
