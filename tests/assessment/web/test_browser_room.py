"""Browser test: a whole workshop in a room — a facilitator, the projector at two screen sizes
and eight phones — through every kind of step, with the projector measured at each one.

The projector must read from the back of a room: it fills a 1920x1080 and a 1280x720 screen
without scrolling, its text is at least 28 px (the question 40 px) at 1920x1080, the revealed
distribution is the largest thing on it, the wrap-up radar takes at least 60 % of the height
with labels of at least 20 px, the join address is never broken, the timer covers neither
the join box nor any text, and once the workshop ends the join code and QR code give way to an
ended screen. Screenshots of every step at both sizes go to test-artifacts/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from assessment.framework import Framework
from tests.assessment.web.browser_support import ARTIFACTS, Site, covers, sign_in

pytestmark = pytest.mark.browser
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                         "has_touch": True}
SCREENS = {"1080p": {"width": 1920, "height": 1080}, "720p": {"width": 1280, "height": 720}}
NOTE = "Your note (at most 500 characters)"

# What the projector's layout measures: overflow, the smallest text, the question's type,
# the join address's lines, the area of the largest things on the screen, the radar.
MEASURE = """() => {
  const root = document.documentElement;
  const size = (el) => parseFloat(getComputedStyle(el).fontSize);
  const shown = (el) => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== "hidden";
  const texts = [...document.querySelectorAll(
      ".projector-main p, .projector-main li, .projector-main td, .projector-main th,"
      + " .projector-main h1, .projector-main h2, .join-box p")]
    .filter((el) => shown(el) && el.textContent.trim() !== "");
  const area = (selector) => {
    const el = document.querySelector(selector);
    if (!el) return 0;
    const box = el.getBoundingClientRect();
    return box.width * box.height;
  };
  const question = document.querySelector(".big.question");
  const address = document.querySelector(".join-address");
  const radar = document.querySelector(".wrapup .chart svg");
  let labels = null;
  if (radar) {
    const scale = radar.getScreenCTM().a;
    labels = Math.min(...[...radar.querySelectorAll("text")].map((t) => size(t) * scale));
  }
  return {
    overflowY: root.scrollHeight - window.innerHeight,
    overflowX: root.scrollWidth - window.innerWidth,
    smallestText: Math.min(...texts.map(size)),
    question: question ? size(question) : null,
    addressLines: address ? address.getClientRects().length : null,
    distribution: area(".wall-distribution"),
    others: Math.max(area(".join-box"), area(".big.question"), area(".anchors")),
    radarHeight: radar ? radar.getBoundingClientRect().height / window.innerHeight : null,
    radarLabels: labels,
    chrome: document.querySelectorAll("header, footer, .user-menu, .language-switch").length,
  };
}"""


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(locale="en-GB", **options)
    context.set_default_timeout(15_000)
    return context


def check_wall(walls: dict[str, Page], name: str) -> dict[str, dict[str, Any]]:
    """Measure both projector screens at a step, save their screenshots, check the rules that
    hold at every step; the measures, by screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    found = {}
    for size, wall in walls.items():
        wall.screenshot(path=str(ARTIFACTS / f"projector-{size}-{name}.png"))
        measured = wall.evaluate(MEASURE)
        assert measured["overflowY"] <= 0 and measured["overflowX"] <= 0, (size, name, measured)
        assert measured["chrome"] == 0, (size, name, "no site header, menus or footer")
        assert covers(wall) == [], (size, name, "the timer covers these")
        assert covers(wall, "[data-fullscreen]") == [], (size, name, "the button covers these")
        if measured["addressLines"] is not None:
            assert measured["addressLines"] == 1, (size, name, "the join address is broken")
        if size == "1080p":
            assert measured["smallestText"] >= 28 - 0.5, (name, measured)
            if measured["question"] is not None and "revealed" not in name:
                assert measured["question"] >= 40, (name, measured)
        found[size] = measured
    return found


