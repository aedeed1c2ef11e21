//! What the sign-in layer returns when it fails: one [`Error`], whose
//! variant says which part failed and whose text is the sentence the user
//! reads. Where a lower layer's error caused it (the store, a file, a key,
//! the authorization server's refusal) it is kept whole, as `source()`, so
//! that code decides on types, never on words. At the MCP request it
//! becomes the source of an `UpstreamError` of kind `Auth`.

use super::jwt::SigningError;
use super::store::StoreError;
use crate::files::FileError;
use crate::http::error::UpstreamError;
use url::Url;

/// Why signing in, or keeping its tokens, failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Finding or checking the authorization server: the resource's and
    /// the server's metadata.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// The authorization server refused (registration, a grant, a
    /// refresh), with its own `error` and `error_description`, or could not
    /// be asked.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// Keeping, reading or removing credentials.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file the sign-in reads: the lock, an assertion file.
    #[error(transparent)]
    File(#[from] FileError),
    /// The loopback callback, or an address pasted in the terminal.
    #[error(transparent)]
    Callback(#[from] CallbackError),
    /// The authorization URL, or no browser to open it.
    #[error(transparent)]
    Browser(#[from] BrowserError),
    /// A key that signs (a client assertion, a DPoP proof).
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// A sign-in setting or the file it names cannot be used.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// A sign-in URL on an address the policy refuses.
    #[error(transparent)]
    Reach(#[from] crate::http::reach::Refusal),
    /// The MCP request the sign-in ran for failed.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The flow itself could not go on.
    #[error(transparent)]
    Flow(#[from] FlowError),
}

/// Why the authorization server could not be found, or its metadata used.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// A URL a server named (`what` says which) does not parse.
    #[error("{what} {raw:?} is not a URL")]
    NotAUrl {
        /// What named it ("the authorization server").
        what: String,
        /// The text, cleaned.
        raw: String,
        /// Why it is no URL.
        source: url::ParseError,
    },
    /// A URL a server named is plain http where https is needed.
    #[error("{what} {shown:?} is not https (plain http is accepted for loopback only, or with --allow-http)")]
    NotHttps {
        /// What named it.
        what: String,
        /// The URL as people are shown it.
        shown: String,
    },
    /// A URL a server named has no host, or carries credentials.
    #[error("{what} {shown:?} has no host or carries credentials")]
    NoHost {
        /// What named it.
        what: String,
        /// The URL as people are shown it.
        shown: String,
    },
    /// A metadata redirect to something that is no URL.
    #[error("{at} redirects to an address that is not a URL")]
    RedirectNotAUrl {
        /// Where the redirect came from.
        at: Url,
    },
    /// A metadata redirect to another origin.
    #[error("{at} redirects to {to}, another origin; metadata redirects are followed only within one origin")]
    RedirectElsewhere {
        /// Where the redirect came from.
        at: Url,
        /// Where it points, cleaned.
        to: String,
    },
    /// Metadata redirects without end.
    #[error("{url} redirects more than {max} times")]
    TooManyRedirects {
        /// The metadata URL first asked.
        url: Url,
        /// How many are followed.
        max: usize,
    },
    /// A metadata request got no response.
    #[error("cannot fetch {url}: {}", crate::http::error::request_failure(error))]
    Unreachable {
        /// The metadata URL.
        url: Url,
        /// The client's error. The message holds its innermost words and
        /// what to do about them, so it is not `source()`.
        error: reqwest::Error,
    },
    /// A metadata request got no response in time.
    #[error("{url} did not answer within {secs} s")]
    TimedOut {
        /// The metadata URL.
        url: Url,
        /// The time limit.
        secs: u64,
    },
    /// A redirect status without the address to go to.
    #[error("{url} answered HTTP {status} without a Location")]
    NoLocation {
        /// The metadata URL.
        url: Url,
        /// The status.
        status: reqwest::StatusCode,
    },
    /// A metadata request answered with a server error.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The metadata URL.
        url: Url,
        /// The status.
        status: reqwest::StatusCode,
    },
    /// The metadata body could not be read (too large, cut off).
    #[error(transparent)]
    Body(UpstreamError),
    /// The metadata is not a JSON object.
    #[error("{url} did not answer with a JSON object")]
    NotJson {
        /// The metadata URL.
        url: Url,
    },
    /// The protected resource metadata names a resource that is no URL.
    #[error("the protected resource metadata names a resource {raw:?} that is not a URL")]
    ResourceNotAUrl {
        /// The text, cleaned.
        raw: String,
    },
    /// The protected resource metadata is another server's.
    #[error("the protected resource metadata is for {declared:?}, not for {server}; refusing to sign in with it")]
    OtherResource {
        /// The resource it names, cleaned.
        declared: String,
        /// The MCP server, as people are shown it.
        server: String,
    },
    /// The protected resource metadata names no authorization server.
    #[error("the protected resource metadata names no authorization server")]
    NoAuthorizationServer,
    /// The server's origin, or a default path on it, is no URL.
    #[error(transparent)]
    Origin(url::ParseError),
    /// The authorization server metadata is another issuer's.
    #[error("the authorization server metadata names the issuer {declared:?}, not {issuer} (RFC 8414 §3.3); refusing to use it")]
    IssuerMismatch {
        /// The issuer it names, cleaned.
        declared: String,
        /// The issuer asked.
        issuer: Url,
    },
    /// No PKCE with S256.
    #[error("the authorization server {issuer} does not offer PKCE with S256 (code_challenge_methods_supported: {methods:?}); mcp-bridge will not sign in without it")]
    NoS256 {
        /// The authorization server.
        issuer: Url,
        /// The methods it lists.
        methods: Vec<String>,
    },
    /// The metadata lacks an endpoint the flow needs.
    #[error("the authorization server metadata has no {0}")]
    NoEndpoint(&'static str),
    /// The identity provider has no OpenID Connect metadata.
    #[error("the identity provider {issuer} publishes no OpenID Connect metadata")]
    NoIdpMetadata {
        /// The identity provider.
        issuer: Url,
    },
    /// The identity provider's metadata cannot be used.
    #[error("the identity provider")]
    IdentityProvider(#[source] Box<Error>),
}

/// Why the authorization URL may not be opened, or no browser opened it.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// Control characters or spaces in the URL.
    #[error("the authorization URL {shown:?} contains control characters or spaces")]
    Spaces {
        /// The URL, cleaned.
        shown: String,
    },
    /// Not a URL.
    #[error("the authorization URL {shown:?} is not a valid URL")]
    NotAUrl {
        /// The text, cleaned.
        shown: String,
        /// Why it is no URL.
        source: url::ParseError,
    },
    /// Plain http to a host that is not loopback.
    #[error("the authorization URL {shown:?} uses plain http to a host that is not loopback")]
    PlainHttp {
        /// The URL, cleaned.
        shown: String,
    },
    /// A scheme other than http(s).
    #[error("the authorization URL has the scheme {scheme:?}; only https (or http to loopback) is opened")]
    Scheme {
        /// The scheme.
        scheme: String,
    },
    /// No host.
    #[error("the authorization URL {shown:?} has no host")]
    NoHost {
        /// The URL, cleaned.
        shown: String,
    },
    /// `user:password@` in the URL.
    #[error("the authorization URL carries credentials (user:password@); refused")]
    Credentials,
    /// A character no sign-in page needs (a shell would treat it specially).
    #[error(
        "the authorization URL {shown:?} contains {c:?}, which no sign-in page needs; refused"
    )]
    Character {
        /// The URL, cleaned.
        shown: String,
        /// The character.
        c: char,
    },
    /// Every `BROWSER` entry failed, each for its reason.
    #[error("{}", .0.iter().map(|e| crate::text::Chain(e).to_string()).collect::<Vec<_>>().join("; "))]
    NoEntryWorked(Vec<BrowserError>),
    /// The platform's opener failed.
    #[error("no browser could be started")]
    NoBrowser(#[source] std::io::Error),
    /// An empty `BROWSER` entry.
    #[error("empty BROWSER entry")]
    EmptyEntry,
    /// A `BROWSER` program could not be started.
    #[error("BROWSER program {program:?} could not be started")]
    NotStarted {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Why the sign-in's callback brought no code.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// The port asked for with `--callback-port` is taken.
    #[error("cannot listen for the sign-in callback on 127.0.0.1, port {port}")]
    Taken {
        /// The port.
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// Every port tried is taken.
    #[error("cannot listen for the sign-in callback on 127.0.0.1: ports {first}..{last} are taken (choose one with --callback-port); the last, port {port}")]
    AllTaken {
        /// The first port tried.
        first: u16,
        /// The last port tried.
        last: u16,
        /// The port of the last refusal.
        port: u16,
        /// Its reason.
        source: std::io::Error,
    },
    /// A pasted address over the bound.
    #[error("that address is too long")]
    TooLong,
    /// A pasted line that is no address.
    #[error("that is not an address (it should start with http://)")]
    NotAnAddress,
    /// A pasted address of another sign-in.
    #[error("that address belongs to another sign-in (its state does not match)")]
    WrongState,
    /// A pasted address with the authorization server's refusal.
    #[error("the authorization server refused: {text}")]
    Refused {
        /// Its words, cleaned.
        text: String,
    },
    /// A pasted address without a code.
    #[error("that address carries no authorization code")]
    NoCode,
    /// The browser came back without a code, or none came in time.
    #[error(transparent)]
    Waited(#[from] super::callback::NoCode),
}

/// Why a sign-in setting, or the file it names, cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingError {
    /// `--host` is not a host name.
    #[error("--host {0:?} is not a host name (letters, digits, '.' and '-') or an [IPv6] literal")]
    Host(String),
    /// `--callback-path` is not a plain absolute path.
    #[error(
        "--callback-path {0:?} must start with '/' and hold only letters, digits and / - . _ ~"
    )]
    CallbackPath(String),
    /// The assertion file is not there.
    #[error("the assertion file {} does not exist", .0.display())]
    NoAssertionFile(std::path::PathBuf),
    /// The assertion file is not text.
    #[error("the assertion file {} is not text", .0.display())]
    AssertionNotText(std::path::PathBuf),
}

/// Why the sign-in flow itself could not go on.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The server refused the token it was just signed in for.
    #[error("the server refuses the token it was just signed in for; not signing in again for {secs} s (check the server's authorization settings)")]
    RefusesFresh {
        /// How long no sign-in is tried again.
        secs: u64,
    },
    /// A person must sign in, and nothing may open a browser.
    #[error("a person must sign in, and this command opens no browser (sign in with `mcp-bridge login URL`)")]
    NoPerson,
    /// Another process held the sign-in lock too long.
    #[error("another mcp-bridge process kept signing in for more than {secs} s")]
    LockHeld {
        /// The time waited.
        secs: u64,
    },
    /// The detached sign-in did not end in time.
    #[error("it did not finish in time")]
    DetachedLate,
    /// The detached sign-in ended, and no token was stored.
    #[error("the sign-in ended without a token")]
    NoTokenStored,
    /// The detached sign-in process has no pipe to hear it on.
    #[error("it has no pipe")]
    NoPipe,
    /// The detached sign-in process ended without its last word.
    #[error("the sign-in process ended without a word")]
    Silent,
    /// The detached sign-in process's own words for its failure.
    #[error("{said}")]
    Detached {
        /// What it said (its error, as text: it crossed a process).
        said: String,
    },
    /// The identity provider's token answer has no ID token.
    #[error("the identity provider's token answer has no id_token (is the openid scope allowed for this client?)")]
    NoIdToken,
    /// Even a fresh registration was rejected.
    #[error("the authorization server rejected a fresh client registration")]
    RegistrationRejected,
    /// The sign-in response came from another issuer (RFC 9207).
    #[error("the sign-in response came from issuer {iss:?}, not {issuer} (RFC 9207); refused")]
    OtherIssuer {
        /// The issuer it named, cleaned.
        iss: String,
        /// The issuer expected.
        issuer: String,
    },
    /// No device authorization at this authorization server.
    #[error("the authorization server {issuer} offers no device authorization (RFC 8628); sign in in a browser instead (without --device-code)")]
    NoDeviceGrant {
        /// The authorization server.
        issuer: String,
    },
    /// The device authorization answer lacks a field.
    #[error("the device authorization answer lacks device_code, user_code or verification_uri")]
    DeviceAnswer,
    /// The device code was not approved in time.
    #[error("the device code was not approved within {secs} s")]
    NotApproved {
        /// The time limit.
        secs: u64,
    },
    /// No registered client to refresh with.
    #[error("no registered client to refresh with")]
    NoClient,
    /// The tokens were removed while a refresh waited.
    #[error("signed out meanwhile")]
    SignedOut,
    /// A grant stored no token.
    #[error("no token")]
    NoToken,
    /// No refresh token to refresh with.
    #[error("no refresh token")]
    NoRefreshToken,
}

/// A refusal from the authorization server, with its OAuth error code, or
/// a request to it that got no usable answer (no code then).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    /// `invalid_grant`, `invalid_client`, ... when the server said.
    pub code: Option<String>,
    /// The server's `error_description`, when it gave one.
    pub description: Option<String>,
    /// The whole explanation.
    pub message: String,
    /// The `DPoP-Nonce` the answer carried.
    pub nonce: Option<String>,
}

