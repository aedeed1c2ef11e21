//! The smallest OAuth authorization server a resource server can be pointed
//! at, for the bench: RFC 8414 metadata naming a JWKS of one ES256 key, and
//! access tokens signed with that key, so that `serve --auth-issuer` checks
//! real JWTs on every call.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;

/// A running issuer.
pub struct Issuer {
    /// Its issuer URL.
    pub url: String,
    pair: EcdsaKeyPair,
}

impl Issuer {
    /// Start one on a free loopback port, serving until the bench ends.
    pub fn start() -> Option<Issuer> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).ok()?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .ok()?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
        listener.set_nonblocking(true).ok()?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr().ok()?.port());
        let p = pair.public_key().as_ref();
        let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "bench", "use": "sig",
            "x": B64.encode(&p[1..33]), "y": B64.encode(&p[33..])}]});
        let metadata = json!({"issuer": url, "jwks_uri": format!("{url}/jwks")});
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let app = axum::Router::new()
                    .route(
                        "/.well-known/oauth-authorization-server",
                        axum::routing::get(move || async move { axum::Json(metadata) }),
                    )
                    .route(
                        "/jwks",
                        axum::routing::get(move || async move { axum::Json(jwks) }),
                    );
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let _ = axum::serve(listener, app).await;
            });
        });
        Some(Issuer { url, pair })
    }

    /// An access token for `audience`, valid an hour.
    pub fn token(&self, audience: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = json!({"alg": "ES256", "kid": "bench", "typ": "at+jwt"});
        let claims = json!({"iss": self.url, "sub": "bench", "aud": audience, "iat": now,
            "exp": now + 3600, "scope": "mcp:tools", "client_id": "bench"});
        let signed = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&SystemRandom::new(), signed.as_bytes())
            .unwrap();
        format!("{signed}.{}", B64.encode(sig.as_ref()))
    }
}
