"""Benchmark a live workshop: participants join and vote over HTTP while their screens
follow the workshop (pushed by server-sent events, or polled with `--screens poll`).

    .venv/bin/python -m benchmarks.workshop --participants 300 --workers 2
    .venv/bin/python -m benchmarks.workshop --database postgresql --workers 2

With `--database postgresql` a throwaway PostgreSQL server is started (the test suite's,
`tests/pgserver.py`) and both apps use it. With the default `--screens stream` every phone
holds its stream (`/w/{code}/stream`) the whole time, as `templates/participant.html` does,
and the console and the projector hold theirs; the time from the facilitator pressing *Next*
to each phone having the new step is measured, and the server's open connections and
memory are sampled at every move.

The real app runs under uvicorn (uvloop, httptools) in a subprocess on 127.0.0.1 against a
fresh SQLite database in a temporary directory. A consultant signs in and opens a workshop
through the HTTP routes; every simulated participant has its own client (so its own CSRF and
participant cookies), joins through the join form and keeps polling its screen every 2 s the
way `templates/participant.html` does, while the console and the projector poll theirs. The
facilitator moves through every question of the framework; at each question every participant
votes once (a random stage, "don't know" or "not applicable") through the real route, with at
most `--concurrency` votes in flight at a time. Afterwards the votes stored in the database are
counted and must equal the votes sent and acknowledged.

In the same run a bare FastAPI app (below) with one endpoint that inserts a row into SQLite
(same engine settings as the app) is served with the same uvicorn settings and driven by the
same number of clients with the same concurrency, for the ratio of the two throughputs.
Throughput is acknowledged requests divided by the wall time of the voting phases (the
facilitator's moves between them are not counted). Latency is the time from sending one
request to having read its whole response, as the client sees it: on a small machine the
client's own share of the processors shows in it too.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import re
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import uvloop
from fastapi import FastAPI, Form
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select
from sqlmodel import col
from starlette.responses import Response

from assessment import accounts, services, workshops
from assessment.db import create_db_engine, session_scope
from assessment.framework import Framework, FrameworkRegistry, Question
from assessment.migrate import upgrade
from assessment.models import Answer, Role, Workshop
from assessment.settings import Settings
from benchmarks._common import APP_FACTORY, CpuClock, csrf_token, percentile, serve

FRAMEWORK_ID = "some-maturity"
POLL_SECONDS = 2.0  # data-hx-trigger="every 2s" on the participants', console and projector screens
BARE_DB_ENV = "BENCHMARK_BARE_DATABASE_URL"
EMAIL, PASSWORD = "fasilitaattori@example.com", secrets.token_urlsafe(12)
POLL_VERSION = re.compile(r'data-hx-get="/w/[A-Z0-9]+\?v=(\d+)"')
# The aims (#16): against the bare insert of the same run.
AIM_RATIO, AIM_P99_FACTOR, AIM_UPDATE_P95_MS, AIM_CPU_FACTOR = 0.6, 2.0, 500.0, 2.5


# The bare app ----------------------------------------------------------------------------

BARE_METADATA = MetaData()
BARE_ROWS = Table("bench_row", BARE_METADATA,
                  Column("id", Integer, primary_key=True),
                  Column("choice", String(16), nullable=False),
                  Column("created_at", DateTime, nullable=False))


def bare_app() -> FastAPI:
    """A bare FastAPI app whose one endpoint inserts a row into SQLite (uvicorn factory)."""
    engine = create_db_engine(os.environ[BARE_DB_ENV])
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/rows")
    def insert_row(choice: Annotated[str, Form()]) -> Response:
        with engine.begin() as connection:
            connection.execute(BARE_ROWS.insert().values(choice=choice,
                                                         created_at=datetime.now(UTC)))
        return Response(status_code=201)

    @app.get("/ready")
    def ready() -> Response:
        return Response(status_code=204)

    return app


# Measurements ----------------------------------------------------------------------------

@dataclass
class Stopwatch:
    """Wall time and the processor time of the servers and of this client, added up over the
    measured phases."""

    server: CpuClock
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    async def measure(self, phase: Awaitable[None]) -> None:
        """Run one measured phase."""
        wall, server, client = time.perf_counter(), self.server.seconds(), time.process_time()
        await phase
        self.wall += time.perf_counter() - wall
        self.server_cpu += self.server.seconds() - server
        self.client_cpu += time.process_time() - client


@dataclass
class Recorder:
    """Latencies (seconds) by response status of one kind of request (status 0: none came)."""

    latencies: dict[int, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0

    @property
    def statuses(self) -> Counter[int]:
        """How many requests got each status."""
        return Counter({status: len(found) for status, found in self.latencies.items()})

    @property
    def sent(self) -> int:
        """How many requests were sent."""
        return sum(self.statuses.values())

    @property
    def acknowledged(self) -> int:
        """How many got a 2xx response."""
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    async def timed(self, send: Callable[[], Awaitable[httpx.Response]],
                    ) -> httpx.Response | None:
        """Send one request, recording its latency and status. Like a browser, send it once
        more when the server had just closed the kept-alive connection it went out on."""
        started = time.perf_counter()
        try:
            try:
                response = await send()
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                # The connection closed under the request (the server's keep-alive timeout
                # ran out as it went): a browser sends it again on a new one. Votes may be
                # sent twice: a second vote replaces the first.
                self.reconnects += 1
                response = await send()
        except httpx.HTTPError as exc:
            self.latencies.setdefault(0, []).append(time.perf_counter() - started)
            self.errors[type(exc).__name__] += 1
            return None
        self.latencies.setdefault(response.status_code, []).append(
            time.perf_counter() - started)
        return response

    def ms(self, share: float, status: int | None = None) -> float:
        """A latency percentile in milliseconds, of all requests or those with `status`."""
        found = self.latencies.get(status, []) if status is not None else \
            [seconds for each in self.latencies.values() for seconds in each]
        return percentile(found, share) * 1000

    def failures(self) -> str:
        """Responses other than 2xx and 3xx, and errors, as "status x count" ("" if none)."""
        bad = [(str(status), n) for status, n in sorted(self.statuses.items())
               if not 200 <= status < 400 and status != 0] + sorted(self.errors.items())
        return ", ".join(f"{what} x {n}" for what, n in bad)


RETRY_SECONDS = 2.0  # the stream's `retry:`, as the browser waits before reconnecting


def server_connections(port: int) -> int:
    """Established TCP connections to the server's port (Linux: /proc/net/tcp*)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def server_memory_kib(pid: int) -> int:
    """Resident memory of the server process and its worker processes, in KiB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if status.parent.name == str(pid) or fields.get("PPid", "").strip() == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total


def new_client(base: str) -> httpx.AsyncClient:
    """One phone's or laptop's browser: its own cookies and connections."""
    return httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False,
                             headers={"Accept-Language": "fi"})


# The workshop ----------------------------------------------------------------------------

@dataclass
class Phone:
    """A participant's browser on the participant page."""

    client: httpx.AsyncClient
    code: str
    csrf: str = ""
    version: int = -1
    next_poll: float = 0.0

    def _htmx(self, trigger: str | None) -> dict[str, str]:
        headers = {"HX-Request": "true", "HX-Target": "step", "X-CSRF-Token": self.csrf,
                   "HX-Current-URL": f"{self.client.base_url}w/{self.code}"}
        return headers | ({"HX-Trigger": trigger} if trigger else {})

    def _swapped(self, html: str) -> None:
        # htmx swaps the new #step in: its poll starts again with the version it carries.
        found = POLL_VERSION.search(html)
        if found is None:
            raise RuntimeError("the participant screen carries no poll URL")
        self.version = int(found.group(1))
        self.next_poll = time.monotonic() + POLL_SECONDS

    async def join(self, nickname: str, recorder: Recorder) -> None:
        """Open the join link from the QR code, send the form, follow to the screen."""
        self.csrf = csrf_token(await self.client.get("/join", params={"code": self.code}))
        joined = await recorder.timed(lambda: self.client.post(
            "/join", data={"csrf_token": self.csrf, "code": self.code, "nickname": nickname}))
        if joined is None or joined.status_code != 303:
            raise RuntimeError(f"join failed: {joined and joined.status_code}")
        self._swapped((await self.client.get(joined.headers["location"])).text)
        # From now on the browser sends the same two cookies (CSRF and participant token) on
        # every request. A fixed header carries them: httpx's cookie jar would spend more
        # client time per request than the bare app's whole insert, on the workshop's side only.
        self.client.headers["Cookie"] = "; ".join(
            f"{cookie.name}={cookie.value}" for cookie in self.client.cookies.jar)
        self.client.cookies.clear()

    async def poll_forever(self, recorder: Recorder, run: WorkshopRun) -> None:
        """Poll the screen every 2 s (a changed workshop answers with the new step)."""
        self.next_poll = time.monotonic() + random.uniform(0, POLL_SECONDS)
        while True:
            delay = self.next_poll - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            self.next_poll = time.monotonic() + POLL_SECONDS
            response = await recorder.timed(lambda: self.client.get(
                f"/w/{self.code}", params={"v": self.version}, headers=self._htmx("step")))
            if response is not None and response.status_code == 200:
                self._swapped(response.text)
                run.updated(self.version)

    async def follow(self, run: WorkshopRun) -> None:
        """Hold the screen's stream as the browser's EventSource does: on a new step swap
        it in, on `refresh` ask for the own step, reconnect with the last version seen."""
        while True:
            try:
                async with self.client.stream(
                        "GET", f"/w/{self.code}/stream", params={"v": self.version},
                        headers={"Accept": "text/event-stream"},
                        timeout=httpx.Timeout(60, read=None)) as response:
                    if response.status_code != 200:
                        run.streams.errors[f"stream {response.status_code}"] += 1
                        await asyncio.sleep(2)
                        continue
                    run.open_streams += 1
                    try:
                        if await self._events(response, run):
                            return
                    finally:
                        run.open_streams -= 1
            except httpx.HTTPError as exc:
                run.streams.errors[type(exc).__name__] += 1
            run.streams.reconnects += 1
            await asyncio.sleep(RETRY_SECONDS)

    async def _events(self, response: httpx.Response, run: WorkshopRun) -> bool:
        name, data, ident = "message", [], None
        async for line in response.aiter_lines():
            if line:
                field_name, _, value = line.partition(": ")
                if field_name == "event":
                    name = value
                elif field_name == "data":
                    data.append(value)
                elif field_name == "id":
                    ident = value
                continue
            if name == "step" and ident and int(ident) > self.version:
                self.version = int(ident)
                run.updated(self.version)
            elif name == "refresh":
                page = await self.client.get(f"/w/{self.code}", params={"v": self.version},
                                             headers=self._htmx("step"))
                if page.status_code == 200:
                    self._swapped(page.text)
                    run.updated(self.version)
            elif name == "end":
                return True
            name, data, ident = "message", [], None
        return False

    async def vote(self, question_id: str, choice: str, recorder: Recorder) -> None:
        """Tap a choice: htmx posts the form (with its CSRF field) and swaps in the answer."""
        response = await recorder.timed(lambda: self.client.post(
            f"/w/{self.code}/votes/{question_id}",
            data={"csrf_token": self.csrf, "choice": choice}, headers=self._htmx(None)))
        if response is not None and response.status_code == 200 and \
                POLL_VERSION.search(response.text):  # the whole step came back
            self._swapped(response.text)


