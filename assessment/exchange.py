"""A whole organisation as one JSON file: export, validate and import.

The file holds everything that belongs to the organisation: the organisation, its unit tree,
its rounds with the framework versions they are pinned to (version, content hash and the
snapshot itself), the assessments (self-assessments and workshop assessments) with their own
answers and their respondents' answers, the workshops with their participants (anonymous
keys), question states, needs, dots and target votes, the targets, the roadmap phases with
their units, owners and gates, and the actions.

It does **not** hold users, passwords, memberships, invitations, sign-in attempts or the audit
log: those belong to people, not to the organisation's data, and a file that carried password
hashes could not be handed around. Nor does it hold report jobs (PDFs built on request: they
can be built again). Participants' token hashes are never exported either; an
imported participant gets a fresh random token hash, so nobody can reuse an old cookie. Nor
are participants' nicknames: a respondent's answers are the person's individual votes, and no
page may show who voted what, so the file must not tie a name to them (an older file's
nicknames, schema version 1, are dropped on import).
Who started a workshop (a user) is not exported, so imported workshops have no creator.

References inside the file are export-local keys (``unit-3``, ``respondent-12``,
``participant-4``, ``need-7``) numbered in a stable order, and framework versions are named by
their content hash, never by database ids. Lists come in a stable order, dates are ISO 8601
(times in UTC), and `dump_json` sorts keys, so export → import into an empty database →
export gives byte-identical JSON.

`import_organisation` imports only into an **empty database**: one without any organisation
(users may exist). It validates the whole file first and raises `InvalidImportFile` with every
problem found (the path inside the file and what is wrong) before writing anything; it then
writes in the caller's transaction and leaves committing to the caller, so a failure at any
point leaves the database as it was once the caller rolls back.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from sqlmodel import Session, col, select

from assessment import roadmap, services, workshops
from assessment.agendas import Plan
from assessment.framework import (
    MIN_FIRST_LEVEL,
    Framework,
    framework_from_snapshot,
    semantic_issues,
)
from assessment.models import (
    NAME_MAX,
    NOTE_MAX,
    Action,
    ActionStatus,
    Answer,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Choice,
    FrameworkVersion,
    Gate,
    Need,
    NeedDot,
    Organisation,
    Participant,
    Phase,
    PhaseKind,
    PhaseOwner,
    PhaseUnit,
    Respondent,
    Round,
    Target,
    TargetVote,
    Unit,
    Workshop,
    WorkshopQuestion,
    WorkshopStatus,
    id_of,
)

SCHEMA_VERSION = 2  # 2: no nicknames (version 1 files are read, their nicknames dropped)
FORMAT = "some-maturity-workshop/organisation"

# The file format: strict, frozen models -------------------------------------------------

Key = Annotated[str, StringConstraints(pattern=r"^[a-z]+-[0-9]{1,9}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ContentHash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
# No number is larger than a database integer holds (a larger one would fail the import).
Level = Annotated[int, Field(ge=MIN_FIRST_LEVEL, le=services.MAX_ID)]
Position = Annotated[int, Field(ge=0, le=services.MAX_ID)]
When = AwareDatetime


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class OrganisationData(_Strict):
    """The organisation itself."""

    name: Name
    created_at: When
    # The framework its roadmap speaks, when chosen (files of earlier versions have none).
    roadmap_framework_id: Ident | None = None


class FrameworkVersionData(_Strict):
    """A framework version a round is pinned to: the snapshot and its SHA-256."""

    framework_id: Ident
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    content_hash: ContentHash
    snapshot: dict[str, Any]


class UnitData(_Strict):
    """A unit; `parent` is the key of a unit listed before it."""

    key: Key
    name: Name
    parent: Key | None
    created_at: When


class AnswerData(_Strict):
    """One answer to a question."""

    question_id: Ident
    choice: Choice | None
    level: Level | None
    note: Annotated[str, StringConstraints(max_length=NOTE_MAX)] | None
    updated_at: When


class RespondentData(_Strict):
    """A workshop participant's anonymous answers (their votes): no nickname, ever."""

    key: Key
    created_at: When
    answers: list[AnswerData]


class AssessmentData(_Strict):
    """One unit's self-assessment or workshop assessment in the round."""

    unit: Key
    kind: AssessmentKind
    status: AssessmentStatus
    submitted_at: When | None
    created_at: When
    updated_at: When
    answers: list[AnswerData]
    respondents: list[RespondentData]


class TargetData(_Strict):
    """A unit's target stage for a factor."""

    unit: Key
    factor_id: Ident
    level: Level
    source: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    updated_at: When


class ParticipantData(_Strict):
    """Someone who joined a workshop: an anonymous key, never a nickname or a token."""

    key: Key
    respondent: Key
    joined_at: When


class QuestionStateData(_Strict):
    """Whether a question's votes have been revealed."""

    question_id: Ident
    revealed: bool


class NeedData(_Strict):
    """A need posted in a workshop; `merged_into` is the key of the need it was grouped under."""

    key: Key
    participant: Key | None
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    factor_id: Ident | None
    merged_into: Key | None
    created_at: When


class DotData(_Strict):
    """A dot a participant placed on a need."""

    need: Key
    participant: Key
    created_at: When


class TargetVoteData(_Strict):
    """A participant's vote for a factor's target stage."""

    participant: Key
    factor_id: Ident
    level: Level


class WorkshopData(_Strict):
    """A workshop of a unit in the round (its assessment is the unit's workshop assessment)."""

    unit: Key
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{4,12}$")]
    status: WorkshopStatus
    step_index: Position
    version: Position
    dots_per_participant: Annotated[int, Field(ge=1, le=10)]
    targets_per_factor: bool = False  # absent in files written before it existed
    # Focus mode: the questions the pre-survey agreed on (absent in files written before it).
    focus_skip: list[Ident] = Field(default_factory=list)
    # The agenda plan (items with timeboxes, the template's notes); absent: the default one.
    plan: dict[str, Any] | None = None
    created_at: When
    closed_at: When | None
    participants: list[ParticipantData]
    questions: list[QuestionStateData]
    needs: list[NeedData]
    dots: list[DotData]
    target_votes: list[TargetVoteData]


