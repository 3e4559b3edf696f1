#!/usr/bin/env bash
# Open the course: set up .venv if needed (scripts/ensure-venv.sh), then start JupyterLab on
# 127.0.0.1 (this machine only) showing notebooks/. Stop it with Ctrl-C.
# Extra arguments go to JupyterLab, and win over the defaults here, e.g.
#   ./scripts/course.sh --port=9999 --no-browser
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/ensure-venv.sh

args=(
  --ServerApp.ip=127.0.0.1
  --ServerApp.root_dir="$PWD"
  --LabApp.default_url=/lab/tree/notebooks
)
if [[ "$(id -u)" == 0 ]]; then
  args+=(--allow-root)  # JupyterLab refuses to run as root without it
fi

echo "==> Starting JupyterLab on http://127.0.0.1:8888/lab/tree/notebooks (another port if 8888 is taken): open the URL with its token printed below; Ctrl-C stops it"
exec .venv/bin/python -m jupyterlab "${args[@]}" "$@"
