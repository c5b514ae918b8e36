#!/usr/bin/env bash
# The README's two commands on a truly fresh Debian 12 machine (CI runs this after the suite).
#
# Builds a minimal Debian 12 root with `debootstrap --variant=minbase bookworm` (what a new
# user's fresh server has), copies this checkout into it as a fresh clone would be, and inside
# it, as root:
#   1. runs ./scripts/quickstart.sh until the app answers on loopback, then renders the demo's
#      unit report with `maturity report unit` and stops the app;
#   2. runs ./scripts/test.sh on the part of the suite that exercises every kind of system
#      dependency (FRESH_TESTS below: WeasyPrint, matplotlib, Chromium through Playwright,
#      PostgreSQL);
#   3. reads the PDF back: Finnish text with its letters, in embedded DejaVu fonts.
# It prints how long each command took and which Debian packages each one installed.
#
# The root gets from the host only what its package clients need to reach the registries: the
# certificate files that the host's certificate variables (SSL_CERT_FILE, PIP_CERT, ...) point
# to, under /host-certs with the variables pointed there, and resolv.conf. Everything runs in a
# private mount namespace; the check unmounts and removes the root whatever happens.
#
# Usage: ./scripts/fresh-machine-check.sh [--keep]   (--keep leaves the root for inspection)
set -euo pipefail
cd "$(dirname "$0")/.."

# The part of the suite run inside the fresh root: each file needs one kind of system library.
FRESH_TESTS=(
  tests/reports/test_unit_report.py            # WeasyPrint: Pango, fontconfig, fonts
  tests/reports/test_radar.py                  # matplotlib: golden SVG, Finnish labels
  tests/assessment/web/test_browser_workshop.py  # Chromium through Playwright (libatomic)
  tests/test_pgserver.py                       # PostgreSQL server binaries
  tests/assessment/test_db.py                  # SQLite and PostgreSQL through the app
)
QUICKSTART_PORT=${QUICKSTART_PORT:-18765}
QUICKSTART_TIMEOUT=${QUICKSTART_TIMEOUT:-1800}  # seconds until the app must answer

if [ "${FRESH_CHECK_IN_NAMESPACE:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "the fresh-machine check runs as root (chroot, mounts)" >&2; exit 1; }
  source scripts/_setup.sh
  need_packages debootstrap:debootstrap unshare:util-linux git:git
  # A private mount namespace: no mount made here can leak to the host or outlive the check.
  FRESH_CHECK_IN_NAMESPACE=1 exec unshare --mount --propagation private "$0" "$@"
fi

keep=0
[ "${1:-}" = "--keep" ] && keep=1
root=$(mktemp -d /var/tmp/fresh-debian.XXXXXX)
chmod 755 "$root"  # it becomes "/": every user must traverse it
app=/root/some-maturity-workshop
log_dir=$(mktemp -d)

# Kill whatever still runs inside the root, then unmount and remove it.
cleanup() {
  local status=$? pid
  for pid in /proc/[0-9]*; do
    if [ "$(readlink "$pid/root" 2>/dev/null)" = "$root" ]; then
      kill -9 "${pid#/proc/}" 2>/dev/null || true
    fi
  done
  sleep 1
  for mount_point in dev/shm dev/pts dev sys proc; do
    if mountpoint -q "$root/$mount_point"; then
      umount -R "$root/$mount_point" 2>/dev/null || umount -R -l "$root/$mount_point" || true
    fi
  done
  if [ "$keep" = 1 ]; then
    echo "fresh root kept at $root (logs in $log_dir)"
  else
    rm -rf --one-file-system "$root" "$log_dir"
  fi
  exit "$status"
}
trap cleanup EXIT

# The host's Debian mirror for bookworm (from its apt sources), else debootstrap's default.
host_mirror() {
  python3 - <<'PY'
import glob, re
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path, encoding="utf-8").read().split("\n\n"):
        fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.M))
        if "bookworm" in fields.get("Suites", "").split() and "main" in fields.get("Components", ""):
            print(fields["URIs"].split()[0])
            raise SystemExit
for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        continue
    for line in lines:
        match = re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s+.*\bmain\b", line)
        if match:
            print(match.group(1))
            raise SystemExit
PY
}

seconds() { date +%s; }
packages_in_root() { chroot "$root" dpkg-query -W -f '${Package}\n' | sort; }

started=$(seconds)
echo "== debootstrap --variant=minbase bookworm into $root"
mirror=$(host_mirror)
# shellcheck disable=SC2086  # an empty mirror means debootstrap's default
debootstrap --variant=minbase bookworm "$root" $mirror >"$log_dir/debootstrap.log" 2>&1 || {
  tail -20 "$log_dir/debootstrap.log"; exit 1; }
echo "   root built in $(( $(seconds) - started )) s"

# What the package clients need to reach the registries, and nothing else from the host.
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot_env=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
            LANG=C.UTF-8 TERM=dumb CI="${CI:-}" QUICKSTART_PORT="$QUICKSTART_PORT")
