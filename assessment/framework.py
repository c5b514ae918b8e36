"""The maturity framework as data: strict, frozen models, the file loader and its checks.

A framework file (YAML) is parsed into these models at start-up. Structural errors come from
Pydantic; the checks that need the whole file (duplicate ids, translations, anchors for every
stage, references to unknown stages and seeds) come from `semantic_issues`. Both are reported
the same way: the file, the path inside it and what is wrong.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import string
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

SCHEMA_VERSION = 1
ARCHIVE = "archive"  # sub-folder of a frameworks directory holding earlier versions
MIN_STAGES, MAX_STAGES = 3, 7
MIN_FACTORS, MAX_FACTORS = 3, 20
MIN_FIRST_LEVEL, MAX_FIRST_LEVEL = 0, 1

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", strict=True)
]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$", strict=True)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]
# A text in every language of the framework, e.g. {"fi": "Kuunteleminen", "en": "Listening"}.
Text = Annotated[dict[LanguageCode, NonEmpty], Field(min_length=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    # Fields added after frameworks were first pinned: left out of the canonical JSON while
    # they hold their default, so that content pinned before they existed keeps its hash.
    _omit_at_default: ClassVar[frozenset[str]] = frozenset()


class Seed(_Frozen):
    """A source text the content rests on, cited by id from questions and actions."""

    id: Identifier
    title: Text = Field(description="Title, author or publisher, shown as \"why we ask this\"")


class GlossaryEntry(_Frozen):
    """A term used consistently in the framework, with what it means."""

    term: Text
    meaning: Text


class Stage(_Frozen):
    """One maturity stage; its level is its position counted from the framework's
    `first_level` (1 unless the framework numbers its stages from 0)."""

    id: Identifier
    name: Text
    description: Text


class Question(_Frozen):
    """A question whose answer options are anchors: what it looks like at each stage."""

    _omit_at_default = frozenset({"scope", "not_applicable", "sources", "prompts"})

    id: Identifier
    text: Text
    anchors: dict[Identifier, Text] = Field(description="Stage id -> observable description")
    scope: Literal["unit", "organisation"] = Field(
        default="unit", description="Whose practice the question asks about: the unit's own, "
        "or the whole organisation's (then every unit answers alike, and the dashboard leaves "
        "it out of unit comparisons and weakest links)")
    not_applicable: bool = Field(
        default=False, description="Whether 'not applicable' may be answered (self-assessment "
        "and workshop phone), for questions that can honestly not apply")
    sources: list[Identifier] = Field(
        default_factory=list, description="Ids of the seeds (see `seeds`) the question rests on")
    prompts: list[Text] = Field(
        default_factory=list, description="Discussion prompts for the facilitator on this "
        "question (workshop console; one can be put on the projector)")


class Action(_Frozen):
    """An action that moves a factor from `from_stage` to the stage after it."""

    _omit_at_default = frozenset({"owner_role", "done_when", "sources"})

    id: Identifier
    from_stage: Identifier
    text: Text
    owner_role: Text | None = Field(default=None, description="Suggested owner (a role)")
    done_when: Text | None = Field(default=None, description="When the action counts as done")
    sources: list[Identifier] = Field(
        default_factory=list, description="Ids of the seeds (see `seeds`) the action rests on")


class Group(_Frozen):
    """A group of factors (an area, a business function), shown as a heading over them."""

    _omit_at_default = frozenset({"description"})

    id: Identifier
    name: Text
    description: Text | None = Field(default=None, description="What the group covers")


class Wording(_Frozen):
    """How the app speaks about the framework's domain; every text optional. These texts do
    not change what an answer means, so they are left out of the content hash: adding or
    editing them needs no new version."""

    attribution: Text | None = Field(
        default=None, description="One line in the footer of every page, e.g. whose model "
        "the framework follows")
    weakest_link: Text | None = Field(
        default=None, description="Why the weakest link matters, one sentence: shown on the "
        "dashboard and in the leadership brief")
    needs_prompt: Text | None = Field(
        default=None, description="The question participants answer in a workshop's needs "
        "and expectations step")
    owner_roles: Text | None = Field(
        default=None, description="Example roles, shown as the hint of a phase owner's role")
    core_factor: Text | None = Field(
        default=None, description="Why the core factor is in the centre, one sentence: shown "
        "under the radar charts of the reports (only when a factor is marked core)")


class Factor(_Frozen):
    """A success factor with its per-stage descriptions, questions and action library."""

    _omit_at_default = frozenset({"group", "prompts"})

    id: Identifier
    core: bool = Field(default=False, description="The centre of the framework (at most one)")
    group: Identifier | None = Field(
        default=None, description="Id of the group (see `groups`) the factor belongs to; "
        "required for every factor when the framework has groups")
    name: Text
    description: Text
    stages: dict[Identifier, Text] = Field(description="Stage id -> this factor at that stage")
    questions: list[Question] = Field(min_length=1)
    actions: list[Action] = Field(default_factory=list)
    prompts: list[Text] = Field(
        default_factory=list, description="Discussion prompts for every question of the factor "
        "(workshop console; one can be put on the projector)")


# The placeholders a divergence prompt may hold: the lowest and highest stage voted, and the
# median's stage, each filled in as "4 (Integrated)".
DIVERGENCE_PLACEHOLDERS = frozenset({"low", "high", "median"})


class Framework(_Frozen):
    """A whole framework file."""

    _omit_at_default = frozenset({"facilitator_note", "seeds", "glossary", "first_level",
                                  "groups", "wording", "divergence_prompts"})
    # Left out of the content hash (but kept in the snapshot): see `Wording`.
    _not_hashed: ClassVar[frozenset[str]] = frozenset({"wording"})

    schema_version: int = Field(description="Format version of the file; currently 1")
    id: Identifier
    version: Annotated[str, StringConstraints(min_length=1, max_length=40, strict=True)]
    languages: list[LanguageCode] = Field(min_length=1)
    name: Text
    description: Text
    source: Text | None = Field(default=None, description="Where the content comes from")
    first_level: int = Field(
        default=1, ge=MIN_FIRST_LEVEL, le=MAX_FIRST_LEVEL, description="The number of the "
        "first stage (0 or 1); the stages after it count up from it. Answers, scores, targets "
        "and gates are numbered the same way")
    stages: list[Stage] = Field(min_length=MIN_STAGES, max_length=MAX_STAGES)
    groups: list[Group] = Field(
        default_factory=list, description="Optional groups of factors, in order; when given, "
        "every factor names its group and the factors are listed group by group")
    factors: list[Factor] = Field(min_length=MIN_FACTORS, max_length=MAX_FACTORS)
    facilitator_note: Text | None = Field(
        default=None, description="How to choose a stage; shown in the questionnaire's help "
        "and the workshop console")
    seeds: list[Seed] = Field(default_factory=list,
                              description="The source texts questions and actions cite")
    glossary: list[GlossaryEntry] = Field(default_factory=list,
                                          description="Terms and what they mean")
    wording: Wording = Field(default_factory=Wording,
                             description="How the app speaks about the framework's domain")
    divergence_prompts: list[Text] = Field(
        default_factory=list, description="Prompts the console offers after a reveal whose "
        "votes diverge; {low}, {high} and {median} are filled in with the stages voted")

    @property
    def stage_count(self) -> int:
        """Number of stages."""
        return len(self.stages)

    @property
    def last_level(self) -> int:
        """The number of the last stage."""
        return self.first_level + len(self.stages) - 1

    @property
    def levels(self) -> range:
        """The stage numbers, from `first_level` to `last_level`."""
        return range(self.first_level, self.first_level + len(self.stages))

    def is_level(self, level: object) -> bool:
        """Whether a value is one of the stage numbers."""
        return isinstance(level, int) and not isinstance(level, bool) and level in self.levels

    def stage_by_level(self, level: int) -> Stage:
        """The stage with this number (ValueError when there is none)."""
        if not self.is_level(level):
            raise ValueError(f"no stage {level} (stages {self.first_level}–{self.last_level})")
        return self.stages[level - self.first_level]

    def level_of(self, stage_id: str) -> int:
        """The number of a stage id."""
        return next(i for i, s in enumerate(self.stages, start=self.first_level)
                    if s.id == stage_id)

    @property
    def core_factor(self) -> Factor | None:
        """The factor marked core, if any."""
        return next((f for f in self.factors if f.core), None)

    def factor_groups(self) -> list[tuple[Group | None, list[Factor]]]:
        """The factors under their groups, in order; one (None, all factors) pair when the
        framework has no groups."""
        if not self.groups:
            return [(None, list(self.factors))]
        return [(g, [f for f in self.factors if f.group == g.id]) for g in self.groups]

    def group_of(self, factor_id: str) -> Group | None:
        """The group of a factor, or None when the framework has no groups."""
        group_id = self.factor(factor_id).group
        return next((g for g in self.groups if g.id == group_id), None)

    def factor(self, factor_id: str) -> Factor:
        """The factor with this id (KeyError when unknown)."""
        for f in self.factors:
            if f.id == factor_id:
                return f
        raise KeyError(factor_id)

    def question(self, question_id: str) -> tuple[Factor, Question]:
        """The factor and question with this question id (KeyError when unknown)."""
        for f in self.factors:
            for q in f.questions:
                if q.id == question_id:
                    return f, q
        raise KeyError(question_id)

    def seed(self, seed_id: str) -> Seed:
        """The seed with this id (KeyError when unknown)."""
        for s in self.seeds:
            if s.id == seed_id:
                return s
        raise KeyError(seed_id)

    def not_applicable_allowed(self, question: Question, *, workshop: bool) -> bool:
        """Whether a question may be answered "not applicable". A framework that marks no
        question predates the choice per question and keeps the old rule: offered in every
        self-assessment question, never on the workshop phone."""
        if any(q.not_applicable for f in self.factors for q in f.questions):
            return question.not_applicable
        return not workshop

    def canonical_json(self) -> str:
        """The content as canonical JSON: the snapshot that rounds pin."""
        return json.dumps(_canonical(self), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON without the wording; changes whenever the meaning
        could change."""
        data = {k: v for k, v in _canonical(self).items() if k not in self._not_hashed}
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    """A model as JSON data, without the later fields that still hold their default."""
    if isinstance(value, _Frozen):
        out: dict[str, Any] = {}
        for name, field in type(value).model_fields.items():
            item = getattr(value, name)
            if name in value._omit_at_default and item == field.get_default(
                    call_default_factory=True):
                continue
            out[name] = _canonical(item)
        return out
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Issue:
    """One problem in a framework file: where it is and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(top level)'}: {self.message}"


class FrameworkFileError(Exception):
    """A framework file that cannot be used, with every problem found in it."""

    def __init__(self, file: Path, issues: list[Issue]) -> None:
        self.file = file
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        super().__init__(f"Invalid framework file {file}:\n{lines}")


def _path(parts: tuple[Any, ...] | list[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _texts(value: Any, path: list[Any]) -> Iterator[tuple[list[Any], dict[str, str]]]:
    """Every localised text in a model tree, with its path."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _texts(getattr(value, name), [*path, name])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _texts(item, [*path, i])
    elif isinstance(value, dict) and value:
        if all(isinstance(v, str) for v in value.values()):
            yield path, value
        else:
            for key, item in value.items():
                yield from _texts(item, [*path, key])


