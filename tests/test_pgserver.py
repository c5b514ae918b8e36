"""The throwaway PostgreSQL server the database tests run against."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, text

from tests.pgserver import MISSING, reset_database, throwaway_postgres


def test_throwaway_postgres_starts_serves_resets_and_stops() -> None:
    began = time.perf_counter()
    with throwaway_postgres() as url:
        elapsed = time.perf_counter() - began
        print(f"\nthrowaway PostgreSQL started in {elapsed:.2f} s")
        assert url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
        assert url.endswith("/maturity_test")

        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                version: str = connection.execute(text("select version()")).scalar_one()
                assert version.startswith("PostgreSQL ")
                connection.execute(text("create table scratch (id integer primary key)"))
                connection.execute(text("insert into scratch values (1)"))
            assert "scratch" in inspect(engine).get_table_names()
            engine.dispose()  # reset_database must not wait on our pooled connections

            reset_database(url)

            assert inspect(engine).get_table_names() == []
            reset_database(url)  # idempotent on an empty schema
        finally:
            engine.dispose()
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])

    with pytest.raises(psycopg.OperationalError):  # the server is gone
        psycopg.connect(f"host=127.0.0.1 port={port} user=postgres connect_timeout=2").close()


def test_missing_binaries_fail_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MATURITY_PG_BIN", str(tmp_path))
    with pytest.raises(RuntimeError, match="PostgreSQL server binaries not found"), \
            throwaway_postgres():
        pass
    assert "apt-get install -y postgresql" in MISSING
