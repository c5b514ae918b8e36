#!/usr/bin/env bash
# Install what the tests need (PostgreSQL server binaries, Chromium, test packages), check
# lint and types, and run the whole suite: SQLite and PostgreSQL, the browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
need_packages python3:python3 npm:npm openssl:openssl \
  '/usr/lib/postgresql/*/bin/initdb:postgresql' /usr/bin/chromium:chromium
install_project -e '.[test]'
.venv/bin/ruff check assessment reports tests benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
