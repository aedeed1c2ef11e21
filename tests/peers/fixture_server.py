"""The thinnest MCP server the conformance suite's server scenarios can run
against: the tools, resources and prompts its handshake-era scenarios call,
by the names and with the answers the suite checks, written on the Python
SDK (tests/peers/requirements.txt).

    fixture_server.py              speak stdio (what `mcp-bridge serve` runs)
    fixture_server.py --http PORT  serve itself over the SDK's own Streamable
                                   HTTP transport, on 127.0.0.1: the baseline

The same code behind both, so that a scenario that passes one way and fails
the other is the transport's doing.
"""

import argparse
import asyncio
import base64
import json
import sys
from typing import Annotated, Any

from mcp.server import ServerRequestContext
from mcp.server.lowlevel.server import NotificationOptions
from mcp.shared.exceptions import MCPError
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.prompts.base import UserMessage
from mcp.server.streamable_http import EventStore, EventMessage
from mcp.types import (
    AudioContent,
    Completion,
    EmbeddedResource,
    EmptyResult,
    ImageContent,
    SamplingMessage,
    SetLevelRequestParams,
    SubscribeRequestParams,
    TextContent,
    TextResourceContents,
    UnsubscribeRequestParams,
)
from pydantic import BaseModel, Field

# A 1x1 PNG and a tiny WAV: the suite checks that bytes come back as sent.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
WAV = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="

server = MCPServer(name="mcp-bridge-conformance-fixture", version="1.0.0")


def text_resource(uri: str, text: str, mime: str = "text/plain") -> EmbeddedResource:
    return EmbeddedResource(
        type="resource", resource=TextResourceContents(uri=uri, mime_type=mime, text=text)
    )


@server.tool()
def test_simple_text() -> str:
    """Answers with one text item."""
    return "This is a simple text response for testing."


@server.tool()
def test_image_content() -> list[ImageContent]:
    """Answers with one image."""
    return [ImageContent(type="image", data=PNG, mime_type="image/png")]


@server.tool()
def test_audio_content() -> list[AudioContent]:
    """Answers with one audio clip."""
    return [AudioContent(type="audio", data=WAV, mime_type="audio/wav")]


@server.tool()
def test_embedded_resource() -> list[EmbeddedResource]:
    """Answers with an embedded resource."""
    return [text_resource("test://embedded-resource", "This is an embedded resource content.")]


@server.tool()
def test_multiple_content_types() -> list[TextContent | ImageContent | EmbeddedResource]:
    """Answers with text, an image and a resource."""
    return [
        TextContent(type="text", text="Multiple content types test:"),
        ImageContent(type="image", data=PNG, mime_type="image/png"),
        text_resource(
            "test://mixed-content-resource", '{"test": "data", "value": 123}', "application/json"
        ),
    ]


@server.tool()
async def test_tool_with_logging(ctx: Context) -> str:
    """Logs three messages while it runs."""
    for words in ["Tool execution started", "Tool processing data", "Tool execution completed"]:
        await ctx.info(words)
        await asyncio.sleep(0.05)
    return "Tool with logging executed successfully"


@server.tool()
async def test_tool_with_progress(ctx: Context) -> str:
    """Reports progress at 0, 50 and 100 of 100; answers its progress token."""
    for step in [0, 50, 100]:
        await ctx.report_progress(progress=step, total=100, message=f"Completed step {step} of 100")
        await asyncio.sleep(0.05)
    meta = ctx.request_context.meta if ctx.request_context else None
    return str(meta.get("progress_token") if meta else 0)


@server.tool()
def test_error_handling() -> str:
    """Fails, as a tool error."""
    raise RuntimeError("This tool intentionally returns an error for testing")


@server.tool()
async def test_sampling(prompt: str, ctx: Context) -> str:
    """Asks the client's model, on this request's stream."""
    try:
        result = await ctx.session.create_message(
            messages=[SamplingMessage(role="user", content=TextContent(type="text", text=prompt))],
            max_tokens=100,
            related_request_id=ctx.request_id,
        )
    except Exception as e:  # the scenario reads the words
        return f"Sampling not supported or error: {e}"
    said = result.content.text if result.content.type == "text" else "No response"
    return f"LLM response: {said}"