class RoundData(_Strict):
    """A round, pinned to a framework version by its content hash."""

    name: Name
    framework: ContentHash
    created_at: When
    assessments: list[AssessmentData]
    targets: list[TargetData]
    workshops: list[WorkshopData]


class PhaseUnitData(_Strict):
    """A unit's place in a phase."""

    unit: Key
    position: Position


class OwnerData(_Strict):
    """A named owner of a phase."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=roadmap.OWNER_MAX)]
    role: Annotated[str, StringConstraints(min_length=1, max_length=roadmap.OWNER_MAX)]
    position: Position


class GateData(_Strict):
    """A stage every unit of the phase must reach on a factor."""

    factor_id: Ident
    level: Level


class PhaseData(_Strict):
    """A phase of the rollout roadmap."""

    kind: PhaseKind
    name: Name
    position: Position
    starts_on: date | None
    ends_on: date | None
    focus: list[Ident]
    notes: Annotated[str, StringConstraints(max_length=roadmap.NOTES_MAX)]
    created_at: When
    units: list[PhaseUnitData]
    owners: list[OwnerData]
    gates: list[GateData]


class ActionData(_Strict):
    """An action of a unit; `library_id` names the framework action it came from."""

    unit: Key
    factor_id: Ident
    from_level: Level | None
    library_id: Ident | None
    text: Annotated[str, StringConstraints(max_length=roadmap.ACTION_TEXT_MAX)]
    owner: Annotated[str, StringConstraints(max_length=roadmap.OWNER_MAX)]
    due_on: date | None
    status: ActionStatus
    position: Position
    created_at: When
    updated_at: When


class OrganisationFile(_Strict):
    """A whole organisation export (`maturity export`, `maturity import`)."""

    format: str = Field(description=f"Always {FORMAT!r}")
    schema_version: int = Field(description=f"Format version of the file; currently "
                                            f"{SCHEMA_VERSION}")
    organisation: OrganisationData
    framework_versions: list[FrameworkVersionData]
    units: list[UnitData]
    rounds: list[RoundData]
    phases: list[PhaseData]
    actions: list[ActionData]


# Problems -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One problem in an import file: where it is and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(top level)'}: {self.message}"


class InvalidImportFile(services.InvalidInput):
    """An import file that cannot be imported, with every problem found; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(services.N_("Invalid import file."))
        self.problems = problems

    def __str__(self) -> str:
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        return f"Invalid import file:\n{lines}"


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# No file the app writes nests deeper than about a dozen levels or holds a longer number; the
# limits keep a hostile file from exhausting the parser (a traceback, or a stack overflow).
MAX_DEPTH = 40
MAX_DIGITS = 30


class _Pairs(dict[str, Any]):
    """A JSON object whose text repeated a key (JSON allows it; this format does not)."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    counted = Counter(key for key, _ in pairs)
    marked = _Pairs(found)
    marked.duplicates = sorted(key for key, count in counted.items() if count > 1)
    return marked


def _big_integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a number of {len(text.lstrip('-'))} digits (at most {MAX_DIGITS})")
    return int(text)


def _load_json(data: str | bytes) -> Any:
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, object_pairs_hook=_object, parse_int=_big_integer,
                          parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise InvalidImportFile([Problem("", "the file is not UTF-8 text")]) from None
    except json.JSONDecodeError as exc:
        raise InvalidImportFile([Problem("", f"not valid JSON: {exc.msg} (line "
                                             f"{exc.lineno}, column {exc.colno})")]) from None
    except RecursionError:
        raise InvalidImportFile([Problem("", f"the JSON is nested more than {MAX_DEPTH} "
                                             "levels deep")]) from None
    except ValueError as exc:
        raise InvalidImportFile([Problem("", f"not valid JSON: {exc}")]) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _inspect(data: Any) -> list[Problem]:
    """What JSON allows but this format refuses, wherever it is: nesting deeper than
    MAX_DEPTH, repeated keys, and NUL characters (no database text may hold one)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            problems.append(Problem(_path(path), f"nested more than {MAX_DEPTH} levels deep"))
            continue
        if isinstance(value, dict):
            for key in getattr(value, "duplicates", []):
                problems.append(Problem(_path(path), f"the key {key!r} appears more than once"))
            for key, item in value.items():
                if isinstance(key, str) and "\x00" in key:
                    problems.append(Problem(_path(path), "a key holds a NUL character"))
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))
        elif isinstance(value, str) and "\x00" in value:
            problems.append(Problem(_path(path), "the text holds a NUL character"))
    return sorted(problems, key=lambda p: p.path)


def _upgraded(data: Any) -> Any:
    """A schema version 1 file as version 2: its nicknames dropped (see the module doc)."""
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        return data
    rounds = data.get("rounds")
    for round_ in rounds if isinstance(rounds, list) else []:
        for key, inner in (("assessments", "respondents"), ("workshops", "participants")):
            for item in round_.get(key, []) if isinstance(round_, dict) else []:
                for person in item.get(inner, []) if isinstance(item, dict) else []:
                    if isinstance(person, dict):
                        person.pop("nickname", None)
    return {**data, "schema_version": SCHEMA_VERSION}


def parse_file(data: str | bytes | Mapping[str, Any]) -> OrganisationFile:
    """Check the file's structure and types (JSON text or parsed JSON); raise
    InvalidImportFile with every problem found."""
    if isinstance(data, bytes | str):
        data = _load_json(data)
    problems = _inspect(data)
    if problems:
        raise InvalidImportFile(problems)
    try:
        return OrganisationFile.model_validate_json(json.dumps(_upgraded(copy.deepcopy(data))))
    except TypeError:
        raise InvalidImportFile([Problem("", "the data is not JSON")]) from None
    except PydanticValidationError as exc:
        problems = [Problem(_path(err["loc"]), err["msg"]) for err in exc.errors()]
        raise InvalidImportFile(problems) from None


