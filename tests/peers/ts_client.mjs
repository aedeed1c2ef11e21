// The TypeScript SDK's client (tests/peers/package.json), once against a
// stdio MCP server directly and once against `mcp-bridge serve` in front of
// it, for mcp-bridge's tests: the test compares what it printed.
//
// Usage: node ts_client.mjs TARGET
//   TARGET  `http:` and a Streamable HTTP URL, `sse:` and the URL of an
//           HTTP+SSE stream, or `stdio:` and a command line joined by
//           spaces (the client starts it; mcp-remote in front of serve is
//           one).
//
// A client that declares sampling and elicitation, as hosts do. Prints one
// JSON array of [step, outcome] pairs.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const spec = process.argv[2];
const [kind, ...rest] = spec.split(":");
const target = rest.join(":");
let transport;
if (kind === "http") {
  transport = new StreamableHTTPClientTransport(new URL(target));
} else if (kind === "sse") {
  transport = new SSEClientTransport(new URL(target));
} else {
  const [command, ...args] = target.split(" ");
  transport = new StdioClientTransport({ command, args, env: process.env, stderr: "ignore" });
}

const client = new Client(
  { name: "mcp-bridge-tests", version: "1.0.0" },
  { capabilities: { sampling: {}, elicitation: {} } },
);
client.setRequestHandler(CreateMessageRequestSchema, async () => ({
  role: "assistant",
  model: "test-model",
  content: { type: "text", text: "streams flow east" },
  stopReason: "endTurn",
}));
client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "decline" }));

const steps = [];
async function run(name, make) {
  try {
    steps.push([name, { result: await make() }]);
  } catch (e) {
    steps.push([name, { error: e.constructor.name, code: e.code ?? null, text: String(e.message) }]);
  }
}

const timer = setTimeout(() => {
  console.log(JSON.stringify([...steps, ["timeout", {}]]));
  process.exit(3);
}, 90_000);

await client.connect(transport);
steps.push(["server", { result: client.getServerVersion() }]);
await run("tools", () => client.listTools());
await run("prompts", () => client.listPrompts());
await run("resources", () => client.listResources());
await run("prompt", () => client.getPrompt({ name: "simple-prompt", arguments: {} }));
await run("echo", () => client.callTool({ name: "echo", arguments: { message: "through serve" } }));
await run("sum", () => client.callTool({ name: "get-sum", arguments: { a: 40, b: 2 } }));
const progress = [];
await run("long", () =>
  client.callTool(
    { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 3 } },
    undefined,
    { onprogress: (p) => progress.push(p.progress) },
  ),
);
steps.push(["progress", { result: progress }]);
await run("sampling", () =>
  client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "a haiku" } }),
);
await run("elicitation", () =>
  client.callTool({ name: "trigger-elicitation-request", arguments: {} }),
);
await run("unknown tool", () => client.callTool({ name: "no-such-tool", arguments: {} }));
await client.close();
clearTimeout(timer);
console.log(JSON.stringify(steps));
process.exit(0);
