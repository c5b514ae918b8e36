"""Browser crawl: every page reachable from the demo data, for each role, at a phone's and a
laptop's width, has no horizontal overflow, no axe-core violation and no Nu HTML checker error.

One crawl feeds all three checks. Each role signs in and follows same-origin GET links from
the start page (a few instances of each route pattern, downloads and sign-out skipped); a
running workshop adds the join page, a participant's phone screen and the projector. Every
page's served HTML is kept once and checked by vnu in one batch. axe-core and vnu.jar come from
the npm registry, pinned, through `scripts/fetch-assets.sh --test`.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit
from urllib.request import urlopen

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from sqlmodel import Session, select

from assessment import demo, workshops
from assessment.framework import Framework
from assessment.migrate import upgrade
from assessment.models import (
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Organisation,
    Round,
    Unit,
    Workshop,
    WorkshopStatus,
)
from assessment.web.app import create_app
from assessment.workshops import StepKind
from tests.assessment.web.browser_support import ARTIFACTS, serve, sign_in
from tests.conftest import make_settings
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

ASSETS = Path(__file__).resolve().parents[3] / "test-assets"
AXE = ASSETS / "axe.min.js"
VNU = ASSETS / "vnu.jar"
WIDTHS: dict[str, ViewportSize] = {"phone": {"width": 390, "height": 844},
                                   "laptop": {"width": 1280, "height": 800}}
# The WCAG 2.1 A and AA rules, and axe's best practices (landmark-unique is one of them).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# Pages visited per route pattern: two for the first role that reaches it, one for each
# further role (a role sees its own controls on the same kind of page).
INSTANCES = 2
DOWNLOADS = (".pdf", ".csv", ".xlsx", ".json")
SKIPPED_PATHS = ("/sign-out",)
WORKSHOP_UNIT = "Myynti"
NEEDS_UNIT = "Markkinointi"  # a second running workshop, at its needs step

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at `
    + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}"""
LINKS = """() => [...document.querySelectorAll("a[href]")]
  .filter((a) => !a.hasAttribute("download")).map((a) => a.href)"""


@dataclass(frozen=True)
class DemoSite:
    base: str
    workshop_id: int
    code: str
    needs_workshop_id: int
    seeds: dict[str, tuple[str, ...]]  # role -> pages no early link leads to within the bounds


@dataclass
class Crawl:
    """What the crawl found: pages visited, problems per check, each page's HTML once."""

    visited: dict[str, list[str]] = field(default_factory=dict)  # role -> paths and queries
    patterns: set[str] = field(default_factory=set)  # route patterns any role has visited
    overflow: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)
    html: dict[str, str] = field(default_factory=dict)  # "role path" -> served HTML
    failed: set[str] = field(default_factory=set)  # requests answered with an error
    checks: int = 0  # pages checked for overflow and by axe-core, at either width


