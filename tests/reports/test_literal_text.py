"""Every user text on every chart is drawn as typed: no mathtext, no dropped legend entries."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from reports.radar import RadarChart, RadarSeries, render_radar_svg
from reports.timeline import TimelineBar, TimelineChart, render_timeline_svg
from reports.trend import TrendChart, TrendSeries, render_trend_svg

SVG = "{http://www.w3.org/2000/svg}"
# Names people type that matplotlib would otherwise interpret: mathtext between dollars (an
# unknown command fails the whole chart), a percent and a backslash, a leading underscore
# (a legend leaves such labels out) and markup.
HOSTILE = ["Sales $\\foo$", "50% \\n", "_Hidden unit", "$x^2$ & <b>bold</b>"]


def texts(svg: str) -> str:
    """Every text of the SVG, joined (tick labels may be wrapped onto several lines)."""
    found = ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]
    return " ".join(" ".join(found).split())


@pytest.mark.parametrize("name", HOSTILE)
def test_radar_draws_every_name_literally(name: str) -> None:
    chart = RadarChart(title=name, axes=(name, "B", "C"), levels=(name, "Two", "Three"),
                       series=(RadarSeries(name, (1.0, 2.0, 3.0)),
                               RadarSeries(f"{name} 2", (2.0, 2.0, 2.0), "dashed")),
                       core_label=name, core_values=(2.0, 2.0))
    drawn = texts(render_radar_svg(chart))
    assert drawn.count(name) >= 5, drawn  # an axis, a ring, two legend entries, the core
    assert f"{name} 2" in drawn


@pytest.mark.parametrize("name", HOSTILE)
def test_trend_draws_every_name_literally(name: str) -> None:
    chart = TrendChart(title=name, rounds=(name, "Syksy 2026"), levels=(name, "Two", "Three"),
                       series=(TrendSeries(name, (1.0, 2.0)),
                               TrendSeries("_" + name, (2.0, 3.0), "dashed")))
    drawn = texts(render_trend_svg(chart))
    assert drawn.count(name) >= 4, drawn  # a round, a level, both legend entries
    assert "_" + name in drawn


@pytest.mark.parametrize("name", HOSTILE)
def test_timeline_draws_every_name_literally(name: str) -> None:
    chart = TimelineChart(title=name, bars=(
        TimelineBar(name, date(2026, 1, 1), date(2026, 3, 31), 0),
        TimelineBar("Wave", date(2026, 4, 1), date(2026, 6, 30), 1)),
        groups=(name, "_" + name), today=date(2026, 2, 1), today_label=name)
    drawn = texts(render_timeline_svg(chart))
    assert drawn.count(name) >= 4, drawn  # the bar, both legend entries, today's label
    assert "_" + name in drawn
