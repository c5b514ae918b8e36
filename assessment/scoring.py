"""Scoring: pure functions from answers to factor scores and stages.

- A factor's score is the mean of its answered levels, rounded half up to one decimal.
- Its stage is the highest stage whose level the score has reached (the integer part).
- "Don't know" and "not applicable" answers are excluded from the mean and counted.
- A factor with fewer than half of its questions answered with a level has no score
  ("not enough answers").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Kind(StrEnum):
    """The kind of a scored answer (mirrors `assessment.models.Choice`)."""

    level = "level"
    dont_know = "dont_know"
    not_applicable = "not_applicable"


@dataclass(frozen=True)
class ScoredAnswer:
    """An answer as scoring sees it."""

    kind: Kind
    level: int | None = None


@dataclass(frozen=True)
class FactorScore:
    """A factor's score, stage and the counts behind it."""

    factor_id: str
    questions: int
    answered: int
    dont_know: int
    not_applicable: int
    score: Decimal | None
    stage_level: int | None

    @property
    def unanswered(self) -> int:
        """Questions with no answer at all."""
        return self.questions - self.answered - self.dont_know - self.not_applicable

    @property
    def enough_answers(self) -> bool:
        """Whether at least half of the questions have a level."""
        return self.score is not None


ONE_DECIMAL = Decimal("0.1")


def mean_score(levels: Sequence[int]) -> Decimal:
    """The mean of levels, rounded half up to one decimal."""
    return (Decimal(sum(levels)) / Decimal(len(levels))).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def stage_for(score: Decimal) -> int:
    """The highest stage level the score has reached."""
    return int(score)


def score_factor(
    factor_id: str, question_ids: Sequence[str], answers: Mapping[str, ScoredAnswer],
    stage_count: int, first_level: int = 1,
) -> FactorScore:
    """Score one factor from the answers to its questions (others in `answers` are ignored);
    levels run from `first_level` over `stage_count` stages."""
    last_level = first_level + stage_count - 1
    levels: list[int] = []
    dont_know = not_applicable = 0
    for qid in question_ids:
        answer = answers.get(qid)
        if answer is None:
            continue
        if answer.kind is Kind.level:
            if answer.level is None or not first_level <= answer.level <= last_level:
                raise ValueError(f"level {answer.level} of {qid} is outside "
                                 f"{first_level}..{last_level}")
            levels.append(answer.level)
        elif answer.kind is Kind.dont_know:
            dont_know += 1
        else:
            not_applicable += 1
    enough = bool(levels) and 2 * len(levels) >= len(question_ids)
    score = mean_score(levels) if enough else None
    return FactorScore(
        factor_id=factor_id, questions=len(question_ids), answered=len(levels),
        dont_know=dont_know, not_applicable=not_applicable, score=score,
        stage_level=stage_for(score) if score is not None else None,
    )


def score_all(
    factors: Sequence[tuple[str, Sequence[str]]], answers: Mapping[str, ScoredAnswer],
    stage_count: int, first_level: int = 1,
) -> list[FactorScore]:
    """Score every factor, given (factor id, question ids) pairs in framework order."""
    return [score_factor(fid, qids, answers, stage_count, first_level) for fid, qids in factors]
