"""Factories for tests: keyword-only helpers that create and commit rows."""

from __future__ import annotations

from sqlmodel import Session

from assessment import services
from assessment.framework import Framework
from assessment.models import Assessment, Organisation, Round, Unit


def make_organisation(session: Session, *, name: str = "Testi Oy") -> Organisation:
    """An organisation."""
    organisation = services.create_organisation(session, name)
    session.commit()
    return organisation


def make_unit(session: Session, *, organisation: Organisation, name: str = "Asiakaspalvelu",
              parent: Unit | None = None) -> Unit:
    """A unit of the organisation."""
    unit = services.create_unit(session, organisation, name, parent.id if parent else None)
    session.commit()
    return unit


def make_round(session: Session, *, organisation: Organisation, framework: Framework,
               name: str = "Kevät 2026") -> Round:
    """A round pinned to the framework."""
    round_ = services.create_round(session, organisation, name, framework)
    session.commit()
    return round_


def make_assessment(session: Session, *, framework: Framework, unit_name: str = "Markkinointi",
                    levels: dict[str, str] | None = None, submit: bool = False,
                    ) -> tuple[Assessment, Round, Unit]:
    """A self-assessment in a new organisation and round, with answers {question id: choice}."""
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation, name=unit_name)
    round_ = make_round(session, organisation=organisation, framework=framework)
    assessment = services.get_or_create_assessment(session, round_, unit)
    if levels:
        services.save_answers(session, assessment, framework,
                              [services.AnswerInput(q, c) for q, c in levels.items()])
    if submit:
        services.submit_assessment(session, assessment)
    session.commit()
    return assessment, round_, unit
