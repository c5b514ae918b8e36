#!/usr/bin/env bash
# Fetch the pinned npm packages the app and its tests use, check their integrity and unpack
# the files needed. They are never committed: the quick-start and test commands run this.
#   ./scripts/fetch-assets.sh          htmx, its SSE extension and Swagger UI (the API's docs
#                                      page) into assessment/static/vendor/ (served by the app)
#   ./scripts/fetch-assets.sh --test   also axe-core and the Nu HTML checker (vnu-jar) into
#                                      test-assets/ (the browser crawl's accessibility and HTML
#                                      checks; vnu.jar runs on Java)
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX_VERSION=2.0.11
HTMX_INTEGRITY="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
# htmx's server-sent-events extension (2.x works with htmx 2.0.x; it reads data-sse-* too).
SSE_VERSION=2.2.4
SSE_INTEGRITY="sha512-LJmxVhykyflBWgh5PvbRidcyuqMHlgfajmmzumvKctv9puvsufeH6OaejSMZTNTnEI8O2wXXn4ZZtBdpEMqmEQ=="
AXE_VERSION=4.14.1
AXE_INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
SWAGGER_UI_VERSION=5.35.0
SWAGGER_UI_INTEGRITY="sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="
VNU_VERSION=26.9.27
VNU_INTEGRITY="sha512-TkQd5DFfOaWC9ebtvozTsrH2Vaod3jYg+vrOeREzIXxBexLz9+rS2DNtjn7+RPUiZhgli0SghgBX6RJRNea0KA=="

# fetch NAME VERSION INTEGRITY DEST FILE-IN-PACKAGE: npm pack, check the tarball's sha512 against
# the pinned integrity, copy one file into DEST. Skipped when DEST has that version's stamp.
fetch() {
  local name=$1 version=$2 integrity=$3 dest=$4 file=$5
  local stamp="$dest/$(basename "$file").$name-$version.stamp"
  if [ -f "$dest/$(basename "$file")" ] && [ -f "$stamp" ]; then
    return 0
  fi
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
  local tarball="$work/$name-$version.tgz"
  local actual
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "$name $version: integrity mismatch ($actual)" >&2
    rm -rf "$work"
    exit 1
  fi
  tar -xzf "$tarball" -C "$work" "package/$file"
  mkdir -p "$dest"
  rm -f "$dest/$(basename "$file").$name"-*.stamp
  cp "$work/package/$file" "$dest/$(basename "$file")"
  touch "$stamp"
  rm -rf "$work"
  echo "fetched $name $version"
}

fetch htmx.org "$HTMX_VERSION" "$HTMX_INTEGRITY" assessment/static/vendor dist/htmx.min.js
fetch htmx-ext-sse "$SSE_VERSION" "$SSE_INTEGRITY" assessment/static/vendor dist/sse.js
# Swagger UI for the API's documentation page (/api/v1/docs): its bundle and stylesheet.
fetch swagger-ui-dist "$SWAGGER_UI_VERSION" "$SWAGGER_UI_INTEGRITY" \
  assessment/static/vendor/swagger-ui swagger-ui-bundle.js
fetch swagger-ui-dist "$SWAGGER_UI_VERSION" "$SWAGGER_UI_INTEGRITY" \
  assessment/static/vendor/swagger-ui swagger-ui.css
if [ "${1:-}" = "--test" ]; then
  fetch axe-core "$AXE_VERSION" "$AXE_INTEGRITY" test-assets axe.min.js
  fetch vnu-jar "$VNU_VERSION" "$VNU_INTEGRITY" test-assets build/dist/vnu.jar
fi
