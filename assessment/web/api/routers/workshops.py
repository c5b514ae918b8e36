"""Workshops: votes only as anonymous distributions, and only when enough people voted."""

from __future__ import annotations

from fastapi import APIRouter

from assessment import services, workshops
from assessment.framework import Framework
from assessment.models import WorkshopStatus, id_of
from assessment.web.api.access import WorkshopRead
from assessment.web.api.schemas import (
    QuestionVotesOut,
    StageCount,
    TargetVotesOut,
    VoteDistribution,
    WorkshopVotesOut,
    number,
)
from assessment.web.deps import RegistryDep, SessionDep, SettingsDep

router = APIRouter()


def distribution(framework: Framework, summary: workshops.VoteSummary) -> VoteDistribution:
    """A vote summary as the API shows it: nothing but the count while it is hidden."""
    if summary.hidden:
        return VoteDistribution(votes=summary.votes, hidden=True, per_stage=None,
                                dont_know=None, median=None, spread=None, divergent=None)
    return VoteDistribution(
        votes=summary.votes, hidden=False,
        per_stage=[StageCount(level=framework.level_of(stage.id), count=count)
                   for stage, count in zip(framework.stages, summary.by_level, strict=True)],
        dont_know=summary.dont_know, median=number(summary.median), spread=summary.spread,
        divergent=summary.divergent)


@router.get("/workshops/{workshop_id}/votes", response_model=WorkshopVotesOut)
def get_votes(workshop: WorkshopRead, session: SessionDep, registry: RegistryDep,
              settings: SettingsDep) -> WorkshopVotesOut:
    """The workshop's votes per question (revealed ones; every one once the workshop has
    ended) and per factor's target, each as an anonymous distribution: no vote is tied to a
    participant, and fewer than `min_votes` votes give only their count."""
    framework = services.framework_of_round(session, registry, workshop.round_id)
    minimum = settings.workshop_min_votes
    closed = workshop.status == WorkshopStatus.closed
    votes = workshops.question_votes(session, workshop)
    questions = []
    for factor in framework.factors:
        for question in factor.questions:
            if question.id not in votes:
                continue
            if not closed and not workshops.is_revealed(session, workshop, question.id):
                continue
            questions.append(QuestionVotesOut(question_id=question.id, factor_id=factor.id,
                                              distribution=distribution(framework, (
                                                  workshops.summarise(votes[question.id],
                                                                      framework.stage_count,
                                                                      minimum)))))
    targets = []
    for factor in framework.factors:
        levels = workshops.target_votes(session, workshop, factor.id)
        if levels:
            targets.append(TargetVotesOut(factor_id=factor.id, distribution=distribution(
                framework, workshops.summarise([("level", lv) for lv in levels],
                                               framework.stage_count, minimum))))
    return WorkshopVotesOut(workshop_id=id_of(workshop), min_votes=minimum,
                            questions=questions, targets=targets)
