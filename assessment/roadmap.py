"""The rollout roadmap: targets and gaps, phases (needs, pilot, waves) with their units, owners
and gates, actions per unit and factor, and planned vs achieved across rounds.

A unit's **measured** score of a factor in a round is its workshop consensus when the workshop
gave that factor a score, else its self-assessment (so a workshop that scored some factors
never hides the self-assessment of the others). A factor's current stage is the stage its
score has reached; the **gap** is the target stage minus that stage.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, String
from sqlalchemy import cast as sa_cast
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from assessment import org_frameworks, services
from assessment.framework import Action as FrameworkAction
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import (
    Action,
    ActionStatus,
    Answer,
    Assessment,
    AssessmentKind,
    Gate,
    Organisation,
    Phase,
    PhaseKind,
    PhaseOwner,
    PhaseUnit,
    Round,
    Target,
    Unit,
    id_of,
    utcnow,
)
from assessment.scoring import FactorScore, Kind, ScoredAnswer, score_all
from assessment.services import N_, Conflict, InvalidInput

ACTION_TEXT_MAX = 1000
OWNER_MAX = 120
NOTES_MAX = 4000
KIND_ORDER = {PhaseKind.needs: 0, PhaseKind.pilot: 1, PhaseKind.wave: 2}


# Measured scores ---------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitScores:
    """A unit's measured scores in one round, by factor id, and where each one came from."""

    round_id: int
    unit_id: int
    kind: AssessmentKind  # workshop when the workshop scored any factor, else self
    factors: dict[str, FactorScore]
    sources: dict[str, AssessmentKind] = field(default_factory=dict)

    def stage(self, factor_id: str) -> int | None:
        """The stage level the factor has reached, or None without a score."""
        score = self.factors.get(factor_id)
        return score.stage_level if score else None

    def source(self, factor_id: str) -> AssessmentKind | None:
        """Which assessment the factor's measured score came from."""
        return self.sources.get(factor_id)


def round_scores(session: Session, framework: Framework, round_: Round,
                 unit_ids: Iterable[int] | None = None) -> dict[int, UnitScores]:
    """Every unit's measured scores in the round (or only the given units'), in at most two
    queries whatever the unit count (see `rounds_scores`)."""
    return rounds_scores(session, [(round_, framework)], unit_ids)[0]


# What the scores of a round depend on, as one text per assessment: its id, unit, kind and
# `updated_at` (the database's own text of it: compared, never computed with). Only the last
# part may hold a ":", and none holds a ",".
_STATE = (sa_cast(col(Assessment.id), String) + ":" + sa_cast(col(Assessment.unit_id), String)
          + ":" + sa_cast(col(Assessment.kind), String) + ":"
          + sa_cast(col(Assessment.updated_at), String))


def rounds_scores(session: Session, rounds: Sequence[tuple[Round, Framework]],
                  unit_ids: Iterable[int] | None = None, *,
                  keys: list[Hashable | None] | None = None) -> list[dict[int, UnitScores]]:
    """`round_scores` of several rounds (each with its framework): one query for the state of
    all their assessments, and one more (their answers) for each round whose scores are not
    kept yet, whatever the unit count.

    Leadership views score every unit in every round on each visit, while old rounds rarely
    change: the scores of a round are kept (per database engine) under the state of its
    assessments — each one's id, unit, kind and `updated_at`, which every change of its
    answers moves (`services.save_answers`), joined by the database into one text. Any
    change gives another text, so kept scores are never stale, in this process or another;
    the same assessments listed in another order only miss the kept scores.

    With `keys`, each round's key is appended to it (None for a round without assessments):
    what is worked out from the scores can be kept under it too (`kept_derived`)."""
    wanted = set(unit_ids) if unit_ids is not None else None
    if not rounds or (wanted is not None and not wanted):
        return [{} for _ in rounds]
    states = dict(cast(list[tuple[int, str]], session.execute(
        sa_select(col(Assessment.round_id), func.aggregate_strings(_STATE, ","))
        .where(col(Assessment.round_id).in_([id_of(r) for r, _ in rounds]),
               col(Assessment.kind) != AssessmentKind.survey)  # only respondents' answers
        .group_by(col(Assessment.round_id))).all()))
    cache = _score_cache(session)
    result: list[dict[int, UnitScores]] = []
    for round_, framework in rounds:
        state = states.get(id_of(round_))
        if not state:
            result.append({})
            if keys is not None:
                keys.append(None)
            continue
        key = (id_of(round_), framework.id, framework.version, len(framework.factors), state)
        if keys is not None:
            keys.append(key)
        everyone = cache.get(key)
        if everyone is None:
            everyone = _score_round(session, framework, id_of(round_), state)
            cache.put(key, everyone)
        result.append({unit_id: scores for unit_id, scores in everyone.items()
                       if wanted is None or unit_id in wanted})
    return result


