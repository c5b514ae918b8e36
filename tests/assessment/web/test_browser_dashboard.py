"""Browser test: a leadership member opens the dashboard, filters it to a sub-tree of units
(swapped in place by htmx, with the URL pushed) and opens a unit's trend."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from assessment import services
from assessment.framework import Framework
from assessment.migrate import upgrade
from assessment.models import Role
from assessment.web.app import create_app
from tests.assessment.web.browser_support import ARTIFACTS, serve, sign_in
from tests.conftest import make_settings
from tests.factories import make_organisation, make_unit, make_user

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Dashboard:
    base: str
    organisation_id: int
    units: dict[str, int]


@pytest.fixture
def dashboard_site(tmp_path: Path, framework: Framework) -> Iterator[Dashboard]:
    """Two rounds of four units (one a sub-unit) and a leadership member."""
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'dashboard.db'}"))
    upgrade(app.state.engine)
    with Session(app.state.engine, expire_on_commit=False) as session:
        organisation = make_organisation(session, name="Pohjola Oy")
        service = make_unit(session, organisation=organisation, name="Asiakaspalvelu")
        chat = make_unit(session, organisation=organisation, name="Chat", parent=service)
        marketing = make_unit(session, organisation=organisation, name="Markkinointi")
        comms = make_unit(session, organisation=organisation, name="Viestintä")
        rounds = [services.create_round(session, organisation, name, framework)
                  for name in ("Kevät 2025", "Kevät 2026")]
        plan = [(0, service, 2), (0, marketing, 3), (0, comms, 2),
                (1, service, 3), (1, chat, 2), (1, marketing, 4), (1, comms, 3)]
        for index, unit, level in plan:
            assessment = services.get_or_create_assessment(session, rounds[index], unit)
            services.save_answers(session, assessment, framework, [
                services.AnswerInput(q.id, str(level if n % 2 else min(level + 1, 5)))
                for f in framework.factors for n, q in enumerate(f.questions)])
        session.commit()
        make_user(session, email="johto@example.com", organisation=organisation,
                  role=Role.leadership)
        site = Dashboard("", organisation.id or 0,
                         {u.name: u.id or 0 for u in (service, chat, marketing, comms)})
    with serve(app) as base:
        yield Dashboard(base, site.organisation_id, site.units)
    app.state.engine.dispose()


def test_leadership_filters_the_dashboard_and_opens_a_unit_trend(
        dashboard_site: Dashboard, browser: Browser) -> None:
    site = dashboard_site
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, site.base, "johto@example.com")
    page.get_by_role("link", name="Pohjola Oy").click()
    page.get_by_role("link", name="Dashboard: units, trends and rollout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard: Pohjola Oy")
    rows = page.locator("table.heatmap tbody tr")
    expect(rows).to_have_count(4)
    weakest = page.locator("table.heatmap td.weakest[data-factor='goals']")
    expect(weakest).to_have_count(1)
    expect(weakest.locator("xpath=..").locator("th")).to_have_text("Chat")
    expect(page.locator("#trend-goals svg[role='img']")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    # Filter to the customer service sub-tree: htmx swaps the content and pushes the URL.
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Units", exact=True).select_option(label="Asiakaspalvelu")
    page.get_by_role("button", name="Show").click()
    # The chosen framework stays in the address with the round and unit.
    expect(page).to_have_url(re.compile(
        rf"/dashboard\?framework=[\w-]+&round=\d+&unit={site.units['Asiakaspalvelu']}$"))
    expect(rows).to_have_count(2)
    expect(page.locator("table.heatmap tbody th")).to_have_text(["Asiakaspalvelu", "Chat"])
    expect(page.locator("#heatmap-scope")).to_contain_text("Asiakaspalvelu and the units below it")
    assert page.evaluate("window.notReloaded") is True, "the filter reloaded the whole page"
    page.screenshot(path=str(ARTIFACTS / "dashboard-sub-tree.png"), full_page=True)

    # Back restores the whole organisation; forward the sub-tree.
    page.go_back()
    expect(rows).to_have_count(4)
    page.go_forward()
    expect(rows).to_have_count(2)

    page.get_by_role("link", name="Chat", exact=True).click()
    expect(page).to_have_url(f"{site.base}/units/{site.units['Chat']}/trend?framework=some-maturity")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trend: Chat")
    expect(page.locator("#versus svg[role='img']")).to_be_visible()
    expect(page.locator("#versus table tbody tr")).to_have_count(8)
    expect(page.locator("#one-round")).to_contain_text("A trend needs two rounds")
    expect(page.locator("#trend-goals table tbody tr")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "unit-trend.png"), full_page=True)
    context.close()
