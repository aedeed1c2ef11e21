"""The Python SDK's MCP server (mcp 2.x) as an OAuth protected resource of a
real authorization server, for mcp-bridge's tests: it verifies the JWT
access tokens the authorization server issues against that server's JWKS
(signature, issuer, audience = this server, expiry) and accepts Bearer
tokens only, as the SDK does; its protected resource metadata and
challenges are the SDK's own.

Usage: python py_resource.py PORT ISSUER [plain|stepup|dpop-advertised] [stateful|stateless]

- plain:           the SDK as it is; every request needs scope mcp:tools.
- stepup:          the tool `admin_report` also needs mcp:admin, asked for
                   with a 403 insufficient_scope challenge naming the scope
                   (a thin ASGI wrapper: the SDK checks one scope set for all).
- dpop-advertised: the protected resource metadata lists DPoP algorithms
                   (a wrapper answers it), yet the SDK still takes Bearer only:
                   a misconfigured deployment.
"""

import json
import sys

import jwt
import uvicorn

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

port, issuer = int(sys.argv[1]), sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "plain"
sessions = sys.argv[4] if len(sys.argv) > 4 else "stateful"
resource = f"http://127.0.0.1:{port}/mcp"
jwks = jwt.PyJWKClient(f"{issuer}/jwks")


def claims_of(token: str) -> dict | None:
    """The token's claims when it is a JWT the issuer signed for this server."""
    try:
        key = jwks.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            key.key,
            algorithms=["RS256", "PS256", "ES256", "EdDSA"],
            audience=resource,
            issuer=issuer,
        )
    except Exception as e:  # any failure is an invalid token
        print(f"token refused: {e}", file=sys.stderr)
        return None


class JwtVerifier:
    async def verify_token(self, token: str) -> AccessToken | None:
        claims = claims_of(token)
        if claims is None:
            return None
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id", "")),
            scopes=str(claims.get("scope", "")).split(),
            expires_at=claims.get("exp"),
            resource=resource,
            subject=claims.get("sub"),
            claims=claims,
        )


app = MCPServer(
    "py-resource",
    version="1.0.0",
    token_verifier=JwtVerifier(),
    auth=AuthSettings(
        issuer_url=issuer,
        resource_server_url=resource,
        required_scopes=["mcp:tools"],
    ),
)


@app.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@app.tool()
def admin_report() -> str:
    """Needs the mcp:admin scope (in mode stepup)."""
    return "admin report"


async def send_json(send, status, body, headers=()):
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": raw})


def step_up(inner):
    """403 insufficient_scope for `admin_report` without mcp:admin."""

    async def asgi(scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await inner(scope, receive, send)
        chunks, more = [], True
        while more:
            m = await receive()
            chunks.append(m.get("body", b""))
            more = m.get("more_body", False)
        body = b"".join(chunks)
        try:
            msg = json.loads(body)
        except ValueError:
            msg = {}
        wants = isinstance(msg, dict) and msg.get("method") == "tools/call" and (
            (msg.get("params") or {}).get("name") == "admin_report"
        )
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        claims = claims_of(auth[7:]) if auth.startswith("Bearer ") else None
        if wants and claims is not None and "mcp:admin" not in str(claims.get("scope", "")).split():
            metadata = f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp"
            challenge = (
                f'Bearer error="insufficient_scope", scope="mcp:tools mcp:admin", '
                f'resource_metadata="{metadata}"'
            )
            return await send_json(
                send,
                403,
                {"error": "insufficient_scope"},
                [(b"www-authenticate", challenge.encode())],
            )
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await inner(scope, replay, send)

    return asgi


def dpop_advertised(inner):
    """Protected resource metadata that lists DPoP algorithms."""

    async def asgi(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/.well-known/oauth-protected-resource/mcp":
            return await send_json(
                send,
                200,
                {
                    "resource": resource,
                    "authorization_servers": [issuer],
                    "scopes_supported": ["mcp:tools"],
                    "bearer_methods_supported": ["header"],
                    "dpop_signing_alg_values_supported": ["ES256"],
                },
            )
        await inner(scope, receive, send)

    return asgi


if __name__ == "__main__":
    starlette = app.streamable_http_app(
        host="127.0.0.1", stateless_http=sessions == "stateless", json_response=sessions == "stateless"
    )
    wrapped = {"stepup": step_up, "dpop-advertised": dpop_advertised}.get(mode, lambda a: a)(starlette)
    uvicorn.run(wrapped, host="127.0.0.1", port=port, log_level="warning")
