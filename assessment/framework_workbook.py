"""A framework as an Excel workbook that a consultant can write, and back.

The layout follows the framework models, so a field added to them gets its column without
code here:

- sheet `framework`: one row per top-level field (`field`, `value` for plain values, one
  column per language for texts);
- one sheet per list of items (`stages`, `factors`, `seeds`, `glossary` …), a row per item;
  lists inside an item (`questions`, `actions` of a factor) get a sheet of their own whose
  first column names the item they belong to (`factor`);
- a plain value is one column named after its field; a list of ids is one column of ids
  separated by commas; a text is a column per language (`name fi`, `name en`); a text per
  stage is a column per stage and language (`anchors planned fi`);
- a nested model of texts (`wording`) is a row per field on the framework sheet
  (`wording.attribution`);
- lists of texts are sheets of their own: `prompts` (columns `factor`, `question` (empty for
  a prompt on the whole factor) and the text per language) and `divergence_prompts`.

Reading checks the workbook itself (sheets, merged cells, formulas, headers, cell types,
duplicate ids, rows of an unknown item) and then the framework with the same checks as a
framework file; every problem names its sheet, row and column. Messages about the workbook
itself are the app's (translatable, `N_`); those of the framework checks are the loader's.
"""

from __future__ import annotations

import io
import re
import types
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel, ValidationError

from assessment.framework import Framework, Issue, semantic_issues


def N_(message: str) -> str:
    """Mark a message for translation (the web layer translates it)."""
    return message


MAX_WORKBOOK_BYTES = 5 * 1024 * 1024
# What the workbook's parts may hold once unpacked: a 5 MB workbook of text is far below it,
# a zip bomb far above it.
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_ROWS = 5000
TOP = "framework"
INSTRUCTIONS = ("instructions", "ohjeet")
XLSX_MAGIC = b"PK\x03\x04"


# Problems ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One reason a workbook (or file) cannot be used: where it is and what is wrong.

    `message` is an app message with {placeholders} filled from `params` when `translatable`,
    else the framework loader's own text (English)."""

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # the column's letter
    header: str | None = None  # the column's name
    path: str = ""  # the place in the framework, for the loader's messages
    translatable: bool = True

    def where(self) -> str:
        """The place in English: sheet, row, column."""
        parts = []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}" + (f" ({self.header})" if self.header else ""))
        return ", ".join(parts)

    def text(self) -> str:
        """What is wrong, in English."""
        body = self.message.format(**self.params) if self.translatable else self.message
        return f"{self.path}: {body}" if self.path else body

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.text()}" if where else self.text()


class WorkbookError(Exception):
    """A workbook (or uploaded file) that cannot be used, with every problem found."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Invalid framework workbook {name}:\n{lines}")


# The layout, read from the models ----------------------------------------------------------

Kind = Literal["value", "int", "bool", "ids", "text", "keyed", "items", "texts", "model"]


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Annotated and Optional, and whether None is allowed."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            annotation = args[0]
        else:
            return annotation, optional


def _kind(annotation: Any) -> tuple[Kind, Any]:
    """How a field is laid out, and for a list of items their model."""
    inner, _ = _unwrap(annotation)
    origin = get_origin(inner)
    if origin is dict:
        value, _ = _unwrap(get_args(inner)[1])
        return ("keyed", None) if get_origin(value) is dict else ("text", None)
    if origin is list:
        item, _ = _unwrap(get_args(inner)[0])
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "items", item
        if get_origin(item) is dict:
            return "texts", None  # a list of texts: prompts, a row each on their own sheet
        return "ids", None
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "model", inner  # a group of fields (wording): rows `wording.<field>`
    if inner is bool:
        return "bool", None
    if inner is int:
        return "int", None
    return "value", None


@dataclass(frozen=True)
class Sheet:
    """A sheet of items: their model, the field of the parent that holds them, and for a
    nested list the parent sheet's name and its id column (`factor`)."""

    name: str
    model: type[BaseModel]
    parent: str | None = None

    @property
    def parent_column(self) -> str | None:
        """The column naming the parent item (`factor` for `questions`)."""
        return self.parent[:-1] if self.parent else None


def sheets() -> list[Sheet]:
    """Every item sheet, in the order they are written."""
    found: list[Sheet] = []

    def walk(model: type[BaseModel], parent: str | None) -> None:
        for name, info in model.model_fields.items():
            kind, item = _kind(info.annotation)
            if kind == "items":
                found.append(Sheet(name, item, parent))
                walk(item, name)

    walk(Framework, None)
    return found