def follow(walls: dict[str, Page], phones: list[Page], heading: str) -> None:
    for page in [*walls.values(), *phones]:
        expect(page.get_by_role("heading", level=1)).to_have_text(heading, timeout=15_000)


@dataclass
class Room:
    """Who is in the room: the console, the two projector screens and the phones."""

    console: Page
    walls: dict[str, Page]
    phones: list[Page]
    framework: Framework

    @property
    def stages(self) -> list[str]:
        return [stage.name["en"] for stage in self.framework.stages]


def open_the_room(server: Site, browser: Browser, framework: Framework,
                  contexts: list[BrowserContext]) -> Room:
    """The consultant starts the workshop and sets it up; two projector screens; 8 phones."""
    base = server.base
    facilitator = new_context(browser, viewport={"width": 1366, "height": 900})
    contexts.append(facilitator)
    console = facilitator.new_page()
    sign_in(console, base, "konsultti@example.com")
    console.goto(f"{base}/rounds/{server.round_id}")
    console.get_by_role("button", name=re.compile("Start a workshop.*Asiakaspalvelu")).click()
    expect(console.get_by_role("heading", level=1)).to_have_text("Workshop: Asiakaspalvelu")
    workshop_url = console.url
    found = re.search(r"Join code ([A-Z0-9]{6})", console.locator("p.meta").inner_text())
    assert found is not None
    code = found.group(1)
    # The round page now offers to continue it, not to start a parallel one.
    round_page = facilitator.new_page()
    round_page.goto(f"{base}/rounds/{server.round_id}")
    expect(round_page.get_by_role("link", name=re.compile("Continue the workshop")))\
        .to_be_visible()
    round_page.close()

    # Settings from the console: two dots each, targets voted after each factor.
    console.get_by_label("Dots per participant (1–10)").fill("2")
    console.get_by_label("After each factor's questions").check()
    console.get_by_role("button", name="Save the settings").click()
    expect(console.get_by_label("Dots per participant (1–10)")).to_have_value("2")

    walls = {}
    for size, viewport in SCREENS.items():
        walls[size] = facilitator.new_page()
        walls[size].set_viewport_size(viewport)
        walls[size].goto(f"{workshop_url}/projector")
    expect(walls["1080p"].locator(".join-code")).to_have_text(code)
    expect(walls["1080p"].locator("[data-fullscreen]")).to_be_visible()

    phones = []
    for number in range(1, 9):
        contexts.append(new_context(browser, **PHONE))
        phone = contexts[-1].new_page()
        phone.goto(f"{base}/join?code={code}")
        phone.get_by_label("Nickname (optional)").fill(f"P{number}")
        phone.get_by_role("button", name="Join").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Needs and expectations")
        expect(phone.get_by_role("link", name="Sign in")).to_have_count(0)
        phones.append(phone)
    expect(walls["1080p"].locator(".join-count")).to_have_text("8 phones have joined")
    return Room(console, walls, phones, framework)


def needs_and_dots(room: Room) -> None:
    """Four phones post needs, the facilitator types one said aloud and merges two; then
    everyone places two dots."""
    console, walls, phones = room.console, room.walls, room.phones
    for phone, text in zip(phones[:4], ["Yhteinen vuosikello", "Vuosikello intraan",
                                         "Mittarit puuttuvat", "Kuka vastaa kanavista?"],
                           strict=True):
        phone.get_by_label(NOTE).fill(text)
        phone.get_by_role("button", name="Post").click()
        expect(phone.locator("ul.my-notes li")).to_have_text([text])
    console.get_by_label("A need said aloud").fill("Kriisiohje puuttuu")
    console.get_by_role("button", name="Add the need").click()
    expect(walls["1080p"].locator("ul.needs-wall li")).to_have_count(5)
    console.get_by_label("Keep").select_option(label="Yhteinen vuosikello")
    console.get_by_label("Merge into it").select_option(label="Vuosikello intraan")
    console.get_by_role("button", name="Merge").click()
    expect(walls["1080p"].locator("ul.needs-wall li")).to_have_count(4)
    check_wall(walls, "1-needs")

    console.get_by_role("button", name="Next step").click()
    follow(walls, phones, "Prioritise the needs")
    for number, phone in enumerate(phones):
        for need in ("Mittarit puuttuvat", "Kriisiohje puuttuu" if number % 2 else
                     "Yhteinen vuosikello"):
            row = phone.locator("ol.needs li").filter(has_text=need)
            row.get_by_role("button", name="Add a dot").click()
            expect(row.locator(".dots")).not_to_have_text("")
        expect(phone.get_by_text("You have 0 dots left.")).to_be_visible()
    expect(walls["1080p"].locator("ol.needs-wall li").first).to_contain_text("8 dots")
    check_wall(walls, "2-dots")


