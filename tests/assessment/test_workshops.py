"""Workshop domain logic against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from assessment import services, workshops
from assessment.framework import Framework
from assessment.models import Answer, AssessmentKind, Need, Target, id_of
from assessment.workshops import StepKind
from tests.factories import make_organisation, make_unit


@pytest.fixture
def workshop(session: Session, framework: Framework) -> workshops.Workshop:
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation)
    round_ = services.create_round(session, organisation, "Kevät", framework)
    made = workshops.create_workshop(session, round_, unit, by=None)
    session.commit()
    return made


def question_step(framework: Framework) -> int:
    return next(s.index for s in workshops.agenda(framework) if s.kind is StepKind.question)


def test_agenda_covers_needs_every_question_targets_and_wrapup(framework: Framework) -> None:
    steps = workshops.agenda(framework)
    kinds = [s.kind for s in steps]
    questions = sum(len(f.questions) for f in framework.factors)
    assert kinds[:2] == [StepKind.needs, StepKind.needs_vote] and kinds[-1] is StepKind.wrapup
    assert kinds.count(StepKind.question) == questions
    assert kinds.count(StepKind.target) == len(framework.factors)


def test_code_is_unambiguous_and_the_assessment_is_a_workshop_one(
        session: Session, workshop: workshops.Workshop) -> None:
    assert len(workshop.code) == 6 and not set(workshop.code) & set("01IO")
    assessment = session.get(services.Assessment, workshop.assessment_id)
    assert assessment is not None and assessment.kind == AssessmentKind.workshop
    assert workshops.open_workshop(session, f" {workshop.code.lower()} ").id == workshop.id
    with pytest.raises(services.InvalidInput):
        workshops.open_workshop(session, "NOPE99")


def test_votes_are_silent_replaced_and_refused_when_not_open(
        session: Session, workshop: workshops.Workshop, framework: Framework) -> None:
    people = [workshops.join(session, workshop, f"P{i}")[0] for i in range(3)]
    first_q = workshops.agenda(framework)[question_step(framework)].question_id
    assert first_q is not None
    with pytest.raises(services.Conflict):  # still on the needs step
        workshops.vote(session, workshop, framework, people[0], first_q, "3")
    workshops.go_to(session, workshop, framework, question_step(framework))
    for person, level in zip(people, ["2", "3", "5"], strict=True):
        workshops.vote(session, workshop, framework, person, first_q, level)
    workshops.vote(session, workshop, framework, people[2], first_q, "4")  # replaces 5
    with pytest.raises(services.InvalidInput):
        workshops.vote(session, workshop, framework, people[0], first_q, "9")
    votes = workshops.question_votes(session, workshop)[first_q]
    assert sorted(level for _, level in votes) == [2, 3, 4]
    summary = workshops.summarise(votes, framework.stage_count, 3)
    assert summary.by_level == (0, 1, 1, 1, 0) and summary.median == Decimal(3)
    assert summary.spread == 2 and summary.divergent and not summary.hidden
    workshops.set_revealed(session, workshop, framework, first_q, True)
    with pytest.raises(services.InvalidInput):
        workshops.set_revealed(session, workshop, framework, "nope", True)
    with pytest.raises(services.Conflict):
        workshops.vote(session, workshop, framework, people[0], first_q, "1")
    other_q = framework.factors[1].questions[0].id
    with pytest.raises(services.Conflict):
        workshops.vote(session, workshop, framework, people[0], other_q, "1")


def test_distribution_hidden_below_the_minimum() -> None:
    summary = workshops.summarise([("level", 2), ("level", 3)], 5, 3)
    assert summary.hidden and summary.votes == 2
    assert workshops.summarise([("level", 2), ("level", 2), ("dont_know", None)], 5, 3).median \
        == Decimal(2)


def test_consensus_is_the_workshop_assessments_answer(
        session: Session, workshop: workshops.Workshop, framework: Framework) -> None:
    question = framework.factors[0].questions[0].id
    workshops.record_consensus(session, workshop, framework, question, "3", "Vuosikello puuttuu")
    session.commit()
    own = session.exec(select(Answer).where(Answer.assessment_id == workshop.assessment_id,
                                            Answer.respondent_id == None)).one()  # noqa: E711
    assert (own.level, own.note) == (3, "Vuosikello puuttuu")
    with pytest.raises(services.InvalidInput):
        workshops.record_consensus(session, workshop, framework, question, "3", "x" * 1001)


def test_needs_limits_dots_and_merging(session: Session, workshop: workshops.Workshop,
                                       framework: Framework) -> None:
    person, other = (workshops.join(session, workshop, n)[0] for n in ("A", "B"))
    with pytest.raises(services.InvalidInput):
        workshops.post_need(session, workshop, framework, person, "x" * 501)
    with pytest.raises(services.InvalidInput):
        workshops.post_need(session, workshop, framework, person, "   ")
    a = workshops.post_need(session, workshop, framework, person, "Yhteinen vuosikello",
                            "activities")
    b = workshops.post_need(session, workshop, framework, other, "Sisältökalenteri")
    for i in range(workshops.NEEDS_PER_MINUTE - 1):
        workshops.post_need(session, workshop, framework, other, f"Tarve {i}")
    with pytest.raises(workshops.Throttled):
        workshops.post_need(session, workshop, framework, other, "Liikaa")
    workshops.merge_needs(session, workshop, a.id or 0, b.id or 0)
    workshops.go_to(session, workshop, framework, 1)
    for _ in range(workshop.dots_per_participant):
        workshops.place_dot(session, workshop, framework, person, b.id or 0)  # lands on a
    with pytest.raises(services.Conflict):
        workshops.place_dot(session, workshop, framework, person, a.id or 0)
    workshops.place_dot(session, workshop, framework, person, a.id or 0, add=False)
    ranked = workshops.ranked_needs(session, workshop, person)
    assert ranked[0].need.id == a.id and ranked[0].dots == 2 and ranked[0].mine == 2
    assert [m.id for m in ranked[0].merged] == [b.id]


def test_targets_are_saved_for_the_unit_and_round(session: Session,
                                                  workshop: workshops.Workshop,
                                                  framework: Framework) -> None:
    person = workshops.join(session, workshop, None)[0]
    target_index = next(s.index for s in workshops.agenda(framework)
                        if s.kind is StepKind.target)
    factor_id = workshops.agenda(framework)[target_index].factor_id or ""
    workshops.go_to(session, workshop, framework, target_index)
    workshops.target_vote(session, workshop, framework, person, factor_id, "4")
    workshops.target_vote(session, workshop, framework, person, factor_id, "3")
    assert workshops.target_votes(session, workshop, factor_id) == [3]
    workshops.record_target(session, workshop, framework, factor_id, "4")
    workshops.record_target(session, workshop, framework, factor_id, "5")
    session.commit()
    assert [(t.factor_id, t.level) for t in session.exec(select(Target))] == [(factor_id, 5)]


def test_closed_workshop_refuses_everything(session: Session, workshop: workshops.Workshop,
                                            framework: Framework) -> None:
    person = workshops.join(session, workshop, None)[0]
    workshops.close_workshop(session, workshop)
    with pytest.raises(services.Conflict):
        workshops.open_workshop(session, workshop.code)
    with pytest.raises(services.Conflict):
        workshops.post_need(session, workshop, framework, person, "Myöhässä")
    with pytest.raises(services.Conflict):
        workshops.go_to(session, workshop, framework, 3)


def test_ending_the_last_open_workshop_submits_the_workshop_assessment(
        session: Session, workshop: workshops.Workshop, framework: Framework) -> None:
    round_ = session.get(services.Round, workshop.round_id)
    unit = session.get(services.Unit, workshop.unit_id)
    assert round_ is not None and unit is not None
    assessment = session.get(services.Assessment, workshop.assessment_id)
    assert assessment is not None
    assert workshops.create_workshop(session, round_, unit, by=None).id == workshop.id, \
        "a running workshop is continued"
    second = workshops.create_workshop(session, round_, unit, by=None, another=True)
    assert second.id != workshop.id and second.assessment_id == workshop.assessment_id

    workshops.close_workshop(session, workshop)
    assert assessment.status == "draft", "another workshop of the unit is still open"
    question = framework.factors[0].questions[0].id
    workshops.record_consensus(session, second, framework, question, "3", "Yhdessä")
    workshops.close_workshop(session, second)
    assert assessment.status == "submitted" and assessment.submitted_at is not None
    with pytest.raises(services.Conflict):
        workshops.close_workshop(session, second)

    # A later workshop continues the same assessment, so it opens it again.
    third = workshops.create_workshop(session, round_, unit, by=None)
    assert third.assessment_id == assessment.id and assessment.status == "draft"
    assert services.own_answers(session, assessment)[question].level == 3


def test_the_step_at_an_index_is_the_agendas_step(framework: Framework) -> None:
    steps = workshops.agenda(framework)
    assert [workshops.step_at(framework, s.index) for s in steps] == steps
    assert workshops.step_at(framework, -3) == steps[0]
    assert workshops.step_at(framework, len(steps) + 5) == steps[-1]


def test_a_seat_is_found_by_code_and_the_token_kept_for_that_workshop(
        session: Session, workshop: workshops.Workshop) -> None:
    round_ = session.get(services.Round, workshop.round_id)
    unit = session.get(services.Unit, workshop.unit_id)
    assert round_ is not None and unit is not None
    other = workshops.create_workshop(session, round_, unit, by=None, another=True)
    person, token = workshops.join(session, workshop, "A")
    stranger, other_token = workshops.join(session, other, "B")
    wid, oid = workshop.id or 0, other.id or 0

    pinned = session.get(services.FrameworkVersion, round_.framework_version_id)
    assert pinned is not None

    def seat(code: str, tokens: dict[int, str]) -> tuple[object, object] | None:
        found = workshops.find_seat(session, code, tokens)
        if found is None:
            return None
        # The seat comes with the hash of the framework version its round is pinned to.
        assert found.content_hash == pinned.content_hash
        return found.workshop, found.participant

    assert seat("nope99", {wid: token}) is None
    assert seat(workshop.code, {}) == (workshop, None)
    both = {wid: token, oid: other_token}
    assert seat(f" {workshop.code.lower()} ", both) == (workshop, person)
    assert seat(other.code, both) == (other, stranger)
    # A token counts only in the cookie kept for its own workshop.
    assert seat(workshop.code, {oid: token}) == (workshop, None)
    assert seat(workshop.code, {wid: other_token}) == (workshop, None)
    assert seat(workshop.code, {wid: "forged"}) == (workshop, None)


def test_a_participants_question_view_and_replaced_votes(
        session: Session, workshop: workshops.Workshop, framework: Framework) -> None:
    person = workshops.join(session, workshop, "A")[0]
    index = question_step(framework)
    question = workshops.agenda(framework)[index].question_id or ""
    workshops.go_to(session, workshop, framework, index)
    assert workshops.question_for(session, workshop, person, question) == (False, None)

    workshops.vote(session, workshop, framework, person, question, "2")
    workshops.vote(session, workshop, framework, person, question, "dont_know")
    revealed, mine = workshops.question_for(session, workshop, person, question)
    assert not revealed and mine is not None
    assert (mine.choice, mine.level) == ("dont_know", None)
    workshops.vote(session, workshop, framework, person, question, "4")
    session.commit()
    rows = session.exec(select(Answer).where(Answer.respondent_id == person.respondent_id)).all()
    assert [(a.question_id, a.choice, a.level) for a in rows] == [(question, "level", 4)]

    workshops.set_revealed(session, workshop, framework, question, True)
    revealed, mine = workshops.question_for(session, workshop, person, question)
    assert revealed and mine is not None and mine.level == 4


def _session_activity(session: Session, workshop: workshops.Workshop, framework: Framework,
                      levels: list[str]) -> str:
    """Join len(levels) people who post a need, dot it, vote on the first question and vote a
    target; the question's id."""
    question = workshops.agenda(framework)[question_step(framework)].question_id
    assert question is not None
    people = [workshops.join(session, workshop, f"P{i}")[0] for i in range(len(levels))]
    workshops.go_to(session, workshop, framework, 0)
    need = workshops.post_need(session, workshop, framework, people[0], "Mittarit", None)
    workshops.go_to(session, workshop, framework, 1)
    for person in people:
        workshops.place_dot(session, workshop, framework, person, id_of(need), add=True)
    workshops.go_to(session, workshop, framework, question_step(framework))
    for person, level in zip(people, levels, strict=True):
        workshops.vote(session, workshop, framework, person, question, level)
    factor = framework.factors[0].id
    target = next(s.index for s in workshops.agenda(framework)
                  if s.kind is StepKind.target and s.factor_id == factor)
    workshops.go_to(session, workshop, framework, target)
    for person in people:
        workshops.target_vote(session, workshop, framework, person, factor, "4")
    session.commit()
    return question


