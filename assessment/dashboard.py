"""What leadership sees: units by factors in a round, the weakest link per factor, and trends
across rounds. Units are compared on their measured scores (see `roadmap.round_scores`).

The organisation's score for a factor is the mean of its measured units' scores; its
**weakest link** is the lowest unit score. Rounds pinned to different framework versions are
compared only on the factors whose ids they share with the newest round; rounds on another
framework are never compared (see `assessment.org_frameworks`).
The number of queries does not depend on the number of units.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from sqlmodel import Session

from assessment import org_frameworks, roadmap, services
from assessment.framework import Factor, Framework, FrameworkRegistry
from assessment.models import Organisation, Round, Unit, id_of
from assessment.roadmap import UnitScores
from assessment.scoring import ONE_DECIMAL, FactorScore

MAX_COMPARED_UNITS = 5


def mean(values: Sequence[Decimal]) -> Decimal | None:
    """The mean rounded half up to one decimal, or None for no values."""
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def subtree(session: Session, organisation: Organisation, root_id: int | None = None, *,
            tree: Sequence[services.TreeUnit] | None = None) -> list[services.TreeUnit]:
    """The organisation's units in tree order, or only `root_id` and the units below it.
    A root that is not one of the organisation's units gives an empty list. `tree`: the
    organisation's whole tree when the caller has it already."""
    tree = list(tree) if tree is not None else services.unit_tree(session, organisation)
    if root_id is None:
        return tree
    start = next((i for i, item in enumerate(tree) if item.unit.id == root_id), None)
    if start is None:
        return []
    depth = tree[start].depth
    end = next((i for i in range(start + 1, len(tree)) if tree[i].depth <= depth), len(tree))
    return [services.TreeUnit(item.unit, item.depth - depth) for item in tree[start:end]]


@dataclass(frozen=True)
class FactorSummary:
    """One factor across the units of a round."""

    factor: Factor
    average: Decimal | None
    weakest_score: Decimal | None
    weakest: tuple[Unit, ...]  # every unit with the lowest score (ties included)
    per_stage: tuple[int, ...]  # units at stage 1..N
    unmeasured: int


@dataclass(frozen=True)
class RoundOverview:
    """The heatmap of a round: a row per unit, a column per factor."""

    round: Round
    framework: Framework
    units: list[services.TreeUnit]
    scores: dict[int, UnitScores]
    factors: list[FactorSummary]
    # The round's score key (`roadmap.rounds_scores`), to keep what is worked out from the
    # scores under (`roadmap.kept_derived`); None when nothing is measured.
    scores_key: Hashable | None = None

    def cell(self, unit_id: int, factor_id: str) -> FactorScore | None:
        """The unit's score for the factor, or None when it has none."""
        measured = self.scores.get(unit_id)
        return measured.factors.get(factor_id) if measured else None

    @property
    def measured_units(self) -> int:
        """How many of the units have a score in the round."""
        return sum(1 for item in self.units if item.unit.id in self.scores)


def _summaries(framework: Framework, units: Sequence[Unit],
               scores: dict[int, UnitScores]) -> list[FactorSummary]:
    summaries = []
    for factor in framework.factors:
        values = [(unit, s.factors[factor.id].score) for unit in units
                  if (s := scores.get(id_of(unit))) and s.factors.get(factor.id)
                  and s.factors[factor.id].score is not None]
        per_stage = [0] * framework.stage_count
        for unit, _ in values:
            level = scores[id_of(unit)].stage(factor.id)
            if level is not None and framework.is_level(level):
                per_stage[level - framework.first_level] += 1
        lowest = min((v for _, v in values if v is not None), default=None)
        summaries.append(FactorSummary(
            factor, mean([v for _, v in values if v is not None]), lowest,
            tuple(u for u, v in values if v == lowest) if lowest is not None else (),
            tuple(per_stage), len(units) - len(values)))
    return summaries


def round_overview(session: Session, registry: FrameworkRegistry, organisation: Organisation,
                   round_: Round, root_id: int | None = None, *,
                   tree: Sequence[services.TreeUnit] | None = None) -> RoundOverview:
    """Units by factors for the round, for the whole organisation or a sub-tree."""
    framework = services.round_framework(session, registry, round_)[0]
    units = subtree(session, organisation, root_id, tree=tree)
    keys: list[Hashable | None] = []
    scores = roadmap.rounds_scores(session, [(round_, framework)],
                                   [id_of(u.unit) for u in units], keys=keys)[0]
    return RoundOverview(round_, framework, units, scores,
                         _summaries(framework, [u.unit for u in units], scores), keys[0])


