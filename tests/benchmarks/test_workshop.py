"""The workshop benchmark: its measurements, and a tiny run end to end so it keeps working."""

from __future__ import annotations

import re

import pytest

from benchmarks import _common, workshop


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert _common.percentile(values, 0.5) == 50
    assert _common.percentile(values, 0.99) == 99
    assert _common.percentile([3.0], 0.99) == 3
    assert _common.percentile([], 0.5) == 0


def test_a_tiny_run_stores_every_vote(capsys: pytest.CaptureFixture[str]) -> None:
    assert workshop.main(["--participants", "3", "--questions", "2", "--workers", "1",
                          "--concurrency", "2"]) == 0
    out = capsys.readouterr().out
    figures = dict(re.findall(r"^  (\S.*?)\s{2,}(\S.*)$", out, re.MULTILINE))
    assert figures["participants joined"] == "3"
    assert figures["votes sent"] == "6" and figures["votes acknowledged (2xx)"] == "6"
    assert figures["votes stored"] == "6  (equal)"
    assert figures["rows sent / stored"] == "6 / 6"
    assert "Failed requests" not in out


def test_phones_tap_not_applicable_only_where_the_question_allows_it() -> None:
    from assessment.framework import FrameworkRegistry
    from tests.conftest import FRAMEWORKS

    framework = FrameworkRegistry.from_directories([FRAMEWORKS]).get("some-maturity")
    questions = [q for f in framework.factors for q in f.questions]
    offered = {q.id for q in questions if "not_applicable" in workshop.choices(framework, q)}
    assert offered == {q.id for q in questions if q.not_applicable} != set()
    assert "not_applicable" not in workshop.choices(framework)
