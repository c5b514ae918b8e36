"""`maturity demo --units N --rounds M` loads a large organisation for the leadership view."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, func, select
from typer.testing import CliRunner

from assessment import dashboard
from assessment.cli import app
from assessment.db import create_db_engine
from assessment.demo import large_demo_name
from assessment.models import Answer, Assessment, Membership, Organisation, Round, User
from tests.assessment.test_cli import sqlite_file  # noqa: F401 - the fixture

runner = CliRunner()


def test_large_demo_makes_a_tree_of_units_assessed_every_round(sqlite_file: str) -> None:  # noqa: F811
    result = runner.invoke(app, ["demo", "--units", "60", "--rounds", "3"])
    assert result.exit_code == 0, result.output
    assert "60 units, 3 rounds, 7200 answers" in result.output
    engine = create_db_engine(sqlite_file)
    with Session(engine) as session:
        organisation = session.exec(select(Organisation).where(
            Organisation.name == large_demo_name(60, 3))).one()
        tree = dashboard.subtree(session, organisation)
        assert len(tree) == 60
        depths = Counter(item.depth for item in tree)
        assert set(depths) == {0, 1, 2} and depths[0] == 2, "divisions, departments, teams"
        rounds = list(session.exec(select(Round).where(
            Round.organisation_id == organisation.id)))
        assert len(rounds) == 3
        per_round = session.exec(select(func.count()).select_from(Assessment).where(
            Assessment.round_id == rounds[0].id)).one()
        assert per_round == 60
        roles = {user.email: m.role for m, user in session.exec(
            select(Membership, User).join(User).where(
                Membership.organisation_id == organisation.id))}
        assert roles == {"konsultti@demo.example": "consultant",
                         "johto@demo.example": "leadership"}
        before = session.exec(select(func.count()).select_from(Answer)).one()
    again = runner.invoke(app, ["demo", "--units", "60", "--rounds", "3"])
    assert again.exit_code == 0 and "large demo already loaded" in again.output
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Answer)).one() == before
    engine.dispose()