while IFS='=' read -r name value; do
  case "$name" in
    *CERT*|*CA_BUNDLE*|*CAINFO*|*CA_CERTS*) ;;
    *) continue ;;
  esac
  [ -e "$value" ] || continue
  mkdir -p "$root/host-certs$(dirname "$value")"
  cp -rL "$value" "$root/host-certs$value"
  chroot_env+=("$name=/host-certs$value")
done < <(env)

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"

# The checkout as a fresh clone has it (committed files only).
git clone --quiet --no-hardlinks . "$root$app"
rm -rf "$root$app/.git"

in_root() { chroot "$root" /usr/bin/env -i "${chroot_env[@]}" /bin/bash -c "cd $app && $1"; }

report_installs() {  # $1: label, $2: file of packages before
  packages_in_root >"$log_dir/after"
  local added
  added=$(comm -13 "$2" "$log_dir/after" | wc -l)
  echo "   asked for: $(grep -h '^installing system packages:' "$3" | cut -d: -f2- | xargs || true)"
  echo "   Debian packages added with their dependencies: $added"
}

echo "== ./scripts/quickstart.sh (until the app answers on 127.0.0.1:$QUICKSTART_PORT)"
packages_in_root >"$log_dir/before-quickstart"
started=$(seconds)
in_root "exec ./scripts/quickstart.sh" >"$log_dir/quickstart.log" 2>&1 &
server=$!
until python3 - "$QUICKSTART_PORT" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/sign-in", timeout=5) as reply:
        raise SystemExit(0 if reply.status == 200 else 1)
except OSError:
    raise SystemExit(1)
PY
do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "quickstart.sh stopped before the app answered:" >&2
    tail -40 "$log_dir/quickstart.log" >&2
    exit 1
  fi
  if [ $(( $(seconds) - started )) -gt "$QUICKSTART_TIMEOUT" ]; then
    echo "the app did not answer within $QUICKSTART_TIMEOUT s:" >&2
    tail -40 "$log_dir/quickstart.log" >&2
    exit 1
  fi
  sleep 2
done
quickstart_seconds=$(( $(seconds) - started ))
echo "   the app answered after $quickstart_seconds s"
report_installs quickstart "$log_dir/before-quickstart" "$log_dir/quickstart.log"

echo "== maturity report unit (the demo's customer service unit, Finnish)"
in_root ".venv/bin/python - <<'PY'
import sqlite3, subprocess
db = sqlite3.connect('maturity.db')
unit = db.execute(\"select id from unit where name = 'Asiakaspalvelu'\").fetchone()[0]
round_ = db.execute('select max(round_id) from assessment where unit_id = ? and submitted_at is not null',
                    (unit,)).fetchone()[0]
subprocess.run(['.venv/bin/maturity', 'report', 'unit', '--round', str(round_), '--unit', str(unit),
                '--language', 'fi', '--output', '/root/unit-report.pdf'], check=True)
PY" >"$log_dir/report.log" 2>&1 || { cat "$log_dir/report.log" >&2; exit 1; }
echo "   $(tail -1 "$log_dir/report.log")"
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
for pid in /proc/[0-9]*; do  # the server itself, started by exec inside the root
  [ "$(readlink "$pid/root" 2>/dev/null)" = "$root" ] && kill "${pid#/proc/}" 2>/dev/null || true
done

echo "== ./scripts/test.sh ${FRESH_TESTS[*]}"
packages_in_root >"$log_dir/before-test"
started=$(seconds)
if ! in_root "./scripts/test.sh -p no:cacheprovider ${FRESH_TESTS[*]}" >"$log_dir/test.log" 2>&1; then
  tail -80 "$log_dir/test.log" >&2
  echo "the test command failed on the fresh root" >&2
  exit 1
fi
test_seconds=$(( $(seconds) - started ))
tail -1 "$log_dir/test.log" | sed 's/^/   /'
echo "   the test command took $test_seconds s"
report_installs test "$log_dir/before-test" "$log_dir/test.log"

echo "== the unit report's text and fonts"
in_root ".venv/bin/python - <<'PY'
import pypdf
reader = pypdf.PdfReader('/root/unit-report.pdf')
text = ' '.join(page.extract_text() for page in reader.pages)
fonts = {str(font['/BaseFont']) for page in reader.pages
         for font in page['/Resources'].get('/Font', {}).get_object().values()}
missing = [word for word in ('Asiakaspalvelu', 'Yhteenveto', 'ä', 'ö') if word not in text]
assert not missing, f'missing from the PDF text: {missing}'
assert any('DejaVu' in font for font in fonts), f'no DejaVu font embedded: {fonts}'
print(f'   {len(reader.pages)} pages, {len(text)} characters of text, fonts {sorted(fonts)}')
PY"

echo "fresh-machine check passed: quickstart ${quickstart_seconds} s, test command ${test_seconds} s"
