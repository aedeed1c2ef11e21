
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mcp-bridge' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mcp-bridge'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mcp-bridge' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header-file', '--header-file', [CompletionResultType]::ParameterName, 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client''s own handshake and never probes')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error')
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'How long the client''s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge''s error; a server that comes up inside the window is still served')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long opening a connection to the server may take')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'The largest message accepted in either direction, in bytes (suffixes K, M, G)')
            [CompletionResult]::new('--static-oauth-client-info', '--static-oauth-client-info', [CompletionResultType]::ParameterName, 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)')
            [CompletionResult]::new('--static-oauth-client-metadata', '--static-oauth-client-metadata', [CompletionResultType]::ParameterName, 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})')
            [CompletionResult]::new('--client-metadata-url', '--client-metadata-url', [CompletionResultType]::ParameterName, 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them')
            [CompletionResult]::new('--client-assertion-key', '--client-assertion-key', [CompletionResultType]::ParameterName, 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret')
            [CompletionResult]::new('--client-assertion-alg', '--client-assertion-alg', [CompletionResultType]::ParameterName, 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key''s own')
            [CompletionResult]::new('--jwt-bearer-assertion', '--jwt-bearer-assertion', [CompletionResultType]::ParameterName, 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job''s OIDC token). `${VAR}` is expanded')
            [CompletionResult]::new('--idp-issuer', '--idp-issuer', [CompletionResultType]::ParameterName, 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server''s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token')
            [CompletionResult]::new('--idp-client-id', '--idp-client-id', [CompletionResultType]::ParameterName, 'The bridge''s client id at the identity provider')
            [CompletionResult]::new('--idp-client-secret', '--idp-client-secret', [CompletionResultType]::ParameterName, 'The bridge''s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)')
            [CompletionResult]::new('--idp-id-token', '--idp-id-token', [CompletionResultType]::ParameterName, 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)')
            [CompletionResult]::new('--token-endpoint', '--token-endpoint', [CompletionResultType]::ParameterName, 'Use this token endpoint instead of the one the authorization server''s metadata names (or when it publishes none)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'The resource indicator (RFC 8707) to ask tokens for, instead of the server''s canonical URL')
            [CompletionResult]::new('--callback-port', '--callback-port', [CompletionResultType]::ParameterName, 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)')
            [CompletionResult]::new('--auth-timeout', '--auth-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the sign-in in the browser before the pending request gets an error')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)')
            [CompletionResult]::new('--callback-path', '--callback-path', [CompletionResultType]::ParameterName, 'The path of the sign-in redirect URI')
            [CompletionResult]::new('--auth-success-url', '--auth-success-url', [CompletionResultType]::ParameterName, 'Send the browser to URL once signed in, instead of showing the bridge''s page (https, or http to loopback; no query or fragment)')
            [CompletionResult]::new('--authorize-param', '--authorize-param', [CompletionResultType]::ParameterName, 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent')
            [CompletionResult]::new('--ignore-tool', '--ignore-tool', [CompletionResultType]::ParameterName, 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused')
            [CompletionResult]::new('--allow-tool', '--allow-tool', [CompletionResultType]::ParameterName, 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them')
            [CompletionResult]::new('--pin-tools', '--pin-tools', [CompletionResultType]::ParameterName, 'What to do with a tool whose definition changed since it was first seen (pinned): warn (relay it, with a warning in the log and to the client), enforce (withhold it until `mcp-bridge tools accept`), or off')
            [CompletionResult]::new('--log-calls', '--log-calls', [CompletionResultType]::ParameterName, 'Append one JSON line to FILE per request the client sends and per answer: the time, the server, the method, the tool, resource or prompt, the duration, the outcome and the sizes. The file is made owner-only; one that cannot be written stops the start')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in FILE (PEM) as well as the platform''s store (repeatable; SSL_CERT_FILE is read the same way)')
            [CompletionResult]::new('--headers-timeout', '--headers-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a response''s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)')
            [CompletionResult]::new('--body-timeout', '--body-timeout', [CompletionResultType]::ParameterName, 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to FILE (appending) instead of stderr')
            [CompletionResult]::new('--keep-alive', '--keep-alive', [CompletionResultType]::ParameterName, 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)')
            [CompletionResult]::new('--allow-http', '--allow-http', [CompletionResultType]::ParameterName, 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)')
            [CompletionResult]::new('--allow-private-auth', '--allow-private-auth', [CompletionResultType]::ParameterName, 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network')
            [CompletionResult]::new('--device-code', '--device-code', [CompletionResultType]::ParameterName, 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr')
            [CompletionResult]::new('--client-credentials', '--client-credentials', [CompletionResultType]::ParameterName, 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; print the sign-in URL on stderr only')
            [CompletionResult]::new('--use-id-token', '--use-id-token', [CompletionResultType]::ParameterName, 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)')
            [CompletionResult]::new('--no-dpop', '--no-dpop', [CompletionResultType]::ParameterName, 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it')
            [CompletionResult]::new('--disable-resource-parameter', '--disable-resource-parameter', [CompletionResultType]::ParameterName, 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it')
            [CompletionResult]::new('--log-calls-full', '--log-calls-full', [CompletionResultType]::ParameterName, 'Also write each call''s arguments and each answer''s result (header values and the URL''s query values hidden)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)')
            [CompletionResult]::new('--enable-proxy', '--enable-proxy', [CompletionResultType]::ParameterName, 'Use the proxy the environment names: the default, accepted as mcp-remote spells it')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)')
            [CompletionResult]::new('--disable-cookies', '--disable-cookies', [CompletionResultType]::ParameterName, 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer''s affinity cookie keeps the session on its replica')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does')
            [CompletionResult]::new('--silent', '--silent', [CompletionResultType]::ParameterName, 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in to a server now (opening the browser if needed), store the tokens, and exit; later runs use them without a browser')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Connect to a server as a client would (signing in if needed) and print its name, version, protocol era, transport, tools, resources and prompts; exits 0 when the server answered. A health check')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Find what stands between this machine and a server: each link in order (URL, name, proxy, connection, TLS, the server''s answer, sign-in metadata, stored credentials, the MCP session, the clients'' configurations), a line each with ✓ or ✗, what was found and the fix. Exits 0 when every step passed, else the number of the first that failed. Opens no browser unless --sign-in; prints no secret')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Remove stored credentials for a server (every identity of that URL), or all')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'List servers with stored credentials: where they are kept and when the access token expires (never the tokens themselves)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions, e.g. `mcp-bridge completions bash > ~/.local/share/bash-completion/completions/mcp-bridge`')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), e.g. `mcp-bridge man > ~/.local/share/man/man1/mcp-bridge.1`')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Add a server to an MCP client''s configuration, run by this binary (its absolute path: no PATH and no npx at start), e.g. `mcp-bridge install --client claude-desktop docs https://example.com/mcp --header ''Authorization: Bearer ${TOKEN}''`. Other entries and the file''s formatting are kept; the old file is kept as FILE.bak')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Put a stdio MCP server on the network as a Streamable HTTP server (and HTTP+SSE at /sse), e.g. `mcp-bridge serve --port 8080 -- npx -y some-stdio-server`: a session per client, each with a server process of its own')
            [CompletionResult]::new('tools', 'tools', [CompletionResultType]::ParameterValue, 'See and approve changes to a server''s tools since they were pinned (first seen): `tools diff URL`, `tools accept URL [TOOL...]`, `tools list URL`')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove a server from an MCP client''s configuration')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-bridge;login' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header-file', '--header-file', [CompletionResultType]::ParameterName, 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client''s own handshake and never probes')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error')
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'How long the client''s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge''s error; a server that comes up inside the window is still served')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long opening a connection to the server may take')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'The largest message accepted in either direction, in bytes (suffixes K, M, G)')
            [CompletionResult]::new('--static-oauth-client-info', '--static-oauth-client-info', [CompletionResultType]::ParameterName, 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)')
            [CompletionResult]::new('--static-oauth-client-metadata', '--static-oauth-client-metadata', [CompletionResultType]::ParameterName, 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})')
            [CompletionResult]::new('--client-metadata-url', '--client-metadata-url', [CompletionResultType]::ParameterName, 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them')
            [CompletionResult]::new('--client-assertion-key', '--client-assertion-key', [CompletionResultType]::ParameterName, 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret')
            [CompletionResult]::new('--client-assertion-alg', '--client-assertion-alg', [CompletionResultType]::ParameterName, 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key''s own')
            [CompletionResult]::new('--jwt-bearer-assertion', '--jwt-bearer-assertion', [CompletionResultType]::ParameterName, 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job''s OIDC token). `${VAR}` is expanded')
            [CompletionResult]::new('--idp-issuer', '--idp-issuer', [CompletionResultType]::ParameterName, 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server''s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token')
            [CompletionResult]::new('--idp-client-id', '--idp-client-id', [CompletionResultType]::ParameterName, 'The bridge''s client id at the identity provider')
            [CompletionResult]::new('--idp-client-secret', '--idp-client-secret', [CompletionResultType]::ParameterName, 'The bridge''s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)')
            [CompletionResult]::new('--idp-id-token', '--idp-id-token', [CompletionResultType]::ParameterName, 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)')
            [CompletionResult]::new('--token-endpoint', '--token-endpoint', [CompletionResultType]::ParameterName, 'Use this token endpoint instead of the one the authorization server''s metadata names (or when it publishes none)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'The resource indicator (RFC 8707) to ask tokens for, instead of the server''s canonical URL')
            [CompletionResult]::new('--callback-port', '--callback-port', [CompletionResultType]::ParameterName, 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)')
            [CompletionResult]::new('--auth-timeout', '--auth-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the sign-in in the browser before the pending request gets an error')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)')
            [CompletionResult]::new('--callback-path', '--callback-path', [CompletionResultType]::ParameterName, 'The path of the sign-in redirect URI')
            [CompletionResult]::new('--auth-success-url', '--auth-success-url', [CompletionResultType]::ParameterName, 'Send the browser to URL once signed in, instead of showing the bridge''s page (https, or http to loopback; no query or fragment)')
            [CompletionResult]::new('--authorize-param', '--authorize-param', [CompletionResultType]::ParameterName, 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent')
            [CompletionResult]::new('--ignore-tool', '--ignore-tool', [CompletionResultType]::ParameterName, 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused')
            [CompletionResult]::new('--allow-tool', '--allow-tool', [CompletionResultType]::ParameterName, 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them')
            [CompletionResult]::new('--pin-tools', '--pin-tools', [CompletionResultType]::ParameterName, 'What to do with a tool whose definition changed since it was first seen (pinned): warn (relay it, with a warning in the log and to the client), enforce (withhold it until `mcp-bridge tools accept`), or off')
            [CompletionResult]::new('--log-calls', '--log-calls', [CompletionResultType]::ParameterName, 'Append one JSON line to FILE per request the client sends and per answer: the time, the server, the method, the tool, resource or prompt, the duration, the outcome and the sizes. The file is made owner-only; one that cannot be written stops the start')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in FILE (PEM) as well as the platform''s store (repeatable; SSL_CERT_FILE is read the same way)')
            [CompletionResult]::new('--headers-timeout', '--headers-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a response''s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)')
            [CompletionResult]::new('--body-timeout', '--body-timeout', [CompletionResultType]::ParameterName, 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to FILE (appending) instead of stderr')
            [CompletionResult]::new('--keep-alive', '--keep-alive', [CompletionResultType]::ParameterName, 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)')
            [CompletionResult]::new('--allow-http', '--allow-http', [CompletionResultType]::ParameterName, 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)')
            [CompletionResult]::new('--allow-private-auth', '--allow-private-auth', [CompletionResultType]::ParameterName, 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network')
            [CompletionResult]::new('--device-code', '--device-code', [CompletionResultType]::ParameterName, 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr')
            [CompletionResult]::new('--client-credentials', '--client-credentials', [CompletionResultType]::ParameterName, 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; print the sign-in URL on stderr only')
            [CompletionResult]::new('--use-id-token', '--use-id-token', [CompletionResultType]::ParameterName, 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)')
            [CompletionResult]::new('--no-dpop', '--no-dpop', [CompletionResultType]::ParameterName, 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it')
            [CompletionResult]::new('--disable-resource-parameter', '--disable-resource-parameter', [CompletionResultType]::ParameterName, 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it')
            [CompletionResult]::new('--log-calls-full', '--log-calls-full', [CompletionResultType]::ParameterName, 'Also write each call''s arguments and each answer''s result (header values and the URL''s query values hidden)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)')
            [CompletionResult]::new('--enable-proxy', '--enable-proxy', [CompletionResultType]::ParameterName, 'Use the proxy the environment names: the default, accepted as mcp-remote spells it')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)')
            [CompletionResult]::new('--disable-cookies', '--disable-cookies', [CompletionResultType]::ParameterName, 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer''s affinity cookie keeps the session on its replica')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does')
            [CompletionResult]::new('--silent', '--silent', [CompletionResultType]::ParameterName, 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mcp-bridge;check' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long each list request may take')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header-file', '--header-file', [CompletionResultType]::ParameterName, 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client''s own handshake and never probes')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error')
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'How long the client''s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge''s error; a server that comes up inside the window is still served')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long opening a connection to the server may take')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'The largest message accepted in either direction, in bytes (suffixes K, M, G)')
            [CompletionResult]::new('--static-oauth-client-info', '--static-oauth-client-info', [CompletionResultType]::ParameterName, 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)')
            [CompletionResult]::new('--static-oauth-client-metadata', '--static-oauth-client-metadata', [CompletionResultType]::ParameterName, 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})')
            [CompletionResult]::new('--client-metadata-url', '--client-metadata-url', [CompletionResultType]::ParameterName, 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them')
            [CompletionResult]::new('--client-assertion-key', '--client-assertion-key', [CompletionResultType]::ParameterName, 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret')
            [CompletionResult]::new('--client-assertion-alg', '--client-assertion-alg', [CompletionResultType]::ParameterName, 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key''s own')
            [CompletionResult]::new('--jwt-bearer-assertion', '--jwt-bearer-assertion', [CompletionResultType]::ParameterName, 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job''s OIDC token). `${VAR}` is expanded')
            [CompletionResult]::new('--idp-issuer', '--idp-issuer', [CompletionResultType]::ParameterName, 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server''s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token')
            [CompletionResult]::new('--idp-client-id', '--idp-client-id', [CompletionResultType]::ParameterName, 'The bridge''s client id at the identity provider')
            [CompletionResult]::new('--idp-client-secret', '--idp-client-secret', [CompletionResultType]::ParameterName, 'The bridge''s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)')
            [CompletionResult]::new('--idp-id-token', '--idp-id-token', [CompletionResultType]::ParameterName, 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)')
            [CompletionResult]::new('--token-endpoint', '--token-endpoint', [CompletionResultType]::ParameterName, 'Use this token endpoint instead of the one the authorization server''s metadata names (or when it publishes none)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'The resource indicator (RFC 8707) to ask tokens for, instead of the server''s canonical URL')
            [CompletionResult]::new('--callback-port', '--callback-port', [CompletionResultType]::ParameterName, 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)')
            [CompletionResult]::new('--auth-timeout', '--auth-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the sign-in in the browser before the pending request gets an error')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)')
            [CompletionResult]::new('--callback-path', '--callback-path', [CompletionResultType]::ParameterName, 'The path of the sign-in redirect URI')
            [CompletionResult]::new('--auth-success-url', '--auth-success-url', [CompletionResultType]::ParameterName, 'Send the browser to URL once signed in, instead of showing the bridge''s page (https, or http to loopback; no query or fragment)')
            [CompletionResult]::new('--authorize-param', '--authorize-param', [CompletionResultType]::ParameterName, 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent')
            [CompletionResult]::new('--ignore-tool', '--ignore-tool', [CompletionResultType]::ParameterName, 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused')
            [CompletionResult]::new('--allow-tool', '--allow-tool', [CompletionResultType]::ParameterName, 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them')
            [CompletionResult]::new('--pin-tools', '--pin-tools', [CompletionResultType]::ParameterName, 'What to do with a tool whose definition changed since it was first seen (pinned): warn (relay it, with a warning in the log and to the client), enforce (withhold it until `mcp-bridge tools accept`), or off')
            [CompletionResult]::new('--log-calls', '--log-calls', [CompletionResultType]::ParameterName, 'Append one JSON line to FILE per request the client sends and per answer: the time, the server, the method, the tool, resource or prompt, the duration, the outcome and the sizes. The file is made owner-only; one that cannot be written stops the start')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in FILE (PEM) as well as the platform''s store (repeatable; SSL_CERT_FILE is read the same way)')
            [CompletionResult]::new('--headers-timeout', '--headers-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a response''s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)')
            [CompletionResult]::new('--body-timeout', '--body-timeout', [CompletionResultType]::ParameterName, 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to FILE (appending) instead of stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (the server''s own objects, for scripts) instead of tables')
            [CompletionResult]::new('--keep-alive', '--keep-alive', [CompletionResultType]::ParameterName, 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)')
            [CompletionResult]::new('--allow-http', '--allow-http', [CompletionResultType]::ParameterName, 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)')
            [CompletionResult]::new('--allow-private-auth', '--allow-private-auth', [CompletionResultType]::ParameterName, 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network')
            [CompletionResult]::new('--device-code', '--device-code', [CompletionResultType]::ParameterName, 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr')
            [CompletionResult]::new('--client-credentials', '--client-credentials', [CompletionResultType]::ParameterName, 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; print the sign-in URL on stderr only')
            [CompletionResult]::new('--use-id-token', '--use-id-token', [CompletionResultType]::ParameterName, 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)')
            [CompletionResult]::new('--no-dpop', '--no-dpop', [CompletionResultType]::ParameterName, 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it')
            [CompletionResult]::new('--disable-resource-parameter', '--disable-resource-parameter', [CompletionResultType]::ParameterName, 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it')
            [CompletionResult]::new('--log-calls-full', '--log-calls-full', [CompletionResultType]::ParameterName, 'Also write each call''s arguments and each answer''s result (header values and the URL''s query values hidden)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)')
            [CompletionResult]::new('--enable-proxy', '--enable-proxy', [CompletionResultType]::ParameterName, 'Use the proxy the environment names: the default, accepted as mcp-remote spells it')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)')
            [CompletionResult]::new('--disable-cookies', '--disable-cookies', [CompletionResultType]::ParameterName, 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer''s affinity cookie keeps the session on its replica')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does')
            [CompletionResult]::new('--silent', '--silent', [CompletionResultType]::ParameterName, 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mcp-bridge;doctor' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header-file', '--header-file', [CompletionResultType]::ParameterName, 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client''s own handshake and never probes')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error')
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'How long the client''s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge''s error; a server that comes up inside the window is still served')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long opening a connection to the server may take')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'The largest message accepted in either direction, in bytes (suffixes K, M, G)')
            [CompletionResult]::new('--static-oauth-client-info', '--static-oauth-client-info', [CompletionResultType]::ParameterName, 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)')
            [CompletionResult]::new('--static-oauth-client-metadata', '--static-oauth-client-metadata', [CompletionResultType]::ParameterName, 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})')
            [CompletionResult]::new('--client-metadata-url', '--client-metadata-url', [CompletionResultType]::ParameterName, 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them')
            [CompletionResult]::new('--client-assertion-key', '--client-assertion-key', [CompletionResultType]::ParameterName, 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret')
            [CompletionResult]::new('--client-assertion-alg', '--client-assertion-alg', [CompletionResultType]::ParameterName, 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key''s own')
            [CompletionResult]::new('--jwt-bearer-assertion', '--jwt-bearer-assertion', [CompletionResultType]::ParameterName, 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job''s OIDC token). `${VAR}` is expanded')
            [CompletionResult]::new('--idp-issuer', '--idp-issuer', [CompletionResultType]::ParameterName, 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server''s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token')
            [CompletionResult]::new('--idp-client-id', '--idp-client-id', [CompletionResultType]::ParameterName, 'The bridge''s client id at the identity provider')
            [CompletionResult]::new('--idp-client-secret', '--idp-client-secret', [CompletionResultType]::ParameterName, 'The bridge''s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)')
            [CompletionResult]::new('--idp-id-token', '--idp-id-token', [CompletionResultType]::ParameterName, 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)')
            [CompletionResult]::new('--token-endpoint', '--token-endpoint', [CompletionResultType]::ParameterName, 'Use this token endpoint instead of the one the authorization server''s metadata names (or when it publishes none)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'The resource indicator (RFC 8707) to ask tokens for, instead of the server''s canonical URL')
            [CompletionResult]::new('--callback-port', '--callback-port', [CompletionResultType]::ParameterName, 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)')
            [CompletionResult]::new('--auth-timeout', '--auth-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the sign-in in the browser before the pending request gets an error')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)')
            [CompletionResult]::new('--callback-path', '--callback-path', [CompletionResultType]::ParameterName, 'The path of the sign-in redirect URI')
            [CompletionResult]::new('--auth-success-url', '--auth-success-url', [CompletionResultType]::ParameterName, 'Send the browser to URL once signed in, instead of showing the bridge''s page (https, or http to loopback; no query or fragment)')
            [CompletionResult]::new('--authorize-param', '--authorize-param', [CompletionResultType]::ParameterName, 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent')
            [CompletionResult]::new('--ignore-tool', '--ignore-tool', [CompletionResultType]::ParameterName, 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused')
            [CompletionResult]::new('--allow-tool', '--allow-tool', [CompletionResultType]::ParameterName, 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them')
            [CompletionResult]::new('--pin-tools', '--pin-tools', [CompletionResultType]::ParameterName, 'What to do with a tool whose definition changed since it was first seen (pinned): warn (relay it, with a warning in the log and to the client), enforce (withhold it until `mcp-bridge tools accept`), or off')
            [CompletionResult]::new('--log-calls', '--log-calls', [CompletionResultType]::ParameterName, 'Append one JSON line to FILE per request the client sends and per answer: the time, the server, the method, the tool, resource or prompt, the duration, the outcome and the sizes. The file is made owner-only; one that cannot be written stops the start')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in FILE (PEM) as well as the platform''s store (repeatable; SSL_CERT_FILE is read the same way)')
            [CompletionResult]::new('--headers-timeout', '--headers-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a response''s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)')
            [CompletionResult]::new('--body-timeout', '--body-timeout', [CompletionResultType]::ParameterName, 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to FILE (appending) instead of stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (the same steps, as data)')
            [CompletionResult]::new('--sign-in', '--sign-in', [CompletionResultType]::ParameterName, 'Sign in in the browser when the server asks and nothing stored works (otherwise that step fails and says how)')
            [CompletionResult]::new('--keep-alive', '--keep-alive', [CompletionResultType]::ParameterName, 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)')
            [CompletionResult]::new('--allow-http', '--allow-http', [CompletionResultType]::ParameterName, 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)')
            [CompletionResult]::new('--allow-private-auth', '--allow-private-auth', [CompletionResultType]::ParameterName, 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network')
            [CompletionResult]::new('--device-code', '--device-code', [CompletionResultType]::ParameterName, 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr')
            [CompletionResult]::new('--client-credentials', '--client-credentials', [CompletionResultType]::ParameterName, 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; print the sign-in URL on stderr only')
            [CompletionResult]::new('--use-id-token', '--use-id-token', [CompletionResultType]::ParameterName, 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)')
            [CompletionResult]::new('--no-dpop', '--no-dpop', [CompletionResultType]::ParameterName, 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it')
            [CompletionResult]::new('--disable-resource-parameter', '--disable-resource-parameter', [CompletionResultType]::ParameterName, 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it')
            [CompletionResult]::new('--log-calls-full', '--log-calls-full', [CompletionResultType]::ParameterName, 'Also write each call''s arguments and each answer''s result (header values and the URL''s query values hidden)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)')
            [CompletionResult]::new('--enable-proxy', '--enable-proxy', [CompletionResultType]::ParameterName, 'Use the proxy the environment names: the default, accepted as mcp-remote spells it')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)')
            [CompletionResult]::new('--disable-cookies', '--disable-cookies', [CompletionResultType]::ParameterName, 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer''s affinity cookie keeps the session on its replica')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does')
            [CompletionResult]::new('--silent', '--silent', [CompletionResultType]::ParameterName, 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mcp-bridge;logout' {
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove every stored credential')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-bridge;status' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-bridge;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-bridge;man' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-bridge;install' {
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'The client')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Edit this file instead of the client''s own')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an entry of the same name')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the change without writing it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mcp-bridge;serve' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The address to listen on: loopback by default; 0.0.0.0 (or a host''s address) to be reached from other machines')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'The port to listen on')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The port to listen on')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'The path of the MCP endpoint')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Serve every stdio server of FILE, the mcpServers JSON that MCP clients use, each at /servers/NAME/mcp (with /servers listing them), instead of COMMAND. SIGHUP reads it again: servers added, changed or removed are started, restarted or ended; the others'' sessions go on')
            [CompletionResult]::new('--allow-origin', '--allow-origin', [CompletionResultType]::ParameterName, 'Accept requests a browser sends from this origin (e.g. https://app.example.com; repeatable). Others are refused with 403')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set KEY=VALUE in the server process''s environment (repeatable); nothing from an HTTP request ever reaches it')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'The largest message accepted in either direction, in bytes (suffixes K, M, G)')
            [CompletionResult]::new('--max-sessions', '--max-sessions', [CompletionResultType]::ParameterName, 'How many sessions may be open at once; past it, 503 with Retry-After')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'End a session (and its server process) idle this long')
            [CompletionResult]::new('--drain-timeout', '--drain-timeout', [CompletionResultType]::ParameterName, 'At shutdown, how long requests in flight may take to finish')
            [CompletionResult]::new('--bearer-token-file', '--bearer-token-file', [CompletionResultType]::ParameterName, 'Require `Authorization: Bearer KEY` with one of the keys in FILE (one a line; # starts a comment); anything else gets 401. Keep the file readable by its owner only')
            [CompletionResult]::new('--auth-issuer', '--auth-issuer', [CompletionResultType]::ParameterName, 'Accept access tokens (JWTs) this OAuth authorization server signs for this server (repeatable); its keys come from its metadata. Clients find it in /.well-known/oauth-protected-resource')
            [CompletionResult]::new('--introspection-url', '--introspection-url', [CompletionResultType]::ParameterName, 'Ask this OAuth introspection endpoint (RFC 7662) about tokens that are not JWTs (or about every token, with no --auth-issuer), as the client --introspection-client-id')
            [CompletionResult]::new('--introspection-client-id', '--introspection-client-id', [CompletionResultType]::ParameterName, 'This server''s client id at the introspection endpoint')
            [CompletionResult]::new('--introspection-client-secret', '--introspection-client-secret', [CompletionResultType]::ParameterName, 'Its client secret (VALUE or @FILE; `${VAR}` is expanded)')
            [CompletionResult]::new('--public-url', '--public-url', [CompletionResultType]::ParameterName, 'The URL clients reach this server by, when it is not the address it listens on (behind a proxy or TLS): its resource identifier and metadata are made from it')
            [CompletionResult]::new('--trusted-proxy', '--trusted-proxy', [CompletionResultType]::ParameterName, 'Believe X-Forwarded-For/-Proto/-Host/-Prefix and Forwarded (RFC 7239) from this address or network (e.g. 10.0.0.0/8; repeatable): the client''s address for the log and, without --public-url, the URL clients used. From anyone else they are ignored')
            [CompletionResult]::new('--replica', '--replica', [CompletionResultType]::ParameterName, 'This replica''s name, which starts every session id it makes (NAME.random), so that a load balancer routes a session''s requests to the replica that holds it by the Mcp-Session-Id prefix')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'The audience tokens must name [default: the public URL and --path]')
            [CompletionResult]::new('--require-scope', '--require-scope', [CompletionResultType]::ParameterName, 'A scope every token must grant (repeatable); without it, 403 insufficient_scope')
            [CompletionResult]::new('--tool-scope', '--tool-scope', [CompletionResultType]::ParameterName, 'The scope a call of TOOL needs (repeatable); without it, 403 insufficient_scope naming it, so that the client can step up')
            [CompletionResult]::new('--pass-claims-env', '--pass-claims-env', [CompletionResultType]::ParameterName, 'Give each session''s server process the token''s CLAIM as the environment variable VAR (repeatable; e.g. sub=MCP_USER). Not with --shared, whose one process serves everyone')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to FILE (appending) instead of stderr')
            [CompletionResult]::new('--shared', '--shared', [CompletionResultType]::ParameterName, 'Run one server process for every session, instead of one each (for a server too heavy to start per client): ids are remapped so that answers never cross, and the server sees the first client''s initialize only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does')
            [CompletionResult]::new('--silent', '--silent', [CompletionResultType]::ParameterName, 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mcp-bridge;tools' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Connect, and show each tool whose definition changed since it was pinned as a unified diff (pinned against now), with the tools new and gone; exits 0 when no tool changed, otherwise 1')
            [CompletionResult]::new('accept', 'accept', [CompletionResultType]::ParameterValue, 'Connect, and pin what the server says now: the named tools, or every one')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show the pinned tools, with when each was pinned (no connection)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-bridge;tools;diff' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header-file', '--header-file', [CompletionResultType]::ParameterName, 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client''s own handshake and never probes')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error')
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'How long the client''s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge''s error; a server that comes up inside the window is still served')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long opening a connection to the server may take')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'The largest message accepted in either direction, in bytes (suffixes K, M, G)')
            [CompletionResult]::new('--static-oauth-client-info', '--static-oauth-client-info', [CompletionResultType]::ParameterName, 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)')
            [CompletionResult]::new('--static-oauth-client-metadata', '--static-oauth-client-metadata', [CompletionResultType]::ParameterName, 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})')
            [CompletionResult]::new('--client-metadata-url', '--client-metadata-url', [CompletionResultType]::ParameterName, 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them')
            [CompletionResult]::new('--client-assertion-key', '--client-assertion-key', [CompletionResultType]::ParameterName, 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret')
            [CompletionResult]::new('--client-assertion-alg', '--client-assertion-alg', [CompletionResultType]::ParameterName, 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key''s own')
            [CompletionResult]::new('--jwt-bearer-assertion', '--jwt-bearer-assertion', [CompletionResultType]::ParameterName, 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job''s OIDC token). `${VAR}` is expanded')
            [CompletionResult]::new('--idp-issuer', '--idp-issuer', [CompletionResultType]::ParameterName, 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server''s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token')
            [CompletionResult]::new('--idp-client-id', '--idp-client-id', [CompletionResultType]::ParameterName, 'The bridge''s client id at the identity provider')
            [CompletionResult]::new('--idp-client-secret', '--idp-client-secret', [CompletionResultType]::ParameterName, 'The bridge''s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)')
            [CompletionResult]::new('--idp-id-token', '--idp-id-token', [CompletionResultType]::ParameterName, 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)')
            [CompletionResult]::new('--token-endpoint', '--token-endpoint', [CompletionResultType]::ParameterName, 'Use this token endpoint instead of the one the authorization server''s metadata names (or when it publishes none)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'The resource indicator (RFC 8707) to ask tokens for, instead of the server''s canonical URL')
            [CompletionResult]::new('--callback-port', '--callback-port', [CompletionResultType]::ParameterName, 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)')
            [CompletionResult]::new('--auth-timeout', '--auth-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the sign-in in the browser before the pending request gets an error')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)')
            [CompletionResult]::new('--callback-path', '--callback-path', [CompletionResultType]::ParameterName, 'The path of the sign-in redirect URI')
            [CompletionResult]::new('--auth-success-url', '--auth-success-url', [CompletionResultType]::ParameterName, 'Send the browser to URL once signed in, instead of showing the bridge''s page (https, or http to loopback; no query or fragment)')
            [CompletionResult]::new('--authorize-param', '--authorize-param', [CompletionResultType]::ParameterName, 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent')
            [CompletionResult]::new('--ignore-tool', '--ignore-tool', [CompletionResultType]::ParameterName, 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused')
            [CompletionResult]::new('--allow-tool', '--allow-tool', [CompletionResultType]::ParameterName, 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them')
            [CompletionResult]::new('--pin-tools', '--pin-tools', [CompletionResultType]::ParameterName, 'What to do with a tool whose definition changed since it was first seen (pinned): warn (relay it, with a warning in the log and to the client), enforce (withhold it until `mcp-bridge tools accept`), or off')
            [CompletionResult]::new('--log-calls', '--log-calls', [CompletionResultType]::ParameterName, 'Append one JSON line to FILE per request the client sends and per answer: the time, the server, the method, the tool, resource or prompt, the duration, the outcome and the sizes. The file is made owner-only; one that cannot be written stops the start')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in FILE (PEM) as well as the platform''s store (repeatable; SSL_CERT_FILE is read the same way)')
            [CompletionResult]::new('--headers-timeout', '--headers-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a response''s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)')
            [CompletionResult]::new('--body-timeout', '--body-timeout', [CompletionResultType]::ParameterName, 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to FILE (appending) instead of stderr')
            [CompletionResult]::new('--keep-alive', '--keep-alive', [CompletionResultType]::ParameterName, 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)')
            [CompletionResult]::new('--allow-http', '--allow-http', [CompletionResultType]::ParameterName, 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)')
            [CompletionResult]::new('--allow-private-auth', '--allow-private-auth', [CompletionResultType]::ParameterName, 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network')
            [CompletionResult]::new('--device-code', '--device-code', [CompletionResultType]::ParameterName, 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr')
            [CompletionResult]::new('--client-credentials', '--client-credentials', [CompletionResultType]::ParameterName, 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; print the sign-in URL on stderr only')
            [CompletionResult]::new('--use-id-token', '--use-id-token', [CompletionResultType]::ParameterName, 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)')
            [CompletionResult]::new('--no-dpop', '--no-dpop', [CompletionResultType]::ParameterName, 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it')
            [CompletionResult]::new('--disable-resource-parameter', '--disable-resource-parameter', [CompletionResultType]::ParameterName, 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it')
            [CompletionResult]::new('--log-calls-full', '--log-calls-full', [CompletionResultType]::ParameterName, 'Also write each call''s arguments and each answer''s result (header values and the URL''s query values hidden)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)')
            [CompletionResult]::new('--enable-proxy', '--enable-proxy', [CompletionResultType]::ParameterName, 'Use the proxy the environment names: the default, accepted as mcp-remote spells it')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)')
            [CompletionResult]::new('--disable-cookies', '--disable-cookies', [CompletionResultType]::ParameterName, 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer''s affinity cookie keeps the session on its replica')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does')
            [CompletionResult]::new('--silent', '--silent', [CompletionResultType]::ParameterName, 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mcp-bridge;tools;accept' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header-file', '--header-file', [CompletionResultType]::ParameterName, 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client''s own handshake and never probes')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error')
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'How long the client''s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge''s error; a server that comes up inside the window is still served')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long opening a connection to the server may take')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'The largest message accepted in either direction, in bytes (suffixes K, M, G)')
            [CompletionResult]::new('--static-oauth-client-info', '--static-oauth-client-info', [CompletionResultType]::ParameterName, 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)')
            [CompletionResult]::new('--static-oauth-client-metadata', '--static-oauth-client-metadata', [CompletionResultType]::ParameterName, 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})')
            [CompletionResult]::new('--client-metadata-url', '--client-metadata-url', [CompletionResultType]::ParameterName, 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them')
            [CompletionResult]::new('--client-assertion-key', '--client-assertion-key', [CompletionResultType]::ParameterName, 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret')
            [CompletionResult]::new('--client-assertion-alg', '--client-assertion-alg', [CompletionResultType]::ParameterName, 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key''s own')
            [CompletionResult]::new('--jwt-bearer-assertion', '--jwt-bearer-assertion', [CompletionResultType]::ParameterName, 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job''s OIDC token). `${VAR}` is expanded')
            [CompletionResult]::new('--idp-issuer', '--idp-issuer', [CompletionResultType]::ParameterName, 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server''s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token')
            [CompletionResult]::new('--idp-client-id', '--idp-client-id', [CompletionResultType]::ParameterName, 'The bridge''s client id at the identity provider')
            [CompletionResult]::new('--idp-client-secret', '--idp-client-secret', [CompletionResultType]::ParameterName, 'The bridge''s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)')
            [CompletionResult]::new('--idp-id-token', '--idp-id-token', [CompletionResultType]::ParameterName, 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)')
            [CompletionResult]::new('--token-endpoint', '--token-endpoint', [CompletionResultType]::ParameterName, 'Use this token endpoint instead of the one the authorization server''s metadata names (or when it publishes none)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'The resource indicator (RFC 8707) to ask tokens for, instead of the server''s canonical URL')
            [CompletionResult]::new('--callback-port', '--callback-port', [CompletionResultType]::ParameterName, 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)')
            [CompletionResult]::new('--auth-timeout', '--auth-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the sign-in in the browser before the pending request gets an error')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)')
            [CompletionResult]::new('--callback-path', '--callback-path', [CompletionResultType]::ParameterName, 'The path of the sign-in redirect URI')
            [CompletionResult]::new('--auth-success-url', '--auth-success-url', [CompletionResultType]::ParameterName, 'Send the browser to URL once signed in, instead of showing the bridge''s page (https, or http to loopback; no query or fragment)')
            [CompletionResult]::new('--authorize-param', '--authorize-param', [CompletionResultType]::ParameterName, 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent')
            [CompletionResult]::new('--ignore-tool', '--ignore-tool', [CompletionResultType]::ParameterName, 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused')
            [CompletionResult]::new('--allow-tool', '--allow-tool', [CompletionResultType]::ParameterName, 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them')
            [CompletionResult]::new('--pin-tools', '--pin-tools', [CompletionResultType]::ParameterName, 'What to do with a tool whose definition changed since it was first seen (pinned): warn (relay it, with a warning in the log and to the client), enforce (withhold it until `mcp-bridge tools accept`), or off')
            [CompletionResult]::new('--log-calls', '--log-calls', [CompletionResultType]::ParameterName, 'Append one JSON line to FILE per request the client sends and per answer: the time, the server, the method, the tool, resource or prompt, the duration, the outcome and the sizes. The file is made owner-only; one that cannot be written stops the start')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in FILE (PEM) as well as the platform''s store (repeatable; SSL_CERT_FILE is read the same way)')
            [CompletionResult]::new('--headers-timeout', '--headers-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a response''s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)')
            [CompletionResult]::new('--body-timeout', '--body-timeout', [CompletionResultType]::ParameterName, 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to FILE (appending) instead of stderr')
            [CompletionResult]::new('--keep-alive', '--keep-alive', [CompletionResultType]::ParameterName, 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)')
            [CompletionResult]::new('--allow-http', '--allow-http', [CompletionResultType]::ParameterName, 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)')
            [CompletionResult]::new('--allow-private-auth', '--allow-private-auth', [CompletionResultType]::ParameterName, 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network')
            [CompletionResult]::new('--device-code', '--device-code', [CompletionResultType]::ParameterName, 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr')
            [CompletionResult]::new('--client-credentials', '--client-credentials', [CompletionResultType]::ParameterName, 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; print the sign-in URL on stderr only')
            [CompletionResult]::new('--use-id-token', '--use-id-token', [CompletionResultType]::ParameterName, 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)')
            [CompletionResult]::new('--no-dpop', '--no-dpop', [CompletionResultType]::ParameterName, 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it')
            [CompletionResult]::new('--disable-resource-parameter', '--disable-resource-parameter', [CompletionResultType]::ParameterName, 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it')
            [CompletionResult]::new('--log-calls-full', '--log-calls-full', [CompletionResultType]::ParameterName, 'Also write each call''s arguments and each answer''s result (header values and the URL''s query values hidden)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)')
            [CompletionResult]::new('--enable-proxy', '--enable-proxy', [CompletionResultType]::ParameterName, 'Use the proxy the environment names: the default, accepted as mcp-remote spells it')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)')
            [CompletionResult]::new('--disable-cookies', '--disable-cookies', [CompletionResultType]::ParameterName, 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer''s affinity cookie keeps the session on its replica')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does')
            [CompletionResult]::new('--silent', '--silent', [CompletionResultType]::ParameterName, 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mcp-bridge;tools;list' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment')
            [CompletionResult]::new('--header-file', '--header-file', [CompletionResultType]::ParameterName, 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client''s own handshake and never probes')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error')
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'How long the client''s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge''s error; a server that comes up inside the window is still served')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long opening a connection to the server may take')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'The largest message accepted in either direction, in bytes (suffixes K, M, G)')
            [CompletionResult]::new('--static-oauth-client-info', '--static-oauth-client-info', [CompletionResultType]::ParameterName, 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)')
            [CompletionResult]::new('--static-oauth-client-metadata', '--static-oauth-client-metadata', [CompletionResultType]::ParameterName, 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})')
            [CompletionResult]::new('--client-metadata-url', '--client-metadata-url', [CompletionResultType]::ParameterName, 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them')
            [CompletionResult]::new('--client-assertion-key', '--client-assertion-key', [CompletionResultType]::ParameterName, 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret')
            [CompletionResult]::new('--client-assertion-alg', '--client-assertion-alg', [CompletionResultType]::ParameterName, 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key''s own')
            [CompletionResult]::new('--jwt-bearer-assertion', '--jwt-bearer-assertion', [CompletionResultType]::ParameterName, 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job''s OIDC token). `${VAR}` is expanded')
            [CompletionResult]::new('--idp-issuer', '--idp-issuer', [CompletionResultType]::ParameterName, 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server''s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token')
            [CompletionResult]::new('--idp-client-id', '--idp-client-id', [CompletionResultType]::ParameterName, 'The bridge''s client id at the identity provider')
            [CompletionResult]::new('--idp-client-secret', '--idp-client-secret', [CompletionResultType]::ParameterName, 'The bridge''s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)')
            [CompletionResult]::new('--idp-id-token', '--idp-id-token', [CompletionResultType]::ParameterName, 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)')
            [CompletionResult]::new('--token-endpoint', '--token-endpoint', [CompletionResultType]::ParameterName, 'Use this token endpoint instead of the one the authorization server''s metadata names (or when it publishes none)')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'The resource indicator (RFC 8707) to ask tokens for, instead of the server''s canonical URL')
            [CompletionResult]::new('--callback-port', '--callback-port', [CompletionResultType]::ParameterName, 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)')
            [CompletionResult]::new('--auth-timeout', '--auth-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the sign-in in the browser before the pending request gets an error')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)')
            [CompletionResult]::new('--callback-path', '--callback-path', [CompletionResultType]::ParameterName, 'The path of the sign-in redirect URI')
            [CompletionResult]::new('--auth-success-url', '--auth-success-url', [CompletionResultType]::ParameterName, 'Send the browser to URL once signed in, instead of showing the bridge''s page (https, or http to loopback; no query or fragment)')
            [CompletionResult]::new('--authorize-param', '--authorize-param', [CompletionResultType]::ParameterName, 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent')
            [CompletionResult]::new('--ignore-tool', '--ignore-tool', [CompletionResultType]::ParameterName, 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused')
            [CompletionResult]::new('--allow-tool', '--allow-tool', [CompletionResultType]::ParameterName, 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them')
            [CompletionResult]::new('--pin-tools', '--pin-tools', [CompletionResultType]::ParameterName, 'What to do with a tool whose definition changed since it was first seen (pinned): warn (relay it, with a warning in the log and to the client), enforce (withhold it until `mcp-bridge tools accept`), or off')
            [CompletionResult]::new('--log-calls', '--log-calls', [CompletionResultType]::ParameterName, 'Append one JSON line to FILE per request the client sends and per answer: the time, the server, the method, the tool, resource or prompt, the duration, the outcome and the sizes. The file is made owner-only; one that cannot be written stops the start')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in FILE (PEM) as well as the platform''s store (repeatable; SSL_CERT_FILE is read the same way)')
            [CompletionResult]::new('--headers-timeout', '--headers-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a response''s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)')
            [CompletionResult]::new('--body-timeout', '--body-timeout', [CompletionResultType]::ParameterName, 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Write logs to FILE (appending) instead of stderr')
            [CompletionResult]::new('--keep-alive', '--keep-alive', [CompletionResultType]::ParameterName, 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)')
            [CompletionResult]::new('--allow-http', '--allow-http', [CompletionResultType]::ParameterName, 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)')
            [CompletionResult]::new('--allow-private-auth', '--allow-private-auth', [CompletionResultType]::ParameterName, 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network')
            [CompletionResult]::new('--device-code', '--device-code', [CompletionResultType]::ParameterName, 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr')
            [CompletionResult]::new('--client-credentials', '--client-credentials', [CompletionResultType]::ParameterName, 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; print the sign-in URL on stderr only')
            [CompletionResult]::new('--use-id-token', '--use-id-token', [CompletionResultType]::ParameterName, 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)')
            [CompletionResult]::new('--no-dpop', '--no-dpop', [CompletionResultType]::ParameterName, 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it')
            [CompletionResult]::new('--disable-resource-parameter', '--disable-resource-parameter', [CompletionResultType]::ParameterName, 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it')
            [CompletionResult]::new('--log-calls-full', '--log-calls-full', [CompletionResultType]::ParameterName, 'Also write each call''s arguments and each answer''s result (header values and the URL''s query values hidden)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)')
            [CompletionResult]::new('--enable-proxy', '--enable-proxy', [CompletionResultType]::ParameterName, 'Use the proxy the environment names: the default, accepted as mcp-remote spells it')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)')
            [CompletionResult]::new('--disable-cookies', '--disable-cookies', [CompletionResultType]::ParameterName, 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer''s affinity cookie keeps the session on its replica')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr: -v info (each message), -vv debug, -vvv trace')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does')
            [CompletionResult]::new('--silent', '--silent', [CompletionResultType]::ParameterName, 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mcp-bridge;tools;help' {
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Connect, and show each tool whose definition changed since it was pinned as a unified diff (pinned against now), with the tools new and gone; exits 0 when no tool changed, otherwise 1')
            [CompletionResult]::new('accept', 'accept', [CompletionResultType]::ParameterValue, 'Connect, and pin what the server says now: the named tools, or every one')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show the pinned tools, with when each was pinned (no connection)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-bridge;tools;help;diff' {
            break
        }
        'mcp-bridge;tools;help;accept' {
            break
        }
        'mcp-bridge;tools;help;list' {
            break
        }
        'mcp-bridge;tools;help;help' {
            break
        }
        'mcp-bridge;uninstall' {
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'The client')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Edit this file instead of the client''s own')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the change without writing it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mcp-bridge;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in to a server now (opening the browser if needed), store the tokens, and exit; later runs use them without a browser')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Connect to a server as a client would (signing in if needed) and print its name, version, protocol era, transport, tools, resources and prompts; exits 0 when the server answered. A health check')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Find what stands between this machine and a server: each link in order (URL, name, proxy, connection, TLS, the server''s answer, sign-in metadata, stored credentials, the MCP session, the clients'' configurations), a line each with ✓ or ✗, what was found and the fix. Exits 0 when every step passed, else the number of the first that failed. Opens no browser unless --sign-in; prints no secret')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Remove stored credentials for a server (every identity of that URL), or all')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'List servers with stored credentials: where they are kept and when the access token expires (never the tokens themselves)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions, e.g. `mcp-bridge completions bash > ~/.local/share/bash-completion/completions/mcp-bridge`')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), e.g. `mcp-bridge man > ~/.local/share/man/man1/mcp-bridge.1`')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Add a server to an MCP client''s configuration, run by this binary (its absolute path: no PATH and no npx at start), e.g. `mcp-bridge install --client claude-desktop docs https://example.com/mcp --header ''Authorization: Bearer ${TOKEN}''`. Other entries and the file''s formatting are kept; the old file is kept as FILE.bak')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Put a stdio MCP server on the network as a Streamable HTTP server (and HTTP+SSE at /sse), e.g. `mcp-bridge serve --port 8080 -- npx -y some-stdio-server`: a session per client, each with a server process of its own')
            [CompletionResult]::new('tools', 'tools', [CompletionResultType]::ParameterValue, 'See and approve changes to a server''s tools since they were pinned (first seen): `tools diff URL`, `tools accept URL [TOOL...]`, `tools list URL`')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove a server from an MCP client''s configuration')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcp-bridge;help;login' {
            break
        }
        'mcp-bridge;help;check' {
            break
        }
        'mcp-bridge;help;doctor' {
            break
        }
        'mcp-bridge;help;logout' {
            break
        }
        'mcp-bridge;help;status' {
            break
        }
        'mcp-bridge;help;completions' {
            break
        }
        'mcp-bridge;help;man' {
            break
        }
        'mcp-bridge;help;install' {
            break
        }
        'mcp-bridge;help;serve' {
            break
        }
        'mcp-bridge;help;tools' {
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Connect, and show each tool whose definition changed since it was pinned as a unified diff (pinned against now), with the tools new and gone; exits 0 when no tool changed, otherwise 1')
            [CompletionResult]::new('accept', 'accept', [CompletionResultType]::ParameterValue, 'Connect, and pin what the server says now: the named tools, or every one')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show the pinned tools, with when each was pinned (no connection)')
            break
        }
        'mcp-bridge;help;tools;diff' {
            break
        }
        'mcp-bridge;help;tools;accept' {
            break
        }
        'mcp-bridge;help;tools;list' {
            break
        }
        'mcp-bridge;help;uninstall' {
            break
        }
        'mcp-bridge;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
