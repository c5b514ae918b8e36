"""Shared fixtures: a fresh database per test on SQLite and on a throwaway PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from assessment.db import create_db_engine
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import User, metadata
from assessment.settings import Settings
from assessment.web.app import create_app
from tests.factories import PASSWORD, make_user
from tests.pgserver import reset_database, throwaway_postgres

REPO = Path(__file__).resolve().parents[1]
FRAMEWORKS = REPO / "frameworks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One throwaway PostgreSQL server for the whole run."""
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database: in-memory SQLite, or the PostgreSQL server with a fresh schema."""
    if request.param == "sqlite":
        return "sqlite://"
    url: str = request.getfixturevalue("postgres_url")
    reset_database(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database with every table."""
    engine = create_db_engine(database_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the fresh database."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def registry() -> FrameworkRegistry:
    """The shipped frameworks."""
    return FrameworkRegistry.from_directories([FRAMEWORKS])


@pytest.fixture(scope="session")
def framework(registry: FrameworkRegistry) -> Framework:
    """The default framework."""
    return registry.get("some-maturity")


TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for a test app, ignoring any .env file."""
    return Settings(_env_file=None, database_url=database_url,  # type: ignore[call-arg]
                    frameworks_dir=overrides.pop("frameworks_dir", FRAMEWORKS),
                    published_frameworks_dir=overrides.pop("published_frameworks_dir", None),
                    secret_key=overrides.pop("secret_key", TEST_SECRET), **overrides)


def set_cookie(client: TestClient, name: str, value: str) -> None:
    """Replace a cookie (also one the server set for its own domain)."""
    client.cookies.delete(name)
    client.cookies.set(name, value)


def csrf_headers(app: FastAPI, client: TestClient) -> None:
    """Give the client a CSRF cookie and the matching header on every request."""
    set_cookie(client, "csrf", "test-csrf-cookie")
    client.headers["X-CSRF-Token"] = app.state.sessions.csrf_token("test-csrf-cookie")


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form (which renews the CSRF cookie: the client keeps the
    test's cookie, so its CSRF header stays valid)."""
    csrf = client.cookies.get("csrf")
    response = client.post("/sign-in", data={"email": email, "password": password},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    if csrf is not None:
        set_cookie(client, "csrf", csrf)


def session_cookie(app: FastAPI, user: User) -> str:
    """A session cookie value for the user, stored as signing in would store it."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        value: str = app.state.sessions.value_for(session, user)
        session.commit()
    return value


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    """The app on a fresh database."""
    app = create_app(make_settings(database_url))
    metadata.create_all(app.state.engine)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    """A client with no session and no CSRF token, in English."""
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        yield client


@pytest.fixture
def client(app: FastAPI, db: Session) -> Iterator[TestClient]:
    """A client signed in as an administrator, with a valid CSRF token, in English."""
    make_user(db, email="admin@example.com", is_admin=True)
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        csrf_headers(app, client)
        sign_in(client, "admin@example.com")
        yield client


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    """A session on the app's own database, for arranging and checking data."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        yield session
