#!/usr/bin/env bash
# Write openapi.json, the JSON API's OpenAPI document, from the app's routes and models.
# tests/assessment/web/api/test_openapi.py fails while the committed file is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/maturity openapi > openapi.json
echo "wrote openapi.json"
