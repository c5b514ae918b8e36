"""Spreadsheet exports: tables built as data, written as CSV and XLSX, read back."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pytest
from sqlmodel import Session

from assessment import roadmap, services
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Catalogues, Translator
from assessment.models import Action, AssessmentKind, Organisation, Round
from reports import tables
from tests.factories import make_organisation, make_unit

CATALOGUES = Catalogues()
FI, EN = CATALOGUES.translator("fi"), CATALOGUES.translator("en")


@pytest.fixture
def assessed(session: Session, framework: Framework) -> tuple[Organisation, Round]:
    """A unit whose goals score 3.5 (one "don't know", a formula-like note) and whose
    another factor has one "not applicable" answer only; its sub-unit's workshop agreed one
    answer."""
    organisation = make_organisation(session)
    parent = make_unit(session, organisation=organisation, name="Asiakaspalvelu")
    child = make_unit(session, organisation=organisation, name="Chat", parent=parent)
    round_ = services.create_round(session, organisation, "Kevät 2026", framework)
    goals = framework.factors[0]
    # The first factor after goals with a question that may be answered "not applicable".
    other = next(f for f in framework.factors[1:] if any(q.not_applicable for q in f.questions))
    assessment = services.get_or_create_assessment(session, round_, parent)
    choices = ["3", "4", "3", "4", "dont_know"]
    inputs = [services.AnswerInput(q.id, c, "=SUM(A1:A9)" if i == 0 else None)
              for i, (q, c) in enumerate(zip(goals.questions, choices, strict=True))]
    inputs.append(services.AnswerInput(next(q.id for q in other.questions if q.not_applicable),
                                       "not_applicable"))
    services.save_answers(session, assessment, framework, inputs)
    workshop = services.get_or_create_assessment(session, round_, child, AssessmentKind.workshop)
    services.save_answers(session, workshop, framework,
                          [services.AnswerInput(goals.questions[0].id, "2", "Yhteinen näkemys")])
    roadmap.add_action(session, parent, framework, goals.id, roadmap.ActionInput(
        "+Kirjoitetaan tavoitteet", "Åsa Öhman", "2026-11-23", "in_progress"))
    library = next(a for a in goals.actions if a.from_stage == framework.stages[1].id)
    session.add(Action(organisation_id=organisation.id or 0, unit_id=child.id or 0,
                       factor_id=goals.id, from_level=2, library_id=library.id, text="",
                       position=200))
    session.commit()
    return organisation, round_


def read_csv(body: bytes, delimiter: str) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))


def read_xlsx(body: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    sheet = workbook.active
    assert sheet is not None
    return sheet


def test_answers_csv_in_finnish(session: Session, registry: FrameworkRegistry,
                                framework: Framework, assessed: tuple[Organisation, Round],
                                ) -> None:
    table = tables.answers_table(session, registry, assessed[1], FI)
    rows = read_csv(tables.to_csv(table, FI), ";")
    assert rows[0][:2] == ["Yksikkö", "Menestystekijä"] and len(rows[0]) == 8
    question = framework.factors[0].questions[0]
    assert rows[1] == ["Asiakaspalvelu", "Tavoitteiden asettaminen", question.id,
                       question.text["fi"], "Suunnitelmallinen", "3", "'=SUM(A1:A9)",
                       "Itsearviointi"]
    assert rows[5][4:6] == ["En osaa sanoa", ""]
    assert rows[6][4] == "Ei koske meitä"
    assert rows[7] == ["Chat", "Tavoitteiden asettaminen", question.id, question.text["fi"],
                       "Ad hoc", "2", "Yhteinen näkemys", "Työpaja"]
    assert len(rows) == 8


def test_scores_csv_uses_the_languages_decimals_and_separators(
        session: Session, registry: FrameworkRegistry, framework: Framework,
        assessed: tuple[Organisation, Round],
) -> None:
    finnish = read_csv(tables.to_csv(tables.scores_table(session, registry, assessed[1], FI),
                                     FI), ";")
    assert finnish[0] == ["Yksikkö", finnish[0][1], "Menestystekijä", "Tulos", "Taso",
                          "Vastattu", "En osaa sanoa", "Ei koske meitä"]
    assert finnish[1] == ["Asiakaspalvelu", "Itsearviointi", "Tavoitteiden asettaminen", "3,5",
                          "Suunnitelmallinen", "4", "1", "0"]
    position = next(i for i, f in enumerate(framework.factors) if any(
        q.not_applicable for q in f.questions))
    assert finnish[1 + position][3:] == ["", "Liian vähän vastauksia", "0", "0", "1"]
    assert len(finnish) == 1 + 2 * 8  # two assessments, eight factors each
    english = read_csv(tables.to_csv(tables.scores_table(session, registry, assessed[1], EN),
                                     EN), ",")
    assert english[0][3] == "Score" and english[1][3:5] == ["3.5", "Planned"]


def test_xlsx_keeps_numbers_and_dates_and_never_writes_formulas(
        session: Session, registry: FrameworkRegistry, assessed: tuple[Organisation, Round],
) -> None:
    scores = read_xlsx(tables.to_xlsx(tables.scores_table(session, registry, assessed[1], FI),
                                      FI))
    assert scores["A1"].value == "Yksikkö" and scores["A1"].font.bold
    assert scores["D2"].value == 3.5 and scores["D2"].number_format == "0.0"
    assert scores["F2"].value == 4 and scores.freeze_panes == "A2"
    answers = read_xlsx(tables.to_xlsx(tables.answers_table(session, registry, assessed[1], FI),
                                       FI))
    assert answers["G2"].value == "=SUM(A1:A9)" and answers["G2"].data_type == "s"
    assert answers["F2"].value == 3
    actions = read_xlsx(tables.to_xlsx(
        tables.actions_table(session, registry, assessed[0], FI), FI))
    assert actions.title == FI.gettext("Roadmap actions")
    assert actions["D2"].value == "+Kirjoitetaan tavoitteet" and actions["D2"].data_type == "s"
    assert actions["F2"].value == datetime(2026, 11, 23) and actions["F2"].is_date


def test_actions_csv_with_stage_change_framework_text_and_status(
        session: Session, registry: FrameworkRegistry, framework: Framework,
        assessed: tuple[Organisation, Round]) -> None:
    rows = read_csv(tables.to_csv(tables.actions_table(session, registry, assessed[0], FI), FI),
                    ";")
    assert rows[0][0] == "Yksikkö" and rows[0][4:] == ["Vastuuhenkilö", "Määräpäivä", "Tila"]
    assert rows[1] == ["Asiakaspalvelu", "Tavoitteiden asettaminen", "",
                       "'+Kirjoitetaan tavoitteet", "Åsa Öhman", "23.11.2026", "Kesken"]
    library = next(a for a in framework.factors[0].actions
                   if a.from_stage == framework.stages[1].id)
    assert rows[2] == ["Chat", "Tavoitteiden asettaminen", "Ad hoc → Suunnitelmallinen",
                       library.text["fi"], "", "", "Suunniteltu"]
    english = read_csv(tables.to_csv(tables.actions_table(session, registry, assessed[0], EN),
                                     EN), ",")
    assert english[1][5:] == ["23 Nov 2026", "In progress"]
    assert english[2][2:4] == ["Ad hoc → Planned", library.text["en"]]


@pytest.mark.parametrize(("text", "safe"), [
    ("=1+1", "'=1+1"), ("+358 40", "'+358 40"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\r=x", "'\r=x"), ("a=b", "a=b"), ("", ""), ("Äänekoski", "Äänekoski"),
])
def test_formula_injection_is_guarded(text: str, safe: str) -> None:
    assert tables.safe_text(text) == safe


def test_numbers_are_not_guarded_and_headers_are() -> None:
    table = tables.Table("x", ("=Otsikko", "Luku"), (("-ok", 3), (None, None)))
    rows = read_csv(tables.to_csv(table, EN), ",")
    assert rows == [["'=Otsikko", "Luku"], ["'-ok", "3"], ["", ""]]


def test_sheet_titles_are_valid() -> None:
    assert tables.sheet_title("Kevät: 2026/[A]?") == "Kevät  2026  A"
    assert len(tables.sheet_title("x" * 40)) == 31 and tables.sheet_title("::") == "Sheet"


def test_translator_is_used_for_every_header(session: Session, registry: FrameworkRegistry,
                                             assessed: tuple[Organisation, Round]) -> None:
    class Shouting(Translator):
        def gettext(self, message: str, **params: object) -> str:
            return message.upper()

    loud = Shouting("en", EN.catalogue)
    for table in (tables.answers_table(session, registry, assessed[1], loud),
                  tables.scores_table(session, registry, assessed[1], loud),
                  tables.actions_table(session, registry, assessed[0], loud)):
        assert all(h == h.upper() for h in table.headers), table.headers
        assert table.title == table.title.upper()