def a_question_everyone_votes_on(room: Room) -> None:
    """Everyone votes; the wall shows the anchors, then the revealed distribution largest."""
    console, walls, phones, stages = room.console, room.walls, room.phones, room.stages
    factor = room.framework.factors[0]
    console.get_by_role("button", name="Next step").click()
    follow(walls, phones, factor.name["en"])
    levels = [2, 2, 3, 3, 3, 4, 5, 3]
    total = sum(len(f.questions) for f in room.framework.factors)
    for phone, level in zip(phones, levels, strict=True):
        expect(phone.locator(".progress-line")).to_contain_text(f"Question 1 of {total}")
        phone.get_by_role("radio", name=stages[level - 1]).check()
        expect(phone.locator("#step [role=status]")).to_have_text("Saved")
    expect(walls["1080p"].locator(".vote-count")).to_have_text("8 of 8 have voted")
    expect(console.locator("#live")).to_contain_text("8 votes")
    check_wall(walls, "3-question")

    # Reveal with the keyboard shortcut: the distribution is the largest thing on the wall.
    console.locator("body").press("r")
    for wall in walls.values():
        expect(wall.locator(".wall-distribution")).to_be_visible()
    measured = check_wall(walls, "4-question-revealed")
    for size in SCREENS:
        assert measured[size]["distribution"] > measured[size]["others"], measured[size]
    expect(walls["1080p"].locator(".stats")).to_contain_text("Median 3.0, spread 3 stages")
    expect(walls["1080p"].locator(".stats .flag")).to_be_visible()
    # Opened on a phone (the facilitator checking it), the scrolled wall keeps its full-screen
    # button out of the text, at the top and at the bottom of the page.
    small = walls["1080p"].context.new_page()
    small.set_viewport_size({"width": 390, "height": 844})
    small.goto(walls["1080p"].url)
    expect(small.locator("[data-fullscreen]")).to_be_visible()
    for scrolled in ("0", "document.documentElement.scrollHeight"):
        small.evaluate(f"() => window.scrollTo(0, {scrolled})")
        assert covers(small, "[data-fullscreen]") == [], scrolled
    small.close()
    mine = phones[6].locator("table.distribution tr.mine")
    expect(mine).to_contain_text(stages[4])
    expect(mine).to_contain_text("your vote")
    expect(console.get_by_label("Agreed stage")).to_have_value("3")
    console.get_by_label("Rationale (short)").fill("Suunnitelma on, mutta ei kaikilla")
    console.get_by_role("button", name="Record consensus").click()
    expect(console.locator(".agenda-factor").first).to_contain_text("1 of")


