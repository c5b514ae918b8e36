"""Domain services: organisations, units, rounds, assessments and answers.

Every function takes an open session and leaves committing to the caller's unit of work
(`assessment.db.session_scope` or the web layer's session dependency). Bad input raises a
`ServiceError` whose message is an English msgid that the web layer translates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from assessment.framework import Framework, FrameworkRegistry
from assessment.models import (
    NAME_MAX,
    NOTE_MAX,
    Answer,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Choice,
    FrameworkVersion,
    Organisation,
    Round,
    Unit,
    id_of,
    utcnow,
)
from assessment.scoring import FactorScore, Kind, ScoredAnswer, score_all


def N_(message: str) -> str:
    """Mark a message for translation without translating it (the web layer does that)."""
    return message


class ServiceError(Exception):
    """Bad input or a request that conflicts with the current state; nothing was changed."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.field = field
        self.params = params


class InvalidInput(ServiceError):
    """The input itself is wrong (422)."""


class Conflict(ServiceError):
    """The input is fine but the resource's state refuses it (409)."""

    status = 409


# The largest id the tables hold on both databases (their ids are PostgreSQL INTEGER; SQLite's
# go to 2**63 - 1). A larger number in a path or form names nothing: it must never reach a
# query, where it overflows.
MAX_ID = 2**31 - 1


def parse_id(raw: object) -> int | None:
    """The row id a form or path value names; None for anything that cannot be one."""
    text = str(raw).strip() if raw is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def clean_name(value: str | None, *, field: str = "name") -> str:
    """A trimmed, non-empty name of at most NAME_MAX characters."""
    name = " ".join((value or "").split())
    if not name:
        raise InvalidInput(N_("Enter a name."), field=field)
    if len(name) > NAME_MAX:
        raise InvalidInput(N_("The name is too long: at most {max} characters."),
                           field=field, max=NAME_MAX)
    return name


# Organisations and units ------------------------------------------------------------------

def create_organisation(session: Session, name: str | None) -> Organisation:
    """Create an organisation."""
    organisation = Organisation(name=clean_name(name))
    session.add(organisation)
    session.flush()
    return organisation


def list_organisations(session: Session, ids: Iterable[int] | None = None) -> list[Organisation]:
    """Organisations by name: all of them, or those with the given ids."""
    query = select(Organisation).order_by(col(Organisation.name))
    if ids is not None:
        query = query.where(col(Organisation.id).in_(list(ids)))
    return list(session.exec(query))


def create_unit(session: Session, organisation: Organisation, name: str | None,
                parent_id: int | None = None) -> Unit:
    """Create a unit, optionally under a parent unit of the same organisation."""
    clean = clean_name(name)
    if parent_id is not None:
        parent = session.get(Unit, parent_id)
        if parent is None or parent.organisation_id != organisation.id:
            raise InvalidInput(N_("Choose a parent unit of this organisation."), field="parent_id")
    unit = Unit(organisation_id=id_of(organisation), parent_id=parent_id, name=clean)
    session.add(unit)
    session.flush()
    return unit


@dataclass(frozen=True)
class TreeUnit:
    """A unit with its depth in the organisation's unit tree."""

    unit: Unit
    depth: int


