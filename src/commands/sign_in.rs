//! The sign-in settings, built from the command line in this one place for
//! every subcommand that connects (`run`, `login`, `check`, `doctor`, the
//! detached sign-in): the sign-in group of options, with the connection's
//! `--allow-http`, the network's `--headers-timeout`, and the headers,
//! which say who a token is for.

use crate::auth;
use crate::auth::store::Client;
use crate::cli::Options;
use crate::commands::Failure;
use crate::secret::Secret;
use crate::text::Chain;
use reqwest::header::{HeaderMap, AUTHORIZATION};
use serde_json::Value;

/// Largest `@file` read for a JSON option.
const JSON_FILE_LIMIT: u64 = 64 * 1024;

/// The sign-in settings for `url`.
pub fn settings(
    url: &url::Url,
    port: Option<u16>,
    opts: &Options,
    headers: &HeaderMap,
) -> Result<auth::Settings, Failure> {
    let static_client = opts
        .sign_in
        .static_oauth_client_info
        .as_ref()
        .map(Secret::expose)
        .map(|s| json_option("--static-oauth-client-info", s))
        .transpose()?
        .map(|v| static_client(&v))
        .transpose()?;
    let client_metadata = opts
        .sign_in
        .static_oauth_client_metadata
        .as_deref()
        .map(|s| json_option("--static-oauth-client-metadata", s))
        .transpose()?;
    if let Some(u) = &opts.sign_in.client_metadata_url {
        let parsed = url::Url::parse(u)
            .map_err(|e| format!("--client-metadata-url {u:?}: {e}", e = Chain(&e)))?;
        if parsed.scheme() != "https" || parsed.path() == "/" {
            return Err(
                format!("--client-metadata-url {u:?} must be an https URL with a path").into(),
            );
        }
    }
    // As mcp-remote: an empty --resource leaves the parameter out too.
    let resource = opts
        .sign_in
        .resource
        .clone()
        .filter(|r| !r.trim().is_empty());
    let resource_parameter = !opts.sign_in.disable_resource_parameter
        && (opts.sign_in.resource.is_none() || resource.is_some());
    if let Some(r) = &resource {
        url::Url::parse(r)
            .map_err(|e| format!("--resource {r:?} is not a URL: {e}", e = Chain(&e)))?;
    }
    let success_url = opts
        .sign_in
        .auth_success_url
        .as_deref()
        .map(|u| success_url(u, opts.connection.allow_http))
        .transpose()?;
    let redirect = auth::callback::Redirect {
        host: auth::callback::check_host(&opts.sign_in.host)?,
        path: auth::callback::check_path(&opts.sign_in.callback_path)?,
        success_url,
    };
    // Headers other than the user's own Authorization change who a token is
    // for (a tenant, an account), so they are part of the key.
    let mut identity: Vec<String> = headers
        .iter()
        .filter(|(n, _)| *n != AUTHORIZATION)
        .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect();
    identity.sort();
    let grant = grant_mode(opts, static_client.as_ref())?;
    let assertion_key = opts
        .sign_in
        .client_assertion_key
        .as_deref()
        .map(|p| assertion_key(p, opts.sign_in.client_assertion_alg.as_deref()))
        .transpose()?;
    if assertion_key.is_some() && static_client.is_none() {
        return Err(
            "--client-assertion-key needs the client it signs for: --static-oauth-client-info '{\"client_id\": \"...\"}'"
                .into(),
        );
    }
    let token_endpoint = opts
        .sign_in
        .token_endpoint
        .as_deref()
        .map(|u| {
            crate::auth::discovery::check_server_url(
                u,
                "--token-endpoint",
                opts.connection.allow_http,
            )
        })
        .transpose()?;
    Ok(auth::Settings {
        device_when_headless: false,
        paste_back: false,
        use_id_token: opts.sign_in.use_id_token,
        dpop: !opts.sign_in.no_dpop,
        grant,
        assertion_key,
        token_endpoint,
        server: url.clone().into(),
        enabled: !headers.contains_key(AUTHORIZATION),
        identity: identity.join("\n"),
        resource,
        static_client,
        client_metadata,
        client_metadata_url: opts.sign_in.client_metadata_url.clone(),
        callback_port: port.or(opts.sign_in.callback_port),
        auth_timeout: opts.sign_in.auth_timeout,
        browser: !opts.sign_in.no_browser,
        store: opts.sign_in.token_store.map(Into::into),
        allow_http: opts.connection.allow_http,
        redirect,
        authorize_params: opts.sign_in.authorize_param.clone(),
        resource_parameter,
        headers_timeout: opts.network.headers_limit(),
        detach: None,
        interactive: true,
    })
}

