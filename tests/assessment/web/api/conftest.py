"""The demo organisation and API tokens, loaded once per module and database: the JSON API's
tests read it, and a test that writes makes its own rows (tokens, users, actions) first."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from assessment import demo, services, tokens
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import Action, Organisation, Role, Round, User, Workshop, metadata
from assessment.web.app import create_app
from tests.conftest import make_settings
from tests.factories import make_organisation, make_unit, make_user


@dataclass(frozen=True)
class ApiWorld:
    """The demo organisation, another organisation, and tokens of every kind."""

    org: Organisation
    other: Organisation
    rounds: list[Round]
    workshop: Workshop
    action: Action
    consultant: User
    admin: User
    read: str
    write: str
    other_read: str

    def auth(self, secret: str) -> dict[str, str]:
        """The header that sends a token."""
        return {"Authorization": f"Bearer {secret}"}


def make_world(db: Session, framework: Framework) -> ApiWorld:
    """Load the demo and give it and another organisation tokens."""
    org = demo.load_demo(db, framework).organisation
    other = make_organisation(db, name="Toinen Oy")
    make_unit(db, organisation=other, name="Muu yksikkö")
    services.create_round(db, other, "Syksy", framework)
    consultant = make_user(db, email="api-consultant@example.com", organisation=org,
                           role=Role.consultant)
    admin = make_user(db, email="api-admin@example.com", is_admin=True)
    _, read = tokens.create_token(db, org, by=consultant, name="Power BI", scope="read", days=30)
    _, write = tokens.create_token(db, org, by=consultant, name="Projektityökalu",
                                   scope="read_write", days=30)
    _, other_read = tokens.create_token(db, other, by=admin, name="Muu", scope="read", days=30)
    db.commit()
    rounds = services.list_rounds(db, org)
    workshop = db.exec(select(Workshop).where(Workshop.organisation_id == org.id)).one()
    action = db.exec(select(Action).where(Action.organisation_id == org.id)).first()
    assert action is not None
    return ApiWorld(org, other, rounds, workshop, action, consultant, admin, read, write,
                    other_read)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_url(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the module's own: an SQLite file, or a new database on the test run's
    PostgreSQL server (the per-test fixtures reset the other one)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('api')}/api.db"
        return
    base = make_url(request.getfixturevalue("postgres_url"))
    name = f"api_{uuid.uuid4().hex[:10]}"
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def shared(shared_url: str, registry: FrameworkRegistry) -> Iterator[tuple[FastAPI, ApiWorld]]:
    """The app on the module's database, with the demo and tokens (no throttle in the way)."""
    app = create_app(make_settings(shared_url, api_requests_per_minute=100_000))
    metadata.create_all(app.state.engine)
    with Session(app.state.engine, expire_on_commit=False) as db:
        world = make_world(db, registry.get("some-maturity"))
    yield app, world
    app.state.engine.dispose()


@pytest.fixture
def app(shared: tuple[FastAPI, ApiWorld]) -> FastAPI:
    """The module's app."""
    return shared[0]


@pytest.fixture
def world(shared: tuple[FastAPI, ApiWorld]) -> ApiWorld:
    """The module's demo and tokens."""
    return shared[1]


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    """A session on the module's database."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        yield session