def _fields(model: type[BaseModel]) -> list[tuple[str, Kind]]:
    """A model's fields that are cells (not lists of items or texts, not a nested model),
    in model order."""
    return [(name, kind) for name, info in model.model_fields.items()
            if (kind := _kind(info.annotation)[0]) not in ("items", "texts", "model")]


def _top_fields() -> list[tuple[str, Kind]]:
    """The rows of the framework sheet: its cell fields, and a row `wording.attribution`
    per field of a nested model, in model order."""
    out: list[tuple[str, Kind]] = []
    for name, info in Framework.model_fields.items():
        kind, model = _kind(info.annotation)
        if kind == "model":
            out += [(f"{name}.{sub}", sub_kind) for sub, sub_kind in _fields(model)]
        elif kind not in ("items", "texts"):
            out.append((name, kind))
    return out


def _top_value(fw: Framework, name: str) -> Any:
    value: Any = fw
    for part in name.split("."):
        value = getattr(value, part)
    return value


class PromptRow(BaseModel):
    """A row of the `prompts` sheet: a discussion prompt of a factor (question empty) or of
    one of its questions."""

    factor: str
    question: str | None = None
    text: dict[str, str]


class DivergencePromptRow(BaseModel):
    """A row of the `divergence_prompts` sheet."""

    text: dict[str, str]


PROMPTS = Sheet("prompts", PromptRow)
DIVERGENCE = Sheet("divergence_prompts", DivergencePromptRow)


def all_sheets() -> list[Sheet]:
    """Every sheet after `framework`, in the order they are written."""
    return [*sheets(), PROMPTS, DIVERGENCE]


# Writing -----------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def _text_cell(ws: Worksheet, row: int, column: int, value: Any) -> None:
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
        cell.alignment = WRAP


def _plain(value: Any, kind: Kind) -> Any:
    if kind == "ids":
        return ", ".join(value) if value else None
    return value


def _columns(model: type[BaseModel], languages: Sequence[str], stage_ids: Sequence[str],
             parent_column: str | None) -> list[tuple[str, str, str | None, str | None]]:
    """(header, field, key, language) of every column of an item sheet."""
    columns: list[tuple[str, str, str | None, str | None]] = []
    if parent_column:
        columns.append((parent_column, "", None, None))
    for name, kind in _fields(model):
        if kind == "text":
            columns += [(f"{name} {lang}", name, None, lang) for lang in languages]
        elif kind == "keyed":
            columns += [(f"{name} {sid} {lang}", name, sid, lang)
                        for sid in stage_ids for lang in languages]
        else:
            columns.append((name, name, None, None))
    return columns


def _cell_value(item: BaseModel, name: str, key: str | None, lang: str | None) -> Any:
    info = type(item).model_fields[name]
    value = getattr(item, name)
    kind = _kind(info.annotation)[0]
    if kind == "text":
        return value.get(lang) if value else None
    if kind == "keyed":
        text = value.get(key) if value else None
        return text.get(lang) if text else None
    if not info.is_required() and value == info.get_default(call_default_factory=True):
        return None  # a default is left blank: the sheet shows only what was chosen
    return _plain(value, kind)


def _write_items(ws: Worksheet, sheet: Sheet, rows: Sequence[tuple[str | None, BaseModel]],
                 languages: Sequence[str], stage_ids: Sequence[str]) -> None:
    columns = _columns(sheet.model, languages, stage_ids, sheet.parent_column)
    for c, (header, *_rest) in enumerate(columns, start=1):
        ws.cell(row=1, column=c, value=header).font = HEADER_FONT
        wide = " " in header and header.split()[0] not in ("id",)
        ws.column_dimensions[get_column_letter(c)].width = 40 if wide else 16
    for r, (parent_id, item) in enumerate(rows, start=2):
        for c, (_header, name, key, lang) in enumerate(columns, start=1):
            value = parent_id if not name else _cell_value(item, name, key, lang)
            if value is not None:
                _text_cell(ws, r, c, value)
    ws.freeze_panes = "B2"


