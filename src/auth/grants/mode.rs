//! Which grant gets the tokens (`--client-credentials`,
//! `--jwt-bearer-assertion`, the browser otherwise), and an assertion the
//! user hands in.

use crate::secret::Secret;

/// How the bridge gets its tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum GrantMode {
    /// The authorization code flow, in the browser.
    #[default]
    Browser,
    /// `--client-credentials`: the client's own credentials (a secret or a
    /// signed assertion), no person involved.
    ClientCredentials,
    /// `--jwt-bearer-assertion`: an externally issued JWT (RFC 7523 §2.1).
    JwtBearer(Assertion),
    /// `--device-code`: the person approves on another device (RFC 8628).
    DeviceCode,
    /// `--idp-issuer`: an ID-JAG from the person's identity provider,
    /// presented with the jwt-bearer grant (SEP-990).
    Enterprise(super::enterprise::Idp),
}

impl GrantMode {
    /// True for the grants that need no person.
    pub fn is_machine(&self) -> bool {
        !matches!(self, GrantMode::Browser | GrantMode::DeviceCode)
    }

    /// True for the grant that sends the person to the authorization
    /// endpoint in a browser (PKCE and that endpoint are required).
    pub fn uses_browser(&self) -> bool {
        matches!(self, GrantMode::Browser)
    }

    /// As `status` and the logs name it.
    pub fn name(&self) -> &'static str {
        match self {
            GrantMode::Browser => "authorization code (browser)",
            GrantMode::ClientCredentials => "client credentials",
            GrantMode::JwtBearer(_) => "jwt-bearer (workload identity)",
            GrantMode::Enterprise(_) => "enterprise-managed (ID-JAG)",
            GrantMode::DeviceCode => "device authorization",
        }
    }
}

/// An assertion the user hands in: the value itself, or a file read again
/// for every token request (so that a rotated token is picked up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assertion {
    /// The JWT.
    Value(Secret),
    /// A file holding it.
    File(std::path::PathBuf),
}

/// The largest assertion file read.
const ASSERTION_LIMIT: usize = 64 * 1024;

impl Assertion {
    /// The assertion now.
    pub fn read(&self) -> Result<String, super::Error> {
        match self {
            Assertion::Value(v) => Ok(v.expose().to_owned()),
            Assertion::File(p) => {
                let bytes = crate::files::read_bounded(p, ASSERTION_LIMIT)
                    .map_err(crate::files::FileError::io("read the assertion file", p))?
                    .ok_or_else(|| super::super::SettingError::NoAssertionFile(p.clone()))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| super::super::SettingError::AssertionNotText(p.clone()))?;
                Ok(text.trim().to_owned())
            }
        }
    }
}