def questions_below_the_minimum(room: Room) -> None:
    """Two votes only: nothing shows and nothing leaks; the room still agrees aloud."""
    console, walls, phones, stages = room.console, room.walls, room.phones, room.stages
    factor = room.framework.factors[0]
    console.get_by_role("button", name="Next step").click()
    expect(phones[0].locator(".question-text")).to_have_text(factor.questions[1].text["en"])
    for phone in phones[:2]:
        phone.get_by_role("radio", name=stages[3]).check()
        expect(phone.locator("#step [role=status]")).to_have_text("Saved")
    console.locator("body").press("r")
    expect(walls["1080p"].get_by_text("Fewer than the minimum number of people voted"))\
        .to_be_visible()
    expect(console.locator("#consensus-level option[selected]")).to_have_count(0)
    expect(console.get_by_text(re.compile("Median"))).to_have_count(0)
    for level, next_question in (("4", factor.questions[2]), ("3", None)):
        console.get_by_label("Agreed stage").select_option(level)
        console.get_by_role("button", name="Record consensus").click()
        expect(console.locator(".console-step [role=status]")).to_have_text(
            f"Recorded: {stages[int(level) - 1]}")
        if next_question is not None:
            console.get_by_role("region", name="Agenda").get_by_role(
                "button", name=next_question.text["en"]).click()
            expect(phones[0].locator(".question-text")).to_have_text(next_question.text["en"])
            console.locator("body").press("r")
            expect(console.get_by_label("Agreed stage")).to_be_visible()


def the_factors_target(room: Room) -> None:
    """The factor's target step comes right after its questions."""
    console, walls, phones, stages = room.console, room.walls, room.phones, room.stages
    factor = room.framework.factors[0]
    console.get_by_role("region", name="Agenda").get_by_role(
        "button", name=f"Target: {factor.name['en']}").click()
    follow(walls, phones, f"Target: {factor.name['en']}")
    for phone in phones[:5]:
        phone.get_by_role("radio", name=stages[3]).check()
    expect(walls["1080p"].locator(".vote-count")).to_have_text("5 of 8 have voted")
    check_wall(walls, "5-target")
    # The console follows the target votes live and proposes their median.
    expect(console.locator("#live")).to_contain_text("5 votes")
    expect(console.get_by_label("Agreed target stage")).to_have_value("4")
    console.get_by_role("button", name="Record target").click()
    expect(console.locator(".console-step [role=status]")).to_have_text(f"Recorded: {stages[3]}")


def wrap_up_and_end(room: Room) -> None:
    """The radar fills the wall; the console warns what ending replaces; then the end."""
    console, walls, phones = room.console, room.walls, room.phones
    factors = room.framework.factors
    console.get_by_role("region", name="Agenda").get_by_role("button", name="Wrap-up").click()
    follow(walls, phones, "Wrap-up")
    expect(walls["1080p"].locator(".wrapup .chart svg")).to_be_visible()
    measured = check_wall(walls, "6-wrap-up")
    assert measured["1080p"]["radarHeight"] >= 0.6, measured["1080p"]
    assert measured["1080p"]["radarLabels"] >= 20, measured["1080p"]
    console.get_by_text("End the workshop", exact=True).click()
    expect(console.locator("#end-replaces")).to_contain_text(factors[0].name["en"])
    expect(console.locator("#end-keeps")).to_contain_text(factors[1].name["en"])
    console.get_by_role("button", name="Yes, end the workshop").click()

    # Ended: the join code and the QR code give way to a thank-you screen.
    follow(walls, [], "The workshop has ended")
    for wall in walls.values():
        expect(wall.locator(".join-code")).to_have_count(0)
        expect(wall.locator(".qr")).to_have_count(0)
    check_wall(walls, "7-ended")
    for phone in phones:
        expect(phone.get_by_text("The workshop has ended. Thank you for taking part!"))\
            .to_be_visible(timeout=15_000)


def test_a_whole_workshop_in_a_room(server: Site, browser: Browser,
                                    framework: Framework) -> None:
    contexts: list[BrowserContext] = []
    try:
        room = open_the_room(server, browser, framework, contexts)
        needs_and_dots(room)
        a_question_everyone_votes_on(room)
        questions_below_the_minimum(room)
        the_factors_target(room)
        wrap_up_and_end(room)
    finally:
        for context in contexts:
            context.close()
