"""Every rule holds when requests arrive at the same moment at two app processes.

Two real app processes (uvicorn, one worker each, on loopback ports) share one database — an
SQLite file, then the suite's throwaway PostgreSQL — and threads released together by a
barrier send the requests, half to each process. Each test prints what it counted
(`pytest -s` shows it), so a regression says how far the rule broke.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from assessment import accounts, services, workshops
from assessment.db import create_db_engine
from assessment.framework import Framework
from assessment.migrate import upgrade
from assessment.models import (
    Answer,
    Need,
    NeedDot,
    Participant,
    Role,
    SignInAttempt,
    TargetVote,
    User,
    Workshop,
)
from assessment.workshops import StepKind
from tests.conftest import FRAMEWORKS, TEST_SECRET
from tests.factories import PASSWORD, make_organisation, make_unit, make_user
from tests.pgserver import reset_database

HOST = "127.0.0.1"
JOINS_PER_ADDRESS = 25  # the servers' limit of joins per address and workshop
HX = {"HX-Request": "true"}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class Served:
    """Two app processes on one database, and an engine for arranging and counting."""

    database: str
    urls: tuple[str, str]
    engine: Engine
    framework: Framework

    def url(self, n: int, path: str) -> str:
        """The path on the n-th request's process (even: the first, odd: the second)."""
        return self.urls[n % 2] + path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _start(database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "MATURITY_DATABASE_URL": database_url,
           "MATURITY_SECRET_KEY": TEST_SECRET, "MATURITY_FRAMEWORKS_DIR": str(FRAMEWORKS),
           "MATURITY_WORKSHOP_JOINS_PER_ADDRESS": str(JOINS_PER_ADDRESS)}
    command = [sys.executable, "-m", "uvicorn", "assessment.web.app:app_from_environment",
               "--factory", "--host", HOST, "--port", str(port), "--log-level", "warning",
               "--no-access-log"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    return process, f"http://{HOST}:{port}"


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(url + "/join", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app did not start:\n{log.read_text()}")
        time.sleep(0.1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           framework: Framework) -> Iterator[Served]:
    """Two app processes serving one migrated database."""
    logs = tmp_path_factory.mktemp("races")
    if request.param == "sqlite":
        database_url = f"sqlite:///{logs / 'races.db'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
        reset_database(database_url)
    engine = create_db_engine(database_url)
    upgrade(engine)
    started = [_start(database_url, logs / f"app{n}.log") for n in range(2)]
    try:
        for n, (process, url) in enumerate(started):
            _wait_until_ready(process, url, logs / f"app{n}.log")
        yield Served(request.param, (started[0][1], started[1][1]), engine, framework)
        for n in range(2):  # a 5xx leaves its traceback in the log: show it with the failure
            text = (logs / f"app{n}.log").read_text()
            assert "Traceback" not in text, text[-5000:]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        engine.dispose()


# Helpers ----------------------------------------------------------------------------------

def fire(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls at the same moment, each on a thread of its own."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


A, B, T = TypeVar("A"), TypeVar("B"), TypeVar("T")


def together(first: Callable[[], A], rest: list[Callable[[], B]]) -> tuple[A, list[B]]:
    """Run the calls at the same moment, each on a thread of its own."""
    barrier = threading.Barrier(1 + len(rest))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=1 + len(rest)) as pool:
        started = pool.submit(run, first)
        others = [pool.submit(run, call) for call in rest]
        return started.result(), [other.result() for other in others]


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    """How many responses had each status."""
    return Counter(r.status_code for r in responses)


_BROWSERS: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_browsers() -> Iterator[None]:
    yield
    while _BROWSERS:
        _BROWSERS.pop().close()


def client() -> httpx.Client:
    """A browser: its own cookies, in English (closed after the test)."""
    browser = httpx.Client(headers={"Accept-Language": "en"}, timeout=60)
    _BROWSERS.append(browser)
    return browser


def with_csrf(browser: httpx.Client, page: httpx.Response) -> httpx.Client:
    """Send the CSRF token of the page's forms with every later request."""
    found = CSRF_FIELD.search(page.text)
    assert found is not None, page.text
    browser.headers["X-CSRF-Token"] = found.group(1)
    return browser


def signed_in(served: Served, email: str) -> httpx.Client:
    """A browser signed in through the sign-in form."""
    browser = client()
    with_csrf(browser, browser.get(served.url(0, "/sign-in")))
    response = browser.post(served.url(0, "/sign-in"), data={"email": email,
                                                            "password": PASSWORD})
    assert response.status_code == 303, response.text
    # Signing in renews the CSRF cookie: read the new token from a page, as a browser would.
    return with_csrf(browser, browser.get(served.url(0, "/account")))


@dataclass
class Room:
    """A workshop with its facilitator signed in."""

    workshop: Workshop
    facilitator: httpx.Client


def open_room(served: Served, name: str) -> Room:
    """An organisation with a consultant who has opened a workshop."""
    with Session(served.engine, expire_on_commit=False) as session:
        organisation = make_organisation(session, name=name)
        unit = make_unit(session, organisation=organisation)
        round_ = services.create_round(session, organisation, "Kevät 2026", served.framework)
        email = f"{name.lower().replace(' ', '-')}@example.com"
        user = make_user(session, email=email, organisation=organisation, role=Role.consultant)
        workshop = workshops.create_workshop(session, round_, unit, by=user)
        session.commit()
    return Room(workshop, signed_in(served, email))


def join(served: Served, workshop: Workshop, n: int) -> httpx.Client:
    """A phone that has joined the workshop through the join form."""
    phone = client()
    with_csrf(phone, phone.get(served.url(n, f"/join?code={workshop.code}")))
    joined = phone.post(served.url(n, "/join"), data={"code": workshop.code,
                                                      "nickname": f"P{n}"})
    assert joined.status_code == 303, joined.text
    return phone


def respondent_of(served: Served, workshop: Workshop, phone: httpx.Client) -> int:
    """The respondent behind the phone's participant cookie."""
    token = phone.cookies[f"wp{workshop.id}"]
    with Session(served.engine) as session:
        participant = session.exec(select(Participant).where(
            Participant.token_hash == hashlib.sha256(token.encode()).hexdigest())).one()
    return participant.respondent_id


def move(served: Served, room: Room, index: int) -> None:
    """The facilitator moves the workshop to a step."""
    response = room.facilitator.post(served.url(0, f"/workshops/{room.workshop.id}/step"),
                                     data={"index": str(index)})
    assert response.status_code == 303, response.text


def count(served: Served, query: object) -> int:
    """The value of a COUNT query."""
    with Session(served.engine) as session:
        return int(session.exec(query).one())  # type: ignore[call-overload]


def no_server_errors(responses: list[httpx.Response]) -> None:
    """No answer was a 5xx (nor was any request left unanswered)."""
    assert not [r for r in responses if r.status_code >= 500], statuses(responses)


# Late votes -------------------------------------------------------------------------------

VOTERS = 16
QUESTIONS = 8
VOTES_BEFORE_CLOSING = 0.25  # seconds of voting before the facilitator reveals or moves on
MAX_VOTES = 300  # per phone and question: phones stop at their first refusal

Stored = dict[int, tuple[str, object]]


def _stored_votes(served: Served, workshop: Workshop, question_id: str) -> Stored:
    """Each respondent's stored vote on the question: choice and time of the last write."""
    with Session(served.engine) as session:
        rows = session.exec(select(Answer).where(
            Answer.assessment_id == workshop.assessment_id, Answer.question_id == question_id,
            col(Answer.respondent_id).is_not(None)))
        return {row.respondent_id or 0: (f"{row.level or row.choice}", row.updated_at)
                for row in rows}


@dataclass
class Voter:
    """What one phone sent on one question, and what the server answered."""

    statuses: Counter[int]
    last_acknowledged: str | None


def test_no_vote_is_stored_after_the_reveal_or_the_next_step(served: Served) -> None:
    room = open_room(served, "Late Votes")
    phones = [join(served, room.workshop, n) for n in range(VOTERS)]
    respondents = [respondent_of(served, room.workshop, phone) for phone in phones]
    questions = [s for s in workshops.agenda(served.framework)
                 if s.kind is StepKind.question][:QUESTIONS]
    late = lost = acknowledged = refused = 0
    for n, step in enumerate(questions):
        assert step.question_id is not None
        move(served, room, step.index)
        question = step.question_id
        when_closed: list[Stored] = []

        def close(n: int = n, step: workshops.Step = step, question: str = question,
                  when_closed: list[Stored] = when_closed) -> httpx.Response:
            time.sleep(VOTES_BEFORE_CLOSING)
            if n % 2 == 0:
                response = room.facilitator.post(
                    served.url(n, f"/workshops/{room.workshop.id}/reveal"),
                    data={"question_id": question})
            else:
                response = room.facilitator.post(
                    served.url(n, f"/workshops/{room.workshop.id}/step"),
                    data={"index": str(step.index + 1)})
            when_closed.append(_stored_votes(served, room.workshop, question))
            return response

        def vote_until_refused(k: int, question: str = question) -> Voter:
            voter = Voter(Counter(), None)
            for i in range(MAX_VOTES):
                choice = str(1 + (k + i) % 5)  # each vote differs from the one before
                response = phones[k].post(
                    served.url(k + i, f"/w/{room.workshop.code}/votes/{question}"),
                    data={"choice": choice}, headers=HX)
                voter.statuses[response.status_code] += 1
                if response.status_code != 200:
                    break
                voter.last_acknowledged = choice
            return voter

        closed, voters = together(close, [lambda k=k: vote_until_refused(k)
                                          for k in range(VOTERS)])
        assert closed.status_code == 303, closed.text
        sent = sum((v.statuses for v in voters), Counter())
        assert set(sent) <= {200, 409}, sent
        stored = _stored_votes(served, room.workshop, question)
        late += sum(1 for r, vote in stored.items() if when_closed[0].get(r) != vote)
        lost += sum(1 for k, v in enumerate(voters) if v.last_acknowledged is not None
                    and stored.get(respondents[k], ("",))[0] != v.last_acknowledged)
        acknowledged += sent[200]
        refused += sent[409]
    print(f"\n[{served.database}] late votes: {QUESTIONS} questions x {VOTERS} phones voting until "
          f"refused: {acknowledged} acknowledged, {refused} refused; votes stored after the "
          f"reveal or the next step had committed: {late}; phones whose stored vote is not "
          f"their last acknowledged one: {lost}")
    assert (late, lost) == (0, 0)
    assert refused == QUESTIONS * VOTERS  # every phone was refused once the question closed


def test_a_seat_removed_while_it_votes_keeps_no_vote(served: Served) -> None:
    room = open_room(served, "Removed Seats")
    phones = [join(served, room.workshop, n) for n in range(6)]
    respondents = [respondent_of(served, room.workshop, phone) for phone in phones]
    step = next(s for s in workshops.agenda(served.framework) if s.kind is StepKind.question)
    question = step.question_id or ""
    move(served, room, step.index)
    with Session(served.engine) as session:
        seats = {p.respondent_id: p.id for p in session.exec(select(Participant).where(
            Participant.workshop_id == room.workshop.id))}
    removed = respondents[:3]  # one person's extra seats, removed while they keep voting

    def remove() -> list[httpx.Response]:
        time.sleep(VOTES_BEFORE_CLOSING)
        return [room.facilitator.post(served.url(n, f"/workshops/{room.workshop.id}/seats/"
                                                    f"{seats[respondent]}/remove"))
                for n, respondent in enumerate(removed)]

    def vote_for_a_while(k: int) -> Counter[int]:
        sent: Counter[int] = Counter()
        deadline = time.monotonic() + 3 * VOTES_BEFORE_CLOSING + 1
        while time.monotonic() < deadline:
            response = phones[k].post(
                served.url(k + sum(sent.values()), f"/w/{room.workshop.code}/votes/{question}"),
                data={"choice": str(1 + sum(sent.values()) % 5)}, headers=HX)
            sent[response.status_code] += 1
        return sent

    removals, sent = together(remove, [lambda k=k: vote_for_a_while(k) for k in range(6)])
    assert [r.status_code for r in removals] == [303, 303, 303]
    stored = _stored_votes(served, room.workshop, question)
    print(f"\n[{served.database}] 6 phones voting, 3 seats removed meanwhile: "
          f"{sum(sent, Counter())}; votes of removed seats stored: "
          f"{len(set(stored) & set(removed))}")
    assert set(stored) == set(respondents[3:])
    for counts in sent[:3]:  # their cookies stopped working: htmx is sent to the join form
        assert set(counts) <= {200, 401, 409} and counts[401] > 0, counts
    assert all(set(counts) == {200} for counts in sent[3:])
    assert count(served, select(func.count()).select_from(Participant).where(
        Participant.workshop_id == room.workshop.id, col(Participant.removed_at).is_(None))) == 3


# Dots, notes, target votes ----------------------------------------------------------------

def test_ten_dots_at_once_store_no_more_than_the_limit(served: Served) -> None:
    room = open_room(served, "Dots Race")
    phone = join(served, room.workshop, 0)
    with Session(served.engine, expire_on_commit=False) as session:
        workshop = session.get(Workshop, room.workshop.id)
        assert workshop is not None
        needs = [workshops.post_need(session, workshop, served.framework, None, f"Tarve {i}")
                 for i in range(3)]
        session.commit()
    move(served, room, 1)
    responses = fire([lambda n=n: phone.post(
        served.url(n, f"/w/{workshop.code}/needs/{needs[n % 3].id}/dots"),
        data={"op": "add"}, headers=HX) for n in range(10)])
    no_server_errors(responses)
    stored = count(served, select(func.count()).select_from(NeedDot))
    print(f"\n[{served.database}] 10 dot-adds at once, limit 3: {statuses(responses)}, "
          f"{stored} stored")
    assert stored == workshop.dots_per_participant == 3
    assert statuses(responses) == Counter({200: 3, 409: 7})


def test_twenty_notes_at_once_store_no_more_than_six(served: Served) -> None:
    room = open_room(served, "Notes Race")
    phone = join(served, room.workshop, 0)
    responses = fire([lambda n=n: phone.post(
        served.url(n, f"/w/{room.workshop.code}/needs"), data={"text": f"Tarve {n}"},
        headers=HX) for n in range(20)])
    no_server_errors(responses)
    stored = count(served, select(func.count()).select_from(Need).where(
        Need.workshop_id == room.workshop.id))
    print(f"\n[{served.database}] 20 notes at once, limit 6 a minute: {statuses(responses)}, "
          f"{stored} stored")
    assert stored == workshops.NEEDS_PER_MINUTE == 6
    assert statuses(responses) == Counter({200: 6, 429: 14})


def test_six_identical_target_votes_at_once_store_one(served: Served) -> None:
    room = open_room(served, "Targets Race")
    phone = join(served, room.workshop, 0)
    step = next(s for s in workshops.agenda(served.framework) if s.kind is StepKind.target)
    move(served, room, step.index)
    responses = fire([lambda n=n: phone.post(
        served.url(n, f"/w/{room.workshop.code}/targets/{step.factor_id}"),
        data={"level": "4"}, headers=HX) for n in range(6)])
    stored = count(served, select(func.count()).select_from(TargetVote).where(
        TargetVote.workshop_id == room.workshop.id))
    print(f"\n[{served.database}] 6 identical target votes at once: {statuses(responses)}, "
          f"{stored} stored")
    no_server_errors(responses)
    assert statuses(responses) == Counter({200: 6})
    assert stored == 1


# Joining ----------------------------------------------------------------------------------

def test_sixty_joins_at_once_from_one_address_get_only_the_limit(served: Served) -> None:
    room = open_room(served, "Join Race")
    code = room.workshop.code
    phones = [client() for _ in range(60)]
    for n, phone in enumerate(phones):
        with_csrf(phone, phone.get(served.url(n, f"/join?code={code}")))
    responses = fire([lambda n=n, phone=phone: phone.post(
        served.url(n, "/join"), data={"code": code}) for n, phone in enumerate(phones)])
    no_server_errors(responses)
    seats = count(served, select(func.count()).select_from(Participant).where(
        Participant.workshop_id == room.workshop.id))
    print(f"\n[{served.database}] 60 joins at once from one address, limit {JOINS_PER_ADDRESS}: "
          f"{statuses(responses)}, {seats} seats")
    assert seats == JOINS_PER_ADDRESS
    assert statuses(responses) == Counter({303: JOINS_PER_ADDRESS, 429: 60 - JOINS_PER_ADDRESS})
    assert all("Too many" in r.text for r in responses if r.status_code == 429)


# Accounts ---------------------------------------------------------------------------------

def test_four_accepts_of_one_invitation_at_once_make_one_account(served: Served) -> None:
    with Session(served.engine, expire_on_commit=False) as session:
        organisation = make_organisation(session, name="Invitation Race")
        admin = make_user(session, email="race-admin@example.com", is_admin=True)
        _, token = accounts.invite(session, organisation, by=admin, email="race@example.com",
                                   name="Kilpa", role=Role.leadership)
        session.commit()
    browsers = [client() for _ in range(4)]
    for n, browser in enumerate(browsers):
        with_csrf(browser, browser.get(served.url(n, f"/invitations/{token}")))
    responses = fire([lambda n=n, browser=browser: browser.post(
        served.url(n, f"/invitations/{token}"), data={"password": "uusi salasana 123"})
        for n, browser in enumerate(browsers)])
    print(f"\n[{served.database}] 4 accepts of one invitation at once: {statuses(responses)}")
    no_server_errors(responses)
    assert statuses(responses) == Counter({303: 1, 409: 3})
    assert all("already been used" in r.text for r in responses if r.status_code == 409)
    assert count(served, select(func.count()).select_from(User).where(
        User.email == "race@example.com")) == 1


def test_sixty_wrong_passwords_at_once_check_no_more_than_ten(served: Served) -> None:
    with Session(served.engine) as session:
        make_user(session, email="throttled@example.com")
    browsers = [client() for _ in range(60)]
    for n, browser in enumerate(browsers):
        with_csrf(browser, browser.get(served.url(n, "/sign-in")))
    try:
        responses = fire([lambda n=n, browser=browser: browser.post(
            served.url(n, "/sign-in"), data={"email": "throttled@example.com",
                                             "password": f"wrong {n}"})
            for n, browser in enumerate(browsers)])
        failures = count(served, select(func.count()).select_from(SignInAttempt).where(
            SignInAttempt.email == "throttled@example.com"))
    finally:  # the failures also throttle the address, which the other tests sign in from
        with Session(served.engine) as session:
            for attempt in session.exec(select(SignInAttempt)):
                session.delete(attempt)
            session.commit()
    checked = statuses(responses)[400]
    print(f"\n[{served.database}] 60 wrong passwords at once, limit {accounts.THROTTLE_FAILURES}: "
          f"{statuses(responses)}, {failures} attempts recorded")
    no_server_errors(responses)
    assert checked == failures == accounts.THROTTLE_FAILURES
    assert statuses(responses) == Counter({400: 10, 429: 50})
