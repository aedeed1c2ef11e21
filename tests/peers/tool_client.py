"""The Python SDK's client, for mcp-bridge's tests: lists the tools of the
server at URL and calls one.

Usage: python tool_client.py URL TOOL ARGUMENTS_JSON [MODE]
  MODE  legacy (the default, a handshake-era client), auto, or 2026-07-28

Prints one JSON object: {"tools": [names], "result": the call's result}.
"""

import asyncio
import json
import sys

from mcp import Client


async def main() -> None:
    url, tool, arguments = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "legacy"
    async with Client(url, mode=mode, cache=None, read_timeout_seconds=30) as c:
        tools = await c.list_tools()
        result = await c.call_tool(tool, arguments)
    print(
        json.dumps(
            {
                "tools": [t.name for t in tools.tools],
                "result": result.model_dump(mode="json", by_alias=True, exclude_none=True),
            }
        )
    )


asyncio.run(asyncio.wait_for(main(), 60))
