//! Finding the authorization server: protected resource metadata (RFC 9728),
//! then authorization server metadata (RFC 8414 and OpenID Connect discovery,
//! in the MCP specification's order), with the 2025-03-26 fallback to
//! `/authorize`, `/token` and `/register` on the origin. Every URL here comes
//! from the server, so each is checked before it is fetched or used.

use super::server::{AuthServer, OFFLINE_ACCESS};
use super::{DiscoveryError, Error};
use crate::http::body::read_body;
use crate::http::challenge::Challenge;
use crate::text::clean;
use crate::url_policy::{redact_userinfo, url_problem, UrlProblem};
use serde_json::Value;
use std::time::Duration;
use url::Url;

/// Largest metadata document read.
const METADATA_LIMIT: usize = 256 * 1024;
/// How long one metadata request may take.
const METADATA_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether the resource takes DPoP-bound tokens with the bridge's ES256
/// proofs: its protected resource metadata lists ES256 in
/// `dpop_signing_alg_values_supported`, or requires bound tokens without
/// naming algorithms (RFC 9728 §2), or its challenge offers the DPoP scheme
/// (RFC 9449 §7.1). Most MCP servers take Bearer tokens only, and refuse a
/// DPoP-bound one, however much their authorization server offers DPoP.
pub fn resource_takes_dpop(prm: Option<&Value>, challenge: &Challenge) -> bool {
    let listed = prm.is_some_and(|v| {
        let algs = str_list(v, "dpop_signing_alg_values_supported");
        let required = v.get("dpop_bound_access_tokens_required") == Some(&Value::Bool(true));
        algs.iter().any(|a| a == "ES256") || (algs.is_empty() && required)
    });
    listed || challenge.dpop
}

/// A metadata URL the server named: https, or http to loopback (or anywhere
/// when the user allowed plain http).
pub fn check_server_url(raw: &str, what: &str, allow_http: bool) -> Result<Url, Error> {
    let url = Url::parse(raw).map_err(|source| DiscoveryError::NotAUrl {
        what: what.to_owned(),
        raw: clean(raw, 200),
        source,
    })?;
    let shown = clean(&redact_userinfo(&url), 200);
    match url_problem(&url, allow_http) {
        None => Ok(url),
        Some(UrlProblem::PlainHttp | UrlProblem::Scheme(_)) => Err(DiscoveryError::NotHttps {
            what: what.to_owned(),
            shown,
        }
        .into()),
        Some(UrlProblem::NoHost | UrlProblem::Credentials) => Err(DiscoveryError::NoHost {
            what: what.to_owned(),
            shown,
        }
        .into()),
    }
}

/// The canonical URI of the MCP server (RFC 8707 as the MCP specification
/// asks): lower-case scheme and host, no fragment, no trailing slash.
pub fn canonical_resource(server: &Url) -> String {
    let mut u = server.clone();
    u.set_fragment(None);
    let s = u.to_string();
    match s.strip_suffix('/') {
        Some(t) if u.query().is_none() => t.to_owned(),
        _ => s,
    }
}

/// RFC 9728 §3.3: the metadata's `resource` is the very server, after
/// canonicalisation, or its origin (which the root metadata document
/// describes). A path prefix is not a match: `/mcp` is not `/mcpx`.
fn resource_matches(declared: &Url, server: &Url) -> bool {
    let declared = canonical_resource(declared);
    declared == canonical_resource(server) || declared == server.origin().ascii_serialization()
}

/// The well-known protected resource metadata URLs for `server`: the
/// path-aware one, then the root.
pub fn resource_metadata_urls(server: &Url) -> Vec<Url> {
    let mut out = Vec::new();
    let path = server.path().trim_end_matches('/');
    let origin = origin_of(server);
    if !path.is_empty() {
        if let Ok(u) = Url::parse(&format!(
            "{origin}/.well-known/oauth-protected-resource{path}"
        )) {
            out.push(u);
        }
    }
    if let Ok(u) = Url::parse(&format!("{origin}/.well-known/oauth-protected-resource")) {
        out.push(u);
    }
    out
}

/// The authorization server metadata URLs for `issuer`, in the order the
/// specification gives.
pub fn authorization_metadata_urls(issuer: &Url) -> Vec<Url> {
    let origin = origin_of(issuer);
    let path = issuer.path().trim_end_matches('/');
    let list = if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    };
    list.iter().filter_map(|s| Url::parse(s).ok()).collect()
}

fn origin_of(u: &Url) -> String {
    u.origin().ascii_serialization()
}

/// Issuers compare without a trailing slash (`https://a/` is `https://a`).
fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// How many same-origin redirects a metadata request follows.
const METADATA_REDIRECTS: usize = 3;