@pytest.mark.parametrize("first_ended", [True, False], ids=["after-the-first", "beside-it"])
def test_a_second_session_counts_only_its_own_votes_needs_and_dots(
        session: Session, workshop: workshops.Workshop, framework: Framework,
        first_ended: bool) -> None:
    question = _session_activity(session, workshop, framework, ["2", "2", "3", "3"])
    workshops.record_consensus(session, workshop, framework, question, "2", "Päivä yksi")
    if first_ended:
        workshops.close_workshop(session, workshop)
    round_ = session.get(services.Round, workshop.round_id)
    unit = session.get(services.Unit, workshop.unit_id)
    assert round_ is not None and unit is not None
    second = workshops.create_workshop(session, round_, unit, by=None, another=not first_ended)
    assert second.id != workshop.id and workshops.earlier_sessions(session, second) == 1
    session.commit()

    # A new session starts from zero.
    assert workshops.participant_count(session, second) == 0
    assert workshops.question_votes(session, second) == {}
    assert workshops.ranked_needs(session, second) == []
    assert workshops.target_votes(session, second, framework.factors[0].id) == []
    # ... and its own activity never mixes with the first session's.
    _session_activity(session, second, framework, ["5", "5", "4"])
    assert sorted(lv for _, lv in workshops.question_votes(session, second)[question]) == [4, 5, 5]
    assert sorted(lv for _, lv in workshops.question_votes(session, workshop)[question]) == \
        [2, 2, 3, 3]
    assert workshops.participant_count(session, second) == 3
    assert [item.dots for item in workshops.ranked_needs(session, second)] == [3]
    assert workshops.target_votes(session, second, framework.factors[0].id) == [4, 4, 4]
    summary = workshops.summarise(workshops.question_votes(session, second)[question],
                                  framework.stage_count, 3)
    assert summary.suggested_level == 5
    # The first session's consensus is kept until the second records its own.
    assessment = session.get(services.Assessment, workshop.assessment_id)
    assert assessment is not None
    assert services.own_answers(session, assessment)[question].level == 2
    workshops.record_consensus(session, second, framework, question, "5", "Päivä kaksi")
    assert services.own_answers(session, assessment)[question].level == 5


