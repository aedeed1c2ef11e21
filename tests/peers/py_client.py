"""The Python SDK's own stdio client, in its automatic era mode, with
mcp-bridge as its server: used by mcp-bridge's interop tests.

Usage: python py_client.py BRIDGE URL TOOL JSON_ARGS [BRIDGE_ARGS...]
Prints one JSON line: the negotiated protocol version and the tool's text.
"""

import asyncio
import json
import sys

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters


async def main() -> None:
    bridge, url, tool, args = sys.argv[1:5]
    params = StdioServerParameters(command=bridge, args=[url, *sys.argv[5:]])
    async with Client(params, mode="auto") as client:
        result = await client.call_tool(tool, json.loads(args))
        texts = [c.text for c in result.content if getattr(c, "type", "") == "text"]
        print(
            json.dumps(
                {
                    "protocolVersion": client.session.protocol_version,
                    "text": "\n".join(texts),
                    "isError": bool(result.is_error),
                }
            )
        )


asyncio.run(asyncio.wait_for(main(), 60))
