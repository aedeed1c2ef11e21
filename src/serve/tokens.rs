//! JWT access tokens checked as an OAuth 2.1 resource server checks them
//! (RFC 9068, RFC 7519, RFC 7515): the signature with a key of the
//! issuer's JWKS, then the issuer, the audience (this server, RFC 8707),
//! the expiry and the scopes.
//!
//! Written on `ring`, which the build has for TLS, rather than with a JWT
//! crate: four algorithms are verified (RS256, PS256, ES256, EdDSA) and a
//! second crypto stack would grow the binary for nothing. `none` and the
//! HMAC algorithms are never accepted: a JWKS holds public keys, and a
//! token that names a symmetric algorithm is refused before any key is
//! looked at. A key's own `alg` and `use`, when it has them, must agree.

use crate::sync::Locked;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;
use serde_json::Value;

/// How far the clocks of the issuer and of this server may disagree.
const LEEWAY: u64 = 60;

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What a token checked for `audience` is remembered by: one token may be
/// good at one server of a `--config` and not at another, so the audience
/// is part of the key.
pub fn memory_key(token: &str, audience: &str) -> [u8; 32] {
    // No audience holds a NUL: the split between the two is unambiguous.
    sha256_of(&[audience.as_bytes(), &[0], token.as_bytes()])
}

/// The SHA-256 digest of `bytes`: how a token or a key is remembered
/// without being kept.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    sha256_of(&[bytes])
}

/// The SHA-256 digest of `parts` one after the other, without copying them
/// into one buffer first.
fn sha256_of(parts: &[&[u8]]) -> [u8; 32] {
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        digest.update(part);
    }
    let mut out = [0; 32];
    out.copy_from_slice(digest.finish().as_ref());
    out
}

/// Tokens found good, by their SHA-256 digest, each until a time: a client
/// sends the same token with every call, and it is checked once. At most
/// [`Remembered::MAX`]; when full, the expired go, and if none has, all.
#[derive(Default)]
pub struct Remembered(std::sync::Mutex<std::collections::HashMap<[u8; 32], (Claims, u64)>>);

impl Remembered {
    /// The most tokens remembered.
    pub const MAX: usize = 4096;

    /// The claims of the token of `digest`, if it is remembered past `now`.
    pub fn get(&self, digest: &[u8; 32], now: u64) -> Option<Claims> {
        let map = self.0.locked();
        let (claims, until) = map.get(digest)?;
        (now < *until).then(|| claims.clone())
    }

    /// Remember the token of `digest` and its `claims` until `until`.
    pub fn keep(&self, digest: [u8; 32], claims: Claims, until: u64, now: u64) {
        let mut map = self.0.locked();
        if map.len() >= Self::MAX {
            map.retain(|_, (_, u)| now < *u);
            if map.len() >= Self::MAX {
                map.clear();
            }
        }
        map.insert(digest, (claims, until));
    }
}

/// Two identifiers (a resource, an issuer) of the same thing: equal, or
/// equal but for a trailing slash.
pub fn same_identifier(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Why a token is refused (401, `invalid_token`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// Not three base64url parts of JSON.
    #[error("the token is not a JWT")]
    Malformed,
    /// An algorithm outside RS256, PS256, ES256 and EdDSA.
    #[error("the token's algorithm {0:?} is not accepted")]
    Algorithm(String),
    /// `iss` is none of the configured issuers.
    #[error("the token's issuer is not trusted here")]
    Issuer,
    /// No key of the issuer's JWKS fits the token.
    #[error("no key of the issuer's JWKS fits the token")]
    NoKey,
    /// The signature does not verify.
    #[error("the token's signature does not verify")]
    Signature,
    /// `aud` does not name this server.
    #[error("the token is not for this server (its audience differs)")]
    Audience,
    /// Past `exp`, or before `nbf`.
    #[error("the token has expired or is not valid yet")]
    Expired,
    /// The introspection endpoint says it is not active (revoked,
    /// expired, or unknown there).
    #[error("the token is not active")]
    Inactive,
    /// `typ` names something other than an access token.
    #[error("the token's type {0:?} is not an access token")]
    Type(String),
}

/// A token's header and claims, read before its signature is checked:
/// nothing in them is believed until it is.
pub struct Unverified {
    /// The signing algorithm.
    pub alg: String,
    /// The key id, when it names one.
    pub kid: Option<String>,
    /// The claims.
    pub claims: Claims,
    signed: String,
    signature: Vec<u8>,
}

/// The claims this server reads.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Claims {
    /// The issuer.
    #[serde(default)]
    pub iss: String,
    /// The subject.
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    aud: Value,
    #[serde(default)]
    exp: Option<u64>,
    #[serde(default)]
    nbf: Option<u64>,
    /// RFC 9068 and RFC 8693: space-separated.
    #[serde(default)]
    scope: Option<String>,
    /// Microsoft Entra ID, Okta: a list, or a space-separated string.
    #[serde(default)]
    scp: Value,
    /// The client the token was issued to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The key a DPoP proof must be signed with (RFC 9449): its thumbprint.
    #[serde(default)]
    pub cnf: Option<Confirmation>,
    /// Every other claim, for `--pass-claims-env`.
    #[serde(flatten)]
    pub other: std::collections::HashMap<String, Value>,
}

