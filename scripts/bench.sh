#!/usr/bin/env bash
# Reruns the benchmark behind BENCHMARKS.md: installs the pinned mcp-remote
# (tests/peers), builds mcp-bridge in release mode, and measures it side by
# side with a direct HTTP client and mcp-remote against one local server;
# `serve` against supergateway and both mcp-proxy packages.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error
# The PyPI mcp-proxy, a peer of `serve`, in a venv of its own (it needs the
# Python SDK 1.x).
if [ ! -x tests/peers/.venv-mcp-proxy/bin/mcp-proxy ]; then
  python3 -m venv tests/peers/.venv-mcp-proxy
  tests/peers/.venv-mcp-proxy/bin/pip install --quiet -r tests/peers/bench-requirements.txt
fi
cargo bench --locked --bench relay