def _scored(choice: str, level: int | None) -> ScoredAnswer:
    # Answers take a handful of (choice, level) values: share one object for each.
    found = _SCORED.get((choice, level))
    if found is None:
        found = _SCORED.setdefault((choice, level), ScoredAnswer(Kind(choice), level))
    return found


_SCORED: dict[tuple[str, int | None], ScoredAnswer] = {}


def _score_round(session: Session, framework: Framework, round_id: int,
                 state: str) -> dict[int, UnitScores]:
    """Score the round's assessments, listed in `state` (see `_STATE`): the measured scores
    per unit."""
    assessments = [(int(assessment_id), int(unit_id), AssessmentKind(kind))
                   for assessment_id, unit_id, kind, _updated in
                   (item.split(":", 3) for item in state.split(","))]
    # Plain rows, not Answer objects: building an ORM object per answer would cost more than
    # all the scoring.
    answers: dict[int, dict[str, ScoredAnswer]] = defaultdict(dict)
    for assessment_id, question_id, choice, level in session.exec(select(
            Answer.assessment_id, Answer.question_id, Answer.choice, Answer.level).where(
            col(Answer.assessment_id).in_([a[0] for a in assessments]),
            col(Answer.respondent_id).is_(None), col(Answer.choice).is_not(None))):
        if choice is not None:
            answers[assessment_id][question_id] = _scored(choice, level)
    factors = [(f.id, [q.id for q in f.questions]) for f in framework.factors]
    by_unit: dict[int, dict[AssessmentKind, list[FactorScore]]] = defaultdict(dict)
    for assessment_id, unit_id, kind in assessments:
        scores = score_all(factors, answers[assessment_id], framework.stage_count,
                           framework.first_level)
        if any(s.score is not None for s in scores):
            by_unit[unit_id][kind] = scores
    measured: dict[int, UnitScores] = {}
    for unit_id, kinds in by_unit.items():
        chosen: dict[str, FactorScore] = {}
        sources: dict[str, AssessmentKind] = {}
        for kind in (AssessmentKind.self, AssessmentKind.workshop):  # the workshop wins
            for found in kinds.get(kind, ()):
                if found.score is not None or found.factor_id not in chosen:
                    chosen[found.factor_id] = found
                    sources[found.factor_id] = kind
        any_workshop = any(k is AssessmentKind.workshop for fid, k in sources.items()
                           if chosen[fid].score is not None)
        measured[unit_id] = UnitScores(
            round_id, unit_id, AssessmentKind.workshop if any_workshop else AssessmentKind.self,
            chosen, sources)
    return measured


V = TypeVar("V")
T = TypeVar("T")


class _Kept(Generic[V]):
    """Values by key, the least recently used forgotten beyond `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value kept for the key, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        """Keep the value, forgetting the least recently used beyond the size."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


# One cache per engine: round ids only mean something inside one database.
_SCORE_CACHES: WeakKeyDictionary[Engine, _Kept[dict[int, UnitScores]]] = WeakKeyDictionary()
_DERIVED_CACHES: WeakKeyDictionary[Engine, _Kept[object]] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()
ROUNDS_KEPT = 64
DERIVED_KEPT = 256


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def _score_cache(session: Session) -> _Kept[dict[int, UnitScores]]:
    engine = _engine_of(session)
    with _CACHES_LOCK:
        cache = _SCORE_CACHES.get(engine)
        if cache is None:
            cache = _SCORE_CACHES[engine] = _Kept(ROUNDS_KEPT)
        return cache