def route_pattern(url: str) -> str:
    """A URL's route: numbers become {n}, factor ids {factor}, the query keeps only its
    keys."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/{n}", parts.path)
    path = re.sub(r"/factors/[^/]+$", "/factors/{factor}", path)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{path}?{'&'.join(keys)}" if keys else path


def crawlable(url: str, base: str) -> bool:
    """A same-origin page that a GET shows (no download, no sign-out)."""
    if not url.startswith(base + "/"):
        return False
    path = urlsplit(url).path
    # The JSON API's docs page is Swagger UI's own markup (tests/assessment/web/api/
    # test_docs_browser.py checks that it renders under the app's CSP).
    return not path.endswith(DOWNLOADS) and path not in SKIPPED_PATHS \
        and not path.startswith("/api/")


def seeds(session: Session, organisation: Organisation, latest: Round,
          running_workshop: int) -> dict[str, tuple[str, ...]]:
    """Pages to start from besides the home page: a self-assessment in progress (the
    questionnaire), the demo workshop's results and a running workshop's console."""
    draft = session.exec(select(Assessment).where(
        Assessment.round_id == latest.id, Assessment.kind == AssessmentKind.self,
        Assessment.status == AssessmentStatus.draft)).first()
    finished = session.exec(select(Workshop).where(
        Workshop.organisation_id == organisation.id,
        Workshop.status == WorkshopStatus.closed)).one()
    assert draft is not None
    common = (f"/assessments/{draft.id}", f"/assessments/{finished.assessment_id}/results")
    return {"admin@demo.example": (*common, f"/workshops/{running_workshop}"),
            "konsultti@demo.example": (*common, f"/workshops/{running_workshop}"),
            "johto@demo.example": common,
            # The demo workshop was held for the unit lead's own unit.
            "asiakaspalvelu@demo.example": (f"/assessments/{finished.assessment_id}/results",)}


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory, framework: Framework,
              ) -> Iterator[DemoSite]:
    """The demo organisation and its users, plus a running workshop at a revealed question."""
    path = tmp_path_factory.mktemp("crawl") / "demo.db"
    app = create_app(make_settings(f"sqlite:///{path}"))
    upgrade(app.state.engine)
    with Session(app.state.engine, expire_on_commit=False) as session:
        summary = demo.load_demo(session, framework)
        demo.demo_users(session, summary.organisation, PASSWORD)
        organisation: Organisation = summary.organisation
        unit = session.exec(select(Unit).where(Unit.organisation_id == organisation.id,
                                               Unit.name == WORKSHOP_UNIT)).one()
        latest = session.exec(select(Round).where(Round.organisation_id == organisation.id)
                              .order_by(Round.id.desc())).first()  # type: ignore[union-attr]
        assert latest is not None
        workshop = workshops.create_workshop(session, latest, unit, by=None)
        people = [workshops.join(session, workshop, f"Osallistuja {i}")[0] for i in range(4)]
        step = next(s for s in workshops.agenda(framework) if s.kind == StepKind.question)
        workshops.go_to(session, workshop, framework, step.index)
        assert step.question_id is not None
        for level, person in enumerate(people, start=1):
            workshops.vote(session, workshop, framework, person, step.question_id, str(level))
        workshops.set_revealed(session, workshop, framework, step.question_id, True)
        needs_unit = session.exec(select(Unit).where(Unit.organisation_id == organisation.id,
                                                     Unit.name == NEEDS_UNIT)).one()
        at_needs = workshops.create_workshop(session, latest, needs_unit, by=None)
        person = workshops.join(session, at_needs, "Osallistuja")[0]
        for text in ("Yhteinen vuosikello", "Mittarit puuttuvat"):
            workshops.post_need(session, at_needs, framework, person, text)
        session.commit()
        site = DemoSite("", workshop.id or 0, workshop.code, at_needs.id or 0,
                        seeds(session, organisation, latest, workshop.id or 0))
    with serve(app) as base:
        yield DemoSite(base, site.workshop_id, site.code, site.needs_workshop_id, site.seeds)
    app.state.engine.dispose()


def new_context(browser: Browser, width: str, crawl: Crawl,
                locale: str = "en-GB") -> BrowserContext:
    """A context at one of the widths with axe-core in every page, noting every request
    answered with an error (CSP bypassed only for axe-core)."""
    context = browser.new_context(locale=locale, viewport=WIDTHS[width], bypass_csp=True)
    context.set_default_timeout(10_000)
    # Every page gets axe-core before its own scripts: compiled once per context, not per page.
    context.add_init_script(path=str(AXE))
    context.on("response", lambda response: crawl.failed.add(
        f"{response.status} {response.request.method} {response.url}")
        if response.status >= 400 else None)
    return context


def check(page: Page, crawl: Crawl, name: str, width: str, url: str) -> list[str]:
    """Open `url`, check overflow and axe; keep its HTML (once); return its links."""
    response = page.goto(url)
    assert response is not None, url
    where = f"{name} {urlsplit(url).path}{'?' + urlsplit(url).query if urlsplit(url).query else ''}"
    if response.status >= 400:
        return []
    crawl.checks += 1
    if where not in crawl.html:
        crawl.html[where] = response.text()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        crawl.overflow.append(f"{where} at {width}: {widths[0] - widths[1]} px too wide")
    page.wait_for_function("typeof axe !== 'undefined'")
    crawl.axe += [f"{where} at {width}: {v}" for v in page.evaluate(AXE_RUN, AXE_TAGS)]
    return list(page.evaluate(LINKS))


def crawl_role(context: BrowserContext, crawl: Crawl, email: str, site: DemoSite) -> list[str]:
    """Sign in and follow links breadth-first at the context's width; returns the URLs."""
    base = site.base
    page = context.new_page()
    sign_in(page, base, email)
    queue = [f"{base}/", *(f"{base}{path}" for path in site.seeds[email])]
    seen, per_pattern = set(queue), dict[str, int]()
    visited: list[str] = []
    while queue:
        url = queue.pop(0)
        pattern = route_pattern(url)
        if per_pattern.get(pattern, 0) >= (1 if pattern in crawl.patterns else INSTANCES):
            continue
        per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
        visited.append(url)
        for link in check(page, crawl, email, "laptop", url):
            link = link.split("#")[0]
            if crawlable(link, base) and link not in seen:
                seen.add(link)
                queue.append(link)
    page.close()
    crawl.patterns |= set(per_pattern)
    return visited


