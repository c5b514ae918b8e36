"""Radar charts: deterministic SVG, text kept as text, any number of axes and stages.

The golden file is rewritten with REGENERATE_GOLDEN=1 when a change to the chart is intended.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from reports.radar import RadarChart, RadarSeries, render_radar_svg

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "radar_basic.svg"
AXES = ("Setting goals", "Defining target groups and channels", "Planning activities",
        "Defining ownership", "Listening", "Participating and engaging others",
        "Measuring and analysing")
LEVELS = ("First steps", "Ad hoc", "Planned", "Integrated", "Strategic")


def finnish(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def sample() -> RadarChart:
    return RadarChart(
        title="Markkinointi <Kevät 2026>", axes=AXES, levels=LEVELS,
        series=(RadarSeries("Self-assessment", (3.2, 2.5, None, 4.1, 1.8, 2.9, 2.0)),
                RadarSeries("Target", (4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0), "dashed")),
        core_label="Learning and building a social-media culture", core_values=(3.5, 4.0),
        number_format=finnish)


def test_same_input_gives_the_same_bytes() -> None:
    assert render_radar_svg(sample()) == render_radar_svg(sample())


def test_same_bytes_in_another_process() -> None:
    code = (f"import sys; sys.path.insert(0, {str(HERE.parents[1])!r}); "
            "from tests.reports.test_radar import sample; "
            "from reports.radar import render_radar_svg; "
            "sys.stdout.write(render_radar_svg(sample()))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert other.stdout == render_radar_svg(sample())


def test_matches_the_golden_file() -> None:
    svg = render_radar_svg(sample())
    if os.environ.get("REGENERATE_GOLDEN") == "1":
        GOLDEN.write_text(svg, encoding="utf-8")
    assert svg == GOLDEN.read_text(encoding="utf-8")


def test_svg_is_inline_ready_and_accessible() -> None:
    svg = render_radar_svg(sample())
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!DOCTYPE" not in svg
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "radar-title"
    assert "width" not in root.attrib and root.get("viewBox")
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == "Markkinointi <Kevät 2026>"
    text = " ".join(" ".join(root.itertext()).split())
    for word in ["Listening", "Strategic", "Learning and building a social-media culture",
                 "3,5 / 4,0", "Self-assessment", "Target"]:
        assert word in text, word


def test_any_number_of_axes_and_stages() -> None:
    for axes, levels in [(3, 3), (19, 7), (7, 4)]:
        chart = RadarChart(title="t", axes=tuple(f"Factor {i}" for i in range(axes)),
                           levels=tuple(f"Stage {i}" for i in range(levels)),
                           series=(RadarSeries("s", tuple(float(1 + i % levels)
                                                          for i in range(axes))),))
        root = ET.fromstring(render_radar_svg(chart))
        text = " ".join(root.itertext())
        assert f"Factor {axes - 1}" in text and f"Stage {levels - 1}" in text


def test_no_values_draws_only_the_grid() -> None:
    chart = RadarChart(title="empty", axes=AXES, levels=LEVELS,
                       series=(RadarSeries("nothing", (None,) * len(AXES)),))
    svg = render_radar_svg(chart)
    assert "nothing" not in " ".join(ET.fromstring(svg).itertext())


def test_module_never_imports_pyplot() -> None:
    tree = ast.parse((HERE.parents[1] / "reports" / "radar.py").read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any("pyplot" in name for name in names)
