#!/usr/bin/env bash
# Run every test: set up .venv if needed (scripts/ensure-venv.sh), then
#   1. ruff check over the Python code (rules: [tool.ruff.lint] in pyproject.toml);
#   2. mypy over the core modules (scope and options: [tool.mypy] in pyproject.toml);
#   3. pytest over tests/ (the library's tests, repo checks and the browser test, for which it first
#      installs Debian's chromium when missing: see ensure_chromium; the grader's tests need Debian's
#      bubblewrap, installed the same way: see ensure_bubblewrap);
#   4. every notebook (notebooks/, solutions/, exercises/) under nbval (`pytest --nbval-lax`).
# A failing step does not stop the later ones; the script fails at the end if any step failed.
# CI runs exactly this (.ci/run). With arguments, it sets up and runs only `pytest ARGS...`:
#   ./scripts/test.sh tests/test_repo.py -k readme
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/ensure-venv.sh
PY=.venv/bin/python

# The browser test (tests/browser) drives Debian's `chromium` through Playwright (no
# `playwright install`). Install it when missing: as root with apt-get, else with passwordless sudo.
# If neither works, say what to install and go on: the browser test then fails in CI (CI set) and
# is skipped elsewhere. KAFKALAB_SKIP_CHROMIUM_INSTALL=1 skips this step.
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]]; then
    return 0
  fi
  local hint="install Debian's chromium package (sudo apt-get install chromium) to run the browser test"
  if [[ -n "${KAFKALAB_SKIP_CHROMIUM_INSTALL:-}" ]]; then
    echo "note: chromium is not installed and KAFKALAB_SKIP_CHROMIUM_INSTALL is set; $hint" >&2
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: chromium is not installed and there is no apt-get here; $hint" >&2
    return 0
  fi
  local sudo=()
  if (( EUID != 0 )); then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "note: chromium is not installed, and this user is not root and has no passwordless sudo; $hint" >&2
      return 0
    fi
  fi
  echo "==> Installing Debian's chromium for the browser test (apt-get install chromium, about a minute)"
  ${sudo[@]+"${sudo[@]}"} apt-get update -qq || echo "note: apt-get update failed; trying the install anyway" >&2
  if ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    echo "==> chromium: $(command -v chromium || echo /usr/bin/chromium)"
  else
    echo "note: apt-get could not install chromium; $hint" >&2
  fi
}
ensure_chromium

# The grader runs learners' code in a bubblewrap sandbox (kafkalab/exercises/sandbox.py); its tests
# (tests/test_grader*.py) need Debian's `bubblewrap` (the `bwrap` command). Installed like chromium
# above when missing; without it those tests fail in CI and are skipped elsewhere.
# KAFKALAB_SKIP_BWRAP_INSTALL=1 skips this step.
ensure_bubblewrap() {
  if command -v bwrap >/dev/null 2>&1; then
    return 0
  fi
  local hint="install Debian's bubblewrap package (sudo apt-get install bubblewrap) to run the grader's tests"
  if [[ -n "${KAFKALAB_SKIP_BWRAP_INSTALL:-}" ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: bwrap is not installed; $hint" >&2
    return 0
  fi
  local sudo=()
  if (( EUID != 0 )); then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "note: bwrap is not installed, and this user is not root and has no passwordless sudo; $hint" >&2
      return 0
    fi
  fi
  echo "==> Installing Debian's bubblewrap for the grader's sandbox (apt-get install bubblewrap)"
  if ! ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null 2>&1; then
    ${sudo[@]+"${sudo[@]}"} apt-get update -qq || echo "note: apt-get update failed; trying the install anyway" >&2
    ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null \
      || echo "note: apt-get could not install bubblewrap; $hint" >&2
  fi
  command -v bwrap >/dev/null 2>&1 && echo "==> bwrap: $(command -v bwrap)"
  return 0
}
ensure_bubblewrap

if (( $# > 0 )); then
  exec "$PY" -m pytest "$@"
fi

failed=()

echo "==> ruff check"
rc=0
"$PY" -m ruff check . || rc=$?
(( rc == 0 )) || failed+=("ruff check (exit $rc)")

echo "==> mypy"
rc=0
"$PY" -m mypy || rc=$?
(( rc == 0 )) || failed+=("mypy (exit $rc)")

echo "==> pytest tests"
rc=0
"$PY" -m pytest tests || rc=$?
# pytest exits 5 when it collects no tests: fine while tests/ has no test files, a failure otherwise.
if (( rc == 5 )) && [[ -z "$(find tests -name 'test_*.py' -o -name '*_test.py' | head -n 1)" ]]; then
  echo "(tests/ has no test files yet)"
  rc=0
fi
(( rc == 0 )) || failed+=("pytest tests (exit $rc)")

# The course notebooks, the solutions and the generated exercises run under nbval in one go: every
# cell must run without error, and cells marked NBVAL_CHECK_OUTPUT must print what they stored
# (solutions: every check prints ✓; exercises are stored without outputs, so they only have to run).
nb_dirs=()
for dir in notebooks solutions exercises; do
  compgen -G "$dir/*.ipynb" >/dev/null && nb_dirs+=("$dir")
done
if (( ${#nb_dirs[@]} > 0 )); then
  echo "==> pytest --nbval-lax ${nb_dirs[*]}"
  rc=0
  "$PY" -m pytest -p no:cacheprovider --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg "${nb_dirs[@]}" || rc=$?
  (( rc == 0 )) || failed+=("pytest --nbval-lax ${nb_dirs[*]} (exit $rc)")
fi

if (( ${#failed[@]} > 0 )); then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "==> all tests passed"
