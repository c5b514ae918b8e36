"""Accounts on the web: sign-in, sessions, CSRF, throttling, invitations, headers, limits."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment import accounts, services
from assessment.models import (
    AuditEvent,
    Invitation,
    Membership,
    Organisation,
    Role,
    User,
    utcnow,
)
from tests.conftest import csrf_headers, set_cookie, sign_in
from tests.factories import PASSWORD, make_organisation, make_unit, make_user


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ").split())


def test_pages_need_a_sign_in_and_come_back_after_it(anonymous: TestClient, app: FastAPI,
                                                     db: Session) -> None:
    organisation = make_organisation(db)
    make_user(db, email="lead@example.com", organisation=organisation, role=Role.consultant)
    response = anonymous.get(f"/organisations/{organisation.id}?x=1", follow_redirects=False)
    assert response.status_code == 303
    expected = f"/sign-in?next=%2Forganisations%2F{organisation.id}%3Fx%3D1"
    assert response.headers["location"] == expected
    fragment = anonymous.get(f"/organisations/{organisation.id}",
                             headers={"HX-Request": "true"})
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"].startswith("/sign-in")
    csrf_headers(app, anonymous)
    signed = anonymous.post("/sign-in", data={"email": "LEAD@example.com ",
                                              "password": PASSWORD,
                                              "next": f"/organisations/{organisation.id}"},
                            follow_redirects=False)
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/organisations/{organisation.id}"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert anonymous.get(f"/organisations/{organisation.id}").status_code == 200


def test_wrong_password_and_unknown_email_read_the_same(anonymous: TestClient, app: FastAPI,
                                                        db: Session) -> None:
    make_user(db, email="known@example.com")
    csrf_headers(app, anonymous)
    wrong = anonymous.post("/sign-in", data={"email": "known@example.com", "password": "nope"})
    unknown = anonymous.post("/sign-in", data={"email": "nobody@example.com",
                                               "password": "nope"})
    assert wrong.status_code == unknown.status_code == 400
    message = "The email address or password is wrong."
    assert message in text_of(wrong) and message in text_of(unknown)
    assert "session" not in anonymous.cookies
    events = [e.event for e in db.exec(select(AuditEvent))]
    assert events.count("sign_in_failed") == 2


def test_open_redirect_in_next_is_refused(anonymous: TestClient, app: FastAPI,
                                          db: Session) -> None:
    make_user(db, email="a@example.com")
    for target in ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"]:
        csrf_headers(app, anonymous)  # each sign-in renews the CSRF cookie
        response = anonymous.post("/sign-in", data={"email": "a@example.com",
                                                    "password": PASSWORD, "next": target},
                                  follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/", target


def test_throttling_after_ten_failures(anonymous: TestClient, app: FastAPI,
                                       db: Session) -> None:
    make_user(db, email="target@example.com")
    csrf_headers(app, anonymous)
    for _ in range(10):
        anonymous.post("/sign-in", data={"email": "target@example.com", "password": "bad"})
    blocked = anonymous.post("/sign-in", data={"email": "target@example.com",
                                               "password": PASSWORD}, follow_redirects=False)
    assert blocked.status_code == 429
    assert "Wait 15 minutes" in text_of(blocked)
    assert "session" not in anonymous.cookies


def test_throttle_window_ends_after_fifteen_minutes(session: Session) -> None:
    make_user(session, email="slow@example.com")
    start = utcnow()
    for _ in range(10):
        with contextlib.suppress(accounts.SignInRefused):
            accounts.authenticate(session, email="slow@example.com", password="bad",
                                  address="10.0.0.1", now=start)
    session.commit()
    with pytest.raises(accounts.Throttled):
        accounts.authenticate(session, email="slow@example.com", password=PASSWORD,
                              address="10.0.0.2", now=start + timedelta(minutes=14))
    user = accounts.authenticate(session, email="slow@example.com", password=PASSWORD,
                                 address="10.0.0.2", now=start + timedelta(minutes=16))
    assert user.email == "slow@example.com"


def test_attempts_count_before_their_passwords_are_checked(session: Session) -> None:
    # Ten attempts under way (recorded, passwords not yet checked) already fill the limit:
    # attempts that arrive at the same moment cannot all pass the count.
    make_user(session, email="busy@example.com")
    attempts = [accounts.start_sign_in(session, email="busy@example.com",
                                       address=f"10.0.1.{n}") for n in range(10)]
    session.commit()
    with pytest.raises(accounts.Throttled):
        accounts.start_sign_in(session, email="busy@example.com", address="10.0.1.99")
    user = accounts.finish_sign_in(session, attempts[0], email="busy@example.com",
                                   password=PASSWORD, address="10.0.1.0")
    session.commit()  # a right password marks its attempt succeeded: one slot is free again
    assert user.email == "busy@example.com"
    accounts.start_sign_in(session, email="busy@example.com", address="10.0.1.99")
    for n in range(10):  # per address too, whatever the email
        accounts.start_sign_in(session, email=f"u{n}@example.com", address="10.0.2.1")
    with pytest.raises(accounts.Throttled):
        accounts.start_sign_in(session, email="busy2@example.com", address="10.0.2.1")


def test_an_invitation_works_once_and_a_bad_password_keeps_it(session: Session) -> None:
    admin = make_user(session, email="claims@example.com", is_admin=True)
    organisation = services.create_organisation(session, "Kutsu Oy")
    _, token = accounts.invite(session, organisation, by=admin, email="new@example.com",
                               name="Uusi", role="leadership")
    session.commit()
    with pytest.raises(services.InvalidInput):  # a bad password does not use it up
        accounts.accept_invitation(session, token, password="short")
    session.rollback()
    accounts.accept_invitation(session, token, password="long enough password")
    session.commit()
    with pytest.raises(services.Conflict, match="already been used"):
        accounts.accept_invitation(session, token, password="long enough password")


def test_tampered_or_stale_session_cookie_is_anonymous(client: TestClient, db: Session) -> None:
    assert client.get("/").status_code == 200
    good = client.cookies.get("session")
    assert good
    set_cookie(client, "session", good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    assert client.get("/", follow_redirects=False).status_code == 303
    set_cookie(client, "session", good)
    user = db.exec(select(User).where(User.email == "admin@example.com")).one()
    user.session_version += 1  # as a password change elsewhere does
    db.add(user)
    db.commit()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_csrf_is_required_on_every_unsafe_request(client: TestClient, db: Session) -> None:
    token = client.headers.pop("X-CSRF-Token")
    refused = client.post("/organisations", data={"name": "Ilman tokenia"})
    assert refused.status_code == 403 and "The form has expired" in text_of(refused)
    wrong = client.post("/organisations", data={"name": "Väärä", "csrf_token": "x" * 64})
    assert wrong.status_code == 403
    htmx = client.post("/organisations", data={"name": "Väärä"},
                       headers={"HX-Request": "true", "X-CSRF-Token": "bad"})
    assert htmx.status_code == 403
    assert db.exec(select(Organisation)).all() == []
    ok = client.post("/organisations", data={"name": "Tokenilla", "csrf_token": token},
                     follow_redirects=False)
    assert ok.status_code == 303


def test_forms_carry_the_csrf_token(client: TestClient) -> None:
    page = BeautifulSoup(client.get("/").text, "html.parser")
    forms = page.select("form[method=post]")
    assert forms
    for form in forms:
        assert form.select_one("input[name=csrf_token]")["value"] == client.headers[
            "X-CSRF-Token"]
    assert client.headers["X-CSRF-Token"] in page.body["data-hx-headers"]


def test_security_headers_and_body_limit(client: TestClient) -> None:
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    too_big = client.post("/organisations", content=b"name=" + b"x" * (1024 * 1024 + 1),
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert too_big.status_code == 413 and "too large" in text_of(too_big)


def test_user_changes_password_and_other_sessions_end(app: FastAPI, client: TestClient,
                                                      db: Session) -> None:
    with TestClient(app) as other:
        csrf_headers(app, other)
        sign_in(other, "admin@example.com")
        wrong = client.post("/account/password", data={"current_password": "nope",
                                                       "new_password": "a new long password"})
        assert wrong.status_code == 422 and "current password is wrong" in text_of(wrong)
        short = client.post("/account/password", data={"current_password": PASSWORD,
                                                       "new_password": "short"})
        assert short.status_code == 422 and "at least 10 characters" in text_of(short)
        changed = client.post("/account/password", data={"current_password": PASSWORD,
                                                         "new_password": "a new long password"},
                              follow_redirects=False)
        assert changed.status_code == 303
        assert client.get("/account").status_code == 200
        assert other.get("/account", follow_redirects=False).status_code == 303
        csrf_headers(app, other)
        sign_in(other, "admin@example.com", "a new long password")


def test_invitation_flow_once_and_expiry(app: FastAPI, client: TestClient,
                                         anonymous: TestClient, db: Session) -> None:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    response = client.post(f"/organisations/{organisation.id}/invitations",
                           data={"email": "new@example.com", "name": "Uusi Yksikönjohtaja",
                                 "role": "unit_lead", "unit_ids": [str(unit.id)]})
    assert response.status_code == 200
    link = BeautifulSoup(response.text, "html.parser").select_one("#invite-link").get_text()
    path = link[link.index("/invitations/"):]
    assert anonymous.get(path).status_code == 200
    csrf_headers(app, anonymous)
    short = anonymous.post(path, data={"password": "short"})
    assert short.status_code == 422
    accepted = anonymous.post(path, data={"password": "a long enough password"},
                              follow_redirects=False)
    assert accepted.status_code == 303
    user = db.exec(select(User).where(User.email == "new@example.com")).one()
    membership = db.exec(select(Membership).where(Membership.user_id == user.id)).one()
    assert membership.role == Role.unit_lead
    csrf_headers(app, anonymous)  # accepting signed in, with a new CSRF cookie
    reused = anonymous.post(path, data={"password": "another long password"})
    assert reused.status_code == 409 and "already been used" in text_of(reused)
    # An expired invitation.
    admin = db.exec(select(User).where(User.email == "admin@example.com")).one()
    _, token = accounts.invite(db, organisation, by=admin, email="late@example.com",
                               name="Myöhässä", role="leadership",
                               now=utcnow() - timedelta(days=8))
    db.commit()
    expired = anonymous.post(f"/invitations/{token}", data={"password": "a long password!"})
    assert expired.status_code == 409 and "expired" in text_of(expired)
    assert anonymous.get("/invitations/not-a-token").status_code == 422
    assert db.exec(select(User).where(User.email == "late@example.com")).first() is None
    assert db.exec(select(Invitation)).all()


def test_audit_log_records_sensitive_events(client: TestClient, db: Session) -> None:
    organisation = make_organisation(db)
    client.post(f"/organisations/{organisation.id}/invitations",
                data={"email": "johto@example.com", "name": "Johto", "role": "leadership"})
    page = client.get(f"/organisations/{organisation.id}/audit")
    assert page.status_code == 200
    assert "Invitation created" in text_of(page)


def test_session_works_across_app_processes(tmp_path, db: Session) -> None:  # type: ignore[no-untyped-def]
    from assessment.models import metadata
    from assessment.web.app import create_app
    from tests.conftest import make_settings

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = create_app(make_settings(url)), create_app(make_settings(url))
    metadata.create_all(first.state.engine)
    with Session(first.state.engine) as session:
        make_user(session, email="shared@example.com", is_admin=True)
    with TestClient(first) as one, TestClient(second) as two:
        csrf_headers(first, one)
        sign_in(one, "shared@example.com")
        set_cookie(two, "session", one.cookies["session"])
        assert two.get("/account").status_code == 200
    for app in (first, second):
        app.state.engine.dispose()


def test_cookie_is_secure_over_https(app: FastAPI, db: Session) -> None:
    make_user(db, email="tls@example.com")
    with TestClient(app, base_url="https://testserver") as client:
        csrf_headers(app, client)
        response = client.post("/sign-in", data={"email": "tls@example.com",
                                                 "password": PASSWORD}, follow_redirects=False)
        assert response.status_code == 303 and "Secure" in response.headers["set-cookie"]


def test_administrator_sees_sign_in_events(client: TestClient, db: Session) -> None:
    page = client.get("/audit")
    assert page.status_code == 200 and "Signed in" in text_of(page)