/// GET a JSON document; `Ok(None)` when the server has none there (4xx).
/// The client follows no redirect; a redirect to the same origin (https,
/// or http where allowed for the first URL) is followed here, at most
/// [`METADATA_REDIRECTS`] times, and any other is refused: metadata must
/// never lead the bridge to another host (or a private address).
pub(super) async fn fetch_json(
    http: &crate::http::reach::Guarded,
    url: &Url,
) -> Result<Option<Value>, Error> {
    let mut at = url.clone();
    for _ in 0..=METADATA_REDIRECTS {
        match fetch_once(http, &at).await? {
            Fetched::Json(v) => return Ok(v),
            Fetched::Redirect(location) => {
                let next = at
                    .join(&location)
                    .map_err(|_| DiscoveryError::RedirectNotAUrl { at: at.clone() })?;
                if next.origin() != url.origin() {
                    return Err(DiscoveryError::RedirectElsewhere {
                        at,
                        to: clean(next.as_str(), 200),
                    }
                    .into());
                }
                at = next;
            }
        }
    }
    Err(DiscoveryError::TooManyRedirects {
        url: url.clone(),
        max: METADATA_REDIRECTS,
    }
    .into())
}

enum Fetched {
    Json(Option<Value>),
    Redirect(String),
}

async fn fetch_once(http: &crate::http::reach::Guarded, url: &Url) -> Result<Fetched, Error> {
    http.check(url).await?;
    let send = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .header("mcp-protocol-version", "2025-11-25")
        .send();
    let mut resp = match tokio::time::timeout(METADATA_TIMEOUT, send).await {
        Ok(Ok(r)) => r,
        Ok(Err(error)) => {
            return Err(DiscoveryError::Unreachable {
                url: url.clone(),
                error,
            }
            .into())
        }
        Err(_) => {
            return Err(DiscoveryError::TimedOut {
                url: url.clone(),
                secs: METADATA_TIMEOUT.as_secs(),
            }
            .into())
        }
    };
    if resp.status().is_redirection() {
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| DiscoveryError::NoLocation {
                url: url.clone(),
                status: resp.status(),
            })?;
        return Ok(Fetched::Redirect(location.to_owned()));
    }
    if resp.status().is_client_error() {
        return Ok(Fetched::Json(None));
    }
    if !resp.status().is_success() {
        return Err(DiscoveryError::Status {
            url: url.clone(),
            status: resp.status(),
        }
        .into());
    }
    let body = read_body(&mut resp, url.as_str(), METADATA_LIMIT)
        .await
        .map_err(DiscoveryError::Body)?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) if v.is_object() => Ok(Fetched::Json(Some(v))),
        _ => Err(DiscoveryError::NotJson { url: url.clone() }.into()),
    }
}

fn str_field<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

fn str_list(v: &Value, name: &str) -> Vec<String> {
    v.get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .take(64)
                .map(|s| clean(s, 256))
                .collect()
        })
        .unwrap_or_default()
}

/// What the user asked of discovery.
pub struct Wanted<'a> {
    /// The MCP server URL.
    pub server: &'a Url,
    /// `--resource`, overriding the resource indicator.
    pub resource: Option<&'a str>,
    /// Send a resource indicator at all (`--disable-resource-parameter`).
    pub resource_parameter: bool,
    /// Plain http allowed beyond loopback.
    pub allow_http: bool,
    /// A person signs in in the browser: PKCE and an authorization
    /// endpoint are required.
    pub browser: bool,
}

/// Run discovery for `wanted.server`, starting from the 401's `challenge`.
pub async fn discover(
    http: &crate::http::reach::Guarded,
    wanted: &Wanted<'_>,
    challenge: &Challenge,
) -> Result<AuthServer, Error> {
    discover_traced(http, wanted, challenge)
        .await
        .map(|(found, _)| found)
}

/// Where discovery found the metadata it used (for `doctor`).
#[derive(Debug, Default, Clone)]
pub struct Trail {
    /// The protected resource metadata's URL, when there was one.
    pub resource_metadata: Option<Url>,
    /// The authorization server's metadata was found (not the defaults).
    pub authorization_metadata: bool,
}