def _duplicates(ids: list[str]) -> list[str]:
    return sorted(i for i, n in Counter(ids).items() if n > 1)


def _stage_keys(path: list[Any], keys: Mapping[str, Any], stage_ids: list[str],
                missing: str) -> list[Issue]:
    """Issues for a mapping keyed by stage id: every stage present, no unknown stage."""
    issues = [Issue(_path(path), missing.format(stage=sid))
              for sid in stage_ids if sid not in keys]
    issues += [Issue(_path([*path, sid]), f"unknown stage '{sid}'")
               for sid in keys if sid not in stage_ids]
    return issues


def _factor_issues(fi: int, factor: Factor, stage_ids: list[str]) -> list[Issue]:
    base: list[Any] = ["factors", fi]
    issues = _stage_keys([*base, "stages"], factor.stages, stage_ids,
                         "no description for stage '{stage}'")
    for qi, question in enumerate(factor.questions):
        issues += _stage_keys([*base, "questions", qi, "anchors"], question.anchors, stage_ids,
                              f"question '{question.id}' has no anchor for stage '{{stage}}'")
    for ai, action in enumerate(factor.actions):
        where = _path([*base, "actions", ai, "from_stage"])
        if action.from_stage not in stage_ids:
            issues.append(Issue(where, f"unknown stage '{action.from_stage}'"))
        elif action.from_stage == stage_ids[-1]:
            issues.append(Issue(where, f"'{action.from_stage}' is the last stage; "
                                       "there is no next one"))
    return issues


