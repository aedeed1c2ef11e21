//! DPoP proofs (RFC 9449, 4.3 and 7.1) for tokens bound to a key: a token
//! whose claims carry `cnf.jkt` is taken only with the `DPoP` scheme and a
//! proof signed by that key for this very request: `typ` `dpop+jwt`, an
//! asymmetric algorithm, the public key in the header (never a private
//! one), `htm` and `htu` naming the request, `iat` within a few minutes,
//! `ath` the digest of the token, and a `jti` seen once: a proof replayed
//! within the window is refused.

use super::tokens::{sha256, Jwk};
use crate::sync::Locked;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// The algorithms a proof may be signed with.
pub const ALGORITHMS: [&str; 4] = ["ES256", "RS256", "PS256", "EdDSA"];
/// How old a proof may be, in seconds.
const MAX_AGE: u64 = 300;
/// How far in the future its `iat` may be (the client's clock).
const AHEAD: u64 = 60;
/// The most proofs remembered for replay.
const MAX_SEEN: usize = 100_000;
/// The longest proof read.
const MAX_PROOF: usize = 8192;

/// Why a proof is refused (401, `invalid_dpop_proof`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadProof {
    /// No `DPoP` header, or more than one.
    #[error("the request carries no single DPoP proof")]
    Missing,
    /// Not a JWS of the shape RFC 9449 gives.
    #[error("the DPoP proof is not a dpop+jwt with a public key")]
    Malformed,
    /// Its signature does not verify with the key it names.
    #[error("the DPoP proof's signature does not verify")]
    Signature,
    /// Not signed by the key the token is bound to.
    #[error("the DPoP proof is not signed by the token's key")]
    OtherKey,
    /// `htm` or `htu` name another request.
    #[error("the DPoP proof is for another request")]
    OtherRequest,
    /// `iat` too old or too far ahead.
    #[error("the DPoP proof is too old or from the future")]
    Time,
    /// `ath` is not the token's digest.
    #[error("the DPoP proof is for another token")]
    OtherToken,
    /// Its `jti` was seen already.
    #[error("the DPoP proof was used before")]
    Replayed,
}

/// The `jti`s of proofs taken, until they are too old to be taken again.
#[derive(Default)]
pub struct Seen(std::sync::Mutex<HashMap<String, u64>>);

impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seen")
    }
}

/// What a request is, for its proof.
pub struct Request<'a> {
    /// Its HTTP method.
    pub method: &'a str,
    /// Its URL as the client reached it, without query or fragment.
    pub url: &'a str,
    /// The access token it carries.
    pub token: &'a str,
    /// The thumbprint of the key the token is bound to (`cnf.jkt`).
    pub jkt: &'a str,
    /// Seconds since the epoch.
    pub now: u64,
}

impl Seen {
    /// Check `proof` for request `r`, and remember its `jti`.
    pub fn check(&self, proof: &str, r: &Request<'_>) -> Result<(), BadProof> {
        #[derive(Deserialize)]
        struct Header {
            typ: String,
            alg: String,
            jwk: Value,
        }
        #[derive(Deserialize)]
        struct Claims {
            jti: String,
            htm: String,
            htu: String,
            iat: u64,
            ath: Option<String>,
        }
        if proof.len() > MAX_PROOF {
            return Err(BadProof::Malformed);
        }
        let mut parts = proof.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(BadProof::Malformed);
        };
        let decode = |p: &str| B64.decode(p).map_err(|_| BadProof::Malformed);
        let header: Header =
            serde_json::from_slice(&decode(h)?).map_err(|_| BadProof::Malformed)?;
        let claims: Claims =
            serde_json::from_slice(&decode(c)?).map_err(|_| BadProof::Malformed)?;
        let private = header.jwk.get("d").is_some();
        if !header.typ.eq_ignore_ascii_case("dpop+jwt")
            || !ALGORITHMS.contains(&header.alg.as_str())
            || private
        {
            return Err(BadProof::Malformed);
        }
        let key: Jwk = serde_json::from_value(header.jwk).map_err(|_| BadProof::Malformed)?;
        if !key.fits(&header.alg) {
            return Err(BadProof::Malformed);
        }
        let signed = format!("{h}.{c}");
        if !key.verifies(&header.alg, signed.as_bytes(), &decode(s)?) {
            return Err(BadProof::Signature);
        }
        if key.thumbprint().as_deref() != Some(r.jkt) {
            return Err(BadProof::OtherKey);
        }
        if claims.htm != r.method || !same_url(&claims.htu, r.url) {
            return Err(BadProof::OtherRequest);
        }
        if claims.iat + MAX_AGE < r.now || claims.iat > r.now + AHEAD {
            return Err(BadProof::Time);
        }
        if claims.ath.as_deref() != Some(B64.encode(sha256(r.token.as_bytes())).as_str()) {
            return Err(BadProof::OtherToken);
        }
        let mut seen = self.0.locked();
        if seen.len() >= MAX_SEEN {
            seen.retain(|_, until| *until > r.now);
        }
        if seen.len() >= MAX_SEEN || seen.contains_key(&claims.jti) {
            return Err(BadProof::Replayed);
        }
        seen.insert(claims.jti, claims.iat.max(r.now) + MAX_AGE + AHEAD);
        Ok(())
    }
}