@dataclass
class Facilitator:
    """The consultant's browser: sign in, open the workshop, move through the agenda."""

    client: httpx.AsyncClient
    csrf: str = ""
    workshop_id: int = 0

    async def open_workshop(self, round_id: int, unit_id: int) -> str:
        """Sign in through the form, open a workshop for the unit; its join code."""
        self.csrf = csrf_token(await self.client.get("/sign-in"))
        signed_in = await self.client.post("/sign-in", data={
            "csrf_token": self.csrf, "email": EMAIL, "password": PASSWORD, "next": "/"})
        if signed_in.status_code != 303:
            raise RuntimeError(f"sign-in failed: {signed_in.status_code}")
        # Signing in renews the CSRF cookie: the forms of the next page carry its token.
        self.csrf = csrf_token(await self.client.get("/"))
        opened = await self.client.post(f"/rounds/{round_id}/units/{unit_id}/workshops",
                                        data={"csrf_token": self.csrf, "dots": "3"})
        if opened.status_code != 303:
            raise RuntimeError(f"opening the workshop failed: {opened.status_code}")
        self.workshop_id = int(opened.headers["location"].rsplit("/", 1)[1])
        console = await self.client.get(opened.headers["location"])
        found = re.search(r"\?code=([A-Z0-9]+)", console.text)  # the join link on the console
        if found is None:
            raise RuntimeError("the console shows no join link")
        return found.group(1)

    async def move(self, index: int, run: WorkshopRun | None = None) -> None:
        """Press the step button and follow the redirect back to the console."""
        if run is not None:
            run.moving(time.perf_counter())
        moved = await self.client.post(f"/workshops/{self.workshop_id}/step",
                                       data={"csrf_token": self.csrf, "index": str(index)},
                                       follow_redirects=True)
        if moved.status_code != 200:
            raise RuntimeError(f"moving to step {index} failed: {moved.status_code}")

    async def hold(self, path: str, run: WorkshopRun) -> None:
        """Hold the console's or the projector's stream, reading (and counting) its events."""
        while True:
            try:
                async with self.client.stream("GET", path, headers={
                        "Accept": "text/event-stream"},
                        timeout=httpx.Timeout(60, read=None)) as response:
                    run.open_streams += 1
                    try:
                        async for line in response.aiter_lines():
                            if line.startswith("event: "):
                                run.screen_events += 1
                    finally:
                        run.open_streams -= 1
            except httpx.HTTPError as exc:
                run.screens.errors[type(exc).__name__] += 1
            await asyncio.sleep(RETRY_SECONDS)

    async def poll_forever(self, path: str, target: str, recorder: Recorder) -> None:
        """Poll the console or the projector screen every 2 s, as their pages do."""
        await asyncio.sleep(random.uniform(0, POLL_SECONDS))
        while True:
            started = time.monotonic()
            await recorder.timed(lambda: self.client.get(path, headers={
                "HX-Request": "true", "HX-Target": target, "HX-Trigger": target}))
            await asyncio.sleep(max(0.0, POLL_SECONDS - (time.monotonic() - started)))


