"""Live workshops: the agenda, joining with a code, silent votes, reveal, consensus, needs.

All workshop state lives in the database (the step, what is revealed, every vote), so any
number of app processes can serve one workshop. A change that participants' screens must
follow (a new step, a reveal, the end) bumps `Workshop.version`; their screens poll it and
are left alone otherwise, so nobody loses a half-typed note.
"""

from __future__ import annotations

import hashlib
import secrets
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, Table, and_, bindparam, delete, insert, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from assessment import live, services
from assessment.framework import Framework
from assessment.models import (
    Answer,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Choice,
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
    target = "target"
    wrapup = "wrapup"


@dataclass(frozen=True)
class Step:
    """One agenda step: its kind and the question or factor it is about."""

    index: int
    kind: StepKind
    factor_id: str | None = None
    question_id: str | None = None


def _steps(framework: Framework, targets_per_factor: bool,
           ) -> list[tuple[StepKind, str | None, str | None]]:
    steps: list[tuple[StepKind, str | None, str | None]] = [
        (StepKind.needs, None, None), (StepKind.needs_vote, None, None)]
    for factor in framework.factors:
        steps += [(StepKind.question, factor.id, q.id) for q in factor.questions]
        if targets_per_factor:
            steps.append((StepKind.target, factor.id, None))
    if not targets_per_factor:
        steps += [(StepKind.target, f.id, None) for f in framework.factors]
    steps.append((StepKind.wrapup, None, None))
    return steps


def agenda(framework: Framework, *, targets_per_factor: bool = False) -> list[Step]:
    """Needs, dot voting, every question factor by factor, a target per factor (after each
    factor's questions, or all at the end), wrap-up."""
    return [Step(i, kind, fid, qid)
            for i, (kind, fid, qid) in enumerate(_steps(framework, targets_per_factor))]


def workshop_agenda(workshop: Workshop, framework: Framework) -> list[Step]:
    """The agenda of this workshop (its targets where it placed them)."""
    return agenda(framework, targets_per_factor=workshop.targets_per_factor)


def step_at(framework: Framework, index: int, *, targets_per_factor: bool = False) -> Step:
    """The agenda's step at `index` (clamped to the agenda), without building the agenda:
    every vote and every screen asks for the current step."""
    per_factor = 1 if targets_per_factor else 0
    last = 2 + sum(len(f.questions) for f in framework.factors) + len(framework.factors)
    index = min(max(index, 0), last)
    rest = index - 2
    if rest < 0:
        return Step(index, StepKind.needs if index == 0 else StepKind.needs_vote)
    for factor in framework.factors:
        if rest < len(factor.questions):
            return Step(index, StepKind.question, factor.id, factor.questions[rest].id)
        if per_factor and rest == len(factor.questions):
            return Step(index, StepKind.target, factor.id)
        rest -= len(factor.questions) + per_factor
    if not per_factor and rest < len(framework.factors):
        return Step(index, StepKind.target, framework.factors[rest].id)
    return Step(index, StepKind.wrapup)


def current_step(workshop: Workshop, framework: Framework) -> Step:
    """The step the workshop is on."""
    return step_at(framework, workshop.step_index,
                   targets_per_factor=workshop.targets_per_factor)


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


def position(framework: Framework, step: Step) -> Position | None:
    """The question's position ("Question 7 of 40"), or None for a step without a question."""
    if step.question_id is None:
        return None
    number = 0
    for f_index, factor in enumerate(framework.factors):
        for q_index, question in enumerate(factor.questions):
            number += 1
            if question.id == step.question_id:
                return Position(number, sum(len(f.questions) for f in framework.factors),
                                q_index + 1, len(factor.questions), f_index + 1,
                                len(framework.factors))
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


def agenda_by_factor(steps: list[Step], framework: Framework, agreed: set[str],
                     current: Step) -> list[FactorProgress]:
    """The agenda's question and target steps grouped by factor, with their progress."""
    grouped = []
    for factor in framework.factors:
        questions = tuple(s for s in steps if s.kind is StepKind.question
                          and s.factor_id == factor.id)
        target = next((s for s in steps if s.kind is StepKind.target
                       and s.factor_id == factor.id), None)
        grouped.append(FactorProgress(
            factor.id, questions, sum(1 for s in questions if s.question_id in agreed), target,
            current.factor_id == factor.id))
    return grouped


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
    workshop.targets_per_factor = targets_per_factor
    moved = workshop_agenda(workshop, framework)
    workshop.step_index = next(s.index for s in moved if (s.kind, s.factor_id, s.question_id)
                               == (here.kind, here.factor_id, here.question_id))
    _bump(session, workshop)
    session.flush()


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
                    targets_per_factor: bool = False) -> Workshop:
    """Open a workshop for the unit in the round, with a fresh join code. While one runs, it
    is returned instead (continue it), unless `another` session is asked for on purpose."""
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
                        created_by=by.id if by else None)
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
    """Move the workshop to an agenda step (participants follow)."""
    _require_open(workshop)
    steps = workshop_agenda(workshop, framework)
    if not 0 <= index < len(steps):
        raise InvalidInput(N_("There is no such step in the agenda."))
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


