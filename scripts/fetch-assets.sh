#!/usr/bin/env bash
# Fetch the pinned front-end packages from the npm registry into assessment/static/vendor/.
# They are never committed: this script (run by the quick-start and test commands) installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION=2.0.11
HTMX_INTEGRITY="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
dest=assessment/static/vendor
stamp="$dest/htmx.org-$HTMX_VERSION.stamp"
if [ -f "$dest/htmx.min.js" ] && [ -f "$stamp" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$HTMX_VERSION" >/dev/null)
tarball="$work/htmx.org-$HTMX_VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$HTMX_INTEGRITY" ]; then
  echo "htmx.org $HTMX_VERSION: integrity mismatch ($actual)" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/dist/htmx.min.js
mkdir -p "$dest"
rm -f "$dest"/htmx.org-*.stamp
cp "$work/package/dist/htmx.min.js" "$dest/htmx.min.js"
touch "$stamp"
echo "fetched htmx.org $HTMX_VERSION"
