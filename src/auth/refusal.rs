//! What happens when the server refuses a token: a 401 (take what another
//! task or process got, refresh, or get new tokens with the configured
//! grant, after reading the server's metadata again) or a 403
//! `insufficient_scope` (ask for the scope). The grants themselves are in
//! `grants/`.

use super::{failed, union, Auth, FlowError, Turn, SIGN_IN_COOL_DOWN};
use crate::http::challenge::Challenge;
use crate::http::error::UpstreamError;
use crate::sync::Locked;

impl Auth {
    /// After a 401 on a request sent with `sent`: take whatever another task
    /// or process got meanwhile, else refresh, else sign in.
    pub(super) async fn unauthorized(
        &self,
        sent: Option<&str>,
        c: &Challenge,
    ) -> Result<(), UpstreamError> {
        let refused_fresh = {
            let f = self.fresh.locked();
            match (&f.token, f.refused_at) {
                (Some(t), Some(at)) => Some(t.expose()) == sent && at.elapsed() < SIGN_IN_COOL_DOWN,
                _ => false,
            }
        };
        if refused_fresh {
            return Err(failed(
                &self.cfg.server,
                FlowError::RefusesFresh {
                    secs: SIGN_IN_COOL_DOWN.as_secs(),
                },
            ));
        }
        let Some(mut turn) = self.turn(sent).await? else {
            return Ok(());
        };
        if sent.is_some() {
            // A token was refused: the server may name another
            // authorization server now. Its metadata is read again, and a
            // client or refresh token of the old one is never offered to
            // the new one (SEP-2352).
            let before = turn.known.server.take().map(|s| s.issuer);
            let now = self.server(&mut turn.known, c).await?;
            if before.is_some_and(|b| b != now.issuer) {
                tracing::info!(
                    "the server now names the authorization server {}; signing in there",
                    now.issuer
                );
            }
        }
        if self.binding_refused(sent, c) {
            self.bearer_only_from_now();
            // Saved now (the bound token dropped), so that a sign-in that
            // fails still leaves it remembered.
            if let Some(server) = turn.known.server.clone() {
                let client = turn.known.client.clone();
                self.save(&server, client.as_ref(), None).await;
            }
            self.adopt(None);
            let scope = c.scope.clone();
            return self.renew(&mut turn, c, scope, sent).await;
        }
        let had = self.current.locked().tokens.clone();
        if let Some(rt) = had.and_then(|t| t.refresh_token) {
            match self.refresh_locked(&mut turn.known, rt.expose(), c).await {
                Ok(_) => return Ok(()),
                Err(e) => tracing::info!(
                    "refreshing the token failed ({e}); signing in again",
                    e = crate::text::Chain(&e)
                ),
            }
        }
        let scope = c.scope.clone();
        self.renew(&mut turn, c, scope, sent).await
    }

    /// Get new tokens with the configured grant, in place of `sent`; the
    /// lock is held. A person's sign-in goes to a process of its own where
    /// it can (see `detach.rs`).
    async fn renew(
        &self,
        turn: &mut Turn<'_>,
        c: &Challenge,
        scope: Option<String>,
        sent: Option<&str>,
    ) -> Result<(), UpstreamError> {
        if !self.cfg.interactive && !self.cfg.grant.is_machine() {
            return Err(failed(&self.cfg.server, FlowError::NoPerson));
        }
        if self.detaches() {
            return self.sign_in_elsewhere(turn, c, scope, sent).await;
        }
        self.obtain(&mut turn.known, c, scope).await
    }

    /// After a 403 `insufficient_scope`: sign in again with the scope asked
    /// for added to what the token had.
    pub(super) async fn step_up(
        &self,
        sent: Option<&str>,
        c: &Challenge,
    ) -> Result<(), UpstreamError> {
        let Some(mut turn) = self.turn(sent).await? else {
            return Ok(());
        };
        let had = self
            .current
            .locked()
            .tokens
            .as_ref()
            .and_then(|t| t.scope.clone());
        let scope = union(had.as_deref(), c.scope.as_deref());
        self.renew(&mut turn, c, scope, sent).await
    }
}
