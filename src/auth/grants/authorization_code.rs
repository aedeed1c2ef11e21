//! The authorization code grant in the browser: a loopback listener for the
//! callback, the client (static, metadata document, stored or newly
//! registered), PKCE and `state`, the browser, and the code exchange.

use super::server::AuthServer;
use super::store::Client;
use super::{
    browser, callback, failed, metadata_document_client, notice, pkce, token, union, Auth, Known,
};
use crate::http::challenge::Challenge;
use crate::http::error::UpstreamError;

/// Why a browser sign-in brought back no code: what to report, and the
/// OAuth `error` the authorization server sent the person back with, when
/// that was why.
pub(super) struct Unfinished {
    error: Option<String>,
    failure: UpstreamError,
}

impl From<UpstreamError> for Unfinished {
    fn from(failure: UpstreamError) -> Self {
        Unfinished {
            error: None,
            failure,
        }
    }
}

impl From<Unfinished> for UpstreamError {
    fn from(u: Unfinished) -> Self {
        u.failure
    }
}

impl Auth {
    /// The browser sign-in; the lock is held. Redone once, with a new
    /// registration, when the server rejects a stored registration at the
    /// code exchange (`invalid_client`) or refuses the scope for a
    /// registered client (`invalid_scope`: the scope given at registration
    /// is all it may ask for), so never more than one extra tab.
    pub(super) async fn sign_in(
        &self,
        known: &mut Known,
        c: &Challenge,
        scope: Option<String>,
    ) -> Result<(), UpstreamError> {
        let server = self.server(known, c).await?;
        let scope = server.scope_for(scope, true);
        let url = &self.cfg.server;
        let mut scope_refused = false;
        for attempt in 0..2 {
            // A listener per attempt: the last one ended with its callback.
            // The client, the authorization URL and the code exchange all
            // use its redirect URI.
            let l = self.listen().await?;
            let redirect = l.redirect_uri();
            let client = self
                .client_for_sign_in(known, &server, &redirect, scope.as_deref(), scope_refused)
                .await?;
            let host = url.host_str().unwrap_or("the server");
            let (mut cb, pkce) = match self
                .authorize_in_browser(&server, &client, scope.as_deref(), l, host)
                .await
            {
                Ok(got) => got,
                Err(Unfinished { error: Some(e), .. })
                    if e == "invalid_scope" && client.dynamic && attempt == 0 =>
                {
                    tracing::info!(
                        "the authorization server refused the scope {:?} for client {}; registering again with it",
                        scope.as_deref().unwrap_or(""),
                        client.client_id
                    );
                    scope_refused = true;
                    continue;
                }
                Err(u) => return Err(u.failure),
            };
            let grant = token::Grant::Code {
                code: &cb.code,
                verifier: &pkce.verifier,
                redirect_uri: &redirect,
            };
            let dpop = self.dpop_key(&server).map_err(|e| failed(url, e))?;
            let proofs = self.proofs(&client, dpop.as_deref());
            match token::tokens(&self.http, &server, &client, &proofs, grant).await {
                Ok(t) => {
                    cb.signed_in();
                    self.person_signed_in(known, &server, client, t).await;
                    return Ok(());
                }
                Err(r)
                    if r.code.as_deref() == Some("invalid_client")
                        && client.dynamic
                        && attempt == 0 =>
                {
                    tracing::info!("the authorization server rejected the stored client registration; registering again");
                    known.client = None;
                }
                Err(r) => return Err(failed(url, r)),
            }
        }
        Err(failed(
            url,
            "the authorization server rejected a fresh client registration",
        ))
    }

