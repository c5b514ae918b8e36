"""The pre-workshop survey: the unit's people answer the questions before the workshop.

A consultant opens a survey for a unit in a round; anyone with its link (or QR code) answers
from a phone, anonymously and without an account, and may come back to change the answers
until the survey closes: the browser keeps a random respondent token in a cookie, and only
its SHA-256 is stored. The answers are respondents' answers of the unit's assessment of kind
`survey`, so they never mix with the self-assessment or the workshop, and no scoring, report
or export reads them as the unit's own. A distribution is shown only when at least the
minimum number of people answered (the same anonymity rule as a workshop's votes).

In the workshop, each question opens with the survey's distribution beside the room's votes,
and a **focus** workshop skips the questions on which the survey already agrees: at least the
minimum number of answers with a stage, no more than one stage apart. Their consensus is
proposed from the survey and confirmed per factor in one step.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, delete, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from assessment import services, workshops
from assessment.framework import Framework
from assessment.models import (
    Answer,
    AssessmentKind,
    Choice,
    Respondent,
    Round,
    Survey,
    SurveyRespondent,
    SurveyStart,
    SurveyStatus,
    Unit,
    User,
    Workshop,
    id_of,
    utcnow,
)
from assessment.services import N_, Conflict, InvalidInput, ServiceError

AGREED_SPREAD = 1  # answers at most one stage apart: the survey agrees
CODE_BYTES = 12  # 16 URL-safe characters: a link, never typed or read aloud

SURVEY_CLOSED = N_("This survey has closed, so answers can no longer be given or changed. "
                   "Thank you for your interest!")
FORGED_KEY = N_("Your browser holds a survey key that does not belong to this survey, so "
                "nothing was saved. Reload the page and answer again: your answers will be "
                "kept from then on.")
TOO_MANY_STARTS = N_("Too many people have started this survey from this network in a short "
                     "time. Wait a few minutes and try again.")
NOT_IN_FOCUS = N_("The pre-survey proposed no consensus for this factor in this workshop.")


class ForgedKey(ServiceError):
    """A respondent cookie that no respondent of this survey holds."""

    status = 400


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# Consultant ------------------------------------------------------------------------------

def survey_of(session: Session, round_id: int, unit_id: int) -> Survey | None:
    """The unit's survey in the round, if one was opened."""
    return session.exec(select(Survey).where(Survey.round_id == round_id,
                                             Survey.unit_id == unit_id)).first()


def surveys_of_round(session: Session, round_: Round) -> dict[int, Survey]:
    """The round's surveys by unit id."""
    return {s.unit_id: s for s in session.exec(select(Survey).where(
        Survey.round_id == round_.id))}


def open_survey(session: Session, round_: Round, unit: Unit, *, by: User | None) -> Survey:
    """Open the unit's survey in the round (created on first use, reopened after closing)."""
    existing = survey_of(session, id_of(round_), id_of(unit))
    if existing is not None:
        existing.status, existing.closed_at = SurveyStatus.open, None
        session.add(existing)
        session.flush()
        return existing
    assessment = services.get_or_create_assessment(session, round_, unit, AssessmentKind.survey)
    while True:
        code = secrets.token_urlsafe(CODE_BYTES)
        if session.exec(select(Survey.id).where(Survey.code == code)).first() is None:
            break
    survey = Survey(organisation_id=round_.organisation_id, round_id=id_of(round_),
                    unit_id=id_of(unit), assessment_id=id_of(assessment), code=code,
                    created_by=by.id if by else None)
    session.add(survey)
    session.flush()
    return survey


def close_survey(session: Session, survey: Survey) -> None:
    """Close the survey: its answers are kept, and no more are taken."""
    if survey.status == SurveyStatus.closed:
        return
    survey.status, survey.closed_at = SurveyStatus.closed, utcnow()
    session.add(survey)
    session.flush()


# Respondents -----------------------------------------------------------------------------

def by_code(session: Session, code: str) -> Survey | None:
    """The survey with this link code."""
    return session.exec(select(Survey).where(Survey.code == code[:64])).first()


def respondent_for(session: Session, survey: Survey, token: str | None,
                   ) -> SurveyRespondent | None:
    """The survey's respondent holding this token. A token that no respondent of this survey
    holds (made up, or another survey's) is refused: ForgedKey."""
    if not token:
        return None
    found = session.exec(select(SurveyRespondent).where(
        SurveyRespondent.token_hash == _hash(token[:200]))).first()
    if found is None or found.survey_id != survey.id:
        raise ForgedKey(FORGED_KEY)
    return found


def _require_open(survey: Survey) -> None:
    if survey.status != SurveyStatus.open:
        raise Conflict(SURVEY_CLOSED)