/// [`discover`], saying where the metadata came from.
pub async fn discover_traced(
    http: &crate::http::reach::Guarded,
    wanted: &Wanted<'_>,
    challenge: &Challenge,
) -> Result<(AuthServer, Trail), Error> {
    let mut trail = Trail::default();
    let server = wanted.server;
    let mut candidates = Vec::new();
    if let Some(m) = &challenge.resource_metadata {
        candidates.push(check_server_url(
            m,
            "the resource metadata URL",
            wanted.allow_http,
        )?);
    }
    candidates.extend(resource_metadata_urls(server));
    let mut prm = None;
    for url in &candidates {
        if let Some(v) = fetch_json(http, url).await? {
            tracing::debug!("protected resource metadata from {url}");
            trail.resource_metadata = Some(url.clone());
            prm = Some(v);
            break;
        }
    }

    let mut resource = wanted
        .resource
        .map(str::to_owned)
        .unwrap_or_else(|| canonical_resource(server));
    let mut scope = challenge.scope.clone().filter(|s| !s.is_empty());
    let issuer = match &prm {
        Some(v) => {
            if let Some(r) = str_field(v, "resource") {
                let declared = Url::parse(r)
                    .map_err(|_| DiscoveryError::ResourceNotAUrl { raw: clean(r, 200) })?;
                if !resource_matches(&declared, server) {
                    return Err(DiscoveryError::OtherResource {
                        declared: clean(r, 200),
                        server: crate::url_policy::shown(server),
                    }
                    .into());
                }
                if wanted.resource.is_none() {
                    resource = r.to_owned();
                }
            }
            if scope.is_none() {
                let s = str_list(v, "scopes_supported");
                if !s.is_empty() {
                    scope = Some(s.join(" "));
                }
            }
            let first = str_list(v, "authorization_servers")
                .into_iter()
                .next()
                .ok_or(DiscoveryError::NoAuthorizationServer)?;
            check_server_url(&first, "the authorization server", wanted.allow_http)?
        }
        None => {
            tracing::info!(
                "no protected resource metadata; treating {} as the authorization server",
                origin_of(server)
            );
            Url::parse(&origin_of(server)).map_err(DiscoveryError::Origin)?
        }
    };

    let resource = wanted.resource_parameter.then_some(resource);
    let Some(meta) = authorization_metadata(http, &issuer).await? else {
        // 2025-03-26: no metadata means the default paths on the origin.
        let origin = origin_of(&issuer);
        let at = |p: &str| {
            Url::parse(&format!("{origin}{p}")).map_err(|e| Error::from(DiscoveryError::Origin(e)))
        };
        tracing::info!("no authorization server metadata at {issuer}; using {origin}/authorize, /token and /register");
        let found = AuthServer {
            authorization_endpoint: Some(at("/authorize")?),
            registration_endpoint: Some(at("/register")?),
            ..AuthServer::without_metadata(issuer.to_string(), at("/token")?, scope, resource)
        };
        return Ok((found, trail));
    };
    trail.authorization_metadata = true;
    let mut found = from_metadata(&meta, &issuer, wanted.allow_http, wanted.browser)?;
    found.scope = scope;
    found.resource = resource;
    if found.dpop && !resource_takes_dpop(prm.as_ref(), challenge) {
        tracing::info!("the authorization server offers DPoP, but the MCP server takes Bearer tokens only (its metadata and challenge name no DPoP); asking for Bearer tokens");
        found.dpop = false;
    }
    Ok((found, trail))
}

