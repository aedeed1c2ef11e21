"""The Python SDK's own stdio client, in its automatic era mode, with
mcp-bridge as its server: used by mcp-bridge's interop tests.

Usage: python py_client.py BRIDGE URL TOOL JSON_ARGS [BRIDGE_ARGS...]
Prints one JSON line: the negotiated protocol version and the tool's text.
With TOOL "-" it only connects, and prints how long that took and the
error the client saw, if any.
"""

import asyncio
import json
import sys
import time

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters


async def main() -> None:
    bridge, url, tool, args = sys.argv[1:5]
    params = StdioServerParameters(command=bridge, args=[url, *sys.argv[5:]])
    if tool == "-":
        start = time.monotonic()
        error = None
        try:
            async with Client(params, mode="auto"):
                pass
        except BaseException as e:  # the SDK may wrap it in a group
            while isinstance(e, BaseExceptionGroup) and e.exceptions:
                e = e.exceptions[0]
            error = str(e)
        print(json.dumps({"seconds": time.monotonic() - start, "error": error}))
        return
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
