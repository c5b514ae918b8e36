"""Browser test: a live workshop with a facilitator, the projector and three phones.

Everything a person does is a click or a keystroke. The participants' screens and the
projector follow the facilitator by polling (htmx), so none of them is reloaded unless the
test says so; how long each screen took to follow is measured in the page itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
import segno
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from assessment.framework import Framework
from tests.assessment.web.browser_support import ARTIFACTS, Site, sign_in

pytestmark = pytest.mark.browser
# Participants' screens poll every 2 s, so the next poll brings a facilitator's click to them
# in about 2.5 s at most; a busy CI machine may add half a second to the round trip.
FOLLOW_MS = 3_000
# The projector also polls every 2 s but renders its whole screen each time (at the wrap-up a
# radar chart: a few hundred milliseconds on a busy machine), so it gets a little longer.
PROJECTOR_FOLLOW_MS = 3_500
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                         "has_touch": True}
NOTE = "Your note (at most 500 characters)"

# Records (in the page, with the page's clock) when `selector` first matches with `text`.
WATCH = """([selector, text]) => {
  window.followedAt = null;
  const seen = () => [...document.querySelectorAll(selector)].some(
    (el) => text === null || el.textContent.trim() === text);
  const observer = new MutationObserver(() => {
    if (seen()) { window.followedAt = Date.now(); observer.disconnect(); }
  });
  observer.observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(locale="en-GB", **options)
    context.set_default_timeout(10_000)
    return context


def follows(participants: Sequence[Page], projector: Page, selector: str, text: str | None,
            click: Locator) -> None:
    """Click as the facilitator; every screen shows `selector` (with `text`) in time."""
    screens = [(page, FOLLOW_MS) for page in participants] + [(projector, PROJECTOR_FOLLOW_MS)]
    for screen, _ in screens:
        screen.evaluate(WATCH, [selector, text])
    # Back to the console's tab (the projector opened in front of it), as a person would.
    click.page.bring_to_front()
    with click.page.expect_request(lambda request: request.method == "POST") as posted:
        click.click()
    clicked = posted.value.timing["startTime"]  # ms since the epoch, like Date.now()
    for screen, budget in screens:
        shown = screen.locator(selector)
        expect(shown.first if text is None else shown.filter(has_text=text)).to_be_visible()
        followed_at = screen.evaluate("window.followedAt")
        assert followed_at is not None, f"{screen.url} was reloaded instead of following"
        lag = followed_at - clicked
        assert lag <= budget, f"{screen.url} followed {selector} {text!r} after {lag:.0f} ms"


def qr_modules(url: str) -> str:
    """The QR code of `url` as the projector draws it (segno, error level M), minus the
    starting point that the quiet zone moves."""
    svg = segno.make(url, error="m").svg_inline()
    found = re.search(r' d="M[0-9.]+ [0-9.]+([^"]+)"', svg)
    assert found is not None
    return found.group(1)


def join(page: Page, nickname: str) -> None:
    page.get_by_label("Nickname (optional)").fill(nickname)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Needs and expectations")


def post_need(page: Page, text: str, factor: str | None = None) -> None:
    page.get_by_label(NOTE).fill(text)
    if factor:
        page.get_by_label("Related factor (optional)").select_option(label=factor)
    page.get_by_role("button", name="Post").click()
    expect(page.locator("#step [role=status]")).to_have_text("Saved")
    expect(page.get_by_label(NOTE)).to_have_value("")


def add_dots(page: Page, need: str, count: int) -> None:
    for _ in range(count):
        dots = page.locator("ol.needs li").filter(has_text=need).locator(".dots")
        before = dots.inner_text().count("●")
        page.locator("ol.needs li").filter(has_text=need).get_by_role(
            "button", name="Add a dot").click()
        expect(dots).to_have_text("●" * (before + 1))


def test_a_live_workshop_from_join_to_wrap_up(server: Site, browser: Browser,
                                              framework: Framework) -> None:
    base = server.base
    factor = framework.factors[0]
    question = factor.questions[0]
    stages = [stage.name["en"] for stage in framework.stages]

    # The consultant opens a workshop for a unit from the round page, then the projector.
    facilitator = new_context(browser, viewport={"width": 1366, "height": 900})
    console = facilitator.new_page()
    sign_in(console, base, "konsultti@example.com")
    console.goto(f"{base}/rounds/{server.round_id}")
    console.get_by_role("button", name=re.compile("Start a workshop.*Asiakaspalvelu")).click()
    expect(console.get_by_role("heading", level=1)).to_have_text("Workshop: Asiakaspalvelu")
    found = re.search(r"Join code ([A-Z0-9]{6})", console.locator("p.meta").inner_text())
    assert found is not None
    code = found.group(1)
    with facilitator.expect_page() as opened:
        console.get_by_role("link", name="Open the projector view").click()
    projector = opened.value
    join_box = projector.get_by_role("complementary", name="How to join")
    expect(join_box.locator(".join-code")).to_have_text(code)
    expect(join_box).to_contain_text(f"Join at {base}/join")
    expect(join_box.locator(".qr svg")).to_be_visible()
    join_url = f"{base}/join?code={code}"
    expect(join_box.locator(".qr svg path")).to_have_attribute(
        "d", re.compile(rf"^M[0-9.]+ [0-9.]+{re.escape(qr_modules(join_url))}$"))
    expect(projector.get_by_role("heading", level=1)).to_have_text("Needs and expectations")

    # Three participants: the QR code's link on a phone; the code typed in, wrong first,
    # then in lower case with a space; a nickname that looks like HTML.
    phone_context = new_context(browser, **PHONE)
    phone = phone_context.new_page()
    phone.goto(join_url)  # what scanning the QR code opens
    expect(phone.get_by_label("Workshop code")).to_have_value(code)
    join(phone, "Aino")
    expect(phone.locator("#step p.meta")).to_have_text(f"Workshop {code} · Aino")

    laptop_context = new_context(browser)
    laptop = laptop_context.new_page()
    laptop.goto(f"{base}/join")
    laptop.get_by_label("Workshop code").fill("ZZZ ZZZ")
    laptop.get_by_role("button", name="Join").click()
    code_field = laptop.get_by_label("Workshop code")
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(code_field).to_have_accessible_description(
        "There is no workshop with this code. Check the code on the screen.")
    code_field.fill(f"{code[:3].lower()} {code[3:].lower()}")
    join(laptop, "")

    mia_context = new_context(browser)
    mia = mia_context.new_page()
    mia.goto(f"{base}/join")
    mia.get_by_label("Workshop code").fill(code)
    join(mia, "<b>Mia</b>")
    expect(mia.locator("#step p.meta")).to_have_text(f"Workshop {code} · <b>Mia</b>")
    expect(mia.locator("#step b")).to_have_count(0)
    participants = [phone, laptop, mia]
    expect(join_box).to_contain_text("3 phones have joined")
    expect(console.locator("#live")).to_contain_text("3 participants")

    # Needs: notes arrive on the wall and the console; one is tagged, one looks like HTML.
    post_need(phone, "Yhteinen vuosikello", factor=factor.name["en"])
    post_need(laptop, "<b>Vuosikello</b>")
    post_need(mia, "Mittarit puuttuvat")
    for wall in [projector.locator("ul.needs-wall li"), console.locator("#live li")]:
        expect(wall).to_have_text([f"Yhteinen vuosikello · {factor.name['en']}",
                                   "<b>Vuosikello</b>", "Mittarit puuttuvat"])
    expect(projector.locator(".needs-wall b")).to_have_count(0)
    # The merge form lists the notes there were when the console was loaded.
    console.reload()
    console.get_by_label("Keep").select_option(label="Yhteinen vuosikello")
    console.get_by_label("Merge into it").select_option(label="<b>Vuosikello</b>")
    console.get_by_role("button", name="Merge").click()
    expect(console.locator("#live li").filter(has_text="Yhteinen vuosikello")).to_have_text(
        f"Yhteinen vuosikello · {factor.name['en']} + <b>Vuosikello</b>", use_inner_text=True)
    expect(console.locator("#live b")).to_have_count(0)
    expect(projector.locator("ul.needs-wall li")).to_have_count(2)

    # Dot voting: the screens follow without a reload; the ranking follows the dots.
    follows(participants, projector, "h1", "Prioritise the needs",
            console.get_by_role("button", name="Next step"))
    expect(phone.get_by_text("You have 3 dots left.")).to_be_visible()
    add_dots(phone, "Mittarit puuttuvat", 2)
    add_dots(phone, "Yhteinen vuosikello", 1)
    expect(phone.get_by_text("You have 0 dots left.")).to_be_visible()
    for button in phone.get_by_role("button", name="Add a dot").all():
        expect(button).to_be_disabled()
    # Each button says which need it is for, beyond "Add a dot".
    row = phone.locator("ol.needs li").filter(has_text="Yhteinen vuosikello")
    expect(row.get_by_role("button", name="Take a dot back")).to_have_accessible_description(
        "Yhteinen vuosikello")
    add_dots(laptop, "Yhteinen vuosikello", 1)
    add_dots(laptop, "Mittarit puuttuvat", 1)
    add_dots(mia, "Mittarit puuttuvat", 1)
    for ranked in [projector.locator("ol.needs-wall.ranked li"), console.locator("#live li")]:
        expect(ranked).to_have_text([re.compile(r"^Mittarit puuttuvat\W+4 dots$"),
                                     re.compile(r"^Yhteinen vuosikello\W+2 dots$")])

    # The first question: silent votes, counted on the console but not shown.
    follows(participants, projector, "h1", factor.name["en"],
            console.get_by_role("button", name="Next step"))
    expect(phone.locator("#step .question-text")).to_have_text(question.text["en"])
    expect(phone.get_by_role("button", name="Vote")).to_be_hidden()  # htmx saves on choosing
    for page, level in zip(participants, [2, 3, 4], strict=True):
        page.get_by_role("radio", name=stages[level - 1]).check()
        expect(page.locator("#step [role=status]")).to_have_text("Saved")
        expect(page.get_by_role("radio", name=stages[level - 1])).to_be_checked()
    expect(console.locator("#live")).to_contain_text("3 participants · 3 votes")
    expect(projector.locator(".vote-count")).to_have_text("3 of 3 have voted")
    expect(console.locator("table.distribution")).to_have_count(0)
    expect(console.get_by_text(re.compile(r"Median|^\d+ votes?$"))).to_have_count(0)

    # Coming back: a reloaded phone is on the same question with its own vote chosen.
    phone.reload()
    expect(phone.get_by_role("heading", level=1)).to_have_text(factor.name["en"])
    expect(phone.get_by_role("radio", name=stages[1])).to_be_checked()
    expect(phone.get_by_role("radio", checked=True)).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "workshop-phone-vote.png"), full_page=True)

    # Reveal: everyone sees the distribution, the median and the spread.
    follows(participants, projector, "table.distribution, table.wall-distribution", None,
            console.get_by_role("button", name="Reveal the votes"))
    mine = {phone: 2, laptop: 3, mia: 4}
    for screen in [*participants, console]:
        rows = screen.locator("table.distribution tbody tr")
        expect(rows).to_have_text([re.compile(
            rf"^{i}\. {name}\s*{'●' * n}\s*{n} votes?(\s*your vote)?$")
            for i, name, n in zip(range(1, 6), stages, [0, 1, 1, 1, 0], strict=True)])
        if screen in mine:  # each phone sees its own vote marked
            expect(screen.locator("table.distribution tr.mine")).to_contain_text(
                stages[mine[screen] - 1])
    # The wall draws the same counts as bars.
    expect(projector.locator("table.wall-distribution tbody tr")).to_have_text(
        [re.compile(rf"^{name}\s*{n}$")
         for name, n in zip(stages, [0, 1, 1, 1, 0], strict=True)])
    for screen in [*participants, projector, console]:
        stats = screen.locator("p.stats")
        expect(stats).to_contain_text("Median 3.0, spread 2 stages")
        expect(stats).to_contain_text("Votes diverge: discuss before agreeing.")
    phone.screenshot(path=str(ARTIFACTS / "workshop-phone-reveal.png"), full_page=True)

    # Consensus: the median is offered; the facilitator adds a short rationale.
    expect(console.get_by_label("Agreed stage")).to_have_value("3")
    console.get_by_label("Rationale (short)").fill("Tavoitteet on kirjattu viestintäsuunnitelmaan")
    console.get_by_role("button", name="Record consensus").click()
    expect(console.locator(".console-step [role=status]")).to_have_text(f"Recorded: {stages[2]}")
    expect(console.get_by_label("Rationale (short)")).to_have_value(
        "Tavoitteet on kirjattu viestintäsuunnitelmaan")
    laptop.reload()
    expect(laptop.locator("table.distribution")).to_be_visible()
    expect(laptop.get_by_text("Your vote is kept.")).to_be_visible()

    # The rest of the agenda is skipped: the wrap-up sums up on the wall.
    follows(participants, projector, "h1", "Wrap-up",
            console.get_by_role("region", name="Agenda").get_by_role("button", name="Wrap-up"))
    expect(console.locator("#step-heading")).to_have_text(re.compile(r"Step \d+ of \d+: Wrap-up$"))
    expect(phone.get_by_text("The facilitator is summing up on the screen.")).to_be_visible()
    expect(projector.locator(".chart svg[role='img']")).to_be_visible()
    expect(projector.locator("table.data-table tbody th").first).to_have_text(factor.name["en"])
    expect(projector.locator("h2 + ol.needs-wall li")).to_have_text(
        [re.compile(r"^Mittarit puuttuvat\W+4 dots$"),
         re.compile(r"^Yhteinen vuosikello\W+2 dots$")])
    expect(projector.locator("section.projector-main ul li")).to_have_text([question.text["en"]])
    projector.screenshot(path=str(ARTIFACTS / "workshop-projector-wrap-up.png"), full_page=True)

    for context in [facilitator, phone_context, laptop_context, mia_context]:
        context.close()


