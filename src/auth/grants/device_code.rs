//! The device authorization grant (RFC 8628), for a person whose browser is
//! on another device (an SSH host, a container): the verification URL and
//! the user code go to stderr (and the browser is opened at the complete
//! URL unless `--no-browser`), then the token endpoint is polled at the
//! server's interval, slower on `slow_down`, until the person approves,
//! refuses, the code expires, or `--auth-timeout` passes.

use super::server::AuthServer;
use super::sign_in::stored_client;
use super::store::Client;
use super::token::{self, call};
use super::Refused;
use super::{browser, failed, notice, Auth, Known};
use crate::http::challenge::Challenge;
use crate::http::error::UpstreamError;
use crate::text::clean;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The interval when the server names none (RFC 8628 §3.2).
const DEFAULT_INTERVAL: u64 = 5;
/// What `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN: u64 = 5;
/// The longest interval honoured.
const MAX_INTERVAL: u64 = 60;

impl Auth {
    /// Sign in with a device code; the lock is held.
    pub(super) async fn device_sign_in(
        &self,
        known: &mut Known,
        c: &Challenge,
        scope: Option<String>,
    ) -> Result<(), UpstreamError> {
        let url = &self.cfg.server;
        let server = self.server(known, c).await?;
        let Some(endpoint) = server.device_endpoint.clone() else {
            return Err(failed(
                url,
                format!(
                    "the authorization server {} offers no device authorization (RFC 8628); sign in in a browser instead (without --device-code)",
                    server.issuer
                ),
            ));
        };
        let scope = server.scope_for(scope, true);
        let client = self.device_client(known, &server, scope.as_deref()).await?;
        let mut form = vec![("client_id", client.client_id.clone())];
        if let Some(s) = scope.as_deref().filter(|s| !s.is_empty()) {
            form.push(("scope", s.to_owned()));
        }
        if let Some(r) = &server.resource {
            form.push(("resource", r.clone()));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let req = self
            .http
            .post(endpoint.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        let answer = call(
            &self.http,
            &endpoint,
            "the device authorization request",
            req,
        )
        .await
        .map_err(|r| failed(url, r))?;
        let field = |k: &str| answer.get(k).and_then(Value::as_str);
        let (Some(device_code), Some(user_code), Some(verify)) = (
            field("device_code").filter(|s| s.len() <= 4096),
            field("user_code").filter(|s| s.len() <= 64),
            field("verification_uri"),
        ) else {
            return Err(failed(
                url,
                "the device authorization answer lacks device_code, user_code or verification_uri",
            ));
        };
        let verify = browser::check_url(verify).map_err(|e| failed(url, e))?;
        let complete = field("verification_uri_complete").and_then(|u| browser::check_url(u).ok());
        let host = url.host_str().unwrap_or("the server");
        notice::say(&format!(
            "To sign in to {host}, visit {verify} and enter the code {}",
            clean(user_code, 64)
        ));
        if let (Some(u), true) = (&complete, self.cfg.browser) {
            if let Err(e) = browser::open(u) {
                notice::say(&format!(
                    "could not open a browser ({e}); use the URL above."
                ));
            }
        }
        let number = |k: &str| answer.get(k).and_then(Value::as_u64);
        let mut interval = number("interval")
            .unwrap_or(DEFAULT_INTERVAL)
            .clamp(1, MAX_INTERVAL);
        let lifetime = Duration::from_secs(number("expires_in").unwrap_or(600));
        let limit = lifetime.min(self.cfg.auth_timeout);
        let deadline = Instant::now() + limit;
        let dpop = self.dpop_key(&server).map_err(|e| failed(url, e))?;
        let polling = async {
            loop {
                let wait = Duration::from_secs(interval);
                if Instant::now() + wait > deadline {
                    return Err(failed(
                        url,
                        format!(
                            "the device code was not approved within {} s",
                            limit.as_secs()
                        ),
                    ));
                }
                tokio::time::sleep(wait).await;
                let proofs = self.proofs(&client, dpop.as_deref());
                let grant = token::Grant::DeviceCode(device_code);
                match token::tokens(&self.http, &server, &client, &proofs, grant).await {
                    Ok(t) => {
                        self.person_signed_in(known, &server, client, t).await;
                        return Ok(());
                    }
                    Err(Refused { code: Some(c), .. }) if c == "authorization_pending" => {}
                    Err(Refused { code: Some(c), .. }) if c == "slow_down" => {
                        interval = (interval + SLOW_DOWN).min(MAX_INTERVAL);
                        tracing::info!(
                            "the authorization server asks to poll slower: every {interval} s"
                        );
                    }
                    Err(r) => return Err(failed(url, r)),
                }
            }
        };
        notice::progress("the device code to be approved", limit, polling).await
    }

    /// The client for a device sign-in: the configured one, a stored
    /// registration for this issuer that may ask for `scope`, or a new one
    /// that asks for the grant.
    async fn device_client(
        &self,
        known: &mut Known,
        server: &AuthServer,
        scope: Option<&str>,
    ) -> Result<Client, UpstreamError> {
        if let Some(c) = &self.cfg.static_client {
            return Ok(c.clone());
        }
        let fits = |c: &Client| c.issuer == server.issuer;
        let register_for = match stored_client(known.client.as_ref(), fits, scope, false) {
            Ok(c) => return Ok(c),
            Err(register_for) => register_for,
        };
        let grants = serde_json::json!({"grant_types": [token::DEVICE_CODE, "refresh_token"]});
        let extra = match &self.cfg.client_metadata {
            Some(Value::Object(user)) => {
                let mut m = grants.as_object().cloned().unwrap_or_default();
                m.extend(user.clone());
                Value::Object(m)
            }
            _ => grants,
        };
        // Registration wants a redirect URI; a device client never uses it.
        let c = token::register(
            &self.http,
            server,
            "http://127.0.0.1/",
            register_for.as_deref(),
            Some(&extra),
        )
        .await
        .map_err(|r| failed(&self.cfg.server, r))?;
        tracing::info!("registered as OAuth client {}", c.client_id);
        known.client = Some(c.clone());
        Ok(c)
    }
}
