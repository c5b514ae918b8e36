"""Benchmark the PDF reports, in one run:

    .venv/bin/python -m benchmarks.reports

(a) The unit report of the demo's pilot unit: the whole path (gather the data, draw the radar,
    lay out the HTML, render the PDF) against a bare `weasyprint.HTML(string=html).write_pdf()`
    of the same final HTML; the median of several runs each, and their ratio (aim: ≤ 1.2).
(b) The roadmap report of a generated organisation of 50 units and 3 rounds with a roadmap
    over all its units (needs, a pilot and three waves, owners, gates, targets and the actions
    proposed from the framework): the whole path, median of several runs (aim: ≤ 10 s).
(c) The web app under uvicorn in a subprocess builds several of those large reports through
    its job flow (ask, poll the progress, download), while this process reads the app
    process's resident memory (VmRSS) and peak (VmHWM) from /proc before and after: the PDFs
    are rendered in a worker process, so the app process should not grow with them.

Everything runs against SQLite files in a temporary directory.
"""

from __future__ import annotations

import argparse
import io
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pypdf
import weasyprint
from sqlmodel import Session, select

from assessment import accounts, roadmap, services
from assessment.db import create_db_engine, session_scope
from assessment.demo import PILOT_UNIT, load_demo, load_large_demo
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Catalogues
from assessment.migrate import upgrade
from assessment.models import ActionStatus, Organisation, PhaseKind, Role, Round, Unit, id_of
from assessment.settings import Settings
from benchmarks._common import APP_FACTORY, csrf_token, serve, sign_in
from reports.pdf import render_pdf, report_environment
from reports.roadmap_report import build_roadmap_report, roadmap_report_html
from reports.unit_report import build_unit_report, unit_report_html

FRAMEWORK_ID = "some-maturity"
LANGUAGE = "fi"
UNIT_RATIO_AIM, ROADMAP_SECONDS_AIM = 1.2, 10.0
EMAIL, PASSWORD = "konsultti@benchmark.example", secrets.token_urlsafe(12)
# needs, the pilot, then waves: (kind, name, share of the units, focus factors, gates)
_PHASES: tuple[tuple[str, str, float, tuple[str, ...], tuple[tuple[str, int], ...]], ...] = (
    ("needs", "Tarpeet ja odotukset", 0.0, (), ()),
    ("pilot", "Pilotti", 0.1, ("ownership", "listening"), (("ownership", 3), ("listening", 3))),
    ("wave", "Aalto 1", 0.3, ("activities", "measurement"), (("activities", 3),)),
    ("wave", "Aalto 2", 0.3, ("participation", "goals"), (("participation", 3),)),
    ("wave", "Aalto 3", 0.3, ("culture", "audiences-channels"), (("culture", 3),)),
)


# The large roadmap -----------------------------------------------------------------------

def plan_large_roadmap(session: Session, framework: Framework, organisation: Organisation,
                       *, starts: date = date(2026, 1, 12)) -> int:
    """Put every unit of the organisation in a phase (needs, a pilot, three waves), with owners
    and gates; give each unit targets one stage up on its phase's focus factors in the latest
    round, and the actions the framework proposes for them with owners, due dates and
    statuses. Returns the number of actions."""
    units = [item.unit for item in services.unit_tree(session, organisation)]
    latest = services.list_rounds(session, organisation)[-1]
    measured = roadmap.round_scores(session, framework, latest)
    known = {f.id for f in framework.factors}
    placed, day, count = 0, starts, 0
    for number, (kind, name, share, focus, gates) in enumerate(_PHASES):
        focus = tuple(f for f in focus if f in known)
        last = number == len(_PHASES) - 1
        size = len(units) - placed if last else round(share * len(units))
        ends = day + timedelta(weeks=8 if kind == PhaseKind.needs else 20)
        phase = roadmap.create_phase(session, organisation, framework, roadmap.PhaseInput(
            kind, name, day.isoformat(), ends.isoformat(), focus,
            "Vaiheen tavoitteet sovitaan ohjausryhmässä."))
        roadmap.add_owner(session, phase, f"Omistaja {number + 1}", "Vaiheen omistaja")
        roadmap.add_owner(session, phase, "Kalle Konsultti", "Muutostuki")
        for factor, level in gates:
            if factor in known:
                roadmap.set_gate(session, phase, framework, factor, str(level))
        for unit in units[placed:placed + size]:
            roadmap.place_unit(session, phase, unit)
            count += _plan_unit(session, framework, latest, unit, measured.get(id_of(unit)),
                                focus, ends)
        placed += size
        day = ends + timedelta(days=3)
    session.flush()
    return count