def unit_tree(session: Session, organisation: Organisation) -> list[TreeUnit]:
    """The organisation's units in tree order (parents before children, siblings by name)."""
    units = list(session.exec(select(Unit).where(Unit.organisation_id == organisation.id)))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[TreeUnit] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: (u.name.casefold(), u.id)):
            ordered.append(TreeUnit(unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


# Framework versions and rounds --------------------------------------------------------------

def pin_framework(session: Session, framework: Framework) -> FrameworkVersion:
    """The stored version for this exact framework content, stored now if new."""
    digest = framework.content_hash()
    existing = session.exec(
        select(FrameworkVersion).where(FrameworkVersion.content_hash == digest)).first()
    if existing is not None:
        return existing
    version = FrameworkVersion(framework_id=framework.id, version=framework.version,
                               content_hash=digest, snapshot=framework.canonical_json())
    session.add(version)
    session.flush()
    return version


def create_round(session: Session, organisation: Organisation, name: str | None,
                 framework: Framework) -> Round:
    """Create a round pinned to the framework's current content."""
    clean = clean_name(name)
    duplicate = session.exec(select(Round).where(
        Round.organisation_id == organisation.id, Round.name == clean)).first()
    if duplicate is not None:
        raise InvalidInput(N_("This organisation already has a round with that name."),
                           field="name")
    version = pin_framework(session, framework)
    round_ = Round(organisation_id=id_of(organisation), framework_version_id=id_of(version),
                   name=clean)
    session.add(round_)
    session.flush()
    return round_


def list_rounds(session: Session, organisation: Organisation) -> list[Round]:
    """The organisation's rounds, oldest first."""
    return list(session.exec(select(Round).where(Round.organisation_id == organisation.id)
                             .order_by(col(Round.created_at), col(Round.id))))


def round_framework(session: Session, registry: FrameworkRegistry,
                    round_: Round) -> tuple[Framework, FrameworkVersion]:
    """The framework content a round is pinned to, and its stored version."""
    version = session.get(FrameworkVersion, round_.framework_version_id)
    assert version is not None  # guaranteed by the foreign key
    return registry.pinned(version.content_hash, version.snapshot), version


_PINNED_HASH = select(FrameworkVersion.content_hash).join(
    Round, col(Round.framework_version_id) == FrameworkVersion.id).where(
    Round.id == bindparam("round_id"))
_SNAPSHOT = select(FrameworkVersion.snapshot).where(
    FrameworkVersion.content_hash == bindparam("content_hash")).limit(1)


def framework_of_round(session: Session, registry: FrameworkRegistry, round_id: int,
                       ) -> Framework:
    """The framework content a round is pinned to, in one light query (workshop screens and
    votes ask for it on every request): the snapshot (tens of kB) is read only the first time
    the process meets its content hash."""
    return framework_by_hash(session, registry,
                             session.exec(_PINNED_HASH, params={"round_id": round_id}).one())


def framework_by_hash(session: Session, registry: FrameworkRegistry, content_hash: str,
                      ) -> Framework:
    """The framework content of a pinned version's hash (its snapshot is read only the first
    time the process meets the hash)."""
    known = registry.pinned_by_hash(content_hash)
    if known is not None:
        return known
    snapshot = session.exec(_SNAPSHOT, params={"content_hash": content_hash}).one()
    return registry.pinned(content_hash, snapshot)


# Assessments and answers ----------------------------------------------------------------

def get_or_create_assessment(session: Session, round_: Round, unit: Unit,
                             kind: AssessmentKind = AssessmentKind.self) -> Assessment:
    """The unit's assessment of this kind in the round, created if missing."""
    if unit.organisation_id != round_.organisation_id:
        raise InvalidInput(N_("The unit and the round belong to different organisations."))
    query = select(Assessment).where(Assessment.round_id == round_.id,
                                     Assessment.unit_id == unit.id, Assessment.kind == kind)
    existing = session.exec(query).first()
    if existing is not None:
        return existing
    assessment = Assessment(round_id=id_of(round_), unit_id=id_of(unit), kind=kind)
    try:
        with session.begin_nested():
            session.add(assessment)
    except IntegrityError:
        # Created concurrently by another request: use that one.
        return session.exec(query).one()
    return assessment


def assessments_in_round(session: Session, round_: Round,
                         kind: AssessmentKind = AssessmentKind.self) -> dict[int, Assessment]:
    """The round's assessments of one kind, by unit id."""
    rows = session.exec(select(Assessment).where(Assessment.round_id == round_.id,
                                                 Assessment.kind == kind))
    return {a.unit_id: a for a in rows}


def counterpart(session: Session, assessment: Assessment) -> Assessment | None:
    """The same unit's assessment of the other kind (self-assessment or workshop) in the round."""
    other = (AssessmentKind.workshop if assessment.kind == AssessmentKind.self
             else AssessmentKind.self)
    return session.exec(select(Assessment).where(
        Assessment.round_id == assessment.round_id, Assessment.unit_id == assessment.unit_id,
        Assessment.kind == other)).first()


def own_answers(session: Session, assessment: Assessment) -> dict[str, Answer]:
    """The assessment's own answers (not individual respondents'), by question id."""
    rows = session.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                             col(Answer.respondent_id).is_(None)))
    return {a.question_id: a for a in rows}