def _id_issues(fw: Framework) -> list[Issue]:
    """Duplicate languages and ids, and more than one core factor."""
    groups = [
        ("languages", "language", list(fw.languages)),
        ("stages", "stage id", [s.id for s in fw.stages]),
        ("factors", "factor id", [f.id for f in fw.factors]),
        ("factors", "question id", [q.id for f in fw.factors for q in f.questions]),
        ("factors", "action id", [a.id for f in fw.factors for a in f.actions]),
        ("seeds", "seed id", [s.id for s in fw.seeds]),
        ("groups", "group id", [g.id for g in fw.groups]),
    ]
    issues = [Issue(where, f"duplicate {what} '{dup}'")
              for where, what, ids in groups for dup in _duplicates(ids)]
    if sum(f.core for f in fw.factors) > 1:
        issues.append(Issue("factors", "more than one factor is marked as core"))
    return issues


def _translation_issues(fw: Framework) -> list[Issue]:
    """Every text in exactly the framework's languages."""
    wanted = set(fw.languages)
    issues: list[Issue] = []
    for path, text in _texts(fw, []):
        issues += [Issue(_path(path), f"missing translation '{lang}'")
                   for lang in sorted(wanted - text.keys())]
        issues += [Issue(_path([*path, lang]), f"language '{lang}' is not in languages")
                   for lang in sorted(text.keys() - wanted)]
    return issues


