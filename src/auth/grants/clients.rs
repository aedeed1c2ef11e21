//! The client each grant authenticates as at the authorization server:
//! the configured one, a Client ID Metadata Document, a stored dynamic
//! registration that still fits, or (the caller's part) a new one.

use crate::auth::server::AuthServer;
use crate::auth::store::Client;
use crate::auth::{union, Auth};

/// A Client ID Metadata Document client: its URL is the client id.
pub(super) fn metadata_document_client(url: &str, server: &AuthServer) -> Client {
    Client {
        client_id: url.to_owned(),
        client_secret: None,
        auth_method: Some("none".into()),
        redirect_uri: String::new(),
        issuer: server.issuer.clone(),
        dynamic: false,
        scope: None,
    }
}

impl Auth {
    /// The client a machine grant authenticates as: the static one, its
    /// authentication chosen from what the authorization server lists (a
    /// signed assertion when there is a key; else Basic, else form fields).
    pub(super) fn machine_client(&self, server: &AuthServer) -> Client {
        let mut client = self.cfg.static_client.clone().unwrap_or_else(|| Client {
            client_id: String::new(),
            client_secret: None,
            auth_method: Some("none".into()),
            redirect_uri: String::new(),
            issuer: String::new(),
            dynamic: false,
            scope: None,
        });
        if client.auth_method.is_none() && client.client_secret.is_some() {
            let listed = |m: &str| server.auth_methods.iter().any(|x| x == m);
            let method = if !listed("client_secret_basic") && listed("client_secret_post") {
                "client_secret_post"
            } else {
                "client_secret_basic"
            };
            client.auth_method = Some(method.into());
        }
        client.issuer = server.issuer.clone();
        client
    }
}

/// The `stored` registration when it `fits` (this redirect URI and issuer)
/// and may ask for `scope` (and the server did not refuse it that scope);
/// otherwise the scope to register a new client for: `scope`, and the
/// stored one's too when only the scope was wrong.
pub(super) fn stored_client(
    stored: Option<&Client>,
    fits: impl Fn(&Client) -> bool,
    scope: Option<&str>,
    scope_refused: bool,
) -> Result<Client, Option<String>> {
    let Some(c) = stored else {
        return Err(scope.map(str::to_owned));
    };
    if !fits(c) {
        tracing::info!("the stored client registration is for another redirect URI or issuer; registering again");
        return Err(scope.map(str::to_owned));
    }
    if !scope_refused && may_ask(c.scope.as_deref(), scope) {
        return Ok(c.clone());
    }
    // RFC 7591 §2: the registered scope is what the client may ask for;
    // some servers hold it to that.
    tracing::info!(
        "the stored client registration is for the scope {:?}; registering again for {:?} too",
        c.scope.as_deref().unwrap_or(""),
        scope.unwrap_or("")
    );
    Err(union(c.scope.as_deref(), scope))
}

/// Whether a client registered for `registered` may ask for `wanted`: every
/// scope of it is registered, or the registration named none.
pub(super) fn may_ask(registered: Option<&str>, wanted: Option<&str>) -> bool {
    let Some(registered) = registered else {
        return true;
    };
    let have: Vec<&str> = registered.split_whitespace().collect();
    wanted
        .unwrap_or("")
        .split_whitespace()
        .all(|s| have.contains(&s))
}

#[cfg(test)]
mod tests {
    use super::may_ask;

    #[test]
    fn a_registered_scope_is_what_a_client_may_ask_for() {
        assert!(may_ask(None, Some("a b")), "no registered scope: no list");
        assert!(may_ask(Some("a b offline_access"), Some("b a")));
        assert!(may_ask(Some("a"), None));
        assert!(!may_ask(Some("a offline_access"), Some("a admin")));
        assert!(!may_ask(Some(""), Some("a")));
    }
}
