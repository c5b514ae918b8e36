"""Trend charts: deterministic SVG, gaps for rounds without a value, text kept as text."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET

import matplotlib
import pytest

from reports.trend import TrendChart, TrendSeries, render_trend_svg

SVG = "{http://www.w3.org/2000/svg}"
LEVELS = ("First steps", "Ad hoc", "Planned", "Integrated", "Strategic")
ROUNDS = ("Kevät 2025", "Syksy 2025", "Kevät 2026", "Syksy 2026")


def sample(title: str = "Listening <by round>") -> TrendChart:
    return TrendChart(
        title=title, rounds=ROUNDS, levels=LEVELS,
        series=(TrendSeries("Average", (2.1, 2.6, None, 3.4)),
                TrendSeries("Weakest link", (1.4, 1.8, 2.0, 2.2), "dashed")))


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def line_paths(svg: str) -> dict[str, list[str]]:
    """The path data of each drawn series (their groups are named series-N), in order."""
    root = ET.fromstring(svg)
    found: dict[str, list[str]] = {}
    for group in root.iter(f"{SVG}g"):
        gid = group.get("id", "")
        if re.search(r"-series-\d+$", gid):
            found[gid] = [p.get("d", "") for p in group.findall(f"{SVG}path")]
    return found


def test_same_input_gives_the_same_bytes() -> None:
    assert render_trend_svg(sample()) == render_trend_svg(sample())


def test_caller_rcparams_neither_change_the_output_nor_get_changed() -> None:
    expected = render_trend_svg(sample())
    with matplotlib.rc_context({"lines.linewidth": 7.0, "font.size": 30,
                                "svg.hashsalt": "other"}):
        assert render_trend_svg(sample()) == expected
        assert matplotlib.rcParams["lines.linewidth"] == 7.0


def test_concurrent_renders_stay_deterministic() -> None:
    expected = render_trend_svg(sample())
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(render_trend_svg(sample())))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


def test_svg_is_inline_ready_and_accessible() -> None:
    svg = render_trend_svg(sample())
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!DOCTYPE" not in svg
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("width") is None
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Listening <by round>"
    assert root.get("aria-labelledby") == title.get("id")
    assert "&lt;by round&gt;" in svg  # the title is escaped


def test_labels_are_text_rounds_stages_and_legend() -> None:
    found = texts(render_trend_svg(sample()))
    for name in ROUNDS:
        assert name in found
    for level, name in enumerate(LEVELS, start=1):
        assert f"{level}. {name}" in found
    assert "Average" in found and "Weakest link" in found


def test_a_round_without_a_value_leaves_a_gap() -> None:
    svg = render_trend_svg(sample())
    lines = line_paths(svg)
    assert len(lines) == 2
    average, weakest = (next(d for gid, d in lines.items() if gid.endswith(f"-series-{n}"))
                        for n in (0, 1))
    # The average has no value in the third round: its line stops and starts again.
    assert sum(d.count("M ") for d in average) == 2
    assert sum(d.count("M ") for d in weakest) == 1


def test_a_series_without_values_is_not_drawn_and_has_no_legend_entry() -> None:
    chart = TrendChart("t", ROUNDS[:2], LEVELS, (TrendSeries("Nothing", (None, None)),
                                                 TrendSeries("Unit", (None, 3.0))))
    svg = render_trend_svg(chart)
    assert "Nothing" not in texts(svg) and "Unit" in texts(svg)
    assert len(line_paths(svg)) == 1


def test_the_first_series_is_drawn_on_top() -> None:
    order = list(line_paths(render_trend_svg(sample())))
    assert [gid.rsplit("-", 1)[1] for gid in order] == ["1", "0"]  # later in SVG = on top


def test_ids_are_unique_per_chart() -> None:
    first, second = render_trend_svg(sample("A")), render_trend_svg(sample("B"))
    ids = set(re.findall(r'\sid="([^"]+)"', first))
    assert ids and ids.isdisjoint(re.findall(r'\sid="([^"]+)"', second))
    for reference in re.findall(r'(?:href="#|url\(#)([^")]+)', first):
        assert reference in ids


def test_long_round_names_wrap_and_many_rounds_fit() -> None:
    rounds = tuple(f"Arviointikierros numero {n}" for n in range(1, 8))
    chart = TrendChart("t", rounds, LEVELS, (TrendSeries("s", tuple(float(1 + n % 5)
                                                                     for n in range(7))),))
    found = texts(render_trend_svg(chart))
    assert "Arviointikierros" in found and "numero 7" in found


def test_inconsistent_charts_are_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 4 rounds"):
        TrendChart("t", ROUNDS, LEVELS, (TrendSeries("s", (1.0, 2.0)),))
    with pytest.raises(ValueError, match="at least one round"):
        TrendChart("t", (), LEVELS, ())
    with pytest.raises(ValueError, match="unknown style"):
        TrendSeries("s", (1.0,), "wavy")  # type: ignore[arg-type]