@dataclass
class Setup:
    """What the benchmark database holds before the app starts."""

    round_id: int
    unit_id: int
    framework: Framework


def prepare_database(url: str, registry: FrameworkRegistry) -> Setup:
    """Migrate a fresh database and add an organisation, a unit, a round and a consultant."""
    engine = create_db_engine(url)
    upgrade(engine)
    framework = registry.get(FRAMEWORK_ID)
    with session_scope(engine) as session:
        organisation = services.create_organisation(session, "Vertailu Oy")
        unit = services.create_unit(session, organisation, "Viestintä")
        round_ = services.create_round(session, organisation, "Kevät 2026", framework)
        user = accounts.create_user(session, email=EMAIL, name="Fasilitaattori",
                                    password=PASSWORD)
        accounts.grant(session, user, organisation, Role.consultant)
        setup = Setup(round_id=round_.id or 0, unit_id=unit.id or 0, framework=framework)
    engine.dispose()
    return setup


def choices(framework: Framework, question: Question | None = None) -> list[str]:
    """What a participant may tap: a stage, "don't know", and "not applicable" on a question
    that allows it."""
    options = [str(i) for i in range(1, framework.stage_count + 1)] + ["dont_know"]
    if question is not None and framework.not_applicable_allowed(question, workshop=True):
        options.append("not_applicable")
    return options


