"""Scoring: worked examples and property tests of its invariants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment.scoring import Kind, ScoredAnswer, mean_score, score_factor

DK = ScoredAnswer(Kind.dont_know)
NA = ScoredAnswer(Kind.not_applicable)


def level(n: int) -> ScoredAnswer:
    return ScoredAnswer(Kind.level, n)


def test_mean_is_rounded_half_up_to_one_decimal() -> None:
    assert mean_score([3, 4]) == Decimal("3.5")
    assert mean_score([1, 2, 2]) == Decimal("1.7")  # 1.666…
    assert mean_score([2, 2, 2, 3]) == Decimal("2.3")  # 2.25 rounds up, not to even


def test_stage_is_the_highest_stage_reached() -> None:
    answers = {"a": level(2), "b": level(3), "c": level(3), "d": level(4)}
    score = score_factor("f", ["a", "b", "c", "d"], answers, 5)
    assert score.score == Decimal("3.0")
    assert score.stage_level == 3
    almost = score_factor("f", ["a", "b", "c"], {"a": level(3), "b": level(3), "c": level(2)}, 5)
    assert almost.score == Decimal("2.7") and almost.stage_level == 2


def test_dont_know_and_not_applicable_are_excluded_and_counted() -> None:
    answers = {"a": level(4), "b": DK, "c": NA, "d": level(2)}
    score = score_factor("f", ["a", "b", "c", "d"], answers, 5)
    assert score.score == Decimal("3.0")
    assert (score.answered, score.dont_know, score.not_applicable, score.unanswered) == (2, 1, 1, 0)


def test_fewer_than_half_answered_has_no_score() -> None:
    answers = {"a": level(4), "b": DK, "c": NA}
    score = score_factor("f", ["a", "b", "c", "d"], answers, 5)
    assert score.score is None and score.stage_level is None and not score.enough_answers
    assert score.unanswered == 1


def test_exactly_half_answered_has_a_score() -> None:
    score = score_factor("f", ["a", "b", "c", "d"], {"a": level(1), "b": level(2)}, 5)
    assert score.score == Decimal("1.5") and score.stage_level == 1


def test_out_of_range_level_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        score_factor("f", ["a"], {"a": level(6)}, 5)


answer_strategy = st.integers(min_value=3, max_value=7).flatmap(
    lambda stages: st.tuples(
        st.just(stages),
        st.lists(st.one_of(st.none(), st.just(DK), st.just(NA),
                           st.integers(1, stages).map(level)), min_size=1, max_size=12),
    ))


def _score(stages: int, answers: list[ScoredAnswer | None]):  # type: ignore[no-untyped-def]
    ids = [f"q{i}" for i in range(len(answers))]
    given_answers = {qid: a for qid, a in zip(ids, answers, strict=True) if a is not None}
    return score_factor("f", ids, given_answers, stages), ids, given_answers


@given(answer_strategy)
def test_score_lies_between_lowest_and_highest_level(case: tuple[int, list]) -> None:
    stages, answers = case
    result, _, _ = _score(stages, answers)
    levels = [a.level for a in answers if a is not None and a.kind is Kind.level]
    if result.score is None:
        assert 2 * len(levels) < len(answers) or not levels
    else:
        assert min(levels) <= result.score <= max(levels)
        assert 1 <= result.stage_level <= stages
        assert result.stage_level <= result.score < result.stage_level + 1


@given(answer_strategy)
def test_counts_add_up(case: tuple[int, list]) -> None:
    stages, answers = case
    result, _, _ = _score(stages, answers)
    assert result.answered + result.dont_know + result.not_applicable + result.unanswered \
        == result.questions == len(answers)
    assert result.enough_answers == (result.answered > 0 and 2 * result.answered >= len(answers))


@given(answer_strategy, st.randoms())
def test_order_of_questions_does_not_matter(case: tuple[int, list], rnd) -> None:  # type: ignore[no-untyped-def]
    stages, answers = case
    result, ids, given_answers = _score(stages, answers)
    shuffled = list(ids)
    rnd.shuffle(shuffled)
    again = score_factor("f", shuffled, given_answers, stages)
    assert (again.score, again.stage_level) == (result.score, result.stage_level)


@given(answer_strategy)
def test_turning_an_answer_into_dont_know_never_adds_a_level(case: tuple[int, list]) -> None:
    stages, answers = case
    result, ids, given_answers = _score(stages, answers)
    changed = {**given_answers, ids[0]: DK}
    again = score_factor("f", ids, changed, stages)
    assert again.answered <= result.answered
    assert again.dont_know >= result.dont_know


@given(st.integers(3, 7), st.integers(1, 12), st.data())
def test_raising_one_level_never_lowers_the_score(stages: int, n: int, data) -> None:  # type: ignore[no-untyped-def]
    levels = data.draw(st.lists(st.integers(1, stages), min_size=n, max_size=n))
    ids = [f"q{i}" for i in range(n)]
    before = score_factor("f", ids, {q: level(v) for q, v in zip(ids, levels, strict=True)}, stages)
    i = data.draw(st.integers(0, n - 1))
    raised = list(levels)
    raised[i] = min(stages, raised[i] + 1)
    after = score_factor("f", ids, {q: level(v) for q, v in zip(ids, raised, strict=True)}, stages)
    assert after.score is not None and before.score is not None
    assert after.score >= before.score and after.stage_level >= before.stage_level
