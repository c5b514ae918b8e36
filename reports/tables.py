"""Spreadsheet exports: a round's answers and scores, an organisation's actions.

Each table is built as data first (`answers_table`, `scores_table`, `actions_table`: headers
and rows of plain values in the reader's language) and written second (`to_csv`, `to_xlsx`).

CSV is UTF-8 with a byte-order mark, so Excel shows Finnish letters; Finnish files use `;`
between cells, as Excel does where the decimal separator is a comma, and numbers and dates
follow the language (3,5 and 23.11.2026). Text that a spreadsheet could run as a formula
(starting with = + - @, a tab or a carriage return) gets a leading apostrophe in CSV; in XLSX
such text is stored as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from assessment import dashboard, roadmap, services
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Translator
from assessment.models import (
    Action,
    ActionStatus,
    Answer,
    Assessment,
    AssessmentKind,
    Choice,
    Organisation,
    Round,
    id_of,
)

Cell = str | int | Decimal | date | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITERS = {"fi": ";"}
XLSX_DATE_FORMATS = {"fi": "d.m.yyyy", "en": "d mmm yyyy"}
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Table:
    """A table to export: a title (the sheet's name), column headers and rows of values.
    Decimals are scores (one decimal); ints are counts or stage levels."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _kind_label(t: Translator, kind: AssessmentKind | str) -> str:
    return t.gettext("Workshop") if kind == AssessmentKind.workshop else \
        t.gettext("Self-assessment")


def _round_assessments(session: Session, round_: Round) -> list[tuple[str, Assessment]]:
    """The round's assessments in unit tree order (self-assessment before workshop)."""
    organisation = session.get(Organisation, round_.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    found = list(session.exec(select(Assessment).where(Assessment.round_id == round_.id)))
    result = []
    for item in services.unit_tree(session, organisation):
        for kind in (AssessmentKind.self, AssessmentKind.workshop):
            result += [(item.unit.name, a) for a in found
                       if a.unit_id == item.unit.id and a.kind == kind]
    return result


def _own_answers(session: Session, assessments: Sequence[Assessment],
                 ) -> dict[int, dict[str, Answer]]:
    answers: dict[int, dict[str, Answer]] = defaultdict(dict)
    for answer in session.exec(select(Answer).where(
            col(Answer.assessment_id).in_([id_of(a) for a in assessments]),
            col(Answer.respondent_id).is_(None))):
        answers[answer.assessment_id][answer.question_id] = answer
    return answers


def _choice_label(t: Translator, framework: Framework, answer: Answer) -> str:
    if answer.choice == Choice.level and answer.level is not None:
        return t.text(framework.stage_by_level(answer.level).name)
    if answer.choice == Choice.dont_know:
        return t.gettext("Don't know")
    if answer.choice == Choice.not_applicable:
        return t.gettext("Not applicable")
    return ""


def answers_table(session: Session, registry: FrameworkRegistry, round_: Round,
                  t: Translator) -> Table:
    """Every own answer of the round's self-assessments and workshop assessments (workshop
    consensus, never individual votes), by unit and in framework order."""
    framework = services.round_framework(session, registry, round_)[0]
    assessments = _round_assessments(session, round_)
    answers = _own_answers(session, [a for _, a in assessments])
    rows: list[tuple[Cell, ...]] = []
    for unit_name, assessment in assessments:
        mine = answers[id_of(assessment)]
        for factor in framework.factors:
            for question in factor.questions:
                answer = mine.get(question.id)
                if answer is None:
                    continue
                rows.append((unit_name, t.text(factor.name), question.id, t.text(question.text),
                             _choice_label(t, framework, answer), answer.level,
                             answer.note or "", _kind_label(t, assessment.kind)))
    headers = (t.gettext("Unit"), t.gettext("Factor"), t.gettext("Question id"),
               t.gettext("Question"), t.gettext("Answer"), t.gettext("Stage level"),
               t.gettext("Note"), t.gettext("Assessment"))
    return Table(t.gettext("Answers"), headers, tuple(rows))


def scores_table(session: Session, registry: FrameworkRegistry, round_: Round,
                 t: Translator) -> Table:
    """Every factor's score and stage per unit and assessment in the round."""
    framework = services.round_framework(session, registry, round_)[0]
    assessments = _round_assessments(session, round_)
    answers = _own_answers(session, [a for _, a in assessments])
    rows: list[tuple[Cell, ...]] = []
    for unit_name, assessment in assessments:
        scores = services.score_assessment(framework, answers[id_of(assessment)])
        for factor, score in zip(framework.factors, scores, strict=True):
            stage = (t.text(framework.stage_by_level(score.stage_level).name)
                     if score.stage_level is not None else t.gettext("Not enough answers"))
            rows.append((unit_name, _kind_label(t, assessment.kind), t.text(factor.name),
                         score.score, stage, score.answered, score.dont_know,
                         score.not_applicable))
    headers = (t.gettext("Unit"), t.gettext("Assessment"), t.gettext("Factor"),
               t.gettext("Score"), t.gettext("Stage"), t.gettext("Answered"),
               t.gettext("Don't know"), t.gettext("Not applicable"))
    return Table(t.gettext("Scores"), headers, tuple(rows))


def _status_label(t: Translator, status: str) -> str:
    labels = {ActionStatus.planned: t.gettext("Planned"),
              ActionStatus.in_progress: t.gettext("In progress"),
              ActionStatus.done: t.gettext("Done"), ActionStatus.dropped: t.gettext("Dropped")}
    return labels.get(ActionStatus(status), status)


def _stage_change(t: Translator, framework: Framework | None, action: Action) -> str:
    level = action.from_level
    if framework is None or level is None or not framework.is_level(level) \
            or level == framework.last_level:
        return ""
    return (f"{t.text(framework.stage_by_level(level).name)} → "
            f"{t.text(framework.stage_by_level(level + 1).name)}")


def actions_table(session: Session, registry: FrameworkRegistry, organisation: Organisation,
                  t: Translator, framework_id: str | None = None) -> Table:
    """The organisation's actions by unit and factor, with the texts of the framework each
    came from: the one whose library holds a proposed action, else the newest round's that
    has the factor (else the app's current frameworks). With `framework_id`, only that
    framework's actions (`roadmap.belongs_to`)."""
    frameworks = [services.round_framework(session, registry, r)[0]
                  for r in reversed(services.list_rounds(session, organisation))]
    frameworks += registry.current
    if framework_id is not None:
        frameworks = [f for f in frameworks if f.id == framework_id] \
            + registry.versions(framework_id)

    def framework_of(action: Action) -> Framework | None:
        if action.library_id:
            proposed = next((fw for fw in frameworks if roadmap.library_action(action, fw)),
                            None)
            if proposed is not None:
                return proposed
        return next((fw for fw in frameworks
                     if any(f.id == action.factor_id for f in fw.factors)), None)

    tree = services.unit_tree(session, organisation)
    order = {item.unit.id: i for i, item in enumerate(tree)}
    names = {item.unit.id: item.unit.name for item in tree}
    rows: list[tuple[Cell, ...]] = []
    for action in sorted(roadmap.actions(session, id_of(organisation)),
                         key=lambda a: (order.get(a.unit_id, len(order)), a.factor_id,
                                        a.position, a.id or 0)):
        framework = framework_of(action)
        if framework_id is not None and (framework is None or not roadmap.belongs_to(
                action, framework, frameworks)):
            continue
        factor = t.text(framework.factor(action.factor_id).name) if framework else \
            action.factor_id
        text = roadmap.action_text(action, framework, t.language, frameworks) if framework \
            else action.text
        rows.append((names.get(action.unit_id, ""), factor, _stage_change(t, framework, action),
                     text, action.owner, action.due_on, _status_label(t, action.status)))
    headers = (t.gettext("Unit"), t.gettext("Factor"), t.gettext("From stage → to stage"),
               t.gettext("Action"), t.gettext("Owner"), t.gettext("Due date"),
               t.gettext("Status"))
    return Table(t.gettext("Roadmap actions"), headers, tuple(rows))


def dashboard_table(session: Session, registry: FrameworkRegistry, organisation: Organisation,
                    round_: Round, root_id: int | None, t: Translator) -> Table:
    """The dashboard's heatmap as rows: per unit (of the whole organisation or the sub-tree
    under `root_id`, in tree order) and factor, the unit's place in the tree (its parents and
    depth), its score and stage, and whether it is the factor's weakest link of the units."""
    tree = services.unit_tree(session, organisation)
    overview = dashboard.round_overview(session, registry, organisation, round_, root_id,
                                        tree=tree)
    by_id = {id_of(item.unit): item for item in tree}
    weakest = {s.factor.id: {id_of(u) for u in s.weakest} for s in overview.factors}
    framework = overview.framework
    rows: list[tuple[Cell, ...]] = []
    for item in overview.units:
        unit_id = id_of(item.unit)
        parents: list[str] = []
        parent_id = item.unit.parent_id
        while parent_id is not None and parent_id in by_id:
            parents.insert(0, by_id[parent_id].unit.name)
            parent_id = by_id[parent_id].unit.parent_id
        measured = unit_id in overview.scores
        for summary in overview.factors:
            found = overview.cell(unit_id, summary.factor.id)
            score = found.score if found else None
            stage = (t.text(framework.stage_by_level(found.stage_level).name)
                     if found and found.stage_level is not None
                     else t.gettext("Not enough answers") if measured
                     else t.gettext("Not measured"))
            source = overview.scores[unit_id].source(summary.factor.id) if measured else None
            rows.append((item.unit.name, " / ".join(parents), by_id[unit_id].depth,
                         t.text(summary.factor.name), score, stage,
                         t.gettext("weakest") if unit_id in weakest[summary.factor.id] else "",
                         _kind_label(t, source) if score is not None and source else ""))
    headers = (t.gettext("Unit"), t.gettext("Parent units"), t.gettext("Depth"),
               t.gettext("Factor"), t.gettext("Score"), t.gettext("Stage"),
               t.gettext("Weakest link"), t.gettext("Source"))
    return Table(t.gettext("Units by factor: {round}", round=round_.name), headers,
                 tuple(rows))


# Writers --------------------------------------------------------------------------------

def safe_text(value: str) -> str:
    """Text a spreadsheet will not run as a formula: risky text gets a leading apostrophe."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _csv_cell(t: Translator, value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, Decimal):
        return t.score(value)
    if isinstance(value, date):
        return t.date(value)
    return t.number(value)


def to_csv(table: Table, t: Translator) -> bytes:
    """The table as CSV: UTF-8 with a BOM, `;` between cells in Finnish, `,` in English."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITERS.get(t.language, ","))
    writer.writerow([safe_text(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(t, value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def sheet_title(title: str) -> str:
    """A valid worksheet name: no []:*?/\\ characters, at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"


def to_xlsx(table: Table, t: Translator) -> bytes:
    """The table as an Excel workbook of one sheet: numbers and dates as real values, text
    always as text, a bold frozen header row with a filter."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = sheet_title(table.title)
    sheet.append(list(table.headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in table.headers]
    for r, row in enumerate(table.rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"  # never a formula, whatever the text starts with
            else:
                cell.value = value
            if isinstance(value, Decimal):
                cell.number_format = "0.0"
            elif isinstance(value, date):
                cell.number_format = XLSX_DATE_FORMATS.get(t.language, "yyyy-mm-dd")
            widths[c - 1] = max(widths[c - 1], min(len(str(value or "")), 60))
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width + 2
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
