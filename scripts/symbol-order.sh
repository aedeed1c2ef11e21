#!/usr/bin/env bash
# Regenerates scripts/symbol-order.txt, the order in which the linker lays
# out the functions mcp-bridge runs in its everyday work, so that they sit
# together at the front of the binary's code.
#
# Why: the kernel maps a program's code in whole page-cache folios (64 KB
# and more) around each page that runs, so a process's resident memory is
# set by how many such windows its code is spread over, not by how much of
# it runs. `serve` runs about 1 MB of the binary's 9 MB of code; scattered,
# that costs 5 MB of resident memory. (Figures in BENCHMARKS.md, "Laying
# out the code".)
#
# How: an unstripped release build runs, as itself, under gdb with a
# one-time breakpoint on every function (scripts/symbol-trace.py), in both
# modes: `serve` in front of server-everything with handshake-era sessions
# opened by plain HTTP, then the bridge in front of a `serve` in each era.
# Every function that ran is listed in the order it first ran. build.rs
# hands the list to the linker (LLD's --symbol-ordering-file) for x86_64
# Linux release builds; a name the build no longer has is skipped, so a
# stale list costs memory, never a build. Rerun it after a toolchain or
# dependency update, or when the bench's memory rows grow.
#
# Needs: gdb, curl, python3, node and npm (server-everything from
# tests/peers).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error
target="$root/target/symbol-order"
# The release profile as it is, its symbols kept by a flag that, unlike a
# profile setting, leaves every symbol's name (its hash) as in the build
# that ships; the layout of this build does not matter.
MCP_BRIDGE_SYMBOL_ORDER=off RUSTFLAGS="-C strip=none" \
  cargo build --release --locked --target-dir "$target"
bin="$target/release/mcp-bridge"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
nm --defined-only "$bin" | awk '$2 ~ /^[tTwW]$/ {print $1, $3}' | sort -u -k1,1 >"$work/symbols"
export TRACE_SYMBOLS="$work/symbols" TRACE_OUT="$work/ran"
everything=(node tests/peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js stdio)
traced() { gdb -q -batch -x "$root/scripts/symbol-trace.py" --args "$@" >>"$work/gdb.log" 2>&1; }
up() { for _ in $(seq 600); do curl -sf -m 2 -o /dev/null "http://127.0.0.1:$1/healthz" && return; sleep 0.2; done; echo "serve on $1 did not start" >&2; exit 1; }

# 1. serve, traced: handshake-era sessions, as SDK clients and the bench
#    open them (one kept-alive connection), and as curl does (a connection
#    a request): one long, ten short, some ended by DELETE, the rest by
#    SIGTERM after a pause that lets serve's timers run.
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port/mcp"
traced "$bin" serve --port "$port" -- "${everything[@]}" &
gdb_pid=$!
up "$port"
python3 - "$port" <<'EOF'
import http.client, json, sys, time
port = int(sys.argv[1])
kept = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
def post(body, session=None, fresh=False):
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    if session:
        headers |= {"mcp-session-id": session, "mcp-protocol-version": "2025-06-18"}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30) if fresh else kept
    c.request("POST", "/mcp", json.dumps(body), headers)
    r = c.getresponse()
    text = r.read()
    if fresh:
        c.close()
    return r.getheader("mcp-session-id"), text
init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "order", "version": "1"}}}
# A long session first: its replay buffer fills and wraps.
session, _ = post(init)
post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
for i in range(3000):
    post({"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call", "params": {"name": "echo", "arguments": {"message": str(i)}}}, session)
for n in range(10):
    fresh = n % 2 == 1
    session, _ = post(init, fresh=fresh)
    post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session, fresh)
    post({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, session, fresh)
    for i in range(20):
        _, text = post({"jsonrpc": "2.0", "id": 3 + i, "method": "tools/call", "params": {"name": "echo", "arguments": {"message": str(i)}}}, session, fresh)
        assert b'"result"' in text, text
    if n >= 5:
        kept.request("DELETE", "/mcp", headers={"mcp-session-id": session})
        kept.getresponse().read()
time.sleep(6)
EOF
pkill -TERM -f "^$bin serve --port $port " || true
wait "$gdb_pid" || true

# 2. The bridge, traced, in each era, in front of a serve that is not.
"$bin" serve --port "$port" -- "${everything[@]}" 2>/dev/null &
serve=$!
up "$port"
for era in auto legacy; do
  mkfifo "$work/in" "$work/out"
  TRACE_STDIO="< $work/in > $work/out" traced "$bin" "$url" --protocol "$era" &
  bridge=$!
  python3 - "$work/in" "$work/out" <<'EOF'
import json, sys
to, back = open(sys.argv[1], "w"), open(sys.argv[2])
def ask(i, method, params=None):
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    to.write(json.dumps(m) + "\n"); to.flush()
    while True:
        line = json.loads(back.readline())
        if line.get("id") == i:
            return line
ask(1, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "order", "version": "1"}})
to.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n'); to.flush()
for i in range(2, 30):
    ask(i, ["tools/list", "resources/list", "prompts/list", "ping"][i % 4])
    r = ask(1000 + i, "tools/call", {"name": "echo", "arguments": {"message": str(i)}})
    assert "result" in r, r
to.close()
EOF
  wait "$bridge" || true
  rm -f "$work/in" "$work/out"
done
kill -TERM "$serve"
wait "$serve" || true

# Each function once, in the order it first ran.
awk '!seen[$0]++' "$work/ran" >"$root/scripts/symbol-order.txt"
echo "scripts/symbol-order.txt: $(wc -l <"$root/scripts/symbol-order.txt") functions" >&2
