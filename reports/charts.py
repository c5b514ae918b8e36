"""What every chart shares: colours, fonts and line styles, one render lock, deterministic SVG
output that is ready to inline in HTML, and the number format charts are cached by.

The chart modules (`reports.radar`, `reports.trend`, `reports.timeline`) each draw one kind of
figure; this module turns a drawn figure into the same kind of SVG for all of them.
"""

from __future__ import annotations

import hashlib
import io
import re
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

import matplotlib.style
from matplotlib.figure import Figure

from assessment.i18n import Translator

LineStyle = Literal["solid", "dashed", "dotted"]

# Okabe–Ito, ordered so the first four have at least 3:1 contrast on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#000000", "#CC79A7")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES: dict[str, str] = {"solid": "-", "dashed": "--", "dotted": ":"}

FONT = "DejaVu Sans"
INK, MUTED, GRID = "#1b1f24", "#3d4752", "#b8c0c8"

# rcParams are process-wide, so two charts drawn in different threads (plain `def` routes run
# in a thread pool) must not interleave their style contexts, whatever kind of chart they are.
RENDER_LOCK = threading.Lock()
_METADATA: dict[str, Any] = {"Date": None, "Creator": None, "Format": None, "Type": None}


@dataclass(frozen=True)
class Series:
    """One line on a chart: a value (or None for no value) per axis or round, and its style."""

    label: str
    values: tuple[float | None, ...]
    style: LineStyle = "solid"

    def __post_init__(self) -> None:
        if self.style not in LINESTYLES:
            raise ValueError(f"series {self.label!r}: unknown style {self.style!r}, "
                             f"expected one of {', '.join(LINESTYLES)}")


def chart_rc(salt: str, font_size: float, **extra: Any) -> dict[str, Any]:
    """The rcParams of one kind of chart: its SVG id salt, the font and the base size."""
    return {
        "svg.hashsalt": salt,
        "svg.fonttype": "none",  # text stays text: smaller, selectable, searchable
        # The browser draws the text: DejaVu Sans as laid out here, else a metrically close
        # sans.
        "font.family": [FONT, "sans-serif"],
        "font.sans-serif": [FONT, "Verdana"],
        "font.size": font_size,
        # Every text on a chart is user text (unit, round, phase and factor names): drawn as
        # typed, never read as mathtext ("Sales $\\foo$") or LaTeX.
        "text.parse_math": False,
        "text.usetex": False,
        **extra,
    }


@contextmanager
def drawing(rc: dict[str, Any]) -> Iterator[None]:
    """Draw under the chart's style, one chart at a time; defaults first, so a matplotlibrc
    or the caller's rcParams cannot change the bytes."""
    with RENDER_LOCK, matplotlib.style.context(["default", rc]):
        yield


def figure_svg(figure: Figure, pad_inches: float) -> str:
    """The figure as SVG cropped to what is drawn, without the varying metadata; call it
    inside `drawing`, which the figure was drawn under."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=_METADATA, bbox_inches="tight",
                   pad_inches=pad_inches)
    return buffer.getvalue()


def inline_ready(svg: str, title: str, kind: str) -> str:
    """No prolog or fixed size; the title as its accessible name; ids unique to this chart on
    a page."""
    svg = svg[svg.index("<svg"):]
    # Many charts can share one HTML page: matplotlib's ids (figure_1, clip paths, markers,
    # hatches) would clash, so prefix them with a digest of the drawing and its title.
    digest = hashlib.sha256(f"{title}\n{svg}".encode()).hexdigest()[:10]
    prefix = f"{kind}-{digest}-"

    def prefixed(tag: re.Match[str]) -> str:
        markup = re.sub(r'(\sid="|href="#|url\(#)', rf"\1{prefix}", tag[0])
        if markup.startswith("<svg"):
            markup = re.sub(r'\s(?:width|height)="[^"]*"', "", markup)
            markup = f'{markup[:-1]} role="img" aria-labelledby="{prefix}title">'
            markup += f'<title id="{prefix}title">{escape(title)}</title>'
        return markup

    # Only inside tags: text is escaped, so a "<" always starts markup, never a label.
    return re.sub(r"<[^>]*>", prefixed, svg)


def wrap_lines(text: str, width: int) -> list[str]:
    """The text in lines of at most `width` characters, broken only at spaces, so the lines
    joined with spaces give back the text."""
    return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False) or [text]


def wrap_label(text: str, width: int) -> str:
    """A tick label in lines (see `wrap_lines`)."""
    return "\n".join(wrap_lines(text, width))


def one_decimal(value: float) -> str:
    """The default number format of a chart: one decimal, a point."""
    return f"{value:.1f}"


@dataclass(frozen=True)
class ScoreFormat:
    """A chart's number format: scores in the reader's language. Two are equal when their
    languages are, so a chart drawn for one request is found in a cache by the next (each
    request has a translator of its own, and `t.score` of another translator is another
    key)."""

    language: str
    translator: Translator = field(compare=False, repr=False)

    @classmethod
    def of(cls, t: Translator) -> ScoreFormat:
        """The format of the translator's language."""
        return cls(t.language, t)

    def __call__(self, value: float) -> str:
        """The value as a score (3,5 / 3.5)."""
        return self.translator.score(value)


NumberFormat = Callable[[float], str]
