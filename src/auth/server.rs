//! What the bridge knows of an authorization server once discovery is
//! done (its endpoints and what it offers), and the choices made from it
//! that every grant shares: the scope to ask for.

use url::Url;

/// What discovery found: where to send the person and the bridge.
#[derive(Debug, Clone)]
pub struct AuthServer {
    /// The issuer identifier.
    pub issuer: String,
    /// Where the browser goes (the grants without a person need none).
    pub authorization_endpoint: Option<Url>,
    /// Where codes and refresh tokens are exchanged.
    pub token_endpoint: Url,
    /// Dynamic client registration, when offered.
    pub registration_endpoint: Option<Url>,
    /// The scope to ask for, if any.
    pub scope: Option<String>,
    /// The resource indicator (RFC 8707), unless `--disable-resource-parameter`.
    pub resource: Option<String>,
    /// Client ID Metadata Documents are accepted.
    pub cimd_supported: bool,
    /// The authorization response carries `iss` (RFC 9207).
    pub iss_in_response: bool,
    /// `token_endpoint_auth_methods_supported`, as listed.
    pub auth_methods: Vec<String>,
    /// Tokens are bound to a key (RFC 9449): the authorization server lists
    /// ES256 in `dpop_signing_alg_values_supported`, and (after discovery)
    /// the resource takes DPoP too (see
    /// [`super::discovery::resource_takes_dpop`]).
    pub dpop: bool,
    /// `scopes_supported` lists `offline_access`: a person's sign-in asks
    /// for it, so that a refresh token comes with the access token (OpenID
    /// Connect Core §11, SEP-2207).
    pub offline_access: bool,
    /// The device authorization endpoint (RFC 8628), when offered.
    pub device_endpoint: Option<Url>,
}

impl AuthServer {
    /// A server known without metadata, by its issuer and token endpoint:
    /// it offers nothing optional (no browser endpoint, registration,
    /// client metadata documents, `iss`, DPoP, `offline_access` or device
    /// grant) until the caller says otherwise.
    pub fn without_metadata(
        issuer: String,
        token_endpoint: Url,
        scope: Option<String>,
        resource: Option<String>,
    ) -> AuthServer {
        AuthServer {
            issuer,
            authorization_endpoint: None,
            token_endpoint,
            registration_endpoint: None,
            scope,
            resource,
            cimd_supported: false,
            iss_in_response: false,
            auth_methods: Vec::new(),
            dpop: false,
            offline_access: false,
            device_endpoint: None,
        }
    }

    /// The scope to ask for: `asked` (a challenge's, or a step-up's), else
    /// the one discovery found; with `offline_access` added for a person's
    /// sign-in where the authorization server lists it (a grant with no
    /// person gets no refresh token, RFC 6749 §4.4.3).
    pub fn scope_for(&self, asked: Option<String>, person: bool) -> Option<String> {
        let scope = asked.or_else(|| self.scope.clone());
        if !(person && self.offline_access) {
            return scope;
        }
        super::union(scope.as_deref(), Some(OFFLINE_ACCESS))
    }
}

/// The scope that asks for a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_access_is_added_for_a_person_where_listed() {
        let te = Url::parse("https://as.example/token").unwrap();
        let mut s = AuthServer::without_metadata(
            "https://as.example".into(),
            te,
            Some("mcp:tools".into()),
            None,
        );
        assert_eq!(s.scope_for(None, true).as_deref(), Some("mcp:tools"));
        s.offline_access = true;
        assert_eq!(
            s.scope_for(None, true).as_deref(),
            Some("mcp:tools offline_access")
        );
        assert_eq!(
            s.scope_for(None, false).as_deref(),
            Some("mcp:tools"),
            "no person, no refresh token"
        );
        assert_eq!(
            s.scope_for(Some("a offline_access".into()), true)
                .as_deref(),
            Some("a offline_access"),
            "never twice"
        );
        s.scope = None;
        assert_eq!(s.scope_for(None, true).as_deref(), Some("offline_access"));
    }
}