def kept_derived(session: Session, key: Hashable, make: Callable[[], T]) -> T:
    """What `make` works out, kept (per database engine) under `key`, which must hold the
    score keys of the rounds it is worked out from (`rounds_scores(keys=…)`) and everything
    else it depends on: like the scores, it is then never stale. Only plain data belongs
    here (no database objects: they belong to one session)."""
    engine = _engine_of(session)
    with _CACHES_LOCK:
        cache = _DERIVED_CACHES.get(engine)
        if cache is None:
            cache = _DERIVED_CACHES[engine] = _Kept(DERIVED_KEPT)
    found = cache.get(key)
    if found is None:
        found = make()
        cache.put(key, found)
    return cast(T, found)


# Targets and gaps --------------------------------------------------------------------------

def _level(framework: Framework, raw: str | int | None, *, field: str) -> int:
    try:
        level = int(raw) if raw is not None and str(raw).strip() else None
    except ValueError:
        level = None
    if level is None or not framework.is_level(level):
        raise InvalidInput(N_("Choose one of the stages {min}–{max}."), field=field,
                           min=framework.first_level, max=framework.last_level)
    return level


def _factor_id(framework: Framework, raw: str | None, *, field: str) -> str:
    if raw not in {f.id for f in framework.factors}:
        raise InvalidInput(N_("Choose one of the framework's factors."), field=field)
    return str(raw)


def targets(session: Session, round_id: int, unit_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Target stages in a round by unit and factor."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for target in session.exec(select(Target).where(Target.round_id == round_id,
                                                    col(Target.unit_id).in_(list(unit_ids)))):
        found[target.unit_id][target.factor_id] = target.level
    return found


def set_target(session: Session, round_: Round, unit: Unit, framework: Framework,
               factor_id: str | None, level: str | None) -> Target | None:
    """Set a factor's target stage by hand; an empty level removes the target."""
    factor = _factor_id(framework, factor_id, field="factor_id")
    existing = session.exec(select(Target).where(
        Target.round_id == round_.id, Target.unit_id == unit.id,
        Target.factor_id == factor)).first()
    if level is None or not level.strip():
        if existing is not None:
            session.delete(existing)
            session.flush()
        return None
    value = _level(framework, level, field=f"target-{factor}")
    target = existing or Target(round_id=id_of(round_), unit_id=id_of(unit), factor_id=factor,
                                level=value)
    target.level, target.source, target.updated_at = value, "manual", utcnow()
    session.add(target)
    session.flush()
    return target


@dataclass(frozen=True)
class FactorGap:
    """A factor's current stage, target stage and the gap between them."""

    factor_id: str
    score: FactorScore | None
    current: int | None
    target: int | None
    source: AssessmentKind | None = None  # where the current stage was measured

    @property
    def gap(self) -> int | None:
        """Stages to climb (0 when the target is reached), or None without both values."""
        if self.current is None or self.target is None:
            return None
        return max(self.target - self.current, 0)


def gaps(framework: Framework, measured: UnitScores | None,
         unit_targets: dict[str, int]) -> list[FactorGap]:
    """Current stage, target and gap per factor, in framework order."""
    result = []
    for factor in framework.factors:
        score = measured.factors.get(factor.id) if measured else None
        result.append(FactorGap(factor.id, score, score.stage_level if score else None,
                                unit_targets.get(factor.id),
                                measured.source(factor.id) if measured else None))
    return result


# Phases ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PhaseInput:
    """A phase as typed into the form."""

    kind: str | None
    name: str | None
    starts_on: str | None
    ends_on: str | None
    focus: Sequence[str]
    notes: str | None = None


def _date(raw: str | None, *, field: str) -> date | None:
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(N_("Enter the date as YYYY-MM-DD."), field=field) from None


