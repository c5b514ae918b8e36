#!/usr/bin/env python3
"""Make the README's pictures of the deliverables: page 1 (and the executive summary on page
2) of each PDF and the first slide of each PowerPoint deck, from the demo organisation in a
sample brand.

    .venv/bin/python scripts/readme-images.py [--out docs/images] [--language en]

Needs the test extras (pypdfium2 draws the pages) and LibreOffice Impress (`soffice`, which
draws the slides; scripts/test.sh installs it). Nothing here is drawn by hand: run it again
after changing a report and commit the pictures it writes."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# A made-up consultancy, so the pictures show what a brand does to each deliverable.
SAMPLE_LOGO = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 260 60">
<rect width="60" height="60" rx="12" fill="#0b5d3b"/>
<circle cx="30" cy="30" r="15" fill="#ffffff"/><circle cx="30" cy="30" r="7" fill="#9c3d00"/>
<text x="72" y="41" font-family="DejaVu Sans" font-size="30" font-weight="bold"
 fill="#0b5d3b">Kumppani</text></svg>"""
WIDTH = 520  # pixels: small pictures, so the README stays light


def main() -> None:
    """Write the pictures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--language", default="en", choices=["fi", "en"])
    args = parser.parse_args()
    soffice = shutil.which("soffice")
    if soffice is None:
        sys.exit("soffice (LibreOffice Impress) is missing: scripts/test.sh installs it")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        made = _make(Path(scratch), args.language)
        for name, (kind, data) in made.items():
            source = Path(scratch) / f"{name}.{kind}"
            source.write_bytes(data)
            if kind == "pptx":
                subprocess.run([soffice, f"-env:UserInstallation=file://{scratch}/profile",
                                "--headless", "--convert-to", "pdf", "--outdir", scratch,
                                str(source)], check=True, capture_output=True, timeout=300)
                source = source.with_suffix(".pdf")
            # Page 1 of everything; a PDF's page 2 too, its one-page executive summary.
            pages = {0: f"{name}.png"} if kind == "pptx" else {0: f"{name}.png",
                                                               1: f"{name}-summary.png"}
            for index, filename in pages.items():
                target = args.out / filename
                _page(source, index, target)
                print(f"wrote {target}")


def _make(scratch: Path, language: str) -> dict[str, tuple[str, bytes]]:
    """The demo's three PDFs and three decks, in the sample brand."""
    from sqlmodel import Session, select

    from assessment.brand import BrandDefaults, check_logo, organisation_brand
    from assessment.db import create_db_engine
    from assessment.demo import PILOT_UNIT, load_demo
    from assessment.framework import FrameworkRegistry
    from assessment.i18n import Catalogues
    from assessment.migrate import upgrade
    from assessment.models import Round, Unit, Workshop
    from assessment.resources import data_dir
    from reports.brief import brief_html, build_brief
    from reports.pdf import render_pdf, report_environment
    from reports.roadmap_report import build_roadmap_report, roadmap_report_html
    from reports.slides import roadmap_deck, unit_deck, wrapup_deck
    from reports.unit_report import build_unit_report, unit_report_html
    from reports.wrapup import build_wrapup

    engine = create_db_engine(f"sqlite:///{scratch / 'demo.db'}")
    upgrade(engine)
    registry = FrameworkRegistry.from_directories([data_dir("frameworks")])
    framework = registry.get("some-maturity")
    defaults = BrandDefaults(name="Kumppani Consulting", logo=check_logo(SAMPLE_LOGO),
                             primary="#0b5d3b", accent="#9c3d00",
                             contact="Kalle Konsultti · kalle@kumppani.example",
                             footer="Kumppani Consulting · Confidential")
    t = Catalogues().translator(language)
    environment = report_environment()
    made: dict[str, tuple[str, bytes]] = {}
    with Session(engine, expire_on_commit=False) as session:
        organisation = load_demo(session, framework).organisation
        session.commit()
        brand = organisation_brand(session, defaults, organisation.id)
        unit = session.exec(select(Unit).where(Unit.name == PILOT_UNIT)).one()
        spring = session.exec(select(Round).order_by(Round.id)).all()[1]
        unit_report = build_unit_report(session, registry, spring, unit, min_votes=3)
        roadmap = build_roadmap_report(session, registry, organisation)
        brief = build_brief(session, registry, organisation)
        wrapup = build_wrapup(session, registry, session.exec(select(Workshop)).one(),
                              min_votes=3)
    engine.dispose()
    pdf: Callable[[str], bytes] = render_pdf
    made["unit-report"] = ("pdf", pdf(unit_report_html(unit_report, t, environment, brand)))
    made["roadmap-report"] = ("pdf", pdf(roadmap_report_html(roadmap, t, environment, brand)))
    made["leadership-brief"] = ("pdf", pdf(brief_html(brief, t, environment, brand)))
    made["unit-deck"] = ("pptx", unit_deck(unit_report, t, brand))
    made["roadmap-deck"] = ("pptx", roadmap_deck(roadmap, t, brand))
    made["wrapup-deck"] = ("pptx", wrapup_deck(wrapup, t, brand))
    return made


def _page(pdf: Path, index: int, target: Path) -> None:
    """A page of the PDF as a small PNG, WIDTH pixels wide."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        page = document[index]
        image = page.render(scale=WIDTH / page.get_width()).to_pil()
        image.convert("RGB").save(target, format="PNG", optimize=True)
    finally:
        document.close()


if __name__ == "__main__":
    main()
