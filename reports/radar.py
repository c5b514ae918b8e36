"""Radar charts as deterministic, inline-ready SVG (matplotlib Figure API, never pyplot).

The core factor is drawn in the centre as a badge with its name and values, not as one more
axis: the framework says everything else rests on it. The radial scale starts at the badge's
edge, so the badge never covers data (scores are means of stage levels, so never below 1).
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from html import escape
from typing import cast

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle
from matplotlib.projections.polar import PolarAxes
from matplotlib.textpath import text_to_path

from reports.charts import (
    FONT,
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
    wrap_lines,
)

RADIUS = 145.0  # plot radius in points; all other sizes are in points too
CORE_FRACTION = 0.29  # of the plot radius, kept for the core badge when there is one
AXIS_FONT, RING_FONT, LEGEND_FONT, CORE_VALUE_FONT = 10.5, 8.5, 10.0, 10.5
AXIS_WRAP, LABEL_PAD, MIN_LABEL_ROOM = 18, 9.0, 120.0
CORE_NAME_SIZES = (8.5, 8.0, 7.5, 7.0)
CORE_WRAPS = (18, 16, 14, 12, 10)
LINE_SPACING = 1.2

_RC = chart_rc("some-maturity-radar", AXIS_FONT)
_CORE_GID = "core"


# One line on the chart: a value (or None for no value) per axis.
RadarSeries = Series


@dataclass(frozen=True)
class RadarChart:
    """What to draw: axes (outer factors), stage levels, series and the core factor."""

    title: str
    axes: tuple[str, ...]
    levels: tuple[str, ...]
    series: tuple[RadarSeries, ...]
    core_label: str | None = None
    core_values: tuple[float | None, ...] = ()
    number_format: NumberFormat = field(default=one_decimal)
    # Every text this many times its usual size (a projector's wrap-up uses more than 1).
    text_scale: float = 1.0
    # The number of the first stage: drawn on the first ring whatever it is, so a framework
    # numbered from 0 draws like one numbered from 1 (its values are shifted, not its labels).
    first_level: int = 1

    def __post_init__(self) -> None:
        if len(self.axes) < 2:
            raise ValueError(f"a radar chart needs at least 2 axes, got {len(self.axes)}")
        if not self.levels:
            raise ValueError("a radar chart needs at least one level")
        for series in self.series:
            if len(series.values) != len(self.axes):
                raise ValueError(f"series {series.label!r} has {len(series.values)} values "
                                 f"for {len(self.axes)} axes")
        if self.core_values and len(self.core_values) != len(self.series):
            raise ValueError(f"{len(self.core_values)} core values for "
                             f"{len(self.series)} series")


def render_radar_svg(chart: RadarChart) -> str:
    """Draw the chart as SVG: byte-identical for the same input, ready to inline in HTML."""
    with drawing(_RC):
        svg = figure_svg(_draw(chart), pad_inches=0.08)
    return _inline_ready(svg, chart)


@lru_cache(maxsize=256)
def cached_radar_svg(chart: RadarChart) -> str:
    """`render_radar_svg`, remembered: a chart changes only when its numbers or labels do, and
    pages that poll or are visited often draw the same ones (a few dozen kB each). Pass a
    number format that compares by value (`reports.charts.ScoreFormat`), not a bound method
    of a per-request translator, or every request is a new key."""
    return render_radar_svg(chart)


# Drawing ----------------------------------------------------------------------------------

def _draw(chart: RadarChart) -> Figure:
    count, top = len(chart.axes), len(chart.levels)
    angles = [2 * math.pi * i / count for i in range(count)]
    side = 2 * RADIUS / 72 + 4.0  # inches; the saved SVG is cropped to what is drawn
    figure = Figure(figsize=(side, side))
    extent = 2 * RADIUS / 72 / side
    axes = cast(PolarAxes, figure.add_axes(
        ((1 - extent) / 2, (1 - extent) / 2, extent, extent), projection="polar"))
    # Larger text needs a larger badge for the core factor's name.
    hole = min(CORE_FRACTION * chart.text_scale, 0.45) if chart.core_label else 0.0
    scale = chart.text_scale
    _grid(axes, chart, angles, hole)
    labels = _axis_labels(chart.axes, angles, scale)
    for number, label in enumerate(labels):
        _text_block(axes, label.rows, (label.angle, top), "data", label.offset,
                    label.horizontal, f"axis-{number}")
    shift = 1 - chart.first_level
    drawn = [(line, s.label) for i, s in enumerate(chart.series)
             if (line := _plot_series(axes, i, s, angles, shift)) is not None]
    if chart.core_label:
        _core_badge(axes, chart, hole)
    # An invisible strut keeps the cropped width at least this wide, so text comes out the same
    # size whichever framework's chart a page shows at 100% width.
    half = (RADIUS + MIN_LABEL_ROOM * scale) / (2 * RADIUS)
    figure.add_artist(Rectangle((0.5 - half, 0.5), 2 * half, 0.0, transform=axes.transAxes,
                                fill=False, linewidth=0.0, clip_on=False))
    if drawn:
        # Handles and labels given as they are: matplotlib would drop a label starting "_".
        axes.legend([line for line, _ in drawn], [label for _, label in drawn],
                    loc="upper center", bbox_to_anchor=(0.5, _legend_top(labels)),
                    ncols=min(2, len(drawn)), frameon=False, fontsize=LEGEND_FONT * scale,
                    handlelength=3.2, columnspacing=2.0)
    return figure


def _grid(axes: PolarAxes, chart: RadarChart, angles: list[float], hole: float) -> None:
    """Rings at each stage level, labelled, and a spoke per axis."""
    top = len(chart.levels)
    axes.set_theta_offset(math.pi / 2)  # first axis at 12 o'clock ...
    axes.set_theta_direction(-1)  # ... going clockwise
    axes.set_rorigin(-top * hole / (1 - hole))
    axes.set_ylim(0, top)
    axes.set_xticks(angles, labels=[""] * len(angles))
    axes.set_yticks(range(1, top + 1), labels=[""] * top)
    axes.grid(color=GRID, linewidth=0.8)
    axes.spines["polar"].set_color(GRID)
    axes.spines["polar"].set_linewidth(0.8)
    between = math.pi / len(angles)  # halfway between the first two axes
    for level, name in enumerate(chart.levels, start=1):
        axes.text(between, level, name, fontsize=RING_FONT * chart.text_scale, color=MUTED,
                  ha="center",
                  va="center", zorder=2.5,
                  bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                        "edgecolor": "none", "alpha": 0.85})


def _plot_series(axes: PolarAxes, index: int, series: RadarSeries,
                 angles: list[float], shift: int = 0) -> Line2D | None:
    """Draw one series' runs of present values (moved out by `shift` rings); its first line,
    or None when it has none."""
    colour = PALETTE[index % len(PALETTE)]
    values = tuple(None if v is None else v + shift for v in series.values)
    runs = list(_runs(angles, values))
    first: Line2D | None = None
    for number, (xs, ys) in enumerate(runs):
        (line,) = axes.plot(xs, ys, color=colour, linestyle=LINESTYLES[series.style],
                            linewidth=2.2, marker=MARKERS[index % len(MARKERS)], markersize=6.5,
                            # a closed ring's last point is its first
                            markevery=slice(0, len(angles)),
                            markeredgecolor="white", markeredgewidth=0.8, zorder=3 + index,
                            label=series.label if number == 0 else None)
        first = first or line
    if index == 0 and len(runs) == 1 and len(runs[0][0]) == len(angles) + 1:
        axes.fill(*runs[0], color=colour, alpha=0.12, zorder=2)
    return first


def _runs(angles: list[float], values: tuple[float | None, ...]
          ) -> Iterator[tuple[list[float], list[float]]]:
    """Runs of consecutive present values around the ring; a full ring comes back closed."""
    count = len(values)
    present = [float(v) for v in values if v is not None]
    if len(present) == count:
        yield [*angles, angles[0] + 2 * math.pi], [*present, present[0]]
        return
    start = next(i for i, v in enumerate(values) if v is None)  # a run never spans a gap
    xs: list[float] = []
    ys: list[float] = []
    for step in range(1, count + 1):
        i = (start + step) % count
        value = values[i]
        if value is None:
            if xs:
                yield xs, ys
            xs, ys = [], []
            continue
        # Past the last axis the angle goes on beyond 2π, so the segment stays short.
        xs.append(angles[i] + (2 * math.pi if xs and angles[i] < xs[-1] else 0.0))
        ys.append(float(value))
    if xs:
        yield xs, ys


# Text -------------------------------------------------------------------------------------

Row = tuple[str, float, float, str]  # one line: text, offset from the block's middle, size, weight


def _width(text: str, size: float, weight: str = "normal") -> float:
    font = FontProperties(family=FONT, size=size, weight=weight)
    return float(text_to_path.get_text_width_height_descent(text, font, ismath=False)[0])


def _stack(lines: list[tuple[str, float, str, float]]) -> list[Row]:
    """Lines (text, size, weight, height) stacked downwards around the block's middle."""
    y = sum(height for *_, height in lines) / 2
    rows = []
    for text, size, weight, height in lines:
        rows.append((text, y - height / 2, size, weight))
        y -= height
    return rows


