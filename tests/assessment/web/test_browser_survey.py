"""Browser test: a pre-workshop survey answered by five phones, then a focus workshop that
skips the questions the survey agreed on and confirms them per factor; the survey's
distribution beside the room's votes, and a discussion prompt on the projector."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from assessment.framework import Framework
from tests.assessment.web.browser_support import Site, sign_in

pytestmark = pytest.mark.browser
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                         "has_touch": True}
FOLLOW_MS = 3_500  # the projector polls every 2 s


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(locale="en-GB", **options)
    context.set_default_timeout(10_000)
    return context


def agreed_questions(framework: Framework) -> set[str]:
    """The first factor's questions and the third question of every factor."""
    return {q.id for q in framework.factors[0].questions} | \
        {f.questions[2].id for f in framework.factors}


def answer_survey(page: Page, url: str, framework: Framework, person: int) -> None:
    """One phone answers every question: close together on the agreed questions (3 or 4),
    one stage per person elsewhere (1…5: far apart)."""
    agreed = agreed_questions(framework)
    page.goto(url)
    for index, factor in enumerate(framework.factors):
        expect(page.get_by_role("heading", level=2)).to_contain_text(
            f"{index + 1}/{len(framework.factors)}")
        for question in factor.questions:
            level = 3 + person % 2 if question.id in agreed else 1 + person
            page.locator(f"#s-{question.id}-{level}").check()
        last = index == len(framework.factors) - 1
        page.get_by_role("button", name="Save and finish" if last else "Save and continue").click()
    expect(page.locator("#survey-done")).to_contain_text("Your answers are saved")


def assert_fits(projector: Page) -> None:
    """The wall screen is never scrolled: nothing may overflow it."""
    overflow = projector.evaluate("""() => [
        document.documentElement.scrollWidth - innerWidth,
        document.documentElement.scrollHeight - innerHeight]""")
    assert overflow[0] <= 0 and overflow[1] <= 0, f"projector overflows by {overflow}"


