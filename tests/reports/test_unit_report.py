"""The unit report: built as data, rendered to PDF and read back with real PDF parsers."""

from __future__ import annotations

import io
import os
import re
import socket
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import PIL.Image
import pypdf
import pypdfium2
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from assessment.cli import app as cli
from assessment.db import create_db_engine
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Catalogues, Translator
from assessment.models import AssessmentKind, metadata
from reports.pdf import (
    LocalOnlyFetcher,
    PdfWorker,
    page_number_content,
    render_pdf,
    render_pdf_in_worker,
    report_environment,
)
from reports.unit_report import (
    UnitReport,
    build_unit_report,
    report_filename,
    unit_report_html,
)
from tests.reports.conftest import read_back
from tests.reports.report_world import HOSTILE_NOTE, RATIONALE, ReportWorld, make_report_world

MIN_VOTES = 3


def build(session: Session, registry: FrameworkRegistry, world: ReportWorld,
          unit: str = "unit") -> UnitReport:
    return build_unit_report(session, registry, world.second, getattr(world, unit),
                             min_votes=MIN_VOTES)


# The data ---------------------------------------------------------------------------------

def test_the_report_traces_each_score_to_its_answers_and_votes(
        session: Session, registry: FrameworkRegistry, framework: Framework) -> None:
    world = make_report_world(session, framework)
    report = build(session, registry, world)
    assert not report.empty and report.primary is not None
    assert report.primary.kind == AssessmentKind.workshop  # the consensus is what counts
    goals = report.sections[0]
    assert goals.factor.id == framework.factors[0].id
    assert goals.score == Decimal("3.5") and goals.target == 5 and goals.gap == 2
    # Another unit (self-assessed 4.4) and this one (3.5) make the organisation average.
    assert report.measured_units == 2 and goals.average == Decimal("4.0")
    assert report.previous_round_name == "Kevät 2026" and goals.previous == Decimal("1.4")
    first = goals.questions[0]
    assert first.workshop_answer is not None and first.workshop_answer.level == 3
    assert first.workshop_answer.note == RATIONALE
    assert first.self_answer is not None and first.self_answer.note == HOSTILE_NOTE
    assert first.votes is not None and first.votes.by_level == (1, 0, 1, 1, 0)
    assert first.votes.divergent and not first.votes.hidden
    # Factors the workshop did not reach are measured by the self-assessment, as the
    # dashboard and roadmap measure them, and the report says which source each came from.
    assert goals.source == AssessmentKind.workshop
    listening = report.sections[4]
    assert listening.score == Decimal("2.4") and listening.source == AssessmentKind.self
    assert listening.questions[0].workshop_answer is None
    assert listening.questions[0].self_answer is not None
    assert report.mixed_sources
    assert report.comparison is not None
    assert report.comparison[0].self_score == Decimal("2.4")
    assert report.comparison[0].workshop_score == Decimal("3.5")
    texts = [a.text for a in report.actions]
    assert any(t["en"] != t["fi"] for t in texts)  # library actions in both languages
    assert {"fi": "Kirjatkaa vuosikello intranetiin <b>heti</b>",
            "en": "Kirjatkaa vuosikello intranetiin <b>heti</b>"} in texts
    assert report.largest_gaps[0].gap == 2


def test_a_unit_without_answers_gives_an_empty_report(
        session: Session, registry: FrameworkRegistry, framework: Framework) -> None:
    world = make_report_world(session, framework)
    report = build(session, registry, world, "empty")
    assert report.empty and report.primary is None
    assert report.previous_round_name is None
    assert all(s.score is None for s in report.sections)


def test_vote_distributions_stay_hidden_below_the_minimum(
        session: Session, registry: FrameworkRegistry, framework: Framework) -> None:
    world = make_report_world(session, framework)
    report = build_unit_report(session, registry, world.second, world.unit, min_votes=4)
    votes = report.sections[0].questions[0].votes
    assert votes is not None and votes.hidden


