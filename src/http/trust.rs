//! Which TLS certificates the HTTP clients trust: the platform's store
//! (through rustls-platform-verifier, made at the first handshake), plus
//! the CA files of `--ca-cert` and `SSL_CERT_FILE`.

use super::client::{ClientError, NetConfig};
use crate::sync::Locked;

/// Largest CA file read.
const CA_FILE_LIMIT: u64 = 4 << 20;

/// A CA certificate, as rustls takes it.
type Der = rustls::pki_types::CertificateDer<'static>;
/// A certificate a server presents.
type Cert<'a> = rustls::pki_types::CertificateDer<'a>;

/// Read the CA certificates of `--ca-cert` and `SSL_CERT_FILE`, with where
/// each came from. A `--ca-cert` the bridge cannot use is the user's error;
/// `SSL_CERT_FILE` is often set machine-wide for other programs (a Unix path
/// on Windows, a bundle since moved), so an unusable one is warned about,
/// naming the file, and the bridge starts without it.
pub(super) fn extra_roots(
    opts: &NetConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Der>, Vec<String>), ClientError> {
    let mut files: Vec<(std::path::PathBuf, &'static str)> = opts
        .ca_certs
        .iter()
        .map(|p| (p.clone(), "--ca-cert"))
        .collect();
    if let Some(f) = env("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        files.push((f.into(), "SSL_CERT_FILE"));
    }
    let mut roots = Vec::new();
    let mut named = Vec::new();
    for (path, from) in files {
        let certs = match read_ca_file(&path, from) {
            Ok(certs) => certs,
            Err(e) if from == "SSL_CERT_FILE" => {
                warn_once(&format!("{e}; it is ignored", e = crate::text::Chain(&e)));
                continue;
            }
            Err(e) => return Err(e),
        };
        tracing::info!(
            "trusting {} CA certificate(s) from {} ({from}) besides the platform's store",
            certs.len(),
            path.display()
        );
        roots.extend(certs);
        named.push(format!("{} ({from})", path.display()));
    }
    Ok((roots, named))
}

/// The certificates of one CA file (PEM, at most [`CA_FILE_LIMIT`] read).
fn read_ca_file(path: &std::path::Path, from: &'static str) -> Result<Vec<Der>, ClientError> {
    use rustls::pki_types::pem::PemObject;
    use std::io::Read;
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(CA_FILE_LIMIT).read_to_end(&mut pem))
        .map_err(|source| ClientError::CaUnreadable {
            from,
            path: path.to_path_buf(),
            source,
        })?;
    Der::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .ok()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ClientError::CaNotPem {
            from,
            path: path.to_path_buf(),
        })
}

/// A warning the two clients of one run would otherwise both give.
fn warn_once(text: &str) {
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.locked();
    if !said.iter().any(|s| s == text) {
        tracing::warn!("{text}");
        said.push(text.to_owned());
    }
}

/// The platform may refuse the added CAs where it verifies with its own
/// store (Windows builds a chain engine for them, which Wine 8, for one,
/// refuses); the bridge then goes on with the platform's store alone and
/// says which files were left out.
pub(super) fn refused_roots(named: &[String], why: &dyn std::fmt::Display) {
    warn_once(&format!(
        "the platform refused the CA certificates of {}: {why}; only the platform's store is trusted",
        named.join(", ")
    ));
}

/// The MCP server's TLS settings, as reqwest makes them for the sign-in
/// client: TLS 1.2 and 1.3 with ring, certificates checked by the
/// platform's verifier with the added CAs (ALPN is the connector's). The
/// verifier is made at the first handshake, not here: on Linux it reads
/// and parses the whole system store, most of the bridge's start-up, which
/// a plain-HTTP server never needs (nor a system store at all).
pub(super) fn tls_config(
    opts: &NetConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<rustls::ClientConfig, ClientError> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    // The user's own CA files are read now: a mistake in them is a usage
    // error at start.
    let (roots, named) = extra_roots(opts, env)?;
    let verifier = OnFirstUse {
        roots,
        named,
        provider: std::sync::Arc::clone(&provider),
        made: std::sync::OnceLock::new(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(ClientError::Tls)?
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

/// The platform's certificate verifier, made the first time a handshake
/// asks for it, and kept (or the reason it could not be made, which every
/// handshake then gives).
#[derive(Debug)]
struct OnFirstUse {
    roots: Vec<Der>,
    named: Vec<String>,
    provider: std::sync::Arc<rustls::crypto::CryptoProvider>,
    made: std::sync::OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl OnFirstUse {
    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        use rustls_platform_verifier::Verifier;
        let made = self.made.get_or_init(|| {
            let plain = || Verifier::new(std::sync::Arc::clone(&self.provider));
            if self.roots.is_empty() {
                return plain();
            }
            let extra = self.roots.iter().cloned();
            Verifier::new_with_extra_roots(extra, std::sync::Arc::clone(&self.provider)).or_else(
                |e| {
                    refused_roots(&self.named, &e);
                    plain()
                },
            )
        });
        made.as_ref().map_err(|e| {
            let why = match e {
                rustls::Error::General(why) => why.clone(),
                e => e.to_string(),
            };
            rustls::Error::Other(rustls::OtherError(std::sync::Arc::new(NoVerifier(why))))
        })
    }
}

/// Why the platform's verifier could not be made (no CA certificates on
/// the machine, say). A certificate that cannot be checked is not
/// trusted: [`super::error::is_untrusted_certificate`] says so, and the
/// message says how to trust a CA.
#[derive(Debug, thiserror::Error)]
#[error("the platform's certificate store cannot be used: {0}")]
pub(super) struct NoVerifier(String);

impl rustls::client::danger::ServerCertVerifier for OnFirstUse {
    fn verify_server_cert(
        &self,
        end_entity: &Cert<'_>,
        intermediates: &[Cert<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &Cert<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &Cert<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        // Asked as the first message of a handshake is written, which is
        // when the verifier is made. Should it fail, the provider's schemes
        // are what the platform's would be; the certificate check then
        // gives the reason.
        match self.verifier() {
            Ok(v) => v.supported_verify_schemes(),
            Err(_) => self
                .provider
                .signature_verification_algorithms
                .supported_schemes(),
        }
    }
}
