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
# The binary measured is the one `cargo install` makes, built on its own:
# `cargo bench`'s own build shares features with the test-only dependencies,
# so its symbols differ from those scripts/symbol-order.txt names and its
# code is not laid out (it holds about 4 MB more). MCP_BRIDGE_BENCH_BIN
# measures another build instead.
if [ -z "${MCP_BRIDGE_BENCH_BIN:-}" ]; then
  cargo build --release --locked --target-dir target/shipped
  export MCP_BRIDGE_BENCH_BIN="$PWD/target/shipped/release/mcp-bridge"
fi
cargo bench --locked --bench relay
