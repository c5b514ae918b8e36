"""What the chart kinds share: the number format they are cached by, and inline-ready SVG."""

from __future__ import annotations

import re

from assessment.i18n import Catalogues
from reports.charts import ScoreFormat, inline_ready
from reports.radar import RadarChart, RadarSeries, cached_radar_svg, render_radar_svg


def chart(number_format: ScoreFormat) -> RadarChart:
    return RadarChart(title="Profile", axes=("A", "B", "C"), levels=("One", "Two", "Three"),
                      series=(RadarSeries("Unit", (1.5, 2.0, 3.0)),),
                      core_label="Core", core_values=(2.5,), number_format=number_format)


def test_a_score_format_is_the_same_key_for_every_translator_of_a_language() -> None:
    catalogues = Catalogues()
    first, second = catalogues.translator("fi"), catalogues.translator("fi")
    assert first is not second
    assert ScoreFormat.of(first) == ScoreFormat.of(second)
    assert hash(ScoreFormat.of(first)) == hash(ScoreFormat.of(second))
    assert ScoreFormat.of(first) != ScoreFormat.of(catalogues.translator("en"))
    assert ScoreFormat.of(first)(3.5) == "3,5"
    assert ScoreFormat.of(catalogues.translator("en"))(3.5) == "3.5"


def test_a_chart_drawn_for_one_request_is_found_by_the_next() -> None:
    catalogues = Catalogues()
    cached_radar_svg.cache_clear()
    svg = cached_radar_svg(chart(ScoreFormat.of(catalogues.translator("fi"))))
    again = cached_radar_svg(chart(ScoreFormat.of(catalogues.translator("fi"))))
    info = cached_radar_svg.cache_info()
    assert (info.hits, info.misses) == (1, 1)
    assert again is svg
    assert svg == render_radar_svg(chart(ScoreFormat.of(catalogues.translator("fi"))))
    assert "2,5" in svg  # the core value in the reader's language
    english = cached_radar_svg(chart(ScoreFormat.of(catalogues.translator("en"))))
    assert cached_radar_svg.cache_info().misses == 2
    assert "2.5" in english


def test_inline_ready_svg_has_its_title_as_name_and_ids_of_its_own() -> None:
    drawn = ('<?xml version="1.0"?>\n<svg width="10pt" height="5pt" viewBox="0 0 10 5">'
             '<defs><clipPath id="p1"><rect/></clipPath></defs>'
             '<g clip-path="url(#p1)"><use href="#p1"/></g><text>a &lt;b&gt;</text></svg>')
    first = inline_ready(drawn, "Scores <2026>", "trend")
    second = inline_ready(drawn, "Other title", "trend")
    assert first.startswith("<svg") and "width=" not in first.split(">", 1)[0]
    assert 'role="img"' in first
    assert re.search(r'<title id="trend-[0-9a-f]{10}-title">Scores &lt;2026&gt;</title>', first)
    ids = set(re.findall(r'id="([^"]+)"', first))
    assert all(i.startswith("trend-") for i in ids)
    assert not ids & set(re.findall(r'id="([^"]+)"', second))  # two charts on one page
    prefix = next(i for i in ids if i.endswith("-p1"))
    assert f"url(#{prefix})" in first and f'href="#{prefix}"' in first
    assert "<text>a &lt;b&gt;</text>" in first  # text is left alone
