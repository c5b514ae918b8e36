"""Leadership figures: units by factors, weakest links, stage counts and trends."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from assessment import dashboard, roadmap, services
from assessment.db import create_db_engine
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import Organisation, Round, Unit, metadata
from tests.assessment.test_roadmap import answer_all, counted
from tests.factories import make_organisation, make_unit


def tree(session: Session) -> tuple[Organisation, dict[str, Unit]]:
    organisation = make_organisation(session)
    units: dict[str, Unit] = {}
    for name, parent in [("Viestintä", None), ("Markkinointi", "Viestintä"),
                         ("Sisäinen", "Viestintä"), ("Asiakaspalvelu", None)]:
        units[name] = make_unit(session, organisation=organisation, name=name,
                                parent=units[parent] if parent else None)
    return organisation, units


def test_subtree_keeps_a_branch_and_refuses_strangers(session: Session) -> None:
    organisation, units = tree(session)
    names = [item.unit.name for item in dashboard.subtree(session, organisation)]
    assert names == ["Asiakaspalvelu", "Viestintä", "Markkinointi", "Sisäinen"]
    branch = dashboard.subtree(session, organisation, units["Viestintä"].id)
    assert [(i.unit.name, i.depth) for i in branch] == [
        ("Viestintä", 0), ("Markkinointi", 1), ("Sisäinen", 1)]
    stranger = make_unit(session, organisation=make_organisation(session, name="Muu Oy"))
    assert dashboard.subtree(session, organisation, stranger.id) == []


def test_round_overview_finds_the_weakest_link_and_counts_stages(
        session: Session, framework: Framework, registry: FrameworkRegistry) -> None:
    organisation, units = tree(session)
    round_ = services.create_round(session, organisation, "Kevät", framework)
    answer_all(session, round_, units["Markkinointi"], framework, 4)
    answer_all(session, round_, units["Sisäinen"], framework, 2)
    answer_all(session, round_, units["Asiakaspalvelu"], framework, 2)
    overview = dashboard.round_overview(session, registry, organisation, round_)
    assert overview.measured_units == 3 and len(overview.units) == 4
    first = overview.factors[0]
    assert first.average == Decimal("2.7"), "the mean of 4, 2 and 2, rounded to one decimal"
    assert first.weakest_score == Decimal("2.0")
    assert {u.name for u in first.weakest} == {"Sisäinen", "Asiakaspalvelu"}, "ties are kept"
    assert first.per_stage == (0, 2, 0, 1, 0) and first.unmeasured == 1
    cell = overview.cell(units["Markkinointi"].id or 0, first.factor.id)
    assert cell is not None and cell.score == Decimal("4.0")
    assert overview.cell(units["Viestintä"].id or 0, first.factor.id) is None

    branch = dashboard.round_overview(session, registry, organisation, round_,
                                      units["Viestintä"].id)
    assert branch.factors[0].average == Decimal("3.0")
    assert [u.name for u in branch.factors[0].weakest] == ["Sisäinen"]


def test_an_empty_round_has_no_figures(session: Session, framework: Framework,
                                       registry: FrameworkRegistry) -> None:
    organisation, _ = tree(session)
    round_ = services.create_round(session, organisation, "Kevät", framework)
    overview = dashboard.round_overview(session, registry, organisation, round_)
    assert overview.measured_units == 0
    assert all(f.average is None and f.weakest == () and f.unmeasured == 4
               for f in overview.factors)


def rounds_with_growth(session: Session, framework: Framework, organisation: Organisation,
                       units: dict[str, Unit], count: int) -> list[Round]:
    made = []
    for index in range(count):
        round_ = services.create_round(session, organisation, f"Kierros {index + 1}", framework)
        answer_all(session, round_, units["Markkinointi"], framework, min(index + 2, 5))
        answer_all(session, round_, units["Asiakaspalvelu"], framework, 1)
        made.append(round_)
    return made


def test_trends_give_average_weakest_and_each_unit(session: Session, framework: Framework,
                                                   registry: FrameworkRegistry) -> None:
    organisation, units = tree(session)
    rounds_with_growth(session, framework, organisation, units, 3)
    trends = dashboard.trends(session, registry, organisation)
    factor = framework.factors[0].id
    assert [p.average for p in trends.factors[factor]] == [
        Decimal("1.5"), Decimal("2.0"), Decimal("2.5")]
    assert [p.weakest for p in trends.factors[factor]] == [Decimal("1.0")] * 3
    assert trends.unit_trend(units["Markkinointi"].id or 0, factor) == [
        Decimal("2.0"), Decimal("3.0"), Decimal("4.0")]
    assert trends.unit_trend(units["Sisäinen"].id or 0, factor) == [None, None, None]
    assert trends.differing == [] and all(p.comparable for p in trends.factors[factor])


def test_rounds_on_another_framework_version_compare_only_shared_factors(
        session: Session, framework: Framework, registry: FrameworkRegistry) -> None:
    organisation, units = tree(session)
    dropped = framework.factors[-1]
    older = framework.model_copy(update={"version": "2025.1",
                                         "factors": framework.factors[:-1]})
    old_round = services.create_round(session, organisation, "Vanha", older)
    answer_all(session, old_round, units["Markkinointi"], older, 3)
    new_round = services.create_round(session, organisation, "Uusi", framework)
    answer_all(session, new_round, units["Markkinointi"], framework, 4)
    trends = dashboard.trends(session, registry, organisation)
    assert trends.differing == [old_round]
    assert trends.versions[old_round.id or 0] == "2025.1"
    points = trends.factors[dropped.id]
    assert [p.comparable for p in points] == [False, True]
    assert points[0].average is None and points[1].average == Decimal("4.0")
    shared = trends.factors[framework.factors[0].id]
    assert [p.average for p in shared] == [Decimal("3.0"), Decimal("4.0")]


def test_queries_do_not_grow_with_units(session: Session, framework: Framework,
                                        registry: FrameworkRegistry) -> None:
    organisation = make_organisation(session)
    round_ = services.create_round(session, organisation, "Kevät", framework)

    def add_units(count: int, prefix: str) -> None:
        for i in range(count):
            answer_all(session, round_, make_unit(session, organisation=organisation,
                                                  name=f"{prefix}{i}"), framework, 3)

    add_units(2, "A")
    session.expire_all()
    with counted(session) as few:
        dashboard.round_overview(session, registry, organisation, round_)
        dashboard.trends(session, registry, organisation)
    add_units(12, "B")
    session.expire_all()
    with counted(session) as many:
        overview = dashboard.round_overview(session, registry, organisation, round_)
        dashboard.trends(session, registry, organisation)
    assert overview.measured_units == 14
    assert len(many) == len(few)


def test_round_scores_are_kept_until_an_answer_changes(
        session: Session, framework: Framework, registry: FrameworkRegistry) -> None:
    organisation, units = tree(session)
    rounds = rounds_with_growth(session, framework, organisation, units, 2)
    factor = framework.factors[0].id
    first = roadmap.round_scores(session, framework, rounds[1])
    with counted(session) as statements:
        roadmap.round_scores(session, framework, rounds[0])
    assert len(statements) == 2, "not kept yet: their state, then the answers"
    with counted(session) as statements:
        again = roadmap.round_scores(session, framework, rounds[1])
        both = roadmap.rounds_scores(session, [(r, framework) for r in rounds])
    assert len(statements) == 2, "kept: only the state of the assessments, once per call"
    assert again == first and both[1] == first
    assert first[units["Markkinointi"].id or 0].factors[factor].score == Decimal("3.0")
    only = roadmap.round_scores(session, framework, rounds[1], [units["Asiakaspalvelu"].id or 0])
    assert list(only) == [units["Asiakaspalvelu"].id]

    # Any change of an answer is seen at once.
    answer_all(session, rounds[1], units["Markkinointi"], framework, 5, only=factor)
    changed = roadmap.round_scores(session, framework, rounds[1])
    assert changed[units["Markkinointi"].id or 0].factors[factor].score == Decimal("5.0")
    # So is a new assessment.
    answer_all(session, rounds[1], units["Sisäinen"], framework, 2)
    assert units["Sisäinen"].id in roadmap.round_scores(session, framework, rounds[1])
    assert dashboard.round_overview(session, registry, organisation,
                                    rounds[1]).measured_units == 3


def test_kept_scores_belong_to_their_own_database(framework: Framework) -> None:
    made = []
    for level in (2, 4):  # two databases whose rows have the same ids
        engine = create_db_engine("sqlite://")
        metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            organisation, units = tree(session)
            round_ = services.create_round(session, organisation, "Kevät", framework)
            answer_all(session, round_, units["Markkinointi"], framework, level)
            scores = roadmap.round_scores(session, framework, round_)
            made.append(scores[units["Markkinointi"].id or 0].factors[
                framework.factors[0].id].score)
        engine.dispose()
    assert made == [Decimal("2.0"), Decimal("4.0")]


def test_kept_trends_and_heatmap_cells_follow_answers_and_the_units_shown(
        session: Session, framework: Framework, registry: FrameworkRegistry) -> None:
    from assessment.i18n import Catalogues
    from assessment.web.routes.dashboard import _heat_cells

    organisation, units = tree(session)
    rounds = rounds_with_growth(session, framework, organisation, units, 2)
    factor = framework.factors[0].id
    marketing = units["Markkinointi"].id or 0
    t = Catalogues().translator("en")

    def shown() -> tuple[list[Decimal | None], str]:
        trends = dashboard.trends(session, registry, organisation)
        overview = dashboard.round_overview(session, registry, organisation, rounds[1])
        return trends.unit_trend(marketing, factor), str(_heat_cells(session, t, overview)[
            marketing])

    first = shown()
    assert first == shown()  # kept: the same figures again
    assert first[0] == [Decimal("2.0"), Decimal("3.0")] and ">3.0<" in first[1]
    answer_all(session, rounds[1], units["Markkinointi"], framework, 5, only=factor)
    trend, cells = shown()
    assert trend == [Decimal("2.0"), Decimal("5.0")] and ">5.0<" in cells

    # Another sub-tree is other units, so another weakest link: not the kept cells.
    whole = dashboard.round_overview(session, registry, organisation, rounds[1])
    branch = dashboard.round_overview(session, registry, organisation, rounds[1],
                                      units["Viestintä"].id)
    assert whole.scores_key == branch.scores_key
    assert set(_heat_cells(session, t, branch)) <= {u.id for u in units.values()} - {
        units["Asiakaspalvelu"].id}
    assert units["Asiakaspalvelu"].id in _heat_cells(session, t, whole)
