"""Radar charts as deterministic, inline-ready SVG (matplotlib Figure API, never pyplot).

The core factor is drawn in the centre as a badge with its values, not as one more axis:
the framework says everything else rests on it.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any, cast

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.projections.polar import PolarAxes

# Okabe–Ito: distinguishable with colour-blindness, dark enough on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000")
LINESTYLES = {"solid": "-", "dashed": "--", "dotted": ":"}
MARKERS = ("o", "s", "^", "D", "v")
_RC = {"svg.hashsalt": "some-maturity", "svg.fonttype": "none", "font.family": "DejaVu Sans",
       "font.size": 10, "axes.unicode_minus": False}


def _one_decimal(value: float) -> str:
    return f"{value:.1f}"


@dataclass(frozen=True)
class RadarSeries:
    """One line on the chart: a value (or None) per axis."""

    label: str
    values: tuple[float | None, ...]
    style: str = "solid"


@dataclass(frozen=True)
class RadarChart:
    """What to draw: axes (outer factors), stage levels, series and the core factor."""

    title: str
    axes: tuple[str, ...]
    levels: tuple[str, ...]
    series: tuple[RadarSeries, ...]
    core_label: str | None = None
    core_values: tuple[float | None, ...] = ()
    number_format: Callable[[float], str] = field(default=_one_decimal)


def _segments(angles: list[float], values: tuple[float | None, ...]
              ) -> list[tuple[list[float], list[float]]]:
    """Runs of consecutive present values around the closed polygon."""
    n = len(values)
    if all(v is not None for v in values):
        closed = [*range(n), 0]
        return [([angles[i] for i in closed], [float(values[i] or 0) for i in closed])]
    runs: list[tuple[list[float], list[float]]] = []
    start = next((i for i in range(n) if values[i] is None), 0)
    current: tuple[list[float], list[float]] = ([], [])
    for step in range(1, n + 1):
        i = (start + step) % n
        value = values[i]
        if value is None:
            if current[0]:
                runs.append(current)
            current = ([], [])
            continue
        # Past the last axis the angle continues beyond 2π so the segment stays short.
        angle = angles[i] + (2 * math.pi if current[0] and angles[i] < current[0][-1] else 0)
        current[0].append(angle)
        current[1].append(float(value))
    if current[0]:
        runs.append(current)
    return runs


def _draw(chart: RadarChart) -> Figure:
    count = len(chart.axes)
    top = len(chart.levels)
    angles = [2 * math.pi * i / count for i in range(count)]
    figure = Figure(figsize=(7.0, 7.0))
    axes = cast(PolarAxes, figure.add_axes((0.15, 0.19, 0.7, 0.66), projection="polar"))
    axes.set_theta_offset(math.pi / 2)
    axes.set_theta_direction(-1)
    axes.set_ylim(0, top)
    axes.set_yticks(range(1, top + 1))
    axes.set_yticklabels(chart.levels, fontsize=8, color="#4a5560")
    axes.set_rlabel_position(180 / count)
    axes.set_xticks(angles)
    axes.set_xticklabels([textwrap.fill(a, 18) for a in chart.axes], fontsize=10)
    axes.tick_params(axis="x", pad=14)
    axes.grid(color="#b8c0c8", linewidth=0.8)
    axes.spines["polar"].set_color("#8a949e")
    labelled = False
    for index, series in enumerate(chart.series):
        colour = PALETTE[index % len(PALETTE)]
        style = LINESTYLES.get(series.style, "-")
        marker = MARKERS[index % len(MARKERS)]
        for number, (xs, ys) in enumerate(_segments(angles, series.values)):
            axes.plot(xs, ys, color=colour, linestyle=style, linewidth=2.2, marker=marker,
                      markersize=6, label=series.label if number == 0 else None)
            labelled = True
            if index == 0 and len(xs) == count + 1:
                axes.fill(xs, ys, color=colour, alpha=0.12)
    if chart.core_label:
        _core_badge(figure, axes, chart)
    if labelled:
        figure.legend(loc="lower center", ncols=min(3, len(chart.series)), frameon=False,
                      fontsize=10)
    return figure


def _core_badge(figure: Figure, axes: PolarAxes, chart: RadarChart) -> None:
    values = " / ".join(chart.number_format(v) if v is not None else "–"
                        for v in chart.core_values)
    badge = Circle((0.5, 0.5), 0.085, transform=axes.transAxes,
                   facecolor="white", edgecolor="#1b1f24", linewidth=2.5, alpha=0.95,
                   zorder=10)
    axes.add_artist(badge)
    axes.text(0.5, 0.5, values, transform=axes.transAxes,
              ha="center", va="center", fontsize=11 if len(chart.core_values) < 2 else 8,
              fontweight="bold", zorder=11, color="#1b1f24")
    figure.text(0.5, 0.965, f"◉ {chart.core_label}: {values}", ha="center", va="top",
                fontsize=10.5, fontweight="bold", color="#1b1f24")


def render_radar_svg(chart: RadarChart) -> str:
    """The chart as SVG: byte-identical for the same input, ready to inline in HTML."""
    with matplotlib.rc_context(cast(Any, _RC)):
        figure = _draw(chart)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"',
                 r'<svg\1 role="img" aria-labelledby="radar-title"', svg, count=1)
    opening = svg.index(">") + 1
    return (svg[:opening] + f'<title id="radar-title">{escape(chart.title)}</title>'
            + svg[opening:])