def settle_heap() -> None:
    """Before a measured phase: collect this client's garbage and freeze what is left out of
    the collector's sight. Hundreds of simulated phones make a large heap, whose full
    collections stop this process for up to half a second and would show as the server's
    latency (the phones are separate devices in a real room)."""
    gc.unfreeze()  # what an earlier phase left, and no longer uses, may go now
    gc.collect()
    gc.freeze()


async def in_bursts(tasks: Sequence[Callable[[], Awaitable[None]]], concurrency: int) -> None:
    """Run the tasks with at most `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def gated(task: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await task()

    await asyncio.gather(*(gated(t) for t in tasks))


@dataclass
class WorkshopRun:
    """What the workshop run measured (the stopwatch runs while votes are being cast)."""

    questions: int
    voting: Stopwatch
    joins: Recorder = field(default_factory=Recorder)
    votes: Recorder = field(default_factory=Recorder)
    polls: Recorder = field(default_factory=Recorder)
    screens: Recorder = field(default_factory=Recorder)
    streams: Recorder = field(default_factory=Recorder)
    workshop_id: int = 0
    open_streams: int = 0
    screen_events: int = 0
    moved_at: float = 0.0
    target_version: int = 0
    updates: list[float] = field(default_factory=list)  # seconds from a move to a phone's update
    connections: list[int] = field(default_factory=list)  # the server's, sampled at each move
    memory_kib: list[int] = field(default_factory=list)
    server_pid: int = 0
    port: int = 0

    def moving(self, now: float) -> None:
        """The facilitator presses *Next*: phones that get the next version count from now;
        the server's connections and memory are sampled."""
        self.moved_at = now
        self.target_version += 1
        self.connections.append(server_connections(self.port))
        self.memory_kib.append(server_memory_kib(self.server_pid))

    def updated(self, version: int) -> None:
        """A phone shows `version`: how long after the move that made it."""
        if version == self.target_version and self.moved_at:
            self.updates.append(time.perf_counter() - self.moved_at)


