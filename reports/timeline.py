"""Timeline charts: the roadmap's phases as horizontal bars over the calendar, with a marker
for today, as deterministic, inline-ready SVG (matplotlib Figure API, never pyplot).

A bar's colour and hatching say its kind (needs, pilot, wave), so the chart reads in black and
white too; its name is on the left, its dates are in the table beside the chart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from reports.charts import (
    GRID,
    INK,
    MUTED,
    PALETTE,
    chart_rc,
    drawing,
    figure_svg,
    inline_ready,
    wrap_label,
)

TICK_FONT, LABEL_FONT, LEGEND_FONT = 8.5, 9.0, 9.0
LABEL_WRAP = 30
WIDTH = 9.0  # inches; the saved SVG is cropped to what is drawn
ROW_HEIGHT, FRAME_HEIGHT = 0.42, 0.9  # inches per bar, and for the axis and the legend
MAX_TICKS = 7
MONTH_STEPS = (1, 2, 3, 4, 6, 12, 24, 36, 60, 120)
HATCHES = ("", "//", "..", "xx", "\\\\")

_RC = chart_rc("some-maturity-timeline", TICK_FONT, **{"hatch.color": "white",
                                                        "hatch.linewidth": 1.2})


@dataclass(frozen=True)
class TimelineBar:
    """One phase: its label, first and last day, and its group (the kind, for the colour)."""

    label: str
    starts: date
    ends: date
    group: int = 0

    def __post_init__(self) -> None:
        if self.ends < self.starts:
            raise ValueError(f"bar {self.label!r} ends ({self.ends}) before it starts "
                             f"({self.starts})")
        if self.group < 0:
            raise ValueError(f"bar {self.label!r}: the group is a legend index, got {self.group}")


@dataclass(frozen=True)
class TimelineChart:
    """What to draw: the bars top to bottom, the legend's group names and today's marker."""

    title: str
    bars: tuple[TimelineBar, ...]
    groups: tuple[str, ...]
    today: date | None = None
    today_label: str = "Today"
    date_format: Callable[[date], str] = field(default=date.isoformat)

    def __post_init__(self) -> None:
        if not self.bars:
            raise ValueError("a timeline needs at least one bar")
        for bar in self.bars:
            if bar.group >= len(self.groups):
                raise ValueError(f"bar {bar.label!r} is in group {bar.group}, but there are "
                                 f"{len(self.groups)} groups")


def render_timeline_svg(chart: TimelineChart) -> str:
    """Draw the chart as SVG: byte-identical for the same input, ready to inline in HTML."""
    with drawing(_RC):
        svg = figure_svg(_draw(chart), pad_inches=0.06)
    return inline_ready(svg, chart.title, "timeline")


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def month_ticks(first: date, last: date, most: int = MAX_TICKS) -> list[date]:
    """First days of months between `first` and `last`, every n months so that at most `most`
    are left; the step is a calendar-friendly one (1, 2, 3, 4, 6, 12 … months)."""
    start = _add_months(first, 1) if first.day != 1 else first
    months = (last.year - start.year) * 12 + last.month - start.month
    for step in MONTH_STEPS:
        if months // step + 1 <= most:
            break
    # Align to the step (quarters start in January, April, …) so ticks look deliberate.
    offset = (-(start.month - 1)) % step if step in (2, 3, 4, 6, 12) else 0
    ticks = []
    current = _add_months(start, offset)
    while current <= last:
        ticks.append(current)
        current = _add_months(current, step)
    return ticks or [start]


def _draw(chart: TimelineChart) -> Figure:
    count = len(chart.bars)
    figure = Figure(figsize=(WIDTH, FRAME_HEIGHT + ROW_HEIGHT * count))
    axes = figure.add_subplot()
    days = [b.starts for b in chart.bars] + [b.ends for b in chart.bars]
    if chart.today is not None:
        days.append(chart.today)
    first, last = min(days), max(days)
    pad = max((last - first).days * 0.03, 5.0)
    axes.set_xlim(first.toordinal() - pad, last.toordinal() + 1 + pad)
    axes.set_ylim(count - 0.4, -0.6)  # the first bar at the top
    ticks = month_ticks(first, last)
    axes.set_xticks([d.toordinal() for d in ticks], labels=[chart.date_format(d) for d in ticks])
    axes.set_yticks(range(count), labels=[wrap_label(b.label, LABEL_WRAP) for b in chart.bars])
    axes.tick_params(axis="x", colors=MUTED, labelcolor=INK, labelsize=TICK_FONT)
    axes.tick_params(axis="y", length=0, labelcolor=INK, labelsize=LABEL_FONT)
    axes.grid(axis="x", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(GRID)
    for index, bar in enumerate(chart.bars):
        # A phase lasts from the morning of its first day to the evening of its last.
        axes.barh(index, bar.ends.toordinal() + 1 - bar.starts.toordinal(),
                  left=bar.starts.toordinal(), height=0.56,
                  color=PALETTE[bar.group % len(PALETTE)], edgecolor=INK, linewidth=0.6,
                  hatch=HATCHES[bar.group % len(HATCHES)], zorder=3, gid=f"phase-{index}")
    if chart.today is not None:
        x = chart.today.toordinal() + 0.5
        axes.axvline(x, color=INK, linestyle="--", linewidth=1.3, zorder=4, gid="today")
        axes.annotate(f"{chart.today_label} {chart.date_format(chart.today)}", xy=(x, 1.0),
                      xycoords=("data", "axes fraction"), xytext=(0, 3),
                      textcoords="offset points", ha="center", va="bottom", color=INK,
                      fontsize=TICK_FONT, fontweight="bold", zorder=5, gid="today-label",
                      annotation_clip=False,
                      bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                            "edgecolor": INK, "linewidth": 0.6})
    used = sorted({bar.group for bar in chart.bars})
    handles = [Patch(facecolor=PALETTE[g % len(PALETTE)], edgecolor=INK, linewidth=0.6,
                     hatch=HATCHES[g % len(HATCHES)], label=chart.groups[g]) for g in used]
    # Below the dates, so the today label above the bars has the top to itself.
    axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                ncols=len(handles), frameon=False, fontsize=LEGEND_FONT, handlelength=2.4,
                columnspacing=1.8, borderaxespad=2.0)
    return figure