def _phases(session: Session, organisation_id: int) -> list[Phase]:
    rows = session.exec(select(Phase).where(Phase.organisation_id == organisation_id))
    return sorted(rows, key=lambda p: (KIND_ORDER[PhaseKind(p.kind)], p.position, p.id or 0))


def phases(session: Session, organisation: Organisation) -> list[Phase]:
    """The organisation's phases in rollout order: needs, the pilot, then the waves."""
    return _phases(session, id_of(organisation))


def _parse_phase(framework: Framework, data: PhaseInput) -> tuple[PhaseKind, str, date | None,
                                                                  date | None, str, str]:
    try:
        kind = PhaseKind(data.kind or "")
    except ValueError:
        raise InvalidInput(N_("Choose the kind of phase."), field="kind") from None
    name = services.clean_name(data.name)
    starts, ends = (_date(data.starts_on, field="starts_on"),
                    _date(data.ends_on, field="ends_on"))
    if starts and ends and ends < starts:
        raise InvalidInput(N_("The phase cannot end before it starts."), field="ends_on")
    known = [f.id for f in framework.factors]
    unknown = [f for f in data.focus if f not in known]
    if unknown:
        raise InvalidInput(N_("Choose focus factors from the framework."), field="focus")
    focus = ",".join(f for f in known if f in set(data.focus))
    notes = (data.notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise InvalidInput(N_("The notes are too long: at most {max} characters."),
                           field="notes", max=NOTES_MAX)
    return kind, name, starts, ends, focus, notes


def _require_single(session: Session, organisation_id: int, kind: PhaseKind,
                    phase_id: int | None) -> None:
    if kind is PhaseKind.wave:
        return
    for other in _phases(session, organisation_id):
        if other.kind == kind and other.id != phase_id:
            message = (N_("The roadmap already has a needs and expectations phase.")
                       if kind is PhaseKind.needs else N_("The roadmap already has a pilot."))
            raise Conflict(message, field="kind")


def create_phase(session: Session, organisation: Organisation, framework: Framework,
                 data: PhaseInput) -> Phase:
    """Add a phase at the end of its kind (there is one needs phase and one pilot)."""
    kind, name, starts, ends, focus, notes = _parse_phase(framework, data)
    _require_single(session, id_of(organisation), kind, None)
    last = max((p.position for p in _phases(session, id_of(organisation))), default=-1)
    phase = Phase(organisation_id=id_of(organisation), kind=kind, name=name, starts_on=starts,
                  ends_on=ends, focus=focus, notes=notes, position=last + 1)
    session.add(phase)
    session.flush()
    return phase


def update_phase(session: Session, phase: Phase, framework: Framework,
                 data: PhaseInput) -> Phase:
    """Change a phase's kind, name, time window, focus factors or notes."""
    kind, name, starts, ends, focus, notes = _parse_phase(framework, data)
    _require_single(session, phase.organisation_id, kind, phase.id)
    phase.kind, phase.name, phase.starts_on, phase.ends_on = kind, name, starts, ends
    phase.focus, phase.notes = focus, notes
    session.add(phase)
    session.flush()
    return phase


def delete_phase(session: Session, phase: Phase) -> None:
    """Remove a phase with its owners and gates; its units go back to unplanned."""
    for model in (PhaseUnit, PhaseOwner, Gate):
        for row in session.exec(select(model).where(model.phase_id == phase.id)):
            session.delete(row)
    session.flush()
    session.delete(phase)
    session.flush()


def _swap(session: Session, rows: list[Phase] | list[PhaseUnit], index: int,
          step: int) -> None:
    other = index + step
    if not 0 <= other < len(rows):
        raise Conflict(N_("It is already at that end of the list."))
    for position, row in enumerate(rows):
        row.position = position
    rows[index].position, rows[other].position = rows[other].position, rows[index].position
    for row in rows:
        session.add(row)
    session.flush()


def move_phase(session: Session, phase: Phase, step: int) -> None:
    """Move a phase earlier (-1) or later (+1) among the phases of its kind."""
    same = [p for p in _phases(session, phase.organisation_id) if p.kind == phase.kind]
    _swap(session, same, [p.id for p in same].index(phase.id), step)


def phase_units(session: Session, phase_ids: Iterable[int]) -> dict[int, list[PhaseUnit]]:
    """The units placed in each phase, in order."""
    found: dict[int, list[PhaseUnit]] = defaultdict(list)
    for row in session.exec(select(PhaseUnit).where(col(PhaseUnit.phase_id).in_(list(phase_ids)))
                            .order_by(col(PhaseUnit.position), col(PhaseUnit.id))):
        found[row.phase_id].append(row)
    return found


def place_unit(session: Session, phase: Phase, unit: Unit) -> PhaseUnit:
    """Put a unit in a phase; a unit sits in one phase, so it leaves any earlier one."""
    if unit.organisation_id != phase.organisation_id:
        raise InvalidInput(N_("Choose one of the organisation's units."), field="unit_id")
    placed = session.exec(select(PhaseUnit).where(PhaseUnit.unit_id == unit.id)).first()
    last = max((r.position for r in phase_units(session, [id_of(phase)])[id_of(phase)]),
               default=-1)
    placed = placed or PhaseUnit(phase_id=id_of(phase), unit_id=id_of(unit))
    placed.phase_id, placed.position = id_of(phase), last + 1
    session.add(placed)
    session.flush()
    return placed


def remove_unit(session: Session, phase: Phase, unit_id: int) -> None:
    """Take a unit out of the phase (back to unplanned)."""
    placed = session.exec(select(PhaseUnit).where(PhaseUnit.phase_id == phase.id,
                                                  PhaseUnit.unit_id == unit_id)).first()
    if placed is None:
        raise Conflict(N_("That unit is not in this phase."))
    session.delete(placed)
    session.flush()


def move_unit(session: Session, phase: Phase, unit_id: int, step: int) -> None:
    """Move a unit earlier or later within its phase."""
    rows = phase_units(session, [id_of(phase)])[id_of(phase)]
    ids = [r.unit_id for r in rows]
    if unit_id not in ids:
        raise Conflict(N_("That unit is not in this phase."))
    _swap(session, rows, ids.index(unit_id), step)


def add_owner(session: Session, phase: Phase, name: str | None, role: str | None) -> PhaseOwner:
    """Name a person and their role in the phase."""
    person = " ".join((name or "").split())
    duty = " ".join((role or "").split())
    if not person:
        raise InvalidInput(N_("Enter the owner's name."), field="owner_name")
    if not duty:
        raise InvalidInput(N_("Enter the owner's role in the phase."), field="owner_role")
    if len(person) > OWNER_MAX or len(duty) > OWNER_MAX:
        raise InvalidInput(N_("Names and roles are at most {max} characters."),
                           field="owner_name", max=OWNER_MAX)
    count = len(list(session.exec(select(PhaseOwner.id).where(PhaseOwner.phase_id == phase.id))))
    owner = PhaseOwner(phase_id=id_of(phase), name=person, role=duty, position=count)
    session.add(owner)
    session.flush()
    return owner


def remove_owner(session: Session, phase: Phase, owner_id: int) -> None:
    """Take an owner off the phase."""
    owner = session.get(PhaseOwner, owner_id)
    if owner is None or owner.phase_id != phase.id:
        raise Conflict(N_("That owner is not in this phase."))
    session.delete(owner)
    session.flush()


def set_gate(session: Session, phase: Phase, framework: Framework, factor_id: str | None,
             level: str | None) -> Gate:
    """Require every unit of the phase to reach a stage on a factor before the next phase."""
    factor = _factor_id(framework, factor_id, field="gate_factor")
    value = _level(framework, level, field="gate_level")
    gate = session.exec(select(Gate).where(Gate.phase_id == phase.id,
                                           Gate.factor_id == factor)).first()
    gate = gate or Gate(phase_id=id_of(phase), factor_id=factor, level=value)
    gate.level = value
    session.add(gate)
    session.flush()
    return gate


def remove_gate(session: Session, phase: Phase, gate_id: int) -> None:
    """Drop a gate criterion."""
    gate = session.get(Gate, gate_id)
    if gate is None or gate.phase_id != phase.id:
        raise Conflict(N_("That gate is not in this phase."))
    session.delete(gate)
    session.flush()


# Actions -----------------------------------------------------------------------------------

def actions(session: Session, organisation_id: int,
            unit_ids: Iterable[int] | None = None) -> list[Action]:
    """Actions of the organisation (or of some units), by unit, factor and position."""
    query = select(Action).where(Action.organisation_id == organisation_id)
    if unit_ids is not None:
        query = query.where(col(Action.unit_id).in_(list(unit_ids)))
    return list(session.exec(query.order_by(col(Action.unit_id), col(Action.factor_id),
                                            col(Action.position), col(Action.id))))


def propose_actions(session: Session, unit: Unit, framework: Framework,
                    unit_gaps: Sequence[FactorGap]) -> list[Action]:
    """Add the framework's actions for every stage transition between each factor's current
    and target stage; actions the unit already has (kept, edited or done) are not repeated."""
    have = {a.library_id for a in actions(session, unit.organisation_id, [id_of(unit)])
            if a.library_id}
    added: list[Action] = []
    for item in unit_gaps:
        if not item.gap or item.current is None or item.target is None:
            continue
        factor = framework.factor(item.factor_id)
        for level in range(item.current, item.target):
            stage_id = framework.stage_by_level(level).id
            for number, proposal in enumerate(a for a in factor.actions
                                              if a.from_stage == stage_id):
                if proposal.id in have:
                    continue
                action = Action(organisation_id=unit.organisation_id, unit_id=id_of(unit),
                                factor_id=factor.id, from_level=level, library_id=proposal.id,
                                text="", position=level * 100 + number)
                added.append(action)
    for action in added:
        session.add(action)
    session.flush()
    return added


@dataclass(frozen=True)
class ActionInput:
    """An action as typed into the form."""

    text: str | None
    owner: str | None
    due_on: str | None
    status: str | None = None


def _parse_owner(raw: str | None) -> str:
    owner = " ".join((raw or "").split())
    if len(owner) > OWNER_MAX:
        raise InvalidInput(N_("Names and roles are at most {max} characters."), field="owner",
                           max=OWNER_MAX)
    return owner


def _parse_status(raw: str | None) -> ActionStatus:
    try:
        return ActionStatus(raw or ActionStatus.planned)
    except ValueError:
        raise InvalidInput(N_("Choose the action's status."), field="status") from None


def _parse_action(data: ActionInput) -> tuple[str, str, date | None, ActionStatus]:
    text = (data.text or "").strip()
    if not text:
        raise InvalidInput(N_("Describe the action."), field="text")
    if len(text) > ACTION_TEXT_MAX:
        raise InvalidInput(N_("The action is too long: at most {max} characters."),
                           field="text", max=ACTION_TEXT_MAX)
    return (text, _parse_owner(data.owner), _date(data.due_on, field="due_on"),
            _parse_status(data.status))


def _library(action: Action, framework: Framework, earlier: Sequence[Framework],
             ) -> tuple[Framework, FrameworkAction] | None:
    if not action.library_id:
        return None
    for candidate in (framework, *earlier):
        for factor in candidate.factors:
            for proposal in factor.actions:
                if proposal.id == action.library_id:
                    return candidate, proposal
    return None


def belongs_to(action: Action, framework: Framework,
               versions: Sequence[Framework] = ()) -> bool:
    """Whether a planned action is one of this framework's: its factor is the framework's
    and, when it was proposed from a library, the library action is in the framework (or
    one of its `versions`). A factor id that two frameworks share is not enough."""
    if action.factor_id not in {f.id for f in framework.factors}:
        return False
    if not action.library_id:
        return True
    return any(found[0].id == framework.id
               for found in [_library(action, framework, versions)] if found)


def library_action(action: Action, framework: Framework,
                   earlier: Sequence[Framework] = ()) -> FrameworkAction | None:
    """The framework action a planned action came from: looked up in `framework`, then in
    the other versions in `earlier` (an action proposed from 2026.1 keeps its 2026.1 text when
    the page speaks 2026.2; versions never reuse an action id for a different action)."""
    found = _library(action, framework, earlier)
    return found[1] if found else None


@dataclass(frozen=True)
class LibraryDetails:
    """What the framework suggests for a planned action: an owner role, when it is done and
    the seeds it rests on (ids and titles); empty for actions written by hand."""

    owner_role: Mapping[str, str] | None = None
    done_when: Mapping[str, str] | None = None
    sources: tuple[tuple[str, Mapping[str, str]], ...] = ()


def library_details(action: Action, framework: Framework,
                    earlier: Sequence[Framework] = ()) -> LibraryDetails:
    """The suggested owner role, done-when criterion and sources of a planned action."""
    found = _library(action, framework, earlier)
    if found is None:
        return LibraryDetails()
    source, proposal = found
    titles = {s.id: s.title for s in source.seeds}
    return LibraryDetails(proposal.owner_role, proposal.done_when,
                          tuple((sid, titles[sid]) for sid in proposal.sources if sid in titles))


def action_text(action: Action, framework: Framework, language: str,
                earlier: Sequence[Framework] = ()) -> str:
    """What the action says: its own text, or the framework action's text in the language."""
    if action.text or not action.library_id:
        return action.text
    proposal = library_action(action, framework, earlier)
    if proposal is None:
        return action.library_id  # the library action is in no known framework version
    return proposal.text.get(language) or next(iter(proposal.text.values()))


def add_action(session: Session, unit: Unit, framework: Framework, factor_id: str | None,
               data: ActionInput) -> Action:
    """Write a new action for a unit and factor."""
    factor = _factor_id(framework, factor_id, field="factor_id")
    text, owner, due, status = _parse_action(data)
    last = max((a.position for a in actions(session, unit.organisation_id, [id_of(unit)])
                if a.factor_id == factor), default=-1)
    action = Action(organisation_id=unit.organisation_id, unit_id=id_of(unit), factor_id=factor,
                    text=text, owner=owner, due_on=due, status=status, position=last + 1)
    session.add(action)
    session.flush()
    return action


def update_action(session: Session, action: Action, data: ActionInput) -> Action:
    """Edit an action's text, owner, due date or status."""
    action.text, action.owner, action.due_on, action.status = _parse_action(data)
    action.updated_at = utcnow()
    session.add(action)
    session.flush()
    return action


@dataclass(frozen=True)
class TrackingInput:
    """What a project tool syncs of an action: its status, owner and due date. A field left
    as None is left as it is."""

    status: str | None = None
    owner: str | None = None
    due_on: str | None = None
    clear_due_on: bool = False


def update_action_tracking(session: Session, action: Action,
                           data: TrackingInput) -> dict[str, str]:
    """Change an action's status, owner or due date, checked as the form checks them (its
    text stays as it is); returns what changed, field by field, for the audit log."""
    status = _parse_status(data.status) if data.status is not None else None
    owner = _parse_owner(data.owner) if data.owner is not None else None
    due = _date(data.due_on, field="due_on") if data.due_on is not None else None
    changes: dict[str, str] = {}
    if status is not None and status != action.status:
        changes["status"] = f"{action.status} → {status}"
        action.status = status
    if owner is not None and owner != action.owner:
        changes["owner"] = f"{action.owner} → {owner}"
        action.owner = owner
    if (data.clear_due_on or due is not None) and due != action.due_on:
        changes["due_on"] = f"{action.due_on or ''} → {due or ''}"
        action.due_on = due
    if changes:
        action.updated_at = utcnow()
        session.add(action)
        session.flush()
    return changes


def delete_action(session: Session, action: Action) -> None:
    """Remove an action."""
    session.delete(action)
    session.flush()


# Planned vs achieved -----------------------------------------------------------------------

@dataclass(frozen=True)
class UnitProgress:
    """One unit of a phase: targets from the planning round against the latest measurement."""

    unit: Unit
    plan_round: Round | None
    targets: dict[str, int]
    baseline: UnitScores | None
    latest_round: Round | None
    latest: UnitScores | None


@dataclass(frozen=True)
class GateStatus:
    """Whether every unit of the phase has reached the gate's stage in its latest round."""

    gate: Gate
    reached: int
    units: int

    @property
    def holds(self) -> bool:
        """The gate holds when the phase has units and all of them reached the stage."""
        return self.units > 0 and self.reached == self.units


@dataclass(frozen=True)
class PhaseProgress:
    """A phase with its owners, units, gates and how they stand."""

    phase: Phase
    owners: list[PhaseOwner]
    units: list[UnitProgress]
    gates: list[GateStatus]

    @property
    def focus(self) -> list[str]:
        """The focus factor ids."""
        return [f for f in self.phase.focus.split(",") if f]


def roadmap(session: Session, registry: FrameworkRegistry,
            organisation: Organisation, framework_id: str | None = None,
            ) -> list[PhaseProgress]:
    """Every phase with its units' planned targets and latest measured stages, and whether
    its gates hold. The planning round of a unit is the latest round with targets for it;
    its latest measurement is the latest round in which it has a score. Only the rounds on
    the roadmap's framework count (`framework_id`, by default the one the organisation's
    roadmap speaks): another framework's stages never decide a gate."""
    if framework_id is None:
        framework_id = org_frameworks.roadmap_choice(session, registry, organisation).id
    org_id = id_of(organisation)
    ordered = _phases(session, org_id)
    phase_ids = [id_of(p) for p in ordered]
    placed = phase_units(session, phase_ids)
    unit_ids = [r.unit_id for rows in placed.values() for r in rows]
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(unit_ids)))}
    owners: dict[int, list[PhaseOwner]] = defaultdict(list)
    for owner in session.exec(select(PhaseOwner).where(col(PhaseOwner.phase_id).in_(phase_ids))
                              .order_by(col(PhaseOwner.position), col(PhaseOwner.id))):
        owners[owner.phase_id].append(owner)
    gates: dict[int, list[Gate]] = defaultdict(list)
    for gate in session.exec(select(Gate).where(col(Gate.phase_id).in_(phase_ids))
                             .order_by(col(Gate.id))):
        gates[gate.phase_id].append(gate)

    rounds = (org_frameworks.rounds_on(session, services.list_rounds(session, organisation),
                                       framework_id) if unit_ids else [])
    measured = rounds_scores(session, [(r, services.round_framework(session, registry, r)[0])
                                       for r in rounds], unit_ids)
    scores = {id_of(r): found for r, found in zip(rounds, measured, strict=True)}
    planned = {id_of(r): targets(session, id_of(r), unit_ids) for r in rounds}

    def progress(unit_id: int) -> UnitProgress:
        plan = next((r for r in reversed(rounds) if planned[id_of(r)].get(unit_id)), None)
        latest = next((r for r in reversed(rounds) if unit_id in scores[id_of(r)]), None)
        return UnitProgress(
            unit=units[unit_id], plan_round=plan,
            targets=planned[id_of(plan)][unit_id] if plan else {},
            baseline=scores[id_of(plan)].get(unit_id) if plan else None,
            latest_round=latest, latest=scores[id_of(latest)][unit_id] if latest else None)

    result = []
    for phase in ordered:
        members = [progress(r.unit_id) for r in placed[id_of(phase)]]
        statuses = [GateStatus(g, sum(1 for m in members if m.latest and (
            m.latest.stage(g.factor_id) or 0) >= g.level), len(members))
            for g in gates[id_of(phase)]]
        result.append(PhaseProgress(phase, owners[id_of(phase)], members, statuses))
    return result


def unplanned_units(session: Session, organisation: Organisation) -> list[Unit]:
    """The organisation's units that sit in no phase yet, in tree order."""
    placed = {r.unit_id for r in session.exec(select(PhaseUnit).join(Phase).where(
        Phase.organisation_id == organisation.id))}
    return [item.unit for item in services.unit_tree(session, organisation)
            if item.unit.id not in placed]