def revisit(context: BrowserContext, crawl: Crawl, name: str, email: str, base: str,
            urls: list[str]) -> None:
    """Sign in (whatever the page's language) and check the same pages at the phone's width."""
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/sign-in"))
    for url in urls:
        check(page, crawl, name, "phone", url)
    page.close()


def workshop_pages(browser: Browser, crawl: Crawl, site: DemoSite, width: str) -> None:
    """Without an account the sign-in and join pages and a participant's screen; the
    projector."""
    context = new_context(browser, width, crawl)
    page = context.new_page()
    check(page, crawl, "anonymous", width, f"{site.base}/sign-in")
    check(page, crawl, "participant", width, f"{site.base}/join")
    page.get_by_label("Workshop code").fill(site.code)
    page.get_by_role("button", name="Join").click()
    expect(page).to_have_url(re.compile(rf"/w/{site.code}$"))
    check(page, crawl, "participant", width, page.url)
    context.close()
    context = new_context(browser, width, crawl)
    page = context.new_page()
    sign_in(page, site.base, "konsultti@demo.example")
    check(page, crawl, "projector", width, f"{site.base}/workshops/{site.workshop_id}/projector")
    context.close()


@pytest.fixture(scope="module")
def crawl(demo_site: DemoSite, browser: Browser) -> Crawl:
    """Crawl every role at the laptop's width, then the same pages at the phone's."""
    assert AXE.is_file() and VNU.is_file(), "run ./scripts/fetch-assets.sh --test"
    found = Crawl()
    for email, *_ in demo.DEMO_USERS:
        context = new_context(browser, "laptop", found)
        urls = crawl_role(context, found, email, demo_site)
        found.visited[email] = [url.removeprefix(demo_site.base) for url in urls]
        context.close()
        context = new_context(browser, "phone", found)
        revisit(context, found, email, email, demo_site.base, urls)
        context.close()
    for width in WIDTHS:
        workshop_pages(browser, found, demo_site, width)
    # Finnish words are longer: the administrator's pages again on a Finnish phone.
    admin = demo.DEMO_USERS[0][0]
    context = new_context(browser, "phone", found, locale="fi-FI")
    revisit(context, found, f"{admin} (fi)", admin, demo_site.base,
            [f"{demo_site.base}{path}" for path in found.visited[admin]])
    context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "crawl.txt").write_text("".join(
        f"{email}: {len(paths)} pages\n" + "".join(f"  {path}\n" for path in paths)
        for email, paths in found.visited.items())
        + f"{found.checks} page views checked for overflow and by axe-core; "
        f"{len(found.html)} pages' HTML checked by the Nu HTML checker\n",
        encoding="utf-8")
    return found


def test_the_crawl_reaches_every_kind_of_page(crawl: Crawl) -> None:
    admin, consultant, leadership, lead = (crawl.visited[e] for e, *_ in demo.DEMO_USERS)
    routes = {route_pattern(p.split("?")[0]) for p in admin + consultant}
    for expected in ("/organisations/{n}", "/organisations/{n}/members",
                     "/organisations/{n}/audit", "/organisations/{n}/dashboard",
                     "/organisations/{n}/roadmap", "/rounds/{n}", "/units/{n}/trend",
                     "/units/{n}/plan", "/assessments/{n}/results", "/workshops/{n}",
                     "/users", "/account", "/assessments/{n}",
                     "/assessments/{n}/factors/{factor}", "/assessments/{n}/review",
                     "/organisations/{n}/dashboard/factors/{factor}"):
        assert expected in routes, expected
    assert len(set(leadership)) > 5 and len(set(lead)) > 3
    pages = " ".join(crawl.html)
    assert all(path in pages for path in ("/sign-in", "/join", "/w/", "/projector"))
    finnish = [html for where, html in crawl.html.items() if "(fi)" in where]
    assert len(finnish) == len(admin) and all('<html lang="fi">' in h for h in finnish)


