"""Benchmark the leadership dashboard: does its response time grow with the number of units?

    .venv/bin/python -m benchmarks.dashboard --requests 30

In one run a fresh SQLite database in a temporary directory gets two generated organisations
(`assessment.demo.load_large_demo`): one of 20 units and one of 200 units, 12 rounds each,
every unit assessed in every round. The real app runs under uvicorn (uvloop, httptools) in a
subprocess on 127.0.0.1; a consultant of both organisations signs in through the sign-in
form. After a warm-up (which also fills the chart caches, as any earlier view would), each
organisation's dashboard (the newest round, the whole organisation) is requested `--requests`
times in a row, as a full page and as the htmx fragment the round and unit filter swap in.
A response time is from sending the request to having read the whole response.

Printed: the median and p95 per organisation and kind, and the ratio of the medians
200 units / 20 units (the aim: at most 2).
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from assessment import accounts
from assessment.db import create_db_engine, session_scope
from assessment.demo import load_large_demo
from assessment.framework import FrameworkRegistry
from assessment.migrate import upgrade
from assessment.models import Role
from assessment.settings import Settings
from benchmarks._common import APP_FACTORY, percentile, serve, sign_in

FRAMEWORK_ID = "some-maturity"
SIZES = (20, 200)
ROUNDS = 12
AIM = 2.0
EMAIL, PASSWORD = "konsultti@example.com", secrets.token_urlsafe(12)
HEATMAP_ROW = re.compile(r'<tr id="row-\d+"')
FRAGMENT_HEADERS = {"HX-Request": "true", "HX-Target": "main"}


@dataclass(frozen=True)
class Organisation:
    """A generated organisation to request the dashboard of."""

    units: int
    organisation_id: int


def prepare_database(url: str, registry: FrameworkRegistry, sizes: Sequence[int],
                     rounds: int) -> list[Organisation]:
    """Migrate a fresh database, load one organisation per size and a consultant of all."""
    engine = create_db_engine(url)
    upgrade(engine)
    framework = registry.get(FRAMEWORK_ID)
    made = []
    with session_scope(engine) as session:
        user = accounts.create_user(session, email=EMAIL, name="Konsultti", password=PASSWORD)
        for size in sizes:
            loaded = load_large_demo(session, framework, units=size, rounds=rounds)
            accounts.grant(session, user, loaded.organisation, Role.consultant)
            made.append(Organisation(size, loaded.organisation.id or 0))
    engine.dispose()
    return made


@dataclass(frozen=True)
class Timing:
    """Response times of one organisation's dashboard, in seconds."""

    units: int
    kind: str
    seconds: list[float]
    size: int  # bytes of the last response

    @property
    def median_ms(self) -> float:
        """The median in milliseconds."""
        return statistics.median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        """The 95th percentile (nearest rank) in milliseconds."""
        return percentile(self.seconds, 0.95) * 1000


def check(response: httpx.Response, path: str, units: int) -> None:
    """The dashboard request must have succeeded and shown a heatmap row per unit."""
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")
    rows = len(HEATMAP_ROW.findall(response.text))
    if rows != units:
        raise RuntimeError(f"GET {path}: {rows} heatmap rows, expected {units}")


def measure(client: httpx.Client, organisation: Organisation, kind: str, requests: int,
            warm_up: int) -> Timing:
    """Warm up, then time `requests` sequential dashboard requests."""
    path = f"/organisations/{organisation.organisation_id}/dashboard"
    headers = FRAGMENT_HEADERS if kind == "fragment" else {}
    for _ in range(warm_up):
        check(client.get(path, headers=headers), path, organisation.units)
    seconds = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        seconds.append(time.perf_counter() - started)
        check(response, path, organisation.units)  # after the clock stops
        size = len(response.content)
    return Timing(organisation.units, kind, seconds, size)


def report(timings: list[Timing], args: argparse.Namespace) -> bool:
    """Print the figures; whether every ratio is within the aim."""
    print(f"\nDashboard response time, {args.rounds} rounds, the newest round, the whole "
          f"organisation; "
          f"{args.requests} sequential requests each after {args.warm_up} to warm up; "
          f"uvicorn --workers 1 --loop uvloop --http httptools\n")
    print(f"  {'units':>5}  {'kind':<9} {'median':>10} {'p95':>10} {'size':>10}")
    for timing in timings:
        print(f"  {timing.units:>5}  {timing.kind:<9} {timing.median_ms:>7.1f} ms "
              f"{timing.p95_ms:>7.1f} ms {timing.size / 1024:>7.0f} kB")
    met = True
    print()
    for kind in ("page", "fragment"):
        small, large = (next(t for t in timings if t.units == n and t.kind == kind)
                        for n in args.sizes)
        ratio = large.median_ms / small.median_ms if small.median_ms else 0.0
        within = ratio <= AIM
        met = met and within
        print(f"  ratio {args.sizes[1]} / {args.sizes[0]} units ({kind}, medians): {ratio:.2f}  "
              f"(aim <= {AIM:g}: {'met' if within else 'MISSED'})")
    return met


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dashboard",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs=2, default=SIZES, metavar=("SMALL", "LARGE"),
                        help=f"units of the two organisations (default: {SIZES[0]} {SIZES[1]})")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help=f"rounds of each organisation (default: {ROUNDS})")
    parser.add_argument("--requests", type=int, default=30,
                        help="timed requests per organisation and kind")
    parser.add_argument("--warm-up", type=int, default=3,
                        help="untimed requests per organisation and kind first")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="run the server under cProfile, writing FILE")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build both organisations, time their dashboards, print the figures; 1 if the aim is
    missed."""
    args = parse_args(argv)
    settings = Settings()
    registry = FrameworkRegistry.from_directories([settings.frameworks_dir])
    with tempfile.TemporaryDirectory(prefix="maturity-benchmark-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'dashboard.db'}"
        started = time.perf_counter()
        organisations = prepare_database(url, registry, args.sizes, args.rounds)
        print(f"loaded {', '.join(f'{o.units} units' for o in organisations)} "
              f"({args.rounds} rounds each) in {time.perf_counter() - started:.1f} s")
        env = {"MATURITY_DATABASE_URL": url, "MATURITY_SECRET_KEY": secrets.token_urlsafe(32),
               "MATURITY_FRAMEWORKS_DIR": str(settings.frameworks_dir),
               "MATURITY_LOG_LEVEL": "warning"}
        timings = []
        with serve(APP_FACTORY, env, 1, "/sign-in", args.profile) as server, \
                httpx.Client(base_url=server.url, timeout=120, follow_redirects=False,
                             headers={"Accept-Language": "fi"}) as client:
            sign_in(client, EMAIL, PASSWORD)
            for kind in ("page", "fragment"):
                for organisation in organisations:
                    timings.append(measure(client, organisation, kind, args.requests,
                                           args.warm_up))
    return 0 if report(timings, args) else 1


if __name__ == "__main__":
    sys.exit(main())
