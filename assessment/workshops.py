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

from sqlalchemy import and_, bindparam, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from assessment import services
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


class Throttled(ServiceError):
    """Too many posts from one participant in a short time."""

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


def agenda(framework: Framework) -> list[Step]:
    """Needs, dot voting, every question factor by factor, a target per factor, wrap-up."""
    steps: list[tuple[StepKind, str | None, str | None]] = [
        (StepKind.needs, None, None), (StepKind.needs_vote, None, None)]
    steps += [(StepKind.question, f.id, q.id) for f in framework.factors for q in f.questions]
    steps += [(StepKind.target, f.id, None) for f in framework.factors]
    steps.append((StepKind.wrapup, None, None))
    return [Step(i, kind, fid, qid) for i, (kind, fid, qid) in enumerate(steps)]


def step_at(framework: Framework, index: int) -> Step:
    """The agenda's step at `index` (clamped to the agenda), without building the agenda:
    every vote and every screen asks for the current step."""
    last = 2 + sum(len(f.questions) for f in framework.factors) + len(framework.factors)
    index = min(max(index, 0), last)
    rest = index - 2
    if rest < 0:
        return Step(index, StepKind.needs if index == 0 else StepKind.needs_vote)
    for factor in framework.factors:
        if rest < len(factor.questions):
            return Step(index, StepKind.question, factor.id, factor.questions[rest].id)
        rest -= len(factor.questions)
    if rest < len(framework.factors):
        return Step(index, StepKind.target, framework.factors[rest].id)
    return Step(index, StepKind.wrapup)


def current_step(workshop: Workshop, framework: Framework) -> Step:
    """The step the workshop is on."""
    return step_at(framework, workshop.step_index)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _bump(session: Session, workshop: Workshop) -> None:
    workshop.version += 1
    session.add(workshop)


def _require_open(workshop: Workshop) -> None:
    if workshop.status != WorkshopStatus.open:
        raise Conflict(N_("This workshop has ended."))


# Facilitator --------------------------------------------------------------------------

def create_workshop(session: Session, round_: Round, unit: Unit, *, by: User | None,
                    dots: int = 3) -> Workshop:
    """Open a workshop for the unit in the round, with a fresh join code."""
    if not 1 <= dots <= 10:
        raise InvalidInput(N_("Give each participant 1–10 dots."), field="dots")
    assessment = services.get_or_create_assessment(session, round_, unit, AssessmentKind.workshop)
    if assessment.status == AssessmentStatus.submitted:  # a new workshop continues the unit's
        services.reopen_assessment(session, assessment)
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(Workshop).where(Workshop.code == code)).first() is None:
            break
    workshop = Workshop(organisation_id=round_.organisation_id, round_id=id_of(round_),
                        unit_id=id_of(unit), assessment_id=id_of(assessment), code=code,
                        dots_per_participant=dots, created_by=by.id if by else None)
    session.add(workshop)
    session.flush()
    return workshop


def workshops_of(session: Session, round_: Round) -> list[Workshop]:
    """The round's workshops, newest first."""
    return list(session.exec(select(Workshop).where(Workshop.round_id == round_.id)
                             .order_by(col(Workshop.created_at).desc())))


def workshops_of_assessment(session: Session, assessment: Assessment) -> list[Workshop]:
    """The workshops that recorded this (workshop) assessment, oldest first."""
    return list(session.exec(select(Workshop).where(Workshop.assessment_id == assessment.id)
                             .order_by(col(Workshop.created_at))))


def go_to(session: Session, workshop: Workshop, framework: Framework, index: int) -> Step:
    """Move the workshop to an agenda step (participants follow)."""
    _require_open(workshop)
    steps = agenda(framework)
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


def participant_for(session: Session, workshop: Workshop, token: str | None) -> Participant | None:
    """The workshop's participant holding this token."""
    if not token:
        return None
    participant = session.exec(select(Participant).where(
        Participant.token_hash == _hash(token))).first()
    return participant if participant and participant.workshop_id == workshop.id else None