_START_TABLE = SurveyStart.__table__  # type: ignore[attr-defined]
_EARLIER = _START_TABLE.alias("earlier")
# Counts the address's recent starts and records this one only while they are below the
# limit, in one statement (as workshop joins do).
_START_INSERT = insert(_START_TABLE).from_select(
    ["survey_id", "address", "created_at"],
    select(*(bindparam(name, type_=_START_TABLE.c[name].type)
             for name in ("survey_id", "address", "created_at")))
    .where(select(func.count()).select_from(_EARLIER).where(
        _EARLIER.c.survey_id == bindparam("survey_id"),
        _EARLIER.c.address == bindparam("address"),
        _EARLIER.c.created_at >= bindparam("since")).scalar_subquery()
        < bindparam("limit", type_=Integer))).returning(_START_TABLE.c.id)


def start(session: Session, survey: Survey, address: str, *, limit: int,
          window: timedelta) -> tuple[SurveyRespondent, str]:
    """A new respondent, and the token their browser keeps. Refused once the address has
    started `limit` respondents within `window` (a cleared cookie is not endless ballots)."""
    _require_open(survey)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE survey_start IN SHARE ROW EXCLUSIVE MODE"))
    now = utcnow()
    admitted = session.execute(_START_INSERT, params={
        "survey_id": survey.id, "address": address[:64], "created_at": now,
        "since": now - window, "limit": limit}).scalar()
    if admitted is None:
        raise workshops.Throttled(TOO_MANY_STARTS)
    respondent = Respondent(assessment_id=survey.assessment_id)
    session.add(respondent)
    session.flush()
    token = secrets.token_urlsafe(24)
    row = SurveyRespondent(survey_id=id_of(survey), respondent_id=id_of(respondent),
                           token_hash=_hash(token))
    session.add(row)
    session.flush()
    return row, token


def _upsert(dialect: Any) -> Any:
    """Insert or replace a respondent's answer in one statement that stores nothing unless,
    when it runs, the survey is still open (on PostgreSQL it share-locks the survey's row, so
    closing waits for answers being written and every answer after it is refused)."""
    answers = Answer.__table__  # type: ignore[attr-defined]
    source = select(Survey.assessment_id, *(bindparam(name, type_=answers.c[name].type) for name
                                            in ("respondent_id", "question_id", "choice",
                                                "level", "updated_at"))).where(
        Survey.id == bindparam("survey_id"), Survey.status == SurveyStatus.open,
    ).with_for_update(read=True)
    stmt = dialect.insert(answers).from_select(
        ["assessment_id", "respondent_id", "question_id", "choice", "level", "updated_at"],
        source)
    return stmt.on_conflict_do_update(
        index_elements=["assessment_id", "respondent_id", "question_id"],
        index_where=col(Answer.respondent_id).is_not(None),
        set_={name: stmt.excluded[name] for name in ("choice", "level", "updated_at")},
    ).returning(answers.c.id)


_UPSERTS = {"sqlite": _upsert(sqlite), "postgresql": _upsert(postgresql)}
_OPEN = select(Survey.id).where(Survey.id == bindparam("survey_id"),
                                Survey.status == SurveyStatus.open).with_for_update(read=True)


def answer(session: Session, survey: Survey, framework: Framework,
           respondent: SurveyRespondent, inputs: Iterable[services.AnswerInput]) -> int:
    """Store a respondent's answers (a second answer replaces the first; no choice clears
    it). Every input is checked first: an unknown question or an invalid choice stores
    nothing, and neither does a survey closed before the answers are written (each write
    checks it). Returns how many questions now have an answer of this respondent's."""
    parsed = [services.parse_answer(framework, item, workshop=True) for item in inputs]
    if session.exec(_OPEN, params={"survey_id": survey.id}).first() is None:
        raise Conflict(SURVEY_CLOSED)
    now = utcnow()
    upsert = _UPSERTS[session.get_bind().dialect.name]
    for item in parsed:
        if item.choice is None:
            session.execute(delete(Answer).where(
                col(Answer.assessment_id) == survey.assessment_id,
                col(Answer.respondent_id) == respondent.respondent_id,
                col(Answer.question_id) == item.question_id))
            continue
        stored = session.execute(upsert, params={
            "survey_id": survey.id, "respondent_id": respondent.respondent_id,
            "question_id": item.question_id, "choice": str(item.choice), "level": item.level,
            "updated_at": now}).scalar()
        if stored is None:  # closed since the check: the transaction is rolled back
            raise Conflict(SURVEY_CLOSED)
    session.flush()
    return len(my_answers(session, survey, respondent))


def my_answers(session: Session, survey: Survey, respondent: SurveyRespondent,
               ) -> dict[str, str]:
    """A respondent's answers as the values of their radio buttons, by question id."""
    rows = session.exec(select(Answer.question_id, Answer.choice, Answer.level).where(
        Answer.assessment_id == survey.assessment_id,
        Answer.respondent_id == respondent.respondent_id, col(Answer.choice).is_not(None)))
    return {qid: str(level) if choice == Choice.level else str(choice)
            for qid, choice, level in rows}


# Results -----------------------------------------------------------------------------------