def _plan_unit(session: Session, framework: Framework, latest: Round, unit: Unit,
               scores: roadmap.UnitScores | None, focus: Sequence[str], due: date) -> int:
    for factor_id in focus:
        current = scores.stage(factor_id) if scores else None
        if current is not None:
            roadmap.set_target(session, latest, unit, framework, factor_id,
                               str(min(current + 1, framework.stage_count)))
    targets = roadmap.targets(session, id_of(latest), [id_of(unit)])[id_of(unit)]
    proposed = roadmap.propose_actions(session, unit, framework,
                                       roadmap.gaps(framework, scores, targets))
    statuses = list(ActionStatus)
    for number, action in enumerate(proposed):
        action.owner = ("Ulla Yksikkö", "Sanna Saarinen", "Pekka Päällikkö")[number % 3]
        action.due_on = due - timedelta(days=7 * (number % 6))
        action.status = statuses[number % 3]
        session.add(action)
    return len(proposed)


# Measurements ----------------------------------------------------------------------------

@contextmanager
def transaction(url: str) -> Iterator[Session]:
    """A session on the database in one transaction, its engine disposed afterwards."""
    engine = create_db_engine(url)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs, and the CPU seconds of this process in each."""

    wall: list[float]
    cpu: list[float]

    @property
    def median(self) -> float:
        """The median wall time."""
        return statistics.median(self.wall)

    @property
    def median_cpu(self) -> float:
        """The median CPU time."""
        return statistics.median(self.cpu)


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Run once: wall and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def memory(pid: int | str = "self") -> dict[str, int]:
    """A process's resident memory now (VmRSS) and at its peak (VmHWM), in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def mb(kilobytes: int) -> str:
    """Kilobytes as megabytes, one decimal."""
    return f"{kilobytes / 1024:.1f} MB"


# (a) The unit report ---------------------------------------------------------------------

@dataclass(frozen=True)
class UnitRun:
    """The unit report's full path against a bare render of the same HTML."""

    unit: str
    round: str
    pages: int
    full: Timing
    bare: Timing

    @property
    def ratio(self) -> float:
        """Full path over bare render, of the median wall times."""
        return self.full.median / self.bare.median


def unit_report_benchmark(url: str, registry: FrameworkRegistry, runs: int) -> UnitRun:
    """Time the unit report of the demo's pilot unit in the round of its workshop."""
    engine = create_db_engine(url)
    catalogues, environment = Catalogues(), report_environment()
    try:
        with Session(engine, expire_on_commit=False) as session:
            organisation = load_demo(session, registry.get(FRAMEWORK_ID)).organisation
            session.commit()
            round_ = services.list_rounds(session, organisation)[1]  # the workshop's round
            unit = session.exec(select(Unit).where(Unit.organisation_id == organisation.id,
                                                   Unit.name == PILOT_UNIT)).one()
        html, pdf = "", b""

        def full_path() -> None:
            nonlocal html, pdf
            with Session(engine, expire_on_commit=False) as session:
                report = build_unit_report(session, registry, round_, unit, min_votes=3)
            html = unit_report_html(report, catalogues.translator(LANGUAGE), environment)
            pdf = render_pdf(html)

        full_path()  # warm up: imports, fonts, the templates
        pages = page_count(pdf)
        full, bare = Timing([], []), Timing([], [])
        for _ in range(runs):  # alternate, so a busy moment costs both the same
            for timing, run in ((full, full_path),
                                (bare, lambda: weasyprint.HTML(string=html).write_pdf())):
                wall, cpu = timed(run)
                timing.wall.append(wall)
                timing.cpu.append(cpu)
        return UnitRun(unit.name, round_.name, pages, full, bare)
    finally:
        engine.dispose()


# (b) The roadmap of a large organisation -------------------------------------------------

@dataclass(frozen=True)
class RoadmapRun:
    """The roadmap report of the large organisation."""

    organisation_id: int
    units: int
    actions: int
    pages: int
    total: Timing
    gather: float  # the last run's seconds per step
    lay_out: float
    render: float
    rss_before: int  # this process, which renders in-process here
    rss_after: int


def large_organisation(url: str, registry: FrameworkRegistry, units: int,
                       rounds: int) -> tuple[int, int]:
    """Load the generated organisation with its roadmap; its id and number of actions."""
    framework = registry.get(FRAMEWORK_ID)
    with transaction(url) as session:
        organisation = load_large_demo(session, framework, units=units, rounds=rounds)
        actions = plan_large_roadmap(session, framework, organisation.organisation)
        return id_of(organisation.organisation), actions