async def drive_workshop(base: str, clock: CpuClock, setup: Setup, args: argparse.Namespace,
                         server_pid: int = 0) -> WorkshopRun:
    """Open the workshop, let everyone join, and vote on every question while polling."""
    question_steps = [s for s in workshops.agenda(setup.framework)
                      if s.kind is workshops.StepKind.question]
    if args.questions:
        question_steps = question_steps[:args.questions]
    run = WorkshopRun(len(question_steps), Stopwatch(clock))
    run.server_pid, run.port = server_pid, int(base.rsplit(":", 1)[1])
    streaming = args.screens == "stream"
    facilitator = Facilitator(new_client(base))
    phones: list[Phone] = []
    pollers: list[asyncio.Task[None]] = []

    def joiner(n: int, phone: Phone) -> Callable[[], Awaitable[None]]:
        async def join() -> None:
            await phone.join(f"Osallistuja {n}", run.joins)
            pollers.append(asyncio.create_task(
                phone.follow(run) if streaming else phone.poll_forever(run.polls, run)))
        return join

    try:
        code = await facilitator.open_workshop(setup.round_id, setup.unit_id)
        run.workshop_id = facilitator.workshop_id
        run.target_version = 0  # a new workshop is at version 0
        if streaming:
            pollers += [asyncio.create_task(facilitator.hold(path, run)) for path in (
                f"/workshops/{run.workshop_id}/stream",
                f"/workshops/{run.workshop_id}/projector/stream")]
        else:
            pollers += [asyncio.create_task(facilitator.poll_forever(path, target, run.screens))
                        for path, target in [(f"/workshops/{run.workshop_id}", "live"),
                                             (f"/workshops/{run.workshop_id}/projector",
                                              "screen")]]
        phones += [Phone(new_client(base), code) for _ in range(args.participants)]
        await in_bursts([joiner(n, p) for n, p in enumerate(phones, 1)], args.concurrency)
        run.target_version = max(p.version for p in phones)
        await asyncio.sleep(1.0)  # let the last phones open their streams
        settle_heap()
        await vote_on_questions(facilitator, phones, question_steps, setup.framework, run,
                                args)
    finally:
        for task in pollers:
            task.cancel()
        await asyncio.gather(*pollers, return_exceptions=True)
        await asyncio.gather(*(c.aclose() for c in [facilitator.client]
                               + [p.client for p in phones]))
    return run


