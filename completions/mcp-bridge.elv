
use builtin;
use str;

set edit:completion:arg-completer[mcp-bridge] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mcp-bridge'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mcp-bridge'= {
            cand -H 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment'
            cand --header 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment'
            cand --header-file 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded'
            cand --transport 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback'
            cand --protocol 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client''s own handshake and never probes'
            cand --retry-timeout 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error'
            cand --start-timeout 'How long the client''s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge''s error; a server that comes up inside the window is still served'
            cand --request-timeout 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal'
            cand --connect-timeout 'How long opening a connection to the server may take'
            cand --ping-interval 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default'
            cand --max-message-size 'The largest message accepted in either direction, in bytes (suffixes K, M, G)'
            cand --log-file 'Write logs to FILE (appending) instead of stderr'
            cand --static-oauth-client-info 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)'
            cand --static-oauth-client-metadata 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})'
            cand --client-metadata-url 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them'
            cand --client-assertion-key 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret'
            cand --client-assertion-alg 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key''s own'
            cand --jwt-bearer-assertion 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job''s OIDC token). `${VAR}` is expanded'
            cand --idp-issuer 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server''s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token'
            cand --idp-client-id 'The bridge''s client id at the identity provider'
            cand --idp-client-secret 'The bridge''s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)'
            cand --idp-id-token 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)'
            cand --token-endpoint 'Use this token endpoint instead of the one the authorization server''s metadata names (or when it publishes none)'
            cand --resource 'The resource indicator (RFC 8707) to ask tokens for, instead of the server''s canonical URL'
            cand --callback-port 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)'
            cand --auth-timeout 'How long to wait for the sign-in in the browser before the pending request gets an error'
            cand --token-store 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)'
            cand --host 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)'
            cand --callback-path 'The path of the sign-in redirect URI'
            cand --auth-success-url 'Send the browser to URL once signed in, instead of showing the bridge''s page (https, or http to loopback; no query or fragment)'
            cand --authorize-param 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent'
            cand --ignore-tool 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused'
            cand --allow-tool 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them'
            cand --ca-cert 'Trust the CA certificates in FILE (PEM) as well as the platform''s store (repeatable; SSL_CERT_FILE is read the same way)'
            cand --headers-timeout 'How long to wait for a response''s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)'
            cand --body-timeout 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit'
            cand --keep-alive 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)'
            cand --allow-http 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)'
            cand --allow-private-auth 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network'
            cand -v 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
            cand --verbose 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
            cand -q 'Log only errors'
            cand --quiet 'Log only errors'
            cand --device-code 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr'
            cand --client-credentials 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key'
            cand --no-browser 'Do not open a browser; print the sign-in URL on stderr only'
            cand --use-id-token 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)'
            cand --no-dpop 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it'
            cand --disable-resource-parameter 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it'
            cand --no-proxy 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)'
            cand --enable-proxy 'Use the proxy the environment names: the default, accepted as mcp-remote spells it'
            cand --ipv4 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)'
            cand --debug 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does'
            cand --silent 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)'
            cand --disable-cookies 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer''s affinity cookie keeps the session on its replica'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Sign in to a server now (opening the browser if needed), store the tokens, and exit; later runs use them without a browser'
            cand check 'Connect to a server as a client would (signing in if needed) and print its name, version, protocol era, transport, tools, resources and prompts; exits 0 when the server answered. A health check'
            cand logout 'Remove stored credentials for a server (every identity of that URL), or all'
            cand status 'List servers with stored credentials: where they are kept and when the access token expires (never the tokens themselves)'
            cand completions 'Print shell completions, e.g. `mcp-bridge completions bash > ~/.local/share/bash-completion/completions/mcp-bridge`'
            cand man 'Print the man page (roff), e.g. `mcp-bridge man > ~/.local/share/man/man1/mcp-bridge.1`'
            cand install 'Add a server to an MCP client''s configuration, run by this binary (its absolute path: no PATH and no npx at start), e.g. `mcp-bridge install --client claude-desktop docs https://example.com/mcp --header ''Authorization: Bearer ${TOKEN}''`. Other entries and the file''s formatting are kept; the old file is kept as FILE.bak'
            cand uninstall 'Remove a server from an MCP client''s configuration'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-bridge;login'= {
            cand -H 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment'
            cand --header 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment'
            cand --header-file 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded'
            cand --transport 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback'
            cand --protocol 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client''s own handshake and never probes'
            cand --retry-timeout 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error'
            cand --start-timeout 'How long the client''s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge''s error; a server that comes up inside the window is still served'
            cand --request-timeout 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal'
            cand --connect-timeout 'How long opening a connection to the server may take'
            cand --ping-interval 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default'
            cand --max-message-size 'The largest message accepted in either direction, in bytes (suffixes K, M, G)'
            cand --log-file 'Write logs to FILE (appending) instead of stderr'
            cand --static-oauth-client-info 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)'
            cand --static-oauth-client-metadata 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})'
            cand --client-metadata-url 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them'
            cand --client-assertion-key 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret'
            cand --client-assertion-alg 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key''s own'
            cand --jwt-bearer-assertion 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job''s OIDC token). `${VAR}` is expanded'
            cand --idp-issuer 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server''s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token'
            cand --idp-client-id 'The bridge''s client id at the identity provider'
            cand --idp-client-secret 'The bridge''s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)'
            cand --idp-id-token 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)'
            cand --token-endpoint 'Use this token endpoint instead of the one the authorization server''s metadata names (or when it publishes none)'
            cand --resource 'The resource indicator (RFC 8707) to ask tokens for, instead of the server''s canonical URL'
            cand --callback-port 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)'
            cand --auth-timeout 'How long to wait for the sign-in in the browser before the pending request gets an error'
            cand --token-store 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)'
            cand --host 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)'
            cand --callback-path 'The path of the sign-in redirect URI'
            cand --auth-success-url 'Send the browser to URL once signed in, instead of showing the bridge''s page (https, or http to loopback; no query or fragment)'
            cand --authorize-param 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent'
            cand --ignore-tool 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused'
            cand --allow-tool 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them'
            cand --ca-cert 'Trust the CA certificates in FILE (PEM) as well as the platform''s store (repeatable; SSL_CERT_FILE is read the same way)'
            cand --headers-timeout 'How long to wait for a response''s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)'
            cand --body-timeout 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit'
            cand --keep-alive 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)'
            cand --allow-http 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)'
            cand --allow-private-auth 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network'
            cand -v 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
            cand --verbose 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
            cand -q 'Log only errors'
            cand --quiet 'Log only errors'
            cand --device-code 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr'
            cand --client-credentials 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key'
            cand --no-browser 'Do not open a browser; print the sign-in URL on stderr only'
            cand --use-id-token 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)'
            cand --no-dpop 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it'
            cand --disable-resource-parameter 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it'
            cand --no-proxy 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)'
            cand --enable-proxy 'Use the proxy the environment names: the default, accepted as mcp-remote spells it'
            cand --ipv4 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)'
            cand --debug 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does'
            cand --silent 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)'
            cand --disable-cookies 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer''s affinity cookie keeps the session on its replica'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mcp-bridge;check'= {
            cand --timeout 'How long each list request may take'
            cand -H 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment'
            cand --header 'Add an HTTP header to every request, as "Name: value" (repeatable). ${VAR} in the value is taken from the environment'
            cand --header-file 'Read headers from FILE, one "Name: value" a line, # for comments (keeps secrets out of the process list). ${VAR} is expanded'
            cand --transport 'Which transport to use: Streamable HTTP, the older HTTP+SSE, or one first with the other as a fallback'
            cand --protocol 'Protocol eras: `auto` also reaches servers that speak only 2026-07-28 (probing with server/discover when the client initializes); `legacy` relays the client''s own handshake and never probes'
            cand --retry-timeout 'How long a message waits, retrying with backoff, while the server cannot be reached (at start or later), or answers 429 or 503 (after its Retry-After, at most 30 s a wait), before it is answered with an error'
            cand --start-timeout 'How long the client''s first initialize waits while no connection to the server can be opened, before it is answered with the reason (at most --retry-timeout). Short, because clients give a server about 30 s to start and then show their own timeout instead of the bridge''s error; a server that comes up inside the window is still served'
            cand --request-timeout 'How long one request may wait for its answer before the client gets an error (and the server a cancellation). 0, the default, means no limit: long tool calls are normal'
            cand --connect-timeout 'How long opening a connection to the server may take'
            cand --ping-interval 'Ping the server every SECONDS (answers are not forwarded to the client), so that idle connections stay open and a dead one is noticed and reconnected. Off by default'
            cand --max-message-size 'The largest message accepted in either direction, in bytes (suffixes K, M, G)'
            cand --log-file 'Write logs to FILE (appending) instead of stderr'
            cand --static-oauth-client-info 'A pre-registered OAuth client, as JSON or @file: {"client_id": ..., "client_secret": ...} (skips dynamic registration)'
            cand --static-oauth-client-metadata 'Extra client metadata for dynamic registration, as JSON or @file (e.g. {"scope": "read write"})'
            cand --client-metadata-url 'An https URL of a Client ID Metadata Document to use as the client id where the authorization server supports them'
            cand --client-assertion-key 'Authenticate the client with a JWT signed by this key (PKCS#8 PEM file; private_key_jwt, RFC 7523) instead of a client secret'
            cand --client-assertion-alg 'The signing algorithm of --client-assertion-key (ES256, EdDSA, RS256); by default the key''s own'
            cand --jwt-bearer-assertion 'Get tokens with the jwt-bearer grant (RFC 7523) from this externally issued JWT, or from @FILE, read again for every token request so a rotated token is picked up (a Kubernetes service-account token, a CI job''s OIDC token). `${VAR}` is expanded'
            cand --idp-issuer 'Enterprise-managed authorization (SEP-990): the issuer of your identity provider, which vouches for you to the MCP server''s authorization server (with --idp-client-id). You sign in there in the browser (OpenID Connect; the sign-in is kept and renewed) unless --idp-id-token hands in an ID token'
            cand --idp-client-id 'The bridge''s client id at the identity provider'
            cand --idp-client-secret 'The bridge''s client secret at the identity provider, if it wants one (VALUE or @FILE; `${VAR}` is expanded)'
            cand --idp-id-token 'An ID token from the identity provider, for automation, instead of signing in there in the browser (VALUE or @FILE, read again for every token request)'
            cand --token-endpoint 'Use this token endpoint instead of the one the authorization server''s metadata names (or when it publishes none)'
            cand --resource 'The resource indicator (RFC 8707) to ask tokens for, instead of the server''s canonical URL'
            cand --callback-port 'The 127.0.0.1 port for the sign-in callback (default: one derived from the server, so the redirect URI stays the same across runs)'
            cand --auth-timeout 'How long to wait for the sign-in in the browser before the pending request gets an error'
            cand --token-store 'Where to keep tokens: the OS keychain or owner-only files (default: the keychain when one is available, else files)'
            cand --host 'The host name in the sign-in redirect URI, e.g. localhost (the listener stays on 127.0.0.1 whatever it says)'
            cand --callback-path 'The path of the sign-in redirect URI'
            cand --auth-success-url 'Send the browser to URL once signed in, instead of showing the bridge''s page (https, or http to loopback; no query or fragment)'
            cand --authorize-param 'Add KEY=VALUE to the authorization URL (repeatable), e.g. audience=https://api.example.com or prompt=consent'
            cand --ignore-tool 'Hide tools whose names match GLOB (`*` matches anything, case does not matter; repeatable): left out of tools/list, calls refused'
            cand --allow-tool 'Offer only tools whose names match GLOB (repeatable); --ignore-tool still applies to them'
            cand --ca-cert 'Trust the CA certificates in FILE (PEM) as well as the platform''s store (repeatable; SSL_CERT_FILE is read the same way)'
            cand --headers-timeout 'How long to wait for a response''s headers after sending a request; 0, the default, means no limit (some servers answer only when a long tool call is done)'
            cand --body-timeout 'How long a response may go without sending anything before the connection is treated as dead (and streams are resumed); 0, the default, means no limit'
            cand --json 'Print JSON (the server''s own objects, for scripts) instead of tables'
            cand --keep-alive 'Ping every 30 s, or every --ping-interval when that is given too (as mcp-remote reads the pair)'
            cand --allow-http 'Allow plain http to hosts other than loopback (tokens then travel unencrypted)'
            cand --allow-private-auth 'Let sign-in requests (metadata, registration, tokens) reach private, link-local and loopback addresses even when the MCP server is not on one: for an authorization server inside the network'
            cand -v 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
            cand --verbose 'More logging on stderr: -v info (each message), -vv debug, -vvv trace'
            cand -q 'Log only errors'
            cand --quiet 'Log only errors'
            cand --device-code 'Sign in with the device authorization grant (RFC 8628): approve on any device with a browser, with the code printed on stderr'
            cand --client-credentials 'Get tokens with the OAuth client credentials grant (no browser), as the client from --static-oauth-client-info, authenticated by its client_secret or by --client-assertion-key'
            cand --no-browser 'Do not open a browser; print the sign-in URL on stderr only'
            cand --use-id-token 'Send the OpenID Connect ID token from the token response instead of the access token, for servers that want that (ask for the openid scope)'
            cand --no-dpop 'Never bind tokens to a key (DPoP, RFC 9449), even where both the authorization server and the MCP server take it'
            cand --disable-resource-parameter 'Leave the resource indicator (RFC 8707) out of the authorization and token requests, for authorization servers that refuse it'
            cand --no-proxy 'Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are honoured by default; loopback is never proxied)'
            cand --enable-proxy 'Use the proxy the environment names: the default, accepted as mcp-remote spells it'
            cand --ipv4 'Connect over IPv4 only (for networks where IPv6 routes go nowhere)'
            cand --debug 'Also write a debug log for this server to its own file (the path is printed on stderr), as mcp-remote does'
            cand --silent 'Write nothing on stderr except a sign-in prompt (--debug still writes its file)'
            cand --disable-cookies 'Keep no cookies from the MCP server. By default they are kept in memory for the run (never on disk, never sent to another origin), so that a load balancer''s affinity cookie keeps the session on its replica'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mcp-bridge;logout'= {
            cand --all 'Remove every stored credential'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-bridge;status'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-bridge;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-bridge;man'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mcp-bridge;install'= {
            cand --client 'The client'
            cand --config 'Edit this file instead of the client''s own'
            cand --force 'Replace an entry of the same name'
            cand --dry-run 'Print the change without writing it'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mcp-bridge;uninstall'= {
            cand --client 'The client'
            cand --config 'Edit this file instead of the client''s own'
            cand --dry-run 'Print the change without writing it'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mcp-bridge;help'= {
            cand login 'Sign in to a server now (opening the browser if needed), store the tokens, and exit; later runs use them without a browser'
            cand check 'Connect to a server as a client would (signing in if needed) and print its name, version, protocol era, transport, tools, resources and prompts; exits 0 when the server answered. A health check'
            cand logout 'Remove stored credentials for a server (every identity of that URL), or all'
            cand status 'List servers with stored credentials: where they are kept and when the access token expires (never the tokens themselves)'
            cand completions 'Print shell completions, e.g. `mcp-bridge completions bash > ~/.local/share/bash-completion/completions/mcp-bridge`'
            cand man 'Print the man page (roff), e.g. `mcp-bridge man > ~/.local/share/man/man1/mcp-bridge.1`'
            cand install 'Add a server to an MCP client''s configuration, run by this binary (its absolute path: no PATH and no npx at start), e.g. `mcp-bridge install --client claude-desktop docs https://example.com/mcp --header ''Authorization: Bearer ${TOKEN}''`. Other entries and the file''s formatting are kept; the old file is kept as FILE.bak'
            cand uninstall 'Remove a server from an MCP client''s configuration'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcp-bridge;help;login'= {
        }
        &'mcp-bridge;help;check'= {
        }
        &'mcp-bridge;help;logout'= {
        }
        &'mcp-bridge;help;status'= {
        }
        &'mcp-bridge;help;completions'= {
        }
        &'mcp-bridge;help;man'= {
        }
        &'mcp-bridge;help;install'= {
        }
        &'mcp-bridge;help;uninstall'= {
        }
        &'mcp-bridge;help;help'= {
        }
    ]
    $completions[$command]
}
