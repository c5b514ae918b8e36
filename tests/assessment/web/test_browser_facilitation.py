"""Browser test: the timer of a workshop's agenda item on the console, the projector and a
phone — the same time left on all three, paused and extended from the console, surviving a
reload, and at zero shown everywhere while nothing is blocked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from assessment import services
from assessment.framework import Framework
from assessment.migrate import upgrade
from assessment.models import Role, Workshop, utcnow
from assessment.web.app import create_app
from tests.assessment.web.browser_support import ARTIFACTS, covers, serve, sign_in
from tests.assessment.web.test_browser_workshop import PHONE, join, new_context
from tests.conftest import make_settings
from tests.factories import make_organisation, make_unit, make_user

pytestmark = pytest.mark.browser
FOLLOW_MS = 4_000  # a poll every 2 s, plus a busy machine's round trip

# What each screen's timer shows now, measured in the page: the milliseconds left by its own
# countdown, and the wall clock at that moment (to line the three screens up).
LEFT = """() => {
  const timer = document.querySelector('[data-timer]');
  const clock = timer.querySelector('[data-timer-clock]').textContent.trim();
  const left = timer.timerDeadline === undefined ? Number(timer.dataset.timerLeftMs)
    : timer.timerDeadline - performance.now();
  return {left: left, at: Date.now(), clock: clock, state: timer.dataset.timerState};
}"""


@dataclass(frozen=True)
class Room:
    base: str
    round_id: int
    engine: Engine


@pytest.fixture
def room(tmp_path: Path, framework: Framework) -> Iterator[Room]:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'timer.db'}"))
    upgrade(app.state.engine)
    with Session(app.state.engine, expire_on_commit=False) as session:
        organisation = make_organisation(session, name="Selaintesti Oy")
        make_unit(session, organisation=organisation, name="Asiakaspalvelu")
        round_ = services.create_round(session, organisation, "Kevät 2026", framework)
        session.commit()
        make_user(session, email="konsultti@example.com", organisation=organisation,
                  role=Role.consultant)
        round_id = round_.id or 0
    with serve(app) as base:
        yield Room(base, round_id, app.state.engine)
    app.state.engine.dispose()


def seconds(clock: str) -> int:
    minutes, secs = clock.split(":")
    return int(minutes) * 60 + int(secs)


def same_time(screens: list[Page]) -> list[dict[str, float | str]]:
    """The three screens' time left, lined up on one wall-clock moment: within 1 s."""
    shown = [screen.evaluate(LEFT) for screen in screens]
    start = min(float(s["at"]) for s in shown)
    lined_up = [float(s["left"]) + (float(s["at"]) - start) for s in shown]
    assert max(lined_up) - min(lined_up) <= 1000, shown
    clocks = [seconds(str(s["clock"])) for s in shown]
    assert max(clocks) - min(clocks) <= 1, shown
    return shown


def test_a_timer_on_three_screens(room: Room, browser: Browser) -> None:
    base = room.base
    facilitator = new_context(browser, viewport={"width": 1366, "height": 900})
    console = facilitator.new_page()
    sign_in(console, base, "konsultti@example.com")
    console.goto(f"{base}/rounds/{room.round_id}")
    console.get_by_text("Options").first.click()
    console.get_by_label("Agenda template").select_option(label="Full maturity workshop (3 h)")
    console.get_by_role("button", name=re.compile("Start a workshop.*Asiakaspalvelu")).click()
    expect(console.get_by_role("heading", level=1)).to_have_text("Workshop: Asiakaspalvelu")
    code = re.search(r"Join code ([A-Z0-9]{6})", console.locator("p.meta").inner_text())
    assert code is not None
    expect(console.locator("[data-timer-clock]")).to_have_text("20:00")
    expect(console.locator("table.agenda-times tfoot")).to_contain_text("180 min")
    expect(console.locator("details.facilitator-notes")).to_contain_text("Open: say what")

    with facilitator.expect_page() as opened:
        console.get_by_role("link", name="Open the projector view").click()
    projector = opened.value
    phone_context = new_context(browser, **PHONE)
    phone = phone_context.new_page()
    phone.goto(f"{base}/join?code={code.group(1)}")
    join(phone, "Aino")
    screens = [console, projector, phone]

    # Started on the console: every screen counts down from the server's end time.
    console.bring_to_front()
    console.get_by_role("button", name="Start the timer").click()
    for screen in screens:
        expect(screen.locator("[data-timer]")).to_have_attribute(
            "data-timer-state", "running", timeout=FOLLOW_MS)
    console.wait_for_timeout(2_500)
    shown = same_time(screens)
    assert all(1_190_000 < float(s["left"]) < 1_198_500 for s in shown), shown

    # Paused: the polls bring it to the wall and the phone; the clocks stand still.
    console.get_by_role("button", name="Pause").click()
    for screen in screens:
        expect(screen.locator("[data-timer-status]")).to_have_text("Paused", timeout=FOLLOW_MS)
    paused = [s.locator("[data-timer-clock]").inner_text() for s in screens]
    console.wait_for_timeout(1_500)
    assert [s.locator("[data-timer-clock]").inner_text() for s in screens] == paused
    assert len(set(paused)) == 1

    # A minute more, then on again: all three still agree; a reload loses nothing.
    console.get_by_role("button", name="+1 minute").click()
    console.get_by_role("button", name="Resume").click()
    for screen in screens:
        expect(screen.locator("[data-timer]")).to_have_attribute(
            "data-timer-state", "running", timeout=FOLLOW_MS)
    phone.reload()
    expect(phone.locator("[data-timer]")).to_have_attribute("data-timer-state", "running")
    shown = same_time(screens)
    assert all(seconds(str(s["clock"])) > 20 * 60 for s in shown), shown

    # At zero: every screen says so, and the phone can still post a note.
    with Session(room.engine) as session:
        workshop = session.exec(select(Workshop)).one()
        workshop.timer_ends_at = utcnow() + timedelta(seconds=3)
        workshop.version += 1
        session.add(workshop)
        session.commit()
    for screen in screens:
        timer = screen.locator("[data-timer]")
        expect(timer).to_have_class(re.compile(r"\btimer-up\b"), timeout=FOLLOW_MS + 4_000)
        expect(timer.locator("[data-timer-status]")).to_have_text("Time is up")
        expect(timer.locator("[data-timer-clock]")).to_have_text("0:00")
    ARTIFACTS.mkdir(exist_ok=True)
    projector.screenshot(path=str(ARTIFACTS / "timer-up-projector.png"))
    assert covers(projector) == []  # red and wider at zero, it still covers nothing
    phone.screenshot(path=str(ARTIFACTS / "timer-up-phone.png"))
    phone.get_by_label("Your note (at most 500 characters)").fill("Aikaa jäi liian vähän")
    phone.get_by_role("button", name="Post").click()
    expect(phone.locator("#step [role=status]")).to_have_text("Saved")
    for context in (facilitator, phone_context):
        context.close()
