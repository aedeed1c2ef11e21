"""The Python SDK's 2026-07-28 client listening (`subscriptions/listen`) on
`mcp-bridge serve` in front of tests/peers/fixture_server.py, for
mcp-bridge's tests.

Usage: python listen_client.py URL

It listens for tool list changes and for updates of one resource, makes the
server change its tools, update that resource, update another resource and
change its prompts (neither asked for), then change its tools once more; it
prints one JSON object: what the server honoured, the events in the order
they came, and whether the added tool is listed afterwards.
"""

import asyncio
import json
import sys

from mcp import Client

WATCHED = "test://watched-resource"


async def main() -> None:
    out: dict = {"events": []}
    async with Client(sys.argv[1], mode="2026-07-28", cache=None, read_timeout_seconds=30) as c:
        async with c.listen(tools_list_changed=True, resource_subscriptions=[WATCHED]) as sub:
            honored = sub.honored
            out["honored"] = honored.model_dump(mode="json", by_alias=True, exclude_none=True)
            events = aiter(sub)

            async def next_event() -> None:
                event = await asyncio.wait_for(anext(events), 10)
                out["events"].append([type(event).__name__, getattr(event, "uri", None)])

            await c.call_tool("test_trigger_tool_change", {})
            await next_event()
            await c.call_tool("test_trigger_resource_update", {"uri": WATCHED})
            await next_event()
            await c.call_tool("test_trigger_resource_update", {"uri": "test://not-watched"})
            await c.call_tool("test_trigger_prompt_change", {})
            await c.call_tool("test_trigger_tool_change", {})
            await next_event()
        tools = await c.list_tools()
        out["added"] = sorted(t.name for t in tools.tools if t.name.startswith("test_added_tool"))
    print(json.dumps(out))


asyncio.run(main())