/// Which grant the options ask for.
fn grant_mode(opts: &Options, client: Option<&Client>) -> Result<auth::GrantMode, Failure> {
    if opts.sign_in.client_credentials {
        let Some(c) = client else {
            return Err("--client-credentials needs the client: --static-oauth-client-info '{\"client_id\": \"...\", \"client_secret\": \"...\"}' (or a --client-assertion-key instead of the secret)".into());
        };
        if c.client_secret.is_none() && opts.sign_in.client_assertion_key.is_none() {
            return Err("--client-credentials needs a client_secret in --static-oauth-client-info, or --client-assertion-key".into());
        }
        return Ok(auth::GrantMode::ClientCredentials);
    }
    if opts.sign_in.device_code {
        return Ok(auth::GrantMode::DeviceCode);
    }
    if let Some(raw) = &opts.sign_in.jwt_bearer_assertion {
        return Ok(auth::GrantMode::JwtBearer(assertion(
            "--jwt-bearer-assertion",
            raw.expose(),
        )?));
    }
    if let Some(issuer) = &opts.sign_in.idp_issuer {
        if client.is_none() {
            return Err("--idp-issuer needs the client the MCP server's authorization server knows: --static-oauth-client-info '{\"client_id\": \"...\", \"client_secret\": \"...\"}'".into());
        }
        let issuer = crate::auth::discovery::check_server_url(
            issuer,
            "--idp-issuer",
            opts.connection.allow_http,
        )?;
        let client_secret = opts
            .sign_in
            .idp_client_secret
            .as_ref()
            .map(Secret::expose)
            .map(|raw| assertion("--idp-client-secret", raw).and_then(|a| Ok(a.read()?)))
            .transpose()?;
        let id_token = opts
            .sign_in
            .idp_id_token
            .as_ref()
            .map(Secret::expose)
            .map(|raw| assertion("--idp-id-token", raw))
            .transpose()?;
        return Ok(auth::GrantMode::Enterprise(auth::Idp {
            issuer,
            client_id: opts.sign_in.idp_client_id.clone().unwrap_or_default(),
            client_secret: client_secret.map(Secret::from),
            id_token,
        }));
    }
    Ok(auth::GrantMode::Browser)
}

/// A secret option's value: the text (with `${VAR}` expanded), or `@FILE`
/// (checked now, read again when used).
pub(super) fn assertion(flag: &str, raw: &str) -> Result<auth::Assertion, Failure> {
    let a = match raw.strip_prefix('@') {
        Some(path) => auth::Assertion::File(path.into()),
        None => {
            let v = crate::headers::expand_vars(flag, raw)?;
            if v.trim().is_empty() {
                return Err(format!("{flag} is empty").into());
            }
            auth::Assertion::Value(Secret::from(v.trim()))
        }
    };
    if let auth::Assertion::File(p) = &a {
        a.read()
            .map_err(|e| format!("{flag} @{}: {e}", p.display(), e = Chain(&e)))?;
    }
    Ok(a)
}

/// The key of `--client-assertion-key`.
fn assertion_key(
    path: &std::path::Path,
    alg: Option<&str>,
) -> Result<std::sync::Arc<auth::jwt::SigningKey>, Failure> {
    let bytes = crate::files::read_bounded(path, 64 * 1024)
        .map_err(|e| {
            format!(
                "--client-assertion-key {}: {e}",
                path.display(),
                e = Chain(&e)
            )
        })?
        .ok_or_else(|| format!("--client-assertion-key {}: no such file", path.display()))?;
    let pem = String::from_utf8(bytes)
        .map_err(|_| format!("--client-assertion-key {}: not a PEM file", path.display()))?;
    auth::jwt::SigningKey::from_pem(&pem, alg)
        .map(std::sync::Arc::new)
        .map_err(|e| {
            format!(
                "--client-assertion-key {}: {e}",
                path.display(),
                e = Chain(&e)
            )
            .into()
        })
}

/// Check `--auth-success-url`: the URL policy, and no query or fragment.
fn success_url(raw: &str, allow_http: bool) -> Result<String, Failure> {
    let bad = |why: &str| format!("--auth-success-url {raw:?}: {why}");
    let u = url::Url::parse(raw).map_err(|e| bad(&Chain(&e).to_string()))?;
    if crate::url_policy::url_problem(&u, allow_http).is_some() {
        return Err(bad(
            "must be https (or http to loopback, or anywhere with --allow-http), with a host and no credentials",
        ).into());
    }
    if u.query().is_some() || u.fragment().is_some() || raw.contains(['?', '#']) {
        return Err(bad("must have no query or fragment").into());
    }
    Ok(u.to_string())
}

