"""Radar charts: deterministic SVG, text kept as text, any number of axes and stages.

The golden file tests/reports/golden/radar_basic.svg is compared byte for byte. When a change to
the chart is intended, rewrite it with

    REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/reports/test_radar.py

look at the new file in a browser, and commit it with the change.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest

from reports.radar import RadarChart, RadarSeries, render_radar_svg

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
GOLDEN = HERE / "golden" / "radar_basic.svg"
SVG = "{http://www.w3.org/2000/svg}"
AXES = ("Setting goals", "Defining target groups and channels", "Planning activities",
        "Defining ownership", "Listening", "Participating and engaging others",
        "Measuring and analysing")
LEVELS = ("First steps", "Ad hoc", "Planned", "Integrated", "Strategic")
CORE = "Learning and building a social-media culture"


def finnish(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def sample() -> RadarChart:
    return RadarChart(
        title="Markkinointi <Kevät 2026>", axes=AXES, levels=LEVELS,
        series=(RadarSeries("Self-assessment", (3.2, 2.5, None, 4.1, 1.8, 2.9, 2.0)),
                RadarSeries("Target", (4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0), "dashed")),
        core_label=CORE, core_values=(3.5, 4.0), number_format=finnish)


def one_series(values: tuple[float | None, ...]) -> RadarChart:
    return RadarChart(title="t", axes=AXES, levels=LEVELS, series=(RadarSeries("s", values),))


def texts(svg: str) -> list[str]:
    """The text of each <text> element: a wrapped label is one element of <tspan> lines."""
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def all_text(svg: str) -> str:
    """All the chart's text with whitespace collapsed, as a search would see it."""
    return " ".join(" ".join(ET.fromstring(svg).itertext()).split())


def test_same_input_gives_the_same_bytes() -> None:
    assert render_radar_svg(sample()) == render_radar_svg(sample())


def test_same_bytes_in_another_process_without_pyplot() -> None:
    code = ("import sys; "
            "from tests.reports.test_radar import sample; "
            "from reports.radar import render_radar_svg; "
            "svg = render_radar_svg(sample()); "
            "assert 'matplotlib.pyplot' not in sys.modules; "
            "sys.stdout.buffer.write(svg.encode('utf-8'))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                           cwd=REPO, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert other.stdout == render_radar_svg(sample()).encode("utf-8")


def test_matches_the_golden_file() -> None:
    """Regenerate with REGENERATE_GOLDEN=1 (see the module docstring)."""
    svg = render_radar_svg(sample()).encode("utf-8")
    if os.environ.get("REGENERATE_GOLDEN") == "1":
        GOLDEN.write_bytes(svg)
    assert svg == GOLDEN.read_bytes()


def test_caller_rcparams_neither_change_the_output_nor_get_changed() -> None:
    expected = render_radar_svg(sample())
    with matplotlib.rc_context({"font.size": 20, "lines.linewidth": 5,
                                "svg.hashsalt": None, "svg.fonttype": "path"}):
        # dict.copy: reading rcParams["backend"] through RcParams would resolve the backend.
        before = dict.copy(matplotlib.rcParams)
        assert render_radar_svg(sample()) == expected
        assert dict.copy(matplotlib.rcParams) == before


def test_concurrent_renders_stay_deterministic() -> None:
    expected = render_radar_svg(sample())
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(render_radar_svg(sample())))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


def test_svg_is_inline_ready_and_accessible() -> None:
    svg = render_radar_svg(sample())
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!DOCTYPE" not in svg
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert "width" not in root.attrib and "height" not in root.attrib
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox") or "")
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Markkinointi <Kevät 2026>"
    assert root.get("aria-labelledby") == title.get("id")
    assert "<metadata" not in svg  # no creator, date or other run-dependent data


def test_text_stays_text_one_element_per_label_with_a_sans_fallback() -> None:
    svg = render_radar_svg(sample())
    elements = texts(svg)
    # A wrapped label is one <text> whose lines end in a space: copy and find see the words.
    for label in [*AXES, *LEVELS, "Self-assessment", "Target", f"{CORE} 3,5 / 4,0"]:
        assert label in elements, label
    root = ET.fromstring(svg)
    lines = [t.text or "" for t in root.iter(f"{SVG}tspan")]
    assert "Defining target " in lines and all(len(line.strip()) <= 18 for line in lines
                                                if line.strip() in " ".join(AXES))
    assert "font-family: 'DejaVu Sans', 'Verdana', sans-serif" in svg
    assert "<path" in svg and "<text" in svg and 'id="DejaVuSans' not in svg  # no glyph paths