# The PDF ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    """A report rendered in one language, and its PDF read back."""

    report: UnitReport
    t: Translator
    html: str
    pdf: bytes
    reader: pypdf.PdfReader
    pages: list[str]
    fetcher: LocalOnlyFetcher  # a spy: what the renderer asked for


def _render(report: UnitReport, t: Translator) -> Rendered:
    html = unit_report_html(report, t, report_environment())
    return Rendered(report, t, html, *read_back(html))


@pytest.fixture(scope="module")
def reports(registry: FrameworkRegistry, framework: Framework) -> Iterator[dict[str, Rendered]]:
    """The unit's report in Finnish and English, and the empty unit's (rendered once)."""
    engine = create_db_engine("sqlite://")
    metadata.create_all(engine)
    catalogues = Catalogues()
    with Session(engine, expire_on_commit=False) as session:
        world = make_report_world(session, framework)
        full, empty = build(session, registry, world), build(session, registry, world, "empty")
    yield {"fi": _render(full, catalogues.translator("fi")),
           "en": _render(full, catalogues.translator("en")),
           "empty": _render(empty, catalogues.translator("en"))}
    engine.dispose()


def _annotations(reader: pypdf.PdfReader, page: int) -> list[pypdf.generic.DictionaryObject]:
    return [a.get_object() for a in reader.pages[page].get("/Annots", [])]


def _destination_page(reader: pypdf.PdfReader, annotation: pypdf.generic.DictionaryObject,
                      ) -> int:
    target = annotation.get("/Dest")
    if target is None:
        action = annotation["/A"]
        assert action["/S"] == "/GoTo"
        target = action["/D"]
    if isinstance(target, str):
        return reader.get_destination_page_number(reader.named_destinations[str(target)])
    return reader.get_page_number(target[0].get_object())


def test_the_pdf_has_a_cover_contents_with_page_numbers_and_working_links(
        reports: dict[str, Rendered], framework: Framework) -> None:
    rendered = reports["en"]
    reader, pages = rendered.reader, rendered.pages
    assert len(pages) > 5
    assert "Asiakaspalvelu" in pages[0] and "Raporttitesti Oy" in pages[0]
    # The one-page executive summary opens the report; the contents follow it.
    assert pages[1].lstrip().startswith("Executive summary")
    toc = next(i for i, text in enumerate(pages) if "Contents" in text)
    assert toc == 2
    entries = ["Executive summary", "Summary", "Overview", "Factor by factor",
               "Self-assessment and workshop", "Targets and gaps", "Roadmap actions",
               "How the scores are calculated",
               *(f.name["en"] for f in framework.factors)]
    for entry in entries:
        assert entry in pages[toc], entry
    links = [a for a in _annotations(reader, toc) if a["/Subtype"] == "/Link"]
    assert len(links) >= len(entries)
    targets = [_destination_page(reader, link) for link in links]
    assert all(0 < page < len(pages) and page != toc for page in targets)
    # The contents list the page each section starts on, and the links go there.
    summary = next(i for i, text in enumerate(pages) if i > toc and "Summary" in text)
    assert summary in targets
    assert not any("/URI" in str(a.get("/A", {})) for p in range(len(pages))
                   for a in _annotations(reader, p))  # no link leaves the document


def test_every_page_has_its_number_and_the_running_header(
        reports: dict[str, Rendered]) -> None:
    for language in ("en", "fi"):
        rendered = reports[language]
        count = len(rendered.pages)
        for number, text in enumerate(rendered.pages, start=1):
            wanted = rendered.t.gettext("Page {page} / {pages}", page=number, pages=count)
            assert wanted in text, (language, number)
        assert "Asiakaspalvelu · Syksy 2026" in rendered.pages[2]
    assert "Page 3 / " in reports["en"].pages[2]


def test_the_finnish_report_speaks_finnish_with_finnish_numbers(
        reports: dict[str, Rendered], framework: Framework) -> None:
    rendered = reports["fi"]
    text = " ".join(" ".join(rendered.pages).split())
    assert "Tavoitteiden asettaminen" in text and "Kuunteleminen" in text
    assert "3,5" in text and not re.search(r"(?<![\d.])3\.5(?![\d.])", text)
    for message in ("Self-assessment", "Consensus rationale", "Targets and gaps",
                    "Factor by factor"):
        assert rendered.t.gettext(message) in text, message
    assert "Itsearviointi" in text and "Yhteisen näkemyksen perustelu" in text
    assert rendered.t.gettext("Unit maturity report") in text
    assert "Self-assessment" not in text.replace("Self-assessment".upper(), "")


