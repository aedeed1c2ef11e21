// oidc-provider (the OpenID Certified Node authorization server), pinned in
// package.json, as an MCP server's authorization server for mcp-bridge's
// tests. Its defaults stay on: DPoP offered (dpop_signing_alg_values_supported),
// the scopes it lists (openid, offline_access), refresh tokens only with
// offline_access, refresh token rotation for public clients, the scope given
// at registration as an allow-list, its development login and consent pages.
// Only what an MCP deployment has to configure is set:
//   - dynamic client registration on (off by default);
//   - the MCP server as a resource (RFC 8707) whose tokens are JWTs for it,
//     carrying RESOURCE_SCOPES, living ACCESS_TTL seconds;
//   - with EXTRA_SCOPES, those scopes added to the ones the provider lists
//     (so that registration with them is accepted, and then an allow-list);
//   - with OIDC_ACCESS_TOKEN_FORMAT=opaque, opaque access tokens for the
//     resource instead of JWTs, and with OIDC_INTROSPECTION_CLIENT=ID:SECRET
//     the introspection endpoint on (off by default) and that client, a
//     resource server, registered to call it.
//
// Usage: node oidc_provider.mjs PORT RESOURCE RESOURCE_SCOPES ACCESS_TTL [EXTRA_SCOPES]
// GET /stats: how many registrations, and which scopes they asked for.

import Provider, { errors } from 'oidc-provider';

const [port, resource, resourceScopes, ttl, extra] = process.argv.slice(2);
const issuer = `http://localhost:${port}`;
const stats = { registrations: [], refreshes: 0, codes: 0 };

const config = {
  features: {
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) {
          throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        }
        return {
          scope: resourceScopes,
          audience: resource,
          accessTokenFormat: process.env.OIDC_ACCESS_TOKEN_FORMAT || 'jwt',
          accessTokenTTL: Number(ttl),
        };
      },
    },
  },
};
if (extra) {
  config.scopes = ['openid', 'offline_access', ...extra.split(' ')];
}
const introspector = process.env.OIDC_INTROSPECTION_CLIENT;
if (introspector) {
  const [client_id, client_secret] = introspector.split(':');
  config.features.introspection = { enabled: true };
  config.clients = [
    { client_id, client_secret, grant_types: [], redirect_uris: [], response_types: [] },
  ];
}

const provider = new Provider(issuer, config);
provider.on('registration_create.success', (_ctx, client) => {
  stats.registrations.push(client.scope ?? null);
});
provider.on('grant.success', (ctx) => {
  const type = ctx.oidc.params.grant_type;
  if (type === 'refresh_token') stats.refreshes += 1;
  if (type === 'authorization_code') stats.codes += 1;
});
// Quiet: the tests read /stats, not the console.
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

const callback = provider.callback();
const server = (await import('node:http')).createServer((req, res) => {
  if (req.url === '/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats));
    return;
  }
  callback(req, res);
});
server.listen(Number(port), '127.0.0.1');
