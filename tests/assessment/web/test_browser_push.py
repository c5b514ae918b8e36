"""Browser test: three phones follow the console's moves pushed by server-sent events, with
no poll, and again after the server restarts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from playwright.sync_api import Browser, Page, Request, expect
from sqlmodel import Session

from assessment import services, workshops
from assessment.framework import Framework
from assessment.migrate import upgrade
from assessment.models import Role
from assessment.web.app import create_app
from tests.assessment.web.browser_support import free_port, serve, sign_in
from tests.conftest import make_settings
from tests.factories import make_organisation, make_unit, make_user

pytestmark = pytest.mark.browser
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                         "has_touch": True, "locale": "en-GB"}
# Pushed, a move reaches the phones in well under a second; polling would need up to 2 s.
FOLLOW_MS = 1_500


def question_text(page: Page) -> str:
    return page.locator("#step .question-text").inner_text()


def test_three_phones_follow_pushed_moves_without_polling_and_after_a_restart(
        tmp_path: Path, browser: Browser, framework: Framework) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'push.db'}")
    app = create_app(settings)
    upgrade(app.state.engine)
    questions = [s for s in workshops.agenda(framework) if s.kind is workshops.StepKind.question]
    with Session(app.state.engine, expire_on_commit=False) as session:
        organisation = make_organisation(session, name="Työntö Oy")
        unit = make_unit(session, organisation=organisation, name="Asiakaspalvelu")
        round_ = services.create_round(session, organisation, "Kevät 2026", framework)
        make_user(session, email="konsultti@example.com", organisation=organisation,
                  role=Role.consultant)
        workshop = workshops.create_workshop(session, round_, unit, by=None)
        workshops.go_to(session, workshop, framework, questions[0].index - 1)
        session.commit()
    texts = [framework.question(s.question_id or "")[1].text["en"] for s in questions[:2]]
    port = free_port()
    polls: list[str] = []

    def count_polls(request: Request) -> None:
        if request.method == "GET" and re.search(rf"/w/{workshop.code}\?v=", request.url):
            polls.append(request.url)

    with serve(app, port) as base:
        facilitator = browser.new_context(locale="en-GB", viewport={"width": 1280,
                                                                     "height": 800})
        console = facilitator.new_page()
        sign_in(console, base, "konsultti@example.com")
        console.goto(f"{base}/workshops/{workshop.id}")
        phones = []
        for n in range(3):
            page = browser.new_context(**PHONE).new_page()
            page.on("request", count_polls)
            page.goto(f"{base}/join?code={workshop.code}")
            page.get_by_label("Nickname (optional)").fill(f"Puhelin {n}")
            page.get_by_role("button", name="Join").click()
            expect(page.locator("[data-live]")).to_have_attribute("data-live", "up")
            phones.append(page)
        console.get_by_role("button", name="Next step").click()
        for page in phones:
            expect(page.locator("#step .question-text")).to_have_text(
                texts[0], timeout=FOLLOW_MS)
        # A vote still works on the pushed step (its form carries the phone's own token).
        phones[0].get_by_role("radio").first.check()
        expect(phones[0].locator("#vote [role=status]")).to_have_text("Saved")
        console.wait_for_timeout(2_500)  # longer than a poll's interval
        assert polls == [], polls
    app.state.live.close()
    app.state.engine.dispose()

    # The server restarts (a new process: a new app on the same database and port). The
    # phones reconnect by themselves, with the version they last saw.
    restarted = create_app(settings)
    with serve(restarted, port):
        for page in phones:
            expect(page.locator("[data-live]")).to_have_attribute("data-live", "up",
                                                                 timeout=15_000)
        polls.clear()
        console.reload()
        console.get_by_role("button", name="Next step").click()
        for page in phones:
            expect(page.locator("#step .question-text")).to_have_text(
                texts[1], timeout=FOLLOW_MS)
            assert str(escape("Puhelin")) in page.locator("#step p.meta").inner_text()
        assert polls == [], polls
    restarted.state.live.close()
    restarted.state.engine.dispose()
