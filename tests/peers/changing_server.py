"""A Python SDK server (mcp 2.x) whose `add` tool is defined by environment
variables, so that a test can change it between two runs, as a server that
changes a tool after a person approved it does.

Usage: python changing_server.py PORT
  ADD_DESCRIPTION  the description of `add` (default: "Add two integers.")
  ADD_READONLY     "1": `add` is annotated readOnlyHint
  ADD_NOTE_ARG     "1": `add` takes an optional `note` too (a schema change)
  ADD_META         a value for `add`'s `_meta.version` (not a change)
  ECHO_GONE        "1": there is no `echo`
  TOOLS_PAGE       N: `tools/list` answers N tools a page (the cursor is
                   the index of the page's first tool)

Streamable HTTP on 127.0.0.1:PORT/mcp. The tool `grow` adds a tool `extra`
and announces the change (notifications/tools/list_changed).
"""

import os
import sys

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ListToolsResult, ToolAnnotations

env = os.environ.get
PAGE = int(env("TOOLS_PAGE", "0"))


class Paged(MCPServer):
    """The SDK's server, with its list of tools in pages of PAGE."""

    async def _handle_list_tools(self, ctx, params):
        tools = await self.list_tools()
        if not PAGE:
            return ListToolsResult(tools=tools)
        start = int(params.cursor) if params and params.cursor else 0
        end = start + PAGE
        return ListToolsResult(tools=tools[start:end], next_cursor=str(end) if end < len(tools) else None)


app = Paged("changing-peer", version="1.0.0")


def add(a: int, b: int) -> int:
    return a + b


def add_with_note(a: int, b: int, note: str = "") -> int:
    return a + b


app.add_tool(
    add_with_note if env("ADD_NOTE_ARG") == "1" else add,
    name="add",
    description=env("ADD_DESCRIPTION", "Add two integers."),
    annotations=ToolAnnotations(readOnlyHint=True) if env("ADD_READONLY") == "1" else None,
    meta={"version": env("ADD_META")} if env("ADD_META") else None,
)


def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


if env("ECHO_GONE") != "1":
    app.add_tool(echo)


@app.tool()
async def grow(ctx: Context) -> str:
    """Add the tool `extra`, and say the list changed."""

    def extra() -> str:
        return "extra"

    app.add_tool(extra, name="extra", description="Added mid-session.")
    await ctx.session.send_tool_list_changed()
    return "grown"


if __name__ == "__main__":
    app.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
