"""Every htmx attribute is written `data-hx-*` (valid HTML; htmx reads both spellings), and
`scripts/data-hx.py` converts the bare ones that other branches bring in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "data-hx.py"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, check=False, cwd=REPO)


def test_no_template_or_python_module_has_a_bare_hx_attribute() -> None:
    checked = run("--check")
    assert checked.returncode == 0, checked.stdout
    # The check looks where the HTML is written: templates and the Python packages.
    templates = list((REPO / "templates").rglob("*.html"))
    assert sum("data-hx-" in t.read_text(encoding="utf-8") for t in templates) >= 5


def test_the_script_converts_bare_attributes_and_leaves_everything_else(tmp_path: Path) -> None:
    template = tmp_path / "page.html"
    template.write_text(
        '<form hx-post="/a" hx-target="#main" class="hx-post">\n'
        '<div data-hx-get="/b" {% if live %}hx-trigger="every 2s"{% endif %} hx-swap-oob>\n'
        "</div></form>\n", encoding="utf-8")
    module = tmp_path / "render.py"
    module.write_text("HEADER = 'HX-Request'\nHTML = '<p hx-get=\"/c\">'\n", encoding="utf-8")

    checked = run("--check", tmp_path)
    assert checked.returncode == 1
    assert checked.stdout.count("bare hx-") == 5, checked.stdout
    assert f"{template}:1: bare hx-post" in checked.stdout

    assert run(tmp_path).returncode == 0
    assert template.read_text(encoding="utf-8") == (
        '<form data-hx-post="/a" data-hx-target="#main" class="hx-post">\n'
        '<div data-hx-get="/b" {% if live %}data-hx-trigger="every 2s"{% endif %} '
        "data-hx-swap-oob>\n"
        "</div></form>\n")
    assert module.read_text(encoding="utf-8") == (
        "HEADER = 'HX-Request'\nHTML = '<p data-hx-get=\"/c\">'\n")
    assert run("--check", tmp_path).returncode == 0

