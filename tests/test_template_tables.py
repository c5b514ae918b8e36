"""Wide tables scroll inside their own box, which a keyboard can reach and a screen reader
names: every data table in the app's templates sits in a focusable, labelled region."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# Read from the back of a room and never scrolled: its tables must fit the screen instead.
NEVER_SCROLLED = {"projector.html"}
REGION = re.compile(r'<div class="table-scroll" role="region" tabindex="0" '
                    r'aria-label(?:ledby)?=".+">\s*$')


def test_every_data_table_is_in_a_focusable_labelled_scroll_region() -> None:
    tables = 0
    bare: list[str] = []
    for template in sorted(TEMPLATES.glob("*.html")):  # reports/ are print templates
        if template.name in NEVER_SCROLLED:
            continue
        text = template.read_text(encoding="utf-8")
        for found in re.finditer(r'<table class="data-table', text):
            tables += 1
            if not REGION.search(text[:found.start()]):
                line = text.count("\n", 0, found.start()) + 1
                bare.append(f"{template.name}:{line}")
    assert tables >= 20
    assert not bare, f"tables outside a scroll region: {bare}"