def test_a_refused_note_says_why_on_the_phone_and_keeps_the_text(server: Site,
                                                                  browser: Browser) -> None:
    facilitator = new_context(browser)
    console = facilitator.new_page()
    sign_in(console, server.base, "konsultti@example.com")
    console.goto(f"{server.base}/rounds/{server.round_id}")
    console.get_by_role("button", name=re.compile("Start a workshop.*Asiakaspalvelu")).click()
    found = re.search(r"Join code ([A-Z0-9]{6})", console.locator("p.meta").inner_text())
    assert found is not None
    phone_context = new_context(browser, **PHONE)
    phone = phone_context.new_page()
    phone.goto(f"{server.base}/join?code={found.group(1)}")
    join(phone, "Aino")
    notes = [f"Tarve {i}" for i in range(1, 7)]
    for note in notes:
        post_need(phone, note)
    expect(phone.locator("ul.my-notes li")).to_have_text(notes)  # their own notes, listed

    # The seventh within a minute is refused (429): the phone says so where the user looks,
    # keeps the text to send again, and never says "Saved".
    phone.get_by_label(NOTE).fill("Seitsemäs tarve")
    with phone.expect_response(lambda r: r.request.method == "POST") as posted:
        phone.get_by_role("button", name="Post").click()
    assert posted.value.status == 429
    status = phone.locator("#step [role=status]")
    expect(status).to_have_text("You are posting very fast. Wait a minute and try again.")
    expect(status).to_have_class("alert")
    expect(phone.get_by_label(NOTE)).to_have_value("Seitsemäs tarve")
    expect(phone.get_by_text("Saved", exact=True)).to_have_count(0)
    expect(phone.locator("ul.my-notes li")).to_have_count(6)
    for context in [facilitator, phone_context]:
        context.close()