@dataclass(frozen=True)
class AnswerInput:
    """One answer as submitted: a choice ("1".."N", "dont_know", "not_applicable") and a note."""

    question_id: str
    choice: str | None
    note: str | None = None


def _parse_choice(framework: Framework, raw: str) -> tuple[Choice, int | None]:
    if raw in (Choice.dont_know, Choice.not_applicable):
        return Choice(raw), None
    try:
        level: int | None = int(raw)
    except ValueError:
        level = None
    if not framework.is_level(level):
        raise InvalidInput(N_("Choose one of the stages {min}–{max}, “don't know” or "
                              "“not applicable”."), field="choice", min=framework.first_level,
                           max=framework.last_level)
    return Choice.level, level


def clean_note(note: str | None) -> str | None:
    """A trimmed note of at most NOTE_MAX characters, or None when empty."""
    text = (note or "").strip().replace("\r\n", "\n")
    if len(text) > NOTE_MAX:
        raise InvalidInput(N_("The note is too long: at most {max} characters."),
                           field="note", max=NOTE_MAX)
    return text or None


UNKNOWN_QUESTION = N_("This question is not part of the assessment's framework.")


@dataclass(frozen=True)
class ParsedAnswer:
    """A validated answer; `choice` None means only a note (or nothing) was given."""

    question_id: str
    choice: Choice | None
    level: int | None
    note: str | None


NOT_APPLICABLE_REFUSED = N_("“Not applicable” is not an answer to this question: choose a stage "
                            "or “don't know”.")


def parse_answer(framework: Framework, item: AnswerInput, *,
                 workshop: bool = False) -> ParsedAnswer:
    """Validate one answer against the framework; raise InvalidInput when it is wrong.
    "Not applicable" is accepted only where the framework allows it (`workshop`: a vote on
    the workshop phone rather than a self-assessment or a recorded consensus)."""
    try:
        _factor, question = framework.question(item.question_id)
    except KeyError:
        raise InvalidInput(UNKNOWN_QUESTION, field="question_id") from None
    choice, level = _parse_choice(framework, item.choice) if item.choice else (None, None)
    if choice is Choice.not_applicable and not framework.not_applicable_allowed(
            question, workshop=workshop):
        raise InvalidInput(NOT_APPLICABLE_REFUSED, field="choice")
    return ParsedAnswer(item.question_id, choice, level, clean_note(item.note))


LOCKED = N_("This assessment has been submitted, so its answers are locked. "
            "Reopen it to change them.")


def require_draft(assessment: Assessment) -> None:
    """Raise Conflict when the assessment is submitted (its answers are locked)."""
    if assessment.status != AssessmentStatus.draft:
        raise Conflict(LOCKED)


def save_answers(session: Session, assessment: Assessment, framework: Framework,
                 inputs: Iterable[AnswerInput]) -> list[Answer]:
    """Validate all inputs first, then store them. A note may stand without a choice; an
    answer with neither is cleared. Raises before changing anything when any input is invalid."""
    require_draft(assessment)
    parsed = [parse_answer(framework, item) for item in inputs]
    existing = own_answers(session, assessment)
    saved: list[Answer] = []
    for item in parsed:
        question_id, choice, level, note = item.question_id, item.choice, item.level, item.note
        answer = existing.get(question_id)
        if choice is None and note is None:
            if answer is not None:
                session.delete(answer)
            continue
        if answer is None:
            answer = Answer(assessment_id=id_of(assessment), question_id=question_id)
        answer.choice, answer.level, answer.note = choice, level, note
        answer.updated_at = utcnow()
        session.add(answer)
        saved.append(answer)
    assessment.updated_at = utcnow()
    session.add(assessment)
    session.flush()
    return saved


