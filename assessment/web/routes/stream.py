"""Live screens pushed, not polled: server-sent-event streams of the phone, the console and
the projector.

Each screen holds one stream (htmx's SSE extension, `data-sse-connect` on a box around the
screen). The stream waits on the process's change feed (`assessment.live`) without a
database session or a worker thread, and sends:

- `hello` when it opens (the page knows the stream is held and stops its fallback polls),
- the screen's new HTML when it changed (`step`, `live`, `screen`; the event id is the
  version or digest it shows, which the browser sends back as `Last-Event-ID` when it
  reconnects, so it catches up with whatever it missed),
- `refresh` when a phone's step holds what only that phone may see (its notes, its dots):
  the phone then asks for its own step, once,
- `end` when the workshop has ended (the page closes the stream),
- and a keep-alive comment every `live_keepalive_seconds`; nothing else while nothing
  changes.

A phone's step is rendered once per process, version, language, own vote and whether it has
a nickname, from one read of the workshop and one query for everybody's own votes (see
`PhoneScreens`); each phone only fills in its CSRF token and nickname.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from markupsafe import escape
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from assessment import live, workshops
from assessment.live import State
from assessment.models import Workshop, WorkshopStatus, id_of
from assessment.web.access import Seat, SeatStream, WorkshopStream
from assessment.web.deps import get_registry, translator_for
from assessment.web.routes import workshops as screens

router = APIRouter()
SEAT_STREAMS_PER_MINUTE = 30  # a phone that reconnects more often than this is refused
SEAT_STREAMS_AT_ONCE = 4  # a few tabs of one phone; more are refused
# The console and the projector redraw what they count at most this often (the console's
# seats table is its largest part; they polled every 2 s before).
ACTIVITY_RENDER_SECONDS = 2.0
PHONES_FIRST_SECONDS = 0.2  # after a move, the console and projector redraw this much later
RETRY_MS = 2000  # how long the browser waits before reconnecting a stream that ended
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
DIGEST = re.compile(r"[?&]seen=([0-9a-f]{16})")
SEEN = re.compile(r"[0-9]{1,9}|[0-9a-f]{16}")


def sse(event: str, data: str = "", event_id: str | int | None = None) -> bytes:
    """One server-sent event (each line of the data on a `data:` line of its own)."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines += [f"data: {line}" for line in (data.split("\n") if data else [""])]
    return ("\n".join(lines) + "\n\n").encode()


KEEP_ALIVE = b": keep-alive\n\n"


def _hello(what: str) -> bytes:
    return f"retry: {RETRY_MS}\n".encode() + sse("hello", what)


def last_seen(request: Request, query: str | None) -> str | None:
    """What the screen shows: the id of the last event it got (a reconnect sends it) or,
    on the first connection, the value its page carried; None unless it is a version or a
    digest (nothing else is read, or sent back)."""
    seen = request.headers.get("last-event-id") or query
    return seen if seen and SEEN.fullmatch(seen) else None


def _stream(events: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=STREAM_HEADERS)


# Refusing floods --------------------------------------------------------------------------

class StreamLimits:
    """How often streams may be opened: per client address (generous: a room behind one
    network address shares it) and per seat. Kept in the process's memory: with several app
    processes each counts its own."""

    def __init__(self, *, per_address_per_minute: int) -> None:
        self.per_address = per_address_per_minute
        self._opened: dict[str, deque[float]] = {}
        self._held: dict[int, int] = {}

    def _admit(self, key: str, limit: int) -> bool:
        now = time.monotonic()
        times = self._opened.setdefault(key, deque())
        while times and times[0] < now - 60:
            times.popleft()
        if len(times) >= limit:
            return False
        times.append(now)
        if len(self._opened) > 10_000:  # forget the quiet ones
            for stale in [k for k, v in self._opened.items() if not v or v[-1] < now - 60]:
                del self._opened[stale]
        return True

    def check_address(self, address: str) -> None:
        """Refuse (429) an address that opens streams too fast."""
        if not self._admit(f"a:{address}", self.per_address):
            raise HTTPException(status_code=429, headers={"Retry-After": "60"})

    def admit_seat(self, participant_id: int) -> bool:
        """Whether this seat may open one more stream now."""
        if self._held.get(participant_id, 0) >= SEAT_STREAMS_AT_ONCE:
            return False
        return self._admit(f"s:{participant_id}", SEAT_STREAMS_PER_MINUTE)

    @contextmanager
    def holding(self, participant_id: int) -> Any:
        """Count the seat's open stream while it is held."""
        self._held[participant_id] = self._held.get(participant_id, 0) + 1
        try:
            yield
        finally:
            self._held[participant_id] -= 1
            if not self._held[participant_id]:
                del self._held[participant_id]


