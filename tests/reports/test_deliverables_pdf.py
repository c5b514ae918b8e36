"""The three PDFs as deliverables, read back with pypdf: the brand on the cover and on every
page, the one-page executive summary right after the cover, and no page less than a third
full except the last page of a part."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from assessment.demo import PILOT_UNIT, load_demo
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Catalogues
from assessment.models import Organisation, Round, Unit
from reports.brief import brief_html, build_brief
from reports.pdf import report_environment
from reports.roadmap_report import build_roadmap_report, roadmap_report_html
from reports.unit_report import build_unit_report, unit_report_html
from tests.reports.conftest import read_back
from tests.reports.pagefill import page_fills, underfull_pages
from tests.reports.test_slides import BRAND


@pytest.fixture
def database_url() -> str:
    """The PDFs are rendered from built data: one database kind is enough."""
    return "sqlite://"


@pytest.fixture
def demo(session: Session, framework: Framework) -> Organisation:
    return load_demo(session, framework).organisation


def the_three(session: Session, registry: FrameworkRegistry, organisation: Organisation,
              language: str) -> dict[str, str]:
    t = Catalogues().translator(language)
    environment = report_environment()
    unit = session.exec(select(Unit).where(Unit.name == PILOT_UNIT)).one()
    spring = session.exec(select(Round).order_by(Round.id)).all()[1]
    unit_report = build_unit_report(session, registry, spring, unit, min_votes=3)
    return {
        "unit": unit_report_html(unit_report, t, environment, BRAND),
        "roadmap": roadmap_report_html(build_roadmap_report(session, registry, organisation),
                                       t, environment, BRAND),
        "brief": brief_html(build_brief(session, registry, organisation), t, environment,
                            BRAND),
    }


def test_the_pdfs_are_branded_open_with_a_summary_and_have_no_near_empty_page(
        session: Session, registry: FrameworkRegistry, demo: Organisation) -> None:
    for kind, html in the_three(session, registry, demo, "en").items():
        pdf, reader, pages, fetcher = read_back(html)
        assert fetcher.refused == [], kind
        cover = pages[0]
        assert "Kumppani Consulting" in cover and "kalle@kumppani.example" in cover, kind
        for number, text in enumerate(pages[1:], start=2):
            assert "Kumppani · Luottamuksellinen" in text, (kind, number)
            assert "Kumppani Consulting" in text, (kind, number)  # the running header
        summary = pages[1]
        assert summary.lstrip().startswith("Executive summary"), kind
        assert "The largest gaps to target" in summary, kind
        assert "Next" in summary, kind
        assert "Contents" not in summary, kind  # the summary has its page to itself
        # The cover's logo is embedded (an image), never fetched.
        assert any(page.images for page in reader.pages[:1]) or "/XObject" in str(
            reader.pages[0]["/Resources"]), kind
        fills = page_fills(pdf)
        assert fills[1].fill > 0.4, kind  # the summary fills a good part of its page
        assert underfull_pages(pdf) == [], (kind, [(p.number, round(p.fill, 2))
                                                   for p in underfull_pages(pdf)])


def test_the_summary_names_the_three_largest_gaps_in_finnish(
        session: Session, registry: FrameworkRegistry, demo: Organisation) -> None:
    unit = session.exec(select(Unit).where(Unit.name == PILOT_UNIT)).one()
    spring = session.exec(select(Round).order_by(Round.id)).all()[1]
    report = build_unit_report(session, registry, spring, unit, min_votes=3)
    gaps = report.summary_gaps
    assert len(gaps) == 3
    assert [g.gap for g in gaps] == sorted((g.gap for g in gaps), reverse=True)
    every_gap = sorted((s.gap for s in report.sections if s.gap), reverse=True)
    assert [g.gap for g in gaps] == every_gap[:3]
    t = Catalogues().translator("fi")
    _pdf, _reader, pages, _fetcher = read_back(unit_report_html(report, t,
                                                               report_environment(), BRAND))
    summary = " ".join(pages[1].split())
    assert "Johdon yhteenveto" in summary and "Suurimmat erot tavoitetasoon" in summary
    for gap in gaps:
        name = t.text(report.framework.factor(gap.factor_id).name)
        assert f"{name}: nyt" in summary
    assert report.next_phase is not None
    assert report.next_phase.name in summary
