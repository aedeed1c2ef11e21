//! The authorization code grant in the browser: a loopback listener for the
//! callback, the client (static, metadata document, stored or newly
//! registered), PKCE and `state`, the browser, and the code exchange.

use super::clients::{metadata_document_client, stored_client};
use super::{Grant, Opening};
use crate::auth::endpoints::{self, TokenRequest};
use crate::auth::server::AuthServer;
use crate::auth::store::{Client, Tokens};
use crate::auth::{browser, callback, notice, pkce, Auth, CallbackError, Error, FlowError, Known};

/// A person signs in in the browser.
pub(super) struct AuthorizationCode;

/// Why a browser sign-in brought back no code: what to report, and the
/// OAuth `error` the authorization server sent the person back with, when
/// that was why.
pub(super) struct Unfinished {
    error: Option<String>,
    failure: Error,
}

impl From<Error> for Unfinished {
    fn from(failure: Error) -> Self {
        Unfinished {
            error: None,
            failure,
        }
    }
}

impl From<Unfinished> for Error {
    fn from(u: Unfinished) -> Self {
        u.failure
    }
}

impl Grant for AuthorizationCode {
    const PERSON: bool = true;

    /// Redone once, with a new registration, when the server rejects a
    /// stored registration at the code exchange (`invalid_client`) or
    /// refuses the scope for a registered client (`invalid_scope`: the
    /// scope given at registration is all it may ask for), so never more
    /// than one extra tab.
    async fn obtain(&self, auth: &Auth, known: &mut Known, at: Opening) -> Result<Tokens, Error> {
        let Opening { server, scope } = at;
        let url = &auth.cfg.server;
        let mut scope_refused = false;
        for attempt in 0..2 {
            // A listener per attempt: the last one ended with its callback.
            // The client, the authorization URL and the code exchange all
            // use its redirect URI.
            let l = auth.listen().await?;
            let redirect = l.redirect_uri();
            let client = auth
                .client_for_sign_in(known, &server, &redirect, scope.as_deref(), scope_refused)
                .await?;
            let host = url.host_str().unwrap_or("the server");
            let (mut cb, pkce) = match auth
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
            let request = TokenRequest::Code {
                code: &cb.code,
                verifier: &pkce.verifier,
                redirect_uri: &redirect,
            };
            let dpop = auth.dpop_key(&server)?;
            let proofs = auth.proofs(&client, dpop.as_deref());
            match endpoints::tokens(&auth.http, &server, &client, &proofs, request).await {
                Ok(t) => {
                    cb.signed_in();
                    auth.person_signed_in(known, &server, client, t.clone())
                        .await;
                    return Ok(t);
                }
                Err(r)
                    if r.code.as_deref() == Some("invalid_client")
                        && client.dynamic
                        && attempt == 0 =>
                {
                    tracing::info!("the authorization server rejected the stored client registration; registering again");
                    known.client = None;
                }
                Err(r) => return Err(r.into()),
            }
        }
        Err(FlowError::RegistrationRejected.into())
    }
}

impl Auth {
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
        let pkce = pkce::Pkce::default();
        let state = pkce::random_token();
        let auth_url = endpoints::authorization_url(
            server,
            client,
            &l.redirect_uri(),
            &pkce.challenge,
            &state,
            scope,
            &self.cfg.authorize_params,
        );
        let checked = browser::check_url(&auth_url)?;
        notice::say(&format!(
            "Opening your browser to sign in to {host}… If it does not open, visit: {checked}"
        ));
        if self.cfg.browser {
            if let Err(e) = browser::open(&checked) {
                notice::say(&format!(
                    "could not open a browser ({e}); open the URL above to sign in. Waiting.",
                    e = crate::text::Chain(&e)
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
                error: e.error.clone(),
                failure: CallbackError::from(e).into(),
            })?;
        if cb.iss.is_some() || server.iss_in_response {
            let iss = cb.iss.as_deref().unwrap_or("");
            // RFC 9207 §2.4: simple string comparison, no normalizing.
            if iss != server.issuer {
                return Err(Unfinished::from(Error::from(FlowError::OtherIssuer {
                    iss: crate::text::clean(iss, 200),
                    issuer: server.issuer.clone(),
                })));
            }
        }
        Ok((cb, pkce))
    }

    /// The loopback listener for the sign-in callback, as configured.
    pub(super) async fn listen(&self) -> Result<callback::Listener, Error> {
        callback::Listener::bind(
            self.cfg.callback_port,
            callback::derived_port(&self.key),
            &self.cfg.redirect,
        )
        .await
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
    ) -> Result<Client, Error> {
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
        let c = endpoints::register(
            &self.http,
            server,
            redirect,
            register_for.as_deref(),
            self.cfg.client_metadata.as_ref(),
        )
        .await?;
        tracing::info!("registered as OAuth client {}", c.client_id);
        known.client = Some(c.clone());
        Ok(c)
    }
}
