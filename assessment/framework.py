"""The maturity framework as data: strict, frozen models, the file loader and its checks.

A framework file (YAML) is parsed into these models at start-up. Structural errors come from
Pydantic; the checks that need the whole file (duplicate ids, translations, anchors for every
stage, references to unknown stages and seeds) come from `semantic_issues`. Both are reported
the same way: the file, the path inside it and what is wrong.
"""

from __future__ import annotations

import hashlib
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
    """One maturity stage; its level is its position in the framework (1-based)."""

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


class Factor(_Frozen):
    """A success factor with its per-stage descriptions, questions and action library."""

    _omit_at_default = frozenset({"prompts"})

    id: Identifier
    core: bool = Field(default=False, description="The centre of the framework (at most one)")
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

    _omit_at_default = frozenset({"facilitator_note", "seeds", "glossary",
                                  "divergence_prompts"})

    schema_version: int = Field(description="Format version of the file; currently 1")
    id: Identifier
    version: Annotated[str, StringConstraints(min_length=1, max_length=40, strict=True)]
    languages: list[LanguageCode] = Field(min_length=1)
    name: Text
    description: Text
    source: Text | None = Field(default=None, description="Where the content comes from")
    stages: list[Stage] = Field(min_length=MIN_STAGES, max_length=MAX_STAGES)
    factors: list[Factor] = Field(min_length=MIN_FACTORS, max_length=MAX_FACTORS)
    facilitator_note: Text | None = Field(
        default=None, description="How to choose a stage; shown in the questionnaire's help "
        "and the workshop console")
    seeds: list[Seed] = Field(default_factory=list,
                              description="The source texts questions and actions cite")
    glossary: list[GlossaryEntry] = Field(default_factory=list,
                                          description="Terms and what they mean")
    divergence_prompts: list[Text] = Field(
        default_factory=list, description="Prompts the console offers after a reveal whose "
        "votes diverge; {low}, {high} and {median} are filled in with the stages voted")

    @property
    def stage_count(self) -> int:
        """Number of stages; answer levels run from 1 to this."""
        return len(self.stages)

    def stage_by_level(self, level: int) -> Stage:
        """The stage at a 1-based level."""
        return self.stages[level - 1]

    def level_of(self, stage_id: str) -> int:
        """The 1-based level of a stage id."""
        return next(i for i, s in enumerate(self.stages, start=1) if s.id == stage_id)

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
        """SHA-256 of the canonical JSON; changes whenever the meaning could change."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


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
    return issues + _source_issues(fw) + _prompt_issues(fw) + _translation_issues(fw)


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
    return (f"{fw.id} {fw.version}: {len(fw.factors)} factors, {fw.stage_count} stages, "
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
