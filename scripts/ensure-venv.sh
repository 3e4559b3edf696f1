#!/usr/bin/env bash
# Create or update the project-local virtual environment .venv; course.sh and test.sh call this.
#
# It runs `pip install -e ".[test]"` (kafkalab, its runtime dependencies and the test tools) from PyPI.
# Idempotent: after a successful install it writes .venv/.kafkalab-install-stamp, holding a hash of
# pyproject.toml, the repo's path and the Python version. While those still match, it does nothing,
# so a second run costs well under a second. Delete .venv to start from scratch.
#
# Set PYTHON=/path/to/python3.x to choose the interpreter that creates .venv (3.11 or newer).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=.venv
STAMP="$VENV/.kafkalab-install-stamp"
NEW_ENOUGH='import sys; sys.exit(sys.version_info < (3, 11))'

die() { echo "error: $*" >&2; exit 1; }

find_python() {
  local py candidates=(python3 python3.14 python3.13 python3.12 python3.11)
  if [[ -n "${PYTHON:-}" ]]; then candidates=("$PYTHON"); fi
  for py in "${candidates[@]}"; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c "$NEW_ENOUGH" 2>/dev/null; then
      echo "$py"
      return 0
    fi
  done
  return 1
}

# A .venv that no longer runs (its Python was removed or upgraded) or is too old is rebuilt.
if [[ -e "$VENV" ]] && ! "$VENV/bin/python" -c "$NEW_ENOUGH" 2>/dev/null; then
  echo "note: $VENV is broken or older than Python 3.11; recreating it"
  rm -rf "$VENV"
fi

if [[ ! -e "$VENV" ]]; then
  [[ -z "${PYTHON:-}" ]] || find_python >/dev/null || die "PYTHON=$PYTHON is not a runnable Python 3.11 or newer."
  py=$(find_python) || die "kafkalab needs Python 3.11 or newer, and found $(python3 --version 2>&1 || echo 'no python3').
  On Debian 12 / Ubuntu 24.04:  sudo apt-get install python3 python3-venv
  Or name another interpreter:  PYTHON=/path/to/python3.12 ./scripts/test.sh  (or course.sh)"
  ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  # Debian and Ubuntu ship the venv module's ensurepip in a separate package.
  "$py" -c 'import venv, ensurepip' 2>/dev/null || die "$py has no working venv module.
  On Debian/Ubuntu install it with:  sudo apt-get install python3-venv   (or python$ver-venv)"
  echo "==> Creating $VENV with $py (Python $ver)"
  "$py" -m venv "$VENV" || { rm -rf "$VENV"; die "'$py -m venv $VENV' failed; on Debian/Ubuntu: sudo apt-get install python3-venv (or python$ver-venv)"; }
fi

PY="$VENV/bin/python"
want=$("$PY" -c 'import hashlib, os, sys
print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest(), os.getcwd(), sys.version.split()[0])')
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  exit 0  # up to date
fi

echo "==> Installing kafkalab and its dependencies into $VENV (pip install -e \".[test]\"; the first time takes a minute or two)"
rm -f "$STAMP"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet -e ".[test]"
# nbgrader (a test tool: tests/test_nbgrader.py runs its command line) also adds instructors' menus
# and server extensions to JupyterLab. The course does not use them, so they are off in .venv; turn
# them on with `.venv/bin/jupyter labextension enable @jupyter/nbgrader` and
# `.venv/bin/jupyter server extension enable nbgrader.server_extensions.formgrader` (and the others).
if "$PY" -c 'import nbgrader' 2>/dev/null; then
  "$VENV/bin/jupyter" labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1 ||
    echo "note: could not turn off nbgrader's JupyterLab extension; the course works anyway" >&2
  "$VENV/bin/jupyter" server extension disable --sys-prefix nbgrader.server_extensions.formgrader \
    nbgrader.server_extensions.assignment_list nbgrader.server_extensions.course_list \
    nbgrader.server_extensions.validate_assignment >/dev/null 2>&1 ||
    echo "note: could not turn off nbgrader's server extensions; the course works anyway" >&2
fi
echo "$want" >"$STAMP"
echo "==> $VENV is ready"
