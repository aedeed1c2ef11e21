//! What happens when the server refuses a token: a 401 (take what another
//! task or process got, refresh, or get new tokens with the configured
//! grant, after reading the server's metadata again) or a 403
//! `insufficient_scope` (ask for the scope); and the discovery behind
//! both, once per process.

use super::discovery;
use super::server::AuthServer;
use super::{failed, union, Auth, GrantMode, Known, Turn, SIGN_IN_COOL_DOWN};
use crate::http::challenge::Challenge;
use crate::http::error::UpstreamError;

impl Auth {
    /// After a 401 on a request sent with `sent`: take whatever another task
    /// or process got meanwhile, else refresh, else sign in.
    pub(super) async fn unauthorized(
        &self,
        sent: Option<&str>,
        c: &Challenge,
    ) -> Result<(), UpstreamError> {
        let refused_fresh = {
            let f = self.fresh.lock().expect("fresh lock");
            match (&f.token, f.refused_at) {
                (Some(t), Some(at)) => Some(t.as_str()) == sent && at.elapsed() < SIGN_IN_COOL_DOWN,
                _ => false,
            }
        };
        if refused_fresh {
            return Err(failed(
                &self.cfg.server,
                format!(
                    "the server refuses the token it was just signed in for; not signing in again for {} s (check the server's authorization settings)",
                    SIGN_IN_COOL_DOWN.as_secs()
                ),
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
            return self.obtain(&mut turn, c, scope, sent).await;
        }
        let had = self.current.lock().expect("auth state").tokens.clone();
        if let Some(rt) = had.and_then(|t| t.refresh_token) {
            match self.refresh_locked(&mut turn.known, rt.expose(), c).await {
                Ok(_) => return Ok(()),
                Err(e) => tracing::info!("refreshing the token failed ({e}); signing in again"),
            }
        }
        let scope = c.scope.clone();
        self.obtain(&mut turn, c, scope, sent).await
    }

    /// Get new tokens with the configured grant, in place of `sent`; the
    /// lock is held. A person's sign-in goes to a process of its own where
    /// it can (see `detach.rs`).
    async fn obtain(
        &self,
        turn: &mut Turn<'_>,
        c: &Challenge,
        scope: Option<String>,
        sent: Option<&str>,
    ) -> Result<(), UpstreamError> {
        if !self.cfg.interactive && !self.cfg.grant.is_machine() {
            return Err(failed(
                &self.cfg.server,
                "a person must sign in, and this command opens no browser (sign in with `mcp-bridge login URL`)",
            ));
        }
        if self.detaches() {
            return self.sign_in_elsewhere(turn, c, scope, sent).await;
        }
        self.obtain_here(&mut turn.known, c, scope).await
    }

    /// Get new tokens with the configured grant, in this process.
    pub(super) async fn obtain_here(
        &self,
        known: &mut Known,
        c: &Challenge,
        scope: Option<String>,
    ) -> Result<(), UpstreamError> {
        let headless = self.cfg.device_when_headless && self.cfg.grant == GrantMode::Browser;
        if headless && self.server(known, c).await?.device_endpoint.is_some() {
            tracing::info!("no display here: signing in with a device code");
            return self.device_sign_in(known, c, scope).await;
        }
        match self.cfg.grant {
            GrantMode::DeviceCode => self.device_sign_in(known, c, scope).await,
            _ if self.cfg.grant.is_machine() => self.machine_grant(known, c, scope).await,
            _ => self.sign_in(known, c, scope).await,
        }
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
            .lock()
            .expect("auth state")
            .tokens
            .as_ref()
            .and_then(|t| t.scope.clone());
        let scope = union(had.as_deref(), c.scope.as_deref());
        self.obtain(&mut turn, c, scope, sent).await
    }

    /// Discovery, once per process.
    pub(super) async fn server(
        &self,
        known: &mut Known,
        c: &Challenge,
    ) -> Result<AuthServer, UpstreamError> {
        if let Some(s) = &known.server {
            return Ok(s.clone());
        }
        let wanted = discovery::Wanted {
            server: &self.cfg.server,
            resource: self.cfg.resource.as_deref(),
            resource_parameter: self.cfg.resource_parameter,
            allow_http: self.cfg.allow_http,
            browser: self.cfg.grant.uses_browser(),
        };
        let found = discovery::discover(&self.http, &wanted, c).await;
        let s = match (found, &self.cfg.token_endpoint) {
            (Ok(mut s), Some(te)) => {
                s.token_endpoint = te.clone();
                s
            }
            (Ok(s), None) => s,
            // --token-endpoint stands in for metadata the server lacks.
            (Err(e), Some(te)) => {
                tracing::info!("{e}; using --token-endpoint {te}");
                let resource = self.cfg.resource_parameter.then(|| {
                    self.cfg
                        .resource
                        .clone()
                        .unwrap_or_else(|| discovery::canonical_resource(&self.cfg.server))
                });
                AuthServer::without_metadata(
                    te.origin().ascii_serialization(),
                    te.clone(),
                    c.scope.clone(),
                    resource,
                )
            }
            (Err(e), None) => return Err(failed(&self.cfg.server, e)),
        };
        known.server = Some(s.clone());
        Ok(s)
    }
}
