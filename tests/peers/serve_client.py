"""The Python SDK's client, once against a stdio MCP server directly and
once against `mcp-bridge serve` in front of it, for mcp-bridge's tests: the
test compares what it printed.

Usage: python serve_client.py TARGET [MODE]
  TARGET  an http URL (serve, Streamable HTTP), `sse:` and the URL of an
          HTTP+SSE stream (serve's /sse), or `stdio:` and the server's
          command line joined by spaces (the client starts it)

  MODE    the client's mode: legacy (the default, a handshake-era client),
          auto, or 2026-07-28

A client that declares sampling and elicitation, as hosts do. Prints one JSON array of [step, outcome] pairs.
"""

import asyncio
import json
import os
import sys
from typing import Any

import mcp_types as t
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client


def dump(x: Any) -> Any:
    if hasattr(x, "model_dump"):
        return x.model_dump(mode="json", by_alias=True, exclude_none=True)
    return x


async def sampling(ctx, params) -> t.CreateMessageResult:
    return t.CreateMessageResult(
        role="assistant",
        model="test-model",
        content=t.TextContent(type="text", text="streams flow east"),
        stop_reason="endTurn",
    )


async def elicitation(ctx, params) -> t.ElicitResult:
    return t.ElicitResult(action="decline")


async def main() -> None:
    spec = sys.argv[1]
    if spec.startswith("stdio:"):
        command, *args = spec[len("stdio:") :].split(" ")
        target: Any = StdioServerParameters(command=command, args=args, env=dict(os.environ))
    elif spec.startswith("sse:"):
        target = sse_client(spec[len("sse:") :], sse_read_timeout=60)
    else:
        target = spec
    steps: list[list[Any]] = []
    progress: list[float] = []

    async def run(name: str, make) -> None:
        try:
            steps.append([name, {"result": dump(await make())}])
        except Exception as e:  # an error is an outcome too
            steps.append([name, {"error": type(e).__name__, "text": str(e)}])

    async with Client(
        target,
        mode=sys.argv[2] if len(sys.argv) > 2 else "legacy",
        cache=None,
        read_timeout_seconds=30,
        sampling_callback=sampling,
        elicitation_callback=elicitation,
    ) as c:
        steps.append(["server", {"result": dump(c.server_info)}])
        await run("tools", lambda: c.list_tools())
        await run("prompts", lambda: c.list_prompts())
        await run("resources", lambda: c.list_resources())
        await run("prompt", lambda: c.get_prompt("simple-prompt", {}))
        await run("echo", lambda: c.call_tool("echo", {"message": "through serve"}))
        await run("sum", lambda: c.call_tool("get-sum", {"a": 40, "b": 2}))

        async def on_progress(p: float, total: float | None, message: str | None) -> None:
            progress.append(p)

        await run(
            "long",
            lambda: c.call_tool(
                "trigger-long-running-operation",
                {"duration": 1, "steps": 3},
                progress_callback=on_progress,
            ),
        )
        steps.append(["progress", {"result": progress}])
        await run("sampling", lambda: c.call_tool("trigger-sampling-request", {"prompt": "a haiku"}))
        await run("elicitation", lambda: c.call_tool("trigger-elicitation-request", {}))
        await run("unknown tool", lambda: c.call_tool("no-such-tool", {}))
    print(json.dumps(steps))


asyncio.run(asyncio.wait_for(main(), 90))
