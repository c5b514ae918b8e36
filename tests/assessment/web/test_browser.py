"""Browser tests: a person completes a self-assessment in the system Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from assessment.framework import Framework
from tests.assessment.web.browser_support import ARTIFACTS, Site, sign_in

pytestmark = pytest.mark.browser


def answer_factor(page: Page, framework: Framework, factor_index: int) -> None:
    factor = framework.factors[factor_index]
    for number, question in enumerate(factor.questions):
        level = (factor_index + number) % framework.stage_count + 1
        page.locator(f"label[for='c-{question.id}-{level}']").click()
        expect(page.locator(f"#status-{question.id}")).to_have_text("Saved")


def test_unit_lead_completes_a_self_assessment_by_clicking(server: Site, browser: Browser,
                                                           framework: Framework) -> None:
    base = server.base
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, base, "lead@example.com")
    page.get_by_role("link", name="Kevät 2026").click()
    page.get_by_role("button", name=re.compile("Start self-assessment.*Asiakaspalvelu")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Self-assessment: Asiakaspalvelu")

    answer_factor(page, framework, 0)
    expect(page.locator("#progress li").first).to_have_class("complete")
    # Leave and come back: the answers are still there.
    page.reload()
    first = framework.factors[0].questions[0]
    expect(page.locator(f"#c-{first.id}-1")).to_be_checked()

    # The factor links swap the questionnaire in place (htmx) and push the factor's URL.
    second = framework.factors[1]
    page.locator("#progress a").nth(1).click()
    expect(page).to_have_url(re.compile(f"/factors/{second.id}$"))
    expect(page.locator("#questionnaire h2")).to_contain_text(second.name["en"])
    answer_factor(page, framework, 1)
    for index in range(2, len(framework.factors)):
        page.get_by_role("button", name="Save and continue").click()
        expect(page.locator("#questionnaire h2")).to_contain_text(
            framework.factors[index].name["en"])
        answer_factor(page, framework, index)
    page.get_by_role("button", name="Save and review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review and submit")
    page.get_by_role("button", name="Submit the self-assessment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Results: Asiakaspalvelu")
    radar = page.locator(".chart svg[role='img']")
    expect(radar).to_be_visible()
    rows = page.locator("table.scores tbody tr")
    expect(rows).to_have_count(len(framework.factors))
    expect(rows.first.locator("td").first).to_have_text(re.compile(r"^\d\.\d$"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "results-phone.png"), full_page=True)
    context.close()


def test_questionnaire_works_without_javascript(server: Site, browser: Browser,
                                                framework: Framework) -> None:
    base, round_id = server.base, server.round_id
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, base, "konsultti@example.com")
    page.get_by_role("button", name="Suomi").click()
    page.goto(f"{base}/rounds/{round_id}")
    page.get_by_role("button", name=re.compile("Aloita itsearviointi.*Asiakaspalvelu")).click()
    factor = framework.factors[0]
    for question in factor.questions:
        page.locator(f"label[for='c-{question.id}-3']").click()
    page.locator(f"#note-{factor.questions[0].id}").fill("<b>Ei vuosikelloa</b>")
    page.locator("button[name=go][value=next]").click()
    expect(page.locator("#questionnaire h2")).to_contain_text(framework.factors[1].name["fi"])
    page.locator("#progress a").first.click()
    for question in factor.questions:
        expect(page.locator(f"#c-{question.id}-3")).to_be_checked()
    expect(page.locator(f"#note-{factor.questions[0].id}")).to_have_value("<b>Ei vuosikelloa</b>")
    context.close()


def test_unit_lead_sees_only_their_unit(server: Site, browser: Browser) -> None:
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, server.base, "lead@example.com")
    expect(page.get_by_role("heading", name="Your units in Selaintesti Oy")).to_be_visible()
    page.get_by_role("link", name="Kevät 2026").click()
    rows = page.locator("table.data-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text("Asiakaspalvelu")
    expect(page.get_by_text("Markkinointi")).to_have_count(0)
    response = page.goto(f"{server.base}/assessments/{server.other_assessment_id}/results")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_text("Markkinointi")).to_have_count(0)
    context.close()
