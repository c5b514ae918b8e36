"""PDF rendering: autoescaped Jinja templates to HTML, HTML to PDF with WeasyPrint.

The renderer fetches nothing from the network and reads no file outside the app's packaged
static files: user text reaches the HTML only through autoescaped templates, and even a
remote `<img>` that slipped through would be refused by the URL fetcher.

WeasyPrint's memory grows with every document a process renders, so the web app renders in
a worker process that is replaced after each document (`PdfWorker`); the command line and
benchmarks render in their own process (`render_pdf`).
"""

from __future__ import annotations

import logging
import mimetypes
import multiprocessing
import re
import threading
import unicodedata
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from assessment.brand import Brand
from assessment.i18n import Translator
from assessment.resources import data_dir

log = logging.getLogger(__name__)

# The app's own packaged static files: the only files a report may load.
STATIC_DIR = Path(__file__).resolve().parent.parent / "assessment" / "static"


class RefusedURL(ValueError):
    """A report asked for a resource outside what the renderer allows."""


class LocalOnlyFetcher(URLFetcher):
    """A URL fetcher that serves `data:` URLs and files under one directory, nothing else.

    Refused URLs are kept in `refused` (WeasyPrint logs them and renders without them)."""

    def __init__(self, allowed_dir: Path = STATIC_DIR) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self.allowed_dir = allowed_dir.resolve()
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Serve a data: URL or an allowed file; refuse anything else."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            self.served.append(url[:40])
            response: URLFetcherResponse = super().fetch(url, headers)
            return response
        if scheme == "file":
            path = self._allowed_path(url)
            if path is not None:
                self.served.append(url)
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(),
                                          {"Content-Type": content_type})
        self.refused.append(url)
        raise RefusedURL(f"refused to fetch {url!r}: reports load no remote or outside files")

    def _allowed_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        if path.is_relative_to(self.allowed_dir) and path.is_file():
            return path
        return None


def render_pdf(html: str, *, fetcher: LocalOnlyFetcher | None = None) -> bytes:
    """Render the HTML to PDF in this process (the CLI and benchmarks; the web uses a worker)."""
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/",
                    url_fetcher=fetcher or LocalOnlyFetcher())
    pdf: bytes = document.write_pdf(pdf_identifier=b"some-maturity-report", uncompressed_pdf=False)
    return pdf


# Worker processes --------------------------------------------------------------------------

def _context() -> multiprocessing.context.BaseContext:
    """Forkserver where there is one (workers start fast with WeasyPrint already imported),
    else spawn; never plain fork, which would copy the web process and its threads."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["reports.pdf"])
        return context
    return multiprocessing.get_context("spawn")


class PdfWorker:
    """Renders PDFs in separate processes, each replaced after one document, so the memory a
    render takes is given back and the calling process does not grow."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(max_workers=self.processes,
                                                     mp_context=_context(),
                                                     max_tasks_per_child=1)
            return self._executor

    def render(self, html: str, timeout: float | None = None) -> bytes:
        """Render the HTML to PDF in a worker process and wait for the bytes."""
        pool = self._pool()
        try:
            return pool.submit(render_pdf, html).result(timeout=timeout)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start afresh for the next document.
            with self._lock:
                if self._executor is pool:
                    self._executor = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    def shutdown(self) -> None:
        """Stop the worker processes (a later render starts new ones)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def render_pdf_in_worker(html: str, timeout: float | None = None) -> bytes:
    """Render the HTML to PDF in a fresh worker process that exits afterwards."""
    worker = PdfWorker()
    try:
        return worker.render(html, timeout)
    finally:
        worker.shutdown()


# HTML --------------------------------------------------------------------------------------

def report_environment() -> Environment:
    """The Jinja environment of the report templates: autoescaped and strict."""
    return Environment(loader=FileSystemLoader(data_dir("templates")), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


_PLACEHOLDER = re.compile(r"\{(page|pages)\}")


def css_string(text: str) -> str:
    """Text as a quoted CSS string."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
               .replace("<", "\\3c "))
    return f'"{escaped}"'


def page_number_content(t: Translator) -> str:
    """The CSS `content` of the page number in the footer: "Page 3 / 12" in the language."""
    parts = []
    for number, piece in enumerate(_PLACEHOLDER.split(t.gettext("Page {page} / {pages}"))):
        if number % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts)


def file_slug(text: str) -> str:
    """A piece of a PDF's file name: plain ASCII letters, digits and hyphens, at most 40."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-") or "x"


def action_status_labels(t: Translator) -> dict[str, str]:
    """The names of an action's statuses in the translator's language."""
    return {"planned": t.gettext("Planned"), "in_progress": t.gettext("In progress"),
            "done": t.gettext("Done"), "dropped": t.gettext("Dropped")}


def render_html(environment: Environment, template: str, t: Translator,
                values: Mapping[str, Any], *, brand: Brand | None = None) -> str:
    """Render a report template in the translator's language, in the brand's colours."""
    brand = brand or Brand()
    context = {"_": t.gettext, "ngettext": t.ngettext, "i18n": t, "lang": t.language,
               "page_number_content": page_number_content(t), "brand": brand,
               "brand_footer_content": css_string(brand.footer) if brand.footer else "none",
               "brand_name_content": css_string(brand.name) if brand.name else "none",
               **values}
    return environment.get_template(template).render(context)