def _too_many() -> Response:
    return Response(status_code=429, headers={"Retry-After": "60"})


# The phones -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    """A workshop's step as every phone sees it, read once per process and version."""

    version: int
    closed: bool
    shared: bool  # the same for every phone but its own vote (else: each phone asks)
    values: dict[str, Any]
    mine: dict[int, str]  # own votes by participant id
    removed: frozenset[int]


_KEPT = 64


CSRF_SLOT, NICKNAME_SLOT = screens._CSRF_SLOT.encode(), screens._NICKNAME_SLOT.encode()
TIMER_SLOT = screens._TIMER_SLOT.encode()


class PhoneScreens:
    """The phones' steps of this process, read and rendered once and shared by its
    streams (asyncio futures: the streams of one change wait for the same work)."""

    def __init__(self) -> None:
        self._snapshots: OrderedDict[tuple[int, int], asyncio.Future[Snapshot]] = OrderedDict()
        self._html: OrderedDict[tuple[Any, ...], asyncio.Future[bytes]] = OrderedDict()
        self._timers: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self.snapshots_read = 0
        self.renders = 0

    @staticmethod
    def _shared(cache: OrderedDict[Any, Any], key: Any,
                make: Callable[[], Awaitable[Any]]) -> asyncio.Future[Any]:
        found = cache.get(key)
        if found is None or found.cancelled() or (found.done() and found.exception()):
            found = cache[key] = asyncio.ensure_future(make())
            while len(cache) > _KEPT:
                cache.popitem(last=False)
        return found

    async def snapshot(self, request: Request, workshop_id: int, version: int) -> Snapshot:
        """The step at (at least) `version`, read once for every stream of this process."""
        # Shielded: a phone that goes away must not cancel the others' read.
        return await asyncio.shield(self._shared(
            self._snapshots, (workshop_id, version),
            lambda: run_in_threadpool(self._read, request, workshop_id)))

    def _read(self, request: Request, workshop_id: int) -> Snapshot:
        self.snapshots_read += 1
        registry = get_registry(request)
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            workshop = session.get(Workshop, workshop_id)
            if workshop is None:
                raise LookupError(workshop_id)
            framework = screens._framework(session, registry, workshop)
            values = screens._step_basics(workshop, framework)
            step, mine = values["step"], {}
            if step.question_id:
                mine = live.own_votes(session, workshop, step.question_id)
                if workshops.is_revealed(session, workshop, step.question_id):
                    votes = workshops.question_votes(session, workshop, [step.question_id])
                    values.update(revealed=True, summary=workshops.summarise(
                        votes.get(step.question_id, []), framework.stage_count,
                        screens._min_votes(request)))
            elif step.kind is workshops.StepKind.target and step.factor_id:
                mine = live.own_target_votes(session, workshop, step.factor_id)
            removed = live.removed_seats(session, workshop)
        values.update(message=None, my_needs=[], dots_left=0, vote_saved=False, typed=None,
                      my_notes=[])
        # Read once per move and process: the phones' votes are checked against it (closed,
        # the session let it go without expiring anything).
        request.app.state.seats.saw(workshop)
        closed = workshop.status == WorkshopStatus.closed
        shared = closed or step.kind in (workshops.StepKind.question,
                                         workshops.StepKind.target, workshops.StepKind.wrapup)
        return Snapshot(workshop.version, closed, shared, values, mine, removed)

    async def step_event(self, request: Request, snapshot: Snapshot, seat: Seat,
                         language: str, csrf: bytes) -> bytes:
        """The phone's step as an event: rendered (and encoded) once per version, language,
        own vote and nickname, then filled in with this phone's CSRF token and nickname."""
        participant = seat.participant
        mine = snapshot.mine.get(id_of(participant))
        key = (id_of(seat.workshop), snapshot.version, language, mine,
               bool(participant.nickname), screens._min_votes(request))
        event = await asyncio.shield(self._shared(self._html, key, lambda: run_in_threadpool(
            self._render, request, snapshot, language, mine, bool(participant.nickname))))
        if participant.nickname:
            event = event.replace(NICKNAME_SLOT, str(escape(participant.nickname)).encode())
        if TIMER_SLOT in event:  # the time left as it stands now, not when the step was read
            event = event.replace(TIMER_SLOT, self._timer(request, snapshot, language))
        return event.replace(CSRF_SLOT, csrf)

    def _timer(self, request: Request, snapshot: Snapshot, language: str) -> bytes:
        """The timer as it stands now, rendered once per quarter second and language (the
        phones of one step share it; a screen's countdown drifts by less than that)."""
        timer = snapshot.values.get("timer")
        now = timer.at() if timer is not None else None
        key = (id_of(snapshot.values["workshop"]), snapshot.version, language,
               now.left_ms // 250 if now is not None else None)
        found = self._timers.get(key)
        if found is None:
            t = request.app.state.catalogues.translator(language)
            rendered = request.app.state.pages.render(request, t, "_timer.html",
                                                      {**snapshot.values, "timer": now},
                                                      blocks=["timer"])
            # One line: an event's data lines must not be broken by the timer's newlines.
            found = self._timers[key] = " ".join(
                bytes(rendered.body).decode().splitlines()).encode()
            while len(self._timers) > _KEPT:
                self._timers.popitem(last=False)
        return found

    def _render(self, request: Request, snapshot: Snapshot, language: str, mine: str | None,
                nickname: bool) -> bytes:
        self.renders += 1
        t = request.app.state.catalogues.translator(language)
        values = {**snapshot.values, "mine": mine, "csrf_token": screens._CSRF_SLOT,
                  "timer_slot": screens._TIMER_SLOT,
                  "participant": screens._Nickname(screens._NICKNAME_SLOT if nickname else "")}
        rendered = request.app.state.pages.render(request, t, "participant.html", values,
                                                  blocks=["step"])
        return sse("step", bytes(rendered.body).decode(), snapshot.version)


@router.get("/w/{code}/stream")
async def stream_participant(request: Request, seat: SeatStream, v: str | None = None,
                             ) -> Response:
    """The participant's screen as a stream of steps. A browser without a seat in the
    workshop (no cookie, a forged or expired one, a removed seat) gets 204: nothing to
    follow, and its fallback poll takes it to the join page."""
    if seat is None:
        return Response(status_code=204)
    limits: StreamLimits = request.app.state.stream_limits
    participant_id = id_of(seat.participant)
    if not limits.admit_seat(participant_id):
        return _too_many()
    seen = last_seen(request, v)
    shown = int(seen) if seen and seen.isdigit() else -1
    return _stream(_phone_events(request, seat, shown, translator_for(request).language))


async def _phone_events(request: Request, seat: Seat, shown: int, language: str,
                        ) -> AsyncIterator[bytes]:
    feed: live.LiveFeed = request.app.state.live
    phones: PhoneScreens = request.app.state.phone_screens
    settings = request.app.state.settings
    workshop, participant_id = seat.workshop, id_of(seat.participant)
    workshop_id = id_of(workshop)
    csrf = request.app.state.pages.csrf_token(request).encode()
    deadline = time.monotonic() + settings.live_stream_seconds
    with request.app.state.stream_limits.holding(participant_id), \
            feed.watching(workshop_id, State(workshop.version,
                                             workshop.status == WorkshopStatus.closed)):
        yield _hello(str(shown))
        start = feed.current(workshop_id)
        if start is not None and shown > start.version:
            shown = -1  # a version this workshop never had: send the current step
        while True:
            state = feed.current(workshop_id)
            assert state is not None
            # (The step read may be newer than the feed knows yet: never send it twice.)
            if state.version > shown:
                snapshot = await phones.snapshot(request, workshop_id, state.version)
                if participant_id in snapshot.removed:
                    yield sse("refresh") + sse("end")  # its poll takes it to the join page
                    return
                if snapshot.shared:
                    yield await phones.step_event(request, snapshot, seat, language, csrf)
                else:
                    yield sse("refresh", "", snapshot.version)
                shown = snapshot.version
                if snapshot.closed:
                    yield sse("end")
                    return
                continue
            if state.closed:
                yield sse("end")
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return  # the browser reconnects with the last version it got
            after = await feed.changed(workshop_id, state, min(settings.live_keepalive_seconds,
                                                              left), activity=False)
            if (after.version, after.closed) == (state.version, state.closed):
                yield KEEP_ALIVE


# The console and the projector -----------------------------------------------------------

def _as_htmx(request: Request) -> Request:
    """The stream's request as the box's own htmx poll would be (so the page's code renders
    only the box, and answers 204 while it shows the same)."""
    scope = dict(request.scope)
    scope["headers"] = [*request.scope["headers"], (b"hx-request", b"true")]
    return Request(scope, request.receive)


def _render_box(request: Request, workshop_id: int, seen: str | None,
                draw: Callable[..., Response]) -> tuple[str, str] | None:
    """Render the box in a session of its own: (html, digest), or None while unchanged."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        workshop = session.get(Workshop, workshop_id)
        if workshop is None:
            return None
        response = draw(_as_htmx(request), session, translator_for(request),
                        get_registry(request), workshop, seen=seen)
    if response.status_code != 200:
        return None
    html = bytes(response.body).decode()
    found = DIGEST.search(html)
    return html, found.group(1) if found else ""


async def _box_events(request: Request, workshop: Workshop, event: str, seen: str | None,
                      draw: Callable[..., Response]) -> AsyncIterator[bytes]:
    feed: live.LiveFeed = request.app.state.live
    settings = request.app.state.settings
    workshop_id = id_of(workshop)
    deadline = time.monotonic() + settings.live_stream_seconds
    state = State(workshop.version, workshop.status == WorkshopStatus.closed)
    with feed.watching(workshop_id, state):
        yield _hello(seen or "")
        drawn_at = 0.0
        state = feed.current(workshop_id) or state
        while True:
            drawn = await run_in_threadpool(_render_box, request, workshop_id, seen, draw)
            drawn_at = time.monotonic()
            if drawn is not None:
                html, seen = drawn
                yield sse(event, html, seen)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                after = await feed.changed(workshop_id, state,
                                           min(settings.live_keepalive_seconds, left))
                if after == state:
                    yield KEEP_ALIVE
                    continue
                moved = (after.version, after.closed) != (state.version, state.closed)
                state = after
                # A move: the phones first (hundreds of them wait for it, and the facilitator's
                # own page is reloading anyway). Counts only: gather them into one drawing.
                await asyncio.sleep(PHONES_FIRST_SECONDS if moved else max(
                    0.0, drawn_at + ACTIVITY_RENDER_SECONDS - time.monotonic()))
                state = feed.current(workshop_id) or state
                break


@router.get("/workshops/{workshop_id}/stream")
async def stream_console(request: Request, workshop: WorkshopStream, seen: str | None = None,
                         ) -> Response:
    """The console's live box (seats, votes counted, needs) as a stream."""
    return _stream(_box_events(request, workshop, "live", last_seen(request, seen),
                               screens._console))


@router.get("/workshops/{workshop_id}/projector/stream")
async def stream_projector(request: Request, workshop: WorkshopStream,
                           seen: str | None = None) -> Response:
    """The projector's screen as a stream."""
    return _stream(_box_events(request, workshop, "screen", last_seen(request, seen),
                               screens.show_projector))
