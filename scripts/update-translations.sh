#!/usr/bin/env bash
# Extract the UI strings and merge them into the Finnish catalogue (assessment/locale/fi).
# Then translate the new or fuzzy entries in messages.po; the test suite fails until every
# string is translated.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=$(mktemp --suffix=.pot)
trap 'rm -f "$pot"' EXIT
pybabel extract --no-location --omit-header --sort-output -F babel.cfg -k N_ -k ngettext:1,2 \
  -o "$pot" .
po=assessment/locale/fi/LC_MESSAGES/messages.po
if [ -f "$po" ]; then
  pybabel update --no-fuzzy-matching --width 100 -i "$pot" -o "$po" -l fi
else
  pybabel init -i "$pot" -o "$po" -l fi
fi
