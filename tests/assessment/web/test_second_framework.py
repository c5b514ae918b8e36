"""An app whose only framework is the OWASP SAMM fixture (groups, levels 0–3): the pages show
the business functions as groups and number the stages from 0, and the framework's own
wording replaces the default framework's; a framework without wording falls back to neutral
text. The domain flow is in tests/assessment/test_second_framework.py."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment import demo, services, workshops
from assessment.framework import Framework, load_framework
from assessment.models import Assessment, Organisation, Round, Unit, Workshop, metadata
from assessment.web.app import create_app
from tests.conftest import FIXTURES, csrf_headers, make_settings, sign_in
from tests.factories import make_organisation, make_unit, make_user

SAMM_FILE = FIXTURES / "frameworks" / "owasp-samm.yaml"
SMALL_FILE = FIXTURES / "frameworks" / "three-stages.yaml"
FUNCTIONS = ["Governance", "Design", "Implementation", "Verification", "Operations"]


def soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def text_of(node) -> str:  # type: ignore[no-untyped-def]
    return " ".join(node.get_text(" ").split()) if node is not None else ""


@dataclass
class Site:
    app: FastAPI
    client: TestClient
    db: Session
    framework: Framework


def _site(tmp_path: Path, source: Path) -> Iterator[Site]:
    folder = tmp_path / "frameworks"
    folder.mkdir()
    shutil.copy(source, folder / source.name)
    app = create_app(make_settings("sqlite://", frameworks_dir=folder))
    metadata.create_all(app.state.engine)
    with Session(app.state.engine, expire_on_commit=False) as db, \
            TestClient(app, headers={"Accept-Language": "en"}) as client:
        make_user(db, email="admin@example.com", is_admin=True)
        csrf_headers(app, client)
        sign_in(client, "admin@example.com")
        yield Site(app, client, db, load_framework(source))
    app.state.engine.dispose()


@pytest.fixture
def samm_site(tmp_path: Path) -> Iterator[Site]:
    """The app with only the SAMM framework, and the SAMM demo organisation loaded."""
    for site in _site(tmp_path, SAMM_FILE):
        demo.load_demo(site.db, site.framework)
        site.db.commit()
        yield site


@pytest.fixture
def small_site(tmp_path: Path) -> Iterator[Site]:
    """The app with only the three-stage framework, which has no wording of its own."""
    yield from _site(tmp_path, SMALL_FILE)


def demo_organisation(db: Session) -> Organisation:
    return db.exec(select(Organisation)).one()


def fresh_assessment(site: Site) -> int:
    organisation = make_organisation(site.db, name="Turva Oy")
    unit = make_unit(site.db, organisation=organisation, name="Kehitys")
    round_ = services.create_round(site.db, organisation, "Kevät 2027", site.framework)
    assessment = services.get_or_create_assessment(site.db, round_, unit)
    site.db.commit()
    return int(assessment.id or 0)


def test_the_questionnaire_lists_practices_under_their_business_functions(
        samm_site: Site) -> None:
    assessment = fresh_assessment(samm_site)
    page = soup(samm_site.client.get(f"/assessments/{assessment}/factors/threat-assessment"))
    groups = page.select("#progress .factor-group")
    assert [text_of(g.select_one(".group-name")) for g in groups] == FUNCTIONS
    assert [len(g.select("li")) for g in groups] == [3] * 5
    assert text_of(page.select_one("#factor-group")) == "Design"
    question = samm_site.framework.factor("threat-assessment").questions[0].id
    values = [i["value"] for i in page.select(f"input[name=choice-{question}]")]
    assert values[:4] == ["0", "1", "2", "3"]


def test_an_answer_of_zero_is_saved_and_one_below_it_refused(samm_site: Site) -> None:
    assessment = fresh_assessment(samm_site)
    question = samm_site.framework.factors[0].questions[0].id
    url = f"/assessments/{assessment}/answers/{question}"
    saved = samm_site.client.post(url, data={f"choice-{question}": "0"},
                                  headers={"HX-Request": "true"})
    assert saved.status_code == 200
    for raw in ("-1", "4"):
        refused = samm_site.client.post(url, data={f"choice-{question}": raw},
                                        headers={"HX-Request": "true"})
        assert refused.status_code == 422
        assert "Choose one of the stages 0–3" in text_of(soup(refused))
    stored = samm_site.db.get(Assessment, assessment)
    assert stored is not None
    answers = services.own_answers(samm_site.db, stored)
    assert answers[question].level == 0
    results_page = soup(samm_site.client.get(f"/assessments/{assessment}/results"))
    rows = results_page.select("table.scores tr.group-row th[scope=rowgroup]")
    assert [text_of(r) for r in rows] == FUNCTIONS
    assert [text_of(p) for p in results_page.select("p.group-name")] == FUNCTIONS
    results = text_of(results_page)
    assert "Each answer is a stage: 0 = None, 3 = Mastered." in results
    assert "1.9 is still “Initial”" in results


def test_the_dashboard_groups_the_heatmap_columns_and_numbers_stages_from_zero(
        samm_site: Site) -> None:
    organisation = demo_organisation(samm_site.db)
    page = soup(samm_site.client.get(f"/organisations/{organisation.id}/dashboard"))
    heads = page.select("table.heatmap thead tr.group-head th[scope=colgroup]")
    assert [text_of(h) for h in heads] == FUNCTIONS
    assert [h["colspan"] for h in heads] == ["3"] * 5
    assert len(page.select("table.heatmap colgroup")) == 6
    assert [text_of(s) for s in page.select(".heat-legend .swatch")][:4] == ["0", "1", "2", "3"]
    cells = page.select("table.heatmap td .cell-score")
    assert cells
    for cell in cells:
        score = Decimal(text_of(cell))
        stage = text_of(cell.find_next_sibling(class_="cell-stage")).rstrip(" ✱")
        assert stage == samm_site.framework.stage_by_level(int(score)).name["en"], (score, stage)
    rows = page.select("table.stage-counts tr.group-row th[scope=rowgroup]")
    assert [text_of(r) for r in rows] == FUNCTIONS
    lead = text_of(page.select_one("p.lead"))
    assert "Software is only as secure as its weakest practice." in lead
    assert "social media" not in page.text.lower()
    footer = text_of(page.select_one("footer.site-footer"))
    assert footer == "Software security model after OWASP SAMM 2.0."


def test_roadmap_console_phone_and_projector_number_stages_from_zero(samm_site: Site) -> None:
    client, db = samm_site.client, samm_site.db
    organisation = demo_organisation(db)
    roadmap_page = soup(client.get(f"/organisations/{organisation.id}/roadmap"))
    gate_options = roadmap_page.select("select[name=gate_level]")[0].select("option")
    assert [o["value"] for o in gate_options] == ["0", "1", "2", "3"]
    assert text_of(gate_options[0]) == "0. None"
    hints = [text_of(p) for p in roadmap_page.select("p.hint[id$=owner_role]")]
    assert hints and set(hints) == {"For example security champion or product owner"}
    assert "community manager" not in roadmap_page.text

    unit = db.exec(select(Unit).where(Unit.organisation_id == organisation.id)).first()
    round_ = db.exec(select(Round).where(Round.organisation_id == organisation.id)
                     .order_by(Round.id.desc())).first()  # type: ignore[union-attr]
    assert unit is not None and round_ is not None
    workshop = workshops.create_workshop(db, round_, unit, by=None)
    db.commit()
    phones = [TestClient(samm_site.app, headers={"Accept-Language": "en"}) for _ in range(3)]
    for number, phone in enumerate(phones):
        csrf_headers(samm_site.app, phone)
        assert phone.post("/join", data={"code": workshop.code.lower(), "nickname": f"P{number}"},
                          follow_redirects=False).status_code == 303
    phone = phones[0]
    needs = text_of(soup(phone.get(f"/w/{workshop.code}")))
    assert "What do you need from secure software development? What worries you? Post as " \
           "many short notes as you like." in needs
    step = next(s for s in workshops.agenda(samm_site.framework) if s.question_id)
    assert client.post(f"/workshops/{workshop.id}/step", data={"index": str(step.index)},
                       follow_redirects=False).status_code == 303
    choices = soup(phone.get(f"/w/{workshop.code}")).select("input[name=choice]")
    assert [c["value"] for c in choices][:4] == ["0", "1", "2", "3"]
    for voter, level in zip(phones, ["0", "0", "1"], strict=True):
        assert voter.post(f"/w/{workshop.code}/votes/{step.question_id}", data={"choice": level},
                          headers={"HX-Request": "true"}).status_code == 200
    refused = phone.post(f"/w/{workshop.code}/votes/{step.question_id}", data={"choice": "-1"},
                         headers={"HX-Request": "true"})
    assert refused.status_code == 422
    client.post(f"/workshops/{workshop.id}/reveal", data={"question_id": step.question_id})
    console = soup(client.get(f"/workshops/{workshop.id}"))
    options = console.select("#consensus-level option")
    assert [o["value"] for o in options] == ["0", "1", "2", "3"]
    assert options[0].has_attr("selected"), "the median, 0, is the suggested consensus"
    assert "0. None" in text_of(console.select_one("table.distribution"))
    revealed = soup(phone.get(f"/w/{workshop.code}"))
    assert "Median 0.0" in text_of(revealed)
    assert text_of(revealed.select_one("tr.mine th")) == "0. None", "the phone marks its vote"
    assert client.post(f"/workshops/{workshop.id}/consensus",
                       data={"question_id": step.question_id, "level": "0",
                             "rationale": "Ei tehty"}, follow_redirects=False).status_code == 303
    console = text_of(soup(client.get(f"/workshops/{workshop.id}")))
    assert "Recorded: None" in console
    projector = client.get(f"/workshops/{workshop.id}/projector")
    assert projector.status_code == 200
    for voter in phones:
        voter.close()
    assert db.exec(select(Workshop)).all()


def test_exports_carry_the_framework_numbers(samm_site: Site) -> None:
    client, db = samm_site.client, samm_site.db
    organisation = demo_organisation(db)
    round_ = db.exec(select(Round).where(Round.organisation_id == organisation.id)
                     .order_by(Round.id)).first()
    assert round_ is not None
    answers = list(csv.reader(io.StringIO(
        client.get(f"/rounds/{round_.id}/export/answers.csv").text.lstrip("\ufeff"))))
    header, rows = answers[0], answers[1:]
    level = header.index("Stage level")
    stage = header.index("Answer")
    levelled = [r for r in rows if r[level] != ""]
    assert {r[level] for r in levelled} <= {"0", "1", "2", "3"} and "0" in {
        r[level] for r in levelled}
    for row in levelled:
        assert row[stage] == samm_site.framework.stage_by_level(int(row[level])).name["en"]
    workbook = openpyxl.load_workbook(io.BytesIO(
        client.get(f"/rounds/{round_.id}/export/answers.xlsx").content))
    sheet = workbook.active
    assert sheet is not None
    values = [r[level] for r in sheet.iter_rows(min_row=2, values_only=True)
              if r[level] not in (None, "")]
    assert 0 in values and max(values) <= 3  # type: ignore[type-var]
    exported = client.get(f"/organisations/{organisation.id}/export.json")
    assert exported.status_code == 200 and '"first_level":0' in exported.text.replace(" ", "")


def test_a_framework_without_wording_shows_neutral_text(small_site: Site) -> None:
    client, db = small_site.client, small_site.db
    home = soup(client.get("/"))
    assert text_of(home.select_one("footer.site-footer")) == ""
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation)
    round_ = services.create_round(db, organisation, "Kevät 2027", small_site.framework)
    workshop = workshops.create_workshop(db, round_, unit, by=None)
    db.commit()
    phone = TestClient(small_site.app, headers={"Accept-Language": "en"})
    csrf_headers(small_site.app, phone)
    phone.post("/join", data={"code": workshop.code.lower(), "nickname": "P"})
    needs = text_of(soup(phone.get(f"/w/{workshop.code}")))
    assert "What do you need or expect from this work? What worries you?" in needs
    phone.close()
    roadmap_page = soup(client.get(f"/organisations/{organisation.id}/roadmap"))
    assert roadmap_page.select("p.hint[id$=owner_role]") == []
    dashboard = text_of(soup(client.get(f"/organisations/{organisation.id}/dashboard")))
    assert "social media" not in dashboard.lower()


def test_the_default_framework_keeps_its_texts(client: TestClient, db: Session,
                                               framework: Framework) -> None:
    home = soup(client.get("/"))
    assert text_of(home.select_one("footer.site-footer")) == \
        "Maturity framework after M-Brain's eight success factors of social media."
    finnish = soup(client.get("/", headers={"Accept-Language": "fi"}))
    assert "M-Brainin" in text_of(finnish.select_one("footer.site-footer"))
    organisation = make_organisation(db)
    make_unit(db, organisation=organisation)
    db.commit()
    roadmap_page = soup(client.get(f"/organisations/{organisation.id}/roadmap"))
    hints = {text_of(p) for p in roadmap_page.select("p.hint[id$=owner_role]")}
    assert hints <= {"For example community manager or communications director"}
    assert "Esimerkiksi yhteisömanageri" in framework.wording.owner_roles["fi"]  # type: ignore[index]


def test_the_content_hash_of_the_default_framework_ignores_its_wording(
        framework: Framework) -> None:
    data = framework.model_dump()
    data["wording"] = {}
    plain = Framework.model_validate(data, strict=False)
    assert plain.content_hash() == framework.content_hash()
    assert "wording" in framework.canonical_json() and "wording" not in plain.canonical_json()
