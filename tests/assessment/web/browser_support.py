"""What the browser tests share: the system Chromium, a running app, signing in."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@dataclass(frozen=True)
class Site:
    """The running app and what the tests need to know about its data."""

    base: str
    round_id: int
    other_assessment_id: int


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Run the app with uvicorn in a thread (on `port`, or a free one); yields its base URL."""
    port = port or free_port()
    # Live screens hold their streams open: on stopping, end them after a second.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", timeout_graceful_shutdown=1)
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


def sign_in(page: Page, base: str, email: str) -> None:
    """Sign in through the form and land on the organisations page."""
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")


# What an element of the projector (its timer, its full-screen button) covers: the join box, or
# a line of text, as the page is scrolled now.
COVERS = """(selector) => {
  const element = document.querySelector(selector);
  if (!element || element.getClientRects().length === 0) return [];
  const t = element.getBoundingClientRect();
  const meets = (r) => r.width > 0 && r.height > 0 && r.left < t.right && t.left < r.right
    && r.top < t.bottom && t.top < r.bottom;
  const covered = [];
  const box = document.querySelector(".join-box");
  if (box && meets(box.getBoundingClientRect())) covered.push("the join box");
  for (const el of document.querySelectorAll(".projector-main :is(p, li, td, th, h1, h2)")) {
    const range = document.createRange();
    range.selectNodeContents(el);
    if ([...range.getClientRects()].some(meets)) covered.push(el.textContent.trim().slice(0, 40));
  }
  return covered;
}"""


def covers(page: Page, selector: str = ".projector > .timer") -> list[str]:
    """What the projector's element (by default its timer) covers: nothing, on a good wall."""
    return list(page.evaluate(COVERS, selector))