@server.tool()
async def test_missing_capability(ctx: Context) -> str:
    """Needs sampling, and says so (-32021) to a client that did not declare it."""
    caps = ctx.client_capabilities
    if caps is None or caps.sampling is None:
        raise MCPError(
            code=-32021,
            message="this tool needs the sampling capability",
            data={"requiredCapabilities": {"sampling": {}}},
        )
    return "the client takes sampling"


@server.tool()
async def test_trigger_tool_change(ctx: Context) -> str:
    """Adds a tool, and says the tool list changed."""
    n = len(server._tool_manager._tools)
    server.add_tool(lambda: "added", name=f"test_added_tool_{n}", description="Added by a change.")
    await ctx.session.send_tool_list_changed()
    return f"added test_added_tool_{n}"


@server.tool()
async def test_trigger_prompt_change(ctx: Context) -> str:
    """Says the prompt list changed."""
    await ctx.session.send_prompt_list_changed()
    return "prompts changed"


@server.tool()
async def test_trigger_resource_update(uri: str, ctx: Context) -> str:
    """Says the resource `uri` was updated."""
    await ctx.session.send_resource_updated(uri)
    return f"updated {uri}"


class Answer(BaseModel):
    response: str = Field(description="User's response")


class Defaults(BaseModel):
    """SEP-1034: a default for every primitive type."""

    name: str = Field(default="John Doe", description="User name")
    age: int = Field(default=30, description="User age")
    score: float = Field(default=95.5, description="User score")
    status: str = Field(
        default="active",
        description="User status",
        json_schema_extra={"enum": ["active", "inactive", "pending"]},
    )
    verified: bool = Field(default=True, description="Verification status")


def titled(options: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"const": value, "title": title} for value, title in options]


class Enums(BaseModel):
    """SEP-1330: the five ways an elicitation schema spells a choice."""

    untitledSingle: str = Field(
        description="Simple enum without titles",
        json_schema_extra={"enum": ["active", "inactive", "pending"]},
    )
    titledSingle: str = Field(
        description="Enum with titled options (oneOf)",
        json_schema_extra={
            "oneOf": titled([("low", "Low Priority"), ("medium", "Medium Priority"), ("high", "High Priority")])
        },
    )
    untitledMulti: list[str] = Field(
        description="Multi-select without titles",
        json_schema_extra={"items": {"type": "string", "enum": ["read", "write", "execute"]}},
    )
    titledMulti: list[str] = Field(
        description="Multi-select with titled options",
        json_schema_extra={
            "items": {"anyOf": titled([("feature", "New Feature"), ("bug", "Bug Fix"), ("docs", "Documentation")])}
        },
    )
    legacyEnum: str = Field(
        description="Legacy enum with enumNames",
        json_schema_extra={
            "enum": ["small", "medium", "large"],
            "enumNames": ["Small Size", "Medium Size", "Large Size"],
        },
    )


async def ask(ctx: Context, message: str, schema: type[BaseModel], said: str) -> str:
    try:
        result = await ctx.elicit(message=message, schema=schema)
    except Exception as e:
        return f"Elicitation not supported or error: {e}"
    content = result.data.model_dump_json() if result.action == "accept" else "{}"
    return f"{said}: action={result.action}, content={content}"


@server.tool()
async def test_elicitation(message: str, ctx: Context) -> str:
    """Asks the user, with a one-field form."""
    return await ask(ctx, message, Answer, "User response")


@server.tool()
async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    """Asks the user, with a default for every field."""
    return await ask(ctx, "Please provide user information", Defaults, "Elicitation result")


@server.tool()
async def test_elicitation_sep1330_enums(ctx: Context) -> str:
    """Asks the user to choose, in every enum form."""
    return await ask(
        ctx, "Please select values using different enum schema types", Enums, "Elicitation completed"
    )


@server.tool()
async def test_reconnection(ctx: Context) -> str:
    """SEP-1699: closes its reply stream mid-call (where the transport can)."""
    await ctx.info("Before disconnect")
    await ctx.close_sse_stream()
    await asyncio.sleep(0.2)
    await ctx.info("After reconnect")
    return "Reconnection test completed"


@server.tool()
async def asks_two_at_once(ctx: Context) -> str:
    """Asks the user and the model at the same time (mcp-bridge's own test
    of a server's questions gathered into one round)."""
    answer, said = await asyncio.gather(
        ctx.elicit(message="Your name?", schema=Answer),
        ctx.session.create_message(
            messages=[SamplingMessage(role="user", content=TextContent(type="text", text="Hi?"))],
            max_tokens=10,
            related_request_id=ctx.request_id,
        ),
    )
    text = said.content.text if said.content.type == "text" else "?"
    return f"user: {answer.action}; model: {text}"