def _write_top(ws: Worksheet, fw: Framework) -> None:
    headers = ["field", "value", *fw.languages]
    for c, header in enumerate(headers, start=1):
        ws.cell(row=1, column=c, value=header).font = HEADER_FONT
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 16
    for c in range(3, 3 + len(fw.languages)):
        ws.column_dimensions[get_column_letter(c)].width = 60
    for r, (name, kind) in enumerate(_top_fields(), start=2):
        ws.cell(row=r, column=1, value=name).font = HEADER_FONT
        value = _top_value(fw, name)
        if kind == "text":
            for c, lang in enumerate(fw.languages, start=3):
                if value and value.get(lang) is not None:
                    _text_cell(ws, r, c, value[lang])
        elif value is not None:
            _text_cell(ws, r, 2, _plain(value, kind))
    ws.freeze_panes = "B2"


INSTRUCTION_LINES = (
    ("Viitekehys Excel-työkirjana", "A framework as an Excel workbook"),
    ("Välilehti framework: mallin tunnus, versio, kielet, ensimmäisen tason numero "
     "(first_level, 0 tai 1) ja nimet. Tekstit kirjoitetaan jokaiselle kielelle omaan "
     "sarakkeeseensa. Rivit wording.attribution, wording.weakest_link, wording.needs_prompt, "
     "wording.owner_roles ja wording.core_factor kertovat, miten sovellus puhuu mallin "
     "aihepiiristä; ne saa jättää tyhjiksi.",
     "Sheet framework: the framework's id, version, languages, the number of the first level "
     "(first_level, 0 or 1) and names. Every text has a column per language. The rows "
     "wording.attribution, wording.weakest_link, wording.needs_prompt, wording.owner_roles "
     "and wording.core_factor say how the app speaks about the model's domain; they may be "
     "left empty."),
    ("Välilehdet stages, groups, factors, seeds, glossary: rivi kutakin kohtaa kohden. "
     "Sarakkeet 'stages <vaihe> fi' kertovat, miltä tekijä näyttää kussakin vaiheessa. "
     "Ryhmät (groups) ovat valinnaisia; jos niitä on, jokaisen tekijän group-sarakkeeseen "
     "kirjoitetaan sen ryhmän tunnus ja tekijät luetellaan ryhmittäin.",
     "Sheets stages, groups, factors, seeds, glossary: a row per item. The columns 'stages "
     "<stage> en' say what a factor looks like at each stage. Groups are optional; when there "
     "are some, every factor's group column holds its group's id and the factors are listed "
     "group by group."),
    ("Välilehdet questions ja actions: ensimmäinen sarake (factor) kertoo tekijän tunnuksen. "
     "Jokaisella kysymyksellä on vastausvaihtoehto jokaiselle vaiheelle "
     "(sarakkeet 'anchors <vaihe> fi').",
     "Sheets questions and actions: the first column (factor) names the factor's id. Every "
     "question has an answer for every stage (columns 'anchors <stage> en')."),
    ("Välilehti prompts: fasilitaattorin keskustelukysymykset, rivi kutakin kohden. Sarake "
     "factor kertoo tekijän tunnuksen ja question kysymyksen tunnuksen; jätä question "
     "tyhjäksi, kun kysymys koskee koko tekijää. Välilehti divergence_prompts: kysymykset, "
     "joita tarjotaan, kun äänet hajoavat; niissä voi käyttää merkintöjä {low}, {high} ja "
     "{median}.",
     "Sheet prompts: the facilitator's discussion prompts, a row each. The column factor names "
     "the factor's id and question the question's id; leave question empty for a prompt on "
     "the whole factor. Sheet divergence_prompts: prompts offered when the votes diverge; they "
     "may hold {low}, {high} and {median}."),
    ("Kirjoita arvot, älä kaavoja; älä yhdistä soluja. Tunnukset ja versio kirjoitetaan "
     "tekstinä (esimerkiksi '2026.3 tai '001). Lähteet ja muut luettelot erotetaan pilkulla.",
     "Type values, not formulas; do not merge cells. Ids and the version are text (type "
     "'2026.3 or '001). Sources and other lists are separated by commas."),
    ("Tarkista työkirja ja kirjoita viitekehystiedosto: maturity framework import "
     "TIEDOSTO.xlsx --output KEHYS.yaml, tai lähetä se ylläpitäjän Viitekehykset-sivulla.",
     "Check the workbook and write a framework file: maturity framework import FILE.xlsx "
     "--output FRAMEWORK.yaml, or upload it on the administrator's Frameworks page."),
)


def _write_instructions(ws: Worksheet) -> None:
    ws.column_dimensions["A"].width = 80
    ws.column_dimensions["B"].width = 80
    for r, (fi, en) in enumerate(INSTRUCTION_LINES, start=1):
        for c, text in enumerate((fi, en), start=1):
            _text_cell(ws, r, c, text)
            if r == 1:
                ws.cell(row=r, column=c).font = HEADER_FONT