def _text_block(axes: PolarAxes, rows: list[Row], xy: tuple[float, float], coords: str,
                offset: tuple[float, float], horizontal: str, gid: str) -> None:
    """Draw a multi-line block a line at a time; _join_lines makes it one <text> again.

    Single-line texts keep their text-anchor in the SVG, so the lines stay aligned even when
    the browser falls back to another font.
    """
    anchor = {"left": 0.0, "center": 0.5, "right": 1.0}[horizontal]
    for number, (text, dy, size, weight) in enumerate(rows):
        # Every line but the last gets a trailing space in the SVG (so copy and find see
        # words, not "andbuilding"); shift it so the visible text stays where it belongs.
        dx = anchor * _width(" ", size) if number < len(rows) - 1 else 0.0
        axes.annotate(text, xy=xy, xycoords=coords, xytext=(offset[0] + dx, offset[1] + dy),
                      textcoords="offset points", ha=horizontal, va="center", fontsize=size,
                      fontweight=weight, color=INK, zorder=11, gid=gid,
                      annotation_clip=False)


@dataclass(frozen=True)
class _AxisLabel:
    """An axis label placed outside the rings; its box is in points from the centre."""

    rows: list[Row]
    angle: float
    distance: float  # from the centre to the anchor
    horizontal: str
    vertical: str
    width: float
    height: float

    @property
    def offset(self) -> tuple[float, float]:
        """From the axis' outer end to the middle of the block, in points."""
        pad = self.distance - RADIUS
        middle = {"bottom": 0.5, "center": 0.0, "top": -0.5}[self.vertical] * self.height
        return pad * math.sin(self.angle), pad * math.cos(self.angle) + middle

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Left, bottom, right, top, in points from the centre."""
        x, y = self.distance * math.sin(self.angle), self.distance * math.cos(self.angle)
        left = x - {"left": 0.0, "center": 0.5, "right": 1.0}[self.horizontal] * self.width
        bottom = y - {"bottom": 0.0, "center": 0.5, "top": 1.0}[self.vertical] * self.height
        return left, bottom, left + self.width, bottom + self.height


def _alignment(angle: float) -> tuple[str, str]:
    """Anchor a label on the side facing the chart, so long labels grow away from it."""
    x, y = math.sin(angle), math.cos(angle)
    horizontal = "left" if x > 0.1 else "right" if x < -0.1 else "center"
    vertical = "bottom" if y > 0.1 else "top" if y < -0.1 else "center"
    return horizontal, vertical


def _axis_labels(names: tuple[str, ...], angles: list[float],
                 scale: float = 1.0) -> list[_AxisLabel]:
    """Wrapped labels facing their axes, each moved outwards until it overlaps no other."""
    placed: list[_AxisLabel] = []
    size = AXIS_FONT * scale
    for name, angle in zip(names, angles, strict=True):
        lines = wrap_lines(name, AXIS_WRAP)
        rows = _stack([(line, size, "normal", LINE_SPACING * size) for line in lines])
        label = _AxisLabel(rows, angle, RADIUS + LABEL_PAD, *_alignment(angle),
                           width=max(_width(line, size) for line in lines),
                           height=len(lines) * LINE_SPACING * size)
        # With many axes, neighbours' labels would overlap: step this one further out.
        for _ in range(20):
            if not any(_overlap(label.box, other.box) for other in placed):
                break
            label = replace(label, distance=label.distance + 4.0)
        placed.append(label)
    return placed


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float],
             margin: float = 2.0) -> bool:
    return (a[0] < b[2] + margin and b[0] < a[2] + margin
            and a[1] < b[3] + margin and b[1] < a[3] + margin)


def _legend_top(labels: list[_AxisLabel]) -> float:
    """Where the legend starts, in axes fractions: below the rings and the lowest label."""
    lowest = min([-RADIUS, *(label.box[1] for label in labels)])
    return 0.5 + (lowest - 12.0) / (2 * RADIUS)


# The core badge ---------------------------------------------------------------------------

def _core_badge(axes: PolarAxes, chart: RadarChart, hole: float) -> None:
    """The core factor in the centre: a ringed badge with its name and one value per series."""
    axes.add_artist(Circle((0.5, 0.5), hole / 2, transform=axes.transAxes, facecolor="white",
                           edgecolor=INK, linewidth=2.5, alpha=0.92, zorder=10))
    values = _core_values(chart)
    # Two values to a line, in legend order, so three or more series still fit.
    value_lines = [" / ".join(values[i:i + 2]) for i in range(0, len(values), 2)]
    rows = _fit_core(chart.core_label or "", value_lines, RADIUS * hole - 4.0,
                     chart.text_scale)
    _text_block(axes, rows, (0.5, 0.5), "axes fraction", (0.0, 0.0), "center", _CORE_GID)


def _core_values(chart: RadarChart) -> list[str]:
    return [chart.number_format(v) if v is not None else "–" for v in chart.core_values]


def _core_rows(name_lines: list[str], size: float, value_lines: list[str],
               value_size: float = CORE_VALUE_FONT) -> list[Row]:
    return _stack([(line, size, "normal", LINE_SPACING * size) for line in name_lines]
                  + [(line, value_size, "bold", LINE_SPACING * value_size + 2.0)
                     for line in value_lines])


def _fit_core(name: str, value_lines: list[str], radius: float,
              scale: float = 1.0) -> list[Row]:
    """The largest name size and widest wrapping that fit the badge; else a shortened name."""
    tries = [wrap_lines(name, width) for width in CORE_WRAPS]
    value_size = CORE_VALUE_FONT * scale
    for size in CORE_NAME_SIZES:
        for lines in tries:
            rows = _core_rows(lines, size * scale, value_lines, value_size)
            if _fits(rows, radius):
                return rows
    # The full name is still in the badge's tooltip.
    size = CORE_NAME_SIZES[-1] * scale
    for most in (3, 2, 1):
        lines = textwrap.wrap(name, CORE_WRAPS[-2], max_lines=most, placeholder=" …",
                              break_on_hyphens=False)
        rows = _core_rows(lines, size, value_lines, value_size)
        if _fits(rows, radius):
            return rows
    return _core_rows([], size, value_lines, value_size)


def _fits(rows: list[Row], radius: float) -> bool:
    for text, offset, size, weight in rows:
        far = abs(offset) + LINE_SPACING * size / 2
        if (_width(text, size, weight) / 2) ** 2 + far**2 > radius**2:
            return False
    return True


# Inline-ready SVG -------------------------------------------------------------------------

# One line drawn by _text_block, then more lines of the same block.
_LINE = r'<g id="{gid}">\s*<text [^>]*>[^<]*</text>\s*</g>\s*'
_BLOCK = re.compile(_LINE.format(gid=r"(?P<gid>axis-\d+|core)") + "(?:"
                    + _LINE.format(gid="(?P=gid)") + ")*")
_TEXT = re.compile(r'<text style="(?P<style>[^"]*)" x="(?P<x>[^"]*)" y="(?P<y>[^"]*)"'
                   r'[^>]*>(?P<text>[^<]*)</text>')


def _join_lines(svg: str, tooltip: str) -> str:
    """Each multi-line block as one <text> of <tspan> lines: found, copied and read whole."""

    def joined(block: re.Match[str]) -> str:
        lines = list(_TEXT.finditer(block[0]))
        if not lines:  # not a line-at-a-time block after all: leave it as drawn
            return block[0]
        style = lines[0]["style"]
        spans = "".join(
            f'<tspan x="{line["x"]}" y="{line["y"]}"'
            + (f' style="{line["style"]}"' if line["style"] != style else "")
            + f'>{line["text"]}{" " if number < len(lines) - 1 else ""}</tspan>'
            for number, line in enumerate(lines))
        title = f"<title>{escape(tooltip)}</title>" if block["gid"] == _CORE_GID else ""
        return f'<g id="{block["gid"]}">{title}<text style="{style}">{spans}</text></g>\n'

    return _BLOCK.sub(joined, svg)


def _inline_ready(svg: str, chart: RadarChart) -> str:
    """Multi-line labels joined, then ready to inline (see `reports.charts.inline_ready`)."""
    svg = svg[svg.index("<svg"):]
    values = " / ".join(_core_values(chart))
    svg = _join_lines(svg, f"{chart.core_label}: {values}" if values else chart.core_label or "")
    return inline_ready(svg, chart.title, "radar")
