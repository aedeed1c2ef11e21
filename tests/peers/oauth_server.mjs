// An MCP server behind OAuth, built from the TypeScript SDK's own parts (its
// authorization router, token handler, PKCE checks, registration and bearer
// middleware, and the demo provider), with the two things the SDK's example
// lacks: refresh tokens (rotating, each usable once) and a short access
// token lifetime. GET /stats on the authorization server counts what the
// client did, for the tests.
//
// Usage: node oauth_server.mjs MCP_PORT AUTH_PORT TOKEN_SECONDS
import { randomUUID } from 'node:crypto';
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { mcpAuthRouter, mcpAuthMetadataRouter, getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidGrantError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { DemoInMemoryAuthProvider } from '@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js';

const [mcpPort, authPort, ttlArg] = process.argv.slice(2);
const ttl = Number(ttlArg || 3600);
const stats = { authorizations: 0, codeExchanges: 0, refreshes: 0, refreshReuse: 0, registrations: 0 };

class RefreshingProvider extends DemoInMemoryAuthProvider {
  constructor() {
    super(undefined);
    this.refreshTokens = new Map();
  }
  async authorize(client, params, res) {
    stats.authorizations++;
    return super.authorize(client, params, res);
  }
  issue(clientId, scopes, resource) {
    const token = randomUUID();
    this.tokens.set(token, { token, clientId, scopes, expiresAt: Date.now() + ttl * 1000, resource, type: 'access' });
    const refresh = randomUUID();
    this.refreshTokens.set(refresh, { clientId, scopes, resource, used: false });
    return { access_token: token, token_type: 'bearer', expires_in: ttl, refresh_token: refresh, scope: scopes.join(' ') };
  }
  async exchangeAuthorizationCode(client, code, verifier, redirectUri, resource) {
    stats.codeExchanges++;
    const issued = await super.exchangeAuthorizationCode(client, code, verifier, redirectUri, resource);
    const data = this.tokens.get(issued.access_token);
    this.tokens.delete(issued.access_token);
    return this.issue(client.client_id, data.scopes, data.resource);
  }
  async exchangeRefreshToken(client, refreshToken) {
    const data = this.refreshTokens.get(refreshToken);
    if (!data || data.clientId !== client.client_id) throw new InvalidGrantError('unknown refresh token');
    if (data.used) {
      stats.refreshReuse++;
      throw new InvalidGrantError('refresh token already used');
    }
    data.used = true;
    stats.refreshes++;
    return this.issue(client.client_id, data.scopes, data.resource);
  }
}

const provider = new RefreshingProvider();
const registered = provider.clientsStore.registerClient.bind(provider.clientsStore);
provider.clientsStore.registerClient = async (c) => { stats.registrations++; return registered(c); };

const authUrl = new URL(`http://localhost:${authPort}`);
const mcpUrl = new URL(`http://localhost:${mcpPort}/mcp`);
const authApp = express();
authApp.use(express.json());
authApp.get('/stats', (_req, res) => res.json(stats));
authApp.use(mcpAuthRouter({ provider, issuerUrl: authUrl, scopesSupported: ['mcp:tools'] }));
authApp.listen(Number(authPort), '127.0.0.1');

const app = express();
app.use(express.json());
app.use(mcpAuthMetadataRouter({
  oauthMetadata: { issuer: authUrl.href, authorization_endpoint: new URL('/authorize', authUrl).href, token_endpoint: new URL('/token', authUrl).href, registration_endpoint: new URL('/register', authUrl).href, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'], scopes_supported: ['mcp:tools'] },
  resourceServerUrl: mcpUrl,
  scopesSupported: ['mcp:tools'],
}));
const auth = requireBearerAuth({ verifier: provider, resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl) });
app.post('/mcp', auth, async (req, res) => {
  const server = new McpServer({ name: 'oauth-refresh-test', version: '1.0.0' });
  server.tool('whoami', 'Who the token belongs to', async (extra) => ({
    content: [{ type: 'text', text: `client ${extra.authInfo?.clientId}` }],
  }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => { transport.close(); server.close(); });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
app.get('/mcp', auth, (_req, res) => res.status(405).end());
app.delete('/mcp', auth, (_req, res) => res.status(405).end());
app.listen(Number(mcpPort), '127.0.0.1', () => console.log(`listening on ${mcpPort}`));