@given(levels=st.lists(st.sampled_from(["level", "dont_know", "not_applicable"]), max_size=7),
       minimum=st.integers(min_value=1, max_value=6), stages=st.integers(3, 7),
       seed=st.integers(0, 10))
def test_a_hidden_summary_tells_nothing_but_the_count(levels: list[str], minimum: int,
                                                      stages: int, seed: int) -> None:
    choices = [(c, (seed + i) % stages + 1 if c == "level" else None)
               for i, c in enumerate(levels)]
    summary = workshops.summarise(choices, stages, minimum)
    assert summary.votes == len(choices)
    assert summary.hidden == (len(choices) < minimum)
    if summary.hidden:
        assert summary.by_level == (0,) * stages and summary.dont_know == 0
        assert summary.median is None and summary.spread is None and not summary.divergent
        assert summary.suggested_level is None
        # Two different hidden vote sets give the same summary: nothing tells them apart.
        other = [(c, stages if c == "level" else None) for c, _ in choices]
        assert workshops.summarise(other, stages, minimum) == summary
    else:
        assert sum(summary.by_level) + summary.dont_know == len(choices)


def test_a_write_checked_against_an_older_version_stores_nothing(
        session: Session, workshop: workshops.Workshop, framework: Framework) -> None:
    # What a request sees when the facilitator moves on between its check and its write:
    # the rule is decided by the statement that writes, against the workshop as it is then.
    person = workshops.join(session, workshop, "A")[0]
    workshops.post_need(session, workshop, framework, None, "Vuosikello")
    session.commit()
    seen = workshops.Workshop.model_validate(workshop.model_dump())  # the request's copy
    need = workshops.post_need(session, seen, framework, person, "Ennen siirtoa")
    workshops.go_to(session, workshop, framework, 0)  # no move, but a new version
    session.commit()
    with pytest.raises(services.Conflict):
        workshops.post_need(session, seen, framework, person, "Siirron jälkeen")
    assert [n.text for n in session.exec(select(Need).where(
        Need.participant_id == person.id))] == [need.text]

    index = question_step(framework)
    workshops.go_to(session, workshop, framework, index)
    session.commit()
    seen = workshops.Workshop.model_validate(workshop.model_dump())
    question = workshops.agenda(framework)[index].question_id
    workshops.set_revealed(session, workshop, framework, question or "", True)
    workshops.set_revealed(session, workshop, framework, question or "", False)
    session.commit()  # revealed and re-opened: the same step, two versions later
    with pytest.raises(services.Conflict):
        workshops.vote(session, seen, framework, person, question or "", "3")
    assert workshops.question_votes(session, workshop) == {}
    workshops.vote(session, workshop, framework, person, question or "", "3")
    assert workshops.question_votes(session, workshop) == {question: [("level", 3)]}