@dataclass(frozen=True)
class TrendPoint:
    """A factor in one round: the organisation's average and weakest link, and per unit."""

    round: Round
    comparable: bool  # whether this round's framework has the factor
    average: Decimal | None
    weakest: Decimal | None
    units: dict[int, Decimal | None]


@dataclass(frozen=True)
class Trends:
    """Every factor of the newest round's framework, across the organisation's rounds."""

    rounds: list[Round]
    framework: Framework | None  # the newest round's framework
    versions: dict[int, str]  # round id -> framework version
    differing: list[Round]  # rounds on another framework version than the newest
    units: list[services.TreeUnit]
    factors: dict[str, list[TrendPoint]]

    def unit_trend(self, unit_id: int, factor_id: str) -> list[Decimal | None]:
        """A unit's score for a factor in each round."""
        return [point.units.get(unit_id) for point in self.factors.get(factor_id, [])]


Points = dict[str, tuple[Decimal | None, Decimal | None, dict[int, Decimal | None]]]


def _round_points(scores: dict[int, UnitScores], factor_ids: Sequence[str]) -> Points:
    """Per factor, a round's average, weakest score and each unit's score."""
    # One pass over the units for every factor (a large organisation has hundreds).
    by_factor: dict[str, dict[int, Decimal | None]] = {fid: {} for fid in factor_ids}
    for unit_id, measured_unit in scores.items():
        for factor_id, score in measured_unit.factors.items():
            if (values := by_factor.get(factor_id)) is not None:
                values[unit_id] = score.score
    points: Points = {}
    for factor_id, values in by_factor.items():
        present = [v for v in values.values() if v is not None]
        points[factor_id] = (mean(present), min(present, default=None), values)
    return points


def trends(session: Session, registry: FrameworkRegistry, organisation: Organisation,
           root_id: int | None = None, *,
           tree: Sequence[services.TreeUnit] | None = None,
           framework_id: str | None = None) -> Trends:
    """Per factor, the organisation's average and weakest link in every round on one
    framework (`framework_id`, by default the newest round's), and each unit's score; rounds
    on other versions of it count only for the shared factors. Rounds on another framework
    never count: a factor id two frameworks share is not the same factor."""
    rounds = services.list_rounds(session, organisation)
    if rounds:
        ids = org_frameworks.framework_ids(session, rounds)
        wanted_id = framework_id or ids[id_of(rounds[-1])]
        rounds = [r for r in rounds if ids[id_of(r)] == wanted_id]
    units = subtree(session, organisation, root_id, tree=tree)
    unit_ids = [id_of(item.unit) for item in units]
    if not rounds:
        return Trends([], None, {}, [], units, {})
    pinned = [services.round_framework(session, registry, r) for r in rounds]
    newest, newest_version = pinned[-1]
    factors: dict[str, list[TrendPoint]] = {f.id: [] for f in newest.factors}
    keys: list[Hashable | None] = []
    measured = roadmap.rounds_scores(session, [(r, framework) for r, (framework, _) in
                                               zip(rounds, pinned, strict=True)], unit_ids,
                                     keys=keys)
    wanted = tuple(factors)
    for round_, (framework, _version), scores, key in zip(rounds, pinned, measured, keys,
                                                          strict=True):
        known = {f.id for f in framework.factors}
        # A round's points change only with its scores and the units shown: kept under them.
        points = (roadmap.kept_derived(session, ("trend", key, tuple(unit_ids), wanted),
                                       partial(_round_points, scores, wanted))
                  if key is not None else _round_points(scores, wanted))
        for factor_id, (average, weakest, values) in points.items():
            factors[factor_id].append(TrendPoint(round_, factor_id in known, average, weakest,
                                                 values))
    return Trends(rounds, newest, {id_of(r): v.version for r, (_, v) in zip(rounds, pinned,
                                                                           strict=True)},
                  [r for r, (_, v) in zip(rounds, pinned, strict=True)
                   if v.content_hash != newest_version.content_hash],
                  units, factors)