def _source_issues(fw: Framework) -> list[Issue]:
    """Every seed a question or action cites is one of the framework's seeds."""
    known = {s.id for s in fw.seeds}
    issues: list[Issue] = []
    for fi, factor in enumerate(fw.factors):
        cited: list[tuple[list[Any], list[str]]] = [
            (["factors", fi, "questions", qi, "sources"], q.sources)
            for qi, q in enumerate(factor.questions)]
        cited += [(["factors", fi, "actions", ai, "sources"], a.sources)
                  for ai, a in enumerate(factor.actions)]
        for path, sources in cited:
            issues += [Issue(_path([*path, i]), f"unknown seed '{sid}' (not in seeds)")
                       for i, sid in enumerate(sources) if sid not in known]
    return issues


def _group_issues(fw: Framework) -> list[Issue]:
    """Every factor in a known group when there are groups, none empty, listed in order."""
    known = [g.id for g in fw.groups]
    issues: list[Issue] = []
    for fi, factor in enumerate(fw.factors):
        where = _path(["factors", fi, "group"])
        if factor.group is None and known:
            issues.append(Issue(where, f"factor '{factor.id}' has no group; when the "
                                       "framework has groups, every factor names one"))
        elif factor.group is not None and factor.group not in known:
            issues.append(Issue(where, f"unknown group '{factor.group}' (not in groups)"))
    used = {f.group for f in fw.factors}
    issues += [Issue(_path(["groups", gi]), f"group '{g.id}' has no factors")
               for gi, g in enumerate(fw.groups) if g.id not in used]
    if issues:
        return issues
    order = {gid: i for i, gid in enumerate(known)}
    for fi, (before, factor) in enumerate(itertools.pairwise(fw.factors), start=1):
        if before.group and factor.group and order[factor.group] < order[before.group]:
            issues.append(Issue(_path(["factors", fi, "group"]), f"factor '{factor.id}' of group "
                                f"'{factor.group}' comes after a factor of group "
                                f"'{before.group}'; list the factors group by group, in the "
                                "order of groups"))
    return issues


def _placeholders(text: str) -> list[str] | None:
    """The placeholder names in a text, or None when its braces are malformed."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return None


def _prompt_issues(fw: Framework) -> list[Issue]:
    """Divergence prompts hold only the known placeholders; other prompts hold none."""
    issues: list[Issue] = []
    for i, prompt in enumerate(fw.divergence_prompts):
        for lang, text in prompt.items():
            names = _placeholders(text)
            where = _path(["divergence_prompts", i, lang])
            if names is None:
                issues.append(Issue(where, "unbalanced braces: write {low}, {high} or {median}"))
            issues += [Issue(where, f"unknown placeholder '{{{name}}}'; use {{low}}, {{high}} "
                                    "or {median}")
                       for name in names or () if name not in DIVERGENCE_PLACEHOLDERS]
    return issues


def semantic_issues(fw: Framework) -> list[Issue]:
    """Checks that span the whole file: ids, references, anchors and translations."""
    issues: list[Issue] = []
    if fw.schema_version != SCHEMA_VERSION:
        issues.append(Issue("schema_version", f"unsupported version {fw.schema_version}; "
                                              f"expected {SCHEMA_VERSION}"))
    issues += _id_issues(fw)
    stage_ids = [s.id for s in fw.stages]
    for fi, factor in enumerate(fw.factors):
        issues += _factor_issues(fi, factor, stage_ids)
    return (issues + _group_issues(fw) + _source_issues(fw) + _prompt_issues(fw)
            + _translation_issues(fw))


def parse_framework(data: Any, file: Path) -> Framework:
    """Validate parsed file content; raise FrameworkFileError with every problem found."""
    if not isinstance(data, Mapping):
        raise FrameworkFileError(file, [Issue("", "the file must contain a mapping")])
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        issues = [Issue(_path(err["loc"]), err["msg"]) for err in exc.errors()]
        raise FrameworkFileError(file, issues) from None
    issues = semantic_issues(framework)
    if issues:
        raise FrameworkFileError(file, issues)
    return framework


def load_framework(file: Path) -> Framework:
    """Read and validate one framework file (YAML or JSON)."""
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        problem = f"cannot read the file: {exc.strerror}"
        raise FrameworkFileError(file, [Issue("", problem)]) from None
    except UnicodeDecodeError:
        raise FrameworkFileError(file, [Issue("", "the file is not UTF-8 text")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise FrameworkFileError(file, [Issue(where, f"not valid YAML: {problem}")]) from None
    return parse_framework(data, file)


def framework_from_snapshot(snapshot: str) -> Framework:
    """Rebuild a framework from a stored canonical-JSON snapshot."""
    return Framework.model_validate_json(snapshot, strict=False)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the framework file format, generated from the models."""
    schema = Framework.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "SoMe Maturity Workshop framework file"
    return schema