def test_a_removed_seat_loses_its_votes_and_its_cookie(
        session: Session, workshop: workshops.Workshop, framework: Framework) -> None:
    (stuffed, token), honest = workshops.join(session, workshop, "A"), \
        workshops.join(session, workshop, "B")[0]
    workshops.post_need(session, workshop, framework, stuffed, "Tarve")
    index = question_step(framework)
    workshops.go_to(session, workshop, framework, index)
    question = workshops.agenda(framework)[index].question_id or ""
    for person in (stuffed, honest):
        workshops.vote(session, workshop, framework, person, question, "2")
    session.commit()
    assert [(s.participant.nickname, s.votes) for s in workshops.seats(session, workshop)] == [
        ("A", 1), ("B", 1)]
    assert workshops.participant_count(session, workshop) == 2

    workshops.remove_seat(session, workshop, stuffed.id or 0)
    session.commit()
    assert workshops.question_votes(session, workshop) == {question: [("level", 2)]}
    assert workshops.participant_count(session, workshop) == 1
    assert [(s.participant.nickname, s.votes, s.participant.removed_at is not None)
            for s in workshops.seats(session, workshop)] == [("A", 0, True), ("B", 1, False)]
    found = workshops.find_seat(session, workshop.code, {workshop.id or 0: token})
    assert found is not None and (found.workshop, found.participant) == (workshop, None)
    assert workshops.participant_for(session, workshop, token) is None
    with pytest.raises(services.Conflict):  # a request that read the seat before the removal
        workshops.vote(session, workshop, framework, stuffed, question, "5")
    assert workshops.question_votes(session, workshop) == {question: [("level", 2)]}
    assert [n.text for n in session.exec(select(Need))] == ["Tarve"]  # notes stay
    with pytest.raises(services.InvalidInput):
        workshops.remove_seat(session, workshop, 999_999)