async def vote_on_questions(facilitator: Facilitator, phones: list[Phone],
                            steps: list[workshops.Step], framework: Framework,
                            run: WorkshopRun, args: argparse.Namespace) -> None:
    """Open each question in turn and have every participant vote on it."""
    votes = run.votes
    for step in steps:
        await facilitator.move(step.index, run)
        question_id = step.question_id or ""
        options = choices(framework, framework.question(question_id)[1])
        order = random.sample(phones, len(phones))  # who taps first varies per question

        def voter(phone: Phone, question_id: str = question_id,
                  options: list[str] = options) -> Callable[[], Awaitable[None]]:
            return lambda: phone.vote(question_id, random.choice(options), votes)

        await run.voting.measure(in_bursts([voter(p) for p in order], args.concurrency))


def stored_votes(url: str, workshop_id: int) -> int:
    """Participants' votes stored for the workshop's assessment."""
    engine = create_db_engine(url)
    with engine.connect() as connection:
        assessment_id = connection.execute(select(col(Workshop.assessment_id)).where(
            col(Workshop.id) == workshop_id)).scalar_one()
        stored = connection.execute(select(func.count()).select_from(Answer).where(
            col(Answer.assessment_id) == assessment_id,
            col(Answer.respondent_id).is_not(None))).scalar_one()
    engine.dispose()
    return int(stored)


# The bare endpoint -----------------------------------------------------------------------

@dataclass
class BareRun:
    """What the bare endpoint run measured."""

    inserting: Stopwatch
    inserts: Recorder = field(default_factory=Recorder)


async def drive_bare(base: str, clock: CpuClock, rounds: int, options: list[str],
                     args: argparse.Namespace) -> BareRun:
    """As many clients, rounds and requests, with the same concurrency, each inserting a row."""
    run = BareRun(Stopwatch(clock))
    clients = [new_client(base) for _ in range(args.participants)]
    settle_heap()

    def insert(client: httpx.AsyncClient) -> Callable[[], Awaitable[None]]:
        async def post() -> None:
            choice = random.choice(options)
            await run.inserts.timed(lambda: client.post("/rows", data={"choice": choice}))
        return post

    try:
        for _ in range(rounds):
            order = random.sample(clients, len(clients))
            await run.inserting.measure(in_bursts([insert(c) for c in order], args.concurrency))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return run


def stored_rows(url: str) -> int:
    """Rows the bare endpoint inserted."""
    engine = create_db_engine(url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(BARE_ROWS)).scalar_one()
    engine.dispose()
    return int(count)


# Report ----------------------------------------------------------------------------------

def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _per(watch: Stopwatch, count: int) -> str:
    # With the polls meanwhile: what each vote costs, whatever else runs on the machine.
    count = max(count, 1)
    return (f"server {watch.server_cpu / count * 1000:.2f} ms, "
            f"client {watch.client_cpu / count * 1000:.2f} ms")


