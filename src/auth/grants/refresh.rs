//! The refresh grant: a new access token from the refresh token, ahead of
//! expiry or after a 401, with the lock held so that a rotating refresh
//! token is never spent twice.

use super::server::AuthServer;
use super::store::{Client, Tokens};
use super::{metadata_document_client, token, Auth, Error, Known};
use crate::http::challenge::Challenge;

impl Auth {
    /// Refresh `old` (ahead of expiry), unless it was replaced meanwhile.
    pub(super) async fn refresh_shared(&self, old: &Tokens) -> Result<Tokens, Error> {
        let turn = self.turn(Some(old.access_token.expose())).await?;
        let Some(mut turn) = turn else {
            let cur = self.current.lock().expect("auth state");
            return cur
                .tokens
                .clone()
                .ok_or_else(|| "signed out meanwhile".into());
        };
        if old.refresh_token.is_none() && self.cfg.grant.is_machine() {
            self.machine_grant(&mut turn.known, &Challenge::default(), None)
                .await?;
            let cur = self.current.lock().expect("auth state");
            return cur.tokens.clone().ok_or_else(|| "no token".into());
        }
        let rt = old.refresh_token.clone().ok_or("no refresh token")?;
        self.refresh_locked(&mut turn.known, rt.expose(), &Challenge::default())
            .await
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

    /// Use `refresh_token`; the lock is held. On success the tokens are
    /// stored and used.
    pub(super) async fn refresh_locked(
        &self,
        known: &mut Known,
        refresh_token: &str,
        c: &Challenge,
    ) -> Result<Tokens, Error> {
        let server = self.server(known, c).await?;
        let client = self
            .client_for_refresh(known, &server)
            .ok_or("no registered client to refresh with")?;
        let grant = token::Grant::Refresh(refresh_token);
        let dpop = self.dpop_key(&server)?;
        let proofs = self.proofs(&client, dpop.as_deref());
        match token::tokens(&self.http, &server, &client, &proofs, grant).await {
            Ok(t) => {
                tracing::info!("access token refreshed");
                self.save(&server, Some(&client), Some(&t)).await;
                self.adopt(Some(t.clone()));
                Ok(t)
            }
            Err(r) => {
                if r.code.as_deref() == Some("invalid_client") && client.dynamic {
                    tracing::info!("the authorization server no longer knows this client; it will be registered again");
                    known.client = None;
                    self.save(&server, None, None).await;
                    self.adopt(None);
                } else if r.code.as_deref() == Some("invalid_grant") {
                    let client = known.client.clone();
                    self.save(&server, client.as_ref(), None).await;
                    self.adopt(None);
                }
                Err(r.into())
            }
        }
    }
}
