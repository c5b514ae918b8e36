"""Trend charts: scores across rounds as deterministic, inline-ready SVG line charts
(matplotlib Figure API, never pyplot).

A round without a value leaves a gap in its line: the line never pretends a unit was
measured. The vertical scale is the framework's stages, so a line reads as "which stage".
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

import matplotlib.style
from matplotlib.figure import Figure

# One lock for every chart: rcParams are process-wide, so a radar and a trend chart drawn in
# two threads must not interleave their style contexts either.
from reports.radar import (
    FONT,
    GRID,
    INK,
    LINESTYLES,
    MARKERS,
    MUTED,
    PALETTE,
    RENDER_LOCK,
    LineStyle,
)

TICK_FONT, LEGEND_FONT = 8.5, 9.0
ROUND_WRAP, STAGE_WRAP = 14, 22
WIDTH, HEIGHT = 5.2, 2.8  # inches; the saved SVG is cropped to what is drawn

_RC: dict[str, Any] = {
    "svg.hashsalt": "some-maturity-trend",
    "svg.fonttype": "none",  # text stays text: smaller, selectable, searchable
    "font.family": [FONT, "sans-serif"],
    "font.sans-serif": [FONT, "Verdana"],
    "font.size": TICK_FONT,
}
_METADATA: dict[str, Any] = {"Date": None, "Creator": None, "Format": None, "Type": None}


def _one_decimal(value: float) -> str:
    return f"{value:.1f}"


@dataclass(frozen=True)
class TrendSeries:
    """One line: a value (or None for no value) per round."""

    label: str
    values: tuple[float | None, ...]
    style: LineStyle = "solid"

    def __post_init__(self) -> None:
        if self.style not in LINESTYLES:
            raise ValueError(f"series {self.label!r}: unknown style {self.style!r}, "
                             f"expected one of {', '.join(LINESTYLES)}")


@dataclass(frozen=True)
class TrendChart:
    """What to draw: rounds along the bottom, stage levels up the side, and the series."""

    title: str
    rounds: tuple[str, ...]
    levels: tuple[str, ...]
    series: tuple[TrendSeries, ...]
    number_format: Callable[[float], str] = field(default=_one_decimal)

    def __post_init__(self) -> None:
        if not self.rounds:
            raise ValueError("a trend chart needs at least one round")
        if not self.levels:
            raise ValueError("a trend chart needs at least one level")
        for series in self.series:
            if len(series.values) != len(self.rounds):
                raise ValueError(f"series {series.label!r} has {len(series.values)} values "
                                 f"for {len(self.rounds)} rounds")


def render_trend_svg(chart: TrendChart) -> str:
    """Draw the chart as SVG: byte-identical for the same input, ready to inline in HTML."""
    # Defaults first, so a matplotlibrc or the caller's rcParams cannot change the bytes.
    with RENDER_LOCK, matplotlib.style.context(["default", _RC]):
        figure = _draw(chart)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata=_METADATA, bbox_inches="tight",
                       pad_inches=0.06)
    return _inline_ready(buffer.getvalue(), chart.title)


def _wrap(text: str, width: int) -> str:
    # Break only at spaces, so the lines joined with spaces give back the label.
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False,
                                   break_long_words=False) or [text])


def _draw(chart: TrendChart) -> Figure:
    figure = Figure(figsize=(WIDTH, HEIGHT))
    axes = figure.add_subplot()
    top = len(chart.levels)
    count = len(chart.rounds)
    xs = list(range(count))
    axes.set_xlim(-0.4, count - 0.6)
    axes.set_ylim(0.75, top + 0.25)
    axes.set_yticks(range(1, top + 1),
                    labels=[_wrap(f"{level}. {name}", STAGE_WRAP)
                            for level, name in enumerate(chart.levels, start=1)])
    rotate = count > 4
    axes.set_xticks(xs, labels=[_wrap(name, ROUND_WRAP) for name in chart.rounds],
                    rotation=30 if rotate else 0, ha="right" if rotate else "center",
                    rotation_mode="anchor" if rotate else "default")
    axes.tick_params(colors=MUTED, labelcolor=INK, labelsize=TICK_FONT)
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GRID)
    drawn = 0
    for index, series in enumerate(chart.series):
        ys = [math.nan if v is None else float(v) for v in series.values]
        if all(math.isnan(y) for y in ys):
            continue
        drawn += 1
        axes.plot(xs, ys, color=PALETTE[index % len(PALETTE)],
                  linestyle=LINESTYLES[series.style], linewidth=2.0,
                  marker=MARKERS[index % len(MARKERS)], markersize=6.0,
                  markeredgecolor="white", markeredgewidth=0.8,
                  # The first series is the one the chart is about: on top where lines meet.
                  zorder=3 + len(chart.series) - index,
                  label=series.label, gid=f"series-{index}")
    if drawn:
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=min(3, drawn),
                    frameon=False, fontsize=LEGEND_FONT, handlelength=3.0,
                    columnspacing=1.5, borderaxespad=0.3)
    return figure


def _inline_ready(svg: str, title: str) -> str:
    """No prolog or fixed size; an accessible name; ids unique to this chart on a page."""
    svg = svg[svg.index("<svg"):]
    # Many charts share one HTML page: matplotlib's ids (figure_1, clip paths, markers)
    # would clash, so prefix them with a digest of the drawing and its title.
    digest = hashlib.sha256(f"{title}\n{svg}".encode()).hexdigest()[:10]
    prefix = f"trend-{digest}-"

    def prefixed(tag: re.Match[str]) -> str:
        markup = re.sub(r'(\sid="|href="#|url\(#)', rf"\1{prefix}", tag[0])
        if markup.startswith("<svg"):
            markup = re.sub(r'\s(?:width|height)="[^"]*"', "", markup)
            markup = f'{markup[:-1]} role="img" aria-labelledby="{prefix}title">'
            markup += f'<title id="{prefix}title">{escape(title)}</title>'
        return markup

    # Only inside tags: text is escaped, so a "<" always starts markup, never a label.
    return re.sub(r"<[^>]*>", prefixed, svg)
