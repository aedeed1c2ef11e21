#!/usr/bin/env bash
# Reruns the benchmark behind BENCHMARKS.md: installs the pinned mcp-remote
# (tests/peers), builds mcp-bridge in release mode, and measures it side by
# side with a direct HTTP client and mcp-remote against one local server.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error
cargo bench --locked --bench relay