def report(args: argparse.Namespace, run: WorkshopRun, stored: int, bare: BareRun,
           bare_stored: int, load: tuple[float, float]) -> bool:
    """Print the figures; whether the votes stored equal the votes sent and acknowledged."""
    voting, inserting = run.voting, bare.inserting
    throughput = run.votes.acknowledged / voting.wall if voting.wall else 0.0
    cpu_vote = voting.server_cpu / max(run.votes.acknowledged, 1)
    cpu_insert = inserting.server_cpu / max(bare.inserts.acknowledged, 1)
    cpu_factor = cpu_vote / cpu_insert if cpu_insert else 0.0
    updates = [u * 1000 for u in run.updates]
    update_p95 = percentile(updates, 0.95)
    bare_throughput = bare.inserts.acknowledged / inserting.wall if inserting.wall else 0.0
    ratio = throughput / bare_throughput if bare_throughput else 0.0
    votes, polls, p99 = run.votes, run.polls, run.votes.ms(0.99)
    bare_p99 = bare.inserts.ms(0.99)
    equal = votes.sent == votes.acknowledged == stored
    expected_updates = run.questions * args.participants
    rows = [
        ("Workshop (the app)", ""),
        ("participants joined", f"{run.joins.statuses[303]}"),
        ("questions voted on", f"{run.questions}"),
        ("votes sent", f"{votes.sent}"),
        ("votes acknowledged (2xx)", f"{votes.acknowledged}"),
        ("votes stored", f"{stored}  ({'equal' if equal else 'NOT EQUAL'})"),
        ("voting wall time", f"{voting.wall:.2f} s"),
        ("vote throughput", f"{throughput:.0f} votes/s"),
        ("vote latency p50 / p95 / p99", f"{votes.ms(0.5):.1f} / {votes.ms(0.95):.1f} / "
                                         f"{p99:.1f} ms"),
        *([("polls sent (204 / 200)", f"{polls.sent} ({polls.statuses[204]} / "
                                      f"{polls.statuses[200]})"),
           ("poll latency p50 / p99", f"{polls.ms(0.5):.1f} / {polls.ms(0.99):.1f} ms"),
           ("poll p99: 204 / 200", f"{polls.ms(0.99, 204):.1f} / "
                                   f"{polls.ms(0.99, 200):.1f} ms"),
           ("console + projector poll p99", f"{run.screens.ms(0.99):.1f} ms "
                                            f"({run.screens.sent} polls)")]
          if args.screens == "poll" else
          [("stream reconnects", f"{run.streams.reconnects}"),
           ("console + projector events", f"{run.screen_events}")]),
        ("move -> phone updated p50/p95/p99", f"{percentile(updates, 0.5):.0f} / "
                                              f"{update_p95:.0f} / "
                                              f"{percentile(updates, 0.99):.0f} ms "
                                              f"({len(updates)} of {expected_updates})"),
        ("server connections at moves", f"{min(run.connections, default=0)}–"
                                        f"{max(run.connections, default=0)}"),
        ("server memory (RSS) at moves", f"{min(run.memory_kib, default=0) / 1024:.0f}–"
                                         f"{max(run.memory_kib, default=0) / 1024:.0f} MiB"),
        ("processor time per vote", _per(voting, votes.acknowledged)),
        (f"Bare FastAPI endpoint (one {args.database} insert per POST)", ""),
        ("rows sent / stored", f"{bare.inserts.sent} / {bare_stored}"),
        ("insert throughput", f"{bare_throughput:.0f} rows/s"),
        ("insert latency p50 / p99", f"{bare.inserts.ms(0.5):.1f} / "
                                     f"{bare.inserts.ms(0.99):.1f} ms"),
        ("processor time per insert", _per(inserting, bare.inserts.acknowledged)),
        ("Aims (issue 16)", ""),
        ("ratio workshop / bare", f"{ratio:.2f}  (aim >= {AIM_RATIO:.2f}: "
                                  f"{_verdict(ratio >= AIM_RATIO)})"),
        ("vote p99 / bare p99", f"{p99 / bare_p99 if bare_p99 else 0:.2f}  (aim <= "
                                f"{AIM_P99_FACTOR:.1f}: "
                                f"{_verdict(bare_p99 > 0 and p99 <= AIM_P99_FACTOR * bare_p99)})"),
        ("phone update p95", f"{update_p95:.0f} ms  (aim < {AIM_UPDATE_P95_MS:.0f} ms: "
                             f"{_verdict(update_p95 < AIM_UPDATE_P95_MS and bool(updates))})"),
        ("server CPU per vote / per insert", f"{cpu_factor:.2f}  (aim <= {AIM_CPU_FACTOR:.1f}: "
                                             f"{_verdict(cpu_factor <= AIM_CPU_FACTOR)})"),
        ("votes lost", f"{votes.acknowledged - stored}  (aim 0: "
                       f"{_verdict(votes.acknowledged == stored)})"),
    ]
    recorders = [("votes", votes), ("polls", polls), ("joins", run.joins),
                 ("console + projector", run.screens), ("phone streams", run.streams),
                 ("bare inserts", bare.inserts)]
    if problems := [(name, r.failures()) for name, r in recorders if r.failures()]:
        rows += [("Failed requests", ""), *problems]
    if resent := [(name, f"{r.reconnects} sent again") for name, r in recorders
                  if r.reconnects]:
        rows += [("Kept-alive connections closed under a request", ""), *resent]
    screens = ("screens hold server-sent-event streams" if args.screens == "stream"
               else f"screens poll every {POLL_SECONDS:g} s")
    print(f"\n{args.participants} participants on {args.database}, uvicorn --workers "
          f"{args.workers} --loop uvloop --http httptools, at most {args.concurrency} requests "
          f"in flight while voting or inserting, {screens}; load average "
          f"{load[0]:.2f} before, {load[1]:.2f} after, on {os.cpu_count()} processors\n")
    for label, value in rows:
        print(f"  {label:<34} {value}" if value else label)
    return equal