def submit_assessment(session: Session, assessment: Assessment) -> Assessment:
    """Lock the assessment's answers."""
    require_draft(assessment)
    assessment.status = AssessmentStatus.submitted
    assessment.submitted_at = utcnow()
    session.add(assessment)
    session.flush()
    return assessment


def reopen_assessment(session: Session, assessment: Assessment) -> Assessment:
    """Unlock a submitted assessment so its answers can change again."""
    if assessment.status != AssessmentStatus.submitted:
        raise Conflict(N_("This assessment is not submitted, so there is nothing to reopen."))
    assessment.status = AssessmentStatus.draft
    assessment.submitted_at = None
    session.add(assessment)
    session.flush()
    return assessment


def scored_answers(answers: Mapping[str, Answer]) -> dict[str, ScoredAnswer]:
    """Stored answers in the form scoring takes."""
    return {qid: ScoredAnswer(Kind(a.choice), a.level) for qid, a in answers.items()
            if a.choice is not None}


def score_assessment(framework: Framework, answers: Mapping[str, Answer]) -> list[FactorScore]:
    """Every factor's score for these answers, in framework order."""
    factors = [(f.id, [q.id for q in f.questions]) for f in framework.factors]
    return score_all(factors, scored_answers(answers), framework.stage_count,
                     framework.first_level)



@dataclass(frozen=True)
class FactorProgress:
    """How many of a factor's questions have a choice (a stage, "don't know" or "n/a")."""

    factor_id: str
    answered: int
    total: int

    @property
    def complete(self) -> bool:
        """Whether every question has an answer."""
        return self.answered == self.total


def progress(framework: Framework, answers: Mapping[str, Answer]) -> list[FactorProgress]:
    """Answered questions per factor, in framework order."""
    chosen = {qid for qid, a in answers.items() if a.choice is not None}
    return [FactorProgress(f.id, sum(q.id in chosen for q in f.questions), len(f.questions))
            for f in framework.factors]


@dataclass(frozen=True)
class AssessmentView:
    """An assessment with everything around it that pages and reports need."""

    assessment: Assessment
    round: Round
    unit: Unit
    organisation: Organisation
    framework: Framework
    version: FrameworkVersion
    answers: dict[str, Answer]

    @property
    def locked(self) -> bool:
        """Whether the answers are locked (submitted)."""
        return self.assessment.status == AssessmentStatus.submitted


def assessment_view(session: Session, registry: FrameworkRegistry,
                    assessment: Assessment) -> AssessmentView:
    """Load an assessment's round, unit, organisation, pinned framework and answers."""
    round_ = session.get(Round, assessment.round_id)
    unit = session.get(Unit, assessment.unit_id)
    assert round_ is not None and unit is not None  # guaranteed by foreign keys
    organisation = session.get(Organisation, round_.organisation_id)
    assert organisation is not None
    framework, version = round_framework(session, registry, round_)
    return AssessmentView(assessment, round_, unit, organisation, framework, version,
                          own_answers(session, assessment))


def answer_counts(session: Session, assessment_ids: Iterable[int]) -> dict[int, int]:
    """How many own answers with a choice each assessment has."""
    ids = list(assessment_ids)
    if not ids:
        return {}
    query = (select(Answer.assessment_id, func.count())
             .where(col(Answer.assessment_id).in_(ids), col(Answer.respondent_id).is_(None),
                    col(Answer.choice).is_not(None))
             .group_by(col(Answer.assessment_id)))
    return {aid: count for aid, count in session.exec(query)}