def test_joins_from_one_address_are_limited_per_window(
        session: Session, workshop: workshops.Workshop) -> None:
    from datetime import timedelta

    window = timedelta(minutes=10)
    for _ in range(2):
        workshops.admit(session, workshop, "192.0.2.1", limit=2, window=window)
    with pytest.raises(workshops.Throttled):
        workshops.admit(session, workshop, "192.0.2.1", limit=2, window=window)
    workshops.admit(session, workshop, "192.0.2.2", limit=2, window=window)  # another address
    with pytest.raises(workshops.Throttled):  # the window is the last 10 minutes
        workshops.admit(session, workshop, "192.0.2.1", limit=2, window=window)
    session.commit()
    workshops.admit(session, workshop, "192.0.2.1", limit=2, window=timedelta(0))


def test_the_agenda_is_built_once_per_plan_and_follows_a_change(
        session: Session, workshop: workshops.Workshop, framework: Framework) -> None:
    built = workshops.workshop_agenda(workshop, framework)
    assert built == workshops.agenda(framework, plan=workshops.plan_of(workshop, framework))
    built.pop()  # each caller gets a list of its own
    assert len(workshops.workshop_agenda(workshop, framework)) == len(built) + 1
    workshop.targets_per_factor = True
    assert workshops.workshop_agenda(workshop, framework) == workshops.agenda(
        framework, targets_per_factor=True, plan=workshops.plan_of(workshop, framework))
    question = next(s.question_id for s in built if s.question_id)
    workshop.focus_skip = question
    assert question not in {s.question_id for s in workshops.workshop_agenda(workshop, framework)}