# Main ------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workshop",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2,
                        help="uvicorn worker processes (the same for both apps)")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="most votes (and bare inserts) in flight at once: the phones "
                        "that tap at the same moment")
    parser.add_argument("--questions", type=int, default=0,
                        help="vote on only the first N questions (default: all of them)")
    parser.add_argument("--seed", type=int, default=2026, help="for the random votes")
    parser.add_argument("--screens", choices=["stream", "poll"], default="stream",
                        help="phones, console and projector hold streams (the app's pages "
                        "today) or poll every 2 s (their fallback, and the app before #16)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite",
                        help="postgresql: a throwaway server (needs PostgreSQL's binaries)")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="run the app (with --workers 1) under cProfile, writing FILE")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both benchmarks and print the figures; 1 when a vote went missing."""
    args = parse_args(argv)
    random.seed(args.seed)
    with tempfile.TemporaryDirectory(prefix="maturity-benchmark-") as tmp, \
            databases(args.database, Path(tmp)) as (url, bare_url):
        return run_both(args, url, bare_url)


@contextmanager
def databases(kind: str, tmp: Path) -> Iterator[tuple[str, str]]:
    """The URLs of the workshop's and the bare app's empty databases."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'workshop.db'}", f"sqlite:///{tmp / 'bare.db'}"
        return
    from tests.pgserver import throwaway_postgres  # the test suite's throwaway server

    with throwaway_postgres() as url:
        yield url, url  # the bare app's table is its own


def run_both(args: argparse.Namespace, url: str, bare_url: str) -> int:
    """The workshop, then the bare app; print the figures."""
    settings = Settings()
    registry = FrameworkRegistry.from_directories([settings.frameworks_dir])
    load_before = os.getloadavg()[0]
    setup = prepare_database(url, registry)
    env = {"MATURITY_DATABASE_URL": url, "MATURITY_SECRET_KEY": secrets.token_urlsafe(32),
           "MATURITY_FRAMEWORKS_DIR": str(settings.frameworks_dir),
           "MATURITY_LOG_LEVEL": "warning",
           # Every simulated phone joins (and opens its stream) from the loopback address.
           "MATURITY_WORKSHOP_JOINS_PER_ADDRESS": str(max(args.participants, 30))}
    with serve(APP_FACTORY, env, args.workers, "/join", args.profile) as server:
        run = uvloop.run(drive_workshop(server.url, server.clock, setup, args, server.pid))
    stored = stored_votes(url, run.workshop_id)

    engine = create_db_engine(bare_url)
    BARE_METADATA.create_all(engine)
    engine.dispose()
    with serve("benchmarks.workshop:bare_app", {BARE_DB_ENV: bare_url}, args.workers,
               "/ready") as server:
        bare = uvloop.run(drive_bare(server.url, server.clock, run.questions,
                                     choices(setup.framework), args))
    bare_stored = stored_rows(bare_url)
    load = (load_before, os.getloadavg()[0])
    return 0 if report(args, run, stored, bare, bare_stored, load) else 1


if __name__ == "__main__":
    sys.exit(main())