/// `cnf` (RFC 7800).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Confirmation {
    /// The JWK SHA-256 thumbprint of the DPoP key.
    pub jkt: Option<String>,
}

impl Claims {
    /// The text of claim `name` for an environment variable: a string, a
    /// number or a boolean, or a list of them joined by spaces; `None` for
    /// anything else, or text with a NUL or over 4 KB.
    pub fn text(&self, name: &str) -> Option<String> {
        let v = match name {
            "iss" => Value::from(self.iss.as_str()),
            "sub" => Value::from(self.sub.clone()?),
            "client_id" => Value::from(self.client_id.clone()?),
            "scope" => Value::from(self.scopes().join(" ")),
            "aud" => self.aud.clone(),
            _ => self.other.get(name)?.clone(),
        };
        let one = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let text = match &v {
            Value::Array(list) => list.iter().map(one).collect::<Option<Vec<_>>>()?.join(" "),
            v => one(v)?,
        };
        (!text.contains('\0') && text.len() <= 4096).then_some(text)
    }

    /// The scopes granted.
    pub fn scopes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        match &self.scp {
            Value::String(s) => out.extend(s.split_whitespace().map(str::to_owned)),
            Value::Array(a) => out.extend(a.iter().filter_map(Value::as_str).map(str::to_owned)),
            _ => {}
        }
        out.sort();
        out.dedup();
        out
    }

    /// Until when (seconds since the epoch) the token may be taken, as
    /// [`Unverified::verify`] judges its expiry.
    pub fn valid_until(&self) -> u64 {
        self.exp.map_or(0, |exp| exp + LEEWAY)
    }

    /// Whether the token is for `audience` and may be taken at `now`
    /// (seconds since the epoch): before `exp`, not before `nbf`, within
    /// the clocks' leeway. A token with no `exp` is refused.
    pub fn check_audience_and_time(&self, audience: &str, now: u64) -> Result<(), Invalid> {
        if !self.for_audience(audience) {
            return Err(Invalid::Audience);
        }
        let expired = self.exp.is_none_or(|exp| exp + LEEWAY <= now);
        let early = self.nbf.is_some_and(|nbf| nbf > now + LEEWAY);
        if expired || early {
            return Err(Invalid::Expired);
        }
        Ok(())
    }

    /// Whether `aud` names `audience` (a string, or one of a list).
    fn for_audience(&self, audience: &str) -> bool {
        match &self.aud {
            Value::String(a) => same_identifier(a, audience),
            Value::Array(list) => list
                .iter()
                .filter_map(Value::as_str)
                .any(|a| same_identifier(a, audience)),
            _ => false,
        }
    }
}

/// Read `token` without trusting it.
pub fn read(token: &str) -> Result<Unverified, Invalid> {
    #[derive(Deserialize)]
    struct Header {
        alg: String,
        kid: Option<String>,
        typ: Option<String>,
    }
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Invalid::Malformed);
    };
    let json = |part: &str| B64.decode(part).map_err(|_| Invalid::Malformed);
    let header: Header = serde_json::from_slice(&json(h)?).map_err(|_| Invalid::Malformed)?;
    let claims: Claims = serde_json::from_slice(&json(c)?).map_err(|_| Invalid::Malformed)?;
    if !matches!(header.alg.as_str(), "RS256" | "PS256" | "ES256" | "EdDSA") {
        return Err(Invalid::Algorithm(crate::text::clean(&header.alg, 20)));
    }
    if let Some(typ) = header.typ {
        let t = typ.to_ascii_lowercase();
        if !matches!(t.as_str(), "at+jwt" | "application/at+jwt" | "jwt") {
            return Err(Invalid::Type(crate::text::clean(&typ, 40)));
        }
    }
    Ok(Unverified {
        alg: header.alg,
        kid: header.kid,
        claims,
        signed: format!("{h}.{c}"),
        signature: B64.decode(s).map_err(|_| Invalid::Malformed)?,
    })
}

/// A public key of a JWKS.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    kty: String,
    /// Its id.
    pub kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