def test_no_request_fails_and_every_page_links_the_favicon(crawl: Crawl,
                                                          demo_site: DemoSite) -> None:
    if crawl.failed:
        pytest.fail("\n".join(sorted(crawl.failed)), pytrace=False)
    icons = {where: re.findall(r'<link rel="icon" href="([^"]+)"', html)
             for where, html in crawl.html.items()}
    assert all(len(found) == 1 for found in icons.values()), icons
    for href in {found[0] for found in icons.values()}:
        with urlopen(urljoin(demo_site.base, href)) as reply:
            assert reply.status == 200
            assert reply.headers["content-type"].startswith("image/svg+xml")
            assert b"<svg" in reply.read()


def test_a_pushed_box_waits_while_the_facilitator_is_in_its_form(
        demo_site: DemoSite, browser: Browser) -> None:
    """app.js, htmx and its SSE extension read the data-hx-* and data-sse-* attributes: the
    console's live box is pushed (its poll skipped while the stream is held), a change
    pushed while focus is in its merge form is held back, and the box's next poll once focus
    leaves brings it."""
    context = browser.new_context(locale="en-GB", viewport=WIDTHS["laptop"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, demo_site.base, "konsultti@demo.example")
    url = f"{demo_site.base}/workshops/{demo_site.needs_workshop_id}"
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url)
            if request.url.startswith(f"{url}?seen=") else None)
    page.goto(url)
    expect(page.locator("[data-live]")).to_have_attribute("data-live", "up")
    page.wait_for_timeout(3_000)
    assert polls == [], "the live box polled although its stream is held"
    found = re.search(r"Join code ([A-Z0-9]{6})", page.locator("p.meta").first.inner_text())
    assert found is not None
    count = page.locator("#live p strong").first
    before = count.inner_text()
    page.get_by_label("Keep").focus()
    phone = browser.new_context(locale="en-GB").new_page()
    phone.goto(f"{demo_site.base}/join?code={found.group(1)}")
    phone.get_by_role("button", name="Join").click()
    expect(phone.locator("#step")).to_be_visible()
    page.wait_for_timeout(4_500)
    assert count.inner_text() == before, "the live box was swapped while in its form"
    assert polls == [], "the live box polled while the facilitator was in its form"
    page.evaluate("document.activeElement.blur()")
    expect(count).not_to_have_text(before)
    assert len(polls) >= 1, "the held-back change did not come with the next poll"
    phone.context.close()
    context.close()


def test_no_page_overflows_horizontally(crawl: Crawl) -> None:
    if crawl.overflow:
        pytest.fail("\n".join(crawl.overflow), pytrace=False)


def test_axe_reports_a_violation_it_is_shown(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content('<!doctype html><html lang="en"><title>Canary</title>'
                     '<main><img src="data:,"></main></html>')
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(AXE_RUN, AXE_TAGS)
    page.close()
    assert any(v.startswith("image-alt ") for v in found), found


def test_no_page_has_an_axe_violation(crawl: Crawl) -> None:
    if crawl.axe:
        pytest.fail(f"{len(crawl.axe)} violations:\n" + "\n".join(crawl.axe), pytrace=False)


# Checked with the pages, so that a checker that reports nothing at all fails the test.
CANARY = '<!doctype html><html lang="en"><title>Canary</title><p hx-get="/x">Bare hx-get</p>'


def test_every_page_is_valid_html(crawl: Crawl, tmp_path: Path) -> None:
    names = {"canary.html": "canary"}
    (tmp_path / "canary.html").write_text(CANARY, encoding="utf-8")
    for number, (where, html) in enumerate(sorted(crawl.html.items())):
        name = f"page-{number:03}.html"
        (tmp_path / name).write_text(html, encoding="utf-8")
        names[name] = where
    run = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json",
                          *sorted(str(p) for p in tmp_path.glob("*.html"))],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [(names.get(Path(m.get("url", "")).name, m.get("url")), m)
              for m in messages if m.get("type") in ("error", "non-document-error")]
    assert any(where == "canary" and "hx-get" in m["message"] for where, m in errors), \
        "the HTML checker did not find the canary's bare hx-get"
    found = [f"{where} line {m.get('lastLine')}: {m['message']}"
             for where, m in errors if where != "canary"]
    if found:
        pytest.fail(f"{len(found)} errors:\n" + "\n".join(found), pytrace=False)