@server.tool()
def test_header_routed(
    region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})],
) -> str:
    """Mirrors its region into an Mcp-Param-Region header (2026-07-28)."""
    return f"region: {region}"


@server.tool(name="json_schema_2020_12_tool")
def json_schema_2020_12_tool() -> str:
    """Lists JSON Schema 2020-12 keywords in its input schema."""
    return "json_schema_2020_12_tool"


# The suite checks that these keywords reach tools/list as written.
server._tool_manager._tools["json_schema_2020_12_tool"].parameters = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


@server.resource("test://static-text")
def static_text() -> str:
    """Static text."""
    return "This is the content of the static text resource."


@server.resource("test://static-binary")
def static_binary() -> bytes:
    """Static bytes (the PNG)."""
    return base64.b64decode(PNG)


@server.resource("test://template/{id}/data")
def template(id: str) -> str:
    """A template with one parameter."""
    return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


@server.resource("test://watched-resource")
def watched() -> str:
    """A resource to subscribe to."""
    return "Watched resource content"


def user(content: Any) -> UserMessage:
    return UserMessage(role="user", content=content)


@server.prompt()
def test_simple_prompt() -> list[UserMessage]:
    """No arguments."""
    return [user(TextContent(type="text", text="This is a simple prompt for testing."))]


@server.prompt()
def test_prompt_with_arguments(arg1: str, arg2: str) -> list[UserMessage]:
    """Two required arguments."""
    return [user(TextContent(type="text", text=f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"))]


@server.prompt()
def test_prompt_with_embedded_resource(resourceUri: str) -> list[UserMessage]:
    """An embedded resource, then text."""
    return [
        user(text_resource(resourceUri, "Embedded resource content for testing.")),
        user(TextContent(type="text", text="Please process the embedded resource above.")),
    ]


@server.prompt()
def test_prompt_with_image() -> list[UserMessage]:
    """An image, then text."""
    return [
        user(ImageContent(type="image", data=PNG, mime_type="image/png")),
        user(TextContent(type="text", text="Please analyze the image above.")),
    ]


def accepting(method: str):
    """A handler that accepts `method`, and says so on stderr for a
    subscription (tests read it in serve's log)."""

    async def accepted(ctx: ServerRequestContext, params: Any) -> EmptyResult:
        if method.startswith("resources/"):
            print(f"fixture: {method} {params.uri}", file=sys.stderr, flush=True)
        return EmptyResult()

    return accepted


for method, params in [
    ("logging/setLevel", SetLevelRequestParams),
    ("resources/subscribe", SubscribeRequestParams),
    ("resources/unsubscribe", UnsubscribeRequestParams),
]:
    server._lowlevel_server.add_request_handler(method, params, accepting(method))


@server.completion()
async def complete(ref: Any, argument: Any, context: Any) -> Completion:
    return Completion(values=[], total=0, has_more=False)


class Remembered(EventStore):
    """Every event, for Last-Event-ID (the baseline's resumability)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    async def store_event(self, stream_id, message):
        self.events.append((stream_id, message))
        return str(len(self.events))

    async def replay_events_after(self, last_event_id, send_callback):
        after = int(last_event_id) if last_event_id.isdigit() else 0
        if not 0 < after <= len(self.events):
            return None
        stream = self.events[after - 1][0]
        for n, (s, message) in enumerate(self.events[after:], start=after + 1):
            if s == stream and message is not None:
                await send_callback(EventMessage(message, str(n)))
        return stream


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, metavar="PORT")
    args = parser.parse_args()
    if args.http is None:
        # Over stdio the handshake era declares what the server says of its
        # lists on its own (serve relays it to listen streams).
        low = server._lowlevel_server
        options = low.create_initialization_options
        changes = NotificationOptions(prompts_changed=True, resources_changed=True, tools_changed=True)
        low.create_initialization_options = lambda *a, **k: options(changes, *a, **k)
        server.run()
    else:
        server.run(
            transport="streamable-http",
            host="127.0.0.1",
            port=args.http,
            event_store=Remembered(),
            retry_interval=100,
        )


if __name__ == "__main__":
    main()