def test_core_badge_shows_the_core_name_and_values_in_the_number_format() -> None:
    svg = render_radar_svg(sample())
    root = ET.fromstring(svg)
    assert CORE not in AXES and f"{CORE} 3,5 / 4,0" in texts(svg)
    tooltips = [t.text for t in root.iter(f"{SVG}title")]
    assert f"{CORE}: 3,5 / 4,0" in tooltips  # the whole name on hover, even if shortened
    english = render_radar_svg(RadarChart(
        title="t", axes=AXES, levels=LEVELS, series=sample().series, core_label=CORE,
        core_values=(3.5, None)))
    assert f"{CORE} 3.5 / –" in texts(english)


def test_no_core_no_badge() -> None:
    svg = render_radar_svg(one_series((2.0,) * 7))
    assert not [t for t in ET.fromstring(svg).iter(f"{SVG}title") if t.text != "t"]
    assert '-core"' not in svg and texts(svg).count("s") == 1


@pytest.mark.parametrize(("axes", "levels"), [(3, 3), (3, 7), (19, 3), (19, 7), (2, 5)])
def test_any_number_of_axes_and_stages(axes: int, levels: int) -> None:
    chart = RadarChart(
        title="t", axes=tuple(f"Factor {i} with a fairly long name" for i in range(axes)),
        levels=tuple(f"Stage {i}" for i in range(1, levels + 1)),
        series=(RadarSeries("a", tuple(float(1 + i % levels) for i in range(axes))),
                RadarSeries("b", tuple(float(levels) for _ in range(axes)), "dotted")),
        core_label="Core", core_values=(1.0, 2.0))
    elements = texts(render_radar_svg(chart))
    for i in range(axes):
        assert f"Factor {i} with a fairly long name" in elements
    for i in range(1, levels + 1):
        assert f"Stage {i}" in elements
    assert "Core 1.0 / 2.0" in elements


def test_missing_values_get_no_marker_and_all_missing_draws_only_the_grid() -> None:
    # One marker per present value, plus one in the legend.
    full = render_radar_svg(one_series((1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 3.0)))
    assert full.count("<use ") == 7 + 1
    gaps = render_radar_svg(one_series((1.0, None, 3.0, 4.0, None, None, 3.0)))
    assert gaps.count("<use ") == 4 + 1
    empty = render_radar_svg(one_series((None,) * len(AXES)))
    assert "<use " not in empty and "s" not in texts(empty)  # no line, no legend
    assert "Strategic" in texts(empty)


def test_ids_are_unique_per_chart_and_references_stay_inside_it() -> None:
    first, second = render_radar_svg(sample()), render_radar_svg(one_series((1.0,) * 7))
    ids = [set(re.findall(r'\sid="([^"]+)"', svg)) for svg in (first, second)]
    assert ids[0] and not ids[0] & ids[1]
    for svg, own in zip((first, second), ids, strict=True):
        assert set(re.findall(r'(?:href="#|url\(#)([^")]+)', svg)) <= own


def test_user_text_is_escaped_and_unchanged() -> None:
    label = 'Kevät <b>2026</b> id="x" url(#y) & co'
    chart = RadarChart(title=label, axes=AXES, levels=LEVELS,
                       series=(RadarSeries(label, (2.0,) * 7),))
    svg = render_radar_svg(chart)
    assert "<b>" not in svg
    assert label in texts(svg) and label in all_text(svg)
    assert ET.fromstring(svg).find(f"{SVG}title").text == label  # type: ignore[union-attr]


def test_inconsistent_charts_are_refused() -> None:
    with pytest.raises(ValueError, match="6 values for 7 axes"):
        one_series((1.0,) * 6)
    with pytest.raises(ValueError, match="unknown style"):
        RadarSeries("s", (1.0,), "wavy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="core values"):
        RadarChart(title="t", axes=AXES, levels=LEVELS, series=sample().series,
                   core_label=CORE, core_values=(1.0,))


def test_module_never_imports_pyplot() -> None:
    tree = ast.parse((REPO / "reports" / "radar.py").read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    names |= {f"{node.module}.{alias.name}" for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert not any("pyplot" in name for name in names)
    assert "matplotlib.use" not in ast.unparse(tree)
