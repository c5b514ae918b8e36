"""Agenda templates: the shipped files, validation messages, the schema, plans from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from assessment.agendas import (
    AgendaFileError,
    AgendaLibrary,
    Plan,
    agenda_json_schema,
    parse_agenda,
    plan_from_template,
)
from assessment.cli import app as cli_app
from assessment.framework import Framework
from tests.conftest import FRAMEWORKS

AGENDAS = FRAMEWORKS / "agendas"


def full() -> dict[str, Any]:
    return yaml.safe_load((AGENDAS / "2-full-maturity-workshop.yaml").read_text("utf-8"))


def problems(data: Any, frameworks: list[Framework] | None = None) -> list[str]:
    with pytest.raises(AgendaFileError) as caught:
        parse_agenda(data, Path("bad.yaml"), frameworks or [])
    return [str(issue) for issue in caught.value.issues]


def test_the_shipped_templates_load_with_their_lengths(framework: Framework) -> None:
    library = AgendaLibrary.from_directory(AGENDAS, [framework])
    minutes = {t.id: plan_from_template(t, framework).minutes for t in library.templates}
    assert minutes == {"needs-and-expectations": 60, "full-maturity-workshop": 180,
                       "focus-workshop": 30}  # the focus workshop's factors are chosen later
    focus = library.get("focus-workshop")
    assert focus is not None and focus.minutes == 90  # with three chosen factors
    for template in library.templates:
        assert all(set(step.notes) == {"fi", "en"} for step in template.steps)
        assert template.checklist


def test_a_full_plan_has_every_factor_in_order(framework: Framework) -> None:
    template = AgendaLibrary.from_directory(AGENDAS).get("full-maturity-workshop")
    assert template is not None
    plan = plan_from_template(template, framework)
    assert [i.factor_id for i in plan.items if i.kind == "factor"] == \
        [f.id for f in framework.factors]
    assert plan.notes_for(plan.items[0]) == dict(template.steps[0].notes)
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan


@pytest.mark.parametrize("minutes", [0, -5, 481, "10"])
def test_a_timebox_out_of_range_is_refused(minutes: object) -> None:
    data = full()
    data["steps"][0]["minutes"] = minutes
    assert any(p.startswith("steps[0].minutes") for p in problems(data))


def test_an_agenda_without_steps_is_refused() -> None:
    data = full()
    data["steps"] = []
    assert any(p.startswith("steps:") for p in problems(data))


def test_unknown_factor_ids_missing_translations_and_repeated_kinds(
        framework: Framework) -> None:
    data = full()
    data["factors"] = ["goals-setting", "nonsense"]
    data["steps"][0]["notes"].pop("fi")
    data["steps"].append(data["steps"][1])
    found = problems(data, [framework])
    assert "factors[1]: unknown factor 'nonsense' in some-maturity" in found
    assert "steps[0].notes: missing translation 'fi'" in found
    assert "steps: the step kind 'needs_vote' appears 2 times" in found


def test_committed_agenda_schema_is_current() -> None:
    committed = json.loads((AGENDAS / "schema.json").read_text(encoding="utf-8"))
    assert committed == agenda_json_schema(), (
        "frameworks/agendas/schema.json is stale: run "
        "`maturity framework schema --agenda > frameworks/agendas/schema.json`")
    for file in AGENDAS.glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(file.read_text(encoding="utf-8")), committed)


def test_framework_check_covers_agenda_templates(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(cli_app, ["framework", "check", str(FRAMEWORKS / "some-maturity.yaml"),
                                   *map(str, sorted(AGENDAS.glob("*.yaml")))])
    assert good.exit_code == 0, good.output
    assert "agenda full-maturity-workshop: 5 steps, 180 min" in good.output
    (tmp_path / "agendas").mkdir()
    zero, unknown = full(), full()
    zero["steps"][2]["minutes"] = 0
    unknown["factors"] = ["no-such-factor"]
    files = []
    for name, data in (("zero", zero), ("unknown", unknown)):
        files.append(tmp_path / "agendas" / f"{name}.yaml")
        files[-1].write_text(yaml.safe_dump(data), encoding="utf-8")
    refused = runner.invoke(cli_app, ["framework", "check",
                                      str(FRAMEWORKS / "some-maturity.yaml"), *map(str, files)])
    assert refused.exit_code == 1
    assert "steps[2].minutes" in refused.output
    assert "unknown factor 'no-such-factor'" in refused.output
