"""Instructions per call in `mcp-bridge serve`, counted by valgrind's
callgrind, with and without an access token checked on every call (issue
34's goal: checking a JWT adds at most 5 µs a call). Counts are the same
for the same binary and inputs whatever else the machine is doing, where
the bench's CPU rows compare two figures of about 100 µs that move by
several per cent from round to round.

For each configuration, `serve` (in front of server-everything's stdio
mode, which is not traced) answers N, then 2N sequential `tools/call`s
(echo) on one session; the difference of the two totals over N is the
cost of one call, start-up and the session's opening excluded. With
`--auth-issuer`, every request carries the same ES256 access token, signed
by a minimal issuer this script runs (RFC 8414 metadata and a JWKS of one
key): it is verified once and then recognised, which is what a client
that keeps its token costs.

Usage: python3 scripts/serve-instructions.py N BINARY
Needs: valgrind, tests/peers installed (scripts/test.sh or npm ci), and
the Python package `cryptography` (tests/peers/.venv has it).
"""

import base64
import http.client
import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

# The bridge's counter, beside this file: its free port and its reading of
# callgrind's output.
from instructions import callgrind_total, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
EVERYTHING = os.path.join(
    HERE, "..", "tests", "peers",
    "node_modules/@modelcontextprotocol/server-everything/dist/index.js")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """RFC 8414 metadata and a JWKS of one P-256 key, on loopback."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        docs = {
            "/.well-known/oauth-authorization-server":
                {"issuer": self.url, "jwks_uri": self.url + "/jwks"},
            "/jwks": {"keys": [{
                "kty": "EC", "crv": "P-256", "kid": "k", "use": "sig",
                "x": b64(numbers.x.to_bytes(32, "big")),
                "y": b64(numbers.y.to_bytes(32, "big"))}]},
        }

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                doc = docs.get(self.path)
                body = json.dumps(doc).encode()
                self.send_response(200 if doc else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def token(self, audience):
        now = int(time.time())
        header = {"alg": "ES256", "kid": "k", "typ": "at+jwt"}
        claims = {"iss": self.url, "sub": "instructions", "aud": audience,
                  "iat": now, "exp": now + 3600, "scope": "mcp:tools",
                  "client_id": "instructions"}
        signed = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        r, s = decode_dss_signature(self.key.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signed}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def total(binary, calls, issuer, data):
    """Callgrind's instruction total for serve's run of `calls` calls."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    out = os.path.join(data, "callgrind.out")
    auth = ["--auth-issuer", issuer.url] if issuer else []
    p = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         binary, "serve", "--port", str(port), *auth, "--", "node", EVERYTHING, "stdio"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("serve did not start")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"content-type": "application/json",
                   "accept": "application/json, text/event-stream"}
        if issuer:
            headers["authorization"] = "Bearer " + issuer.token(url)

        def post(body, session=None):
            h = dict(headers)
            if session:
                h |= {"mcp-session-id": session, "mcp-protocol-version": "2025-06-18"}
            conn.request("POST", "/mcp", json.dumps(body), h)
            r = conn.getresponse()
            text = r.read()
            assert r.status in (200, 202), (r.status, text)
            return r.getheader("mcp-session-id"), text

        session, _ = post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "instructions", "version": "1"}}})
        post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
        for i in range(1, calls + 1):
            _, text = post({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                            "params": {"name": "echo", "arguments": {"message": "x" * 50}}},
                           session)
            assert b'"result"' in text, text
        conn.close()
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=120)
    return callgrind_total(out)


def main():
    n, binary = int(sys.argv[1]), sys.argv[2]
    issuer = Issuer()
    print(f"| serve | start-up and {n} calls | per call |")
    print("|---|---|---|")
    per_call = {}
    for name, given in (("no authentication", None), ("--auth-issuer, a JWT on every call", issuer)):
        with tempfile.TemporaryDirectory() as data:
            once, twice = total(binary, n, given, data), total(binary, 2 * n, given, data)
        per_call[name] = (twice - once) / n
        print(f"| {name} | {once:,} | {per_call[name]:,.0f} |")
    a, b = per_call.values()
    print(f"\nchecking the token adds {b - a:,.0f} instructions a call ({(b - a) / a:+.1%})")


if __name__ == "__main__":
    main()
