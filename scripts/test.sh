#!/usr/bin/env bash
# Runs every test of mcp-bridge on a fresh machine: installs the pinned peer
# servers the interop tests use (npm packages and the Python SDK, under
# tests/peers/), checks formatting and lints (which also compiles the benchmark), then runs
# the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

peers=tests/peers
echo "== installing pinned test peers into $peers"
npm ci --prefix "$peers" --no-audit --no-fund --loglevel=error
if [ ! -x "$peers/.venv/bin/python" ]; then
  python3 -m venv "$peers/.venv"
fi
"$peers/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$peers/requirements.txt"

echo "== build the binary alone (as cargo install does, without dev-dependency features)"
cargo build --locked --bins

echo "== format and lint"
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings

echo "== tests"
cargo test --locked
