"""Framework workbooks: export → import round-trips, and every kind of bad workbook is
refused with a problem naming its sheet, row and column."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

from assessment.cli import app
from assessment.framework import Framework, load_framework, parse_framework
from assessment.framework_library import load_registry, read_upload
from assessment.framework_workbook import (
    Problem,
    WorkbookError,
    framework_from_workbook,
    framework_yaml,
    workbook_bytes,
)
from tests.conftest import FIXTURES, FRAMEWORKS

runner = CliRunner()
FILES = [FRAMEWORKS / "some-maturity.yaml", *sorted((FRAMEWORKS / "archive").glob("*.yaml")),
         FIXTURES / "frameworks" / "three-stages.yaml",
         FIXTURES / "frameworks" / "owasp-samm.yaml"]
SAMM = FIXTURES / "frameworks" / "owasp-samm.yaml"


@pytest.mark.parametrize("file", FILES, ids=lambda p: p.name)
def test_export_then_import_gives_the_same_framework(file: Path) -> None:
    framework = load_framework(file)
    back = framework_from_workbook(workbook_bytes(framework))
    assert back == framework
    assert back.content_hash() == framework.content_hash()
    # ... and the framework file written from it reads back as the same framework too.
    assert parse_framework(yaml.safe_load(framework_yaml(back)), Path("x.yaml")) == framework


def test_the_files_exercise_every_part_of_the_format() -> None:
    """The round trip above covers groups, first_level, wording and every kind of prompt."""
    frameworks = [load_framework(f) for f in FILES]
    assert any(fw.groups and fw.first_level == 0 for fw in frameworks)
    assert any(fw.wording.attribution for fw in frameworks)
    assert any(fw.divergence_prompts for fw in frameworks)
    assert any(f.prompts for fw in frameworks for f in fw.factors)
    assert any(q.prompts for fw in frameworks for f in fw.factors for q in f.questions)


def test_groups_wording_and_prompts_have_their_rows_and_sheets() -> None:
    samm = load_framework(SAMM)
    wb = load_workbook(io.BytesIO(workbook_bytes(samm)))
    assert [c.value for c in wb["groups"][1]][:3] == ["id", "name fi", "name en"]
    assert [c.value for c in wb["groups"][2]][:2] == [samm.groups[0].id,
                                                     samm.groups[0].name["fi"]]
    factors = wb["factors"]
    assert factors.cell(row=2, column=_column(factors, "group")).value == samm.factors[0].group
    top = {row[0].value: row for row in wb["framework"].iter_rows(min_row=2)}
    assert top["first_level"][1].value == 0
    assert top["wording.attribution"][2].value == samm.wording.attribution["fi"]  # type: ignore[index]
    framework = load_framework(FRAMEWORKS / "some-maturity.yaml")
    wb = load_workbook(io.BytesIO(workbook_bytes(framework)))
    assert [c.value for c in wb["prompts"][1]] == ["factor", "question", "text fi", "text en"]
    rows = [[c.value for c in row] for row in wb["prompts"].iter_rows(min_row=2)]
    factor = next(f for f in framework.factors if f.prompts)
    assert [factor.id, None, factor.prompts[0]["fi"], factor.prompts[0]["en"]] in rows
    assert any(r[1] is not None for r in rows)  # a question's prompt names its question
    assert [c.value for c in wb["divergence_prompts"][1]] == ["text fi", "text en"]
    assert wb["divergence_prompts"]["A2"].value == framework.divergence_prompts[0]["fi"]


def test_a_prompt_added_in_the_workbook_is_read_under_its_question() -> None:
    framework = load_framework(FRAMEWORKS / "some-maturity.yaml")
    factor, question = framework.factors[1], framework.factors[1].questions[0]

    def add(wb: Workbook) -> None:
        wb["prompts"].append([factor.id, question.id, "Mitä muuttaisitte?",
                              "What would you change?"])
        wb["divergence_prompts"].append(["Väliltä {low}–{high}?", "Between {low} and {high}?"])
        for row in wb["framework"].iter_rows(min_row=2):
            if row[0].value == "wording.owner_roles":
                row[2].value, row[3].value = "Viestintäpäällikkö", "Head of communications"

    back = framework_from_workbook(_changed(add))
    assert back.factor(factor.id).questions[0].prompts[-1] == {
        "fi": "Mitä muuttaisitte?", "en": "What would you change?"}
    assert back.divergence_prompts[-1]["en"] == "Between {low} and {high}?"
    assert back.wording.owner_roles == {"fi": "Viestintäpäällikkö",
                                        "en": "Head of communications"}
    assert back.content_hash() != framework.content_hash()  # the new prompt counts


def test_a_bad_group_id_names_its_cell() -> None:
    def regroup(wb: Workbook) -> None:
        ws = wb["factors"]
        ws.cell(row=3, column=_column(ws, "group")).value = "no-such-group"

    data = _changed_file(SAMM, regroup)
    [problem] = _problems(data)
    ws = load_workbook(io.BytesIO(data))["factors"]
    assert (problem.sheet, problem.row, problem.header) == ("factors", 3, "group")
    assert problem.column == ws.cell(row=1, column=_column(ws, "group")).column_letter
    assert "unknown group 'no-such-group'" in str(problem)


def test_prompts_of_unknown_factors_or_questions_and_bad_placeholders_name_their_cell(
        ) -> None:
    def confuse(wb: Workbook) -> None:
        wb["prompts"]["A2"].value = "no-such-factor"
        wb["prompts"]["B3"].value = "no-such-question"
        wb["prompts"]["A4"].value = None

    problems = _problems(_changed(confuse))
    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("prompts", 2, "A"), ("prompts", 3, "B"), ("prompts", 4, "A")]
    assert "no factor “no-such-factor”" in str(problems[0])
    assert "no question “no-such-question”" in str(problems[1])
    assert "Name the factor" in str(problems[2])
    [problem] = _problems(_changed(lambda wb: wb["divergence_prompts"].__setitem__(
        "B2", "Between {lowest} and {high}")))
    assert (problem.sheet, problem.row, problem.column) == ("divergence_prompts", 2, "B")
    assert "unknown placeholder '{lowest}'" in str(problem)
    [problem] = _problems(_changed(lambda wb: wb["prompts"].__setitem__("D5", None)))
    assert (problem.sheet, problem.row, problem.column) == ("prompts", 5, "D")
    assert "missing translation" in str(problem)


def test_unknown_wording_rows_and_prompt_columns_are_named() -> None:
    def confuse(wb: Workbook) -> None:
        wb["framework"].append(["wording.slogan", None, "x", "y"])
        wb["prompts"]["E1"].value = "text sv"

    problems = _problems(_changed(confuse))
    assert any(p.sheet == "framework" and p.column == "A" and "wording.slogan" in str(p)
               and "wording.attribution" in str(p) for p in problems)
    assert any((p.sheet, p.row, p.column) == ("prompts", 1, "E") for p in problems)
    problems = _problems(_changed(lambda wb: wb["prompts"].__setitem__("A1", "factors")))
    assert {str(p) for p in problems} >= {"sheet 'prompts', row 1: The sheet has no column "
                                          "factor."}


def test_the_workbook_has_a_sheet_per_part_and_a_column_per_language(
        framework: Framework) -> None:
    wb = load_workbook(io.BytesIO(workbook_bytes(framework)))
    parts = ["framework", "stages", "factors", "questions", "actions", "seeds", "glossary"]
    assert [name for name in wb.sheetnames if name in parts] == parts
    assert wb.sheetnames[0] == "framework" and wb.sheetnames[-1] == "instructions"
    questions = [c.value for c in wb["questions"][1]]
    assert questions[:4] == ["factor", "id", "text fi", "text en"]
    assert "anchors first-steps fi" in questions and "anchors strategic en" in questions
    first = [c.value for c in wb["questions"][2]]
    assert first[0] == framework.factors[0].id
    assert first[1] == framework.factors[0].questions[0].id
    top = {row[0].value: row for row in wb["framework"].iter_rows(min_row=2)}
    assert top["version"][1].value == framework.version  # text, never a number
    assert top["name"][2].value == framework.name["fi"]


def _default_workbook() -> bytes:
    return workbook_bytes(load_framework(FRAMEWORKS / "some-maturity.yaml"))


def _changed(change: Callable[[Workbook], None]) -> bytes:
    wb = load_workbook(io.BytesIO(_default_workbook()))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _changed_file(file: Path, change: Callable[[Workbook], None]) -> bytes:
    wb = load_workbook(io.BytesIO(workbook_bytes(load_framework(file))))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _problems(data: bytes) -> list[Problem]:
    with pytest.raises(WorkbookError) as caught:
        framework_from_workbook(data, "bad.xlsx")
    return caught.value.problems


def _column(ws: Worksheet, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def test_missing_sheets_are_named_one_by_one() -> None:
    def drop(wb: Workbook) -> None:
        wb.remove(wb["questions"])
        wb.remove(wb["stages"])

    problems = _problems(_changed(drop))
    assert [p.params["sheet"] for p in problems] == ["stages", "questions"]
    assert str(problems[0]) == "The sheet stages is missing."


def test_merged_cells_are_refused_where_they_are() -> None:
    def merge(wb: Workbook) -> None:
        wb["factors"].merge_cells("C3:D4")
        wb["questions"].merge_cells("A10:A12")

    problems = _problems(_changed(merge))
    assert [(p.sheet, p.row, p.column) for p in problems] == [("factors", 3, "C"),
                                                             ("questions", 10, "A")]
    assert "C3:D4" in str(problems[0]) and "merged" in str(problems[0])


def test_a_stage_without_an_anchor_names_the_cell() -> None:
    def blank(wb: Workbook) -> None:
        ws = wb["questions"]
        for lang in ("fi", "en"):
            ws.cell(row=3, column=_column(ws, f"anchors planned {lang}")).value = None

    [problem] = _problems(_changed(blank))
    ws = load_workbook(io.BytesIO(_default_workbook()))["questions"]
    assert (problem.sheet, problem.row) == ("questions", 3)
    assert problem.column == ws.cell(row=1, column=_column(ws, "anchors planned fi")
                                     ).column_letter
    assert "no anchor for stage 'planned'" in str(problem)


def test_duplicate_ids_name_both_rows() -> None:
    def duplicate(wb: Workbook) -> None:
        ws = wb["questions"]
        ws["B5"].value = ws["B3"].value
        stages = wb["stages"]
        stages["A4"].value = stages["A2"].value

    problems = _problems(_changed(duplicate))
    where = {(p.sheet, p.row, p.column) for p in problems}
    assert ("stages", 4, "A") in where and ("questions", 5, "B") in where
    question = next(p for p in problems if p.sheet == "questions")
    assert question.params["row"] == 3 and "Duplicate id" in str(question)


def test_a_text_missing_in_one_language_names_its_column() -> None:
    def blank(wb: Workbook) -> None:
        ws = wb["factors"]
        ws.cell(row=5, column=_column(ws, "name en")).value = None
        actions = wb["actions"]
        actions.cell(row=2, column=_column(actions, "text fi")).value = "   "

    problems = _problems(_changed(blank))
    assert sorted((p.sheet or "", p.row or 0, p.header or "") for p in problems) == [
        ("actions", 2, "text fi"), ("factors", 5, "name en")]
    assert all("missing translation" in str(p) for p in problems)


def test_formulas_are_refused_cell_by_cell() -> None:
    def formulas(wb: Workbook) -> None:
        wb["stages"]["B2"] = '=A2&" x"'
        wb["questions"]["C4"] = "=1+1"

    problems = _problems(_changed(formulas))
    assert [(p.sheet, p.row, p.column) for p in problems] == [("stages", 2, "B"),
                                                             ("questions", 4, "C")]
    assert all("formula" in str(p) for p in problems)


def test_a_20_mb_file_is_refused_before_it_is_opened() -> None:
    [problem] = _problems(b"PK\x03\x04" + b"0" * (20 * 1024 * 1024))
    assert "20.0 MB" in str(problem) and "at most 5 MB" in str(problem)


@pytest.mark.parametrize("data", [b"not a workbook", b"PK\x03\x04broken zip", b"",
                                  b"\x89PNG\r\n\x1a\n"])
def test_a_file_that_is_not_a_workbook_is_refused(data: bytes) -> None:
    [problem] = _problems(data)
    assert str(problem) == "The file is not an Excel workbook (.xlsx)."


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    out = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    [problem] = _problems(out.getvalue())
    assert "not an Excel workbook" in str(problem)


def test_numbers_where_text_is_expected_are_refused() -> None:
    def number(wb: Workbook) -> None:
        for row in wb["framework"].iter_rows(min_row=2):
            if row[0].value == "version":
                row[1].value = 2026.3

    [problem] = _problems(_changed(number))
    assert (problem.sheet, problem.column, problem.header) == ("framework", "B", "value")
    assert "format the cell as text" in str(problem)


def test_unknown_columns_sheets_and_rows_of_unknown_factors_are_refused() -> None:
    def confuse(wb: Workbook) -> None:
        wb["questions"].cell(row=1, column=40).value = "colour"
        wb.create_sheet("notes")
        wb["actions"]["A3"].value = "no-such-factor"

    problems = _problems(_changed(confuse))
    assert any(p.params.get("sheet") == "notes" for p in problems)
    with pytest.raises(WorkbookError) as caught:  # once the sheets are right, the rest
        framework_from_workbook(_changed(lambda wb: (
            wb["questions"].cell(row=1, column=40).__setattr__("value", "colour"),
            wb["actions"].__setitem__("A3", "no-such-factor"))), "bad.xlsx")
    where = {(p.sheet, p.row, p.column) for p in caught.value.problems}
    assert ("questions", 1, "AN") in where and ("actions", 3, "A") in where


def test_every_problem_is_listed_at_once() -> None:
    def many(wb: Workbook) -> None:
        ws = wb["factors"]
        ws.cell(row=2, column=_column(ws, "name fi")).value = None
        ws.cell(row=3, column=_column(ws, "description en")).value = None
        wb["questions"]["B7"].value = wb["questions"]["B2"].value

    problems = _problems(_changed(many))
    assert len(problems) >= 1  # the duplicate stops it before the framework checks
    assert {(p.sheet, p.row) for p in problems} == {("questions", 7)}
    problems = _problems(_changed(lambda wb: (
        wb["factors"].cell(row=2, column=_column(wb["factors"], "name fi")).__setattr__(
            "value", None),
        wb["factors"].cell(row=3, column=_column(wb["factors"], "description en")).__setattr__(
            "value", None))))
    assert {(p.sheet, p.row) for p in problems} == {("factors", 2), ("factors", 3)}


def test_read_upload_takes_a_framework_file_too() -> None:
    text = (FIXTURES / "frameworks" / "three-stages.yaml").read_bytes()
    assert read_upload(text, "three.yaml").id == "three-stages"
    with pytest.raises(WorkbookError) as caught:
        read_upload(text.replace(b"id: beta", b"id: alpha"), "bad.yaml")
    assert any("duplicate factor id 'alpha'" in str(p) for p in caught.value.problems)
    with pytest.raises(WorkbookError) as caught:
        read_upload(b"\xff\xfe binary", "x.bin")
    assert "neither an Excel workbook" in str(caught.value.problems[0])
    bomb = b"a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n"
    with pytest.raises(WorkbookError) as caught:
        read_upload(bomb, "bomb.yaml")
    assert "aliases" in str(caught.value.problems[0])


def test_cli_import_writes_a_framework_file_and_export_writes_a_workbook(
        tmp_path: Path) -> None:
    book = tmp_path / "malli.xlsx"
    result = runner.invoke(app, ["framework", "export", "some-maturity", str(book)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["framework", "import", str(book)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "malli.yaml"
    assert load_framework(written) == load_framework(FRAMEWORKS / "some-maturity.yaml")
    old = tmp_path / "old.xlsx"
    result = runner.invoke(app, ["framework", "export", "some-maturity", "--version",
                                 "2026.1", str(old)])
    assert result.exit_code == 0, result.output
    assert framework_from_workbook(old.read_bytes()).version == "2026.1"


def test_cli_import_lists_problems_and_writes_nothing(tmp_path: Path) -> None:
    book = tmp_path / "bad.xlsx"
    book.write_bytes(_changed(lambda wb: wb["stages"].__setitem__("B2", "=1")))
    result = runner.invoke(app, ["framework", "import", str(book), "--output",
                                 str(tmp_path / "out.yaml")])
    assert result.exit_code == 1
    assert "sheet 'stages', row 2, column B: The cell holds a formula" in result.output
    assert not (tmp_path / "out.yaml").exists()
    result = runner.invoke(app, ["framework", "export", "no-such", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "no framework no-such" in result.output


def test_a_published_framework_replaces_the_shipped_one_for_new_rounds(
        tmp_path: Path) -> None:
    shipped = load_framework(FRAMEWORKS / "some-maturity.yaml")
    newer = shipped.model_copy(update={"version": "2099.1"})
    (tmp_path / "some-maturity.yaml").write_text(framework_yaml(newer), encoding="utf-8")
    registry = load_registry(FRAMEWORKS, tmp_path)
    assert registry.get("some-maturity").version == "2099.1"
    assert [f.version for f in registry.versions("some-maturity")][:2] == ["2099.1",
                                                                          shipped.version]
    assert registry.pinned_by_hash(shipped.content_hash()) == shipped