def dump_json(data: Mapping[str, Any]) -> str:
    """The export as text: sorted keys, two-space indents, UTF-8 characters kept, final newline."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


# Export ---------------------------------------------------------------------------------

def _utc(value: datetime) -> datetime:
    # SQLite gives back naive datetimes (stored in UTC); PostgreSQL aware ones.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return _utc(value) if value is not None else None


_KIND_ORDER = {AssessmentKind.self: 0, AssessmentKind.workshop: 1}


def _answer_data(answer: Answer) -> AnswerData:
    return AnswerData(question_id=answer.question_id,
                      choice=Choice(answer.choice) if answer.choice else None,
                      level=answer.level, note=answer.note, updated_at=_utc(answer.updated_at))


class _Exporter:
    """Builds the file of one organisation; keys are numbered in the order they are met."""

    def __init__(self, session: Session, organisation: Organisation) -> None:
        self.session = session
        self.organisation = organisation
        self.tree = services.unit_tree(session, organisation)
        self.unit_key = {id_of(item.unit): f"unit-{i}" for i, item in enumerate(self.tree, 1)}
        self.unit_index = {id_of(item.unit): i for i, item in enumerate(self.tree)}
        self.respondent_key: dict[int, str] = {}
        self.participant_key: dict[int, str] = {}
        self.need_key: dict[int, str] = {}

    def build(self) -> OrganisationFile:
        rounds = services.list_rounds(self.session, self.organisation)
        version_ids = {r.framework_version_id for r in rounds}
        versions = [self.session.get(FrameworkVersion, vid) for vid in version_ids]
        hashes = {v.id: v.content_hash for v in versions if v is not None}
        units = [UnitData(key=self.unit_key[id_of(item.unit)], name=item.unit.name,
                          parent=self.unit_key[item.unit.parent_id]
                          if item.unit.parent_id is not None else None,
                          created_at=_utc(item.unit.created_at)) for item in self.tree]
        return OrganisationFile(
            format=FORMAT, schema_version=SCHEMA_VERSION,
            organisation=OrganisationData(
                name=self.organisation.name, created_at=_utc(self.organisation.created_at),
                roadmap_framework_id=self.organisation.roadmap_framework_id),
            framework_versions=[
                FrameworkVersionData(framework_id=v.framework_id, version=v.version,
                                     content_hash=v.content_hash,
                                     snapshot=json.loads(v.snapshot))
                for v in sorted((v for v in versions if v is not None),
                                key=lambda v: (v.framework_id, v.version, v.content_hash))],
            units=units,
            rounds=[self._round(r, hashes[r.framework_version_id]) for r in rounds],
            phases=self._phases(), actions=self._actions())

    def _round(self, round_: Round, content_hash: str) -> RoundData:
        assessments = sorted(
            # The pre-workshop survey's answers are not part of the file (yet).
            self.session.exec(select(Assessment).where(
                Assessment.round_id == round_.id, Assessment.kind != AssessmentKind.survey)),
            key=lambda a: (self.unit_index[a.unit_id], _KIND_ORDER[AssessmentKind(a.kind)]))
        targets = sorted(self.session.exec(select(Target).where(Target.round_id == round_.id)),
                         key=lambda t: (self.unit_index[t.unit_id], t.factor_id))
        return RoundData(
            name=round_.name, framework=content_hash, created_at=_utc(round_.created_at),
            assessments=self._assessments(assessments),
            targets=[TargetData(unit=self.unit_key[t.unit_id], factor_id=t.factor_id,
                                level=t.level, source=t.source,
                                updated_at=_utc(t.updated_at)) for t in targets],
            workshops=self._workshops(round_))

    def _assessments(self, assessments: list[Assessment]) -> list[AssessmentData]:
        ids = [id_of(a) for a in assessments]
        answers: dict[tuple[int, int | None], list[Answer]] = defaultdict(list)
        for answer in self.session.exec(select(Answer).where(
                col(Answer.assessment_id).in_(ids))):
            answers[(answer.assessment_id, answer.respondent_id)].append(answer)
        respondents: dict[int, list[Respondent]] = defaultdict(list)
        for respondent in self.session.exec(select(Respondent).where(
                col(Respondent.assessment_id).in_(ids)).order_by(col(Respondent.id))):
            respondents[respondent.assessment_id].append(respondent)

        def answer_list(key: tuple[int, int | None]) -> list[AnswerData]:
            return [_answer_data(a) for a in sorted(answers[key], key=lambda a: a.question_id)]

        result = []
        for a in assessments:
            people = []
            for r in respondents[id_of(a)]:
                key = self.respondent_key[id_of(r)] = f"respondent-{len(self.respondent_key) + 1}"
                people.append(RespondentData(key=key, created_at=_utc(r.created_at),
                                             answers=answer_list((id_of(a), id_of(r)))))
            result.append(AssessmentData(
                unit=self.unit_key[a.unit_id], kind=AssessmentKind(a.kind),
                status=AssessmentStatus(a.status), submitted_at=_utc_or_none(a.submitted_at),
                created_at=_utc(a.created_at), updated_at=_utc(a.updated_at),
                answers=answer_list((id_of(a), None)), respondents=people))
        return result

    def _workshops(self, round_: Round) -> list[WorkshopData]:
        rows = list(self.session.exec(select(Workshop).where(Workshop.round_id == round_.id)
                                      .order_by(col(Workshop.created_at), col(Workshop.id))))
        return [self._workshop(w) for w in rows]

    def _workshop(self, w: Workshop) -> WorkshopData:
        session = self.session
        participants = list(session.exec(select(Participant).where(
            Participant.workshop_id == w.id).order_by(col(Participant.id))))
        for p in participants:
            self.participant_key[id_of(p)] = f"participant-{len(self.participant_key) + 1}"
        needs = list(session.exec(select(Need).where(Need.workshop_id == w.id)
                                  .order_by(col(Need.id))))
        for n in needs:
            self.need_key[id_of(n)] = f"need-{len(self.need_key) + 1}"
        order = {pid: i for i, pid in enumerate(id_of(p) for p in participants)}
        need_order = {nid: i for i, nid in enumerate(id_of(n) for n in needs)}
        dots = sorted(session.exec(select(NeedDot).join(Need).where(Need.workshop_id == w.id)),
                      key=lambda d: (need_order[d.need_id], order[d.participant_id],
                                     _utc(d.created_at), d.id or 0))
        votes = sorted(session.exec(select(TargetVote).where(TargetVote.workshop_id == w.id)),
                       key=lambda v: (order[v.participant_id], v.factor_id))
        questions = sorted(session.exec(select(WorkshopQuestion).where(
            WorkshopQuestion.workshop_id == w.id)), key=lambda q: q.question_id)
        pkey, nkey = self.participant_key, self.need_key
        return WorkshopData(
            unit=self.unit_key[w.unit_id], code=w.code, status=WorkshopStatus(w.status),
            step_index=w.step_index, version=w.version,
            dots_per_participant=w.dots_per_participant,
            targets_per_factor=w.targets_per_factor,
            focus_skip=[q for q in w.focus_skip.split(",") if q],
            plan=json.loads(w.plan) if w.plan else None, created_at=_utc(w.created_at),
            closed_at=_utc_or_none(w.closed_at),
            participants=[ParticipantData(key=pkey[id_of(p)],
                                          respondent=self.respondent_key[p.respondent_id],
                                          joined_at=_utc(p.joined_at))
                          for p in participants],
            questions=[QuestionStateData(question_id=q.question_id, revealed=q.revealed)
                       for q in questions],
            needs=[NeedData(key=nkey[id_of(n)],
                            participant=pkey[n.participant_id] if n.participant_id else None,
                            text=n.text, factor_id=n.factor_id,
                            merged_into=nkey[n.merged_into] if n.merged_into else None,
                            created_at=_utc(n.created_at)) for n in needs],
            dots=[DotData(need=nkey[d.need_id], participant=pkey[d.participant_id],
                          created_at=_utc(d.created_at)) for d in dots],
            target_votes=[TargetVoteData(participant=pkey[v.participant_id],
                                         factor_id=v.factor_id, level=v.level) for v in votes])

    def _phases(self) -> list[PhaseData]:
        phases = roadmap.phases(self.session, self.organisation)
        ids = [id_of(p) for p in phases]
        placed = roadmap.phase_units(self.session, ids)
        owners: dict[int, list[PhaseOwner]] = defaultdict(list)
        for owner in self.session.exec(select(PhaseOwner).where(
                col(PhaseOwner.phase_id).in_(ids)).order_by(col(PhaseOwner.position),
                                                            col(PhaseOwner.id))):
            owners[owner.phase_id].append(owner)
        gates: dict[int, list[Gate]] = defaultdict(list)
        for gate in self.session.exec(select(Gate).where(col(Gate.phase_id).in_(ids))):
            gates[gate.phase_id].append(gate)
        return [PhaseData(
            kind=PhaseKind(p.kind), name=p.name, position=p.position, starts_on=p.starts_on,
            ends_on=p.ends_on, focus=[f for f in p.focus.split(",") if f], notes=p.notes,
            created_at=_utc(p.created_at),
            units=[PhaseUnitData(unit=self.unit_key[r.unit_id], position=r.position)
                   for r in placed[id_of(p)]],
            owners=[OwnerData(name=o.name, role=o.role, position=o.position)
                    for o in owners[id_of(p)]],
            gates=[GateData(factor_id=g.factor_id, level=g.level)
                   for g in sorted(gates[id_of(p)], key=lambda g: g.factor_id)])
            for p in phases]

    def _actions(self) -> list[ActionData]:
        rows = sorted(roadmap.actions(self.session, id_of(self.organisation)),
                      key=lambda a: (self.unit_index[a.unit_id], a.factor_id, a.position,
                                     a.id or 0))
        return [ActionData(unit=self.unit_key[a.unit_id], factor_id=a.factor_id,
                           from_level=a.from_level, library_id=a.library_id, text=a.text,
                           owner=a.owner, due_on=a.due_on, status=ActionStatus(a.status),
                           position=a.position, created_at=_utc(a.created_at),
                           updated_at=_utc(a.updated_at)) for a in rows]


def export_organisation(session: Session, organisation: Organisation) -> dict[str, Any]:
    """Everything that belongs to the organisation, as JSON-ready data (see the module doc)."""
    return _Exporter(session, organisation).build().model_dump(mode="json")


# Validation -----------------------------------------------------------------------------

NOT_EMPTY = "the database already has organisations: import only into an empty database"


def _has_organisations(session: Session) -> bool:
    return session.exec(select(Organisation.id)).first() is not None


class _Checker:
    """Every check that needs the whole file (and the database); collects all problems."""

    def __init__(self, session: Session, data: OrganisationFile,
                 fallback: Sequence[Framework]) -> None:
        self.session = session
        self.data = data
        self.fallback = fallback
        self.problems: list[Problem] = []
        self.frameworks: dict[str, Framework] = {}  # the valid ones, by content hash
        self.hashes: set[str] = set()
        self.units: set[str] = set()
        self.respondents: set[str] = set()
        self.participants: set[str] = set()
        self.needs: set[str] = set()

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def unique(self, path: str, key: str, seen: set[str], what: str) -> None:
        if key in seen:
            self.add(path, f"duplicate {what} {key!r}")
        seen.add(key)

    def run(self) -> list[Problem]:
        data = self.data
        if data.format != FORMAT:
            self.add("format", f"expected {FORMAT!r}")
        if data.schema_version != SCHEMA_VERSION:
            self.add("schema_version", f"unsupported version {data.schema_version}; "
                                       f"expected {SCHEMA_VERSION}")
        if _has_organisations(self.session):
            self.add("", NOT_EMPTY)
        self.name("organisation.name", data.organisation.name)
        for i, version in enumerate(data.framework_versions):
            self.framework_version(f"framework_versions[{i}]", version)
        for i, unit in enumerate(data.units):
            self.unit(f"units[{i}]", unit)
        names: set[str] = set()
        codes: set[str] = set()
        for i, round_ in enumerate(data.rounds):
            self.unique(f"rounds[{i}].name", round_.name, names, "round name")
            self.name(f"rounds[{i}].name", round_.name)
            self.round(f"rounds[{i}]", round_, codes)
        self.phases()
        proposed: set[str] = set()
        for i, action in enumerate(data.actions):
            self.action(f"actions[{i}]", action)
            if action.library_id is not None:
                self.unique(f"actions[{i}].library_id", f"{action.unit} {action.library_id}",
                            proposed, "proposed action (unit and framework action)")
            elif not action.text.strip():
                self.add(f"actions[{i}].text", "an action of its own needs a text")
        return self.problems

    # Frameworks and units

    def framework_version(self, path: str, version: FrameworkVersionData) -> None:
        if version.content_hash in self.hashes:
            self.add(f"{path}.content_hash", f"duplicate framework version "
                                             f"{version.content_hash!r}")
            return
        self.hashes.add(version.content_hash)
        try:
            framework = framework_from_snapshot(json.dumps(version.snapshot))
        except PydanticValidationError as exc:
            for err in exc.errors():
                self.add(_path([f"{path}.snapshot", *err["loc"]]), err["msg"])
            return
        issues = semantic_issues(framework)
        for issue in issues:
            self.add(_path([f"{path}.snapshot", issue.path]) if issue.path
                     else f"{path}.snapshot", issue.message)
        if framework.content_hash() != version.content_hash:
            self.add(f"{path}.content_hash", "does not match the snapshot")
        if (framework.id, framework.version) != (version.framework_id, version.version):
            self.add(path, "framework_id and version do not match the snapshot")
        if not issues:
            self.frameworks[version.content_hash] = framework

    def name(self, path: str, name: str) -> None:
        """A name as the app stores it: trimmed, single spaces, no line breaks or tabs."""
        if " ".join(name.split()) != name:
            self.add(path, "a name cannot have leading, trailing or repeated spaces, line "
                           "breaks or tabs")

    def unit(self, path: str, unit: UnitData) -> None:
        self.name(f"{path}.name", unit.name)
        if unit.parent is not None and unit.parent not in self.units:
            self.add(f"{path}.parent", f"unknown unit {unit.parent!r} (a parent comes before "
                                       "its units)")
        self.unique(f"{path}.key", unit.key, self.units, "unit key")

    def known_unit(self, path: str, key: str) -> bool:
        if key not in self.units:
            self.add(path, f"unknown unit {key!r}")
            return False
        return True

    # Framework content

    def factor(self, path: str, framework: Framework | None, factor_id: str) -> None:
        if framework is not None and factor_id not in {f.id for f in framework.factors}:
            self.add(path, f"unknown factor {factor_id!r} for the round's framework")

    def level(self, path: str, framework: Framework | None, level: int) -> None:
        if framework is not None and not framework.is_level(level):
            self.add(path, f"level {level} is out of range "
                           f"{framework.first_level}–{framework.last_level}")

    def answers(self, path: str, answers: list[AnswerData], framework: Framework | None) -> None:
        seen: set[str] = set()
        for i, answer in enumerate(answers):
            where = f"{path}[{i}]"
            self.unique(f"{where}.question_id", answer.question_id, seen, "answer to question")
            if framework is not None:
                try:
                    framework.question(answer.question_id)
                except KeyError:
                    self.add(f"{where}.question_id", f"unknown question "
                                                     f"{answer.question_id!r} for the round's "
                                                     "framework")
            if answer.choice is Choice.level:
                if answer.level is None:
                    self.add(f"{where}.level", "a level is required when the choice is 'level'")
                else:
                    self.level(f"{where}.level", framework, answer.level)
            elif answer.level is not None:
                self.add(f"{where}.level", "must be null unless the choice is 'level'")

    # Rounds

    def round(self, path: str, round_: RoundData, codes: set[str]) -> None:
        framework = self.frameworks.get(round_.framework)
        if round_.framework not in self.hashes:
            self.add(f"{path}.framework", f"unknown framework version {round_.framework!r}")
        workshop_respondents: dict[str, set[str]] = {}
        seen: set[tuple[str, str]] = set()
        for i, assessment in enumerate(round_.assessments):
            where = f"{path}.assessments[{i}]"
            self.known_unit(f"{where}.unit", assessment.unit)
            if assessment.kind is AssessmentKind.survey:
                self.add(f"{where}.kind", "a pre-workshop survey is not part of the file")
            pair = (assessment.unit, assessment.kind.value)
            if pair in seen:
                self.add(where, f"a second {assessment.kind.value} assessment of unit "
                                f"{assessment.unit!r}")
            seen.add(pair)
            submitted = assessment.status is AssessmentStatus.submitted
            if submitted and assessment.submitted_at is None:
                self.add(f"{where}.submitted_at", "a submitted assessment needs the time it "
                                                  "was submitted")
            elif not submitted and assessment.submitted_at is not None:
                self.add(f"{where}.submitted_at", "a draft has no submission time")
            self.answers(f"{where}.answers", assessment.answers, framework)
            keys: set[str] = set()
            for j, respondent in enumerate(assessment.respondents):
                self.unique(f"{where}.respondents[{j}].key", respondent.key, self.respondents,
                            "respondent key")
                keys.add(respondent.key)
                self.answers(f"{where}.respondents[{j}].answers", respondent.answers, framework)
            if assessment.kind is AssessmentKind.workshop:
                workshop_respondents[assessment.unit] = keys
        self.targets(path, round_.targets, framework)
        for i, workshop in enumerate(round_.workshops):
            self.workshop(f"{path}.workshops[{i}]", workshop, framework,
                          workshop_respondents, codes)

    def targets(self, path: str, targets: list[TargetData], framework: Framework | None) -> None:
        seen: set[tuple[str, str]] = set()
        for i, target in enumerate(targets):
            where = f"{path}.targets[{i}]"
            self.known_unit(f"{where}.unit", target.unit)
            self.factor(f"{where}.factor_id", framework, target.factor_id)
            self.level(f"{where}.level", framework, target.level)
            if (target.unit, target.factor_id) in seen:
                self.add(where, f"a second target for {target.factor_id!r} of unit "
                                f"{target.unit!r}")
            seen.add((target.unit, target.factor_id))

    # Workshops

    def workshop(self, path: str, workshop: WorkshopData, framework: Framework | None,
                 respondents: dict[str, set[str]], codes: set[str]) -> None:
        if self.known_unit(f"{path}.unit", workshop.unit) and workshop.unit not in respondents:
            self.add(f"{path}.unit", f"the round has no workshop assessment of unit "
                                     f"{workshop.unit!r}")
        self.unique(f"{path}.code", workshop.code, codes, "workshop code")
        self.workshop_state(path, workshop, framework)
        if self.session.exec(select(Workshop.id).where(Workshop.code == workshop.code)).first():
            self.add(f"{path}.code", "a workshop with this code already exists")
        people = self.participants_of(path, workshop, respondents.get(workshop.unit, set()))
        seen: set[str] = set()
        for i, state in enumerate(workshop.questions):
            where = f"{path}.questions[{i}].question_id"
            self.unique(where, state.question_id, seen, "question")
            if framework is not None:
                try:
                    framework.question(state.question_id)
                except KeyError:
                    self.add(where, f"unknown question {state.question_id!r} for the round's "
                                    "framework")
        self.dots(path, workshop, self.needs_of(path, workshop, framework, people), people)
        votes: set[tuple[str, str]] = set()
        for i, vote in enumerate(workshop.target_votes):
            where = f"{path}.target_votes[{i}]"
            self.participant(f"{where}.participant", vote.participant, people)
            self.factor(f"{where}.factor_id", framework, vote.factor_id)
            self.level(f"{where}.level", framework, vote.level)
            if (vote.participant, vote.factor_id) in votes:
                self.add(where, "a second target vote of the participant for the factor")
            votes.add((vote.participant, vote.factor_id))

    def workshop_state(self, path: str, workshop: WorkshopData,
                       framework: Framework | None) -> None:
        """The step is one of the agenda's (a focus workshop's skips known questions, once
        each); closed exactly when it has a closing time."""
        skipped: set[str] = set()
        for i, question_id in enumerate(workshop.focus_skip):
            where = f"{path}.focus_skip[{i}]"
            self.unique(where, question_id, skipped, "question")
            if framework is not None:
                try:
                    framework.question(question_id)
                except KeyError:
                    self.add(where, f"unknown question {question_id!r} for the round's "
                                    "framework")
        plan = None
        if workshop.plan is not None:
            try:
                plan = Plan.from_json(workshop.plan)
                if framework is not None:
                    workshops.check_plan(framework, list(plan.items),
                                         targets_per_factor=workshop.targets_per_factor)
            except (KeyError, TypeError, ValueError, AttributeError, services.ServiceError):
                self.add(f"{path}.plan", "not a valid agenda plan for the round's framework")
                plan = None
        steps = workshops.agenda(framework, targets_per_factor=workshop.targets_per_factor,
                                 plan=plan, skip=frozenset(workshop.focus_skip),
                                 ) if framework is not None else []
        if framework is not None and workshop.step_index >= len(steps):
            self.add(f"{path}.step_index", f"step {workshop.step_index} is out of range 0–"
                                           f"{len(steps) - 1}")
        closed = workshop.status is WorkshopStatus.closed
        if closed != (workshop.closed_at is not None):
            self.add(f"{path}.closed_at", "a closed workshop needs the time it closed, an "
                                          "open one has none")

    def dots(self, path: str, workshop: WorkshopData, needs: set[str],
             people: set[str]) -> None:
        """Dots on the workshop's needs, at most the workshop's number per participant."""
        placed: Counter[str] = Counter()
        for i, dot in enumerate(workshop.dots):
            if dot.need not in needs:
                self.add(f"{path}.dots[{i}].need", f"unknown need {dot.need!r} in this workshop")
            self.participant(f"{path}.dots[{i}].participant", dot.participant, people)
            placed[dot.participant] += 1
            if placed[dot.participant] == workshop.dots_per_participant + 1:
                self.add(f"{path}.dots[{i}]", f"participant {dot.participant!r} has more than "
                                              f"the workshop's {workshop.dots_per_participant} "
                                              "dots")

    def participant(self, path: str, key: str | None, people: set[str]) -> None:
        if key is not None and key not in people:
            self.add(path, f"unknown participant {key!r} in this workshop")

    def participants_of(self, path: str, workshop: WorkshopData,
                        respondents: set[str]) -> set[str]:
        people: set[str] = set()
        used: set[str] = set()
        for i, person in enumerate(workshop.participants):
            where = f"{path}.participants[{i}]"
            self.unique(f"{where}.key", person.key, self.participants, "participant key")
            people.add(person.key)
            if person.respondent not in respondents:
                self.add(f"{where}.respondent", f"unknown respondent {person.respondent!r} of "
                                                "the unit's workshop assessment")
            self.unique(f"{where}.respondent", person.respondent, used,
                        "participant of respondent")
        return people

    def needs_of(self, path: str, workshop: WorkshopData, framework: Framework | None,
                 people: set[str]) -> set[str]:
        keys = {n.key for n in workshop.needs}
        merged = {n.key for n in workshop.needs if n.merged_into is not None}
        for i, need in enumerate(workshop.needs):
            where = f"{path}.needs[{i}]"
            self.unique(f"{where}.key", need.key, self.needs, "need key")
            self.participant(f"{where}.participant", need.participant, people)
            if need.factor_id is not None:
                self.factor(f"{where}.factor_id", framework, need.factor_id)
            target = need.merged_into
            if target is not None and (target not in keys or target == need.key):
                self.add(f"{where}.merged_into", f"unknown need {target!r} in this workshop")
            elif target is not None and target in merged:
                self.add(f"{where}.merged_into", f"need {target!r} is itself merged into "
                                                 "another")
        return keys

    # Roadmap and actions

    def organisation_frameworks(self, factor_id: str) -> list[Framework]:
        file = list(self.frameworks.values())
        return [fw for fw in [*file, *self.fallback] if factor_id in {f.id for f in fw.factors}]

    def org_factor(self, path: str, factor_id: str, level: int | None = None) -> None:
        frameworks = self.organisation_frameworks(factor_id)
        if not frameworks:
            self.add(path, f"unknown factor {factor_id!r}: no framework of the file has it")
        elif level is not None and not any(fw.is_level(level) for fw in frameworks):
            least = min(fw.first_level for fw in frameworks)
            most = max(fw.last_level for fw in frameworks)
            self.add(path.rsplit(".", 1)[0] + ".level",
                     f"level {level} is out of range {least}–{most}")

    def phases(self) -> None:
        kinds = Counter(p.kind for p in self.data.phases)
        for kind in (PhaseKind.needs, PhaseKind.pilot):
            if kinds[kind] > 1:
                self.add("phases", f"more than one {kind.value!r} phase")
        placed: set[str] = set()
        for i, phase in enumerate(self.data.phases):
            path = f"phases[{i}]"
            self.name(f"{path}.name", phase.name)
            for j, owner in enumerate(phase.owners):
                self.name(f"{path}.owners[{j}].name", owner.name)
                self.name(f"{path}.owners[{j}].role", owner.role)
            if phase.starts_on and phase.ends_on and phase.ends_on < phase.starts_on:
                self.add(f"{path}.ends_on", "the phase ends before it starts")
            seen: set[str] = set()
            for j, factor_id in enumerate(phase.focus):
                self.unique(f"{path}.focus[{j}]", factor_id, seen, "focus factor")
                self.org_factor(f"{path}.focus[{j}]", factor_id)
            if len(",".join(phase.focus)) > 1000:
                self.add(f"{path}.focus", "too many focus factors")
            for j, member in enumerate(phase.units):
                self.known_unit(f"{path}.units[{j}].unit", member.unit)
                self.unique(f"{path}.units[{j}].unit", member.unit, placed, "phase unit")
            gates: set[str] = set()
            for j, gate in enumerate(phase.gates):
                self.unique(f"{path}.gates[{j}].factor_id", gate.factor_id, gates, "gate factor")
                self.org_factor(f"{path}.gates[{j}].factor_id", gate.factor_id, gate.level)

    def action(self, path: str, action: ActionData) -> None:
        self.known_unit(f"{path}.unit", action.unit)
        self.org_factor(f"{path}.factor_id", action.factor_id)
        frameworks = self.organisation_frameworks(action.factor_id)
        if frameworks and action.from_level is not None and not any(
                fw.is_level(action.from_level) and action.from_level < fw.last_level
                for fw in frameworks):
            least = min(fw.first_level for fw in frameworks)
            most = max(fw.last_level for fw in frameworks)
            self.add(f"{path}.from_level", f"level {action.from_level} is out of range "
                                           f"{least}–{most - 1} (there is no stage after it)")
        if action.library_id is not None and not any(
                a.id == action.library_id for fw in frameworks
                for f in fw.factors if f.id == action.factor_id for a in f.actions):
            self.add(f"{path}.library_id", f"unknown framework action {action.library_id!r} "
                                           f"for factor {action.factor_id!r}")


# Import ---------------------------------------------------------------------------------

def _stored(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _stored_or_none(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _fresh_token_hash() -> str:
    # The hash of a token nobody holds: an old participant cookie never works again.
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def _answer(assessment_id: int, answer: AnswerData, respondent_id: int | None = None) -> Answer:
    return Answer(assessment_id=assessment_id, respondent_id=respondent_id,
                  question_id=answer.question_id, choice=answer.choice, level=answer.level,
                  note=answer.note, updated_at=_stored(answer.updated_at))


class _Importer:
    """Writes a validated file; ids of the new rows are kept by their export-local keys."""

    def __init__(self, session: Session, data: OrganisationFile) -> None:
        self.session = session
        self.data = data
        self.units: dict[str, int] = {}
        self.respondents: dict[str, int] = {}
        self.participants: dict[str, int] = {}
        self.needs: dict[str, int] = {}

    def add_all(self, rows: Sequence[Any]) -> None:
        # Rows are inserted in list order, so new ids keep the file's order.
        for row in rows:
            self.session.add(row)
        self.session.flush()

    def run(self) -> Organisation:
        data = self.data
        organisation = Organisation(name=data.organisation.name,
                                    created_at=_stored(data.organisation.created_at),
                                    roadmap_framework_id=data.organisation.roadmap_framework_id)
        self.add_all([organisation])
        versions = {v.content_hash: self.framework_version(v) for v in data.framework_versions}
        for unit in data.units:
            unit_row = Unit(organisation_id=id_of(organisation), name=unit.name,
                            parent_id=self.units[unit.parent] if unit.parent else None,
                            created_at=_stored(unit.created_at))
            self.add_all([unit_row])
            self.units[unit.key] = id_of(unit_row)
        for round_ in data.rounds:
            round_row = Round(organisation_id=id_of(organisation), name=round_.name,
                              framework_version_id=versions[round_.framework],
                              created_at=_stored(round_.created_at))
            self.add_all([round_row])
            self.round(round_row, round_)
        self.phases(id_of(organisation))
        self.add_all([Action(
            organisation_id=id_of(organisation), unit_id=self.units[a.unit],
            factor_id=a.factor_id, from_level=a.from_level, library_id=a.library_id,
            text=a.text, owner=a.owner, due_on=a.due_on, status=a.status,
            position=a.position, created_at=_stored(a.created_at),
            updated_at=_stored(a.updated_at)) for a in data.actions])
        return organisation

    def framework_version(self, version: FrameworkVersionData) -> int:
        existing = self.session.exec(select(FrameworkVersion).where(
            FrameworkVersion.content_hash == version.content_hash)).first()
        if existing is not None:  # the same hash is the same content
            return id_of(existing)
        framework = framework_from_snapshot(json.dumps(version.snapshot))
        row = FrameworkVersion(framework_id=version.framework_id, version=version.version,
                               content_hash=version.content_hash,
                               snapshot=framework.canonical_json())
        self.add_all([row])
        return id_of(row)

    def round(self, round_row: Round, round_: RoundData) -> None:
        rows = [Assessment(round_id=id_of(round_row), unit_id=self.units[a.unit], kind=a.kind,
                           status=a.status, submitted_at=_stored_or_none(a.submitted_at),
                           created_at=_stored(a.created_at), updated_at=_stored(a.updated_at))
                for a in round_.assessments]
        self.add_all(rows)
        workshop_assessment: dict[str, int] = {}
        people: list[tuple[str, Respondent]] = []
        for row, assessment in zip(rows, round_.assessments, strict=True):
            if assessment.kind is AssessmentKind.workshop:
                workshop_assessment[assessment.unit] = id_of(row)
            people += [(r.key, Respondent(assessment_id=id_of(row),
                                          created_at=_stored(r.created_at)))
                       for r in assessment.respondents]
        self.add_all([r for _, r in people])
        self.respondents.update({key: id_of(r) for key, r in people})
        answers: list[Answer] = []
        for row, assessment in zip(rows, round_.assessments, strict=True):
            answers += [_answer(id_of(row), a) for a in assessment.answers]
            for respondent in assessment.respondents:
                answers += [_answer(id_of(row), a, self.respondents[respondent.key])
                            for a in respondent.answers]
        self.add_all(answers)
        self.add_all([Target(round_id=id_of(round_row), unit_id=self.units[t.unit],
                             factor_id=t.factor_id, level=t.level, source=t.source,
                             updated_at=_stored(t.updated_at)) for t in round_.targets])
        for workshop in round_.workshops:
            self.workshop(round_row, workshop, workshop_assessment[workshop.unit])

    def workshop(self, round_row: Round, data: WorkshopData, assessment_id: int) -> None:
        row = Workshop(organisation_id=round_row.organisation_id, round_id=id_of(round_row),
                       unit_id=self.units[data.unit], assessment_id=assessment_id,
                       code=data.code, status=data.status, step_index=data.step_index,
                       version=data.version, dots_per_participant=data.dots_per_participant,
                       targets_per_factor=data.targets_per_factor,
                       focus_skip=",".join(data.focus_skip), created_by=None,
                       plan=json.dumps(data.plan, ensure_ascii=False) if data.plan else None,
                       created_at=_stored(data.created_at),
                       closed_at=_stored_or_none(data.closed_at))
        self.add_all([row])
        workshop_id = id_of(row)
        people = [Participant(workshop_id=workshop_id, respondent_id=self.respondents[p.respondent],
                              token_hash=_fresh_token_hash(), joined_at=_stored(p.joined_at))
                  for p in data.participants]
        self.add_all(people)
        self.participants.update({p.key: id_of(r) for p, r in zip(data.participants, people,
                                                                  strict=True)})
        self.add_all([WorkshopQuestion(workshop_id=workshop_id, question_id=q.question_id,
                                       revealed=q.revealed) for q in data.questions])
        needs = [Need(workshop_id=workshop_id, text=n.text, factor_id=n.factor_id,
                      participant_id=self.participants[n.participant] if n.participant else None,
                      created_at=_stored(n.created_at)) for n in data.needs]
        self.add_all(needs)
        self.needs.update({n.key: id_of(r) for n, r in zip(data.needs, needs, strict=True)})
        for need, row_need in zip(data.needs, needs, strict=True):
            if need.merged_into is not None:
                row_need.merged_into = self.needs[need.merged_into]
        self.add_all([NeedDot(need_id=self.needs[d.need],
                              participant_id=self.participants[d.participant],
                              created_at=_stored(d.created_at)) for d in data.dots])
        self.add_all([TargetVote(workshop_id=workshop_id,
                                 participant_id=self.participants[v.participant],
                                 factor_id=v.factor_id, level=v.level)
                      for v in data.target_votes])

    def phases(self, organisation_id: int) -> None:
        rows = [Phase(organisation_id=organisation_id, position=p.position, kind=p.kind,
                      name=p.name, starts_on=p.starts_on, ends_on=p.ends_on,
                      focus=",".join(p.focus), notes=p.notes, created_at=_stored(p.created_at))
                for p in self.data.phases]
        self.add_all(rows)
        members: list[Any] = []
        for row, phase in zip(rows, self.data.phases, strict=True):
            members += [PhaseUnit(phase_id=id_of(row), unit_id=self.units[u.unit],
                                  position=u.position) for u in phase.units]
            members += [PhaseOwner(phase_id=id_of(row), name=o.name, role=o.role,
                                   position=o.position) for o in phase.owners]
            members += [Gate(phase_id=id_of(row), factor_id=g.factor_id, level=g.level)
                        for g in phase.gates]
        self.add_all(members)


def import_organisation(session: Session, data: OrganisationFile | Mapping[str, Any] | str,
                        *, fallback_frameworks: Sequence[Framework] = ()) -> Organisation:
    """Validate a file and write its organisation into an empty database (see the module doc).

    Raises InvalidImportFile with every problem before writing anything. `fallback_frameworks`
    (the app's current frameworks) also count as known for roadmap phases of an organisation
    without rounds, as the roadmap page falls back to them."""
    try:
        parsed = data if isinstance(data, OrganisationFile) else parse_file(data)
    except InvalidImportFile as exc:
        if _has_organisations(session):
            exc.problems.append(Problem("", NOT_EMPTY))
        raise
    problems = _Checker(session, parsed, fallback_frameworks).run()
    if problems:
        raise InvalidImportFile(problems)
    return _Importer(session, parsed).run()


def summary(data: OrganisationFile) -> str:
    """One line describing what a file holds, for `maturity import`."""
    assessments = [a for r in data.rounds for a in r.assessments]
    answers = sum(len(a.answers) + sum(len(p.answers) for p in a.respondents)
                  for a in assessments)
    workshops = sum(len(r.workshops) for r in data.rounds)
    return (f"{data.organisation.name}: {len(data.units)} units, {len(data.rounds)} rounds, "
            f"{len(assessments)} assessments, {answers} answers, {workshops} workshops, "
            f"{len(data.phases)} phases, {len(data.actions)} actions")
