"""The `maturity` command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from assessment.cli import app
from assessment.db import create_db_engine
from assessment.framework import json_schema
from assessment.models import Answer, Assessment, AssessmentStatus, Organisation, Round, Unit
from tests.conftest import FIXTURES, FRAMEWORKS

runner = CliRunner()


def test_framework_check_prints_a_summary_for_a_valid_file() -> None:
    result = runner.invoke(app, ["framework", "check", str(FRAMEWORKS / "some-maturity.yaml")])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "some-maturity" in lines[0] and "8 factors, 5 stages" in lines[0]


def test_framework_check_lists_problems_and_exits_1(tmp_path: Path) -> None:
    text = (FIXTURES / "frameworks" / "three-stages.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("id: beta", "id: alpha"), encoding="utf-8")
    result = runner.invoke(app, ["framework", "check", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml" in result.output and "duplicate factor id 'alpha'" in result.output


def test_framework_schema_is_the_generated_schema() -> None:
    result = runner.invoke(app, ["framework", "schema"])
    assert result.exit_code == 0 and json.loads(result.output) == json_schema()


@pytest.fixture
def sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MATURITY_DATABASE_URL", url)
    monkeypatch.setenv("MATURITY_FRAMEWORKS_DIR", str(FRAMEWORKS))
    return url


def test_db_upgrade_and_demo_load_a_plausible_organisation(sqlite_file: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "demo loaded" in result.output
    engine = create_db_engine(sqlite_file)
    with Session(engine) as session:
        organisation = session.exec(select(Organisation)).one()
        units = session.exec(select(Unit)).all()
        assert len(units) >= 6
        assert any(u.parent_id is not None for u in units)
        rounds = session.exec(select(Round).order_by(Round.id)).all()
        assert len(rounds) == 3
        assert session.exec(select(func.count()).select_from(Answer)).one() > 500
        statuses = {a.status for a in session.exec(select(Assessment))}
        assert statuses == {AssessmentStatus.submitted, AssessmentStatus.draft}
        assert organisation.name
    engine.dispose()
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 0 and "already loaded" in again.output


def test_demo_shows_different_stages_and_change_over_rounds(sqlite_file: str) -> None:
    from assessment import services
    from assessment.framework import FrameworkRegistry

    assert runner.invoke(app, ["demo"]).exit_code == 0
    registry = FrameworkRegistry.from_directories([FRAMEWORKS])
    engine = create_db_engine(sqlite_file)
    with Session(engine) as session:
        rounds = session.exec(select(Round).order_by(Round.id)).all()
        stage_levels: set[int] = set()
        means = []
        for round_ in rounds[:2]:
            framework, _ = services.round_framework(session, registry, round_)
            totals = []
            for assessment in services.assessments_in_round(session, round_).values():
                scores = services.score_assessment(framework,
                                                   services.own_answers(session, assessment))
                stage_levels |= {s.stage_level for s in scores if s.stage_level}
                totals += [float(s.score) for s in scores if s.score is not None]
            means.append(sum(totals) / len(totals))
    engine.dispose()
    assert len(stage_levels) >= 4
    assert means[1] > means[0]


def test_serve_refuses_an_invalid_framework_file(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bad.yaml").write_text("schema_version: 1\nid: x\n", encoding="utf-8")
    monkeypatch.setenv("MATURITY_FRAMEWORKS_DIR", str(tmp_path))
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "bad.yaml" in result.output and "version: Field required" in result.output


def test_user_create_makes_an_administrator_who_can_sign_in(sqlite_file: str) -> None:
    from assessment import accounts

    result = runner.invoke(app, ["user", "create", "--email", "Boss@Example.com", "--name",
                                 "Pää Käyttäjä", "--admin"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert "created administrator boss@example.com" in result.output
    again = runner.invoke(app, ["user", "create", "--email", "boss@example.com", "--name",
                                "Toinen", "--password", "another long password"])
    assert again.exit_code == 1 and "already an account" in again.output
    engine = create_db_engine(sqlite_file)
    with Session(engine) as session:
        user = accounts.authenticate(session, email="boss@example.com",
                                     password="a long enough password", address="cli")
        assert user.is_admin
    engine.dispose()


def test_demo_prints_one_user_per_role(sqlite_file: str) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0
    for role in ("admin", "consultant", "leadership", "unit_lead"):
        assert re.search(rf"^  {role}\s+\S+@demo\.example", result.output, re.M), role
    password = re.search(r"with password (\S+)", result.output)
    assert password is not None


def test_demo_loads_any_framework_and_names_an_unknown_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`maturity demo --framework ID` for a framework of any shape (here one numbered from 0
    with groups, and one of three stages); a directory without the default framework gets a
    message naming the ones it has, not a traceback."""
    folder = tmp_path / "frameworks"
    folder.mkdir()
    for name in ("owasp-samm.yaml", "three-stages.yaml"):
        (folder / name).write_bytes((FIXTURES / "frameworks" / name).read_bytes())
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MATURITY_DATABASE_URL", url)
    monkeypatch.setenv("MATURITY_FRAMEWORKS_DIR", str(folder))
    missing = runner.invoke(app, ["demo"])
    assert missing.exit_code == 2 and missing.exception is not None
    assert "unknown framework 'some-maturity'" in missing.output
    assert "owasp-samm, three-stages" in missing.output
    for framework_id in ("owasp-samm", "three-stages"):
        result = runner.invoke(app, ["demo", "--framework", framework_id])
        assert result.exit_code == 0, result.output
        assert f"demo loaded: Pohjolan Palvelu Oy (demo, {framework_id})" in result.output
    engine = create_db_engine(url)
    with Session(engine) as session:
        levels = set(session.exec(select(Answer.level).join(Assessment).join(Round).join(
            Organisation).where(Organisation.name.endswith("owasp-samm)"))))  # type: ignore[attr-defined]
        assert {0, 3} <= levels and levels <= {0, 1, 2, 3, None}
    engine.dispose()
    again = runner.invoke(app, ["demo", "--framework", "owasp-samm"])
    assert again.exit_code == 0 and "already loaded" in again.output
