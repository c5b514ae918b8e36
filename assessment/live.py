"""The change feed of live workshops, one per app process.

The screens of a running workshop (the phones, the console, the projector) hold a
server-sent-event stream each. What they wait for is kept here, per workshop this process
has a stream of: the workshop's version (a move, a reveal or the end bumps it) and whether
it has ended, plus an *activity* counter that grows when a participant or the facilitator
changes something the console and the projector count (a vote, a note, a dot, a seat).

How a change reaches every process that serves the workshop:

- **PostgreSQL**: the transaction that bumps a workshop's version also runs
  `pg_notify('maturity_live', 'id:version:closed')` (see `notify_version`), delivered to every
  listening process when, and only if, it commits. Each process keeps one connection that
  LISTENs. Participants' writes are not notified one by one (a NOTIFY in a transaction
  serialises commits): after a commit the process notes the workshop as active, and a
  sender thread sends one `id:a` notification per workshop at most every
  `ACTIVITY_SECONDS`.
- **SQLite**: one thread per process asks `PRAGMA data_version` every `poll_seconds` (it
  changes when any connection, of any process, commits) and, only when it changed, reads the
  version of the workshops this process has streams of, in one query. No phone ever
  queries.

Within the process, a commit made here is published at once (`publish`, `touch`), so the
process that served the facilitator's click does not wait for the poll. Nothing here holds
a database session while a stream waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, text
from sqlmodel import Session, col, select

from assessment.models import (
    Answer,
    Choice,
    Participant,
    TargetVote,
    Workshop,
    WorkshopStatus,
)

log = logging.getLogger("assessment.live")
CHANNEL = "maturity_live"
ACTIVITY_SECONDS = 0.25  # PostgreSQL: at most one activity notification per workshop this often


def notify_version(session: Session, workshop: Workshop) -> None:
    """On PostgreSQL, tell every app process of the workshop's new version when the
    transaction commits (nothing is sent if it rolls back)."""
    if session.get_bind().dialect.name == "postgresql":
        closed = int(workshop.status == WorkshopStatus.closed)
        session.execute(text("SELECT pg_notify(:channel, :payload)"), {
            "channel": CHANNEL, "payload": f"{workshop.id}:{workshop.version}:{closed}"})


@dataclass(frozen=True)
class State:
    """What a stream of a workshop waits on."""

    version: int
    closed: bool
    activity: int = 0


@dataclass
class _Watch:
    state: State
    streams: int = 0
    # Set (and replaced) on a new version; on any change. Phones wait on the first only.
    moved: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


def _differs(state: State, seen: State, activity: bool) -> bool:
    if activity:
        return state != seen
    return (state.version, state.closed) != (seen.version, seen.closed)


class LiveFeed:
    """Which version each workshop with a stream in this process is at; streams wait here."""

    def __init__(self, engine: Engine, *, poll_seconds: float = 0.1) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.dialect = engine.dialect.name
        self._watches: dict[int, _Watch] = {}
        self._ids: tuple[int, ...] = ()  # a copy the poller thread may read at any time
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener: asyncio.Task[None] | None = None
        self._active: set[int] = set()
        self._active_lock = threading.Lock()
        self._active_wake = threading.Event()
        self.notifications = 0  # received from PostgreSQL (for tests and the benchmark)
        self.version_reads = 0  # SQLite: version queries run by this process's poller

    # Streams ---------------------------------------------------------------------------

    def _start(self) -> None:
        """Start the process's listener on first use, in the running event loop (again in
        a new loop, should the app be served by another one: tests do that)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        first, self._loop = self._loop is None, loop
        if self.dialect == "postgresql":
            self._listener = loop.create_task(self._listen())
        if not first:
            return
        database = self.engine.url.database
        if self.dialect == "postgresql":
            self._thread(self._send_activity, "live-activity")
        elif self.dialect == "sqlite" and database not in (None, "", ":memory:"):
            self._thread(self._poll_sqlite, "live-poll", database)
        # An in-memory SQLite database lives in this process only: publish() is enough.

    def _thread(self, target: Any, name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    @contextlib.contextmanager
    def watching(self, workshop_id: int, state: State) -> Iterator[None]:
        """Count a stream of the workshop while it runs; `state` is what its request read."""
        self._start()
        watch = self._watches.get(workshop_id)
        if watch is None:
            watch = self._watches[workshop_id] = _Watch(state)
            self._ids = tuple(self._watches)
        else:
            self._advance(watch, state.version, state.closed, activity=False)
        watch.streams += 1
        try:
            yield
        finally:
            watch.streams -= 1
            if watch.streams == 0:
                del self._watches[workshop_id]
                self._ids = tuple(self._watches)

    def current(self, workshop_id: int) -> State | None:
        """The newest state known of a watched workshop."""
        watch = self._watches.get(workshop_id)
        return watch.state if watch else None

    async def changed(self, workshop_id: int, seen: State, timeout: float, *,
                      activity: bool = True) -> State:
        """Wait until the workshop's state differs from `seen` (without `activity`: its
        version or its end), at most `timeout` seconds; the state then."""
        watch = self._watches[workshop_id]
        if _differs(watch.state, seen, activity):
            return watch.state
        event = watch.changed if activity else watch.moved
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        return watch.state

    # Changes ---------------------------------------------------------------------------

    def _advance(self, watch: _Watch, version: int, closed: bool, *, activity: bool) -> None:
        state = watch.state
        newer = version > state.version or (version == state.version and closed
                                            and not state.closed)
        if not newer and not activity:
            return
        watch.state = State(max(version, state.version), closed if newer else state.closed,
                            state.activity + (1 if activity else 0))
        watch.changed.set()
        watch.changed = asyncio.Event()
        if newer:
            watch.moved.set()
            watch.moved = asyncio.Event()

    def _apply(self, workshop_id: int, version: int, closed: bool, activity: bool) -> None:
        watch = self._watches.get(workshop_id)
        if watch is not None:
            self._advance(watch, version, closed, activity=activity)

    def _call(self, *args: Any) -> None:
        """Apply a change in the event loop, from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._apply(*args)
        else:
            loop.call_soon_threadsafe(self._apply, *args)

    def publish(self, workshop_id: int, version: int, closed: bool) -> None:
        """A change of the workshop's version committed in this process (other processes
        learn it from PostgreSQL's notification or SQLite's poll)."""
        self._call(workshop_id, version, closed, True)

    def touch(self, workshop_id: int) -> None:
        """Something the console and the projector count changed (committed) in this
        process: a vote, a note, a dot, a seat."""
        self._call(workshop_id, -1, False, True)
        if self.dialect == "postgresql":
            with self._active_lock:
                self._active.add(workshop_id)
            self._active_wake.set()

    def close(self) -> None:
        """Stop the listener and the threads (the app is shutting down)."""
        self._stop.set()
        self._active_wake.set()
        if self._listener is not None:
            self._listener.cancel()

    # SQLite ----------------------------------------------------------------------------

    def _poll_sqlite(self, database: str) -> None:
        connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA query_only=ON")
        seen_data: int | None = None
        try:
            while not self._stop.wait(self.poll_seconds):
                ids = self._ids
                if not ids:
                    continue
                try:
                    data = connection.execute("PRAGMA data_version").fetchone()[0]
                    if data == seen_data:
                        continue  # nobody committed anything since the last look
                    marks = ",".join("?" * len(ids))
                    rows = connection.execute(
                        f"SELECT id, version, status FROM workshop WHERE id IN ({marks})",
                        ids).fetchall()
                except sqlite3.Error:
                    log.warning("live poll failed; trying again", exc_info=True)
                    continue
                seen_data = data
                self.version_reads += 1
                for workshop_id, version, status in rows:
                    # Something was committed: the console and projector look again.
                    self._call(workshop_id, version, status == WorkshopStatus.closed.value,
                               True)
        finally:
            connection.close()

    # PostgreSQL ------------------------------------------------------------------------

    def _conninfo(self) -> str:
        url = self.engine.url.set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    async def _listen(self) -> None:
        import psycopg

        delay = 0.5
        while not self._stop.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(
                        self._conninfo(), autocommit=True) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    # Notifications sent while no connection listened are lost: read the
                    # watched workshops' versions once, then follow the notifications.
                    await self._catch_up()
                    delay = 0.5
                    async for notice in connection.notifies():
                        self.notifications += 1
                        self._on_notice(notice.payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live listener lost its connection; reconnecting", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def _on_notice(self, payload: str) -> None:
        parts = payload.split(":")
        if not parts[0].isdigit():
            return
        workshop_id = int(parts[0])
        if len(parts) == 3 and parts[1].isdigit():
            self._apply(workshop_id, int(parts[1]), parts[2] == "1", True)
        elif parts[1:] == ["a"]:
            self._apply(workshop_id, -1, False, True)

    async def _catch_up(self) -> None:
        ids = self._ids
        if ids:
            for workshop_id, version, closed in await asyncio.to_thread(self._read, ids):
                self._apply(workshop_id, version, closed, True)

    def _read(self, ids: tuple[int, ...]) -> list[tuple[int, int, bool]]:
        with Session(self.engine) as session:
            rows = session.exec(select(Workshop.id, Workshop.version, Workshop.status).where(
                col(Workshop.id).in_(ids))).all()
        return [(i or 0, v, s == WorkshopStatus.closed) for i, v, s in rows]

    def _send_activity(self) -> None:
        while not self._stop.is_set():
            self._active_wake.wait()
            self._active_wake.clear()
            if self._stop.is_set():
                return
            time.sleep(ACTIVITY_SECONDS)  # gather the writes of this moment into one notice
            with self._active_lock:
                active, self._active = self._active, set()
            try:
                with self.engine.begin() as connection:
                    for workshop_id in sorted(active):
                        connection.execute(text("SELECT pg_notify(:c, :p)"),
                                           {"c": CHANNEL, "p": f"{workshop_id}:a"})
            except Exception:
                log.warning("could not notify activity", exc_info=True)


# What the phones' streams read once per change and process --------------------------------

def own_votes(session: Session, workshop: Workshop, question_id: str) -> dict[int, str]:
    """Each seat's vote on a question, as the value of its radio button, by participant id
    (one query for every phone of the workshop)."""
    rows = session.exec(select(Participant.id, Answer.choice, Answer.level).join(
        Answer, and_(col(Answer.respondent_id) == Participant.respondent_id,
                     col(Answer.assessment_id) == workshop.assessment_id,
                     col(Answer.question_id) == question_id)).where(
        Participant.workshop_id == workshop.id)).all()
    return {pid or 0: str(level) if choice == Choice.level else str(choice)
            for pid, choice, level in rows if choice is not None}


def own_target_votes(session: Session, workshop: Workshop, factor_id: str) -> dict[int, str]:
    """Each seat's target vote for a factor, by participant id (one query)."""
    rows = session.exec(select(TargetVote.participant_id, TargetVote.level).where(
        TargetVote.workshop_id == workshop.id, TargetVote.factor_id == factor_id)).all()
    return {pid: str(level) for pid, level in rows}


def removed_seats(session: Session, workshop: Workshop) -> frozenset[int]:
    """The ids of the workshop's removed seats."""
    return frozenset(pid or 0 for pid in session.exec(select(Participant.id).where(
        Participant.workshop_id == workshop.id, col(Participant.removed_at).is_not(None))))
