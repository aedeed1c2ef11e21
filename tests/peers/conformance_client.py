"""A small MCP client for the official conformance suite's client scenarios,
speaking to the scenario's server THROUGH mcp-bridge: the suite runs this
with the server URL appended, this starts `mcp-bridge URL` and talks
JSON-RPC on its stdio, as a desktop client would.

Usage (as the suite's --command):
    python conformance_client.py legacy|modern|dual URL
    python conformance_client.py --browse URL     (the BROWSER for sign-in)

- legacy: the client sends `initialize` (as Claude Desktop does), at the
  version the suite asks for when it is a handshake one.
- modern: the client speaks 2026-07-28: `server/discover`, the `_meta`
  envelope on every request, and `input_required` rounds of its own.
- dual: as the TypeScript and Python SDK 2.x clients in auto mode, asks
  `server/discover` first (modern) and, when the server does not speak
  2026-07-28, falls back to `initialize` and is a legacy client from then on.

Environment: MCP_BRIDGE_BIN (the bridge), MCP_CONFORMANCE_SCENARIO,
MCP_CONFORMANCE_CONTEXT, MCP_CONFORMANCE_PROTOCOL_VERSION (from the suite).
Only the standard library is used.
"""

import json
import os
import queue
import re
import subprocess
import sys
import threading
import urllib.request

MODERN = "2026-07-28"
HANDSHAKE = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
WAIT = 30


def browse(url):
    """Play the person at the browser: load the URL and follow redirects
    (the suite's authorization server approves at once)."""
    try:
        urllib.request.urlopen(url, timeout=20).read()
    except Exception as e:  # the callback page may answer an error status
        print(f"browse: {e}", file=sys.stderr)