impl Jwk {
    /// Whether it may verify a token signed with `alg`.
    pub fn fits(&self, alg: &str) -> bool {
        let family = match alg {
            "RS256" | "PS256" => self.kty == "RSA",
            "ES256" => self.kty == "EC" && self.crv.as_deref() == Some("P-256"),
            "EdDSA" => self.kty == "OKP" && self.crv.as_deref() == Some("Ed25519"),
            _ => false,
        };
        family
            && self.alg.as_deref().is_none_or(|a| a == alg)
            && self.use_.as_deref().is_none_or(|u| u == "sig")
    }

    /// Its JWK SHA-256 thumbprint (RFC 7638): the digest of its required
    /// members, in the order of their names, as JSON without white space.
    pub fn thumbprint(&self) -> Option<String> {
        let canonical = match self.kty.as_str() {
            "EC" => {
                serde_json::json!({"crv": self.crv.as_ref()?, "kty": "EC", "x": self.x.as_ref()?, "y": self.y.as_ref()?})
            }
            "RSA" => {
                serde_json::json!({"e": self.e.as_ref()?, "kty": "RSA", "n": self.n.as_ref()?})
            }
            "OKP" => {
                serde_json::json!({"crv": self.crv.as_ref()?, "kty": "OKP", "x": self.x.as_ref()?})
            }
            _ => return None,
        };
        Some(B64.encode(sha256(canonical.to_string().as_bytes())))
    }

