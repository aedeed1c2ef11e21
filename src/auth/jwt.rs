//! JWTs the bridge signs itself: the client assertion of `private_key_jwt`
//! (RFC 7523 §2.2 and §3). Written on `ring`, which the build already has
//! for TLS, rather than with a JWT crate: the bridge only ever signs a
//! couple of fixed shapes and never verifies one, and a second crypto
//! stack would grow the binary for nothing.
//!
//! Keys come as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`): P-256 (ES256),
//! Ed25519 (EdDSA) or RSA (RS256). The key is a secret: it is never logged,
//! and `Debug` shows only its algorithm.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use serde_json::{json, Value};

/// How long a client assertion is valid: short, as RFC 7523 advises.
const ASSERTION_LIFETIME: u64 = 60;

/// Why a key cannot be used or a signature made.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// An SEC1 or PKCS#1 key, not PKCS#8.
    #[error("the key is not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.p8`")]
    NotPkcs8,
    /// No PEM block of a private key.
    #[error("no -----BEGIN PRIVATE KEY----- block (a PKCS#8 PEM key is needed)")]
    NoBlock,
    /// The block's body is not base64.
    #[error("the PEM block is not valid base64")]
    Base64,
    /// A key of another kind.
    #[error("the key is not a P-256, Ed25519 or RSA private key")]
    UnknownKey,
    /// The key's algorithm, and the one asked for.
    #[error("the key signs with {0}, not {1}")]
    OtherAlgorithm(&'static str, String),
    /// `ring` could not sign (what was being signed).
    #[error("signing {0} failed")]
    Sign(&'static str),
    /// `ring` could not make a DPoP key.
    #[error("cannot make a DPoP key")]
    Generate,
    /// The stored DPoP key is not one.
    #[error("the stored DPoP key is not a P-256 key")]
    StoredKey,
}

/// A private key that signs JWTs.
pub enum SigningKey {
    /// ECDSA P-256 with SHA-256.
    Es256(EcdsaKeyPair),
    /// Ed25519.
    EdDsa(Ed25519KeyPair),
    /// RSA PKCS#1 v1.5 with SHA-256.
    Rs256(RsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.alg())
    }
}

impl SigningKey {
    /// The key in the PKCS#8 PEM text `pem`; `alg`, when given, must be the
    /// key's own (ES256, EdDSA, RS256).
    pub fn from_pem(pem: &str, alg: Option<&str>) -> Result<SigningKey, SigningError> {
        if pem.contains("BEGIN EC PRIVATE KEY") || pem.contains("BEGIN RSA PRIVATE KEY") {
            return Err(SigningError::NotPkcs8);
        }
        let body: String = pem
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN PRIVATE KEY-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        if body.is_empty() {
            return Err(SigningError::NoBlock);
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|_| SigningError::Base64)?;
        let rng = SystemRandom::new();
        let key = if let Ok(k) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
        {
            SigningKey::Es256(k)
        } else if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der) {
            SigningKey::EdDsa(k)
        } else if let Ok(k) = RsaKeyPair::from_pkcs8(&der) {
            SigningKey::Rs256(k)
        } else {
            return Err(SigningError::UnknownKey);
        };
        match alg {
            Some(a) if !a.eq_ignore_ascii_case(key.alg()) => {
                Err(SigningError::OtherAlgorithm(key.alg(), a.to_owned()))
            }
            _ => Ok(key),
        }
    }

    /// The JWS algorithm name.
    pub fn alg(&self) -> &'static str {
        match self {
            SigningKey::Es256(_) => "ES256",
            SigningKey::EdDsa(_) => "EdDSA",
            SigningKey::Rs256(_) => "RS256",
        }
    }

    /// A compact JWS of `claims` with the header `header` (`alg` is added).
    pub fn sign(&self, mut header: Value, claims: &Value) -> Result<String, SigningError> {
        header["alg"] = self.alg().into();
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let rng = SystemRandom::new();
        let sig = match self {
            SigningKey::Es256(k) => k
                .sign(&rng, input.as_bytes())
                .map_err(|_| SigningError::Sign("the assertion"))?
                .as_ref()
                .to_vec(),
            SigningKey::EdDsa(k) => k.sign(input.as_bytes()).as_ref().to_vec(),
            SigningKey::Rs256(k) => {
                let mut out = vec![0; k.public().modulus_len()];
                k.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    input.as_bytes(),
                    &mut out,
                )
                .map_err(|_| SigningError::Sign("the assertion"))?;
                out
            }
        };
        Ok(format!("{input}.{}", B64.encode(sig)))
    }
}

/// A DPoP key (RFC 9449): P-256, made by the bridge for one server
/// credential and kept with its tokens, since the tokens are bound to it.
pub struct DpopKey {
    pair: EcdsaKeyPair,
    /// The PKCS#8 form, for the store.
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DpopKey(ES256)")
    }
}