def roadmap_benchmark(url: str, registry: FrameworkRegistry, organisation_id: int,
                      actions: int, runs: int) -> RoadmapRun:
    """Time the whole roadmap report path: gather, draw and lay out, render the PDF."""
    engine = create_db_engine(url)
    catalogues, environment = Catalogues(), report_environment()
    rss_before = memory()["VmRSS"]
    steps: dict[str, float] = {}
    pdf = b""

    def full_path() -> None:
        nonlocal pdf
        start = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session:
            organisation = session.get(Organisation, organisation_id)
            assert organisation is not None
            report = build_roadmap_report(session, registry, organisation)
        gathered = time.perf_counter()
        html = roadmap_report_html(report, catalogues.translator(LANGUAGE), environment)
        laid_out = time.perf_counter()
        pdf = render_pdf(html)
        steps.update(gather=gathered - start, lay_out=laid_out - gathered,
                     render=time.perf_counter() - laid_out, units=report.unit_count)

    try:
        total = Timing([], [])
        for _ in range(runs):
            wall, cpu = timed(full_path)
            total.wall.append(wall)
            total.cpu.append(cpu)
    finally:
        engine.dispose()
    return RoadmapRun(organisation_id, int(steps["units"]), actions, page_count(pdf), total,
                      steps["gather"], steps["lay_out"], steps["render"], rss_before,
                      memory()["VmRSS"])


def page_count(pdf: bytes) -> int:
    """The number of pages of a PDF."""
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


# (c) The web process's memory ------------------------------------------------------------

@dataclass(frozen=True)
class WebRun:
    """The app process's memory while it builds reports through its job flow."""

    reports: int
    seconds: list[float]  # ask → downloaded, per large report
    started: dict[str, int]
    warmed: dict[str, int]  # after the small reports: imports, templates, the worker
    after: list[dict[str, int]]  # after each large report
    pdf_bytes: int


def add_consultant(url: str, organisation_ids: Sequence[int]) -> None:
    """A consultant of the organisations, to sign in as."""
    with transaction(url) as session:
        user = accounts.create_user(session, email=EMAIL, name="Kalle Konsultti",
                                    password=PASSWORD)
        for organisation_id in organisation_ids:
            organisation = session.get(Organisation, organisation_id)
            assert organisation is not None
            accounts.grant(session, user, organisation, Role.consultant)


def build_through_the_app(client: httpx.Client, form_path: str, language: str) -> bytes:
    """Ask for a report on its form, poll its progress as the page does, download it."""
    asked = client.post(form_path, data={"language": language,
                                         "csrf_token": csrf_token(client.get(form_path))})
    if asked.status_code != 303:
        raise RuntimeError(f"{form_path}: {asked.status_code}")
    job = asked.headers["location"]
    deadline = time.monotonic() + 300
    while 'data-hx-get="/report-jobs/' in client.get(job, headers={"HX-Request": "true"}).text:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{job} was not built within 300 s")
        time.sleep(0.25)
    pdf = client.get(f"{job}/pdf")
    if pdf.status_code != 200:
        raise RuntimeError(f"{job}: {pdf.status_code} {pdf.text[:200]}")
    return pdf.content


def web_benchmark(url: str, warm_up: Sequence[str], large_path: str, reports: int) -> WebRun:
    """Build small reports (to warm up: imports, templates, fonts), then `reports` large
    ones, reading the app process's memory at each step."""
    env = {"MATURITY_DATABASE_URL": url, "MATURITY_SECRET_KEY": secrets.token_urlsafe(32),
           "MATURITY_DEFAULT_LANGUAGE": LANGUAGE}
    with serve(APP_FACTORY, env, 1, "/sign-in") as server, \
            httpx.Client(base_url=server.url, timeout=60) as client:
        pid = server.pid
        started = memory(pid)
        sign_in(client, EMAIL, PASSWORD)
        for path in warm_up:
            build_through_the_app(client, path, LANGUAGE)
        warmed = memory(pid)
        after, seconds, size = [], [], 0
        for _ in range(reports):
            start = time.perf_counter()
            size = len(build_through_the_app(client, large_path, LANGUAGE))
            seconds.append(time.perf_counter() - start)
            after.append(memory(pid))
        return WebRun(reports, seconds, started, warmed, after, size)


# The run ---------------------------------------------------------------------------------

