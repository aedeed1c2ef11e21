//! The device authorization grant (RFC 8628), for a person whose browser is
//! on another device (an SSH host, a container): the verification URL and
//! the user code go to stderr (and the browser is opened at the complete
//! URL unless `--no-browser`), then the token endpoint is polled at the
//! server's interval, slower on `slow_down`, until the person approves,
//! refuses, the code expires, or `--auth-timeout` passes.

use super::clients::stored_client;
use super::{Grant, Opening};
use crate::auth::endpoints::{self, call, TokenRequest, DEVICE_CODE};
use crate::auth::server::AuthServer;
use crate::auth::store::{Client, Tokens};
use crate::auth::{browser, notice, Auth, Error, FlowError, Known, Refused};
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

/// A person approves on another device.
pub(super) struct DeviceCode;

impl Grant for DeviceCode {
    const PERSON: bool = true;

    async fn obtain(&self, auth: &Auth, known: &mut Known, at: Opening) -> Result<Tokens, Error> {
        let Opening { server, scope } = at;
        let url = &auth.cfg.server;
        let Some(endpoint) = server.device_endpoint.clone() else {
            return Err(FlowError::NoDeviceGrant {
                issuer: server.issuer.clone(),
            }
            .into());
        };
        let client = auth.device_client(known, &server, scope.as_deref()).await?;
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
        let req = auth
            .http
            .post(endpoint.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        let answer = call(
            &auth.http,
            &endpoint,
            "the device authorization request",
            req,
        )
        .await?;
        let field = |k: &str| answer.get(k).and_then(Value::as_str);
        let (Some(device_code), Some(user_code), Some(verify)) = (
            field("device_code").filter(|s| s.len() <= 4096),
            field("user_code").filter(|s| s.len() <= 64),
            field("verification_uri"),
        ) else {
            return Err(FlowError::DeviceAnswer.into());
        };
        let verify = browser::check_url(verify)?;
        let complete = field("verification_uri_complete").and_then(|u| browser::check_url(u).ok());
        let host = url.host_str().unwrap_or("the server");
        notice::say(&format!(
            "To sign in to {host}, visit {verify} and enter the code {}",
            clean(user_code, 64)
        ));
        if let (Some(u), true) = (&complete, auth.cfg.browser) {
            if let Err(e) = browser::open(u) {
                notice::say(&format!(
                    "could not open a browser ({e}); use the URL above.",
                    e = crate::text::Chain(&e)
                ));
            }
        }
        let number = |k: &str| answer.get(k).and_then(Value::as_u64);
        let mut interval = number("interval")
            .unwrap_or(DEFAULT_INTERVAL)
            .clamp(1, MAX_INTERVAL);
        let lifetime = Duration::from_secs(number("expires_in").unwrap_or(600));
        let limit = lifetime.min(auth.cfg.auth_timeout);
        let deadline = Instant::now() + limit;
        let dpop = auth.dpop_key(&server)?;
        let polling = async {
            loop {
                let wait = Duration::from_secs(interval);
                if Instant::now() + wait > deadline {
                    return Err(FlowError::NotApproved {
                        secs: limit.as_secs(),
                    }
                    .into());
                }
                tokio::time::sleep(wait).await;
                let proofs = auth.proofs(&client, dpop.as_deref());
                let request = TokenRequest::DeviceCode(device_code);
                match endpoints::tokens(&auth.http, &server, &client, &proofs, request).await {
                    Ok(t) => {
                        auth.person_signed_in(known, &server, client, t.clone())
                            .await;
                        return Ok(t);
                    }
                    Err(Refused { code: Some(c), .. }) if c == "authorization_pending" => {}
                    Err(Refused { code: Some(c), .. }) if c == "slow_down" => {
                        interval = (interval + SLOW_DOWN).min(MAX_INTERVAL);
                        tracing::info!(
                            "the authorization server asks to poll slower: every {interval} s"
                        );
                    }
                    Err(r) => return Err(r.into()),
                }
            }
        };
        notice::progress("the device code to be approved", limit, polling).await
    }
}

impl Auth {
    /// The client for a device sign-in: the configured one, a stored
    /// registration for this issuer that may ask for `scope`, or a new one
    /// that asks for the grant.
    async fn device_client(
        &self,
        known: &mut Known,
        server: &AuthServer,
        scope: Option<&str>,
    ) -> Result<Client, Error> {
        if let Some(c) = &self.cfg.static_client {
            return Ok(c.clone());
        }
        let fits = |c: &Client| c.issuer == server.issuer;
        let register_for = match stored_client(known.client.as_ref(), fits, scope, false) {
            Ok(c) => return Ok(c),
            Err(register_for) => register_for,
        };
        let grants = serde_json::json!({"grant_types": [DEVICE_CODE, "refresh_token"]});
        let extra = match &self.cfg.client_metadata {
            Some(Value::Object(user)) => {
                let mut m = grants.as_object().cloned().unwrap_or_default();
                m.extend(user.clone());
                Value::Object(m)
            }
            _ => grants,
        };
        // Registration wants a redirect URI; a device client never uses it.
        let c = endpoints::register(
            &self.http,
            server,
            "http://127.0.0.1/",
            register_for.as_deref(),
            Some(&extra),
        )
        .await?;
        tracing::info!("registered as OAuth client {}", c.client_id);
        known.client = Some(c.clone());
        Ok(c)
    }
}
