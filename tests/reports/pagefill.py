"""How full each page of a PDF is, and where its parts (level-1 bookmarks) start."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader

# The running header and footer sit in the page margins: text there is not content.
MARGIN_TOP_PT = 20 / 25.4 * 72
MARGIN_BOTTOM_PT = 18 / 25.4 * 72


@dataclass(frozen=True)
class PageFill:
    """A page: how much of its content height holds text, and the text itself."""

    number: int  # 1-based
    fill: float  # 0 … 1
    text: str


def page_fills(pdf: bytes) -> list[PageFill]:
    """Every page's fill: from the top of the content area down to its lowest text line."""
    reader = PdfReader(io.BytesIO(pdf))
    fills = []
    for number, page in enumerate(reader.pages, start=1):
        height = float(page.mediabox.height)
        top, bottom = height - MARGIN_TOP_PT, MARGIN_BOTTOM_PT
        lowest: list[float] = []

        def visit(text, cm, tm, font, size, top=top, bottom=bottom, lowest=lowest):  # type: ignore[no-untyped-def]
            y = tm[5] * cm[3] + cm[5] if cm else tm[5]
            if text.strip() and bottom - 2 <= y <= top + 2:
                lowest.append(y)

        text = page.extract_text(visitor_text=visit)
        fill = (top - min(lowest)) / (top - bottom) if lowest else 0.0
        fills.append(PageFill(number, max(0.0, min(fill, 1.0)), text))
    return fills


def part_starts(pdf: bytes) -> set[int]:
    """The 1-based pages where a level-1 bookmark (a part of the document) starts."""
    reader = PdfReader(io.BytesIO(pdf))
    starts = set()
    for item in reader.outline:
        if not isinstance(item, list):
            starts.add(reader.get_destination_page_number(item) + 1)
    return starts


def underfull_pages(pdf: bytes, minimum: float = 1 / 3) -> list[PageFill]:
    """Pages less than `minimum` full that are not the last page of a part."""
    fills = page_fills(pdf)
    starts = part_starts(pdf) | {len(fills) + 1}
    return [p for p in fills if p.fill < minimum and p.number + 1 not in starts]
