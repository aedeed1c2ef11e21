//! PKCE (RFC 7636, S256 only) and the `state` value: random, URL-safe.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

/// 32 random bytes as unpadded base64url: 43 characters, 256 bits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system's random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A PKCE pair: the secret verifier and its S256 challenge.
pub struct Pkce {
    /// Sent only to the token endpoint.
    pub verifier: String,
    /// Sent in the authorization URL.
    pub challenge: String,
}

impl Default for Pkce {
    /// A fresh pair.
    fn default() -> Pkce {
        let verifier = random_token();
        let challenge = challenge_of(&verifier);
        Pkce {
            verifier,
            challenge,
        }
    }
}

/// `BASE64URL(SHA256(verifier))`, the S256 method.
pub fn challenge_of(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// SHA-256 of `data` as lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_the_rfc_7636_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_fresh_and_in_the_allowed_alphabet() {
        let (a, b) = (Pkce::default(), Pkce::default());
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.verifier.len(), 43);
        assert!(a
            .verifier
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(a.challenge, challenge_of(&a.verifier));
    }
}