impl DpopKey {
    /// A new key.
    pub fn generate() -> Result<DpopKey, SigningError> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| SigningError::Generate)?;
        DpopKey::from_pkcs8(doc.as_ref())
    }

    /// The key stored as `pkcs8`.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<DpopKey, SigningError> {
        let rng = SystemRandom::new();
        let pair =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                .map_err(|_| SigningError::StoredKey)?;
        Ok(DpopKey {
            pair,
            pkcs8: pkcs8.to_vec(),
        })
    }

    /// The PKCS#8 form, base64url, for the store.
    pub fn stored(&self) -> String {
        B64.encode(&self.pkcs8)
    }

    /// The public key as a JWK.
    fn jwk(&self) -> Value {
        use ring::signature::KeyPair;
        // An uncompressed point: 0x04, then X and Y.
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": B64.encode(&point[1..33]),
            "y": B64.encode(&point[33..65]),
        })
    }

    /// A proof for a `method` request to `url` (query and fragment left
    /// out, as RFC 9449 §4.2 asks), for `token` when it presents one (`ath`)
    /// and with the server's `nonce` when it gave one.
    pub fn proof(
        &self,
        method: &str,
        url: &url::Url,
        token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String, SigningError> {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let mut claims = json!({
            "jti": jti(),
            "htm": method,
            "htu": htu.as_str(),
            "iat": super::store::now(),
        });
        if let Some(t) = token {
            let digest = ring::digest::digest(&ring::digest::SHA256, t.as_bytes());
            claims["ath"] = B64.encode(digest.as_ref()).into();
        }
        if let Some(n) = nonce {
            claims["nonce"] = n.into();
        }
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()});
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|_| SigningError::Sign("the DPoP proof"))?;
        Ok(format!("{input}.{}", B64.encode(sig.as_ref())))
    }
}

/// A random `jti`.
pub fn jti() -> String {
    super::pkce::random_token()
}

/// The client assertion for `client_id` at the authorization server
/// `audience` (its issuer): `iss` = `sub` = the client, a fresh `jti`, a
/// minute to live.
pub fn client_assertion(
    key: &SigningKey,
    client_id: &str,
    audience: &str,
) -> Result<String, SigningError> {
    let now = super::store::now();
    key.sign(
        json!({"typ": "JWT"}),
        &json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": jti(),
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair;

    fn pem(der: &[u8]) -> String {
        let b = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN PRIVATE KEY-----\n{b}\n-----END PRIVATE KEY-----\n")
    }

    #[test]
    fn assertions_are_signed_and_verifiable() {
        let rng = SystemRandom::new();
        let der = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap();
        let key = SigningKey::from_pem(&pem(der.as_ref()), None).unwrap();
        assert_eq!(key.alg(), "ES256");
        assert_eq!(format!("{key:?}"), "SigningKey(ES256)");
        let jwt = client_assertion(&key, "c-1", "https://as.example").unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "c-1");
        assert_eq!(claims["sub"], "c-1");
        assert_eq!(claims["aud"], "https://as.example");
        assert!(claims["exp"].as_u64().unwrap() > claims["iat"].as_u64().unwrap());
        let header: Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "ES256");
        // The signature verifies with the key's public half.
        let pair = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            der.as_ref(),
            &rng,
        )
        .unwrap();
        let public = signature::UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_FIXED,
            pair.public_key().as_ref(),
        );
        let input = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(input.as_bytes(), &B64.decode(parts[2]).unwrap())
            .unwrap();

        // A DPoP proof: typ, the public key only, htu without query, ath.
        let dpop = DpopKey::generate().unwrap();
        let again = DpopKey::from_pkcs8(&B64.decode(dpop.stored()).unwrap()).unwrap();
        let u = url::Url::parse("https://rs.example/mcp?x=1#f").unwrap();
        let proof = again.proof("POST", &u, Some("tok"), Some("n-1")).unwrap();
        let parts: Vec<&str> = proof.split('.').collect();
        let header: Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert!(header["jwk"].get("d").is_none());
        let claims: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["htu"], "https://rs.example/mcp");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["nonce"], "n-1");
        let ath = ring::digest::digest(&ring::digest::SHA256, b"tok");
        assert_eq!(claims["ath"], B64.encode(ath.as_ref()));

        let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        assert_eq!(
            SigningKey::from_pem(&pem(ed.as_ref()), None).unwrap().alg(),
            "EdDSA"
        );
        let wrong = SigningKey::from_pem(&pem(ed.as_ref()), Some("ES256")).unwrap_err();
        assert!(wrong.to_string().contains("EdDSA"), "{wrong}");
        assert!(matches!(
            SigningKey::from_pem("-----BEGIN EC PRIVATE KEY-----\nx\n", None),
            Err(SigningError::NotPkcs8)
        ));
    }
}
