"""SQLite engines: the write gate that lets one writer of a process in at a time, and the pool."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from assessment.db import GatedConnection, create_db_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on a fresh SQLite file with one table."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE row (id INTEGER PRIMARY KEY, value TEXT)"))
    yield engine
    engine.dispose()


def test_a_transaction_holds_the_gate_from_its_first_write_to_its_end(engine: Engine) -> None:
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, GatedConnection)
        connection.execute(text("SELECT count(*) FROM row")).one()
        assert not raw.holds_gate, "reading does not take the gate"
        connection.execute(text("INSERT INTO row (value) VALUES ('a')"))
        assert raw.holds_gate
        connection.commit()
        assert not raw.holds_gate
        connection.execute(text("UPDATE row SET value = 'b'"))
        assert raw.holds_gate
        connection.rollback()
        assert not raw.holds_gate
        connection.execute(text("DELETE FROM row"))
    assert not raw.holds_gate, "a connection going back to the pool lets the next one in"


def test_a_second_writer_waits_for_the_first_to_commit(engine: Engine) -> None:
    first = engine.connect()
    first.execute(text("INSERT INTO row (value) VALUES ('first')"))
    done = threading.Event()

    def second() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO row (value) VALUES ('second')"))
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not done.wait(0.3), "the second writer went past the gate"
    first.commit()
    first.close()
    assert done.wait(5)
    thread.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM row ORDER BY id")).scalars().all() \
            == ["first", "second"]


def test_many_threads_write_without_locking_errors(engine: Engine) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(20):
                with engine.begin() as connection:
                    connection.execute(text("INSERT INTO row (value) VALUES (:v)"),
                                       {"v": f"{n}-{i}"})
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM row")).scalar_one() == 240


def test_the_pool_has_no_upper_bound(engine: Engine) -> None:
    # Requests hold a connection across worker threads: a bounded pool could stall the app.
    connections = [engine.connect() for _ in range(40)]
    for connection in connections:
        connection.execute(text("SELECT 1")).one()
        connection.close()


def test_in_memory_databases_share_one_plain_connection() -> None:
    engine = create_db_engine("sqlite://")
    with engine.connect() as first, engine.connect() as second:
        raw = first.connection.dbapi_connection
        assert raw is second.connection.dbapi_connection
        assert not isinstance(raw, GatedConnection)
    engine.dispose()
