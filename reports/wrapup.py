"""A workshop's wrap-up as data: the consensus per factor against the targets, the ranked
needs and the questions whose votes diverged (only where enough people voted to show them).
The slide deck (`reports.slides.wrapup_deck`) renders it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from assessment import services, workshops
from assessment.framework import Framework, FrameworkRegistry, Question
from assessment.models import Assessment, Organisation, Round, Unit, Workshop, utcnow
from assessment.workshops import VoteSummary
from reports.pdf import file_slug


@dataclass(frozen=True)
class NeedLine:
    """A need from the needs-and-expectations step and its dots."""

    text: str
    dots: int
    merged: int  # how many notes were merged into it
    factor_id: str | None


@dataclass(frozen=True)
class DivergentQuestion:
    """A question whose votes were three or more stages apart."""

    factor_id: str
    question: Question
    summary: VoteSummary


@dataclass(frozen=True)
class WrapUp:
    """Everything the wrap-up deck shows, independent of its language."""

    organisation_name: str
    unit_name: str
    round_name: str
    workshop_code: str
    framework: Framework
    generated_at: datetime
    participants: int
    scores: Mapping[str, Decimal | None]  # the consensus score per factor
    stages: Mapping[str, int | None]  # the consensus stage per factor
    targets: Mapping[str, int]
    needs: tuple[NeedLine, ...]
    divergent: tuple[DivergentQuestion, ...]
    closed: bool


def build_wrapup(session: Session, registry: FrameworkRegistry, workshop: Workshop, *,
                 min_votes: int, now: datetime | None = None) -> WrapUp:
    """Gather the workshop's wrap-up: consensus, targets, needs and divergent questions."""
    round_ = session.get(Round, workshop.round_id)
    unit = session.get(Unit, workshop.unit_id)
    assessment = session.get(Assessment, workshop.assessment_id)
    assert round_ is not None and unit is not None and assessment is not None  # foreign keys
    organisation = session.get(Organisation, round_.organisation_id)
    assert organisation is not None
    framework = services.round_framework(session, registry, round_)[0]
    scores = services.score_assessment(framework, services.own_answers(session, assessment))
    votes = workshops.question_votes(session, workshop)
    divergent = []
    for factor in framework.factors:
        for question in factor.questions:
            if question.id in votes:
                summary = workshops.summarise(votes[question.id], framework.stage_count,
                                              min_votes)
                if summary.divergent and not summary.hidden:
                    divergent.append(DivergentQuestion(factor.id, question, summary))
    return WrapUp(
        organisation_name=organisation.name, unit_name=unit.name, round_name=round_.name,
        workshop_code=workshop.code, framework=framework, generated_at=now or utcnow(),
        participants=workshops.participant_count(session, workshop),
        scores={s.factor_id: s.score for s in scores},
        stages={s.factor_id: s.stage_level for s in scores},
        targets=workshops.targets_for(session, workshop.round_id, workshop.unit_id),
        needs=tuple(NeedLine(n.need.text, n.dots, len(n.merged), n.need.factor_id)
                    for n in workshops.ranked_needs(session, workshop)),
        divergent=tuple(divergent), closed=workshop.status == "closed")


def wrapup_filename(wrapup: WrapUp, language: str) -> str:
    """A plain ASCII file name: workshop-wrap-up-<unit>-<round>-<language>.pptx."""
    return (f"workshop-wrap-up-{file_slug(wrapup.unit_name)}-{file_slug(wrapup.round_name)}-"
            f"{language}.pptx")
