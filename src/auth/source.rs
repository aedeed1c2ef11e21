//! `Auth` as the HTTP layer's [`TokenSource`]: the token for a request,
//! its DPoP proof, and the handling of a 401 or 403, counted while it runs
//! (a time limit on the server's answers does not count a sign-in).

use super::Auth;
use crate::http::challenge::Challenge;
use crate::http::error::UpstreamError;
use crate::http::{BoxFuture, TokenSource};
use crate::secret::Secret;
use crate::sync::Locked;
use std::sync::atomic::{AtomicUsize, Ordering};
use url::Url;

/// One 401 or 403 being handled, counted while it lives.
struct Handling<'a>(&'a AtomicUsize);

impl<'a> Handling<'a> {
    fn enter(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::Relaxed);
        Handling(n)
    }
}

impl Drop for Handling<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl TokenSource for Auth {
    fn bearer(&self) -> BoxFuture<'_, Option<Secret>> {
        Box::pin(self.current_bearer())
    }

    fn bearer_now(&self) -> Option<Option<Secret>> {
        self.bearer_if_ready()
    }

    fn proof(&self, method: &str, url: &Url, token: &Secret) -> Option<String> {
        let bound = self
            .current
            .locked()
            .tokens
            .as_ref()
            .is_some_and(|t| t.dpop && t.access_token == *token);
        bound
            .then(|| self.dpop.resource_proof(method, url, token.expose()))
            .flatten()
    }

    fn refused_at_once(&self, token: &Secret) {
        let mut f = self.fresh.locked();
        if f.token.as_ref() == Some(token) {
            f.refused_at = Some(std::time::Instant::now());
        }
    }

    fn dpop_nonce(&self, nonce: &str) -> bool {
        self.dpop.resource_nonce(nonce)
    }

    fn signing_in(&self) -> bool {
        self.handling.load(Ordering::Relaxed) > 0
    }

    fn pending_sign_in(&self) -> Option<String> {
        self.detached_pending().then(|| {
            let host = self.cfg.server.host_str().unwrap_or("the server");
            format!("a sign-in to {host} is under way: finish signing in in your browser, then restart the server")
        })
    }

    fn another_kind(&self, token: &Secret, challenge: &Challenge) -> bool {
        self.binding_refused(Some(token.expose()), challenge)
    }

    fn unauthorized<'a>(
        &'a self,
        sent: Option<&'a Secret>,
        challenge: &'a Challenge,
    ) -> BoxFuture<'a, Result<(), UpstreamError>> {
        Box::pin(async move {
            let _counted = Handling::enter(&self.handling);
            Auth::unauthorized(self, sent.map(Secret::expose), challenge).await
        })
    }

    fn insufficient_scope<'a>(
        &'a self,
        sent: Option<&'a Secret>,
        challenge: &'a Challenge,
    ) -> BoxFuture<'a, Result<(), UpstreamError>> {
        Box::pin(async move {
            let _counted = Handling::enter(&self.handling);
            self.step_up(sent.map(Secret::expose), challenge).await
        })
    }
}
