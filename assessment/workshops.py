"""Live workshops: the agenda, joining with a code, silent votes, reveal, consensus, needs.

All workshop state lives in the database (the step, what is revealed, every vote), so any
number of app processes can serve one workshop. A change that participants' screens must
follow (a new step, a reveal, the end) bumps `Workshop.version`; their screens poll it and
are left alone otherwise, so nobody loses a half-typed note.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import statistics
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, Table, and_, bindparam, delete, insert, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from assessment import live, services
from assessment.agendas import MAX_MINUTES, Plan, PlanItem, default_plan
from assessment.framework import Framework
from assessment.models import (
    Answer,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Choice,
    FrameworkVersion,
    Need,
    NeedDot,
    Participant,
    Respondent,
    Round,
    Target,
    TargetVote,
    Unit,
    User,
    Workshop,
    WorkshopJoin,
    WorkshopQuestion,
    WorkshopStatus,
    id_of,
    utcnow,
)
from assessment.services import N_, Conflict, InvalidInput, ServiceError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud from a wall
CODE_LENGTH = 6
NEED_MAX = 500
NICKNAME_MAX = 40
RATIONALE_MAX = 1000
NEEDS_PER_MINUTE = 6
DIVERGENT_SPREAD = 2  # votes three or more stages apart are discussed


VOTING_CLOSED = N_("Voting on this is not open right now. Follow the facilitator's screen.")


class Throttled(ServiceError):
    """Too many posts from one participant, or joins from one address, in a short time."""

    status = 429


class StepKind(StrEnum):
    """The kinds of agenda step."""

    needs = "needs"
    needs_vote = "needs_vote"
    question = "question"
    # Focus mode: confirm in one step the consensus the pre-survey proposes for a factor's
    # questions on which it agreed (those questions get no step of their own).
    confirm = "confirm"
    target = "target"
    wrapup = "wrapup"


@dataclass(frozen=True)
class Step:
    """One agenda step: its kind, the question or factor it is about, and the agenda item
    (of the workshop's plan) it belongs to."""

    index: int
    kind: StepKind
    factor_id: str | None = None
    question_id: str | None = None
    item: int | None = None


def _steps(framework: Framework, targets_per_factor: bool, plan: Plan | None = None,
           skip: frozenset[str] = frozenset(),
           ) -> list[tuple[StepKind, str | None, str | None, int]]:
    """The steps of a plan (by default: needs, dot voting, every factor, targets, wrap-up),
    each with the number of its item: a factor item is its questions (and its target when
    targets are voted after each factor), the targets item the target of every factor item.
    In focus mode the questions in `skip` give way to one confirmation step at the start of
    their factor."""
    plan = plan or default_plan(framework)
    factors = {f.id: f for f in framework.factors}
    chosen = [i.factor_id for i in plan.items if i.kind == "factor" and i.factor_id in factors]
    steps: list[tuple[StepKind, str | None, str | None, int]] = []
    for n, item in enumerate(plan.items):
        if item.kind == "factor":
            factor = factors.get(item.factor_id or "")
            if factor is None:
                continue
            if any(q.id in skip for q in factor.questions):
                steps.append((StepKind.confirm, factor.id, None, n))
            steps += [(StepKind.question, factor.id, q.id, n) for q in factor.questions
                      if q.id not in skip]
            if targets_per_factor:
                steps.append((StepKind.target, factor.id, None, n))
        elif item.kind == "targets":
            if not targets_per_factor:
                steps += [(StepKind.target, fid, None, n) for fid in chosen]
        elif item.kind in StepKind.__members__:
            steps.append((StepKind(item.kind), None, None, n))
    return steps


def agenda(framework: Framework, *, targets_per_factor: bool = False,
           plan: Plan | None = None, skip: frozenset[str] = frozenset()) -> list[Step]:
    """The steps of a plan (by default: needs, dot voting, every question factor by factor,
    a target per factor after each factor's questions or all at the end, wrap-up). In focus
    mode the questions in `skip` give way to one confirmation step at the start of their
    factor."""
    return [Step(i, kind, fid, qid, item) for i, (kind, fid, qid, item)
            in enumerate(_steps(framework, targets_per_factor, plan, skip))]


def focus_skip(workshop: Workshop) -> frozenset[str]:
    """The questions a focus workshop skips (the pre-survey agreed on them); empty otherwise."""
    return frozenset(q for q in (workshop.focus_skip or "").split(",") if q)


def plan_of(workshop: Workshop, framework: Framework) -> Plan:
    """The workshop's agenda plan (the default one for a workshop made before templates)."""
    return Plan.from_json(workshop.plan) if workshop.plan else default_plan(framework)


# Every vote and every screen asks for the workshop's agenda: built once per framework, plan,
# target placement and focus, and shared (the steps are frozen; each caller gets its own list).
_AgendaKey = tuple[int, str | None, bool, str | None]
_AGENDAS: OrderedDict[_AgendaKey, tuple[Framework, tuple[Step, ...]]] = OrderedDict()
_AGENDAS_KEPT = 128
_AGENDAS_LOCK = threading.Lock()


def workshop_agenda(workshop: Workshop, framework: Framework) -> list[Step]:
    """The agenda of this workshop: its plan, its targets where it placed them, and in focus
    mode without the questions the pre-survey agreed on."""
    # The framework object is in the key by identity, and the entry keeps it alive: a registry
    # parses each content hash once, so one content is one object.
    key = (id(framework), workshop.plan, workshop.targets_per_factor, workshop.focus_skip)
    found = _AGENDAS.get(key)
    if found is None or found[0] is not framework:
        steps = tuple(agenda(framework, targets_per_factor=workshop.targets_per_factor,
                             plan=plan_of(workshop, framework), skip=focus_skip(workshop)))
        found = (framework, steps)
        with _AGENDAS_LOCK:
            _AGENDAS[key] = found
            while len(_AGENDAS) > _AGENDAS_KEPT:
                _AGENDAS.popitem(last=False)
    return list(found[1])


def step_at(framework: Framework, index: int, *, targets_per_factor: bool = False,
            plan: Plan | None = None) -> Step:
    """The agenda's step at `index` (clamped to the agenda)."""
    steps = agenda(framework, targets_per_factor=targets_per_factor, plan=plan)
    return steps[min(max(index, 0), len(steps) - 1)]


def current_step(workshop: Workshop, framework: Framework) -> Step:
    """The step the workshop is on."""
    steps = workshop_agenda(workshop, framework)
    return steps[min(max(workshop.step_index, 0), len(steps) - 1)]


@dataclass(frozen=True)
class Position:
    """Where a question step stands: the question's number in the agenda and in its factor,
    and the factor's number."""

    question: int
    questions: int
    in_factor: int
    factor_questions: int
    factor: int
    factors: int


def position(framework: Framework, step: Step, steps: list[Step] | None = None,
             ) -> Position | None:
    """The question's position ("Question 7 of 40") among the agenda's questions (every
    question of the framework when no agenda is given), or None for a step without one."""
    if step.question_id is None:
        return None
    if steps is None:
        steps = agenda(framework)
    questions = [s for s in steps if s.kind is StepKind.question]
    order = list(dict.fromkeys(s.factor_id for s in questions))
    for number, s in enumerate(questions, 1):
        if s.question_id == step.question_id:
            in_factor = [q for q in questions if q.factor_id == s.factor_id]
            return Position(number, len(questions),
                            next(i for i, q in enumerate(in_factor, 1)
                                 if q.question_id == s.question_id),
                            len(in_factor), order.index(s.factor_id) + 1, len(order))
    return None


@dataclass(frozen=True)
class FactorProgress:
    """A factor's part of the agenda on the console: its question steps, how many have a
    recorded consensus, its target step and whether the workshop is inside it now."""

    factor_id: str
    steps: tuple[Step, ...]
    agreed: int
    target: Step | None
    current: bool
    confirm: Step | None = None  # focus mode: the step confirming the pre-survey's consensus
    skipped: int = 0  # focus mode: the factor's questions that step confirms

    @property
    def total(self) -> int:
        """How many of the factor's questions the agenda covers, confirmed ones included."""
        return len(self.steps) + self.skipped


def agenda_by_factor(steps: list[Step], framework: Framework, agreed: set[str],
                     current: Step) -> list[FactorProgress]:
    """The agenda's question and target steps grouped by factor, with their progress."""
    grouped = []
    planned = dict.fromkeys(s.factor_id for s in steps
                            if s.kind in (StepKind.question, StepKind.target, StepKind.confirm))
    for factor in (f for f in framework.factors if f.id in planned):
        questions = tuple(s for s in steps if s.kind is StepKind.question
                          and s.factor_id == factor.id)
        target = next((s for s in steps if s.kind is StepKind.target
                       and s.factor_id == factor.id), None)
        confirm = next((s for s in steps if s.kind is StepKind.confirm
                        and s.factor_id == factor.id), None)
        shown = {s.question_id for s in questions}
        skipped = [q.id for q in factor.questions if q.id not in shown] if confirm else []
        grouped.append(FactorProgress(
            factor.id, questions, sum(1 for q in [*shown, *skipped] if q in agreed), target,
            current.factor_id == factor.id, confirm, len(skipped)))
    order = list(planned)
    return sorted(grouped, key=lambda g: order.index(g.factor_id))


def _dots(dots: int) -> int:
    if not 1 <= dots <= 10:
        raise InvalidInput(N_("Give each participant 1–10 dots."), field="dots")
    return dots


def change_settings(session: Session, workshop: Workshop, framework: Framework, *, dots: int,
                    targets_per_factor: bool) -> None:
    """Change the dots per participant and where the target steps are; the workshop stays on
    the step it is on (a dot already placed stays placed)."""
    _require_open(workshop)
    workshop.dots_per_participant = _dots(dots)
    here = current_step(workshop, framework)
    plan = plan_of(workshop, framework)
    workshop.targets_per_factor = targets_per_factor
    _relocate(workshop, framework, here, plan.items[here.item].key
              if here.item is not None else None)
    _bump(session, workshop)
    session.flush()


def _relocate(workshop: Workshop, framework: Framework, here: Step, key: str | None) -> bool:
    """Put the workshop on the step `here` (of the agenda item `key`) of its changed agenda;
    when that step is gone, on the first step of the same item, else the first step. True
    when it stayed on the step."""
    moved = workshop_agenda(workshop, framework)
    same = next((s.index for s in moved if (s.kind, s.factor_id, s.question_id)
                 == (here.kind, here.factor_id, here.question_id)), None)
    if same is None:
        plan = plan_of(workshop, framework)
        same = next((s.index for s in moved if s.item is not None
                     and plan.items[s.item].key == key), 0)
        workshop.step_index = same
        return False
    workshop.step_index = same
    return True


# The agenda's plan, its timer and the time spent ------------------------------------

AGENDA_EMPTY = N_("The agenda needs at least one step.")
TIMEBOX_RANGE = N_("A timebox is from 1 to {max} minutes.")


def check_plan(framework: Framework, items: list[PlanItem], *, targets_per_factor: bool = False,
               ) -> None:
    """Refuse a plan with a timebox out of range, an unknown factor or kind, a step twice, or
    no step at all."""
    known = {f.id for f in framework.factors}
    for item in items:
        if item.kind not in ("needs", "needs_vote", "factor", "targets", "wrapup"):
            raise InvalidInput(N_("There is no such step in the agenda."))
        if item.kind == "factor" and item.factor_id not in known:
            raise InvalidInput(N_("Choose factors of the workshop's framework."))
        if not 1 <= item.minutes <= MAX_MINUTES:
            raise InvalidInput(TIMEBOX_RANGE, field="minutes", max=MAX_MINUTES)
    if len({item.key for item in items}) != len(items):
        raise InvalidInput(N_("Each step can be on the agenda only once."))
    if not items or not agenda(framework, targets_per_factor=targets_per_factor,
                               plan=Plan(tuple(items))):
        raise InvalidInput(AGENDA_EMPTY)


def set_plan(session: Session, workshop: Workshop, framework: Framework,
             items: list[PlanItem]) -> None:
    """Change the workshop's agenda (drop, add or reorder its items, change timeboxes). The
    workshop stays on its step when the step is still on the agenda; otherwise it goes to
    the first step of what is left and the timer stops."""
    _require_open(workshop)
    check_plan(framework, items, targets_per_factor=workshop.targets_per_factor)
    here = current_step(workshop, framework)
    old = plan_of(workshop, framework)
    was = old.items[here.item].key if here.item is not None else None
    new = Plan(tuple(items), template=old.template, name=old.name, notes=old.notes,
               checklist=old.checklist)
    workshop.plan = json.dumps(new.to_json(), ensure_ascii=False)
    if not _relocate(workshop, framework, here, was):
        step = current_step(workshop, framework)
        if step.item is None or new.items[step.item].key != was:
            _account(workshop, old, here, utcnow())
            workshop.timer_ends_at = workshop.timer_left = None
    _bump(session, workshop)
    session.flush()


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite gives back naive datetimes; they were stored in UTC.
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def spent(workshop: Workshop) -> dict[str, int]:
    """Seconds spent per agenda item key, not counting the current stretch."""
    return {str(k): int(v) for k, v in json.loads(workshop.item_seconds or "{}").items()}


def _account(workshop: Workshop, plan: Plan, step: Step, now: datetime) -> None:
    """Add the time since the workshop came to the step's item to that item."""
    started = _aware(workshop.item_started_at)
    if started is not None and step.item is not None and step.item < len(plan.items):
        seconds = spent(workshop)
        key = plan.items[step.item].key
        seconds[key] = seconds.get(key, 0) + max(0, int((now - started).total_seconds()))
        workshop.item_seconds = json.dumps(seconds)
    workshop.item_started_at = now


@dataclass(frozen=True)
class Timer:
    """The timer of the current agenda item: its timebox, what is left (at `at`), and
    whether it runs, is paused or has not started (then the whole timebox is left)."""

    state: str  # "idle", "running" or "paused"
    timebox: int  # seconds
    left_ms: int
    ends_at: datetime | None

    @property
    def up(self) -> bool:
        """Whether the time is up (shown on every screen; nothing is blocked)."""
        return self.state != "idle" and self.left_ms <= 0

    @property
    def left_minutes(self) -> int:
        """Whole minutes left, rounded up (what a screen without JavaScript shows)."""
        return max(0, -(-self.left_ms // 60000))

    def at(self, now: datetime | None = None) -> Timer:
        """The same timer as it stands at `now` (a running one has less left)."""
        if self.ends_at is None:
            return self
        left = int((self.ends_at - (now or utcnow())).total_seconds() * 1000)
        return replace(self, left_ms=left)


def timer(workshop: Workshop, framework: Framework, now: datetime | None = None) -> Timer:
    """The current item's timer as it stands now."""
    now = now or utcnow()
    step = current_step(workshop, framework)
    plan = plan_of(workshop, framework)
    item = plan.items[step.item] if step.item is not None else None
    timebox = item.minutes * 60 if item else 0
    ends = _aware(workshop.timer_ends_at)
    if ends is not None:
        return Timer("running", timebox, int((ends - now).total_seconds() * 1000), ends)
    if workshop.timer_left is not None:
        return Timer("paused", timebox, workshop.timer_left * 1000, None)
    return Timer("idle", timebox, timebox * 1000, None)


TIMER_ACTIONS = ("start", "pause", "resume", "add", "reset")


def change_timer(session: Session, workshop: Workshop, framework: Framework,
                 action: str | None) -> None:
    """Start, pause, resume, add a minute to, or reset the current item's timer (every
    screen follows; at zero the screens say so, nothing is blocked)."""
    _require_open(workshop)
    if action not in TIMER_ACTIONS:
        raise InvalidInput(N_("Choose what to do with the timer."))
    now = utcnow()
    current = timer(workshop, framework, now)
    if workshop.item_started_at is None:  # the agenda's time starts with the first timer
        workshop.item_started_at = now
    cap = MAX_MINUTES * 60
    if action in ("start", "reset"):
        workshop.timer_ends_at, workshop.timer_left = now + timedelta(seconds=current.timebox), None
    elif action == "pause" and current.state == "running":
        workshop.timer_ends_at = None
        workshop.timer_left = max(0, -(-current.left_ms // 1000))
    elif action == "resume" and current.state == "paused":
        workshop.timer_ends_at = now + timedelta(seconds=workshop.timer_left or 0)
        workshop.timer_left = None
    elif action == "add":
        left = min(cap, max(0, current.left_ms // 1000) + 60)
        if current.state == "paused":
            workshop.timer_left = left
        else:  # a finished, running or not yet started timer runs on with the minute added
            workshop.timer_ends_at, workshop.timer_left = now + timedelta(seconds=left), None
    _bump(session, workshop)
    session.flush()


@dataclass(frozen=True)
class ItemTime:
    """An agenda item on the console: planned minutes against the time actually spent."""

    index: int
    item: PlanItem
    first_step: int | None
    planned: int  # seconds
    actual: int  # seconds
    current: bool


def agenda_times(workshop: Workshop, framework: Framework, now: datetime | None = None,
                 ) -> list[ItemTime]:
    """Every agenda item with its planned and actual time (the current stretch included)."""
    now = now or utcnow()
    plan = plan_of(workshop, framework)
    steps = workshop_agenda(workshop, framework)
    here = current_step(workshop, framework)
    seconds = spent(workshop)
    started = _aware(workshop.item_started_at)
    times = []
    for n, item in enumerate(plan.items):
        actual = seconds.get(item.key, 0)
        if n == here.item and started is not None and workshop.status == WorkshopStatus.open:
            actual += max(0, int((now - started).total_seconds()))
        times.append(ItemTime(n, item, next((s.index for s in steps if s.item == n), None),
                              item.minutes * 60, actual, n == here.item))
    return times


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _table(model: Any) -> Table:
    """A model's table, for statements SQLAlchemy's ORM would not build (INSERT … SELECT)."""
    table: Table = inspect(model).local_table
    return table


def _value(name: str, model: Any) -> Any:
    """A bound value in a SELECT list, typed like the column it goes into."""
    column = inspect(model).local_table.c[name]
    return bindparam(name, type_=column.type)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _bump(session: Session, workshop: Workshop) -> None:
    workshop.version += 1
    session.add(workshop)
    live.notify_version(session, workshop)  # PostgreSQL: every app process, on commit


def _require_open(workshop: Workshop) -> None:
    if workshop.status != WorkshopStatus.open:
        raise Conflict(N_("This workshop has ended."))


# Facilitator --------------------------------------------------------------------------

def running_workshop(session: Session, round_id: int, unit_id: int) -> Workshop | None:
    """The unit's open workshop in the round, if one runs (the newest if there are several)."""
    return session.exec(select(Workshop).where(
        Workshop.round_id == round_id, Workshop.unit_id == unit_id,
        Workshop.status == WorkshopStatus.open).order_by(col(Workshop.id).desc())).first()


def create_workshop(session: Session, round_: Round, unit: Unit, *, by: User | None,
                    dots: int = 3, another: bool = False,
                    targets_per_factor: bool = False, skip: Sequence[str] = (),
                    plan: Plan | None = None) -> Workshop:
    """Open a workshop for the unit in the round, with a fresh join code. While one runs, it
    is returned instead (continue it), unless `another` session is asked for on purpose.
    `skip` makes it a focus workshop: the questions the pre-survey agreed on."""
    _dots(dots)
    if not another:
        running = running_workshop(session, id_of(round_), id_of(unit))
        if running is not None:
            return running
    assessment = services.get_or_create_assessment(session, round_, unit, AssessmentKind.workshop)
    if assessment.status == AssessmentStatus.submitted:  # a new workshop continues the unit's
        services.reopen_assessment(session, assessment)
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(Workshop).where(Workshop.code == code)).first() is None:
            break
    workshop = Workshop(organisation_id=round_.organisation_id, round_id=id_of(round_),
                        unit_id=id_of(unit), assessment_id=id_of(assessment), code=code,
                        dots_per_participant=dots, targets_per_factor=targets_per_factor,
                        created_by=by.id if by else None, focus_skip=",".join(skip),
                        plan=json.dumps(plan.to_json(), ensure_ascii=False) if plan else None)
    session.add(workshop)
    session.flush()
    return workshop


def workshops_of(session: Session, round_: Round) -> list[Workshop]:
    """The round's workshops, newest first."""
    return list(session.exec(select(Workshop).where(Workshop.round_id == round_.id)
                             .order_by(col(Workshop.created_at).desc())))


def earlier_sessions(session: Session, workshop: Workshop) -> int:
    """How many workshops of the same unit and round came before this one."""
    return int(session.exec(select(func.count()).select_from(Workshop).where(
        Workshop.assessment_id == workshop.assessment_id,
        col(Workshop.id) < workshop.id)).one())


def workshops_of_assessment(session: Session, assessment: Assessment) -> list[Workshop]:
    """The workshops that recorded this (workshop) assessment, oldest first."""
    return list(session.exec(select(Workshop).where(Workshop.assessment_id == assessment.id)
                             .order_by(col(Workshop.created_at))))


def go_to(session: Session, workshop: Workshop, framework: Framework, index: int) -> Step:
    """Move the workshop to an agenda step (participants follow). Coming to another agenda
    item books the time spent on the one left and starts the new item's timer."""
    _require_open(workshop)
    steps = workshop_agenda(workshop, framework)
    if not 0 <= index < len(steps):
        raise InvalidInput(N_("There is no such step in the agenda."))
    here = current_step(workshop, framework)
    if steps[index].item != here.item:
        now = utcnow()
        plan = plan_of(workshop, framework)
        _account(workshop, plan, here, now)
        item = steps[index].item
        minutes = plan.items[item].minutes if item is not None else 0
        workshop.timer_ends_at = now + timedelta(minutes=minutes)
        workshop.timer_left = None
    workshop.step_index = index
    _bump(session, workshop)
    session.flush()
    return steps[index]


def _question_state(session: Session, workshop: Workshop, question_id: str) -> WorkshopQuestion:
    state = session.get(WorkshopQuestion, (workshop.id, question_id))
    return state or WorkshopQuestion(workshop_id=id_of(workshop), question_id=question_id)


_REVEALED = select(WorkshopQuestion.revealed).where(
    WorkshopQuestion.workshop_id == bindparam("workshop_id"),
    WorkshopQuestion.question_id == bindparam("question_id"))


def is_revealed(session: Session, workshop: Workshop, question_id: str) -> bool:
    """Whether the question's votes have been revealed."""
    return bool(session.exec(_REVEALED, params={"workshop_id": workshop.id,
                                                "question_id": question_id}).first())


def set_revealed(session: Session, workshop: Workshop, framework: Framework, question_id: str,
                 revealed: bool) -> None:
    """Reveal the votes of a question, or re-open it for voting."""
    _require_open(workshop)
    try:
        framework.question(question_id)
    except KeyError:
        raise InvalidInput(services.UNKNOWN_QUESTION) from None
    state = _question_state(session, workshop, question_id)
    state.revealed = revealed
    session.add(state)
    _bump(session, workshop)
    session.flush()


def close_workshop(session: Session, workshop: Workshop,
                   framework: Framework | None = None) -> None:
    """End the workshop: no more joining or voting. When no other workshop of the unit is
    still open, the workshop assessment is submitted (a later workshop reopens it). With
    the framework, the time spent on the last agenda item is booked too."""
    _require_open(workshop)
    now = utcnow()
    if framework is not None and workshop.item_started_at is not None:
        _account(workshop, plan_of(workshop, framework), current_step(workshop, framework), now)
    workshop.status = WorkshopStatus.closed
    workshop.closed_at = now
    workshop.timer_ends_at = workshop.timer_left = None
    _bump(session, workshop)
    assessment = session.get(Assessment, workshop.assessment_id)
    assert assessment is not None  # guaranteed by the foreign key
    still_open = session.exec(select(Workshop.id).where(
        Workshop.assessment_id == assessment.id, Workshop.status == WorkshopStatus.open,
        Workshop.id != workshop.id)).first()
    if assessment.status == AssessmentStatus.draft and still_open is None:
        services.submit_assessment(session, assessment)  # the last open workshop locks it
    session.flush()


# Participants -------------------------------------------------------------------------

def clean_code(code: str | None) -> str:
    """A join code as typed, normalised (case and spaces do not matter)."""
    return "".join((code or "").split()).upper()[:CODE_LENGTH + 4]


def open_workshop(session: Session, code: str | None) -> Workshop:
    """The open workshop with this join code."""
    workshop = session.exec(select(Workshop).where(Workshop.code == clean_code(code))).first()
    if workshop is None:
        raise InvalidInput(N_("There is no workshop with this code. Check the code on the "
                              "screen."), field="code")
    if workshop.status != WorkshopStatus.open:
        raise Conflict(N_("This workshop has ended."), field="code")
    return workshop


def join(session: Session, workshop: Workshop, nickname: str | None) -> tuple[Participant, str]:
    """Add a participant; returns them and the secret token their browser keeps."""
    _require_open(workshop)
    name = " ".join((nickname or "").split()) or None
    if name and len(name) > NICKNAME_MAX:
        raise InvalidInput(N_("The nickname is too long: at most {max} characters."),
                           field="nickname", max=NICKNAME_MAX)
    respondent = Respondent(assessment_id=workshop.assessment_id, nickname=name)
    session.add(respondent)
    session.flush()
    token = secrets.token_urlsafe(24)
    participant = Participant(workshop_id=id_of(workshop), respondent_id=id_of(respondent),
                              token_hash=_hash(token), nickname=name)
    session.add(participant)
    session.flush()
    return participant, token


_JOIN_TABLE = _table(WorkshopJoin)
_EARLIER_JOIN = _JOIN_TABLE.alias("earlier")
# One statement counts the address's recent joins and records this one only while they are
# below the limit; on PostgreSQL joins take turns (a table lock for the moment of the join).
_JOIN_INSERT = insert(_JOIN_TABLE).from_select(
    ["workshop_id", "address", "created_at"],
    select(*(_value(name, WorkshopJoin) for name in ("workshop_id", "address", "created_at")))
    .where(select(func.count()).select_from(_EARLIER_JOIN).where(
        _EARLIER_JOIN.c.workshop_id == bindparam("workshop_id"),
        _EARLIER_JOIN.c.address == bindparam("address"),
        _EARLIER_JOIN.c.created_at >= bindparam("since")).scalar_subquery()
        < bindparam("limit", type_=Integer))).returning(_JOIN_TABLE.c.id)


def admit(session: Session, workshop: Workshop, address: str, *, limit: int,
          window: timedelta) -> None:
    """Count a join of the workshop from a client address; refused once the address has
    joined `limit` times within `window` (clearing the cookie does not give endless seats)."""
    _require_open(workshop)
    if _dialect(session) == "postgresql":
        session.execute(text("LOCK TABLE workshop_join IN SHARE ROW EXCLUSIVE MODE"))
    now = utcnow()
    admitted = session.execute(_JOIN_INSERT, params={
        "workshop_id": workshop.id, "address": address[:64], "created_at": now,
        "since": now - window, "limit": limit}).scalar()
    if admitted is None:
        raise Throttled(N_("Too many people have joined from this network in a short time. "
                           "Wait a few minutes and try again, or ask the facilitator."),
                        field="code")


def participant_for(session: Session, workshop: Workshop, token: str | None) -> Participant | None:
    """The workshop's participant holding this token."""
    if not token:
        return None
    participant = session.exec(select(Participant).where(
        Participant.token_hash == _hash(token), col(Participant.removed_at).is_(None))).first()
    return participant if participant and participant.workshop_id == workshop.id else None


# Built once: every participant's request runs it.
_SEAT = select(Workshop, Participant, FrameworkVersion.content_hash).join(
    Round, col(Round.id) == Workshop.round_id).join(
    FrameworkVersion, col(FrameworkVersion.id) == Round.framework_version_id).outerjoin(
    Participant, and_(
        col(Participant.workshop_id) == Workshop.id, col(Participant.removed_at).is_(None),
        col(Participant.token_hash).in_(bindparam("hashes", expanding=True)))).where(
    Workshop.code == bindparam("code"))


@dataclass(frozen=True)
class FoundSeat:
    """A workshop found by its join code, the browser's participant in it (None: not
    seated), and the content hash of the framework version its round is pinned to."""

    workshop: Workshop
    participant: Participant | None
    content_hash: str


def find_seat(session: Session, code: str | None, tokens: Mapping[int, str]) -> FoundSeat | None:
    """The workshop with this join code, its participant and its framework's hash, in one
    query. `tokens` are the participant tokens the browser keeps, by workshop id; None when
    there is no such code."""
    hashes = {_hash(token): workshop_id for workshop_id, token in tokens.items() if token}
    rows = session.exec(_SEAT, params={"hashes": list(hashes),
                                       "code": clean_code(code)}).all()
    if not rows:
        return None
    workshop, _, content_hash = rows[0]
    seated = (p for _, p, _ in rows if p is not None and hashes[p.token_hash] == workshop.id)
    return FoundSeat(workshop, next(seated, None), content_hash)


def participant_count(session: Session, workshop: Workshop) -> int:
    """How many seats are taken: participants who joined and were not removed."""
    return int(session.exec(select(func.count()).select_from(Participant).where(
        Participant.workshop_id == workshop.id, col(Participant.removed_at).is_(None))).one())


@dataclass(frozen=True)
class SeatSummary:
    """A seat as the facilitator sees it: who joined and how many votes they cast (never
    which)."""

    participant: Participant
    votes: int


def seats(session: Session, workshop: Workshop) -> list[SeatSummary]:
    """The workshop's seats in the order they were taken, removed ones included."""
    people = list(session.exec(select(Participant).where(
        Participant.workshop_id == workshop.id).order_by(col(Participant.id))))
    answers = dict(session.exec(select(Answer.respondent_id, func.count()).where(
        Answer.assessment_id == workshop.assessment_id, col(Answer.respondent_id).is_not(None),
        col(Answer.choice).is_not(None)).group_by(col(Answer.respondent_id))).all())
    targets = dict(session.exec(select(TargetVote.participant_id, func.count()).where(
        TargetVote.workshop_id == workshop.id).group_by(col(TargetVote.participant_id))).all())
    return [SeatSummary(p, answers.get(p.respondent_id, 0) + targets.get(id_of(p), 0))
            for p in people]


def remove_seat(session: Session, workshop: Workshop, participant_id: int) -> Participant:
    """Remove a participant's seat: their votes, target votes and dots are deleted (their
    notes stay), their cookie stops working, and they no longer count as a participant."""
    _require_open(workshop)
    participant = session.get(Participant, participant_id)
    if participant is None or participant.workshop_id != workshop.id:
        raise InvalidInput(N_("There is no such participant in this workshop."))
    if participant.removed_at is not None:
        return participant
    # Marked first: on PostgreSQL this waits for the seat's writes under way (they hold its
    # row), and every later one sees the mark and stores nothing.
    participant.removed_at = utcnow()
    session.add(participant)
    session.flush()
    session.execute(delete(Answer).where(col(Answer.assessment_id) == workshop.assessment_id,
                                         col(Answer.respondent_id) == participant.respondent_id))
    session.execute(delete(TargetVote).where(col(TargetVote.participant_id) == participant.id))
    session.execute(delete(NeedDot).where(col(NeedDot.participant_id) == participant.id))
    session.flush()
    return participant


def _require_step(workshop: Workshop, framework: Framework, kind: StepKind,
                  ref: str | None = None) -> Step:
    _require_open(workshop)
    step = current_step(workshop, framework)
    if step.kind is not kind or (ref is not None and ref not in (step.question_id,
                                                                 step.factor_id)):
        raise Conflict(VOTING_CLOSED)
    return step


REVEALED = N_("The votes of this question have been revealed. Wait for the next question.")


def vote(session: Session, workshop: Workshop, framework: Framework,
         participant: Participant, question_id: str, choice: str | None,
         ) -> services.ParsedAnswer:
    """Record a participant's silent vote on the open question (a second vote replaces it).
    One statement checks and writes (see below); only a refused vote reads why."""
    _require_step(workshop, framework, StepKind.question, question_id)
    parsed = services.parse_answer(framework, services.AnswerInput(question_id, choice),
                                   workshop=True)
    if parsed.choice is None:
        raise InvalidInput(N_("Choose one of the stages."), field="choice")
    if not _store_vote(session, workshop, participant, parsed):
        if is_revealed(session, workshop, question_id):
            raise Conflict(REVEALED)
        raise Conflict(VOTING_CLOSED)
    return parsed


# Participants' writes ------------------------------------------------------------------
#
# Hundreds of phones write within seconds while the facilitator moves on, and two app
# processes may serve them, so every rule a participant's write must obey is checked by the
# statement that writes, not by a read before it. Each write is one INSERT … SELECT that
# stores nothing unless, when it runs, the workshop is still open and at the version the
# request checked (no move, reveal or end since: each of those bumps the version) and the
# seat has not been removed. On PostgreSQL the SELECT share-locks both rows, so a
# facilitator's change waits for the writes already under way and the writes after it see
# it; SQLite has one writer at a time, which gives the same order.

def _guarded(*columns: Any) -> Any:
    """SELECT `columns` from the workshop and the seat, only while both are still open."""
    return select(*columns).select_from(Workshop).join(Participant, and_(
        col(Participant.id) == bindparam("participant_id"),
        col(Participant.workshop_id) == Workshop.id,
        col(Participant.removed_at).is_(None))).where(
        Workshop.id == bindparam("workshop_id"), Workshop.version == bindparam("version"),
        Workshop.status == WorkshopStatus.open).with_for_update(
        read=True, of=[inspect(Workshop).local_table, inspect(Participant).local_table])


_QUESTION_REVEALED = select(WorkshopQuestion.revealed).where(
    WorkshopQuestion.workshop_id == Workshop.id,
    WorkshopQuestion.question_id == bindparam("question_id"),
    col(WorkshopQuestion.revealed).is_(True)).exists()


def _vote_upsert(dialect: Any) -> Any:
    # A question whose votes were revealed takes no more: a reveal made before the request
    # read the workshop is seen here, one made after it bumped the version.
    source = _guarded(Workshop.assessment_id, Participant.respondent_id,
                      *(_value(name, Answer) for name in ("question_id", "choice", "level",
                                                          "updated_at"))).where(
        ~_QUESTION_REVEALED)
    insert = dialect.insert(inspect(Answer).local_table).from_select(
        ["assessment_id", "respondent_id", "question_id", "choice", "level", "updated_at"],
        source)
    return insert.on_conflict_do_update(
        index_elements=["assessment_id", "respondent_id", "question_id"],
        index_where=col(Answer.respondent_id).is_not(None),
        set_={name: insert.excluded[name] for name in ("choice", "level", "updated_at")},
    ).returning(insert.table.c.id)


def _target_vote_upsert(dialect: Any) -> Any:
    source = _guarded(Workshop.id, Participant.id, _value("factor_id", TargetVote),
                      _value("level", TargetVote))
    insert = dialect.insert(inspect(TargetVote).local_table).from_select(
        ["workshop_id", "participant_id", "factor_id", "level"], source)
    return insert.on_conflict_do_update(
        index_elements=["workshop_id", "participant_id", "factor_id"],
        set_={"level": insert.excluded.level}).returning(insert.table.c.id)


_NEED_TABLE, _DOT_TABLE = _table(Need), _table(NeedDot)
_EARLIER_NEED = _NEED_TABLE.alias("earlier")
# A participant's notes within the last minute, and their dots, counted by the statement
# that adds one; the seat's row lock (below) makes the count current on PostgreSQL.
_RECENT_NEEDS = select(func.count()).select_from(_EARLIER_NEED).where(
    _EARLIER_NEED.c.participant_id == Participant.id,
    _EARLIER_NEED.c.created_at >= bindparam("since")).scalar_subquery()
_DOTS_PLACED = select(func.count()).select_from(
    _DOT_TABLE.join(_EARLIER_NEED, _EARLIER_NEED.c.id == _DOT_TABLE.c.need_id)).where(
    _EARLIER_NEED.c.workshop_id == Workshop.id,
    _DOT_TABLE.c.participant_id == Participant.id).scalar_subquery()
_NEED_INSERT = insert(_NEED_TABLE).from_select(
    ["workshop_id", "participant_id", "text", "factor_id", "created_at"],
    _guarded(Workshop.id, Participant.id, _value("text", Need), _value("factor_id", Need),
             _value("created_at", Need)).where(
        _RECENT_NEEDS < NEEDS_PER_MINUTE)).returning(_NEED_TABLE.c.id)
_DOT_INSERT = insert(_DOT_TABLE).from_select(
    ["need_id", "participant_id", "created_at"],
    _guarded(_value("need_id", NeedDot), Participant.id, _value("created_at", NeedDot)).where(
        Workshop.dots_per_participant > _DOTS_PLACED)).returning(_DOT_TABLE.c.id)
_SEAT_LOCK = select(Participant.id).where(
    Participant.id == bindparam("participant_id")).with_for_update()

# Built once for each database the app runs on (each dialect has an Insert class of its own).
_VOTE_UPSERTS = {"sqlite": _vote_upsert(sqlite), "postgresql": _vote_upsert(postgresql)}
_TARGET_VOTE_UPSERTS = {"sqlite": _target_vote_upsert(sqlite),
                        "postgresql": _target_vote_upsert(postgresql)}


def _guard(workshop: Workshop, participant: Participant) -> dict[str, Any]:
    return {"workshop_id": workshop.id, "version": workshop.version,
            "participant_id": participant.id}


def _lock_seat(session: Session, participant: Participant) -> None:
    """On PostgreSQL, let one write of this participant count its earlier ones at a time
    (SQLite writes one at a time anyway)."""
    if _dialect(session) == "postgresql":
        session.execute(_SEAT_LOCK, {"participant_id": participant.id})


def _store_vote(session: Session, workshop: Workshop, participant: Participant,
                parsed: services.ParsedAnswer) -> bool:
    """Store the vote unless the workshop moved on, ended or revealed the question, or the
    seat was removed; whether it was stored."""
    # One statement that inserts or replaces, rather than a read then a write: hundreds of
    # phones vote within seconds, and a double tap cannot race itself into a duplicate.
    # (An Answer of this vote already loaded in the session is not refreshed.)
    stored = session.execute(_VOTE_UPSERTS[_dialect(session)], params={
        **_guard(workshop, participant), "question_id": parsed.question_id,
        "choice": parsed.choice, "level": parsed.level, "updated_at": utcnow()}).scalar()
    return stored is not None


_QUESTION_FOR = select(WorkshopQuestion.revealed, Answer.choice, Answer.level).select_from(
    Workshop).outerjoin(WorkshopQuestion, and_(
        col(WorkshopQuestion.workshop_id) == Workshop.id,
        col(WorkshopQuestion.question_id) == bindparam("question_id"))).outerjoin(Answer, and_(
            col(Answer.assessment_id) == Workshop.assessment_id,
            col(Answer.respondent_id) == bindparam("respondent_id"),
            col(Answer.question_id) == bindparam("question_id"))).where(
    Workshop.id == bindparam("workshop_id"))


def question_for(session: Session, workshop: Workshop, participant: Participant,
                 question_id: str) -> tuple[bool, services.ParsedAnswer | None]:
    """Whether a question's votes are revealed, and the participant's own vote on it (one
    query: every participant's screen asks when the facilitator moves on)."""
    revealed, choice, level = session.exec(_QUESTION_FOR, params={
        "workshop_id": workshop.id, "respondent_id": participant.respondent_id,
        "question_id": question_id}).one()
    vote = services.ParsedAnswer(question_id, Choice(choice), level, None) if choice else None
    return bool(revealed), vote


# Vote summaries ------------------------------------------------------------------------

@dataclass(frozen=True)
class VoteSummary:
    """What a reveal shows: one dot per vote by stage, median, spread, divergence."""

    votes: int
    by_level: tuple[int, ...]
    dont_know: int
    median: Decimal | None
    spread: int | None
    divergent: bool
    hidden: bool

    @property
    def suggested_level(self) -> int | None:
        """The median rounded half up: the default consensus."""
        if self.median is None:
            return None
        return int(self.median.quantize(Decimal(1), ROUND_HALF_UP))


def summarise(choices: list[tuple[str, int | None]], stage_count: int,
              min_votes: int, first_level: int = 1) -> VoteSummary:
    """Summarise votes (choice, level). Fewer than `min_votes` votes keep it hidden: then the
    summary holds only the number of votes, so no page, form default or digest built from it
    can tell anything about the hidden votes."""
    if len(choices) < min_votes:
        return VoteSummary(votes=len(choices), by_level=(0,) * stage_count, dont_know=0,
                           median=None, spread=None, divergent=False, hidden=True)
    levels = [lv for c, lv in choices if c == Choice.level and lv is not None]
    counts = Counter(levels)
    median = Decimal(str(statistics.median(levels))) if levels else None
    spread = max(levels) - min(levels) if levels else None
    return VoteSummary(
        votes=len(choices), by_level=tuple(counts.get(i, 0) for i in
                                                range(first_level, first_level + stage_count)),
        dont_know=sum(1 for c, _ in choices if c != Choice.level), median=median,
        spread=spread, divergent=spread is not None and spread >= DIVERGENT_SPREAD,
        hidden=False)


Votes = list[tuple[str, int | None]]


def question_votes(session: Session, workshop: Workshop,
                   question_ids: list[str] | None = None) -> dict[str, Votes]:
    """This workshop's votes per question (anonymous: no respondent ids leave this function).
    Another session for the same unit and round shares the workshop assessment but not its
    participants, so its votes are not counted here."""
    query = select(Answer.question_id, Answer.choice, Answer.level).join(
        Participant, col(Participant.respondent_id) == col(Answer.respondent_id)).where(
        Participant.workshop_id == workshop.id, Answer.assessment_id == workshop.assessment_id)
    if question_ids is not None:
        query = query.where(col(Answer.question_id).in_(question_ids))
    found: dict[str, Votes] = {}
    for qid, choice, level in session.exec(query):
        if choice is not None:
            found.setdefault(qid, []).append((choice, level))
    return found


def record_consensus(session: Session, workshop: Workshop, framework: Framework,
                     question_id: str, level: str | None, rationale: str | None) -> Answer:
    """Store the agreed stage of a question, with its rationale, as the workshop's answer."""
    _require_open(workshop)
    text = (rationale or "").strip()
    if len(text) > RATIONALE_MAX:
        raise InvalidInput(N_("The rationale is too long: at most {max} characters."),
                           field="rationale", max=RATIONALE_MAX)
    assessment = session.get(services.Assessment, workshop.assessment_id)
    assert assessment is not None
    saved = services.save_answers(session, assessment, framework,
                                  [services.AnswerInput(question_id, level, text)])
    session.flush()
    return saved[0]


# Needs and expectations ----------------------------------------------------------------

def post_need(session: Session, workshop: Workshop, framework: Framework,
              participant: Participant | None, text: str | None,
              factor_id: str | None = None) -> Need:
    """Add a need, expectation or concern (participants during the needs step)."""
    if participant is not None:
        _require_step(workshop, framework, StepKind.needs)
    _require_open(workshop)
    clean = " ".join((text or "").split())
    if not clean:
        raise InvalidInput(N_("Write the need first."), field="text")
    if len(clean) > NEED_MAX:
        raise InvalidInput(N_("The note is too long: at most {max} characters."),
                           field="text", max=NEED_MAX)
    if factor_id and factor_id not in {f.id for f in framework.factors}:
        raise InvalidInput(N_("Choose one of the framework's factors."), field="factor_id")
    if participant is None:
        need = Need(workshop_id=id_of(workshop), text=clean, factor_id=factor_id or None)
        session.add(need)
        session.flush()
        return need
    _lock_seat(session, participant)
    now = utcnow()
    need_id = session.execute(_NEED_INSERT, params={
        **_guard(workshop, participant), "text": clean, "factor_id": factor_id or None,
        "created_at": now, "since": now - timedelta(minutes=1)}).scalar()
    if need_id is None:
        recent = session.exec(select(func.count()).select_from(Need).where(
            Need.participant_id == participant.id,
            col(Need.created_at) >= now - timedelta(minutes=1))).one()
        if recent >= NEEDS_PER_MINUTE:
            raise Throttled(N_("You are posting very fast. Wait a minute and try again."))
        raise Conflict(VOTING_CLOSED)
    stored = session.get(Need, need_id)
    assert stored is not None  # inserted by this transaction
    return stored


def _need(session: Session, workshop: Workshop, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None or need.workshop_id != workshop.id:
        raise InvalidInput(N_("There is no such need in this workshop."))
    return need


def notes_of(session: Session, workshop: Workshop, participant: Participant) -> list[Need]:
    """The notes a participant posted in the workshop, oldest first."""
    return list(session.exec(select(Need).where(
        Need.workshop_id == workshop.id, Need.participant_id == participant.id)
        .order_by(col(Need.id))))


def merge_needs(session: Session, workshop: Workshop, keep_id: int, other_id: int) -> None:
    """Group one need under another (its dots move too)."""
    _require_open(workshop)
    keep, other = _need(session, workshop, keep_id), _need(session, workshop, other_id)
    if keep.id == other.id or keep.merged_into is not None:
        raise InvalidInput(N_("Choose two different needs."))
    for row in session.exec(select(Need).where(Need.merged_into == other.id)):
        row.merged_into = keep.id
        session.add(row)
    other.merged_into = keep.id
    session.add(other)
    for dot in session.exec(select(NeedDot).where(NeedDot.need_id == other.id)):
        dot.need_id = id_of(keep)
        session.add(dot)
    session.flush()


def dots_used(session: Session, workshop: Workshop, participant: Participant) -> int:
    """How many dots the participant has placed."""
    return int(session.exec(select(func.count()).select_from(NeedDot).join(Need).where(
        Need.workshop_id == workshop.id, NeedDot.participant_id == participant.id)).one())


def place_dot(session: Session, workshop: Workshop, framework: Framework,
              participant: Participant, need_id: int, *, add: bool = True) -> None:
    """Place (or take back) one of the participant's dots on a need."""
    _require_step(workshop, framework, StepKind.needs_vote)
    need = _need(session, workshop, need_id)
    if need.merged_into is not None:
        need = _need(session, workshop, need.merged_into)
    if add:
        _lock_seat(session, participant)
        placed = session.execute(_DOT_INSERT, params={
            **_guard(workshop, participant), "need_id": need.id, "created_at": utcnow()}).scalar()
        if placed is None:
            if dots_used(session, workshop, participant) >= workshop.dots_per_participant:
                raise Conflict(N_("You have used all your dots. Take one back to move it."))
            raise Conflict(VOTING_CLOSED)
    else:
        dot = session.exec(select(NeedDot).where(NeedDot.need_id == need.id,
                                                 NeedDot.participant_id == participant.id)).first()
        if dot is None:
            raise Conflict(N_("You have no dot on this need."))
        session.delete(dot)
    session.flush()


@dataclass(frozen=True)
class RankedNeed:
    """A need (with the notes merged into it) and its dots."""

    need: Need
    merged: tuple[Need, ...]
    dots: int
    mine: int


def ranked_needs(session: Session, workshop: Workshop,
                 participant: Participant | None = None) -> list[RankedNeed]:
    """The workshop's needs, most dots first (the saved ranking)."""
    needs = list(session.exec(select(Need).where(Need.workshop_id == workshop.id)
                              .order_by(col(Need.id))))
    dots = list(session.exec(select(NeedDot.need_id, NeedDot.participant_id).join(Need).where(
        Need.workshop_id == workshop.id)))
    total = Counter(need_id for need_id, _ in dots)
    mine = Counter(need_id for need_id, pid in dots if participant and pid == participant.id)
    ranked = [RankedNeed(n, tuple(m for m in needs if m.merged_into == n.id),
                         total[id_of(n)], mine[id_of(n)]) for n in needs if n.merged_into is None]
    return sorted(ranked, key=lambda r: (-r.dots, r.need.id or 0))


# Targets -------------------------------------------------------------------------------

def target_vote(session: Session, workshop: Workshop, framework: Framework,
                participant: Participant, factor_id: str, level: str | None) -> None:
    """A participant's vote for a factor's target stage (a second vote replaces it)."""
    _require_step(workshop, framework, StepKind.target, factor_id)
    value = _level(framework, level)
    # Inserts or replaces in one statement: identical taps at once store one vote.
    stored = session.execute(_TARGET_VOTE_UPSERTS[_dialect(session)], params={
        **_guard(workshop, participant), "factor_id": factor_id, "level": value}).scalar()
    if stored is None:
        raise Conflict(VOTING_CLOSED)


def _level(framework: Framework, raw: str | None) -> int:
    try:
        value: int | None = int(raw or "")
    except ValueError:
        value = None
    if value is None or not framework.is_level(value):
        raise InvalidInput(N_("Choose one of the stages {min}–{max}."), field="level",
                           min=framework.first_level, max=framework.last_level)
    return value


def target_votes(session: Session, workshop: Workshop, factor_id: str) -> list[int]:
    """The target levels participants voted for a factor."""
    return list(session.exec(select(TargetVote.level).where(
        TargetVote.workshop_id == workshop.id, TargetVote.factor_id == factor_id)))


def my_target_vote(session: Session, workshop: Workshop, participant: Participant,
                   factor_id: str) -> int | None:
    """The participant's own target vote for a factor."""
    return session.exec(select(TargetVote.level).where(
        TargetVote.workshop_id == workshop.id, TargetVote.participant_id == participant.id,
        TargetVote.factor_id == factor_id)).first()


def record_target(session: Session, workshop: Workshop, framework: Framework,
                  factor_id: str, level: str | None) -> Target:
    """Store the agreed target stage of a factor for the workshop's unit and round."""
    _require_open(workshop)
    if factor_id not in {f.id for f in framework.factors}:
        raise InvalidInput(N_("Choose one of the framework's factors."))
    value = _level(framework, level)
    target = session.exec(select(Target).where(
        Target.round_id == workshop.round_id, Target.unit_id == workshop.unit_id,
        Target.factor_id == factor_id)).first()
    target = target or Target(round_id=workshop.round_id, unit_id=workshop.unit_id,
                              factor_id=factor_id, level=value)
    target.level, target.source, target.updated_at = value, "workshop", utcnow()
    session.add(target)
    session.flush()
    return target


def targets_for(session: Session, round_id: int, unit_id: int) -> dict[str, int]:
    """A unit's target stages in a round, by factor."""
    return {t.factor_id: t.level for t in session.exec(select(Target).where(
        Target.round_id == round_id, Target.unit_id == unit_id))}
