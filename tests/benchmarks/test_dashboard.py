"""The dashboard benchmark: a tiny run end to end, so it keeps working."""

from __future__ import annotations

import re

import pytest

from benchmarks import dashboard


def test_a_tiny_run_prints_both_sizes_and_their_ratios(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = dashboard.main(["--sizes", "2", "5", "--rounds", "2", "--requests", "2",
                           "--warm-up", "1"])
    out = capsys.readouterr().out
    rows = re.findall(r"^\s+(\d+)\s+(page|fragment)\s+([\d.]+) ms\s+([\d.]+) ms\s+(\d+) kB$",
                      out, re.MULTILINE)
    # Every request was checked: status 200 and a heatmap row per unit (else it raises).
    assert sorted((int(units), kind) for units, kind, *_ in rows) == [
        (2, "fragment"), (2, "page"), (5, "fragment"), (5, "page")]
    assert all(float(median) > 0 and float(p95) >= float(median) for *_, median, p95, _ in rows)
    ratios = re.findall(r"ratio 5 / 2 units \((page|fragment), medians\): ([\d.]+)\s+"
                        r"\(aim <= 2: (met|MISSED)\)", out)
    assert [kind for kind, *_ in ratios] == ["page", "fragment"]
    assert code == (0 if all(verdict == "met" for *_, verdict in ratios) else 1)
