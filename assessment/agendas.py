"""Workshop agendas as data: the agenda templates shipped beside the frameworks, and a
workshop's own plan made from one.

A template file (YAML in `frameworks/agendas/`) is parsed into strict, frozen models like a
framework file, and a bad file stops start-up with the file, the path inside it and what is
wrong. A workshop keeps a snapshot of its plan (`Workshop.plan`): the items in the order the
consultant chose, each with its timebox, plus the template's facilitator notes and
checklist, so a later edit of the template never rewrites a workshop's history.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from assessment.framework import (
    Framework,
    Identifier,
    Issue,
    LanguageCode,
    Text,
    _Frozen,
    _path,
    _texts,
)

AGENDA_SCHEMA_VERSION = 1
AGENDAS = "agendas"  # the sub-folder of a frameworks directory holding agenda templates
MAX_MINUTES = 8 * 60  # a timebox longer than a working day is a typing error
MAX_ITEMS = 60

# The kinds of agenda item. `factor` stands for one factor's questions (and its target when
# targets are voted after each factor); `targets` for the target steps voted at the end.
ITEM_KINDS = ("needs", "needs_vote", "factor", "targets", "wrapup")
StepKindName = Literal["needs", "needs_vote", "factors", "targets", "wrapup"]
Minutes = Field(ge=1, le=MAX_MINUTES, description="The timebox in minutes (1–480)")


class AgendaStep(_Frozen):
    """One step of a template: what happens, for how long, and what the facilitator says."""

    kind: StepKindName = Field(description="needs, needs_vote, factors (each chosen factor's "
                               "questions; `minutes` is per factor), targets or wrapup")
    minutes: int = Minutes
    notes: Text = Field(description="Facilitator notes: what to say and ask in this step")


class AgendaTemplate(_Frozen):
    """A whole agenda template file."""

    schema_version: int = Field(description="Format version of the file; currently 1")
    id: Identifier
    languages: list[LanguageCode] = Field(min_length=1)
    name: Text
    description: Text
    factors: Literal["all", "choose"] | list[Identifier] = Field(
        default="all", description="Which factors the `factors` step covers: all of the "
        "framework's, the consultant chooses them, or these factor ids")
    steps: list[AgendaStep] = Field(min_length=1, max_length=MAX_ITEMS)
    checklist: list[Text] = Field(default_factory=list,
                                  description="What the facilitator brings and prepares")

    @property
    def minutes(self) -> int:
        """The planned length (a `factors` step counts once per factor: eight for all of the
        default framework's, three when the consultant chooses them)."""
        count = {"all": 8, "choose": 3}.get(self.factors, 0) if isinstance(self.factors, str) \
            else len(self.factors)
        return sum(s.minutes * (count if s.kind == "factors" else 1) for s in self.steps)


class AgendaFileError(Exception):
    """An agenda template that cannot be used, with every problem found in it."""

    def __init__(self, file: Path, issues: list[Issue]) -> None:
        self.file = file
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        super().__init__(f"Invalid agenda file {file}:\n{lines}")


def semantic_issues(template: AgendaTemplate, frameworks: Iterable[Framework] = ()) -> list[Issue]:
    """Checks that span the file: each kind once, translations, known factor ids."""
    issues: list[Issue] = []
    if template.schema_version != AGENDA_SCHEMA_VERSION:
        issues.append(Issue("schema_version", f"unsupported version {template.schema_version}; "
                                              f"expected {AGENDA_SCHEMA_VERSION}"))
    for kind, n in Counter(s.kind for s in template.steps).items():
        if n > 1:
            issues.append(Issue("steps", f"the step kind '{kind}' appears {n} times"))
    wanted = set(template.languages)
    for path, text in _texts(template, []):
        issues += [Issue(_path(path), f"missing translation '{lang}'")
                   for lang in sorted(wanted - text.keys())]
        issues += [Issue(_path([*path, lang]), f"language '{lang}' is not in languages")
                   for lang in sorted(text.keys() - wanted)]
    if isinstance(template.factors, list):
        for fw in frameworks:
            known = {f.id for f in fw.factors}
            issues += [Issue(_path(["factors", i]), f"unknown factor '{fid}' in {fw.id}")
                       for i, fid in enumerate(template.factors) if fid not in known]
    return issues


def parse_agenda(data: Any, file: Path, frameworks: Iterable[Framework] = ()) -> AgendaTemplate:
    """Validate parsed file content; raise AgendaFileError with every problem found."""
    if not isinstance(data, Mapping):
        raise AgendaFileError(file, [Issue("", "the file must contain a mapping")])
    try:
        template = AgendaTemplate.model_validate(data)
    except ValidationError as exc:
        raise AgendaFileError(file, [Issue(_path(e["loc"]), e["msg"])
                                     for e in exc.errors()]) from None
    issues = semantic_issues(template, frameworks)
    if issues:
        raise AgendaFileError(file, issues)
    return template


def load_agenda(file: Path, frameworks: Iterable[Framework] = ()) -> AgendaTemplate:
    """Read and validate one agenda template file (YAML or JSON)."""
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AgendaFileError(file, [Issue("", f"cannot read the file: {exc}")]) from None
    except yaml.YAMLError as exc:
        raise AgendaFileError(file, [Issue("", f"not valid YAML: {exc}")]) from None
    return parse_agenda(data, file, frameworks)


def agenda_json_schema() -> dict[str, Any]:
    """The JSON Schema of the agenda template format, generated from the models."""
    schema = AgendaTemplate.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "SoMe Maturity Workshop agenda template"
    return schema


def agenda_summary(template: AgendaTemplate) -> str:
    """One line describing a valid template, for `maturity framework check`."""
    return (f"agenda {template.id}: {len(template.steps)} steps, {template.minutes} min, "
            f"languages {', '.join(template.languages)}")


class AgendaLibrary:
    """The agenda templates available when a workshop is created, in file-name order."""

    def __init__(self, templates: list[AgendaTemplate]) -> None:
        ids = [t.id for t in templates]
        if dup := [i for i, n in Counter(ids).items() if n > 1]:
            raise ValueError(f"two agenda files share the id {dup[0]!r}")
        self._templates = {t.id: t for t in templates}

    @classmethod
    def from_directory(cls, directory: Path, frameworks: Iterable[Framework] = ()
                       ) -> AgendaLibrary:
        """Load every *.yaml file in the directory; the first invalid file stops loading."""
        found = list(frameworks)
        return cls([load_agenda(p, found) for p in sorted(directory.glob("*.y*ml"))])

    @property
    def templates(self) -> list[AgendaTemplate]:
        """Every template."""
        return list(self._templates.values())

    def get(self, template_id: str | None) -> AgendaTemplate | None:
        """A template by id, or None."""
        return self._templates.get(template_id or "")


# A workshop's plan ---------------------------------------------------------------------

@dataclass(frozen=True)
class PlanItem:
    """One item of a workshop's agenda: a kind (a factor's questions for `factor`) and its
    timebox in minutes."""

    kind: str
    minutes: int
    factor_id: str | None = None

    @property
    def key(self) -> str:
        """The item's identity in a plan (time spent is kept under it)."""
        return f"factor:{self.factor_id}" if self.kind == "factor" else self.kind


@dataclass(frozen=True)
class Plan:
    """A workshop's agenda: its items in order, and the template's notes and checklist."""

    items: tuple[PlanItem, ...]
    template: str | None = None
    name: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # by item kind
    checklist: tuple[Mapping[str, str], ...] = ()

    @property
    def minutes(self) -> int:
        """The planned length of the whole agenda."""
        return sum(item.minutes for item in self.items)

    def notes_for(self, item: PlanItem) -> Mapping[str, str] | None:
        """The facilitator notes of an item (a factor's are the template's `factors` notes)."""
        return self.notes.get("factors" if item.kind == "factor" else item.kind)

    def to_json(self) -> dict[str, Any]:
        """The plan as stored on the workshop."""
        return {"template": self.template, "name": dict(self.name),
                "notes": {k: dict(v) for k, v in self.notes.items()},
                "checklist": [dict(c) for c in self.checklist],
                "items": [{"kind": i.kind, "minutes": i.minutes, "factor_id": i.factor_id}
                          for i in self.items]}

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """A stored plan (as `to_json` wrote it)."""
        if isinstance(data, str):
            data = json.loads(data)
        return cls(items=tuple(PlanItem(i["kind"], int(i["minutes"]), i.get("factor_id"))
                               for i in data.get("items", [])),
                   template=data.get("template"), name=data.get("name") or {},
                   notes=data.get("notes") or {},
                   checklist=tuple(data.get("checklist") or ()))


# Timeboxes of the agenda a workshop had before templates existed (and of one started
# without a template): the full maturity workshop's.
DEFAULT_MINUTES = {"needs": 20, "needs_vote": 10, "factor": 15, "targets": 15, "wrapup": 10}


def default_plan(framework: Framework) -> Plan:
    """Needs, dot voting, every factor, the targets, wrap-up (the agenda before templates)."""
    items = [PlanItem("needs", DEFAULT_MINUTES["needs"]),
             PlanItem("needs_vote", DEFAULT_MINUTES["needs_vote"])]
    items += [PlanItem("factor", DEFAULT_MINUTES["factor"], f.id) for f in framework.factors]
    items += [PlanItem("targets", DEFAULT_MINUTES["targets"]),
              PlanItem("wrapup", DEFAULT_MINUTES["wrapup"])]
    return Plan(tuple(items))


def plan_from_template(template: AgendaTemplate, framework: Framework) -> Plan:
    """The plan a template gives for a framework: its steps in order, the `factors` step
    expanded into one item per factor (none when the consultant is to choose them)."""
    if template.factors == "all":
        factor_ids = [f.id for f in framework.factors]
    elif template.factors == "choose":
        factor_ids = []
    else:
        known = {f.id for f in framework.factors}
        factor_ids = [fid for fid in template.factors if fid in known]
    items: list[PlanItem] = []
    for step in template.steps:
        if step.kind == "factors":
            items += [PlanItem("factor", step.minutes, fid) for fid in factor_ids]
        else:
            items.append(PlanItem(step.kind, step.minutes))
    return Plan(tuple(items), template=template.id, name=dict(template.name),
                notes={s.kind: dict(s.notes) for s in template.steps},
                checklist=tuple(dict(c) for c in template.checklist))
