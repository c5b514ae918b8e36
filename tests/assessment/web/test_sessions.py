"""Sessions end for good at sign-out; the CSRF cookie is renewed at sign-in; private pages are
not cached; 500 pages carry the security headers; chunked bodies over the limit get 413; and
X-Forwarded-For is believed only from the trusted proxies."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment.models import SignInAttempt, UserSession, metadata
from assessment.web.app import create_app
from assessment.web.security import MAX_BODY_BYTES
from tests.conftest import csrf_headers, make_settings, set_cookie, sign_in
from tests.factories import PASSWORD, make_user

REPO = Path(__file__).resolve().parents[3]


def test_a_cookie_copied_before_sign_out_stops_working(app: FastAPI, db: Session) -> None:
    make_user(db, email="a@example.com")
    with TestClient(app) as laptop, TestClient(app) as phone, TestClient(app) as thief:
        for device in (laptop, phone):
            csrf_headers(app, device)
            sign_in(device, "a@example.com")
        copied = laptop.cookies["session"]
        set_cookie(thief, "session", copied)
        assert thief.get("/account", follow_redirects=False).status_code == 200
        assert laptop.post("/sign-out", follow_redirects=False).status_code == 303
        assert "session" not in laptop.cookies
        stolen = thief.get("/account", follow_redirects=False)
        assert stolen.status_code == 303 and stolen.headers["location"].startswith("/sign-in")
        # The same user's other device keeps its own session.
        assert phone.get("/account", follow_redirects=False).status_code == 200
    assert len(db.exec(select(UserSession)).all()) == 1


def test_a_password_change_ends_every_other_session(app: FastAPI, db: Session) -> None:
    make_user(db, email="a@example.com")
    with TestClient(app) as laptop, TestClient(app) as phone:
        for device in (laptop, phone):
            csrf_headers(app, device)
            sign_in(device, "a@example.com")
        old = laptop.cookies["session"]
        changed = laptop.post("/account/password", data={
            "current_password": PASSWORD, "new_password": "a brand new password"},
            follow_redirects=False)
        assert changed.status_code == 303
        assert laptop.get("/account", follow_redirects=False).status_code == 200
        assert phone.get("/account", follow_redirects=False).status_code == 303
        set_cookie(phone, "session", old)
        assert phone.get("/account", follow_redirects=False).status_code == 303


def test_signing_in_renews_the_csrf_cookie(app: FastAPI, anonymous: TestClient,
                                           db: Session) -> None:
    make_user(db, email="a@example.com")
    csrf_headers(app, anonymous)
    signed = anonymous.post("/sign-in", data={"email": "a@example.com", "password": PASSWORD},
                            follow_redirects=False)
    assert signed.status_code == 303
    renewed = [c for c in signed.headers.get_list("set-cookie") if c.startswith("csrf=")]
    assert len(renewed) == 1 and "HttpOnly" in renewed[0]
    assert renewed[0].split(";")[0] != "csrf=test-csrf-cookie"
    set_cookie(anonymous, "csrf", renewed[0].split(";")[0].removeprefix("csrf="))
    # The token made for the planted cookie is worth nothing now.
    refused = anonymous.post("/sign-out", follow_redirects=False)
    assert refused.status_code == 403


def test_signed_in_pages_are_not_stored(app: FastAPI, client: TestClient,
                                        anonymous: TestClient) -> None:
    for url in ("/", "/account", "/organisations/999"):
        assert client.get(url).headers["cache-control"] == "no-store", url
    assert "cache-control" not in anonymous.get("/sign-in").headers
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


def test_a_server_error_page_carries_the_security_headers(app: FastAPI) -> None:
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False,
                    headers={"Accept-Language": "en"}) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "Something went wrong" in response.text and "RuntimeError" not in response.text


def test_a_chunked_body_over_the_limit_gets_413(app: FastAPI, anonymous: TestClient) -> None:
    csrf_headers(app, anonymous)

    def chunks() -> Iterator[bytes]:
        yield b"email=a%40example.com&password="
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536

    response = anonymous.post("/sign-in", content=chunks(), headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def _attempt_address(database_url: str, peer: str, forwarded: str,
                     trusted: str | None) -> str:
    app = create_app(make_settings(database_url, trusted_proxies=trusted))
    metadata.create_all(app.state.engine)
    try:
        with TestClient(app, client=(peer, 50000)) as client:
            csrf_headers(app, client)
            client.post("/sign-in", data={"email": "x@example.com", "password": "wrong"},
                        headers={"X-Forwarded-For": forwarded})
        with Session(app.state.engine) as session:
            attempts = session.exec(select(SignInAttempt)).all()
            return attempts[-1].address
    finally:
        metadata.drop_all(app.state.engine)
        app.state.engine.dispose()


def test_x_forwarded_for_is_believed_only_from_trusted_proxies(database_url: str) -> None:
    # By default no proxy is trusted, a local client included.
    assert _attempt_address(database_url, "127.0.0.1", "203.0.113.9", None) == "127.0.0.1"
    trusted = "10.0.0.0/8, 192.0.2.1"
    assert _attempt_address(database_url, "10.0.0.5", "203.0.113.9, 10.0.0.7",
                            trusted) == "203.0.113.9"
    # A client cannot slip an address in front of the one the proxy saw.
    assert _attempt_address(database_url, "192.0.2.1", "6.6.6.6, 198.51.100.4",
                            trusted) == "198.51.100.4"
    assert _attempt_address(database_url, "198.51.100.4", "203.0.113.9",
                            trusted) == "198.51.100.4"


def test_csrf_tokens_are_remembered_per_cookie_and_forgotten_when_too_many() -> None:
    from assessment.web import auth

    sessions, other = auth.Sessions("k" * 40, 12), auth.Sessions("j" * 40, 12)
    first, second = auth.new_csrf_cookie(), auth.new_csrf_cookie()
    token = sessions.csrf_token(first)
    assert sessions.csrf_token(first) == token and sessions.csrf_valid(first, token)
    assert sessions.csrf_token(second) != token and not sessions.csrf_valid(second, token)
    assert other.csrf_token(first) != token  # another key, another token
    for _ in range(auth.CSRF_TOKENS_KEPT + 1):
        sessions.csrf_token(auth.new_csrf_cookie())
    assert len(sessions._csrf_tokens) <= auth.CSRF_TOKENS_KEPT
    assert sessions.csrf_token(first) == token  # worked out again, the same


def test_fastapi_telemetry_is_off_unless_the_setting_turns_it_on(database_url: str) -> None:
    quiet = create_app(make_settings(database_url))
    traced = create_app(make_settings(database_url, telemetry=True))
    for app in (quiet, traced):
        api = next(r.app for r in app.routes if getattr(r, "path", "") == "/api/v1")
        on = app.state.settings.telemetry
        for each in (app, api):
            config = each._telemetry  # what FastAPI's middleware reads on every request
            assert (config["tracing"], config["metrics"], config["logs"]) == (on, on, on)
        app.state.engine.dispose()


def test_a_served_process_tunes_its_garbage_collector(tmp_path: Path) -> None:
    """`maturity serve`'s factory freezes what the process loaded and collects the youngest
    objects less often; an app made otherwise (the tests' own) leaves the collector alone."""
    script = (
        "import gc\n"
        "from fastapi.testclient import TestClient\n"
        "from assessment.web.app import GC_YOUNGEST_THRESHOLD, app_from_environment, create_app\n"
        "from assessment.settings import Settings\n"
        "with TestClient(create_app(Settings())):\n"
        "    print(gc.get_threshold()[0], gc.get_freeze_count())\n"
        "with TestClient(app_from_environment()):\n"
        "    print(gc.get_threshold()[0] == GC_YOUNGEST_THRESHOLD, gc.get_freeze_count() > 0)\n")
    env = {**os.environ, "MATURITY_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
           "MATURITY_SECRET_KEY": "s" * 40}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, text=True,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["700", "0", "True", "True"]