/// The authorization server metadata of `issuer`, from the first of the
/// well-known URLs that has it.
pub async fn authorization_metadata(
    http: &crate::http::reach::Guarded,
    issuer: &Url,
) -> Result<Option<Value>, Error> {
    for url in authorization_metadata_urls(issuer) {
        if let Some(v) = fetch_json(http, &url).await? {
            tracing::debug!("authorization server metadata from {url}");
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Read authorization server metadata (RFC 8414, or OpenID Connect
/// discovery) that must be `issuer`'s; `browser`: a person signs in there,
/// so PKCE with S256 and an authorization endpoint are required. The scope
/// and resource are left for the caller.
pub fn from_metadata(
    meta: &Value,
    issuer: &Url,
    allow_http: bool,
    browser: bool,
) -> Result<AuthServer, Error> {
    let endpoint = |v: &Value, name: &str| -> Result<Option<Url>, Error> {
        str_field(v, name)
            .map(|s| check_server_url(s, &format!("the {name}"), allow_http))
            .transpose()
    };
    let declared = str_field(meta, "issuer").unwrap_or_default();
    if !same_issuer(declared, issuer.as_str()) {
        return Err(DiscoveryError::IssuerMismatch {
            declared: clean(declared, 200),
            issuer: issuer.clone(),
        }
        .into());
    }
    let methods = str_list(meta, "code_challenge_methods_supported");
    if browser && !methods.iter().any(|m| m == "S256") {
        return Err(DiscoveryError::NoS256 {
            issuer: issuer.clone(),
            methods,
        }
        .into());
    }
    Ok(AuthServer {
        issuer: declared.to_owned(),
        authorization_endpoint: match endpoint(meta, "authorization_endpoint")? {
            None if browser => {
                return Err(DiscoveryError::NoEndpoint("authorization_endpoint").into())
            }
            found => found,
        },
        token_endpoint: endpoint(meta, "token_endpoint")?
            .ok_or(DiscoveryError::NoEndpoint("token_endpoint"))?,
        registration_endpoint: endpoint(meta, "registration_endpoint")?,
        scope: None,
        resource: None,
        cimd_supported: meta
            .get("client_id_metadata_document_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        iss_in_response: meta
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        auth_methods: str_list(meta, "token_endpoint_auth_methods_supported")
            .into_iter()
            .map(|m| clean(&m, 60))
            .collect(),
        dpop: str_list(meta, "dpop_signing_alg_values_supported")
            .iter()
            .any(|a| a == "ES256"),
        offline_access: str_list(meta, "scopes_supported")
            .iter()
            .any(|s| s == OFFLINE_ACCESS),
        device_endpoint: endpoint(meta, "device_authorization_endpoint")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn texts(urls: Vec<Url>) -> Vec<String> {
        urls.iter().map(Url::to_string).collect()
    }

    #[test]
    fn resource_metadata_is_looked_for_path_first() {
        let urls = texts(resource_metadata_urls(&u("https://h.example/public/mcp")));
        assert_eq!(
            urls,
            [
                "https://h.example/.well-known/oauth-protected-resource/public/mcp",
                "https://h.example/.well-known/oauth-protected-resource"
            ]
        );
        assert_eq!(resource_metadata_urls(&u("https://h.example/")).len(), 1);
    }

    #[test]
    fn authorization_metadata_follows_the_specification_order() {
        let with_path = texts(authorization_metadata_urls(&u("https://a.example/t1")));
        assert_eq!(
            with_path,
            [
                "https://a.example/.well-known/oauth-authorization-server/t1",
                "https://a.example/.well-known/openid-configuration/t1",
                "https://a.example/t1/.well-known/openid-configuration"
            ]
        );
        let root = texts(authorization_metadata_urls(&u("https://a.example/")));
        assert_eq!(
            root,
            [
                "https://a.example/.well-known/oauth-authorization-server",
                "https://a.example/.well-known/openid-configuration"
            ]
        );
    }

    #[test]
    fn the_resource_must_be_the_server_or_its_origin() {
        let server = u("https://h.example/mcpx");
        assert!(!resource_matches(&u("https://h.example/mcp"), &server));
        assert!(resource_matches(&u("HTTPS://H.EXAMPLE/mcpx/"), &server));
        assert!(resource_matches(&u("https://h.example:443"), &server));
        assert!(!resource_matches(&u("https://h.example/other"), &server));
        assert!(!resource_matches(&u("https://evil.example/mcpx"), &server));
    }

    #[test]
    fn canonical_resource_drops_fragment_and_trailing_slash() {
        assert_eq!(
            canonical_resource(&u("HTTPS://H.Example/mcp/#x")),
            "https://h.example/mcp"
        );
        assert_eq!(
            canonical_resource(&u("https://h.example/")),
            "https://h.example"
        );
        assert_eq!(
            canonical_resource(&u("https://h.example:8443/mcp")),
            "https://h.example:8443/mcp"
        );
    }

    #[test]
    fn dpop_only_where_the_resource_takes_it() {
        use serde_json::json;
        let bearer = Challenge::parse("Bearer").unwrap();
        let dpop = Challenge::parse("DPoP algs=\"ES256\"").unwrap();
        assert!(!resource_takes_dpop(None, &bearer));
        assert!(resource_takes_dpop(None, &dpop));
        let listed = json!({"dpop_signing_alg_values_supported": ["ES256", "RS256"]});
        assert!(resource_takes_dpop(Some(&listed), &bearer));
        let other = json!({"dpop_signing_alg_values_supported": ["RS256"]});
        assert!(
            !resource_takes_dpop(Some(&other), &bearer),
            "no proof it would take"
        );
        let required = json!({"dpop_bound_access_tokens_required": true});
        assert!(resource_takes_dpop(Some(&required), &bearer));
        let plain = json!({"resource": "https://h.example/mcp", "scopes_supported": ["a"]});
        assert!(!resource_takes_dpop(Some(&plain), &Challenge::default()));
    }

    #[test]
    fn metadata_urls_must_be_https_but_for_loopback() {
        assert!(check_server_url("https://a.example/x", "m", false).is_ok());
        assert!(check_server_url("http://127.0.0.1:9/x", "m", false).is_ok());
        assert!(check_server_url("http://a.example/x", "m", false).is_err());
        assert!(check_server_url("http://a.example/x", "m", true).is_ok());
        assert!(check_server_url("file:///etc/passwd", "m", true).is_err());
        assert!(check_server_url("https://u:p@a.example/", "m", false).is_err());
    }
}