def test_a_focus_workshop_after_a_pre_survey_of_five_phones(server: Site, browser: Browser,
                                                           framework: Framework) -> None:
    base = server.base
    facilitator = new_context(browser, viewport={"width": 1366, "height": 900})
    console = facilitator.new_page()
    sign_in(console, base, "konsultti@example.com")
    console.goto(f"{base}/rounds/{server.round_id}")
    console.get_by_role("button", name=re.compile("Open a pre-survey.*Asiakaspalvelu")).click()
    expect(console.get_by_role("heading", level=1)).to_have_text(
        "Pre-workshop survey: Asiakaspalvelu")
    url = console.locator("#survey-url").inner_text()
    assert re.fullmatch(rf"{re.escape(base)}/s/[A-Za-z0-9_-]{{16}}", url)

    # Five phones answer, anonymously and without an account.
    phones = [new_context(browser, **PHONE) for _ in range(5)]
    pages = [context.new_page() for context in phones]
    for person, page in enumerate(pages):
        answer_survey(page, url, framework, person)
    # A phone comes back: its answers are there, and it changes one.
    first = framework.factors[1].questions[0]
    again = pages[0]
    again.goto(f"{url}?factor={framework.factors[1].id}")
    expect(again.locator(f"#s-{first.id}-1")).to_be_checked()
    again.locator(f"#s-{first.id}-2").check()
    again.get_by_role("button", name="Save and continue").click()
    again.goto(f"{url}?factor={framework.factors[1].id}")
    expect(again.locator(f"#s-{first.id}-2")).to_be_checked()

    console.reload()
    expect(console.locator("#survey-status")).to_contain_text("5 people have answered")
    expect(console.locator("#focus-preview")).to_contain_text(
        "The survey agrees on 12 questions")
    expect(console.locator("#focus-preview")).to_contain_text("4 fewer steps")
    console.get_by_role("button", name="Close the survey").click()
    expect(console.locator("#survey-status")).to_contain_text("Closed")
    # After closing, a phone's answer is refused with a message, and nothing changes.
    pages[1].goto(url)
    expect(pages[1].locator("#survey-closed")).to_contain_text("This survey has closed")
    expect(pages[1].locator("#survey-form")).to_have_count(0)

    # A focus workshop: the agreed questions give way to a confirmation step per factor.
    console.goto(f"{base}/rounds/{server.round_id}")
    unit = console.locator("li").filter(
        has=console.get_by_role("button", name=re.compile("Start a workshop.*Asiakaspalvelu")))
    unit.get_by_text("Options").click()
    unit.get_by_label(re.compile("Focus: confirm per factor")).check()
    unit.get_by_role("button", name=re.compile("Start a workshop")).click()
    expect(console.get_by_role("heading", level=1)).to_have_text("Workshop: Asiakaspalvelu")
    saving = console.locator("#focus-saving")
    expect(saving).to_contain_text("Focus mode: 12 questions")
    expect(saving).to_contain_text("the agenda is 4 steps shorter")
    steps = 2 + 40 + 8 + 1 - 4
    expect(console.locator("#step-heading")).to_contain_text(f"Step 1 of {steps}")
    with facilitator.expect_page() as opened:
        console.get_by_role("link", name="Open the projector view").click()
    projector = opened.value
    projector.set_viewport_size({"width": 1280, "height": 720})
    console.bring_to_front()

    # The first factor: all five questions are confirmed in one step.
    goals = framework.factors[0].name["en"]
    console.get_by_role("button", name="Next step").click()
    console.get_by_role("button", name="Next step").click()
    expect(console.locator("#step-heading")).to_contain_text(
        f"Agreed in the pre-survey: {goals}")
    expect(projector.locator(".confirm-wall li")).to_have_count(5, timeout=FOLLOW_MS)
    assert_fits(projector)
    selects = console.locator("#confirm-form select")
    expect(selects).to_have_count(5)
    for i in range(5):
        expect(selects.nth(i)).to_have_value("3")  # median of 3, 4, 3, 4, 3
    selects.nth(1).select_option("4")  # the room disputes one
    console.get_by_role("button", name="Confirm 5 questions").click()
    group = console.locator("details.agenda-factor").filter(has_text=goals)
    expect(group.locator("summary")).to_contain_text("5 of 5 agreed")
    expect(console.locator("#confirm-form select").nth(1)).to_have_value("4")

    # The second factor starts with its own confirmation step (one agreed question), then
    # its four other questions, each with the survey's distribution beside the room's votes.
    console.get_by_role("button", name="Next step").click()
    expect(console.locator("#confirm-form select")).to_have_count(1)
    console.get_by_role("button", name="Next step").click()
    question = framework.factors[1].questions[0]
    expect(console.locator(".question-text")).to_have_text(question.text["en"])
    expect(console.locator(".presurvey h3")).to_have_text("Pre-workshop survey: 5 answers")
    expect(projector.locator("#presurvey-line")).to_contain_text(
        "Pre-workshop survey, 5 answers", timeout=FOLLOW_MS)
    agenda_questions = console.locator("details.agenda-factor").filter(
        has_text=framework.factors[1].name["en"]).locator("ol.agenda li")
    expect(agenda_questions).to_have_count(1 + 4)  # the confirmation and 4 questions

    # A discussion prompt goes on the projector.
    prompt = question.prompts[0]["en"]
    console.locator("li.prompt").filter(has_text=prompt).get_by_role(
        "button", name="Show on the projector").click()
    expect(console.locator("li.prompt.projected")).to_contain_text(prompt)
    expect(projector.locator("#projected-prompt")).to_have_text(prompt, timeout=FOLLOW_MS)
    for size in ({"width": 1280, "height": 720}, {"width": 1920, "height": 1080}):
        projector.set_viewport_size(size)
        assert_fits(projector)

    # Three phones vote far apart; after the reveal the console offers the divergence
    # prompts with the stages voted, and the wall shows the room's votes, the survey's line
    # and the chosen prompt, still without overflowing.
    found = re.search(r"Join code ([A-Z0-9]{6})", console.locator("p.meta").first.inner_text())
    assert found is not None
    for page, level in zip(pages[:3], (1, 2, 4), strict=True):
        page.goto(f"{base}/join?code={found.group(1)}")
        page.get_by_role("button", name="Join").click()
        page.locator(f"#v-{level}").check()
        expect(page.locator("#vote [role=status]")).to_have_text("Saved")
    console.reload()
    console.get_by_role("button", name="Reveal the votes").click()
    divergence = "What would have to be true for us to be at stage 4 (Integrated)?"
    console.locator("li.prompt-divergence").filter(has_text=divergence).get_by_role(
        "button", name="Show on the projector").click()
    expect(projector.locator("#projected-prompt")).to_have_text(divergence, timeout=FOLLOW_MS)
    expect(projector.locator(".wall-distribution")).to_be_visible()
    expect(projector.locator("#presurvey-line")).to_contain_text("Pre-workshop survey")
    for size in ({"width": 1280, "height": 720}, {"width": 1920, "height": 1080}):
        projector.set_viewport_size(size)
        assert_fits(projector)
    for context in (facilitator, *phones):
        context.close()
