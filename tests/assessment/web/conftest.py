"""Fixtures of the browser tests: the app on a loopback port and the system Chromium.

They are only set up for the tests that ask for them, so the other web tests never start
a browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlmodel import Session

from assessment import services
from assessment.framework import Framework
from assessment.migrate import upgrade
from assessment.models import Role
from assessment.web.app import create_app
from tests.assessment.web.browser_support import CHROMIUM, CHROMIUM_ARGS, Site, serve
from tests.conftest import make_settings
from tests.factories import make_organisation, make_unit, make_user


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
        round_id, other_id = round_.id or 0, other.id or 0
    with serve(app) as base:
        yield Site(base, round_id, other_id)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """The system Chromium, headless, shared by the tests of one module."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
