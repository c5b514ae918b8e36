"""A throwaway PostgreSQL server for the test suite: initdb on a temp dir, a free loopback port.

Not a conftest: ``tests/conftest.py`` wraps :func:`throwaway_postgres` in a session fixture and
calls :func:`reset_database` before each PostgreSQL test.  When the server binaries are missing
the tests fail (they do not skip): the README's test command installs them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

MISSING = ("PostgreSQL server binaries not found: install them with "
           "`apt-get install -y postgresql` (the README's test command does this)")
DATABASE = "maturity_test"
PG_ROOT = Path("/usr/lib/postgresql")
START_ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it
TIMEOUT = 60  # seconds for any one initdb / pg_ctl call


def server_binaries() -> Path:
    """The directory with initdb and pg_ctl: $MATURITY_PG_BIN, else the newest installed."""
    configured = os.environ.get("MATURITY_PG_BIN")
    if configured:
        candidates = [Path(configured)]
    else:
        versions = [p for p in PG_ROOT.glob("*/bin") if re.fullmatch(r"\d+(\.\d+)?", p.parent.name)]
        candidates = sorted(versions, key=lambda p: float(p.parent.name), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise RuntimeError(MISSING)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment() -> dict[str, str]:
    """The caller's environment without PG* variables that could point the tools elsewhere."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def _run(command: list[str], *, as_postgres: bool) -> subprocess.CompletedProcess[str]:
    """Run a server tool to completion; output captured, never left as an open pipe."""
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              env=_environment(), timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"{' '.join(command)} timed out after {TIMEOUT} s") from error


def _tail(path: Path, limit: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no server log)"


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stdout + result.stderr).strip()[-3000:]


def _initdb(binaries: Path, data: Path, *, as_postgres: bool) -> None:
    failures = []
    for locale in ("C.UTF-8", "C"):  # C.UTF-8 classifies non-ASCII letters; C is always there
        result = _run([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                       "-E", "UTF8", f"--locale={locale}", "--no-sync", "--no-instructions"],
                      as_postgres=as_postgres)
        if result.returncode == 0:
            return
        failures.append(f"--locale={locale}: {_output(result)}")
        shutil.rmtree(data, ignore_errors=True)
    raise RuntimeError("initdb failed:\n" + "\n".join(failures))


def _start(binaries: Path, data: Path, sockets: Path, log: Path, *, as_postgres: bool) -> int:
    """Start the server on a free port; return the port."""
    problems = []
    for _ in range(START_ATTEMPTS):
        port = _free_port()
        options = (f"-F -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c max_connections=200")
        result = _run([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                       "-w", "-t", "30", "start"], as_postgres=as_postgres)
        if result.returncode == 0:
            return port
        problems.append(f"port {port}: {_output(result)}\n--- server log ---\n{_tail(log)}")
        _stop(binaries, data, as_postgres=as_postgres)  # in case it came up after the wait
        if "could not bind" not in _tail(log) and "in use" not in _tail(log):
            break  # not a port clash: retrying will not help
    raise RuntimeError("PostgreSQL did not start:\n" + "\n".join(problems))


def _stop(binaries: Path, data: Path, *, as_postgres: bool) -> None:
    if (data / "postmaster.pid").exists():
        with contextlib.suppress(RuntimeError, OSError):
            _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                 as_postgres=as_postgres)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a throwaway PostgreSQL cluster on a free loopback port; yield its SQLAlchemy URL."""
    binaries = server_binaries()
    as_postgres = os.geteuid() == 0  # initdb refuses to run as root
    root = Path(tempfile.mkdtemp(prefix="maturity-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    try:
        sockets.mkdir()
        if as_postgres:
            for path in (root, sockets):
                shutil.chown(path, user="postgres", group="postgres")
        _initdb(binaries, data, as_postgres=as_postgres)
        try:
            port = _start(binaries, data, sockets, log, as_postgres=as_postgres)
            admin = f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=10"
            try:
                with psycopg.connect(admin, autocommit=True) as connection:
                    connection.execute(f"CREATE DATABASE {DATABASE}")
            except psycopg.Error as error:
                raise RuntimeError(f"could not create {DATABASE}: {error}\n"
                                   f"--- server log ---\n{_tail(log)}") from error
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"
        finally:
            _stop(binaries, data, as_postgres=as_postgres)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def reset_database(url: str) -> None:
    """Drop and recreate the public schema: an empty database for the next test."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
        # A connection leaked by an earlier test must fail this loudly, not hang the run.
        connection.execute("SET lock_timeout = '10s'")
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")
