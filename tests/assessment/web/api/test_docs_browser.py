"""The API's docs page in Chromium: Swagger UI renders every operation from the app's own
static files under the app's Content-Security-Policy, with no violation and no error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from assessment.migrate import upgrade
from assessment.web.api.app import openapi_text
from assessment.web.app import create_app
from tests.assessment.web.browser_support import serve
from tests.conftest import make_settings

pytestmark = pytest.mark.browser

WATCH_CSP = """document.addEventListener("securitypolicyviolation", (e) => {
  (window.cspViolations = window.cspViolations || []).push(
    `${e.violatedDirective} ${e.blockedURI}`);
});"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The app on an empty database (the docs page needs no data)."""
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'docs.db'}"))
    upgrade(app.state.engine)
    with serve(app) as base:
        yield base
    app.state.engine.dispose()


def test_the_docs_page_renders_under_the_csp(site: str, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.add_init_script(WATCH_CSP)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(f"{site}/api/v1/docs")
    assert response is not None and "script-src 'self'" in response.headers[
        "content-security-policy"]
    operations = sum(len(item) for item in json.loads(openapi_text())["paths"].values())
    expect(page.locator(".opblock")).to_have_count(operations)
    expect(page.get_by_text("SoMe Maturity Workshop API")).to_be_visible()
    expect(page.locator("button.authorize")).to_be_visible()
    assert page.evaluate("window.cspViolations || []") == []
    assert errors == []
    assert all(url.startswith(site) for url in requests), requests
    context.close()