def _items(fw: Framework, sheet: Sheet) -> list[tuple[str | None, BaseModel]]:
    """The rows of an item sheet: (parent id, item)."""
    if sheet.parent is None:
        return [(None, item) for item in getattr(fw, sheet.name)]
    parents = next(s for s in sheets() if s.name == sheet.parent)
    owners = _items(fw, parents)
    return [(getattr(owner, "id", None), item) for _, owner in owners
            for item in getattr(owner, sheet.name)]


def _prompt_rows(fw: Framework) -> list[tuple[str | None, BaseModel]]:
    """The rows of the prompts sheet: a factor's prompts, then those of its questions."""
    rows: list[tuple[str | None, BaseModel]] = []
    for factor in fw.factors:
        rows += [(None, PromptRow(factor=factor.id, text=t)) for t in factor.prompts]
        rows += [(None, PromptRow(factor=factor.id, question=q.id, text=t))
                 for q in factor.questions for t in q.prompts]
    return rows


def workbook_bytes(fw: Framework) -> bytes:
    """The framework as an .xlsx workbook."""
    wb = Workbook()
    top = wb.active
    assert top is not None
    top.title = TOP
    _write_top(top, fw)
    stage_ids = [s.id for s in fw.stages]
    for sheet in sheets():
        _write_items(wb.create_sheet(sheet.name), sheet, _items(fw, sheet), fw.languages,
                     stage_ids)
    _write_items(wb.create_sheet(PROMPTS.name), PROMPTS, _prompt_rows(fw), fw.languages,
                 stage_ids)
    _write_items(wb.create_sheet(DIVERGENCE.name), DIVERGENCE,
                 [(None, DivergencePromptRow(text=t)) for t in fw.divergence_prompts],
                 fw.languages, stage_ids)
    _write_instructions(wb.create_sheet(INSTRUCTIONS[0]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def framework_yaml(fw: Framework, *, comment: str | None = None) -> str:
    """The framework as a framework file (YAML), defaults left out."""
    data = fw.model_dump(mode="json", exclude_defaults=True)
    data = {"schema_version": fw.schema_version, **data}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return (f"# {comment}\n" if comment else "") + text


# Reading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Loc:
    """A cell or row of the workbook."""

    sheet: str
    row: int
    column: str | None = None
    header: str | None = None


@dataclass
class _Reader:
    problems: list[Problem] = field(default_factory=list)
    # Path in the framework data -> where it was read from.
    places: dict[tuple[Any, ...], Loc] = field(default_factory=dict)

    def problem(self, message: str, loc: Loc | None = None, **params: Any) -> None:
        self.problems.append(Problem(
            message, params, loc.sheet if loc else None, loc.row if loc else None,
            loc.column if loc else None, loc.header if loc else None))


def _open(data: bytes, reader: _Reader) -> Any:
    """The workbook, or None with the reason it cannot be opened."""
    if len(data) > MAX_WORKBOOK_BYTES:
        reader.problem(N_("The file is {size} MB; a framework workbook or file is at most "
                          "{max} MB."), size=f"{len(data) / 1024 / 1024:.1f}",
                       max=MAX_WORKBOOK_BYTES // 1024 // 1024)
        return None
    not_workbook = N_("The file is not an Excel workbook (.xlsx).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        reader.problem(not_workbook)
        return None
    if unpacked > MAX_UNPACKED_BYTES:
        reader.problem(N_("The workbook unpacks to more than {max} MB; it cannot be a "
                          "framework."), max=MAX_UNPACKED_BYTES // 1024 // 1024)
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features it drops
            return load_workbook(io.BytesIO(data), data_only=False, rich_text=False)
    except Exception:  # openpyxl raises many kinds for a zip that is no workbook
        reader.problem(not_workbook)
        return None


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).lower() if value is not None else ""


def _check_sheet_cells(ws: Worksheet, reader: _Reader) -> bool:
    """Merged cells and formulas: each one is a problem."""
    ok = True
    for merged in ws.merged_cells.ranges:
        ok = False
        reader.problem(N_("Cells {cells} are merged: unmerge them and give every cell its "
                          "own value."), Loc(ws.title, merged.min_row,
                                             get_column_letter(merged.min_col)),
                       cells=merged.coord)
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                ok = False
                reader.problem(N_("The cell holds a formula: type its value instead."),
                               Loc(ws.title, cell.row, cell.column_letter))
    return ok


def _string(cell: Cell, reader: _Reader, loc: Loc) -> str | None:
    """A text cell's value: None when empty; a number, date or other value is a problem."""
    value = cell.value
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        reader.problem(N_("Expected text here, not TRUE or FALSE."), loc)
    else:
        reader.problem(N_("Expected text here, not a number or a date: format the cell as "
                          "text (or type ' before it)."), loc)
    return None


def _bool(cell: Cell, reader: _Reader, loc: Loc) -> bool | None:
    value = cell.value
    if value is None or isinstance(value, bool):
        return value
    text = _norm(value)
    if text in ("", "-"):
        return None
    if text in ("true", "yes", "x", "kyllä", "1", "tosi"):
        return True
    if text in ("false", "no", "ei", "0", "epätosi"):
        return False
    reader.problem(N_("Expected TRUE or FALSE (or yes or no)."), loc)
    return None


def _int(cell: Cell, reader: _Reader, loc: Loc) -> int | None:
    value = cell.value
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    reader.problem(N_("Expected a whole number."), loc)
    return None


def _scalar(kind: Kind, cell: Cell, reader: _Reader, loc: Loc) -> Any:
    if kind == "bool":
        return _bool(cell, reader, loc)
    if kind == "int":
        return _int(cell, reader, loc)
    text = _string(cell, reader, loc)
    if kind == "ids":
        return [part.strip() for part in text.split(",") if part.strip()] if text else None
    return text


@dataclass(frozen=True)
class _Column:
    index: int  # 1-based
    header: str
    name: str  # field name, or "" for the parent column
    key: str | None
    lang: str | None


def _header(ws: Worksheet, sheet: Sheet, languages: Sequence[str],
            reader: _Reader) -> list[_Column]:
    """The columns of an item sheet from its first row; unknown or repeated ones are
    problems."""
    fields = dict(_fields(sheet.model))
    columns: list[_Column] = []
    seen: dict[str, int] = {}
    for cell in next(ws.iter_rows(min_row=1, max_row=1), ()):
        header = _norm(cell.value)
        if not header:
            continue
        loc = Loc(ws.title, 1, cell.column_letter, header)
        if header in seen:
            reader.problem(N_("The column {header} appears twice."), loc, header=header)
            continue
        seen[header] = cell.column
        words = header.split(" ")
        name = words[0]
        if header == sheet.parent_column:
            columns.append(_Column(cell.column, header, "", None, None))
        elif name in fields and (
                (fields[name] == "text" and len(words) == 2 and words[1] in languages)
                or (fields[name] == "keyed" and len(words) == 3 and words[2] in languages)
                or (fields[name] not in ("text", "keyed") and len(words) == 1)):
            key = words[1] if fields[name] == "keyed" else None
            lang = words[-1] if fields[name] in ("text", "keyed") else None
            columns.append(_Column(cell.column, header, name, key, lang))
        else:
            reader.problem(N_("Unknown column {header}: the columns of this sheet are "
                              "{known}."), loc, header=header,
                           known=", ".join(_expected(sheet, languages)))
    if sheet.parent_column and sheet.parent_column not in seen:
        reader.problem(N_("The sheet has no column {header}."), Loc(ws.title, 1),
                       header=sheet.parent_column)
    present = {c.name for c in columns}
    for name, info in sheet.model.model_fields.items():
        if name in fields and info.is_required() and name not in present:
            reader.problem(N_("The sheet has no column {header}."), Loc(ws.title, 1),
                           header=name if fields[name] not in ("text", "keyed")
                           else f"{name} {languages[0] if languages else 'fi'}")
    return columns


def _expected(sheet: Sheet, languages: Sequence[str]) -> list[str]:
    out = [sheet.parent_column] if sheet.parent_column else []
    for name, kind in _fields(sheet.model):
        if kind == "text":
            out += [f"{name} {lang}" for lang in languages]
        elif kind == "keyed":
            out.append(f"{name} <stage> <{'|'.join(languages)}>")
        else:
            out.append(name)
    return out


def _rows(ws: Worksheet) -> Iterator[tuple[int, tuple[Cell, ...]]]:
    """The rows after the header that hold anything."""
    for row in ws.iter_rows(min_row=2):
        if any(cell.value is not None and _norm(cell.value) for cell in row):
            yield row[0].row, row


def _item(ws: Worksheet, row_number: int, row: tuple[Cell, ...], columns: list[_Column],
          kinds: Mapping[str, Kind], path: tuple[Any, ...], reader: _Reader,
          ) -> tuple[dict[str, Any], str | None]:
    """One row as item data (and its parent id), with where each value was read."""
    cells = {cell.column: cell for cell in row}
    data: dict[str, Any] = {}
    parent: str | None = None
    reader.places[path] = Loc(ws.title, row_number)
    for column in columns:
        cell = cells.get(column.index)
        loc = Loc(ws.title, row_number, get_column_letter(column.index), column.header)
        if cell is None:
            continue
        if not column.name:
            parent = _string(cell, reader, loc)
            continue
        kind = kinds[column.name]
        place = (*path, column.name)
        reader.places.setdefault(place, loc)
        if kind == "text":
            reader.places[(*place, column.lang)] = loc
            if (text := _string(cell, reader, loc)) is not None:
                data.setdefault(column.name, {})[column.lang] = text
        elif kind == "keyed":
            reader.places.setdefault((*place, column.key), loc)
            reader.places[(*place, column.key, column.lang)] = loc
            if (text := _string(cell, reader, loc)) is not None:
                data.setdefault(column.name, {}).setdefault(column.key, {})[column.lang] = text
        elif (value := _scalar(kind, cell, reader, loc)) is not None:
            data[column.name] = value
    return data, parent


def _languages(ws: Worksheet, rows: list[tuple[int, tuple[Cell, ...]]],
               reader: _Reader) -> list[str]:
    for number, row in rows:
        if _norm(row[0].value) == "languages" and len(row) > 1:
            value = _string(row[1], reader, Loc(ws.title, number, "B", "value"))
            return [p.strip() for p in (value or "").split(",") if p.strip()]
    return []


def _top_text(ws: Worksheet, number: int, row: tuple[Cell, ...], path: tuple[str, ...],
              lang_columns: Mapping[str, int], reader: _Reader) -> dict[str, str]:
    text: dict[str, str] = {}
    for lang, index in lang_columns.items():
        loc = Loc(ws.title, number, get_column_letter(index + 1), lang)
        reader.places[(*path, lang)] = loc
        if index < len(row) and (value := _string(row[index], reader, loc)):
            text[lang] = value
    return text


def _read_top(ws: Worksheet, reader: _Reader) -> tuple[dict[str, Any], list[str]]:
    """The framework sheet: the top-level fields, and the languages it names."""
    kinds = dict(_top_fields())
    header = [_norm(c.value) for c in next(ws.iter_rows(min_row=1, max_row=1), ())]
    data: dict[str, Any] = {}
    rows = list(_rows(ws))
    languages = _languages(ws, rows, reader)
    if header[:2] != ["field", "value"]:
        reader.problem(N_("The first row must name the columns field, value and one column "
                          "per language."), Loc(ws.title, 1))
        return data, languages
    lang_columns = {h: i for i, h in enumerate(header) if h in languages}
    for lang in languages:
        if lang not in lang_columns:
            reader.problem(N_("The sheet has no column {header}."), Loc(ws.title, 1),
                           header=lang)
    seen: set[str] = set()
    for number, row in rows:
        name = _norm(row[0].value)
        loc = Loc(ws.title, number, "A", "field")
        if name not in kinds or name in seen:
            reader.problem(N_("Unknown field {name}: the fields are {known}.")
                           if name not in kinds else N_("The field {name} appears twice."),
                           loc, name=name, known=", ".join(kinds))
            continue
        seen.add(name)
        path = tuple(name.split("."))  # ("wording", "attribution") for a nested field
        target = data
        for part in path[:-1]:
            target = target.setdefault(part, {})
        reader.places[path] = Loc(ws.title, number, "B", "value")
        if kinds[name] == "text":
            if text := _top_text(ws, number, row, path, lang_columns, reader):
                target[path[-1]] = text
        elif len(row) > 1 and (value := _scalar(kinds[name], row[1], reader,
                                                reader.places[path])) is not None:
            target[path[-1]] = value
    return data, languages


def _duplicate_ids(sheet: Sheet, rows: list[tuple[int, dict[str, Any], str | None]],
                   reader: _Reader, id_column: str | None) -> None:
    if "id" not in sheet.model.model_fields:
        return
    first: dict[str, int] = {}
    for number, item, _ in rows:
        ident = item.get("id")
        if not isinstance(ident, str):
            continue
        if ident in first:
            reader.problem(N_("Duplicate id “{id}”: row {row} has it already."),
                           Loc(sheet.name, number, id_column, "id"), id=ident,
                           row=first[ident])
        else:
            first[ident] = number


Rows = list[tuple[int, dict[str, Any], str | None]]


def _sheet_rows(ws: Worksheet, sheet: Sheet, languages: list[str], reader: _Reader) -> Rows:
    """A sheet's rows as item data, with their parent ids; duplicate ids are problems."""
    columns = _header(ws, sheet, languages, reader)
    kinds = dict(_fields(sheet.model))
    rows: Rows = []
    for index, (number, row) in enumerate(_rows(ws)):
        if index >= MAX_ROWS:
            reader.problem(N_("The sheet has more than {max} rows."), Loc(ws.title, number),
                           max=MAX_ROWS)
            break
        item, parent = _item(ws, number, row, columns, kinds, (sheet.name, number), reader)
        rows.append((number, item, parent))
    id_column = next((get_column_letter(c.index) for c in columns if c.name == "id"), None)
    _duplicate_ids(sheet, rows, reader, id_column)
    return rows


def _place_nested(sheet: Sheet, rows: Rows, owners: list[dict[str, Any]],
                  reader: _Reader) -> None:
    """Put a nested sheet's rows under the items they name (questions under factors)."""
    by_id = {item["id"]: (i, item) for i, item in enumerate(owners)
             if isinstance(item.get("id"), str)}
    for number, item, parent in rows:
        loc = Loc(sheet.name, number, "A", sheet.parent_column)
        if parent is None or parent not in by_id:
            reader.problem(N_("Name the {parent} this row belongs to.") if parent is None
                           else N_("There is no {parent} “{id}” in the sheet {sheet}."),
                           loc, parent=sheet.parent_column, id=parent, sheet=sheet.parent)
            continue
        index, owner = by_id[parent]
        siblings = owner.setdefault(sheet.name, [])
        _move_places(reader, (sheet.name, number),
                     (sheet.parent, index, sheet.name, len(siblings)))
        siblings.append(item)


def _read_items(wb: Any, languages: list[str], reader: _Reader) -> dict[str, Any]:
    """Every item sheet, nested lists placed under their parent items."""
    data: dict[str, Any] = {}
    for sheet in sheets():
        rows = (_sheet_rows(wb[sheet.name], sheet, languages, reader)
                if sheet.name in wb.sheetnames else [])
        if sheet.parent is None:
            for i, (number, _, _) in enumerate(rows):
                _move_places(reader, (sheet.name, number), (sheet.name, i))
            data[sheet.name] = [item for _, item, _ in rows]
        else:
            _place_nested(sheet, rows, data.get(sheet.parent, []), reader)
    return data


def _read_prompts(wb: Any, data: dict[str, Any], languages: list[str],
                  reader: _Reader) -> None:
    """The prompts sheet's rows under the factors and questions they name, and the
    divergence prompts sheet's rows as the framework's divergence prompts."""
    # A row naming a factor or question whose own row has a problem would only repeat it.
    echo = any(p.sheet in ("factors", "questions") for p in reader.problems)
    if PROMPTS.name in wb.sheetnames:
        factors = {f["id"]: (i, f) for i, f in enumerate(data.get("factors", []))
                   if isinstance(f.get("id"), str)}
        for number, item, _ in _sheet_rows(wb[PROMPTS.name], PROMPTS, languages, reader):
            factor_id, question_id = item.get("factor"), item.get("question")
            at = reader.places.get((PROMPTS.name, number, "factor"),
                                   Loc(PROMPTS.name, number, "A", "factor"))
            if factor_id not in factors:
                if echo and factor_id is not None:
                    continue
                reader.problem(N_("Name the {parent} this row belongs to.") if factor_id is None
                               else N_("There is no {parent} “{id}” in the sheet {sheet}."),
                               at, parent="factor", id=factor_id, sheet="factors")
                continue
            index, factor = factors[factor_id]
            target: tuple[Any, ...] = ("factors", index)
            owner = factor
            if question_id is not None:
                questions = {q.get("id"): (i, q)
                             for i, q in enumerate(factor.get("questions", []))}
                if question_id not in questions:
                    if echo:
                        continue
                    reader.problem(N_("There is no question “{id}” of the factor “{factor}” "
                                      "in the sheet questions."),
                                   reader.places.get((PROMPTS.name, number, "question"), at),
                                   id=question_id, factor=factor_id)
                    continue
                q_index, owner = questions[question_id]
                target = (*target, "questions", q_index)
            prompts = owner.setdefault("prompts", [])
            _move_text_places(reader, (PROMPTS.name, number), (*target, "prompts", len(prompts)))
            prompts.append(item.get("text", {}))
    if DIVERGENCE.name in wb.sheetnames:
        prompts = data.setdefault("divergence_prompts", [])
        for number, item, _ in _sheet_rows(wb[DIVERGENCE.name], DIVERGENCE, languages, reader):
            _move_text_places(reader, (DIVERGENCE.name, number),
                              ("divergence_prompts", len(prompts)))
            prompts.append(item.get("text", {}))


def _move_text_places(reader: _Reader, row: tuple[Any, ...], new: tuple[Any, ...]) -> None:
    """A prompt row's places under the prompt it became: its text cells by language, the row
    for the prompt itself."""
    _move_places(reader, (*row, "text"), new)
    reader.places[new] = reader.places.pop(row, Loc(str(row[0]), int(row[1])))
    _move_places(reader, row, ("_read", *row))  # the factor and question cells: done with


def _move_places(reader: _Reader, old: tuple[Any, ...], new: tuple[Any, ...]) -> None:
    for key in [k for k in reader.places if k[:len(old)] == old]:
        reader.places[(*new, *key[len(old):])] = reader.places.pop(key)


_PART = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


def _split(path: str) -> tuple[Any, ...]:
    return tuple(int(m.group(1)) if m.group(1) else m.group(2) for m in _PART.finditer(path))


def _locate(issue: Issue, reader: _Reader) -> Problem:
    """A loader issue at the cell (or row) it came from."""
    parts = _split(issue.path)
    loc: Loc | None = None
    for quoted in re.findall(r"'([^']+)'", issue.message):
        loc = reader.places.get((*parts, quoted))
        if loc:
            break
    for size in range(len(parts), 0, -1):
        if loc:
            break
        loc = reader.places.get(parts[:size])
    return Problem(issue.message, {}, loc.sheet if loc else None, loc.row if loc else None,
                   loc.column if loc else None, loc.header if loc else None,
                   path=issue.path, translatable=False)


def _sheet_problems(wb: Any, reader: _Reader) -> None:
    known = {TOP, *(s.name for s in all_sheets())}
    required = {TOP, *(s.name for s in sheets()
                       if s.parent is None and Framework.model_fields[s.name].is_required()),
                *(s.name for s in sheets() if s.parent is not None
                  and s.model.model_fields and _required_nested(s))}
    for name in wb.sheetnames:
        if name not in known and _norm(name) not in INSTRUCTIONS:
            reader.problem(N_("Unknown sheet {sheet}: the sheets are {known}."), sheet=name,
                           known=", ".join([TOP, *(s.name for s in all_sheets())]))
    for name in sorted(required - set(wb.sheetnames), key=[TOP, *(s.name for s in sheets())
                                                            ].index):
        reader.problem(N_("The sheet {sheet} is missing."), sheet=name)
    for name in wb.sheetnames:
        if name in known:
            _check_sheet_cells(wb[name], reader)


def _required_nested(sheet: Sheet) -> bool:
    parent = next(s for s in sheets() if s.name == sheet.parent)
    return parent.model.model_fields[sheet.name].is_required()


def framework_from_workbook(data: bytes, name: str = "workbook") -> Framework:
    """Read and check a workbook; raise WorkbookError with every problem found."""
    reader = _Reader()
    wb = _open(data, reader)
    if wb is None:
        raise WorkbookError(name, reader.problems)
    _sheet_problems(wb, reader)
    if reader.problems:  # a workbook that is not laid out as one: its values mean nothing
        raise WorkbookError(name, reader.problems)
    top, languages = _read_top(wb[TOP], reader)
    top.update(_read_items(wb, languages, reader))
    _read_prompts(wb, top, languages, reader)
    if reader.problems:
        raise WorkbookError(name, reader.problems)
    try:
        framework = Framework.model_validate(top)
    except ValidationError as exc:
        issues = [Issue(_loc_path(err["loc"]), err["msg"]) for err in exc.errors()]
        raise WorkbookError(name, [_locate(i, reader) for i in issues]) from None
    issues = semantic_issues(framework)
    if issues:
        raise WorkbookError(name, [_locate(i, reader) for i in issues])
    return framework


def _loc_path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
