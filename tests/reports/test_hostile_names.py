"""Names that matplotlib would read as mathtext (or leave out of a legend) work on every page
and report that draws a chart: the dashboard, trends, compare, the roadmap, the leadership
brief and the roadmap PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from assessment import roadmap, services
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Catalogues
from assessment.models import Organisation, Round, Unit
from reports.brief import brief_html, build_brief
from reports.pdf import report_environment
from reports.roadmap_report import build_roadmap_report, roadmap_report_html
from tests.assessment.web.test_dashboard import answer
from tests.factories import make_organisation, make_unit
from tests.reports.conftest import read_back

ROUND = "Sales $\\foo$"
UNIT = "50% \\n $x^2$"
HIDDEN = "_Hidden unit"
PHASE = "Wave $\\bar$ 100%"


@dataclass(frozen=True)
class World:
    organisation: Organisation
    units: list[Unit]
    rounds: list[Round]


def make_world(session: Session, framework: Framework) -> World:
    """Two units with hostile names, two rounds (the newest with a hostile name), a phase."""
    organisation = make_organisation(session, name="Dollar $ Oy")
    first_unit = make_unit(session, organisation=organisation, name=UNIT)
    second_unit = make_unit(session, organisation=organisation, name=HIDDEN)
    older = services.create_round(session, organisation, "Kevät $2025$", framework)
    newer = services.create_round(session, organisation, ROUND, framework)
    session.commit()
    for round_, level in ((older, 2), (newer, 3)):
        answer(session, round_, first_unit, framework, {}, default=level)
        answer(session, round_, second_unit, framework, {}, default=level + 1)
    phase = roadmap.create_phase(session, organisation, framework, roadmap.PhaseInput(
        "wave", PHASE, "2026-01-01", "2026-06-30", [framework.factors[0].id]))
    roadmap.place_unit(session, phase, first_unit)
    roadmap.place_unit(session, phase, second_unit)
    session.commit()
    return World(organisation, [first_unit, second_unit], [older, newer])


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ").split())


def test_pages_with_charts_show_hostile_names(client: TestClient, db: Session,
                                              framework: Framework) -> None:
    world = make_world(db, framework)
    org = world.organisation.id
    first, second = (u.id for u in world.units)
    urls = [f"/organisations/{org}/dashboard", f"/organisations/{org}/dashboard?round="
            f"{world.rounds[0].id}", f"/units/{first}/trend", f"/units/{second}/trend",
            f"/organisations/{org}/compare?units={first}&units={second}",
            f"/organisations/{org}/roadmap"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        svg = BeautifulSoup(response.text, "html.parser").select("svg")
        assert svg, url
        drawn = " ".join(" ".join(s.get_text(" ") for s in svg).split())
        assert UNIT in drawn or ROUND in drawn or PHASE in drawn, url
    compare = client.get(f"/organisations/{org}/compare?units={first}&units={second}")
    legend = " ".join(" ".join(s.get_text(" ") for s in
                               BeautifulSoup(compare.text, "html.parser").select("svg")).split())
    assert UNIT in legend and HIDDEN in legend
    assert ROUND in page_text(client.get(f"/units/{first}/trend"))


# The reports are built from the data the pages read: one database is enough.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_brief_and_the_roadmap_pdf_draw_hostile_names(session: Session,
                                                         registry: FrameworkRegistry,
                                                         framework: Framework) -> None:
    world = make_world(session, framework)
    t = Catalogues().translator("en")
    brief = build_brief(session, registry, world.organisation)
    _pdf, _reader, pages, _fetcher = read_back(brief_html(brief, t, report_environment()))
    text = " ".join(" ".join(pages).split())
    assert ROUND in text and UNIT in text and HIDDEN in text
    report = build_roadmap_report(session, registry, world.organisation,
                                  now=datetime(2026, 3, 1, tzinfo=UTC))
    _pdf, _reader, pages, _fetcher = read_back(roadmap_report_html(report, t,
                                                                   report_environment()))
    text = " ".join(" ".join(pages).split())
    assert PHASE in text and UNIT in text
