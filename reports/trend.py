"""Trend charts: scores across rounds as deterministic, inline-ready SVG line charts
(matplotlib Figure API, never pyplot).

A round without a value leaves a gap in its line: the line never pretends a unit was
measured. The vertical scale is the framework's stages, so a line reads as "which stage".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from reports.charts import (
    GRID,
    INK,
    LINESTYLES,
    MARKERS,
    MUTED,
    PALETTE,
    NumberFormat,
    Series,
    chart_rc,
    drawing,
    figure_svg,
    inline_ready,
    one_decimal,
    wrap_label,
)

TICK_FONT, LEGEND_FONT = 8.5, 9.0
ROUND_WRAP, STAGE_WRAP = 14, 22
WIDTH, HEIGHT = 5.2, 2.8  # inches; the saved SVG is cropped to what is drawn

_RC = chart_rc("some-maturity-trend", TICK_FONT)


# One line: a value (or None for no value) per round.
TrendSeries = Series


@dataclass(frozen=True)
class TrendChart:
    """What to draw: rounds along the bottom, stage levels up the side, and the series."""

    title: str
    rounds: tuple[str, ...]
    levels: tuple[str, ...]
    series: tuple[TrendSeries, ...]
    number_format: NumberFormat = field(default=one_decimal)
    first_level: int = 1  # the number of the first stage

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
    with drawing(_RC):
        svg = figure_svg(_draw(chart), pad_inches=0.06)
    return inline_ready(svg, chart.title, "trend")


@lru_cache(maxsize=512)
def cached_trend_svg(chart: TrendChart) -> str:
    """`render_trend_svg`, remembered (see `reports.radar.cached_radar_svg`)."""
    return render_trend_svg(chart)


def _draw(chart: TrendChart) -> Figure:
    figure = Figure(figsize=(WIDTH, HEIGHT))
    axes = figure.add_subplot()
    first = chart.first_level
    top = first + len(chart.levels) - 1
    count = len(chart.rounds)
    xs = list(range(count))
    axes.set_xlim(-0.4, count - 0.6)
    axes.set_ylim(first - 0.25, top + 0.25)
    axes.set_yticks(range(first, top + 1),
                    labels=[wrap_label(f"{level}. {name}", STAGE_WRAP)
                            for level, name in enumerate(chart.levels, start=first)])
    rotate = count > 4
    axes.set_xticks(xs, labels=[wrap_label(name, ROUND_WRAP) for name in chart.rounds],
                    rotation=30 if rotate else 0, ha="right" if rotate else "center",
                    rotation_mode="anchor" if rotate else "default")
    axes.tick_params(colors=MUTED, labelcolor=INK, labelsize=TICK_FONT)
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GRID)
    drawn: list[tuple[Line2D, str]] = []
    for index, series in enumerate(chart.series):
        ys = [math.nan if v is None else float(v) for v in series.values]
        if all(math.isnan(y) for y in ys):
            continue
        (line,) = axes.plot(xs, ys, color=PALETTE[index % len(PALETTE)],
                            linestyle=LINESTYLES[series.style], linewidth=2.0,
                            marker=MARKERS[index % len(MARKERS)], markersize=6.0,
                            markeredgecolor="white", markeredgewidth=0.8,
                            # The first series is the one the chart is about: on top where
                            # lines meet.
                            zorder=3 + len(chart.series) - index,
                            label=series.label, gid=f"series-{index}")
        drawn.append((line, series.label))
    if drawn:
        # Handles and labels given as they are: matplotlib would drop a label starting "_".
        axes.legend([line for line, _ in drawn], [label for _, label in drawn],
                    loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=min(3, len(drawn)),
                    frameon=False, fontsize=LEGEND_FONT, handlelength=3.0,
                    columnspacing=1.5, borderaxespad=0.3)
    return figure