/// A JSON object given inline or as `@file`.
fn json_option(flag: &str, raw: &str) -> Result<Value, Failure> {
    let text = match raw.strip_prefix('@') {
        Some(path) => {
            use std::io::Read;
            let f = std::fs::File::open(path)
                .map_err(|e| format!("{flag}: cannot read {path}: {e}", e = Chain(&e)))?;
            let mut s = String::new();
            f.take(JSON_FILE_LIMIT)
                .read_to_string(&mut s)
                .map_err(|e| format!("{flag}: cannot read {path}: {e}", e = Chain(&e)))?;
            s
        }
        None => raw.to_owned(),
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(format!("{flag} must be a JSON object").into()),
        Err(e) => Err(format!("{flag} is not valid JSON: {e}", e = Chain(&e)).into()),
    }
}

/// A pre-registered client from `--static-oauth-client-info`.
fn static_client(v: &Value) -> Result<Client, Failure> {
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let client_id = field("client_id")
        .filter(|s| !s.is_empty())
        .ok_or("--static-oauth-client-info needs a \"client_id\"")?;
    Ok(Client {
        client_id,
        client_secret: field("client_secret").map(Secret::from),
        auth_method: field("token_endpoint_auth_method"),
        redirect_uri: String::new(),
        issuer: String::new(),
        dynamic: false,
        scope: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    /// Each planted where a person would put a secret on the command line.
    const PLANTED: [&str; 7] = [
        "planted-query-key",
        "planted-header-value",
        "planted-client-secret",
        "planted-assertion",
        "planted-idp-secret",
        "planted-idp-id-token",
        "planted-install-header",
    ];

    fn lines() -> Vec<Vec<&'static str>> {
        let url = "https://h.example/mcp?api_key=planted-query-key";
        let client = r#"{"client_id":"c","client_secret":"planted-client-secret"}"#;
        let header = "Authorization: Bearer planted-header-value";
        vec![
            vec![
                "mcp-bridge",
                url,
                "--header",
                header,
                "--static-oauth-client-info",
                client,
                "--jwt-bearer-assertion",
                "planted-assertion",
            ],
            vec![
                "mcp-bridge",
                url,
                "-H",
                header,
                "--static-oauth-client-info",
                client,
                "--idp-issuer",
                "https://idp.example",
                "--idp-client-id",
                "id",
                "--idp-client-secret",
                "planted-idp-secret",
                "--idp-id-token",
                "planted-idp-id-token",
            ],
            vec!["mcp-bridge", "login", url, "--header", header],
            vec![
                "mcp-bridge",
                "check",
                url,
                "--header",
                header,
                "--static-oauth-client-info",
                client,
            ],
            vec!["mcp-bridge", "doctor", url, "--header", header],
            vec!["mcp-bridge", "logout", url],
            vec![
                "mcp-bridge",
                "install",
                "--client",
                "cursor",
                "docs",
                url,
                "--header",
                "Authorization: Bearer planted-install-header",
            ],
        ]
    }

    fn assert_hidden(what: &str, text: &str) {
        for p in PLANTED {
            assert!(!text.contains(p), "{what} shows {p}: {text}");
        }
    }

    #[test]
    fn no_options_struct_shows_a_secret_it_holds() {
        for argv in lines() {
            let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            assert_hidden("the command line", &format!("{cli:?} {cli:#?}"));
            let (url, opts) = match &cli.command {
                None => (cli.url.clone().unwrap(), &cli.opts),
                Some(Command::Login { url, opts, .. } | Command::Check { url, opts, .. }) => {
                    (url.clone(), &**opts)
                }
                _ => continue,
            };
            // What the settings of the sign-in are built from, and them.
            let url = url::Url::parse(&url).unwrap();
            let env = |_: &str| None;
            let headers =
                crate::headers::collect(&opts.connection.headers, &[] as &[&str], &env).unwrap();
            let settings = settings(&url, None, opts, &headers).unwrap();
            assert_hidden("the sign-in settings", &format!("{settings:?} {headers:?}"));
            // The values are all there, for the places that send them.
            let all = format!(
                "{} {}",
                opts.connection
                    .headers
                    .iter()
                    .map(Secret::expose)
                    .collect::<Vec<_>>()
                    .join(" "),
                opts.sign_in
                    .static_oauth_client_info
                    .as_ref()
                    .map_or("", Secret::expose),
            );
            assert!(all.contains("planted-header-value"), "{argv:?}");
        }
    }
}