    /// Whether `signature` over `message` verifies with this key under `alg`.
    pub fn verifies(&self, alg: &str, message: &[u8], sig: &[u8]) -> bool {
        let part = |v: &Option<String>| v.as_deref().and_then(|s| B64.decode(s).ok());
        match alg {
            "RS256" | "PS256" => {
                let (Some(n), Some(e)) = (part(&self.n), part(&self.e)) else {
                    return false;
                };
                let params = if alg == "RS256" {
                    &signature::RSA_PKCS1_2048_8192_SHA256
                } else {
                    &signature::RSA_PSS_2048_8192_SHA256
                };
                RsaPublicKeyComponents { n: &n, e: &e }
                    .verify(params, message, sig)
                    .is_ok()
            }
            "ES256" => {
                let (Some(x), Some(y)) = (part(&self.x), part(&self.y)) else {
                    return false;
                };
                if x.len() != 32 || y.len() != 32 {
                    return false;
                }
                let point = [&[4u8][..], &x, &y].concat();
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
            "EdDSA" => part(&self.x).is_some_and(|x| {
                UnparsedPublicKey::new(&signature::ED25519, x)
                    .verify(message, sig)
                    .is_ok()
            }),
            _ => false,
        }
    }
}

impl Unverified {
    /// The keys of `keys` this token may be signed with: the one its `kid`
    /// names, or (without a `kid`) every key of its algorithm.
    pub fn candidates<'k>(&self, keys: &'k [Jwk]) -> Vec<&'k Jwk> {
        keys.iter()
            .filter(|k| k.fits(&self.alg))
            .filter(|k| self.kid.is_none() || k.kid == self.kid)
            .collect()
    }

    /// The claims, once the signature verifies with one of `keys` and the
    /// token is for `audience` at `now` (seconds since the epoch).
    pub fn verify(self, keys: &[Jwk], audience: &str, now: u64) -> Result<Claims, Invalid> {
        let candidates = self.candidates(keys);
        if candidates.is_empty() {
            return Err(Invalid::NoKey);
        }
        let signed = self.signed.as_bytes();
        if !candidates
            .iter()
            .any(|k| k.verifies(&self.alg, signed, &self.signature))
        {
            return Err(Invalid::Signature);
        }
        self.claims.check_audience_and_time(audience, now)?;
        Ok(self.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair};
    use serde_json::json;

    const AUD: &str = "http://127.0.0.1:8080/mcp";

    fn b64(v: &Value) -> String {
        B64.encode(v.to_string())
    }

    /// An ES256 key pair and its JWK.
    fn es256() -> (EcdsaKeyPair, Jwk) {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
        let public = pair.public_key().as_ref();
        let jwk = json!({"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig",
            "x": B64.encode(&public[1..33]), "y": B64.encode(&public[33..])});
        (pair, serde_json::from_value(jwk).unwrap())
    }

    fn sign_es256(pair: &EcdsaKeyPair, header: &Value, claims: &Value) -> String {
        let signed = format!("{}.{}", b64(header), b64(claims));
        let sig = pair.sign(&SystemRandom::new(), signed.as_bytes()).unwrap();
        format!("{signed}.{}", B64.encode(sig.as_ref()))
    }

    fn claims(now: u64) -> Value {
        json!({"iss": "https://idp", "sub": "ada", "aud": [AUD], "exp": now + 300,
            "iat": now, "scope": "mcp:tools read", "client_id": "c"})
    }

    #[test]
    fn a_token_is_remembered_by_its_audience_too() {
        let key = memory_key("t.o.k", "https://a/mcp");
        assert_eq!(key, sha256(b"https://a/mcp\0t.o.k"));
        assert_ne!(key, memory_key("t.o.k", "https://b/mcp"));
        assert_ne!(key, memory_key("t.o.j", "https://a/mcp"));
    }

    #[test]
    fn a_good_token_gives_its_claims() {
        let (pair, jwk) = es256();
        let now = 1_800_000_000;
        let token = sign_es256(
            &pair,
            &json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt"}),
            &claims(now),
        );
        let c = read(&token).unwrap().verify(&[jwk], AUD, now).unwrap();
        assert_eq!(c.sub.as_deref(), Some("ada"));
        assert_eq!(c.scopes(), ["mcp:tools", "read"]);
    }

    #[test]
    fn each_flaw_is_named() {
        let (pair, jwk) = es256();
        let (_, other) = es256();
        let now = 1_800_000_000;
        let header = json!({"alg": "ES256", "kid": "k1"});
        let check = |token: &str, keys: &[Jwk]| {
            read(token)
                .and_then(|u| u.verify(keys, AUD, now))
                .map(|_| ())
        };
        let good = sign_es256(&pair, &header, &claims(now));
        assert_eq!(
            check(&good, std::slice::from_ref(&other)),
            Err(Invalid::Signature)
        );
        let mut wrong_kid = other;
        wrong_kid.kid = Some("k2".into());
        assert_eq!(check(&good, &[wrong_kid]), Err(Invalid::NoKey));
        let mut c = claims(now);
        c["aud"] = json!("http://127.0.0.1:8080/other");
        assert_eq!(
            check(&sign_es256(&pair, &header, &c), std::slice::from_ref(&jwk)),
            Err(Invalid::Audience)
        );
        let mut c = claims(now);
        c["exp"] = json!(now - LEEWAY - 1);
        assert_eq!(
            check(&sign_es256(&pair, &header, &c), std::slice::from_ref(&jwk)),
            Err(Invalid::Expired)
        );
        let mut c = claims(now);
        c.as_object_mut().unwrap().remove("exp");
        assert_eq!(
            check(&sign_es256(&pair, &header, &c), std::slice::from_ref(&jwk)),
            Err(Invalid::Expired)
        );
        // A tampered payload.
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut c = claims(now);
        c["sub"] = json!("eve");
        parts[1] = b64(&c);
        assert_eq!(
            check(&parts.join("."), std::slice::from_ref(&jwk)),
            Err(Invalid::Signature)
        );
        // none and HMAC are refused before any key is looked at.
        for alg in ["none", "HS256"] {
            let t = format!("{}.{}.", b64(&json!({"alg": alg})), b64(&claims(now)));
            assert_eq!(
                check(&t, std::slice::from_ref(&jwk)),
                Err(Invalid::Algorithm(alg.into()))
            );
        }
        let id_token = sign_es256(
            &pair,
            &json!({"alg": "ES256", "typ": "id_token+jwt"}),
            &claims(now),
        );
        assert!(matches!(
            check(&id_token, std::slice::from_ref(&jwk)),
            Err(Invalid::Type(_))
        ));
        assert_eq!(check("a.b", &[jwk]), Err(Invalid::Malformed));
    }

    #[test]
    fn a_key_of_another_kind_or_use_does_not_fit() {
        let (_, jwk) = es256();
        assert!(jwk.fits("ES256"));
        assert!(!jwk.fits("RS256") && !jwk.fits("EdDSA"));
        let mut enc = jwk.clone();
        enc.use_ = Some("enc".into());
        assert!(!enc.fits("ES256"));
        let mut other_alg = jwk;
        other_alg.alg = Some("ES384".into());
        assert!(!other_alg.fits("ES256"));
    }

    #[test]
    fn eddsa_verifies() {
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let jwk: Jwk = serde_json::from_value(json!({"kty": "OKP", "crv": "Ed25519",
            "x": B64.encode(pair.public_key().as_ref())}))
        .unwrap();
        let now = 1_800_000_000;
        let signed = format!("{}.{}", b64(&json!({"alg": "EdDSA"})), b64(&claims(now)));
        let token = format!(
            "{signed}.{}",
            B64.encode(pair.sign(signed.as_bytes()).as_ref())
        );
        assert!(read(&token).unwrap().verify(&[jwk], AUD, now).is_ok());
    }
}
