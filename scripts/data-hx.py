#!/usr/bin/env python3
"""Write every htmx attribute as `data-hx-*` (htmx reads both; the Nu HTML checker accepts only
`data-*`). Rewrites the templates and the Python modules that render HTML, in place.

    scripts/data-hx.py            convert templates/, assessment/ and reports/
    scripts/data-hx.py --check    list bare hx-* attributes and exit 1 if there are any
    scripts/data-hx.py PATH ...   convert (or --check) only these files or folders
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = ("templates", "assessment", "reports")
SUFFIXES = {".html", ".py"}
# An attribute name `hx-...` that starts an attribute (after whitespace, a quote that closes the
# previous value or a Jinja tag) and is followed by `=`, whitespace or the end of the tag.
BARE = re.compile(r"(?<=[\s\"'}])hx-([a-z][a-z0-9:-]*)(?=\s*=|[\s>/])")


def files(paths: list[Path]) -> list[Path]:
    """The template and Python files under the given paths."""
    found: list[Path] = []
    for path in paths:
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        found += [p for p in candidates if p.suffix in SUFFIXES and "vendor" not in p.parts]
    return found


def shown(path: Path) -> str:
    """The path relative to the repository where it is inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def main(argv: list[str]) -> int:
    """Convert or check the files; returns the exit status."""
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or [ROOT / p for p in DEFAULT_PATHS]
    bare = 0
    for path in files(paths):
        text = path.read_text(encoding="utf-8")
        hits = list(BARE.finditer(text))
        if not hits:
            continue
        bare += len(hits)
        if check:
            for hit in hits:
                line = text.count("\n", 0, hit.start()) + 1
                print(f"{shown(path)}:{line}: bare {hit.group(0)} (write data-{hit.group(0)})")
        else:
            path.write_text(BARE.sub(r"data-hx-\1", text), encoding="utf-8")
            print(f"{shown(path)}: {len(hits)} attributes now data-hx-*")
    return 1 if check and bare else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
