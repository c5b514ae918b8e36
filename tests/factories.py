"""Factories for tests: keyword-only helpers that create and commit rows."""

from __future__ import annotations

from functools import cache

from sqlmodel import Session

from assessment import accounts, services
from assessment.framework import Framework
from assessment.models import Assessment, Organisation, Role, Round, Unit, User

PASSWORD = "correct horse battery"


@cache
def _password_hash() -> str:
    # Hashing is deliberately slow; every test user shares one hash of PASSWORD.
    return accounts.hash_password(PASSWORD)


def make_user(session: Session, *, email: str, name: str = "Testi Käyttäjä",
              is_admin: bool = False, organisation: Organisation | None = None,
              role: Role | None = None, units: list[Unit] | None = None) -> User:
    """A user with the password PASSWORD, optionally with a role in an organisation."""
    user = User(email=email, name=name, password_hash=_password_hash(), is_admin=is_admin)
    session.add(user)
    session.flush()
    if organisation is not None and role is not None:
        accounts.grant(session, user, organisation, role, [u.id or 0 for u in units or []])
    session.commit()
    return user


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
