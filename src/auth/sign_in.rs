//! The authorization code grant in the browser: a loopback listener for the
//! callback, the client (static, metadata document, stored or newly
//! registered), PKCE and `state`, the browser, and the code exchange.

use super::discovery::AuthServer;
use super::store::Client;
use super::{browser, callback, failed, metadata_document_client, pkce, token, Auth, Known};
use crate::http::challenge::Challenge;
use crate::http::error::UpstreamError;

impl Auth {
    /// The browser sign-in; the lock is held. A cached dynamic registration
    /// the server rejects is dropped and the sign-in redone once.
    pub(super) async fn sign_in(
        &self,
        known: &mut Known,
        c: &Challenge,
        scope: Option<String>,
    ) -> Result<(), UpstreamError> {
        let server = self.server(known, c).await?;
        let scope = scope.or_else(|| server.scope.clone());
        let url = &self.cfg.server;
        for attempt in 0..2 {
            // A listener per attempt: the last one ended with its callback.
            // The client, the authorization URL and the code exchange all
            // use its redirect URI.
            let l = self.listen().await?;
            let redirect = l.redirect_uri();
            let client = self.client_for_sign_in(known, &server, &redirect).await?;
            let host = url.host_str().unwrap_or("the server");
            let (mut cb, pkce) = self
                .authorize_in_browser(&server, &client, scope.as_deref(), l, host)
                .await?;
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
                Err(r) => return Err(failed(url, r.message)),
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
    ) -> Result<(callback::Callback, pkce::Pkce), UpstreamError> {
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
        eprintln!("mcp-bridge: Opening your browser to sign in to {host}… If it does not open, visit: {checked}");
        if self.cfg.browser {
            if let Err(e) = browser::open(&checked) {
                eprintln!("mcp-bridge: could not open a browser ({e}); open the URL above to sign in. Waiting.");
            }
        }
        // `login --no-browser`: the browser may be on another machine,
        // which cannot reach this one's loopback; the address it ends on
        // can be pasted here instead.
        let pasted = if self.cfg.paste_back {
            let lines = callback::terminal_lines();
            if lines.is_some() {
                eprintln!("mcp-bridge: If the browser is on another machine, paste here the address it ends on (the page may fail to load):");
            }
            lines
        } else {
            None
        };
        let cb = l
            .wait_or_paste(&state, self.cfg.auth_timeout, pasted)
            .await
            .map_err(|e| failed(url, e))?;
        if cb.iss.is_some() || server.iss_in_response {
            let iss = cb.iss.as_deref().unwrap_or("");
            // RFC 9207 §2.4: simple string comparison, no normalizing.
            if iss != server.issuer {
                return Err(failed(
                    url,
                    format!(
                        "the sign-in response came from issuer {:?}, not {} (RFC 9207); refused",
                        crate::text::clean(iss, 200),
                        server.issuer
                    ),
                ));
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
    /// stored registration for this redirect URI, then a new registration.
    async fn client_for_sign_in(
        &self,
        known: &mut Known,
        server: &AuthServer,
        redirect: &str,
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
        if let Some(c) = &known.client {
            if c.redirect_uri == redirect && c.issuer == server.issuer {
                return Ok(c.clone());
            }
            tracing::info!("the stored client registration is for another redirect URI or issuer; registering again");
        }
        let c = token::register(
            &self.http,
            server,
            redirect,
            self.cfg.client_metadata.as_ref(),
        )
        .await
        .map_err(|r| failed(&self.cfg.server, r.message))?;
        tracing::info!("registered as OAuth client {}", c.client_id);
        known.client = Some(c.clone());
        Ok(c)
    }
}
