"""A small MCP server on the Python SDK (mcp 2.x), for mcp-bridge's interop tests.

Usage: python py_server.py PORT [stateful|stateless-json]
"""

import sys

from mcp.server.mcpserver import Context, MCPServer

app = MCPServer("py-peer", version="1.0.0")


@app.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@app.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@app.tool()
async def count(steps: int, ctx: Context) -> str:
    """Report progress `steps` times, then finish."""
    for i in range(1, steps + 1):
        await ctx.report_progress(i, steps)
    return f"counted {steps}"


@app.resource("peer://greeting")
def greeting() -> str:
    """A fixed text resource."""
    return "hello from python"


@app.prompt()
def review(code: str) -> str:
    """Ask for a code review."""
    return f"Please review:\n{code}"


if __name__ == "__main__":
    port = int(sys.argv[1])
    mode = sys.argv[2] if len(sys.argv) > 2 else "stateful"
    stateless = mode == "stateless-json"
    app.run(
        "streamable-http",
        host="127.0.0.1",
        port=port,
        json_response=stateless,
        stateless_http=stateless,
    )