def test_user_text_is_shown_as_text_and_nothing_is_fetched(
        reports: dict[str, Rendered]) -> None:
    rendered = reports["en"]
    text = "".join(rendered.pages).replace("\n", " ")
    assert "<script>alert(1)</script>" in text
    assert '<img src="https://example.com/x.png">' in text
    assert "<b>heti</b>" in text
    assert "&lt;" not in text
    assert all(not page.images for page in rendered.reader.pages)
    soup = BeautifulSoup(rendered.html, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None
    assert all(a["href"].startswith("#") for a in soup.find_all("a"))
    # The renderer was not even asked for anything (the next test shows it would refuse).
    for language in ("en", "fi", "empty"):
        assert reports[language].fetcher.refused == []
        assert reports[language].fetcher.served == []


def _no_network(*args: object, **kwargs: object) -> None:
    raise AssertionError(f"the renderer tried to open a connection: {args}")


def test_the_fetcher_refuses_remote_and_outside_resources(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(socket, "create_connection", _no_network)
    opened: list[str] = []
    real_open = urllib.request.OpenerDirector.open

    def spy_open(self: urllib.request.OpenerDirector, url: object, *args: object,
                 **kwargs: object) -> object:
        opened.append(getattr(url, "full_url", str(url)))
        return real_open(self, url, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", spy_open)
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }", encoding="utf-8")
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"
             "nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")
    html = (f'<html><head><link rel="stylesheet" href="{secret.as_uri()}">'
            '<link rel="stylesheet" href="https://example.com/style.css"></head><body>'
            '<img src="https://example.com/x.png"><img src="file:///etc/passwd">'
            f'<img src="../../../../etc/hostname"><img src="{pixel}"><p>Hei</p></body></html>')
    spy = LocalOnlyFetcher()
    pdf = render_pdf(html, fetcher=spy)
    assert set(spy.refused) >= {"https://example.com/x.png", "https://example.com/style.css",
                                "file:///etc/passwd", secret.as_uri()}
    assert not any(url.startswith(("http", "file")) for url in opened)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages[0].images) == 1  # only the data: URL image
    assert "Hei" in reader.pages[0].extract_text()


def test_a_page_renders_to_a_png_that_is_not_blank(reports: dict[str, Rendered]) -> None:
    rendered = reports["en"]
    overview = next(i for i, text in enumerate(rendered.pages)
                    if "The radar's values" in text)
    document = pypdfium2.PdfDocument(rendered.pdf)
    try:
        cover = document[0].render(scale=1).to_pil()
        chart = document[overview].render(scale=1).to_pil()
    finally:
        document.close()
    png = io.BytesIO()
    cover.save(png, format="PNG")
    assert png.getvalue().startswith(b"\x89PNG\r\n\x1a\n")
    width, height = PIL.Image.open(io.BytesIO(png.getvalue())).size
    assert abs(width - 595) <= 1 and abs(height - 842) <= 1  # A4 portrait at 72 dpi
    assert chart.size[0] > chart.size[1]  # the radar's page is landscape
    grey = chart.convert("L")
    dark = sum(grey.histogram()[:200])
    assert dark > 0.01 * grey.size[0] * grey.size[1]  # lines, text and the chart's fill
    counted = chart.convert("RGB").getcolors(maxcolors=1 << 20) or []
    colours = {colour for _count, colour in counted if len(set(colour)) > 1}
    assert len(colours) > 20  # the series are drawn in colour


def test_the_empty_report_is_a_short_pdf_that_says_so(reports: dict[str, Rendered]) -> None:
    rendered = reports["empty"]
    text = "\n".join(rendered.pages)
    assert len(rendered.pages) <= 2
    assert "No answers yet" in text and "Talous" in text
    assert "has no answers in the round Syksy 2026" in text.replace("\n", " ")


