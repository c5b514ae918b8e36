"""What every benchmark needs: the app served under uvicorn on loopback in a subprocess (with
its process id and a clock of the processor time it uses), a free port, percentiles, the CSRF
token of a page's forms and signing in."""

from __future__ import annotations

import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HOST = "127.0.0.1"
APP_FACTORY = "assessment.web.app:app_from_environment"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    """A TCP port on the loopback address that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class CpuClock:
    """Processor time (user and system) used by a process and its children, from /proc
    (Linux); always 0 where there is no /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def seconds(self) -> float:
        """The processor seconds used so far by the process and its worker processes."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process has just ended
                continue
            if stat.parent.name == str(self.pid) or fields[1] == str(self.pid):
                total += int(fields[11]) + int(fields[12])  # utime and stime, in ticks
        return total / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    """A served app: its base URL, and the id of its process (with one worker, the app's own
    process, so /proc/<pid>/status tells the app's memory; with more, their supervisor)."""

    url: str
    pid: int

    @property
    def clock(self) -> CpuClock:
        """The processor time of the server's processes."""
        return CpuClock(self.pid)


@contextmanager
def serve(factory: str, env: dict[str, str], workers: int, ready_path: str,
          profile: Path | None = None) -> Iterator[Server]:
    """Run `factory` under uvicorn (uvloop, httptools) in a subprocess and wait until
    `ready_path` answers. With `profile` (one worker only), the server runs under cProfile
    writing to that file."""
    port = free_port()
    profiler = ["-m", "cProfile", "-o", str(profile)] if profile else []
    command = [sys.executable, *profiler, "-m", "uvicorn", factory, "--factory", "--host", HOST,
               "--port", str(port), "--workers", str(workers), "--loop", "uvloop",
               "--http", "httptools", "--log-level", "warning", "--no-access-log",
               # live screens hold streams open: on stopping, end them after 2 s
               "--timeout-graceful-shutdown", "2"]
    process = subprocess.Popen(command, env={**os.environ, **env})
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{factory} exited with status {process.returncode}")
            try:
                if httpx.get(base + ready_path, timeout=1).status_code < 400:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{factory} did not start within 120 s")
            time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        # Under cProfile, SIGINT: the profile is written as the KeyboardInterrupt unwinds.
        process.send_signal(signal.SIGINT if profile else signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of the values; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def csrf_token(page: httpx.Response) -> str:
    """The CSRF token of the page's forms."""
    found = CSRF_FIELD.search(page.text)
    if found is None:
        raise RuntimeError(f"no CSRF token on {page.request.url} ({page.status_code})")
    return found.group(1)


def sign_in(client: httpx.Client, email: str, password: str) -> None:
    """Sign in through the form, as a browser does."""
    token = csrf_token(client.get("/sign-in"))
    signed_in = client.post("/sign-in", data={"csrf_token": token, "email": email,
                                              "password": password, "next": "/"})
    if signed_in.status_code != 303:
        raise RuntimeError(f"sign-in failed: {signed_in.status_code}")
