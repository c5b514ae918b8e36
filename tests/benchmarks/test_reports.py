"""The reports benchmark: its generated roadmap, its memory readings, and a tiny run end to end
so it keeps working."""

from __future__ import annotations

import os
import re

import pytest
from sqlmodel import Session, select

from assessment import roadmap, services
from assessment.demo import load_large_demo
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import Action, Phase, PhaseUnit
from benchmarks import reports


def test_the_generated_roadmap_places_every_unit_with_targets_and_actions(
        session: Session, registry: FrameworkRegistry, framework: Framework) -> None:
    organisation = load_large_demo(session, framework, units=12, rounds=2).organisation
    count = reports.plan_large_roadmap(session, framework, organisation)
    phases = roadmap.phases(session, organisation)
    assert [p.kind for p in phases] == ["needs", "pilot", "wave", "wave", "wave"]
    placed = session.exec(select(PhaseUnit)).all()
    assert len(placed) == 12 == len({p.unit_id for p in placed})
    assert not session.exec(select(PhaseUnit).where(PhaseUnit.phase_id == phases[0].id)).all()
    actions = session.exec(select(Action)).all()
    assert count == len(actions) > 0
    assert all(a.owner and a.due_on for a in actions)
    latest = services.list_rounds(session, organisation)[-1]
    progress = roadmap.roadmap(session, registry, organisation)
    planned = [u for item in progress[1:] for u in item.units if u.targets]
    assert planned and all(u.plan_round is not None and u.plan_round.id == latest.id
                           for u in planned)
    assert all(p.starts_on and p.ends_on for p in session.exec(select(Phase)))


def test_memory_is_read_from_proc() -> None:
    found = reports.memory(os.getpid())
    assert set(found) == {"VmRSS", "VmHWM"} and 0 < found["VmRSS"] <= found["VmHWM"]
    assert reports.mb(1536) == "1.5 MB"


def test_a_tiny_run_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    assert reports.main(["--runs", "1", "--roadmap-runs", "1", "--units", "6", "--rounds", "2",
                         "--web-reports", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"ratio full / bare\s+\d+\.\d\d", out)
    assert re.search(r"\(b\) roadmap, 6 units, \d+ actions, \d+ pages", out)
    assert re.search(r"full path, median of 1\s+\d+\.\d\d s", out)
    assert re.search(r"VmRSS after each roadmap\s+\d+\.\d MB\s+[+-]\d+\.\d MB", out)
    assert re.search(r"ask → downloaded, per roadmap\s+\d+\.\d s", out)