def votes(session: Session, survey: Survey,
          question_ids: list[str] | None = None) -> dict[str, workshops.Votes]:
    """The survey's answers per question (anonymous: no respondent ids leave here)."""
    query = select(Answer.question_id, Answer.choice, Answer.level).join(
        SurveyRespondent, col(SurveyRespondent.respondent_id) == col(Answer.respondent_id)).where(
        SurveyRespondent.survey_id == survey.id, Answer.assessment_id == survey.assessment_id,
        col(Answer.choice).is_not(None))
    if question_ids is not None:
        query = query.where(col(Answer.question_id).in_(question_ids))
    found: dict[str, workshops.Votes] = {}
    for qid, choice, level in session.exec(query):
        if choice is not None:
            found.setdefault(qid, []).append((choice, level))
    return found


def respondent_count(session: Session, survey: Survey) -> int:
    """How many people have answered at least one question."""
    return int(session.exec(select(func.count(func.distinct(Answer.respondent_id))).where(
        Answer.assessment_id == survey.assessment_id, col(Answer.respondent_id).is_not(None),
        col(Answer.choice).is_not(None))).one())


def agreed(framework: Framework, found: Mapping[str, workshops.Votes],
           min_votes: int) -> dict[str, int]:
    """The questions the survey agrees on, with the proposed stage (the median, rounded half
    up): at least `min_votes` answers with a stage, at most one stage apart. In framework
    order."""
    proposals: dict[str, int] = {}
    for factor in framework.factors:
        for question in factor.questions:
            levels = [lv for c, lv in found.get(question.id, ()) if c == Choice.level
                      and lv is not None]
            if len(levels) < min_votes or max(levels) - min(levels) > AGREED_SPREAD:
                continue
            summary = workshops.summarise([(Choice.level, lv) for lv in levels],
                                          framework.stage_count, min_votes)
            if summary.suggested_level is not None:
                proposals[question.id] = summary.suggested_level
    return proposals


# In the workshop ---------------------------------------------------------------------------

def survey_of_workshop(session: Session, workshop: Workshop) -> Survey | None:
    """The pre-survey of the workshop's unit in its round, if one was opened."""
    return survey_of(session, workshop.round_id, workshop.unit_id)


@dataclass(frozen=True)
class FocusSaving:
    """What focus mode saved: questions not discussed one by one, and the steps it took
    to confirm them instead."""

    questions: int
    confirm_steps: int

    @property
    def steps_saved(self) -> int:
        """How many fewer steps the agenda has."""
        return self.questions - self.confirm_steps


def focus_saving(workshop: Workshop, framework: Framework) -> FocusSaving | None:
    """What the workshop's focus mode saved (None when it is not a focus workshop)."""
    skip = workshops.focus_skip(workshop)
    if not skip:
        return None
    factors = {f.id for f in framework.factors for q in f.questions if q.id in skip}
    return FocusSaving(len(skip), len(factors))


def focus_questions(session: Session, round_: Round, unit: Unit, framework: Framework,
                    min_votes: int) -> list[str]:
    """The questions a focus workshop of the unit would skip now (the survey agrees)."""
    survey = survey_of(session, id_of(round_), id_of(unit))
    if survey is None:
        return []
    return list(agreed(framework, votes(session, survey), min_votes))


def proposals_for(session: Session, workshop: Workshop, framework: Framework, factor_id: str,
                  min_votes: int) -> list[tuple[str, int | None, workshops.VoteSummary]]:
    """The skipped questions of a factor, each with the stage the survey proposes now (None
    if the answers no longer agree) and the survey's summary."""
    skip = workshops.focus_skip(workshop)
    survey = survey_of_workshop(session, workshop)
    found = votes(session, survey) if survey is not None else {}
    proposals = agreed(framework, found, min_votes)
    try:
        factor = framework.factor(factor_id)
    except KeyError:
        return []
    return [(q.id, proposals.get(q.id), workshops.summarise(
        found.get(q.id, []), framework.stage_count, min_votes))
        for q in factor.questions if q.id in skip]


def confirm_factor(session: Session, workshop: Workshop, framework: Framework, factor_id: str,
                   levels: Mapping[str, str | None], rationale: str) -> int:
    """Record the consensus of a factor's skipped questions in one go: the stage chosen for
    each (the survey's proposal unless the facilitator changed it), with `rationale`. Every
    level is checked before anything is stored. Returns how many were recorded."""
    skip = workshops.focus_skip(workshop)
    try:
        factor = framework.factor(factor_id)
    except KeyError:
        raise InvalidInput(NOT_IN_FOCUS) from None
    questions = [q.id for q in factor.questions if q.id in skip]
    if not questions:
        raise InvalidInput(NOT_IN_FOCUS)
    for qid in questions:
        workshops._level(framework, levels.get(qid))  # refuses a missing or invalid stage
    for qid in questions:
        workshops.record_consensus(session, workshop, framework, qid, levels.get(qid),
                                   rationale)
    return len(questions)