def test_the_radar_has_a_series_for_each_comparison(reports: dict[str, Rendered]) -> None:
    html = reports["en"].html
    for label in ("Current", "Target", "Organisation average", "Previous round: Kevät 2026"):
        assert label in html, label
    empty = reports["empty"].html
    assert "<svg" not in empty


def test_page_numbers_are_css_with_the_translated_words() -> None:
    catalogues = Catalogues()
    assert page_number_content(catalogues.translator("en")) == \
        '"Page " counter(page) " / " counter(pages)'


def test_the_file_name_is_plain_ascii(reports: dict[str, Rendered]) -> None:
    name = report_filename(reports["fi"].report, "fi")
    assert name == "unit-report-asiakaspalvelu-syksy-2026-fi.pdf"


def test_rendering_in_a_worker_process_gives_the_same_document() -> None:
    html = "<html><body><h1>Raportti</h1><p>Työpaja ja äänet</p></body></html>"
    pdf = render_pdf_in_worker(html, timeout=120)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert pdf.startswith(b"%PDF") and len(reader.pages) == 1
    assert "Työpaja ja äänet" in reader.pages[0].extract_text()


def test_each_document_gets_a_fresh_worker_process() -> None:
    worker = PdfWorker()
    try:
        pids = [worker._pool().submit(os.getpid).result(timeout=120) for _ in range(3)]
    finally:
        worker.shutdown()
    assert len(set(pids)) == 3 and os.getpid() not in pids


# The command line -------------------------------------------------------------------------

def test_the_command_line_writes_the_unit_report(cli_database: Engine, framework: Framework,
                                                 tmp_path: Path) -> None:
    with Session(cli_database, expire_on_commit=False) as session:
        world = make_report_world(session, framework)
    output = tmp_path / "raportti.pdf"
    result = CliRunner().invoke(cli, ["report", "unit", "--round", str(world.second.id),
                                      "--unit", str(world.unit.id), "--language", "fi",
                                      "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "Asiakaspalvelu" in result.output and str(output) in result.output
    reader = pypdf.PdfReader(output)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) > 5 and "3,5" in text and "Tavoitteiden asettaminen" in text

    other = world.other.id
    wrong = CliRunner().invoke(cli, ["report", "unit", "--round", str(world.second.id),
                                     "--unit", "9999", "--output", str(tmp_path / "x.pdf")])
    assert wrong.exit_code == 1 and "no round" in wrong.output
    language = CliRunner().invoke(cli, ["report", "unit", "--round", str(world.second.id),
                                        "--unit", str(other), "--language", "sv",
                                        "--output", str(tmp_path / "y.pdf")])
    assert language.exit_code == 2 and "fi, en" in language.output
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


def test_actions_from_the_framework_show_owner_role_done_when_and_sources(
        reports: dict[str, Rendered], framework: Framework) -> None:
    for language in ("en", "fi"):
        rendered = reports[language]
        suggested = [a for a in rendered.report.actions if a.suggested.done_when]
        assert suggested, "the world's unit has actions proposed from the framework"
        text = " ".join(" ".join(rendered.pages).split())
        first = suggested[0].suggested
        assert first.owner_role is not None and first.done_when is not None
        assert " ".join(first.owner_role[language].split()) in text
        assert " ".join(first.done_when[language].split()) in text
        assert rendered.t.gettext("Done when: {criterion}").split(":")[0] in text
        titles = [framework.seed(sid).title[language] for sid, _title in first.sources]
        assert titles and " ".join(titles[0].split()) in text


def test_each_question_says_why_we_ask_it(reports: dict[str, Rendered],
                                          framework: Framework) -> None:
    rendered = reports["en"]
    text = " ".join(" ".join(rendered.pages).split())
    assert text.count("Why we ask this") >= sum(len(f.questions) for f in framework.factors)
    organisation_wide = sum(q.scope == "organisation" for f in framework.factors
                            for q in f.questions)
    assert text.count("Whose view: the whole organisation") == organisation_wide
