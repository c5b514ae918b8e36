"""`maturity export` and `maturity import`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from assessment.cli import app
from assessment.db import create_db_engine
from assessment.models import Answer, Organisation
from tests.conftest import FRAMEWORKS

runner = CliRunner()


def use_database(monkeypatch: pytest.MonkeyPatch, file: Path) -> str:
    url = f"sqlite:///{file}"
    monkeypatch.setenv("MATURITY_DATABASE_URL", url)
    monkeypatch.setenv("MATURITY_FRAMEWORKS_DIR", str(FRAMEWORKS))
    return url


def counts(url: str) -> tuple[int, int]:
    engine = create_db_engine(url)
    with Session(engine) as session:
        found = (session.exec(select(func.count()).select_from(Organisation)).one(),
                 session.exec(select(func.count()).select_from(Answer)).one())
    engine.dispose()
    return found


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo organisation exported from a first database."""
    use_database(monkeypatch, tmp_path / "first.db")
    assert runner.invoke(app, ["demo"]).exit_code == 0
    output = tmp_path / "demo.json"
    result = runner.invoke(app, ["export", "1", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"exported Pohjolan Palvelu Oy (demo) to {output}"
    return output


def test_export_import_export_gives_the_same_file(exported: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url = use_database(monkeypatch, tmp_path / "second.db")
    result = runner.invoke(app, ["import", str(exported)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("imported organisation 1: Pohjolan Palvelu Oy (demo): "
                                    "8 units, 3 rounds, ")
    again = tmp_path / "again.json"
    assert runner.invoke(app, ["export", "1", "-o", str(again)]).exit_code == 0
    assert again.read_bytes() == exported.read_bytes()
    assert counts(url)[0] == 1
    second = runner.invoke(app, ["import", str(exported)])
    assert second.exit_code == 1 and "import only into an empty database" in second.output
    assert counts(url)[0] == 1


def test_an_invalid_file_prints_every_problem_and_changes_nothing(
        exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = use_database(monkeypatch, tmp_path / "second.db")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    data = json.loads(exported.read_text(encoding="utf-8"))
    data["rounds"][2]["assessments"][0]["answers"][0]["question_id"] = "no-such-question"
    data["actions"][-1]["status"] = "forgotten"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["import", str(bad)])
    assert result.exit_code == 1
    last = len(data["actions"]) - 1
    assert f"actions[{last}].status: Input should be 'planned'" in result.output
    # Types are checked first; once they are right, every reference problem is listed.
    data["actions"][-1]["status"] = "planned"
    data["units"][3]["parent"] = "unit-42"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["import", str(bad)])
    assert result.exit_code == 1
    assert "Invalid import file:" in result.output
    assert "rounds[2].assessments[0].answers[0].question_id: unknown question " \
           "'no-such-question'" in result.output
    assert "units[3].parent: unknown unit 'unit-42'" in result.output
    assert counts(url) == (0, 0)


def test_unreadable_and_non_json_files_and_unknown_organisations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_database(monkeypatch, tmp_path / "empty.db")
    text = tmp_path / "notes.json"
    text.write_text("{ not json", encoding="utf-8")
    result = runner.invoke(app, ["import", str(text)])
    assert result.exit_code == 1 and "not valid JSON" in result.output
    missing = runner.invoke(app, ["import", str(tmp_path / "missing.json")])
    assert missing.exit_code == 1 and "cannot read" in missing.output
    unknown = runner.invoke(app, ["export", "5", "--output", str(tmp_path / "x.json")])
    assert unknown.exit_code == 1 and "no organisation 5" in unknown.output
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("text", ["[" * 1000 + "]" * 1000, '{"format": 1' + "0" * 5000 + "}",
                                  '{"format": "a", "format": "b"}', '{"a": "\\u0000"}',
                                  "\xff\xfe"])
def test_a_hostile_file_gets_its_problems_and_no_traceback(
        text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = use_database(monkeypatch, tmp_path / "empty.db")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    hostile = tmp_path / "hostile.json"
    hostile.write_bytes(text.encode("latin-1") if text == "\xff\xfe" else text.encode())
    result = runner.invoke(app, ["import", str(hostile)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "Invalid import file" in result.output
    assert counts(url) == (0, 0)
