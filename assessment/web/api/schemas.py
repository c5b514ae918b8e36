"""The API's response and request models: typed, frozen, documented in the OpenAPI document.

Ids are the database's (stable for the life of a record); factors, stages and questions keep
the framework's own string ids. Times are ISO 8601 in UTC, dates ISO 8601. Scores are numbers
with one decimal. New fields may be added to any model in v1; none is removed or renamed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assessment.models import ActionStatus, PhaseKind, WorkshopStatus

T = TypeVar("T")
LocalText = dict[str, str]
Source = Literal["self", "workshop"]


def utc(moment: datetime) -> datetime:
    """A stored time with its zone (SQLite returns them without; they are UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def number(value: Decimal | None) -> float | None:
    """A one-decimal score as a JSON number."""
    return float(value) if value is not None else None


class Model(BaseModel):
    """A frozen response model."""

    model_config = ConfigDict(frozen=True)


class Page(Model, Generic[T]):
    """One page of a list: `items` from `offset`, at most `limit`, of `total`."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class OrganisationOut(Model):
    """A client organisation."""

    id: int
    name: str
    created_at: datetime


class UnitOut(Model):
    """A unit in the organisation's tree (listed parents first, siblings by name)."""

    id: int
    name: str
    parent_id: int | None
    depth: int = Field(ge=0)
    created_at: datetime


class FrameworkRef(Model):
    """The exact framework content a round is pinned to."""

    id: str
    version: str
    content_hash: str


class RoundOut(Model):
    """An assessment round, pinned to a framework version."""

    id: int
    organisation_id: int
    name: str
    created_at: datetime
    framework: FrameworkRef


class StageOut(Model):
    """A maturity stage of the framework."""

    level: int
    id: str
    name: LocalText


class FactorOut(Model):
    """A success factor of the framework."""

    id: str
    name: LocalText
    core: bool
    questions: int


class RoundDetail(RoundOut):
    """A round with its framework's stages and factors."""

    stages: list[StageOut]
    factors: list[FactorOut]


class FactorScoreOut(Model):
    """A unit's measured score and stage of one factor, and which assessment it came from."""

    factor_id: str
    score: float | None = Field(description="Mean of the answered levels, one decimal; null: "
                                "fewer than half of the questions answered with a stage")
    stage_level: int | None
    stage_id: str | None
    source: Source | None = Field(description="The workshop consensus when the workshop "
                                  "scored the factor, else the self-assessment")
    questions: int
    answered: int
    dont_know: int
    not_applicable: int


class UnitScoresOut(Model):
    """A unit's measured scores in a round."""

    round_id: int
    unit_id: int
    kind: Source
    factors: list[FactorScoreOut]


class HeatCellOut(Model):
    """A unit's factor in the heatmap."""

    factor_id: str
    score: float | None
    stage_level: int | None
    stage_id: str | None
    source: Source | None
    weakest: bool = Field(description="The lowest score of the units shown (ties included)")


class HeatRowOut(Model):
    """A unit in the heatmap; a unit without results in the round has no cells."""

    unit_id: int
    name: str
    depth: int
    measured: bool
    cells: list[HeatCellOut]


class StageCount(Model):
    """How many (units, votes) are at a stage."""

    level: int
    count: int


class FactorSummaryOut(Model):
    """One factor across the units shown: average, weakest link, units per stage."""

    factor_id: str
    average: float | None
    weakest_score: float | None
    weakest_unit_ids: list[int]
    per_stage: list[StageCount]
    unmeasured: int


class HeatmapOut(Model):
    """Units by factors in a round, with the weakest link per factor."""

    round_id: int
    root_unit_id: int | None
    framework: FrameworkRef
    measured_units: int
    rows: list[HeatRowOut]
    factors: list[FactorSummaryOut]


class TrendRoundOut(Model):
    """A round along the trends, and whether it is on the newest round's framework version."""

    id: int
    name: str
    framework_version: str
    same_version_as_newest: bool


class UnitValue(Model):
    """A unit's score."""

    unit_id: int
    score: float | None


class TrendPointOut(Model):
    """A factor in one round: the organisation's average and weakest link, and per unit."""

    round_id: int
    comparable: bool = Field(description="Whether this round's framework has the factor")
    average: float | None
    weakest: float | None
    units: list[UnitValue]


class TrendFactorOut(Model):
    """One factor of the newest round's framework across the rounds."""

    factor_id: str
    name: LocalText
    points: list[TrendPointOut]


class TrendsOut(Model):
    """Every factor across the organisation's rounds (or a unit's sub-tree)."""

    organisation_id: int
    root_unit_id: int | None
    framework: FrameworkRef | None
    rounds: list[TrendRoundOut]
    factors: list[TrendFactorOut]


class FactorGapOut(Model):
    """A factor's measured stage, target stage and the gap between them."""

    factor_id: str
    score: float | None
    current_stage: int | None
    target_stage: int | None
    gap: int | None = Field(description="Stages to climb (0: reached); null without both")
    source: Source | None


class UnitGapsOut(Model):
    """A unit's targets and gaps in a round."""

    round_id: int
    unit_id: int
    factors: list[FactorGapOut]


class FactorLevel(Model):
    """A stage level for a factor."""

    factor_id: str
    level: int


class OwnerOut(Model):
    """A named person and their role in a phase."""

    id: int
    name: str
    role: str


class PhaseUnitOut(Model):
    """A unit of a phase: its targets (from its latest round with targets) and its latest
    measured stages."""

    unit_id: int
    plan_round_id: int | None
    latest_round_id: int | None
    targets: list[FactorLevel]
    latest_stages: list[FactorLevel]


class GateOut(Model):
    """Every unit of the phase must reach `level` on the factor; whether it holds now."""

    id: int
    factor_id: str
    level: int
    reached: int
    units: int
    holds: bool


class PhaseOut(Model):
    """A phase of the rollout roadmap."""

    id: int
    kind: PhaseKind
    name: str
    position: int
    starts_on: date | None
    ends_on: date | None
    focus: list[str]
    notes: str
    owners: list[OwnerOut]
    units: list[PhaseUnitOut]
    gates: list[GateOut]
    gates_holding: int
    targets: int
    targets_reached: int


class RoadmapOut(Model):
    """The organisation's rollout roadmap: needs, pilot, waves."""

    organisation_id: int
    phases: list[PhaseOut]


class ActionOut(Model):
    """An action a unit takes to move a factor up a stage."""

    id: int
    organisation_id: int
    unit_id: int
    factor_id: str
    from_level: int | None
    library_id: str | None
    text: str = Field(description="Its own text, or the framework action's in the `lang`")
    owner: str
    due_on: date | None
    status: ActionStatus
    position: int
    created_at: datetime
    updated_at: datetime


Owner = Annotated[str, StringConstraints(max_length=2000)]


class ActionPatch(BaseModel):
    """What a project tool may change of an action; a field left out stays as it is, and
    `due_on: null` clears the due date. Checked as the web form checks them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: ActionStatus | None = None
    owner: Owner | None = Field(default=None, description="At most 120 characters")
    due_on: date | None = None


class WorkshopOut(Model):
    """A workshop held for a unit in a round."""

    id: int
    round_id: int
    unit_id: int
    status: WorkshopStatus
    participants: int
    created_at: datetime
    closed_at: datetime | None


class VoteDistribution(Model):
    """Anonymous votes: counts per stage only when at least `min_votes` voted."""

    votes: int
    hidden: bool = Field(description="Fewer than the minimum voted: only the count is given")
    per_stage: list[StageCount] | None
    dont_know: int | None
    median: float | None
    spread: int | None
    divergent: bool | None


class QuestionVotesOut(Model):
    """A question's revealed votes."""

    question_id: str
    factor_id: str
    distribution: VoteDistribution


class TargetVotesOut(Model):
    """A factor's target votes."""

    factor_id: str
    distribution: VoteDistribution


class WorkshopVotesOut(Model):
    """A workshop's votes as anonymous distributions: revealed questions (every question once
    the workshop has ended) and target votes."""

    workshop_id: int
    min_votes: int
    questions: list[QuestionVotesOut]
    targets: list[TargetVotesOut]