def summary(fw: Framework) -> str:
    """One line describing a valid framework, for `maturity framework check`."""
    questions = sum(len(f.questions) for f in fw.factors)
    actions = sum(len(f.actions) for f in fw.factors)
    groups = f"{len(fw.groups)} groups, " if fw.groups else ""
    return (f"{fw.id} {fw.version}: {groups}{len(fw.factors)} factors, "
            f"{fw.stage_count} stages ({fw.first_level}–{fw.last_level}), "
            f"{questions} questions, {actions} actions, languages {', '.join(fw.languages)}")


class FrameworkRegistry:
    """The frameworks available for new rounds, plus snapshots of pinned versions by hash."""

    def __init__(self, frameworks: list[Framework], archived: list[Framework] | None = None,
                 ) -> None:
        ids = [f.id for f in frameworks]
        if dup := _duplicates(ids):
            raise ValueError(f"two framework files share the id {dup[0]!r}")
        self._current = {f.id: f for f in frameworks}
        self._by_hash: dict[str, Framework] = {f.content_hash(): f
                                               for f in [*(archived or []), *frameworks]}

    @classmethod
    def from_directories(cls, directories: list[Path]) -> FrameworkRegistry:
        """Load every *.yaml file in the directories as the current versions, and the files in
        their `archive/` folders as earlier versions (for the demo and for texts that rounds
        pinned to them still show); the first invalid file stops loading."""
        files = sorted(p for d in directories for p in d.glob("*.y*ml"))
        archived = sorted(p for d in directories for p in (d / ARCHIVE).glob("*.y*ml"))
        return cls([load_framework(p) for p in files], [load_framework(p) for p in archived])

    def take_over(self, other: FrameworkRegistry) -> None:
        """Use another registry's frameworks from now on (after a framework was published);
        every version known before stays known."""
        self._by_hash = {**self._by_hash, **other._by_hash}
        self._current = dict(other._current)

    @property
    def current(self) -> list[Framework]:
        """The frameworks as the files define them now."""
        return list(self._current.values())

    def get(self, framework_id: str) -> Framework:
        """The current version of a framework by id (KeyError when unknown)."""
        return self._current[framework_id]

    def versions(self, framework_id: str) -> list[Framework]:
        """Every known version of a framework (current, archived, pinned), newest first by
        version string; the current one comes first."""
        found = [f for f in self._by_hash.values() if f.id == framework_id]
        current = self._current.get(framework_id)
        found.sort(key=lambda f: f.version, reverse=True)
        found.sort(key=lambda f: f is not current)  # stable: the current one first
        return found

    def earlier(self, framework: Framework) -> Framework | None:
        """The newest known version of the same framework older than this one, or None."""
        older = [f for f in self.versions(framework.id) if f.version < framework.version]
        return max(older, key=lambda f: f.version, default=None)

    def pinned_by_hash(self, content_hash: str) -> Framework | None:
        """The framework of this content hash if it has been parsed already, else None."""
        return self._by_hash.get(content_hash)

    def pinned(self, content_hash: str, snapshot: str) -> Framework:
        """The framework a round was answered against, parsed once per hash."""
        if content_hash not in self._by_hash:
            self._by_hash[content_hash] = framework_from_snapshot(snapshot)
        return self._by_hash[content_hash]
