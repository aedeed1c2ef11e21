"""A small MCP server on the Python SDK (mcp 2.x), for mcp-bridge's interop tests.

Usage: python py_server.py PORT [stateful|stateless-json|sse|modern-only]

- stateful:       Streamable HTTP with sessions; serves both protocol eras
                  (the SDK routes by the MCP-Protocol-Version header).
- stateless-json: Streamable HTTP, no sessions, JSON answers.
- sse:            the 2024-11-05 HTTP+SSE transport (GET /sse, POST /messages/).
- modern-only:    Streamable HTTP that serves only revision 2026-07-28: the
                  SDK has no switch for this, so a thin ASGI wrapper refuses
                  every request that does not carry a 2026-07-28
                  MCP-Protocol-Version header, as a modern-only server does.
"""

import json
import sys
from typing import Annotated

import uvicorn
from pydantic import BaseModel, Field

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resolve import Elicit, Resolve

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
def locate(
    region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})],
    query: str,
) -> str:
    """Answer from a region; the region travels in the Mcp-Param-Region header."""
    return f"{region}|{query}"


@app.tool()
async def count(steps: int, ctx: Context) -> str:
    """Report progress `steps` times, then finish."""
    for i in range(1, steps + 1):
        await ctx.report_progress(i, steps)
    return f"counted {steps}"


@app.tool()
async def touch(ctx: Context) -> str:
    """Announce that the tool list changed."""
    await ctx.notify_tools_changed()
    return "touched"


class Name(BaseModel):
    name: str


def ask_name() -> Elicit[Name]:
    return Elicit("What is your name?", Name)


@app.tool()
def greet(who: Annotated[Name, Resolve(ask_name)]) -> str:
    """Ask the user's name (elicitation), then greet them."""
    return f"Hello, {who.name}!"


@app.resource("peer://greeting")
def greeting() -> str:
    """A fixed text resource."""
    return "hello from python"


@app.prompt()
def review(code: str) -> str:
    """Ask for a code review."""
    return f"Please review:\n{code}"


def modern_only(inner):
    """Refuse (400, -32022) any request not marked as revision 2026-07-28."""

    async def asgi(scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            version = headers.get(b"mcp-protocol-version", b"").decode("latin-1")
            if version != "2026-07-28":
                body = json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": None,
                        "error": {
                            "code": -32022,
                            "message": "Unsupported protocol version",
                            "data": {"supported": ["2026-07-28"], "requested": version or None},
                        },
                    }
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await inner(scope, receive, send)

    return asgi


if __name__ == "__main__":
    port = int(sys.argv[1])
    mode = sys.argv[2] if len(sys.argv) > 2 else "stateful"
    if mode == "sse":
        app.run("sse", host="127.0.0.1", port=port)
    elif mode == "modern-only":
        starlette = app.streamable_http_app(host="127.0.0.1")
        uvicorn.run(modern_only(starlette), host="127.0.0.1", port=port, log_level="warning")
    else:
        stateless = mode == "stateless-json"
        app.run(
            "streamable-http",
            host="127.0.0.1",
            port=port,
            json_response=stateless,
            stateless_http=stateless,
        )
