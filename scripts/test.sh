#!/usr/bin/env bash
# Install what the tests need (PostgreSQL server binaries, Chromium, libatomic, test packages), check
# lint and types, and run the whole suite: SQLite and PostgreSQL, the browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
need_packages "${APP_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
install_project -e '.[test]'
./scripts/fetch-assets.sh --test
.venv/bin/ruff check assessment reports tests benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
