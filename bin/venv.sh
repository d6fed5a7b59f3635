# Sourced by bin/run and bin/test: make .venv with Python 3.13 and the pinned development requirements.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
  # .python-version selects 3.13 through pyenv where pyenv manages Python.
  for candidate in "${PYTHON:-}" python3.13 "$(command -v pyenv >/dev/null && pyenv which python3.13 2>/dev/null)" python3; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
  if ! python=$(find_python); then
    echo "Error: Python 3.13 is needed and none was found (tried \$PYTHON, python3.13, pyenv, python3)." >&2
    echo "Install it (e.g. 'pyenv install 3.13') or set PYTHON=/path/to/python3.13." >&2
    exit 1
  fi
  rm -rf .venv
  "$python" -m venv .venv
fi

# Development installs requirements-dev.txt (production's requirements.txt and
# the tools); reinstall only when either file changed since the last install.
stamp=.venv/.requirements.sha256
wanted=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --requirement requirements-dev.txt
  echo "$wanted" > "$stamp"
fi
