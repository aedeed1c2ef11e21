// The TypeScript SDK's client signing in with its own OAuth provider
// (OAuthClientProvider, tests/peers/package.json), for mcp-bridge's tests:
// it finds the authorization server from the MCP server's 401, registers
// itself, sends the person (oidc_person.py, as BROWSER would be) to the
// authorization URL, takes the code at its own loopback callback, trades it
// for tokens, connects again and calls a tool.
//
// Usage: node ts_oauth_client.mjs URL
//   env BROWSER_LOG  where oidc_person.py records each authorization URL
//
// Prints one JSON object: {"tools": [names], "echo": the call's result,
// "signins": how many times the person was sent to sign in, "scope": the
// scope granted}.

import { spawn } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = new URL(process.argv[2]);
const here = path.dirname(fileURLToPath(import.meta.url));
const timer = setTimeout(() => {
  console.log(JSON.stringify({ error: "timeout" }));
  process.exit(3);
}, 60_000);

// The loopback callback: the code, once.
let gotCode;
const code = new Promise((resolve) => (gotCode = resolve));
const callback = http.createServer((req, res) => {
  const q = new URL(req.url, "http://127.0.0.1").searchParams;
  res.end("signed in; you may close this tab\n");
  gotCode(q.get("code") ?? `error: ${q.get("error")}`);
});
await new Promise((r) => callback.listen(0, "127.0.0.1", r));
const redirect = `http://127.0.0.1:${callback.address().port}/callback`;

let signins = 0;
const store = {};
const provider = {
  get redirectUrl() {
    return redirect;
  },
  get clientMetadata() {
    return {
      client_name: "mcp-bridge tests (TypeScript SDK)",
      redirect_uris: [redirect],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  },
  clientInformation: () => store.client,
  saveClientInformation: (c) => (store.client = c),
  tokens: () => store.tokens,
  saveTokens: (t) => (store.tokens = t),
  saveCodeVerifier: (v) => (store.verifier = v),
  codeVerifier: () => store.verifier,
  redirectToAuthorization: (authorizationUrl) => {
    signins += 1;
    spawn("python3", [path.join(here, "oidc_person.py"), authorizationUrl.href], {
      stdio: "ignore",
    });
  },
};

const client = new Client({ name: "mcp-bridge-tests-oauth", version: "1.0.0" });
try {
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
} catch (e) {
  if (!(e instanceof UnauthorizedError)) throw e;
  const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await first.finishAuth(await code);
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
}
const tools = await client.listTools();
const echo = await client.callTool({ name: "echo", arguments: { message: "signed in by the SDK" } });
await client.close();
callback.close();
clearTimeout(timer);
console.log(
  JSON.stringify({
    tools: tools.tools.map((t) => t.name),
    echo,
    signins,
    scope: store.tokens?.scope ?? null,
  }),
);