def close_workshop(session: Session, workshop: Workshop) -> None:
    """End the workshop: no more joining or voting. When no other workshop of the unit is
    still open, the workshop assessment is submitted (a later workshop reopens it)."""
    _require_open(workshop)
    workshop.status = WorkshopStatus.closed
    workshop.closed_at = utcnow()
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


# Built once: participants' screens run it every two seconds.
_SEAT = select(Workshop, Participant).outerjoin(Participant, and_(
    col(Participant.workshop_id) == Workshop.id, col(Participant.removed_at).is_(None),
    col(Participant.token_hash).in_(bindparam("hashes", expanding=True)))).where(
    Workshop.code == bindparam("code"))


def find_seat(session: Session, code: str | None,
              tokens: Mapping[int, str]) -> tuple[Workshop, Participant | None] | None:
    """The workshop with this join code and its participant, in one query. `tokens` are the
    participant tokens the browser keeps, by workshop id; None when there is no such code."""
    hashes = {_hash(token): workshop_id for workshop_id, token in tokens.items() if token}
    rows = session.exec(_SEAT, params={"hashes": list(hashes),
                                       "code": clean_code(code)}).all()
    if not rows:
        return None
    workshop = rows[0][0]
    seated = (p for _, p in rows if p is not None and hashes[p.token_hash] == workshop.id)
    return workshop, next(seated, None)


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


def vote(session: Session, workshop: Workshop, framework: Framework,
         participant: Participant, question_id: str, choice: str | None,
         ) -> services.ParsedAnswer:
    """Record a participant's silent vote on the open question (a second vote replaces it)."""
    _require_step(workshop, framework, StepKind.question, question_id)
    if is_revealed(session, workshop, question_id):
        raise Conflict(N_("The votes of this question have been revealed. Wait for the next "
                          "question."))
    parsed = services.parse_answer(framework, services.AnswerInput(question_id, choice),
                                   workshop=True)
    if parsed.choice is None:
        raise InvalidInput(N_("Choose one of the stages."), field="choice")
    _store_vote(session, workshop, participant, parsed)
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


def _vote_upsert(dialect: Any) -> Any:
    source = _guarded(Workshop.assessment_id, Participant.respondent_id,
                      *(_value(name, Answer) for name in ("question_id", "choice", "level",
                                                          "updated_at")))
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
                parsed: services.ParsedAnswer) -> None:
    # One statement that inserts or replaces, rather than a read then a write: hundreds of
    # phones vote within seconds, and a double tap cannot race itself into a duplicate.
    # (An Answer of this vote already loaded in the session is not refreshed.)
    stored = session.execute(_VOTE_UPSERTS[_dialect(session)], params={
        **_guard(workshop, participant), "question_id": parsed.question_id,
        "choice": parsed.choice, "level": parsed.level, "updated_at": utcnow()}).scalar()
    if stored is None:
        raise Conflict(VOTING_CLOSED)


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
              min_votes: int) -> VoteSummary:
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
        votes=len(choices), by_level=tuple(counts.get(i, 0) for i in range(1, stage_count + 1)),
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
        value = int(raw or "")
    except ValueError:
        value = 0
    if not 1 <= value <= framework.stage_count:
        raise InvalidInput(N_("Choose one of the stages 1–{max}."), field="level",
                           max=framework.stage_count)
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
