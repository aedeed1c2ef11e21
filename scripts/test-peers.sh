#!/usr/bin/env bash
# Installs the pinned peer servers the interop tests use, under tests/peers/:
# the npm packages of package-lock.json and the Python SDK (requirements.txt)
# in a virtual environment. Run by scripts/test.sh, and by the release
# workflow on Windows and macOS (Git Bash on Windows, where a virtual
# environment keeps its programs in Scripts/ rather than bin/).
set -euo pipefail
cd "$(dirname "$0")/.."

peers=tests/peers
echo "== installing pinned test peers into $peers"
npm ci --prefix "$peers" --no-audit --no-fund --loglevel=error
venv="$peers/.venv"
if [ ! -x "$venv/bin/python" ] && [ ! -x "$venv/Scripts/python.exe" ]; then
  python=python3
  command -v python3 >/dev/null || python=python
  "$python" -m venv "$venv"
fi
bin="$venv/bin"
[ -d "$bin" ] || bin="$venv/Scripts"
"$bin/python" -m pip install --quiet --disable-pip-version-check -r "$peers/requirements.txt"