/// Two `htu`s for the same resource (RFC 9449, 4.3: compared without
/// query and fragment, scheme and host in any case).
fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(mut a), Ok(mut b)) => {
            for u in [&mut a, &mut b] {
                u.set_query(None);
                u.set_fragment(None);
            }
            a == b
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    use serde_json::json;

    const URL: &str = "http://127.0.0.1:8080/mcp";
    const NOW: u64 = 1_800_000_000;

    fn key() -> (EcdsaKeyPair, Value) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let p = pair.public_key().as_ref();
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": B64.encode(&p[1..33]), "y": B64.encode(&p[33..])});
        (pair, jwk)
    }

    fn proof(pair: &EcdsaKeyPair, jwk: &Value, claims: Value) -> String {
        let h = B64.encode(json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}).to_string());
        let signed = format!("{h}.{}", B64.encode(claims.to_string()));
        let sig = pair.sign(&SystemRandom::new(), signed.as_bytes()).unwrap();
        format!("{signed}.{}", B64.encode(sig.as_ref()))
    }

    fn claims(jti: &str) -> Value {
        json!({"jti": jti, "htm": "POST", "htu": URL, "iat": NOW,
            "ath": B64.encode(sha256(b"tok"))})
    }

    #[test]
    fn a_proof_is_taken_once_for_its_request_and_key() {
        let (pair, jwk) = key();
        let jkt = serde_json::from_value::<Jwk>(jwk.clone())
            .unwrap()
            .thumbprint()
            .unwrap();
        let r = Request {
            method: "POST",
            url: URL,
            token: "tok",
            jkt: &jkt,
            now: NOW,
        };
        let seen = Seen::default();
        let good = proof(&pair, &jwk, claims("1"));
        assert_eq!(seen.check(&good, &r), Ok(()));
        assert_eq!(seen.check(&good, &r), Err(BadProof::Replayed));
        let with = |edit: &dyn Fn(&mut Value)| {
            let mut c = claims("2");
            edit(&mut c);
            seen.check(&proof(&pair, &jwk, c), &r)
        };
        assert_eq!(
            with(&|c| c["htm"] = json!("GET")),
            Err(BadProof::OtherRequest)
        );
        assert_eq!(
            with(&|c| c["htu"] = json!("http://127.0.0.1:8080/other")),
            Err(BadProof::OtherRequest)
        );
        assert_eq!(
            with(&|c| c["iat"] = json!(NOW - MAX_AGE - 1)),
            Err(BadProof::Time)
        );
        assert_eq!(with(&|c| c["ath"] = json!("x")), Err(BadProof::OtherToken));
        // A query on htu does not count.
        assert_eq!(with(&|c| c["htu"] = json!(format!("{URL}?a=1"))), Ok(()));
        let other = Request {
            jkt: "another-thumbprint",
            ..r
        };
        assert_eq!(
            seen.check(&proof(&pair, &jwk, claims("3")), &other),
            Err(BadProof::OtherKey)
        );
        let mut private = jwk.clone();
        private["d"] = json!("secret");
        assert_eq!(
            seen.check(&proof(&pair, &private, claims("4")), &r),
            Err(BadProof::Malformed)
        );
    }

    #[test]
    fn the_thumbprint_is_rfc_7638_s() {
        // RFC 7638, 3.1: the example RSA key and its thumbprint.
        let jwk: Jwk = serde_json::from_value(json!({"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}))
            .unwrap();
        assert_eq!(
            jwk.thumbprint().as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }
}
