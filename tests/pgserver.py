"""A throwaway PostgreSQL server for the test suite: initdb on a temp dir, a free port."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

MISSING = ("PostgreSQL server binaries not found: install them with "
           "`apt-get install -y postgresql` (the README's test command does this)")


def server_binaries() -> Path:
    """The directory with initdb and pg_ctl (MATURITY_PG_BIN, else the newest installed)."""
    configured = os.environ.get("MATURITY_PG_BIN")
    candidates = [configured] if configured else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]),
        reverse=True)
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise RuntimeError(MISSING)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(command: list[str], *, as_postgres: bool) -> subprocess.CompletedProcess[str]:
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a throwaway PostgreSQL cluster on a free loopback port; yield its SQLAlchemy URL."""
    binaries = server_binaries()
    as_postgres = os.geteuid() == 0  # initdb refuses to run as root
    root = Path(tempfile.mkdtemp(prefix="maturity-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    sockets.mkdir()
    if as_postgres:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    started = False
    try:
        init = _run([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                     "-E", "UTF8", "--locale=C", "--no-sync"], as_postgres=as_postgres)
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr[-2000:]}")
        options = (f"-F -p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        start = _run([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                      "-w", "-t", "30", "start"], as_postgres=as_postgres)
        started = start.returncode == 0
        if not started:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {start.stderr}\n{tail}")
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("CREATE DATABASE maturity_test")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/maturity_test"
    finally:
        if started:
            _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                 as_postgres=as_postgres)
        shutil.rmtree(root, ignore_errors=True)


def reset_database(url: str) -> None:
    """Drop and recreate the public schema: an empty database for the next test."""
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
