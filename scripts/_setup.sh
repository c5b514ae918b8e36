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

# Create .venv (once) and install the project into it with the given pip arguments.
install_project() {
  [ -x .venv/bin/python ] || python3 -m venv .venv
  ./scripts/fetch-assets.sh
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@"
}