impl Refused {
    /// No refusal code: the request got no usable answer, for this reason.
    pub fn plain(message: String) -> Refused {
        Refused {
            code: None,
            description: None,
            message,
            nonce: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_stays_a_type_under_the_mcp_request_s_error() {
        let refused = Refused {
            code: Some("invalid_grant".into()),
            description: Some("the refresh token expired".into()),
            message: "the refresh at https://as/token was refused (HTTP 400 Bad Request): invalid_grant: the refresh token expired".into(),
            nonce: None,
        };
        let url = url::Url::parse("https://h/mcp").unwrap();
        let e = super::super::failed(&url, refused);
        assert_eq!(e.kind(), crate::http::error::ErrorKind::Auth);
        assert!(
            e.to_string()
                .contains("invalid_grant: the refresh token expired"),
            "{e}"
        );
        // Its words are in the message, so it is kept for code, not as
        // `source()`, which a chain printer would print a second time.
        assert!(std::error::Error::source(&e).is_none());
        let source = e
            .lower()
            .and_then(|s| s.downcast_ref::<Error>())
            .expect("the auth error is kept");
        let Error::Refused(r) = source else {
            panic!("{source:?}")
        };
        assert_eq!(r.code.as_deref(), Some("invalid_grant"));
        assert_eq!(r.description.as_deref(), Some("the refresh token expired"));
        // An MCP request's own failure is passed on as it is, not wrapped.
        let lost = UpstreamError::lost("https://h/mcp", "reset");
        let kept = super::super::failed(&url, lost);
        assert_eq!(kept.kind(), crate::http::error::ErrorKind::Lost);
    }
}
