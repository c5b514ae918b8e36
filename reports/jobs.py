"""Building report jobs in the background: the data and HTML in a thread of the app process,
the PDF in a worker process (`reports.pdf.PdfWorker`). Progress goes to the job's row.

Every kind of report (`ReportJob.kind`: a unit's report, the organisation's roadmap) goes
the same way; `KINDS` says what each gathers and how it is laid out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from jinja2 import Environment
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from assessment import report_jobs
from assessment.brand import Brand, BrandDefaults, organisation_brand
from assessment.framework import FrameworkRegistry
from assessment.i18n import Catalogues, Translator
from assessment.models import Organisation, ReportJob, Round, Unit, Workshop
from reports.brief import brief_filename, brief_html, build_brief
from reports.guide import build_guide, guide_filename, guide_html
from reports.needs_report import build_needs_result, needs_filename, needs_html
from reports.pdf import PdfWorker, report_environment
from reports.roadmap_report import build_roadmap_report, roadmap_filename, roadmap_report_html
from reports.unit_report import build_unit_report, report_filename, unit_report_html

log = logging.getLogger(__name__)
Render = Callable[[str], bytes]


def _step(engine: Engine, job_id: int, change: Callable[[Session, ReportJob], None]) -> None:
    """Apply one change to the job in a short transaction of its own, so polls see it."""
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(ReportJob, job_id)
        if job is None:
            raise LookupError(f"report job {job_id} is gone")
        change(session, job)
        session.commit()


# What a kind of report gathers from the database, in the job's session: a function that
# then lays the report out (HTML and file name) in a language, without the database.
LayOut = Callable[[Translator, Environment, Brand], tuple[str, str]]
Gather = Callable[[Session, FrameworkRegistry, ReportJob, int], LayOut]


def _gather_unit_report(session: Session, registry: FrameworkRegistry, job: ReportJob,
                        min_votes: int) -> LayOut:
    assert job.round_id is not None and job.unit_id is not None  # a unit report job has both
    round_, unit = session.get(Round, job.round_id), session.get(Unit, job.unit_id)
    assert round_ is not None and unit is not None  # guaranteed by foreign keys
    report = build_unit_report(session, registry, round_, unit, min_votes=min_votes)
    return lambda t, environment, brand: (unit_report_html(report, t, environment, brand),
                                   report_filename(report, t.language))


def _gather_roadmap_report(session: Session, registry: FrameworkRegistry, job: ReportJob,
                           min_votes: int) -> LayOut:
    organisation = session.get(Organisation, job.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    report = build_roadmap_report(session, registry, organisation)
    return lambda t, environment, brand: (roadmap_report_html(report, t, environment, brand),
                                   roadmap_filename(report, t.language))


def _gather_brief(session: Session, registry: FrameworkRegistry, job: ReportJob,
                  min_votes: int) -> LayOut:
    organisation = session.get(Organisation, job.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    round_ = session.get(Round, job.round_id) if job.round_id else None
    root = session.get(Unit, job.unit_id) if job.unit_id else None
    brief = build_brief(session, registry, organisation, round_, root)
    return lambda t, environment, brand: (brief_html(brief, t, environment, brand),
                                   brief_filename(brief, t.language))


def _gather_guide(session: Session, registry: FrameworkRegistry, job: ReportJob,
                  min_votes: int) -> LayOut:
    assert job.workshop_id is not None  # a guide job is of a workshop
    workshop = session.get(Workshop, job.workshop_id)
    assert workshop is not None  # guaranteed by the foreign key
    guide = build_guide(session, registry, workshop, job.join_base or "/join")
    return lambda t, environment, brand: (guide_html(guide, t, environment, brand),
                                          guide_filename(guide, t.language))


def _gather_needs(session: Session, registry: FrameworkRegistry, job: ReportJob,
                  min_votes: int) -> LayOut:
    assert job.round_id is not None and job.unit_id is not None  # a needs job has both
    round_, unit = session.get(Round, job.round_id), session.get(Unit, job.unit_id)
    assert round_ is not None and unit is not None  # guaranteed by foreign keys
    result = build_needs_result(session, registry, round_, unit)
    return lambda t, environment, brand: (needs_html(result, t, environment, brand),
                                          needs_filename(result, t.language))


KINDS: dict[str, Gather] = {
    report_jobs.FACILITATOR_GUIDE: _gather_guide,
    report_jobs.NEEDS_RESULT: _gather_needs,
    report_jobs.UNIT_REPORT: _gather_unit_report,
    report_jobs.ROADMAP_REPORT: _gather_roadmap_report,
    report_jobs.LEADERSHIP_BRIEF: _gather_brief,
}


def build_report_job(engine: Engine, registry: FrameworkRegistry, catalogues: Catalogues,
                     environment: Environment, job_id: int, *, min_votes: int,
                     render: Render, brand_defaults: BrandDefaults | None = None) -> None:
    """Build a queued report job of any kind: gather, draw, lay out, store the PDF (or the
    failure)."""
    try:
        _step(engine, job_id, report_jobs.start)
        with Session(engine, expire_on_commit=False) as session:
            job = session.get(ReportJob, job_id)
            assert job is not None
            lay_out = KINDS[job.kind](session, registry, job, min_votes)
            language = job.language
            brand = organisation_brand(session, brand_defaults or BrandDefaults(),
                                       job.organisation_id)
        _step(engine, job_id, lambda s, j: report_jobs.advance(s, j, 30, report_jobs.DRAWING))
        html, filename = lay_out(catalogues.translator(language), environment, brand)
        _step(engine, job_id,
              lambda s, j: report_jobs.advance(s, j, 50, report_jobs.LAYING_OUT))
        pdf = render(html)
        _step(engine, job_id, lambda s, j: report_jobs.finish(s, j, pdf, filename))
    except Exception:
        log.exception("report job %s failed", job_id)
        try:
            _step(engine, job_id, lambda s, j: report_jobs.fail(s, j))
        except Exception:
            log.exception("report job %s: could not record the failure", job_id)


class ReportJobs:
    """The app's report builder: one job at a time in a background thread, each PDF in a
    worker process. `shutdown` stops both; the next job starts them again.

    An in-memory SQLite database is one connection shared by every thread, where a
    background transaction would get mixed up with the requests' own: with such an engine
    (`inline`, the default for it) a job is built in the request that asks for it."""

    def __init__(self, engine: Engine, registry: FrameworkRegistry, catalogues: Catalogues, *,
                 min_votes: int, render: Render | None = None,
                 inline: bool | None = None,
                 brand_defaults: BrandDefaults | None = None) -> None:
        self.engine, self.registry, self.catalogues = engine, registry, catalogues
        self.inline = isinstance(engine.pool, StaticPool) if inline is None else inline
        self.min_votes = min_votes
        self.brand_defaults = brand_defaults or BrandDefaults()
        self.environment = report_environment()
        self.pdf = PdfWorker(processes=1)
        self.render: Render = render or self.pdf.render
        self._threads: ThreadPoolExecutor | None = None
        self._pending: dict[Future[None], int] = {}
        self._lock = threading.Lock()

    def submit(self, job_id: int) -> None:
        """Build the job in the background (after the jobs queued before it)."""
        if self.inline:
            build_report_job(self.engine, self.registry, self.catalogues, self.environment,
                             job_id, min_votes=self.min_votes, render=self.render,
                             brand_defaults=self.brand_defaults)
            return
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(max_workers=1,
                                                   thread_name_prefix="report-job")
            future = self._threads.submit(
                build_report_job, self.engine, self.registry, self.catalogues,
                self.environment, job_id, min_votes=self.min_votes, render=self.render,
                brand_defaults=self.brand_defaults)
            self._pending[future] = job_id
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.pop(future, None)

    def shutdown(self) -> None:
        """Finish the job being built, fail the queued ones, stop the worker process."""
        with self._lock:
            threads, self._threads = self._threads, None
            pending = dict(self._pending)
        if threads is not None:
            threads.shutdown(wait=True, cancel_futures=True)
        for future, job_id in pending.items():
            if future.cancelled():
                try:
                    _step(self.engine, job_id,
                          lambda s, j: report_jobs.fail(s, j, report_jobs.STOPPED))
                except Exception:
                    log.exception("report job %s: could not record the stop", job_id)
        self.pdf.shutdown()
