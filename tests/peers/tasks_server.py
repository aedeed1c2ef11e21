"""An MCP server on FastMCP 4 with fastmcp-tasks (the Tasks extension of
SEP-2663) and an MCP App (SEP-1865), for mcp-bridge's extension tests. It
speaks both eras on one URL, as FastMCP does: the initialize handshake, and
2026-07-28, where Tasks exist.

Usage: python tasks_server.py PORT
"""
import asyncio
import sys

from fastmcp import FastMCP
from fastmcp.utilities.tasks import TaskConfig
from fastmcp_tasks import TasksExtension

mcp = FastMCP("tasks-apps-peer", version="1.0.0")
mcp.add_extension(TasksExtension())

CARD = "ui://card/app.html"
CSP = {"ui": {"csp": {"connectDomains": ["https://api.example.com"], "resourceDomains": ["https://cdn.example.com"]}}}


@mcp.tool(meta={"ui": {"resourceUri": CARD}, "com.example/owner": "peer"})
def show_card(title: str) -> dict:
    """Show a card in the App."""
    return {"title": title, "n": 123456789012345678, "ratio": 1.10}


@mcp.resource(CARD, mime_type="text/html;profile=mcp-app", meta=CSP)
def card_html() -> str:
    return "<!doctype html><html><body><h1>card</h1>" + ("<p>x</p>" * 2000) + "</body></html>"


@mcp.tool(task=True)
async def double(n: int) -> int:
    """Double n; may run as a task."""
    await asyncio.sleep(0.2)
    return n * 2


@mcp.tool(task=TaskConfig(mode="required"))
async def must_task(n: int) -> int:
    """Add one; only runs as a task."""
    await asyncio.sleep(0.2)
    return n + 1


@mcp.tool(task=TaskConfig(mode="required"))
async def sleepy(seconds: float) -> str:
    """Sleep; only runs as a task (to be cancelled)."""
    await asyncio.sleep(seconds)
    return "woke"


if __name__ == "__main__":
    mcp.run(transport="http", host="127.0.0.1", port=int(sys.argv[1]), show_banner=False)