# Built once: participants' screens run it every two seconds.
_SEAT = select(Workshop, Participant).outerjoin(Participant, and_(
    col(Participant.workshop_id) == Workshop.id,
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
    """How many have joined."""
    return int(session.exec(select(func.count()).select_from(Participant).where(
        Participant.workshop_id == workshop.id)).one())


def _require_step(workshop: Workshop, framework: Framework, kind: StepKind,
                  ref: str | None = None) -> Step:
    _require_open(workshop)
    step = current_step(workshop, framework)
    if step.kind is not kind or (ref is not None and ref not in (step.question_id,
                                                                 step.factor_id)):
        raise Conflict(N_("Voting on this is not open right now. Follow the facilitator's "
                          "screen."))
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


def _vote_upsert(dialect: Any) -> Any:
    names = ("assessment_id", "respondent_id", "question_id", "choice", "level", "updated_at")
    insert = dialect.insert(inspect(Answer).local_table).values(
        {name: bindparam(name) for name in names})
    return insert.on_conflict_do_update(
        index_elements=["assessment_id", "respondent_id", "question_id"],
        index_where=col(Answer.respondent_id).is_not(None),
        set_={name: insert.excluded[name] for name in ("choice", "level", "updated_at")})


# Built once for each database the app runs on (each dialect has an Insert class of its own).
_VOTE_UPSERTS = {"sqlite": _vote_upsert(sqlite), "postgresql": _vote_upsert(postgresql)}


def _store_vote(session: Session, workshop: Workshop, participant: Participant,
                parsed: services.ParsedAnswer) -> None:
    # One statement that inserts or replaces, rather than a read then a write: hundreds of
    # phones vote within seconds, and a double tap cannot race itself into a duplicate.
    # (An Answer of this vote already loaded in the session is not refreshed.)
    session.execute(_VOTE_UPSERTS[session.get_bind().dialect.name], params={
        "assessment_id": workshop.assessment_id, "respondent_id": participant.respondent_id,
        "question_id": parsed.question_id, "choice": parsed.choice, "level": parsed.level,
        "updated_at": utcnow()})


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
    """Summarise votes (choice, level); fewer than `min_votes` votes keep it hidden."""
    levels = [lv for c, lv in choices if c == Choice.level and lv is not None]
    counts = Counter(levels)
    median = Decimal(str(statistics.median(levels))) if levels else None
    spread = max(levels) - min(levels) if levels else None
    return VoteSummary(
        votes=len(choices), by_level=tuple(counts.get(i, 0) for i in range(1, stage_count + 1)),
        dont_know=sum(1 for c, _ in choices if c != Choice.level), median=median,
        spread=spread, divergent=spread is not None and spread >= DIVERGENT_SPREAD,
        hidden=len(choices) < min_votes)


Votes = list[tuple[str, int | None]]


def question_votes(session: Session, workshop: Workshop,
                   question_ids: list[str] | None = None) -> dict[str, Votes]:
    """Participants' votes per question (anonymous: no respondent ids leave this function)."""
    query = select(Answer.question_id, Answer.choice, Answer.level).where(
        Answer.assessment_id == workshop.assessment_id, col(Answer.respondent_id).is_not(None))
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
    if participant is not None:
        recent = session.exec(select(func.count()).select_from(Need).where(
            Need.participant_id == participant.id,
            col(Need.created_at) >= utcnow() - timedelta(minutes=1))).one()
        if recent >= NEEDS_PER_MINUTE:
            raise Throttled(N_("You are posting very fast. Wait a minute and try again."))
    need = Need(workshop_id=id_of(workshop), participant_id=participant.id if participant
                else None, text=clean, factor_id=factor_id or None)
    session.add(need)
    session.flush()
    return need


def _need(session: Session, workshop: Workshop, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None or need.workshop_id != workshop.id:
        raise InvalidInput(N_("There is no such need in this workshop."))
    return need


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
        if dots_used(session, workshop, participant) >= workshop.dots_per_participant:
            raise Conflict(N_("You have used all your dots. Take one back to move it."))
        session.add(NeedDot(need_id=id_of(need), participant_id=id_of(participant)))
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
    row = session.exec(select(TargetVote).where(
        TargetVote.workshop_id == workshop.id, TargetVote.participant_id == participant.id,
        TargetVote.factor_id == factor_id)).first()
    row = row or TargetVote(workshop_id=id_of(workshop), participant_id=id_of(participant),
                            factor_id=factor_id, level=value)
    row.level = value
    session.add(row)
    session.flush()


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
