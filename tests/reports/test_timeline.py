"""Timeline charts: deterministic SVG, a bar per phase in order, today marked, text as text."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from datetime import date
from itertools import pairwise

import matplotlib
import pytest

from reports.timeline import TimelineBar, TimelineChart, month_ticks, render_timeline_svg

SVG = "{http://www.w3.org/2000/svg}"
GROUPS = ("Tarpeet ja odotukset", "Pilotti", "Aalto")
TODAY = date(2026, 11, 23)


def finnish(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def sample(title: str = "Tiekartta <aikajana>", today: date | None = TODAY) -> TimelineChart:
    return TimelineChart(
        title=title,
        bars=(TimelineBar("Tarpeet ja odotukset", date(2026, 1, 12), date(2026, 2, 27), 0),
              TimelineBar("Pilotti: asiakaspalvelu", date(2026, 3, 2), date(2026, 8, 28), 1),
              TimelineBar("Aalto 1: viestintä ja markkinointi koko organisaatiossa",
                          date(2026, 9, 1), date(2027, 2, 26), 2),
              TimelineBar("Aalto 2", date(2027, 3, 1), date(2027, 8, 27), 2)),
        groups=GROUPS, today=today, today_label="Tänään", date_format=finnish)


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def groups_named(svg: str, pattern: str) -> list[ET.Element]:
    return [g for g in ET.fromstring(svg).iter(f"{SVG}g")
            if re.search(pattern, g.get("id", ""))]


def left_edge(group: ET.Element) -> float:
    """The smallest x of a bar's outline (its path starts with "M x y")."""
    path = group.find(f"{SVG}path")
    assert path is not None
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
    return min(numbers[0::2])


def test_same_input_gives_the_same_bytes() -> None:
    assert render_timeline_svg(sample()) == render_timeline_svg(sample())


def test_caller_rcparams_neither_change_the_output_nor_get_changed() -> None:
    expected = render_timeline_svg(sample())
    with matplotlib.rc_context({"hatch.linewidth": 5.0, "font.size": 30,
                                "svg.hashsalt": "other"}):
        assert render_timeline_svg(sample()) == expected
        assert matplotlib.rcParams["hatch.linewidth"] == 5.0


def test_concurrent_renders_stay_deterministic() -> None:
    expected = render_timeline_svg(sample())
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(render_timeline_svg(sample())))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 3


def test_svg_is_inline_ready_and_accessible() -> None:
    svg = render_timeline_svg(sample())
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!DOCTYPE" not in svg
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("width") is None
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Tiekartta <aikajana>"
    assert root.get("aria-labelledby") == title.get("id")
    assert "&lt;aikajana&gt;" in svg


def test_labels_dates_legend_and_today_are_text() -> None:
    found = texts(render_timeline_svg(sample()))
    assert "Tarpeet ja odotukset" in found and "Pilotti: asiakaspalvelu" in found
    # A long name wraps at spaces: its lines joined give the name back.
    long_name = "Aalto 1: viestintä ja markkinointi koko organisaatiossa"
    assert long_name in " ".join(found)
    assert "Aalto 1: viestintä ja markkinointi koko organisaatiossa" not in found
    for tick in ("1.4.2026", "1.7.2026", "1.10.2026", "1.1.2027", "1.4.2027", "1.7.2027"):
        assert tick in found  # quarter starts, in the date format given
    assert "Tänään 23.11.2026" in found
    assert {"Pilotti", "Aalto"} <= set(found)  # the legend, by kind


def test_a_bar_per_phase_top_to_bottom_in_calendar_order() -> None:
    svg = render_timeline_svg(sample())
    bars = groups_named(svg, r"-phase-\d+$")
    assert [g.get("id", "").rsplit("-", 1)[1] for g in bars] == ["0", "1", "2", "3"]
    edges = [left_edge(g) for g in bars]
    assert edges == sorted(edges) and len(set(edges)) == 4
    assert len(groups_named(svg, r"-today$")) == 1


def test_without_today_there_is_no_marker() -> None:
    svg = render_timeline_svg(sample(today=None))
    assert groups_named(svg, r"-today$") == []
    assert not any(t.startswith("Tänään") for t in texts(svg))


def test_today_outside_the_phases_widens_the_axis() -> None:
    later = date(2028, 6, 1)
    found = texts(render_timeline_svg(sample(today=later)))
    assert "Tänään 1.6.2028" in found


def test_ids_are_unique_per_chart() -> None:
    first, second = render_timeline_svg(sample("A")), render_timeline_svg(sample("B"))
    ids = re.findall(r'\sid="([^"]+)"', first)
    assert ids and len(ids) == len(set(ids))
    assert set(ids).isdisjoint(re.findall(r'\sid="([^"]+)"', second))
    for reference in re.findall(r'(?:href="#|url\(#)([^")]+)', first):
        assert reference in ids  # hatch patterns, clip paths: all resolve in this chart


@pytest.mark.parametrize(("first", "last", "step"), [
    (date(2026, 1, 12), date(2026, 5, 20), 1),
    (date(2026, 1, 12), date(2027, 8, 27), 3),
    (date(2025, 3, 1), date(2029, 12, 31), 12),
])
def test_month_ticks_are_month_starts_a_friendly_step_apart(first: date, last: date,
                                                           step: int) -> None:
    ticks = month_ticks(first, last)
    assert 1 <= len(ticks) <= 7
    assert all(t.day == 1 and first <= t <= last for t in ticks)
    gaps = {(b.year - a.year) * 12 + b.month - a.month for a, b in pairwise(ticks)}
    assert gaps == {step}


def test_inconsistent_charts_are_refused() -> None:
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        TimelineBar("x", date(2026, 5, 1), date(2026, 4, 30))
    with pytest.raises(ValueError, match="at least one bar"):
        TimelineChart("t", (), GROUPS)
    with pytest.raises(ValueError, match="group 3, but there are 3 groups"):
        TimelineChart("t", (TimelineBar("x", TODAY, TODAY, 3),), GROUPS)
