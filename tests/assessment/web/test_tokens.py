"""The API tokens page: create (the secret shown once), refuse bad input, revoke, list uses."""

from __future__ import annotations

import hashlib
import re

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment import tokens
from assessment.models import ApiToken, AuditEvent, Role
from tests.conftest import csrf_headers, session_cookie, set_cookie
from tests.factories import make_organisation, make_user


def _signed_in(app: FastAPI, db: Session, role: Role, organisation) -> TestClient:  # type: ignore[no-untyped-def]
    user = make_user(db, email=f"{role}@example.com", organisation=organisation, role=role)
    client = TestClient(app, headers={"Accept-Language": "en"})
    csrf_headers(app, client)
    set_cookie(client, "session", session_cookie(app, user))
    return client


def _secret(html: str) -> str:
    field = BeautifulSoup(html, "html.parser").find(id="new-token")
    assert field is not None
    return str(field["value"])


def test_a_consultant_creates_a_token_shown_once(app: FastAPI, db: Session) -> None:
    org = make_organisation(db, name="Asiakas Oy")
    client = _signed_in(app, db, Role.consultant, org)
    response = client.post(f"/organisations/{org.id}/api-tokens",
                           data={"name": "Power BI", "scope": "read", "days": "30"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    secret = _secret(response.text)
    assert re.fullmatch(r"smw_[A-Za-z0-9_-]{43}", secret)
    stored = db.exec(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (stored.name, stored.scope, stored.organisation_id) == ("Power BI", "read", org.id)
    assert (stored.expires_at - stored.created_at).days == 30
    again = client.get(f"/organisations/{org.id}/api-tokens")
    assert secret not in again.text and stored.prefix in again.text and "Power BI" in again.text
    event = db.exec(select(AuditEvent).where(AuditEvent.event == "api_token_created")).one()
    assert secret not in event.detail and stored.prefix in event.detail
    # The API answers it; its use is listed on the page.
    assert client.get(f"/api/v1/organisations/{org.id}",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listed = client.get(f"/organisations/{org.id}/api-tokens").text
    assert f"GET /api/v1/organisations/{org.id}" in listed


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": " ", "scope": "read", "days": "30"}, "name", "Name the token"),
    ({"name": "x" * 121, "scope": "read", "days": "30"}, "name", "too long"),
    ({"name": "BI", "scope": "admin", "days": "30"}, "scope", "Choose what"),
    ({"name": "BI", "days": "30"}, "scope", "Choose what"),
    ({"name": "BI", "scope": "read", "days": "0"}, "days", "1–365"),
    ({"name": "BI", "scope": "read", "days": "366"}, "days", "1–365"),
    ({"name": "BI", "scope": "read", "days": "kolme"}, "days", "1–365"),
])
def test_bad_input_is_refused_and_creates_nothing(app: FastAPI, db: Session, data: dict,  # type: ignore[type-arg]
                                                  field: str, message: str) -> None:
    org = make_organisation(db, name="Asiakas Oy")
    client = _signed_in(app, db, Role.consultant, org)
    response = client.post(f"/organisations/{org.id}/api-tokens", data=data)
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    error = page.find(id=f"error-{field}")
    assert error is not None and message in error.get_text()
    assert page.find(id="new-token") is None
    assert db.exec(select(ApiToken)).all() == []


def test_revoking_stops_the_token_at_once(app: FastAPI, db: Session) -> None:
    org = make_organisation(db, name="Asiakas Oy")
    client = _signed_in(app, db, Role.consultant, org)
    secret = _secret(client.post(f"/organisations/{org.id}/api-tokens",
                                 data={"name": "CRM", "scope": "read_write", "days": "5"}).text)
    token = db.exec(select(ApiToken)).one()
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/organisations/{org.id}", headers=auth).status_code == 200
    response = client.post(f"/organisations/{org.id}/api-tokens/{token.id}/revoke",
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get(f"/api/v1/organisations/{org.id}", headers=auth).status_code == 401
    db.expire_all()
    assert db.get(ApiToken, token.id).revoked_at is not None  # type: ignore[union-attr]
    assert db.exec(select(AuditEvent).where(AuditEvent.event == "api_token_revoked")).one()
    # Revoking again changes nothing and says so on the list.
    assert client.post(f"/organisations/{org.id}/api-tokens/{token.id}/revoke",
                       follow_redirects=False).status_code == 303
    assert "Revoked" in client.get(f"/organisations/{org.id}/api-tokens").text


def test_only_consultants_and_administrators(app: FastAPI, db: Session) -> None:
    org, other = make_organisation(db, name="Asiakas Oy"), make_organisation(db, name="Muu Oy")
    admin = make_user(db, email="root@example.com", is_admin=True)
    token, _ = tokens.create_token(db, other, by=admin, name="Muu", scope="read", days=3)
    db.commit()
    leadership = _signed_in(app, db, Role.leadership, org)
    assert leadership.get(f"/organisations/{org.id}/api-tokens").status_code == 403
    assert leadership.post(f"/organisations/{org.id}/api-tokens",
                           data={"name": "X", "scope": "read", "days": "3"}).status_code == 403
    consultant = _signed_in(app, db, Role.consultant, org)
    # Another organisation's token cannot be revoked through this organisation.
    assert consultant.post(f"/organisations/{org.id}/api-tokens/{token.id}/revoke",
                           follow_redirects=False).status_code == 404
    assert consultant.get(f"/organisations/{other.id}/api-tokens").status_code == 404
    assert db.exec(select(ApiToken)).one().revoked_at is None


def test_the_page_in_finnish(app: FastAPI, db: Session) -> None:
    org = make_organisation(db, name="Asiakas Oy")
    client = _signed_in(app, db, Role.consultant, org)
    client.headers["Accept-Language"] = "fi"
    page = client.get(f"/organisations/{org.id}/api-tokens")
    assert page.status_code == 200
    assert "API-tunnisteet: Asiakas Oy" in page.text and "Luo tunniste" in page.text
