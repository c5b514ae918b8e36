"""Browser tests: a person completes a self-assessment in the system Chromium."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlmodel import Session

from assessment import services
from assessment.framework import Framework
from assessment.migrate import upgrade
from assessment.models import Role
from assessment.web.app import create_app
from tests.conftest import make_settings
from tests.factories import PASSWORD, make_organisation, make_unit, make_user

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Site:
    """The running app and what the tests need to know about its data."""

    base: str
    round_id: int
    other_assessment_id: int


@pytest.fixture
def server(tmp_path: Path, framework: Framework) -> Iterator[Site]:
    """The app on a loopback port with an SQLite file, a consultant and a unit lead."""
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'browser.db'}"))
    upgrade(app.state.engine)
    with Session(app.state.engine, expire_on_commit=False) as session:
        organisation = make_organisation(session, name="Selaintesti Oy")
        service = make_unit(session, organisation=organisation, name="Asiakaspalvelu")
        marketing = make_unit(session, organisation=organisation, name="Markkinointi")
        round_ = services.create_round(session, organisation, "Kevät 2026", framework)
        other = services.get_or_create_assessment(session, round_, marketing)
        services.submit_assessment(session, other)
        session.commit()
        make_user(session, email="konsultti@example.com", organisation=organisation,
                  role=Role.consultant)
        make_user(session, email="lead@example.com", organisation=organisation,
                  role=Role.unit_lead, units=[service])
        site = Site("", round_.id or 0, other.id or 0)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", site.round_id, site.other_assessment_id)
    instance.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")


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
