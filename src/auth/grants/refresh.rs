//! The refresh grant: a new access token from the refresh token, ahead of
//! expiry or after a 401, with the lock held so that a rotating refresh
//! token is never spent twice.

use super::clients::metadata_document_client;
use super::{Grant, Opening};
use crate::auth::endpoints::{self, TokenRequest};
use crate::auth::server::AuthServer;
use crate::auth::store::{Client, Tokens};
use crate::auth::{Auth, Error, FlowError, Known};
use crate::http::challenge::Challenge;
use crate::sync::Locked;

/// A refresh token.
pub(super) struct Refresh<'a>(pub &'a str);

impl Grant for Refresh<'_> {
    /// A refresh asks for no scope: it gets the one the token had.
    const PERSON: bool = false;

    /// When the authorization server no longer knows a registered client,
    /// the registration is dropped; when it refuses the refresh token, the
    /// tokens are. Either way the next step is a sign-in.
    async fn obtain(&self, auth: &Auth, known: &mut Known, at: Opening) -> Result<Tokens, Error> {
        let server = at.server;
        let client = auth
            .client_for_refresh(known, &server)
            .ok_or(FlowError::NoClient)?;
        let request = TokenRequest::Refresh(self.0);
        let dpop = auth.dpop_key(&server)?;
        let proofs = auth.proofs(&client, dpop.as_deref());
        match endpoints::tokens(&auth.http, &server, &client, &proofs, request).await {
            Ok(t) => {
                tracing::info!("access token refreshed");
                auth.save(&server, Some(&client), Some(&t)).await;
                auth.adopt(Some(t.clone()));
                Ok(t)
            }
            Err(r) => {
                if r.code.as_deref() == Some("invalid_client") && client.dynamic {
                    tracing::info!("the authorization server no longer knows this client; it will be registered again");
                    known.client = None;
                    auth.save(&server, None, None).await;
                    auth.adopt(None);
                } else if r.code.as_deref() == Some("invalid_grant") {
                    let client = known.client.clone();
                    auth.save(&server, client.as_ref(), None).await;
                    auth.adopt(None);
                }
                Err(r.into())
            }
        }
    }
}

impl Auth {
    /// Refresh `old` (ahead of expiry), unless it was replaced meanwhile.
    /// A machine grant has no refresh token: it asks again instead.
    pub(in crate::auth) async fn refresh_shared(&self, old: &Tokens) -> Result<Tokens, Error> {
        let turn = self.turn(Some(old.access_token.expose())).await?;
        let Some(mut turn) = turn else {
            let cur = self.current.locked();
            return cur
                .tokens
                .clone()
                .ok_or_else(|| FlowError::SignedOut.into());
        };
        let none = Challenge::default();
        if old.refresh_token.is_none() && self.cfg.grant.is_machine() {
            self.obtain(&mut turn.known, &none, None).await?;
            let cur = self.current.locked();
            return cur.tokens.clone().ok_or_else(|| FlowError::NoToken.into());
        }
        let rt = old.refresh_token.clone().ok_or(FlowError::NoRefreshToken)?;
        self.refresh_locked(&mut turn.known, rt.expose(), &none)
            .await
    }

    /// Refresh with `refresh_token`; the lock is held. On success the
    /// tokens are stored and used.
    pub(in crate::auth) async fn refresh_locked(
        &self,
        known: &mut Known,
        refresh_token: &str,
        c: &Challenge,
    ) -> Result<Tokens, Error> {
        self.opened(Refresh(refresh_token), known, c, None).await
    }

    /// The client to refresh with: the configured one or the stored registration.
    fn client_for_refresh(&self, known: &Known, server: &AuthServer) -> Option<Client> {
        if let Some(c) = &self.cfg.static_client {
            return Some(c.clone());
        }
        if let (Some(url), true) = (&self.cfg.client_metadata_url, server.cimd_supported) {
            return Some(metadata_document_client(url, server));
        }
        known.client.clone().filter(|c| c.issuer == server.issuer)
    }
}
