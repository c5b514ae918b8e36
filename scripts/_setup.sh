# Shared by quickstart.sh and test.sh: system packages, the virtualenv and front-end assets.
# Usage: source scripts/_setup.sh; need_packages CMD-OR-PATH:DEBIAN-PACKAGE ...

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages whose command or file is missing (apt-get update only if needed).
need_packages() {
  local missing=() spec probe package
  for spec in "$@"; do
    probe=${spec%%:*}
    package=${spec#*:}
    if [ "${probe#/}" != "$probe" ]; then
      compgen -G "$probe" >/dev/null || missing+=("$package")
    else
      command -v "$probe" >/dev/null 2>&1 || missing+=("$package")
    fi
  done
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# What the app needs on a minimal Debian 12 (probe:package): Python with venv, npm and openssl
# to fetch and check htmx, WeasyPrint's libraries (Pango pulls in GLib, HarfBuzz and fontconfig)
# and a font for fontconfig to find, so Finnish text renders in the PDFs. matplotlib ships its
# own fonts. Cairo draws SVG logos as PNG for the PowerPoint decks (cairosvg).
APP_PACKAGES=(
  python3:python3 npm:npm openssl:openssl
  '/usr/lib/*/libpango-1.0.so.0:libpango-1.0-0'
  '/usr/lib/*/libpangoft2-1.0.so.0:libpangoft2-1.0-0'
  /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core
  '/usr/lib/*/libcairo.so.2:libcairo2'
)

# What the tests need on top: PostgreSQL server binaries, Chromium, libatomic for
# Playwright's driver (a Node.js binary that links it), Java for the Nu HTML checker, and
# LibreOffice Impress, which opens a PowerPoint deck and draws its slides.
TEST_PACKAGES=(
  '/usr/lib/postgresql/*/bin/initdb:postgresql'
  /usr/bin/chromium:chromium
  java:default-jre-headless
  '/usr/lib/*/libatomic.so.1:libatomic1'
  soffice:libreoffice-impress
)

# Create .venv (once) and install the project into it with the given pip arguments.
install_project() {
  [ -x .venv/bin/python ] || python3 -m venv .venv
  ./scripts/fetch-assets.sh
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@"
}
