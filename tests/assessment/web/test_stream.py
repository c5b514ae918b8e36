"""Live screens pushed as server-sent events: the phone, the console and the projector.

The app runs under uvicorn in a thread on an SQLite file (streams need a real server: a
test client would wait for a stream's end). Each test reads the streams as a browser's
EventSource would, line by line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from markupsafe import escape
from sqlmodel import Session

from assessment import services, workshops
from assessment.framework import Framework
from assessment.migrate import upgrade
from assessment.models import Role, Workshop
from assessment.web.app import create_app
from assessment.web.routes import stream
from tests.assessment.web.browser_support import serve
from tests.conftest import make_settings
from tests.factories import PASSWORD, make_organisation, make_unit, make_user

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Event:
    name: str
    data: str
    id: str | None


@dataclass
class Stream:
    """One EventSource: the events and comments it has read so far."""

    response: httpx.Response
    lines: Iterator[str]
    comments: list[str] = field(default_factory=list)

    def next(self) -> Event:
        """The next event (comments are kept aside); fails when none comes in time."""
        name, data, ident = "message", [], None
        for line in self.lines:
            if line == "":
                if data or name != "message":
                    return Event(name, "\n".join(data), ident)
                continue
            if line.startswith(":"):
                self.comments.append(line)
            elif line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
            elif line.startswith("id: "):
                ident = line[4:]
        raise EOFError("the stream ended")


class Site:
    def __init__(self, base: str, app: FastAPI, workshop: Workshop, email: str) -> None:
        self.base, self.app, self.workshop, self.email = base, app, workshop, email
        self.clients: list[httpx.Client] = []
        self.streams: list[tuple[object, Stream]] = []

    def client(self, language: str = "en") -> httpx.Client:
        browser = httpx.Client(base_url=self.base, headers={"Accept-Language": language},
                               timeout=httpx.Timeout(10, read=8))
        self.clients.append(browser)
        return browser

    def facilitator(self) -> httpx.Client:
        browser = self.client()
        page = browser.get("/sign-in")
        browser.headers["X-CSRF-Token"] = CSRF_FIELD.findall(page.text)[0]
        signed = browser.post("/sign-in", data={"email": self.email, "password": PASSWORD})
        assert signed.status_code == 303
        console = browser.get(f"/workshops/{self.workshop.id}")
        browser.headers["X-CSRF-Token"] = CSRF_FIELD.findall(console.text)[0]
        return browser

    def phone(self, nickname: str = "", language: str = "en") -> httpx.Client:
        browser = self.client(language)
        page = browser.get(f"/join?code={self.workshop.code}")
        browser.headers["X-CSRF-Token"] = CSRF_FIELD.findall(page.text)[0]
        joined = browser.post("/join", data={"code": self.workshop.code, "nickname": nickname})
        assert joined.status_code == 303, joined.text
        return browser

    def open(self, browser: httpx.Client, path: str, **headers: str) -> Stream:
        context = browser.stream("GET", path, headers=headers)
        response = context.__enter__()
        opened = Stream(response, response.iter_lines())
        self.streams.append((context, opened))
        return opened

    def move(self, facilitator: httpx.Client, index: int) -> None:
        moved = facilitator.post(f"/workshops/{self.workshop.id}/step",
                                 data={"index": str(index)})
        assert moved.status_code == 303, moved.text

    def close(self) -> None:
        for context, _ in self.streams:
            context.__exit__(None, None, None)  # type: ignore[attr-defined]
        for browser in self.clients:
            browser.close()


@pytest.fixture
def site(tmp_path: Path, framework: Framework) -> Iterator[Site]:
    """The app on an SQLite file with a running workshop and its consultant."""
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'stream.db'}",
                                   live_keepalive_seconds=1, live_poll_ms=50))
    upgrade(app.state.engine)
    with Session(app.state.engine, expire_on_commit=False) as session:
        organisation = make_organisation(session, name="Virta Oy")
        unit = make_unit(session, organisation=organisation, name="Viestintä")
        round_ = services.create_round(session, organisation, "Kevät 2026", framework)
        user = make_user(session, email="fasilitaattori@example.com",
                         organisation=organisation, role=Role.consultant)
        workshop = workshops.create_workshop(session, round_, unit, by=user)
        session.commit()
    with serve(app) as base:
        opened = Site(base, app, workshop, "fasilitaattori@example.com")
        try:
            yield opened
        finally:
            opened.close()
    app.state.live.close()
    app.state.engine.dispose()


def shown(text: str) -> str:
    """Text as the page shows it (escaped)."""
    return str(escape(text))


def question_index(framework: Framework, n: int = 0) -> int:
    return [s for s in workshops.agenda(framework)
            if s.kind is workshops.StepKind.question][n].index


def test_a_phone_follows_a_move_pushed_once_per_language_and_vote(
        site: Site, framework: Framework) -> None:
    facilitator = site.facilitator()
    phones = [site.phone("Aino"), site.phone("Eino"), site.phone("", "fi")]
    streams = [site.open(p, f"/w/{site.workshop.code}/stream?v={site.workshop.version}")
               for p in phones]
    for opened in streams:
        assert opened.response.status_code == 200
        assert opened.response.headers["content-type"].startswith("text/event-stream")
        assert opened.next().name == "hello"
    screens: stream.PhoneScreens = site.app.state.phone_screens
    reads, renders = screens.snapshots_read, screens.renders
    index = question_index(framework)
    site.move(facilitator, index)
    question = framework.question(workshops.agenda(framework)[index].question_id or "")[1]
    steps = [opened.next() for opened in streams]
    assert {e.name for e in steps} == {"step"}
    assert {e.id for e in steps} == {str(site.workshop.version + 1)}
    assert shown(question.text["en"]) in steps[0].data
    assert shown(question.text["fi"]) in steps[2].data
    assert "Aino" in steps[0].data and "Eino" in steps[1].data and "Aino" not in steps[1].data
    assert 'data-sse-swap="step"' in steps[0].data
    # One read of the step for the three phones, and one drawing per language and nickname.
    assert screens.snapshots_read - reads == 1
    assert screens.renders - renders == 2
    # Each phone's own CSRF token is in its form, so its vote is accepted.
    for phone, event in zip(phones, steps, strict=True):
        token = CSRF_FIELD.findall(event.data)[0]
        assert phone.post(f"/w/{site.workshop.code}/votes/{question.id}",
                          data={"csrf_token": token, "choice": "2"}).status_code == 303


def test_nothing_but_keep_alive_comments_while_nothing_changes(
        site: Site, framework: Framework) -> None:
    facilitator = site.facilitator()
    opened = site.open(site.phone(), f"/w/{site.workshop.code}/stream?v={site.workshop.version}")
    assert opened.next().name == "hello"
    site.phone()  # another phone joins: the console counts it, the phones have nothing new
    time.sleep(2.5)
    site.move(facilitator, question_index(framework))
    assert opened.next().name == "step"
    assert len(opened.comments) >= 2
    assert set(opened.comments) == {": keep-alive"}


def test_a_reconnect_catches_up_from_the_last_version_it_saw(site: Site,
                                                              framework: Framework) -> None:
    facilitator = site.facilitator()
    phone = site.phone()
    seen = site.workshop.version
    site.move(facilitator, question_index(framework, 0))
    site.move(facilitator, question_index(framework, 1))
    # A phone that slept through both moves reconnects with the version it last got.
    opened = site.open(phone, f"/w/{site.workshop.code}/stream?v=0",
                       **{"Last-Event-ID": str(seen)})
    assert opened.next().name == "hello"
    caught_up = opened.next()
    assert (caught_up.name, caught_up.id) == ("step", str(seen + 2))
    question = framework.question(
        workshops.agenda(framework)[question_index(framework, 1)].question_id or "")[1]
    assert shown(question.text["en"]) in caught_up.data
    # Up to date: nothing to catch up on.
    current = site.open(site.phone(), f"/w/{site.workshop.code}/stream?v={seen + 2}")
    assert current.next().name == "hello"
    site.move(facilitator, question_index(framework, 2))
    assert current.next().id == str(seen + 3)


def test_a_step_with_a_phones_own_notes_makes_it_ask_for_its_own(site: Site) -> None:
    facilitator = site.facilitator()
    site.move(facilitator, 1)  # dot voting: each phone sees its own dots
    site.move(facilitator, 0)  # back to the notes
    opened = site.open(site.phone(), f"/w/{site.workshop.code}/stream?v=1")
    assert opened.next().name == "hello"
    refresh = opened.next()
    assert (refresh.name, refresh.id, refresh.data) == ("refresh", str(site.workshop.version + 2),
                                                        "")


def test_an_ended_workshop_sends_its_last_screen_and_ends(site: Site) -> None:
    facilitator = site.facilitator()
    phone = site.phone()
    opened = site.open(phone, f"/w/{site.workshop.code}/stream?v={site.workshop.version}")
    assert opened.next().name == "hello"
    closed = facilitator.post(f"/workshops/{site.workshop.id}/close")
    assert closed.status_code == 303
    last = opened.next()
    assert last.name == "step" and "The workshop has ended" in last.data
    assert opened.next().name == "end"
    with pytest.raises(EOFError):
        opened.next()
    # Opened again later: the last screen and the end at once.
    again = site.open(phone, f"/w/{site.workshop.code}/stream?v=0")
    assert [again.next().name for _ in range(3)] == ["hello", "step", "end"]


def test_no_seat_no_stream(site: Site) -> None:
    stranger = site.client()
    code = site.workshop.code
    assert stranger.get(f"/w/{code}/stream").status_code == 204
    stranger.cookies.set(f"wp{site.workshop.id}", "forged-token")
    assert stranger.get(f"/w/{code}/stream").status_code == 204
    assert stranger.get("/w/NOSUCH/stream").status_code == 404
    # A seat in another workshop is no seat in this one.
    with Session(site.app.state.engine, expire_on_commit=False) as session:
        workshop = session.get(Workshop, site.workshop.id)
        assert workshop is not None
        round_ = session.get(services.Round, workshop.round_id)
        unit = make_unit(session, organisation=session.get(services.Organisation,
                                                           workshop.organisation_id),
                         name="Toinen")
        other = workshops.create_workshop(session, round_, unit, by=None)  # type: ignore[arg-type]
        session.commit()
    phone = site.client()
    page = phone.get(f"/join?code={other.code}")
    joined = phone.post("/join", data={"code": other.code,
                                       "csrf_token": CSRF_FIELD.findall(page.text)[0]})
    assert joined.status_code == 303
    assert phone.get(f"/w/{code}/stream").status_code == 204
    # The facilitator's streams need the facilitator.
    assert stranger.get(f"/workshops/{site.workshop.id}/stream",
                        follow_redirects=False).status_code == 303
    assert stranger.get(f"/workshops/{site.workshop.id}/projector/stream",
                        follow_redirects=False).status_code == 303


def test_a_reconnecting_flood_is_refused_and_nobody_else_notices(
        site: Site, framework: Framework) -> None:
    facilitator = site.facilitator()
    flooder, other = site.phone("Tulva"), site.phone("Muu")
    calm = site.open(other, f"/w/{site.workshop.code}/stream?v={site.workshop.version}")
    assert calm.next().name == "hello"
    statuses = []
    for _ in range(stream.SEAT_STREAMS_PER_MINUTE + 20):
        with flooder.stream("GET", f"/w/{site.workshop.code}/stream") as response:
            statuses.append(response.status_code)
    assert statuses[:stream.SEAT_STREAMS_PER_MINUTE] == [200] * stream.SEAT_STREAMS_PER_MINUTE
    assert set(statuses[stream.SEAT_STREAMS_PER_MINUTE:]) == {429}
    # The other phone still follows the workshop, and may open another stream.
    site.move(facilitator, question_index(framework))
    assert calm.next().name == "step"
    again = site.open(other, f"/w/{site.workshop.code}/stream?v=0")
    assert again.response.status_code == 200


def test_the_console_and_the_projector_follow_votes_and_moves(
        site: Site, framework: Framework) -> None:
    facilitator = site.facilitator()
    index = question_index(framework)
    site.move(facilitator, index)
    console = site.open(facilitator, f"/workshops/{site.workshop.id}/stream")
    projector = site.open(facilitator, f"/workshops/{site.workshop.id}/projector/stream")
    for opened, event in ((console, "live"), (projector, "screen")):
        assert opened.next().name == "hello"
        first = opened.next()
        assert first.name == event and first.id and f'data-sse-swap="{event}"' in first.data
    phone = site.phone()
    after_join = console.next()
    assert "1 participant" in after_join.data
    question = workshops.agenda(framework)[index].question_id
    assert phone.post(f"/w/{site.workshop.code}/votes/{question}",
                      data={"choice": "3"}).status_code == 303
    for opened in (console, projector):
        while "1 vote" not in (event := opened.next()).data and \
                "1 of 1 have voted" not in event.data:
            pass
    # A reconnect with the digest it shows gets nothing new until something changes.
    shown = event.id or ""
    again = site.open(facilitator, f"/workshops/{site.workshop.id}/projector/stream",
                      **{"Last-Event-ID": shown})
    assert again.next().name == "hello"
    site.move(facilitator, index + 1)
    moved = again.next()
    assert moved.name == "screen" and moved.id != shown
