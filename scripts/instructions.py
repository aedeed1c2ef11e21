"""Instructions per relayed call, counted by valgrind's callgrind: the same
for the same binary and inputs whatever else the machine is doing, so two
builds compare without noise (wall-clock benchmarks on a shared machine
move by several per cent from run to run).

Each binary relays N, then 2N sequential `tools/call`s (echo) from a client
that sends `initialize`, to server-everything (streamableHttp) on loopback;
the difference of the two totals over N is the cost of one call, start-up
excluded.

Usage: python3 scripts/instructions.py N BINARY [BINARY...]
Needs: valgrind, and tests/peers installed (scripts/test.sh or npm ci).
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "..", "tests", "peers")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def total(binary, url, calls, data):
    """Callgrind's instruction total for one run of `calls` calls."""
    out = os.path.join(data, "callgrind.out")
    p = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         binary, url, "--protocol", "legacy"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=dict(os.environ, MCP_BRIDGE_DATA_DIR=data),
    )

    def send(m):
        p.stdin.write((json.dumps(m) + "\n").encode())
        p.stdin.flush()
        while "id" in m:
            r = json.loads(p.stdout.readline())
            if r.get("id") == m["id"]:
                assert "result" in r, r
                return

    send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "instructions", "version": "1"}}})
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    for i in range(1, calls + 1):
        send({"jsonrpc": "2.0", "id": i, "method": "tools/call",
              "params": {"name": "echo", "arguments": {"message": "x" * 50}}})
    p.stdin.close()
    p.wait()
    return callgrind_total(out)


def callgrind_total(out):
    """The instruction total of the callgrind output file `out`."""
    with open(out) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise SystemExit("no total in " + out)


def main():
    n, binaries = int(sys.argv[1]), sys.argv[2:]
    port = free_port()
    server = subprocess.Popen(
        ["node", os.path.join(PEERS, "node_modules/@modelcontextprotocol/server-everything/dist/index.js"),
         "streamableHttp"],
        env=dict(os.environ, PORT=str(port)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/mcp"
        print(f"| binary | start-up and {n} calls | per call |")
        print("|---|---|---|")
        for b in binaries:
            with tempfile.TemporaryDirectory() as data:
                once, twice = total(b, url, n, data), total(b, url, 2 * n, data)
            print(f"| {b} | {once:,} | {(twice - once) / n:,.0f} |")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
