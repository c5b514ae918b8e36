"""The facilitator guide and the needs result on the command line, read back with pypdf."""

from __future__ import annotations

from pathlib import Path

import pypdf
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from assessment import services, workshops
from assessment.cli import app as cli
from assessment.framework import Framework
from assessment.models import Need
from reports.guide import prompts_of
from tests.factories import make_organisation, make_unit


def test_prompts_are_read_when_present_and_none_otherwise(framework: Framework) -> None:
    factor = framework.factors[0]
    assert prompts_of(object()) == ()
    assert prompts_of(factor) == tuple(getattr(factor, "prompts", ()))

    class Prompted:
        prompts = ({"fi": "Mitä pitäisi olla totta?", "en": "What would have to be true?"},)

    assert prompts_of(Prompted()) == ({"fi": "Mitä pitäisi olla totta?",
                                       "en": "What would have to be true?"},)


def test_the_command_line_writes_the_guide_and_the_needs_result(
        cli_database: Engine, framework: Framework, tmp_path: Path) -> None:
    with Session(cli_database, expire_on_commit=False) as session:
        organisation = make_organisation(session)
        unit = make_unit(session, organisation=organisation, name="Asiakaspalvelu")
        round_ = services.create_round(session, organisation, "Kevät 2026", framework)
        workshop = workshops.create_workshop(session, round_, unit, by=None)
        session.add(Need(workshop_id=workshop.id, text="Yhteinen vuosikello",
                         factor_id=framework.factors[2].id))
        session.commit()
    guide = tmp_path / "opas.pdf"
    result = CliRunner().invoke(cli, ["report", "guide", "--workshop", str(workshop.id),
                                      "--language", "en", "--output", str(guide)])
    assert result.exit_code == 0, result.output
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(guide).pages).split())
    assert "Timetable" in text and workshop.code in text and "/join?code=" in text
    assert "0:00 Needs and expectations 20 min" in text
    missing = CliRunner().invoke(cli, ["report", "guide", "--workshop", "9999",
                                       "--output", str(tmp_path / "x.pdf")])
    assert missing.exit_code == 1 and "no workshop 9999" in missing.output

    needs = tmp_path / "tarpeet.pdf"
    result = CliRunner().invoke(cli, ["report", "needs", "--round", str(round_.id), "--unit",
                                      str(unit.id), "--language", "fi", "--output", str(needs)])
    assert result.exit_code == 0, result.output
    reader = pypdf.PdfReader(needs)
    text = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages) == 1
    assert "Yhteinen vuosikello" in text and framework.factors[2].name["fi"] in text
    assert "Ei vielä vaihetta" in text  # no roadmap phase takes the factor up yet
