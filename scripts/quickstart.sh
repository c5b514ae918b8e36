#!/usr/bin/env bash
# Install everything, load the demo organisation into ./maturity.db and serve the app on
# http://127.0.0.1:8000 (Ctrl-C stops it; QUICKSTART_PORT=N serves on another port). Safe to run
# again: the demo is loaded only once.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
need_packages "${APP_PACKAGES[@]}"
install_project .
.venv/bin/maturity demo
exec .venv/bin/maturity serve --host 127.0.0.1 --port "${QUICKSTART_PORT:-8000}"