class Client:
    def __init__(self, mode, url):
        self.mode = mode
        self.scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
        self.context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
        asked = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION", "")
        self.version = asked if asked in HANDSHAKE else HANDSHAKE[-1]
        env = dict(os.environ)
        env.setdefault("BROWSER", f"{sys.executable} {os.path.abspath(__file__)} --browse %s")
        # The bridge logs at its most verbose level to a file, which is
        # scanned for the scenario's secrets when it is done.
        self.log_path = os.path.join(env.get("MCP_BRIDGE_DATA_DIR", "."), "bridge-stderr.log")
        self.log = open(self.log_path, "wb")
        self.bridge = subprocess.Popen(
            # Tokens in files: leaked() reads them back, DPoP keys included.
            [os.environ["MCP_BRIDGE_BIN"], url, "-vvv", "--debug", "--token-store", "file",
             *self.sign_in_options()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
        )
        self.inbox = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0
        self.capabilities = {
            "sampling": {},
            "elicitation": {"form": {}, "url": {}},
            "roots": {"listChanged": True},
        }

    def sign_in_options(self):
        """What a user would configure for the sign-in scenarios: the
        pre-registered client the suite hands out, and the client metadata
        document URL its everything-client uses."""
        opts = []
        if "client_id" in self.context:
            client = {"client_id": self.context["client_id"]}
            if "client_secret" in self.context:
                client["client_secret"] = self.context["client_secret"]
            opts += ["--static-oauth-client-info", json.dumps(client)]
        if self.scenario == "auth/basic-cimd":
            opts += ["--client-metadata-url", "https://conformance-test.local/client-metadata.json"]
        if self.scenario.startswith("auth/client-credentials"):
            opts.append("--client-credentials")
        if "private_key_pem" in self.context:
            key = os.path.join(os.environ.get("MCP_BRIDGE_DATA_DIR", "."), "client-key.pem")
            with open(key, "w") as f:
                f.write(self.context["private_key_pem"])
            opts += ["--client-assertion-key", key]
            if "signing_algorithm" in self.context:
                opts += ["--client-assertion-alg", self.context["signing_algorithm"]]
        if "idp_issuer" in self.context:
            opts += [
                "--idp-issuer", self.context["idp_issuer"],
                "--idp-client-id", self.context["idp_client_id"],
                "--idp-id-token", self.context["idp_id_token"],
            ]
        if "valid_jwt" in self.context:
            opts += ["--jwt-bearer-assertion", self.context["valid_jwt"]]
        return opts

    def _read(self):
        for line in self.bridge.stdout:
            self.inbox.put(json.loads(line))
        self.inbox.put(None)

    def send(self, msg):
        self.bridge.stdin.write((json.dumps(msg) + "\n").encode())
        self.bridge.stdin.flush()

    def meta(self):
        return {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": self.capabilities,
            "io.modelcontextprotocol/clientInfo": {"name": "conformance-via-bridge", "version": "1"},
        }

    def request(self, method, params=None):
        """Send a request and wait for its answer, serving the server's own
        requests meanwhile; in modern mode, work through input rounds."""
        params = dict(params or {})
        while True:
            if self.mode == "modern":
                params["_meta"] = {**params.get("_meta", {}), **self.meta()}
            self.next_id += 1
            rid = self.next_id
            self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
            answer = self.wait(rid)
            result = answer.get("result") or {}
            if self.mode != "modern" or result.get("resultType") != "input_required":
                return answer
            responses = {
                key: self.answer_input(req.get("method"), req.get("params") or {})
                for key, req in (result.get("inputRequests") or {}).items()
            }
            params = {k: v for k, v in params.items() if k not in ("inputResponses", "requestState")}
            params["inputResponses"] = responses
            if "requestState" in result:
                params["requestState"] = result["requestState"]

    def wait(self, rid):
        while True:
            msg = self.inbox.get(timeout=WAIT)
            if msg is None:
                raise SystemExit("the bridge closed its stdout")
            if msg.get("id") == rid and "method" not in msg:
                return msg
            if "method" in msg and "id" in msg:
                result = self.answer_input(msg["method"], msg.get("params") or {})
                self.send({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    def answer_input(self, method, params):
        """What a person and a model would answer: elicitation accepted with
        the schema's defaults, a canned sampling result, no roots."""
        if method == "elicitation/create":
            if params.get("mode") == "url":
                return {"action": "accept"}
            props = (params.get("requestedSchema") or {}).get("properties") or {}
            content = {k: v["default"] for k, v in props.items() if "default" in v}
            return {"action": "accept", "content": content}
        if method == "sampling/createMessage":
            return {
                "role": "assistant",
                "content": {"type": "text", "text": "sampled"},
                "model": "conformance-model",
                "stopReason": "endTurn",
            }
        if method == "roots/list":
            return {"roots": []}
        return {}

    def open(self):
        if self.mode == "dual":
            self.mode = "modern"
            answer = self.request("server/discover")
            versions = (answer.get("result") or {}).get("supportedVersions") or []
            if MODERN in versions:
                return
            self.mode = "legacy"
        if self.mode == "modern":
            self.request("server/discover")
            return
        self.request(
            "initialize",
            {
                "protocolVersion": self.version,
                "capabilities": self.capabilities,
                "clientInfo": {"name": "conformance-via-bridge", "version": "1"},
            },
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def run(self):
        self.open()
        tools = self.request("tools/list").get("result", {}).get("tools", [])
        calls = self.context.get("toolCalls")
        if calls is None:
            calls = [{"name": t["name"], "arguments": self.arguments(t, tools)} for t in tools]
        for call in calls:
            self.request("tools/call", call)
        if self.scenario == "http-standard-headers":
            for r in self.request("resources/list").get("result", {}).get("resources", []):
                self.request("resources/read", {"uri": r["uri"]})
            for p in self.request("prompts/list").get("result", {}).get("prompts", []):
                self.request("prompts/get", {"name": p["name"], "arguments": {}})

    def arguments(self, tool, tools):
        """Arguments for `tool` from its schema's required properties; the
        echo tool of the schema-preservation scenario gets the other
        tool's schema back verbatim."""
        props = (tool.get("inputSchema") or {}).get("properties") or {}
        if set(props) == {"schema"} and props["schema"].get("type") == "object":
            others = [t for t in tools if t is not tool]
            return {"schema": others[0].get("inputSchema", {}) if others else {}}
        samples = {"number": 2, "integer": 3, "string": "x", "boolean": True, "object": {}, "array": []}
        args = {}
        for name in (tool.get("inputSchema") or {}).get("required") or []:
            kind = (props.get(name) or {}).get("type", "string")
            args[name] = samples.get(kind if isinstance(kind, str) else "string", "x")
        return args

    def close(self):
        self.bridge.stdin.close()
        self.bridge.wait(timeout=10)
        self.log.close()

    def leaked(self):
        """The secrets the suite handed out, and anything shaped like a JWT
        (tokens, ID-JAGs, DPoP proofs, assertions), that appear in the
        bridge's stderr at -vvv or in its --debug log."""
        paths = [self.log_path]
        logs = os.path.join(os.environ.get("MCP_BRIDGE_DATA_DIR", "."), "logs")
        if os.path.isdir(logs):
            paths += [os.path.join(logs, n) for n in os.listdir(logs)]
        text = ""
        for p in paths:
            with open(p, "rb") as f:
                text += f.read().decode("utf-8", "replace")
        jwt = re.search(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}", text)
        secrets = []
        for key in ("client_secret", "idp_id_token", "valid_jwt"):
            if key in self.context:
                secrets.append((key, self.context[key]))
        for line in self.context.get("private_key_pem", "").splitlines():
            if line and not line.startswith("-----"):
                secrets.append(("private_key_pem", line))
        # What the bridge itself keeps: tokens, client secrets, DPoP keys.
        store = os.path.join(os.environ.get("MCP_BRIDGE_DATA_DIR", "."), "credentials")
        for name in os.listdir(store) if os.path.isdir(store) else []:
            if name.endswith(".secret.json"):
                with open(os.path.join(store, name)) as f:
                    secrets += stored_secrets(json.load(f), name)
        found = [key for key, value in secrets if value and value in text]
        if jwt:
            found.append("a JWT: " + jwt.group(0)[:16] + "...")
        return found


def stored_secrets(value, where):
    """Every secret-named string in a stored credential file."""
    names = ("access_token", "refresh_token", "id_token", "client_secret", "dpop_key")
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in names and isinstance(v, str) and len(v) >= 8:
                found.append((f"{where}: {k}", v))
            else:
                found += stored_secrets(v, where)
    elif isinstance(value, list):
        for v in value:
            found += stored_secrets(v, where)
    return found


def main():
    if sys.argv[1] == "--browse":
        browse(sys.argv[2])
        return
    client = Client(sys.argv[1], sys.argv[2])
    try:
        client.run()
    finally:
        client.close()
        leaked = client.leaked()
        if leaked:
            sys.exit(f"the bridge logged secrets: {leaked} (see {client.log_path})")


if __name__ == "__main__":
    main()