def report(unit: UnitRun, roadmap_run: RoadmapRun, web: WebRun | None, runs: int,
           roadmap_runs: int) -> None:
    """Print the figures table."""
    rows: list[tuple[str, str, str]] = [
        (f"(a) unit report, {unit.unit} / {unit.round}, {unit.pages} pages", "", ""),
        (f"    full path: data + HTML + PDF, median of {runs}",
         f"{unit.full.median:.2f} s (CPU {unit.full.median_cpu:.2f} s)", ""),
        (f"    bare weasyprint.HTML(string=html).write_pdf(), median of {runs}",
         f"{unit.bare.median:.2f} s (CPU {unit.bare.median_cpu:.2f} s)", ""),
        ("    ratio full / bare", f"{unit.ratio:.2f}",
         f"≤ {UNIT_RATIO_AIM}: {'yes' if unit.ratio <= UNIT_RATIO_AIM else 'NO'}"),
        ("    the same ratio in CPU time of this process",
         f"{unit.full.median_cpu / unit.bare.median_cpu:.2f}", ""),
        (f"(b) roadmap, {roadmap_run.units} units, {roadmap_run.actions} actions, "
         f"{roadmap_run.pages} pages", "", ""),
        (f"    full path, median of {roadmap_runs}",
         f"{roadmap_run.total.median:.2f} s (CPU {roadmap_run.total.median_cpu:.2f} s)",
         f"≤ {ROADMAP_SECONDS_AIM:.0f} s: "
         f"{'yes' if roadmap_run.total.median <= ROADMAP_SECONDS_AIM else 'NO'}"),
        ("    of which gather / charts and HTML / PDF (last run)",
         f"{roadmap_run.gather:.2f} / {roadmap_run.lay_out:.2f} / {roadmap_run.render:.2f} s",
         ""),
        ("    this process's VmRSS before / after (renders in-process)",
         f"{mb(roadmap_run.rss_before)} / {mb(roadmap_run.rss_after)}",
         f"+{mb(roadmap_run.rss_after - roadmap_run.rss_before)}"),
    ]
    if web is not None:
        last = web.after[-1]
        grown = last["VmRSS"] - web.warmed["VmRSS"]
        rows += [
            (f"(c) web process (uvicorn), {web.reports} roadmap PDFs through the job flow", "",
             ""),
            ("    VmRSS at start / after a small unit report and roadmap (warm)",
             f"{mb(web.started['VmRSS'])} / {mb(web.warmed['VmRSS'])}", ""),
            ("    VmHWM (peak) at start / warm",
             f"{mb(web.started['VmHWM'])} / {mb(web.warmed['VmHWM'])}", ""),
            ("    VmRSS after each roadmap",
             ", ".join(mb(m["VmRSS"]) for m in web.after), f"{grown / 1024:+.1f} MB"),
            ("    VmHWM (peak) warm / after all roadmaps",
             f"{mb(web.warmed['VmHWM'])} / {mb(last['VmHWM'])}",
             f"{(last['VmHWM'] - web.warmed['VmHWM']) / 1024:+.1f} MB"),
            ("    ask → downloaded, per roadmap",
             ", ".join(f"{s:.1f} s" for s in web.seconds), ""),
        ]
    width = max(len(r[0]) for r in rows)
    middle = max(len(r[1]) for r in rows)
    print()
    for label, figure, aim in rows:
        print(f"{label:<{width}}  {figure:<{middle}}  {aim}".rstrip())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="runs of the unit report (a)")
    parser.add_argument("--roadmap-runs", type=int, default=3, help="runs of the roadmap (b)")
    parser.add_argument("--units", type=int, default=50, help="units of the organisation (b)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the organisation (b)")
    parser.add_argument("--web-reports", type=int, default=4,
                        help="large reports built through the web app (c); 0 skips (c)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the three benchmarks against SQLite files in a temporary directory."""
    args = parse_args(argv)
    registry = FrameworkRegistry.from_directories([Settings().frameworks_dir])
    with tempfile.TemporaryDirectory(prefix="maturity-reports-") as directory:
        url = f"sqlite:///{Path(directory) / 'benchmark.db'}"
        engine = create_db_engine(url)
        upgrade(engine)
        engine.dispose()
        print(f"(a) the unit report, {args.runs} runs each …", flush=True)
        unit = unit_report_benchmark(url, registry, args.runs)
        print(f"(b) a {args.units}-unit organisation with its roadmap, "
              f"{args.roadmap_runs} runs …", flush=True)
        organisation_id, actions = large_organisation(url, registry, args.units, args.rounds)
        roadmap_run = roadmap_benchmark(url, registry, organisation_id, actions,
                                        args.roadmap_runs)
        web = None
        if args.web_reports:
            print(f"(c) the web app builds {args.web_reports} roadmaps …", flush=True)
            with transaction(url) as session:
                demo = session.exec(select(Organisation).where(
                    Organisation.id != organisation_id)).first()
                assert demo is not None
                rounds = services.list_rounds(session, demo)
                pilot = session.exec(select(Unit).where(Unit.organisation_id == demo.id,
                                                        Unit.name == PILOT_UNIT)).one()
                small = f"/rounds/{rounds[1].id}/units/{pilot.id}/report"
                demo_id = id_of(demo)
            add_consultant(url, [demo_id, organisation_id])
            web = web_benchmark(url, [small, f"/organisations/{demo_id}/roadmap/report"],
                                f"/organisations/{organisation_id}/roadmap/report",
                                args.web_reports)
    report(unit, roadmap_run, web, args.runs, args.roadmap_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
