"""Report jobs: queued, built in the background with progress, failed or stopped cleanly."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from assessment import report_jobs, services
from assessment.db import create_db_engine
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Catalogues
from assessment.models import ReportJob, ReportJobStatus, Round, Unit, metadata, utcnow
from assessment.services import InvalidInput
from reports.jobs import ReportJobs
from tests.factories import make_organisation, make_unit


def round_and_unit(session: Session, framework: Framework) -> tuple[Round, Unit]:
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(session, organisation, "Kevät 2026", framework)
    session.commit()
    return round_, unit


def test_jobs_are_queued_in_a_language_and_old_ones_removed(
        session: Session, framework: Framework) -> None:
    round_, unit = round_and_unit(session, framework)
    old = report_jobs.create_unit_report_job(session, round_, unit, "fi", by=None)
    old.created_at = utcnow() - timedelta(days=2)
    session.add(old)
    session.commit()
    job = report_jobs.create_unit_report_job(session, round_, unit, "en", by=None)
    session.commit()
    assert [j.id for j in session.exec(select(ReportJob))] == [job.id]
    assert job.status == ReportJobStatus.queued and job.progress == 0
    assert report_jobs.message(job) == report_jobs.QUEUED
    with pytest.raises(InvalidInput) as refused:
        report_jobs.create_unit_report_job(session, round_, unit, "sv", by=None)
    assert refused.value.field == "language"
    other = make_unit(session, organisation=make_organisation(session, name="Muu Oy"))
    with pytest.raises(InvalidInput):
        report_jobs.create_unit_report_job(session, round_, other, "fi", by=None)


def test_a_job_moves_through_its_steps_and_a_lost_one_shows_as_failed(
        session: Session, framework: Framework) -> None:
    round_, unit = round_and_unit(session, framework)
    job = report_jobs.create_unit_report_job(session, round_, unit, "fi", by=None)
    report_jobs.start(session, job)
    assert (job.status, job.progress, job.message) == (
        ReportJobStatus.running, 10, report_jobs.GATHERING)
    report_jobs.advance(session, job, 150, report_jobs.LAYING_OUT)
    assert job.progress == 100
    later = utcnow() + report_jobs.STALE_AFTER + timedelta(seconds=1)
    assert report_jobs.status(job, later) is ReportJobStatus.failed
    assert report_jobs.message(job, later) == report_jobs.TOO_SLOW
    report_jobs.finish(session, job, b"%PDF-1.7", "raportti.pdf")
    session.commit()
    stored = session.get(ReportJob, job.id)
    assert stored is not None and stored.pdf == b"%PDF-1.7"
    assert report_jobs.status(stored, later) is ReportJobStatus.done  # done stays done


def _queue(engine: Engine, framework: Framework, count: int) -> list[int]:
    with Session(engine, expire_on_commit=False) as session:
        round_, unit = round_and_unit(session, framework)
        jobs = [report_jobs.create_unit_report_job(session, round_, unit, "en", by=None)
                for _ in range(count)]
        session.commit()
        return [j.id or 0 for j in jobs]


def _job(engine: Engine, job_id: int) -> ReportJob:
    with Session(engine) as session:
        job = session.get(ReportJob, job_id)
        assert job is not None
        return job


def test_a_failing_render_fails_the_job_with_a_message(
        engine: Engine, registry: FrameworkRegistry, framework: Framework) -> None:
    (job_id,) = _queue(engine, framework, 1)

    def broken(html: str) -> bytes:
        assert "<html" in html
        raise RuntimeError("the worker died")

    jobs = ReportJobs(engine, registry, Catalogues(), min_votes=3, render=broken, inline=False)
    jobs.submit(job_id)
    jobs.shutdown()
    job = _job(engine, job_id)
    assert job.status == ReportJobStatus.failed and job.pdf is None
    assert job.message == report_jobs.FAILED and job.progress == 50


def test_shutdown_finishes_the_running_job_and_stops_the_queued_ones(
        engine: Engine, registry: FrameworkRegistry, framework: Framework) -> None:
    first, second = _queue(engine, framework, 2)
    started, release = threading.Event(), threading.Event()

    def slow(html: str) -> bytes:
        started.set()
        assert release.wait(60)
        return b"%PDF-1.7 fake"

    # In the background even on in-memory SQLite: this test touches the database only while
    # the builder waits in `slow`.
    jobs = ReportJobs(engine, registry, Catalogues(), min_votes=3, render=slow, inline=False)
    jobs.submit(first)
    jobs.submit(second)
    assert started.wait(60)
    running = _job(engine, first)
    assert (running.status, running.message) == (ReportJobStatus.running,
                                                 report_jobs.LAYING_OUT)
    assert _job(engine, second).status == ReportJobStatus.queued
    threading.Timer(0.5, release.set).start()
    jobs.shutdown()
    done, stopped = _job(engine, first), _job(engine, second)
    assert done.status == ReportJobStatus.done and done.pdf == b"%PDF-1.7 fake"
    assert done.filename == "unit-report-asiakaspalvelu-kevat-2026-en.pdf"
    assert stopped.status == ReportJobStatus.failed and stopped.message == report_jobs.STOPPED
    # After a shutdown the next job starts the builder again.
    (third,) = _queue_more(engine, first)
    jobs.render = lambda html: b"%PDF-1.7 again"
    jobs.submit(third)
    jobs.shutdown()
    assert _job(engine, third).pdf == b"%PDF-1.7 again"


def _queue_more(engine: Engine, like: int) -> list[int]:
    with Session(engine, expire_on_commit=False) as session:
        model = session.get(ReportJob, like)
        assert model is not None
        round_, unit = session.get(Round, model.round_id), session.get(Unit, model.unit_id)
        assert round_ is not None and unit is not None
        job = report_jobs.create_unit_report_job(session, round_, unit, "en", by=None)
        session.commit()
        return [job.id or 0]


def test_an_in_memory_database_builds_in_the_request(registry: FrameworkRegistry,
                                                     framework: Framework) -> None:
    engine = create_db_engine("sqlite://")
    metadata.create_all(engine)
    try:
        (job_id,) = _queue(engine, framework, 1)
        jobs = ReportJobs(engine, registry, Catalogues(), min_votes=3,
                          render=lambda html: b"%PDF-1.7 inline")
        assert jobs.inline
        jobs.submit(job_id)  # returns when the job is done
        assert _job(engine, job_id).pdf == b"%PDF-1.7 inline"
        jobs.shutdown()
    finally:
        engine.dispose()