    /// Send the person to `server`'s authorization endpoint as `client`
    /// (signing in to `host`) and wait for the callback on `l`, or for the
    /// address pasted back: the code, checked for `state` and `iss`, and
    /// the PKCE verifier it needs. Dropping the callback without
    /// `signed_in()` tells a waiting browser that the sign-in failed.
    pub(super) async fn authorize_in_browser(
        &self,
        server: &AuthServer,
        client: &Client,
        scope: Option<&str>,
        l: callback::Listener,
        host: &str,
    ) -> Result<(callback::Callback, pkce::Pkce), Unfinished> {
        let url = &self.cfg.server;
        let pkce = pkce::Pkce::default();
        let state = pkce::random_token();
        let auth_url = token::authorization_url(
            server,
            client,
            &l.redirect_uri(),
            &pkce.challenge,
            &state,
            scope,
            &self.cfg.authorize_params,
        );
        let checked = browser::check_url(&auth_url).map_err(|e| failed(url, e))?;
        notice::say(&format!(
            "Opening your browser to sign in to {host}… If it does not open, visit: {checked}"
        ));
        if self.cfg.browser {
            if let Err(e) = browser::open(&checked) {
                notice::say(&format!(
                    "could not open a browser ({e}); open the URL above to sign in. Waiting."
                ));
            }
        }
        // `login --no-browser`: the browser may be on another machine,
        // which cannot reach this one's loopback; the address it ends on
        // can be pasted here instead.
        let pasted = if self.cfg.paste_back {
            let lines = callback::terminal_lines();
            if lines.is_some() {
                notice::say("If the browser is on another machine, paste here the address it ends on (the page may fail to load):");
            }
            lines
        } else {
            None
        };
        let limit = self.cfg.auth_timeout;
        let waiting = l.wait_or_paste(&state, limit, pasted);
        let cb = notice::progress("you to sign in in the browser", limit, waiting)
            .await
            .map_err(|e| Unfinished {
                failure: failed(url, super::Error::Callback(e.to_string())),
                error: e.error,
            })?;
        if cb.iss.is_some() || server.iss_in_response {
            let iss = cb.iss.as_deref().unwrap_or("");
            // RFC 9207 §2.4: simple string comparison, no normalizing.
            if iss != server.issuer {
                return Err(Unfinished::from(failed(
                    url,
                    format!(
                        "the sign-in response came from issuer {:?}, not {} (RFC 9207); refused",
                        crate::text::clean(iss, 200),
                        server.issuer
                    ),
                )));
            }
        }
        Ok((cb, pkce))
    }

    /// The loopback listener for the sign-in callback, as configured.
    pub(super) async fn listen(&self) -> Result<callback::Listener, UpstreamError> {
        callback::Listener::bind(
            self.cfg.callback_port,
            callback::derived_port(&self.key),
            &self.cfg.redirect,
        )
        .await
        .map_err(|e| failed(&self.cfg.server, e))
    }

    /// The client for a sign-in: static, then a metadata document, then a
    /// stored registration for this redirect URI that may ask for `scope`,
    /// then a new registration (for the scope of the stored one and
    /// `scope`, when that one may not ask for it or `scope_refused`).
    async fn client_for_sign_in(
        &self,
        known: &mut Known,
        server: &AuthServer,
        redirect: &str,
        scope: Option<&str>,
        scope_refused: bool,
    ) -> Result<Client, UpstreamError> {
        if let Some(c) = &self.cfg.static_client {
            return Ok(c.clone());
        }
        if let Some(u) = &self.cfg.client_metadata_url {
            if server.cimd_supported {
                return Ok(metadata_document_client(u, server));
            }
            tracing::info!("the authorization server does not accept client metadata documents; registering instead");
        }
        let fits = |c: &Client| c.redirect_uri == redirect && c.issuer == server.issuer;
        let register_for = match stored_client(known.client.as_ref(), fits, scope, scope_refused) {
            Ok(c) => return Ok(c),
            Err(register_for) => register_for,
        };
        let c = token::register(
            &self.http,
            server,
            redirect,
            register_for.as_deref(),
            self.cfg.client_metadata.as_ref(),
        )
        .await
        .map_err(|r| failed(&self.cfg.server, r))?;
        tracing::info!("registered as OAuth client {}", c.client_id);
        known.client = Some(c.clone());
        Ok(c)
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
