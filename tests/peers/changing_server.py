"""A Python SDK server (mcp 2.x) whose `add` tool is defined by environment
variables, so that a test can change it between two runs, as a server that
changes a tool after a person approved it does.

Usage: python changing_server.py PORT
  ADD_DESCRIPTION  the description of `add` (default: "Add two integers.")
  ADD_READONLY     "1": `add` is annotated readOnlyHint
  ADD_NOTE_ARG     "1": `add` takes an optional `note` too (a schema change)
  ADD_META         a value for `add`'s `_meta.version` (not a change)

Streamable HTTP on 127.0.0.1:PORT/mcp. The tool `grow` adds a tool `extra`
and announces the change (notifications/tools/list_changed).
"""

import os
import sys

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations

app = MCPServer("changing-peer", version="1.0.0")
env = os.environ.get


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


@app.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


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
