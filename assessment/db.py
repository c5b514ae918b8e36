"""Database engines and sessions: SQLite (WAL, busy timeout, foreign keys) or any SQLAlchemy URL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteGate:
    """Lets one SQLite connection of this process write at a time.

    SQLite has one writer per database. A second writer does not queue: its busy handler
    sleeps and retries (1, 2, 5, 10 … 100 ms), so with many request threads writing at once a
    short write can wait for hundreds of milliseconds. Threads of one process instead wait
    here, in order, and go on the moment the writer before them commits; SQLite's busy
    timeout still arbitrates between processes.
    """

    def __init__(self, timeout_s: float) -> None:
        self._lock = threading.Lock()
        self._timeout_s = timeout_s

    def enter(self) -> bool:
        """Wait for the gate; False when the wait timed out (SQLite's own locking decides)."""
        return self._lock.acquire(timeout=self._timeout_s)

    def leave(self) -> None:
        """Let the next writer in."""
        self._lock.release()


class GatedConnection(sqlite3.Connection):
    """An SQLite connection that holds its engine's write gate from its first write in a
    transaction until the transaction ends (the lock may be released by another thread:
    FastAPI runs a request's dependencies and route on different worker threads)."""

    gate: WriteGate | None = None
    holds_gate = False

    def take_gate(self) -> None:
        """Enter the gate before the transaction's first write."""
        if self.gate is not None and not self.holds_gate:
            self.holds_gate = self.gate.enter()

    def _drop_gate(self) -> None:
        if self.holds_gate and self.gate is not None:
            self.holds_gate = False
            self.gate.leave()

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self._drop_gate()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self._drop_gate()

    def close(self) -> None:
        """Close (an open transaction is rolled back), then let the next writer in."""
        try:
            super().close()
        finally:
            self._drop_gate()


SQLITE_POOL_SIZE = 40


def create_db_engine(url: str, *, sqlite_busy_timeout_ms: int = 5000) -> Engine:
    """An engine for the URL; SQLite connections get WAL, a busy timeout and foreign keys, and
    file databases a write gate so that the threads of one process write one at a time."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    in_memory = parsed.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    gate = None
    if in_memory:
        # One shared connection, or every session would see its own empty database.
        kwargs["poolclass"] = StaticPool
    else:
        # No upper bound: a request holds its connection from its first dependency to the end
        # of its route, which run on different worker threads. With a bounded pool, requests
        # waiting for a thread can hold every connection while the threads wait for one, and
        # the app stalls until the pool times out. SQLite connections are cheap file handles.
        kwargs["max_overflow"] = -1
        # Keep as many open as there are worker threads (AnyIO's default is 40): a connection
        # beyond `pool_size` is closed when it is returned, and opening one costs more than a
        # light request (the PRAGMAs below run on every new connection).
        kwargs["pool_size"] = SQLITE_POOL_SIZE
        kwargs["connect_args"]["factory"] = GatedConnection
        gate = WriteGate(sqlite_busy_timeout_ms / 1000)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, GatedConnection):
            dbapi_connection.gate = gate
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    if gate is not None:
        @event.listens_for(engine, "before_cursor_execute")
        def _before_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip()[:7].upper().startswith(WRITE_STATEMENTS):
                conn.connection.dbapi_connection.take_gate()

    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
