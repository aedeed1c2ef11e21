# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mcp_bridge_global_optspecs
    string join \n H/header= header-file= transport= protocol= retry-timeout= start-timeout= request-timeout= connect-timeout= ping-interval= keep-alive allow-http max-message-size= allow-private-auth static-oauth-client-info= static-oauth-client-metadata= client-metadata-url= device-code client-credentials client-assertion-key= client-assertion-alg= jwt-bearer-assertion= idp-issuer= idp-client-id= idp-client-secret= idp-id-token= token-endpoint= resource= callback-port= auth-timeout= no-browser use-id-token no-dpop token-store= host= callback-path= auth-success-url= disable-resource-parameter authorize-param= ignore-tool= allow-tool= no-proxy enable-proxy ca-cert= ipv4 headers-timeout= body-timeout= disable-cookies v/verbose q/quiet log-file= debug silent h/help V/version
end

function __fish_mcp_bridge_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mcp_bridge_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mcp_bridge_using_subcommand
    set -l cmd (__fish_mcp_bridge_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -s H -l header -d 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l header-file -d 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l transport -d 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback' -r -f -a "http-first\t'Streamable HTTP; HTTP+SSE when the server refuses the POST with 400, 404 or 405'
sse-first\t'HTTP+SSE; Streamable HTTP when the SSE handshake fails'
http-only\t'Streamable HTTP only'
sse-only\t'HTTP+SSE only'"
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l protocol -d 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client\'s own handshake and never probes' -r -f -a "legacy\t'Relay the client\'s own handshake; never probe'
auto\t'Ask in 2026-07-28 first (`server/discover`) and use it when the server speaks it, translating for a handshake-era client; otherwise the handshake, over Streamable HTTP or HTTP+SSE. The era found is remembered for the next start'
modern\t'Speak only 2026-07-28; never fall back to the handshake'"
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l retry-timeout -d 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l start-timeout -d 'How long the client\'s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge\'s error; a server that comes up inside the window is still served' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l request-timeout -d 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l connect-timeout -d 'How long opening a connection to the server may take' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l ping-interval -d 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l max-message-size -d 'The largest message accepted in either direction, in bytes (suffixes K, M, G)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l static-oauth-client-info -d 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l static-oauth-client-metadata -d 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l client-metadata-url -d 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l client-assertion-key -d 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l client-assertion-alg -d 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key\'s own' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l jwt-bearer-assertion -d 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job\'s OIDC token). `${VAR}` is expanded' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l idp-issuer -d 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server\'s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l idp-client-id -d 'The bridge\'s client id at the identity provider' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l idp-client-secret -d 'The bridge\'s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l idp-id-token -d 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l token-endpoint -d 'Use this token endpoint instead of the one the authorization server\'s metadata names (or when it publishes none)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l resource -d 'The resource indicator (RFC 8707) to ask tokens for, instead of the server\'s canonical URL' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l callback-port -d 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l auth-timeout -d 'How long to wait for the sign-in in the browser before the pending request gets an error' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l token-store -d 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)' -r -f -a "keychain\t'The OS keychain'
file\t'An owner-only file in the data directory'"
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l host -d 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l callback-path -d 'The path of the sign-in redirect URI' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l auth-success-url -d 'Send the browser to URL once signed in, instead of showing the bridge\'s page (https, or http to loopback; no query or fragment)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l authorize-param -d 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l ignore-tool -d 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l allow-tool -d 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l ca-cert -d 'Trust the CA certificates in FILE (PEM) as well as the platform\'s store (repeatable; SSL_CERT_FILE is read the same way)' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l headers-timeout -d 'How long to wait for a response\'s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l body-timeout -d 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l log-file -d 'Write logs to FILE (appending) instead of stderr' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l keep-alive -d 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l allow-http -d 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l allow-private-auth -d 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l device-code -d 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l client-credentials -d 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l no-browser -d 'Do not open a browser; print the sign-in URL on stderr only'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l use-id-token -d 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l no-dpop -d 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l disable-resource-parameter -d 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l no-proxy -d 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l enable-proxy -d 'Use the proxy the environment names: the default, accepted as mcp-remote spells it'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l ipv4 -d 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l disable-cookies -d 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer\'s affinity cookie keeps the session on its replica'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -s v -l verbose -d 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -s q -l quiet -d 'Log only errors'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l debug -d 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -l silent -d 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -s V -l version -d 'Print version'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "login" -d 'Sign in to a server now (opening the browser if needed), store the tokens, and exit; later runs use them without a browser'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "check" -d 'Connect to a server as a client would (signing in if needed) and print its name, version, protocol era, transport, tools, resources and prompts; exits 0 when the server answered. A health check'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "doctor" -d 'Find what stands between this machine and a server: each link in order (URL, name, proxy, connection, TLS, the server\'s answer, sign-in metadata, stored credentials, the MCP session, the clients\' configurations), a line each with ✓ or ✗, what was found and the fix. Exits 0 when every step passed, else the number of the first that failed. Opens no browser unless --sign-in; prints no secret'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "logout" -d 'Remove stored credentials for a server (every identity of that URL), or all'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "status" -d 'List servers with stored credentials: where they are kept and when the access token expires (never the tokens themselves)'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "completions" -d 'Print shell completions, e.g. `mcp-bridge completions bash > ~/.local/share/bash-completion/completions/mcp-bridge`'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "man" -d 'Print the man page (roff), e.g. `mcp-bridge man > ~/.local/share/man/man1/mcp-bridge.1`'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "install" -d 'Add a server to an MCP client\'s configuration, run by this binary (its absolute path: no PATH and no npx at start), e.g. `mcp-bridge install --client claude-desktop docs https://example.com/mcp --header \'Authorization: Bearer ${TOKEN}\'`. Other entries and the file\'s formatting are kept; the old file is kept as FILE.bak'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "serve" -d 'Put a stdio MCP server on the network as a Streamable HTTP server (and HTTP+SSE at /sse), e.g. `mcp-bridge serve --port 8080 -- npx -y some-stdio-server`: a session per client, each with a server process of its own'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "uninstall" -d 'Remove a server from an MCP client\'s configuration'
complete -c mcp-bridge -n "__fish_mcp_bridge_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -s H -l header -d 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l header-file -d 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l transport -d 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback' -r -f -a "http-first\t'Streamable HTTP; HTTP+SSE when the server refuses the POST with 400, 404 or 405'
sse-first\t'HTTP+SSE; Streamable HTTP when the SSE handshake fails'
http-only\t'Streamable HTTP only'
sse-only\t'HTTP+SSE only'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l protocol -d 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client\'s own handshake and never probes' -r -f -a "legacy\t'Relay the client\'s own handshake; never probe'
auto\t'Ask in 2026-07-28 first (`server/discover`) and use it when the server speaks it, translating for a handshake-era client; otherwise the handshake, over Streamable HTTP or HTTP+SSE. The era found is remembered for the next start'
modern\t'Speak only 2026-07-28; never fall back to the handshake'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l retry-timeout -d 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l start-timeout -d 'How long the client\'s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge\'s error; a server that comes up inside the window is still served' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l request-timeout -d 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l connect-timeout -d 'How long opening a connection to the server may take' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l ping-interval -d 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l max-message-size -d 'The largest message accepted in either direction, in bytes (suffixes K, M, G)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l static-oauth-client-info -d 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l static-oauth-client-metadata -d 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l client-metadata-url -d 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l client-assertion-key -d 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l client-assertion-alg -d 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key\'s own' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l jwt-bearer-assertion -d 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job\'s OIDC token). `${VAR}` is expanded' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l idp-issuer -d 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server\'s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l idp-client-id -d 'The bridge\'s client id at the identity provider' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l idp-client-secret -d 'The bridge\'s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l idp-id-token -d 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l token-endpoint -d 'Use this token endpoint instead of the one the authorization server\'s metadata names (or when it publishes none)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l resource -d 'The resource indicator (RFC 8707) to ask tokens for, instead of the server\'s canonical URL' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l callback-port -d 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l auth-timeout -d 'How long to wait for the sign-in in the browser before the pending request gets an error' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l token-store -d 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)' -r -f -a "keychain\t'The OS keychain'
file\t'An owner-only file in the data directory'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l host -d 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l callback-path -d 'The path of the sign-in redirect URI' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l auth-success-url -d 'Send the browser to URL once signed in, instead of showing the bridge\'s page (https, or http to loopback; no query or fragment)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l authorize-param -d 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l ignore-tool -d 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l allow-tool -d 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l ca-cert -d 'Trust the CA certificates in FILE (PEM) as well as the platform\'s store (repeatable; SSL_CERT_FILE is read the same way)' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l headers-timeout -d 'How long to wait for a response\'s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l body-timeout -d 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l log-file -d 'Write logs to FILE (appending) instead of stderr' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l keep-alive -d 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l allow-http -d 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l allow-private-auth -d 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l device-code -d 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l client-credentials -d 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l no-browser -d 'Do not open a browser; print the sign-in URL on stderr only'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l use-id-token -d 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l no-dpop -d 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l disable-resource-parameter -d 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l no-proxy -d 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l enable-proxy -d 'Use the proxy the environment names: the default, accepted as mcp-remote spells it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l ipv4 -d 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l disable-cookies -d 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer\'s affinity cookie keeps the session on its replica'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -s v -l verbose -d 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -s q -l quiet -d 'Log only errors'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l debug -d 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -l silent -d 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l timeout -d 'How long each list request may take' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -s H -l header -d 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l header-file -d 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l transport -d 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback' -r -f -a "http-first\t'Streamable HTTP; HTTP+SSE when the server refuses the POST with 400, 404 or 405'
sse-first\t'HTTP+SSE; Streamable HTTP when the SSE handshake fails'
http-only\t'Streamable HTTP only'
sse-only\t'HTTP+SSE only'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l protocol -d 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client\'s own handshake and never probes' -r -f -a "legacy\t'Relay the client\'s own handshake; never probe'
auto\t'Ask in 2026-07-28 first (`server/discover`) and use it when the server speaks it, translating for a handshake-era client; otherwise the handshake, over Streamable HTTP or HTTP+SSE. The era found is remembered for the next start'
modern\t'Speak only 2026-07-28; never fall back to the handshake'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l retry-timeout -d 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l start-timeout -d 'How long the client\'s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge\'s error; a server that comes up inside the window is still served' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l request-timeout -d 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l connect-timeout -d 'How long opening a connection to the server may take' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l ping-interval -d 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l max-message-size -d 'The largest message accepted in either direction, in bytes (suffixes K, M, G)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l static-oauth-client-info -d 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l static-oauth-client-metadata -d 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l client-metadata-url -d 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l client-assertion-key -d 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l client-assertion-alg -d 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key\'s own' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l jwt-bearer-assertion -d 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job\'s OIDC token). `${VAR}` is expanded' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l idp-issuer -d 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server\'s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l idp-client-id -d 'The bridge\'s client id at the identity provider' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l idp-client-secret -d 'The bridge\'s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l idp-id-token -d 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l token-endpoint -d 'Use this token endpoint instead of the one the authorization server\'s metadata names (or when it publishes none)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l resource -d 'The resource indicator (RFC 8707) to ask tokens for, instead of the server\'s canonical URL' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l callback-port -d 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l auth-timeout -d 'How long to wait for the sign-in in the browser before the pending request gets an error' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l token-store -d 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)' -r -f -a "keychain\t'The OS keychain'
file\t'An owner-only file in the data directory'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l host -d 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l callback-path -d 'The path of the sign-in redirect URI' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l auth-success-url -d 'Send the browser to URL once signed in, instead of showing the bridge\'s page (https, or http to loopback; no query or fragment)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l authorize-param -d 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l ignore-tool -d 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l allow-tool -d 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l ca-cert -d 'Trust the CA certificates in FILE (PEM) as well as the platform\'s store (repeatable; SSL_CERT_FILE is read the same way)' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l headers-timeout -d 'How long to wait for a response\'s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l body-timeout -d 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l log-file -d 'Write logs to FILE (appending) instead of stderr' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l json -d 'Print JSON (the server\'s own objects, for scripts) instead of tables'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l keep-alive -d 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l allow-http -d 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l allow-private-auth -d 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l device-code -d 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l client-credentials -d 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l no-browser -d 'Do not open a browser; print the sign-in URL on stderr only'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l use-id-token -d 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l no-dpop -d 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l disable-resource-parameter -d 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l no-proxy -d 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l enable-proxy -d 'Use the proxy the environment names: the default, accepted as mcp-remote spells it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l ipv4 -d 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l disable-cookies -d 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer\'s affinity cookie keeps the session on its replica'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -s v -l verbose -d 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -s q -l quiet -d 'Log only errors'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l debug -d 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -l silent -d 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -s H -l header -d 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l header-file -d 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l transport -d 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback' -r -f -a "http-first\t'Streamable HTTP; HTTP+SSE when the server refuses the POST with 400, 404 or 405'
sse-first\t'HTTP+SSE; Streamable HTTP when the SSE handshake fails'
http-only\t'Streamable HTTP only'
sse-only\t'HTTP+SSE only'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l protocol -d 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client\'s own handshake and never probes' -r -f -a "legacy\t'Relay the client\'s own handshake; never probe'
auto\t'Ask in 2026-07-28 first (`server/discover`) and use it when the server speaks it, translating for a handshake-era client; otherwise the handshake, over Streamable HTTP or HTTP+SSE. The era found is remembered for the next start'
modern\t'Speak only 2026-07-28; never fall back to the handshake'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l retry-timeout -d 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l start-timeout -d 'How long the client\'s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge\'s error; a server that comes up inside the window is still served' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l request-timeout -d 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l connect-timeout -d 'How long opening a connection to the server may take' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l ping-interval -d 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l max-message-size -d 'The largest message accepted in either direction, in bytes (suffixes K, M, G)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l static-oauth-client-info -d 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l static-oauth-client-metadata -d 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l client-metadata-url -d 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l client-assertion-key -d 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l client-assertion-alg -d 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key\'s own' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l jwt-bearer-assertion -d 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job\'s OIDC token). `${VAR}` is expanded' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l idp-issuer -d 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server\'s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l idp-client-id -d 'The bridge\'s client id at the identity provider' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l idp-client-secret -d 'The bridge\'s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l idp-id-token -d 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l token-endpoint -d 'Use this token endpoint instead of the one the authorization server\'s metadata names (or when it publishes none)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l resource -d 'The resource indicator (RFC 8707) to ask tokens for, instead of the server\'s canonical URL' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l callback-port -d 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l auth-timeout -d 'How long to wait for the sign-in in the browser before the pending request gets an error' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l token-store -d 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)' -r -f -a "keychain\t'The OS keychain'
file\t'An owner-only file in the data directory'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l host -d 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l callback-path -d 'The path of the sign-in redirect URI' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l auth-success-url -d 'Send the browser to URL once signed in, instead of showing the bridge\'s page (https, or http to loopback; no query or fragment)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l authorize-param -d 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l ignore-tool -d 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l allow-tool -d 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l ca-cert -d 'Trust the CA certificates in FILE (PEM) as well as the platform\'s store (repeatable; SSL_CERT_FILE is read the same way)' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l headers-timeout -d 'How long to wait for a response\'s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l body-timeout -d 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l log-file -d 'Write logs to FILE (appending) instead of stderr' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l json -d 'Print JSON (the same steps, as data)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l sign-in -d 'Sign in in the browser when the server asks and nothing stored works (otherwise that step fails and says how)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l keep-alive -d 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l allow-http -d 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l allow-private-auth -d 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l device-code -d 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l client-credentials -d 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l no-browser -d 'Do not open a browser; print the sign-in URL on stderr only'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l use-id-token -d 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l no-dpop -d 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l disable-resource-parameter -d 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l no-proxy -d 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l enable-proxy -d 'Use the proxy the environment names: the default, accepted as mcp-remote spells it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l ipv4 -d 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l disable-cookies -d 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer\'s affinity cookie keeps the session on its replica'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -s v -l verbose -d 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -s q -l quiet -d 'Log only errors'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l debug -d 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -l silent -d 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand logout" -l all -d 'Remove every stored credential'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand logout" -s h -l help -d 'Print help'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand status" -s h -l help -d 'Print help'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand man" -s h -l help -d 'Print help'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand install" -l client -d 'The client' -r -f -a "claude-desktop\t'Claude Desktop (claude_desktop_config.json)'
claude-code\t'Claude Code, user scope (~/.claude.json)'
cursor\t'Cursor (~/.cursor/mcp.json)'
vscode\t'VS Code, user profile (mcp.json)'
windsurf\t'Windsurf (~/.codeium/windsurf/mcp_config.json)'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand install" -l config -d 'Edit this file instead of the client\'s own' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand install" -l force -d 'Replace an entry of the same name'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand install" -l dry-run -d 'Print the change without writing it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l host -d 'The address to listen on: loopback by default; 0.0.0.0 (or a host\'s address) to be reached from other machines' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -s p -l port -d 'The port to listen on' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l path -d 'The path of the MCP endpoint' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l config -d 'Serve every stdio server of FILE, the mcpServers JSON that MCP clients use, each at /servers/NAME/mcp (with /servers listing them), instead of COMMAND. SIGHUP reads it again: servers added, changed or removed are started, restarted or ended; the others\' sessions go on' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l allow-origin -d 'Accept requests a browser sends from this origin (e.g. https://app.example.com; repeatable). Others are refused with 403' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l env -d 'Set KEY=VALUE in the server process\'s environment (repeatable); nothing from an HTTP request ever reaches it' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l max-message-size -d 'The largest message accepted in either direction, in bytes (suffixes K, M, G)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l max-sessions -d 'How many sessions may be open at once; past it, 503 with Retry-After' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l idle-timeout -d 'End a session (and its server process) idle this long' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l drain-timeout -d 'At shutdown, how long requests in flight may take to finish' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l bearer-token-file -d 'Require `Authorization: Bearer KEY` with one of the keys in FILE (one a line; # starts a comment); anything else gets 401. Keep the file readable by its owner only' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l auth-issuer -d 'Accept access tokens (JWTs) this OAuth authorization server signs for this server (repeatable); its keys come from its metadata. Clients find it in /.well-known/oauth-protected-resource' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l introspection-url -d 'Ask this OAuth introspection endpoint (RFC 7662) about tokens that are not JWTs (or about every token, with no --auth-issuer), as the client --introspection-client-id' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l introspection-client-id -d 'This server\'s client id at the introspection endpoint' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l introspection-client-secret -d 'Its client secret (VALUE or @FILE; `${VAR}` is expanded)' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l public-url -d 'The URL clients reach this server by, when it is not the address it listens on (behind a proxy or TLS): its resource identifier and metadata are made from it' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l trusted-proxy -d 'Believe X-Forwarded-For/-Proto/-Host/-Prefix and Forwarded (RFC 7239) from this address or network (e.g. 10.0.0.0/8; repeatable): the client\'s address for the log and, without --public-url, the URL clients used. From anyone else they are ignored' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l replica -d 'This replica\'s name, which starts every session id it makes (NAME.random), so that a load balancer routes a session\'s requests to the replica that holds it by the Mcp-Session-Id prefix' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l audience -d 'The audience tokens must name [default: the public URL and --path]' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l require-scope -d 'A scope every token must grant (repeatable); without it, 403 insufficient_scope' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l tool-scope -d 'The scope a call of TOOL needs (repeatable); without it, 403 insufficient_scope naming it, so that the client can step up' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l pass-claims-env -d 'Give each session\'s server process the token\'s CLAIM as the environment variable VAR (repeatable; e.g. sub=MCP_USER). Not with --shared, whose one process serves everyone' -r
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l log-file -d 'Write logs to FILE (appending) instead of stderr' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l shared -d 'Run one server process for every session, instead of one each (for a server too heavy to start per client): ids are remapped so that answers never cross, and the server sees the first client\'s initialize only'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -s v -l verbose -d 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -s q -l quiet -d 'Log only errors'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l debug -d 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -l silent -d 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand serve" -s h -l help -d 'Print help'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand uninstall" -l client -d 'The client' -r -f -a "claude-desktop\t'Claude Desktop (claude_desktop_config.json)'
claude-code\t'Claude Code, user scope (~/.claude.json)'
cursor\t'Cursor (~/.cursor/mcp.json)'
vscode\t'VS Code, user profile (mcp.json)'
windsurf\t'Windsurf (~/.codeium/windsurf/mcp_config.json)'"
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand uninstall" -l config -d 'Edit this file instead of the client\'s own' -r -F
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand uninstall" -l dry-run -d 'Print the change without writing it'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand uninstall" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "login" -d 'Sign in to a server now (opening the browser if needed), store the tokens, and exit; later runs use them without a browser'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "check" -d 'Connect to a server as a client would (signing in if needed) and print its name, version, protocol era, transport, tools, resources and prompts; exits 0 when the server answered. A health check'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "doctor" -d 'Find what stands between this machine and a server: each link in order (URL, name, proxy, connection, TLS, the server\'s answer, sign-in metadata, stored credentials, the MCP session, the clients\' configurations), a line each with ✓ or ✗, what was found and the fix. Exits 0 when every step passed, else the number of the first that failed. Opens no browser unless --sign-in; prints no secret'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "logout" -d 'Remove stored credentials for a server (every identity of that URL), or all'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "status" -d 'List servers with stored credentials: where they are kept and when the access token expires (never the tokens themselves)'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "completions" -d 'Print shell completions, e.g. `mcp-bridge completions bash > ~/.local/share/bash-completion/completions/mcp-bridge`'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "man" -d 'Print the man page (roff), e.g. `mcp-bridge man > ~/.local/share/man/man1/mcp-bridge.1`'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "install" -d 'Add a server to an MCP client\'s configuration, run by this binary (its absolute path: no PATH and no npx at start), e.g. `mcp-bridge install --client claude-desktop docs https://example.com/mcp --header \'Authorization: Bearer ${TOKEN}\'`. Other entries and the file\'s formatting are kept; the old file is kept as FILE.bak'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "serve" -d 'Put a stdio MCP server on the network as a Streamable HTTP server (and HTTP+SSE at /sse), e.g. `mcp-bridge serve --port 8080 -- npx -y some-stdio-server`: a session per client, each with a server process of its own'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "uninstall" -d 'Remove a server from an MCP client\'s configuration'
complete -c mcp-bridge -n "__fish_mcp_bridge_using_subcommand help; and not __fish_seen_subcommand_from login check doctor logout status completions man install serve uninstall help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
