"""A real SDK client that runs one scenario of the MCP extensions (Apps,
SEP-1865; Tasks, SEP-2663) against a server, for mcp-bridge's tests: once
directly and once through the bridge, the test compares what it printed.

Usage: python ext_client.py SCENARIO MODE TARGET
  SCENARIO  apps-map | apps-budget | fastmcp | tasks
  MODE      legacy (a 2025-11-25 client: initialize) or auto (2026-07-28
            first, as the SDK's dual-era client)
  TARGET    an http URL (the server directly), or `bridge:` followed by the
            bridge's command line joined by spaces (the client starts it)

The client is the Python SDK's (`mcp` 2.x); the Tasks lifecycle uses
fastmcp-tasks' client half on it. It declares the Apps extension and, like
the hosts that support them, the Tasks extension too, in whichever era it
speaks. Prints one JSON array of [step, outcome] pairs, where an outcome is
{"result": ...} or {"error": {"code", "message", "data"}}. Values that differ
on every run (task ids, timestamps, an App's view id) are replaced by
placeholders.
"""

import asyncio
import json
import os
import sys
from typing import Any

from mcp import Client, StdioServerParameters
from mcp.client import advertise
from mcp.shared.exceptions import MCPError

APPS = advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})
TASKS_ID = "io.modelcontextprotocol/tasks"
VARYING = {"taskId", "createdAt", "lastUpdatedAt", "viewUUID"}


def normalized(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: ("<varies>" if k in VARYING else normalized(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [normalized(x) for x in v]
    return v


def dump(x: Any) -> Any:
    if hasattr(x, "model_dump"):
        x = x.model_dump(mode="json", by_alias=True, exclude_none=True)
    return normalized(x)


class Steps:
    def __init__(self) -> None:
        self.out: list[list[Any]] = []

    async def run(self, name: str, make) -> Any:
        try:
            value = await make()
        except MCPError as e:
            err = e.error
            self.out.append([name, {"error": {"code": err.code, "message": err.message, "data": err.data}}])
            return None
        except Exception as e:  # an SDK-side refusal is an outcome too
            self.out.append([name, {"sdk-error": type(e).__name__}])
            return None
        self.out.append([name, {"result": dump(value)}])
        return value


def target(spec: str) -> Any:
    if spec.startswith("bridge:"):
        command, *args = spec[len("bridge:") :].split(" ")
        # The bridge gets this process's environment (its data directory),
        # not the SDK's short list of safe variables.
        return StdioServerParameters(command=command, args=args, env=dict(os.environ))
    return spec


def client(spec: str, mode: str, extensions: list) -> Client:
    return Client(target(spec), mode=mode, extensions=extensions, cache=None, read_timeout_seconds=30)


async def apps(
    steps: Steps, spec: str, mode: str, ui: str, calls: list[tuple[str, dict]], extensions: list
) -> None:
    async with client(spec, mode, extensions) as c:
        steps.out.append(["server", {"result": dump(c.server_info)}])
        await steps.run("tools/list", c.list_tools)
        await steps.run("resources/list", c.list_resources)
        await steps.run(f"resources/read {ui}", lambda: c.read_resource(ui))
        for name, args in calls:
            await steps.run(f"tools/call {name}", lambda: c.call_tool(name, args))


async def fastmcp(steps: Steps, spec: str, mode: str) -> None:
    """The fastmcp-tasks server's App and tools as a host sees them that
    declares Apps and Tasks, whatever its era (a 2025-11-25 one declares
    Tasks in initialize, where they are not defined: it must get what a
    client that declared nothing gets); then with the client half of
    Tasks, which drives a task to its result under 2026-07-28; then
    without Tasks, where a tool that only runs as a task is refused with
    -32021 and what to declare."""
    from fastmcp_tasks.client import TasksClientExtension

    await apps(
        steps,
        spec,
        mode,
        "ui://card/app.html",
        [
            ("show_card", {"title": "t"}),
            ("double", {"n": 21}),
            ("must_task", {"n": 1}),
        ],
        [APPS, advertise(TASKS_ID, {})],
    )
    async with client(spec, mode, [APPS, TasksClientExtension()]) as c:
        await steps.run("resolved double", lambda: c.call_tool("double", {"n": 21}))
        await steps.run("resolved must_task", lambda: c.call_tool("must_task", {"n": 1}))
        await steps.run("resources/read unknown", lambda: c.read_resource("ui://card/none.html"))
    async with client(spec, mode, [APPS]) as c:
        await steps.run("must_task without tasks", lambda: c.call_tool("must_task", {"n": 1}))


async def tasks(steps: Steps, spec: str, mode: str) -> None:
    """The Tasks lifecycle of SEP-2663, driven by fastmcp-tasks' client
    half: create, poll, result, cancel, and an unknown task id."""
    from fastmcp import Client as FastMCPClient
    from fastmcp.client.transports import StdioTransport
    from fastmcp_tasks.client import _send_get, call_tool_task

    if spec.startswith("bridge:"):
        command, *args = spec[len("bridge:") :].split(" ")
        transport: Any = StdioTransport(command=command, args=args, env=dict(os.environ))
    else:
        transport = spec
    async with FastMCPClient(transport) as c:
        task = await call_tool_task(c, "double", {"n": 21})
        steps.out.append(["create", {"result": dump(task.create_result)}])
        await steps.run("poll", task.status)
        final = await steps.run("wait", task.wait)
        steps.out.append(["completed", {"result": final is not None and final.status == "completed"}])
        await steps.run("result", lambda: _data(task.result()))
        sleeper = await call_tool_task(c, "sleepy", {"seconds": 30})
        await steps.run("cancel", sleeper.cancel)
        await steps.run("after cancel", lambda: sleeper.wait(timeout=20))
        await steps.run("unknown id", lambda: _send_get(c.session, "no-such-task"))


async def _data(pending) -> Any:
    result = await pending
    return {"data": result.data, "content": [dump(x) for x in result.content]}


async def main() -> None:
    scenario, mode, spec = sys.argv[1:4]
    steps = Steps()
    if scenario == "apps-map":
        await apps(
            steps,
            spec,
            mode,
            "ui://cesium-map/mcp-app.html",
            [("show-map", {"west": 2.2, "south": 48.8, "east": 2.5, "north": 48.9, "label": "Paris"})],
            [APPS, advertise(TASKS_ID, {})],
        )
    elif scenario == "apps-budget":
        await apps(
            steps,
            spec,
            mode,
            "ui://budget-allocator/mcp-app.html",
            [("get-budget-data", {})],
            [APPS, advertise(TASKS_ID, {})],
        )
    elif scenario == "fastmcp":
        await fastmcp(steps, spec, mode)
    elif scenario == "tasks":
        await tasks(steps, spec, mode)
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    print(json.dumps(steps.out))


asyncio.run(asyncio.wait_for(main(), 120))
