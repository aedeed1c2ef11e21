//! Handing the authorization URL to a browser. The URL comes from the
//! server's metadata, so it is checked first and is never given to a shell
//! (mcp-remote's CVE-2025-6514 was command injection through this URL).

use super::{BrowserError, Error};
use crate::text::clean;
use crate::url_policy::{url_problem, UrlProblem};
use std::process::{Command, Stdio};

/// Characters no authorization URL needs once serialized, and that mean
/// something to a shell or a command line: refused outright.
const REFUSED: &[char] = &['`', '$', '|', ';', '<', '>', '\\', '"', '\'', '{', '}', '^'];

/// Check a server-supplied authorization URL before it goes near a browser:
/// http(s) only (plain http to loopback alone), no credentials, a host, and
/// no character a shell or command line would treat specially.
pub fn check_url(raw: &str) -> Result<url::Url, Error> {
    let shown = clean(raw, 200);
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(BrowserError::Spaces { shown }.into());
    }
    let url = url::Url::parse(raw).map_err(|source| BrowserError::NotAUrl {
        shown: shown.clone(),
        source,
    })?;
    match url_problem(&url, false) {
        None => {}
        Some(UrlProblem::PlainHttp) => return Err(BrowserError::PlainHttp { shown }.into()),
        Some(UrlProblem::Scheme(other)) => {
            return Err(BrowserError::Scheme {
                scheme: other.to_string(),
            }
            .into())
        }
        Some(UrlProblem::NoHost) => return Err(BrowserError::NoHost { shown }.into()),
        Some(UrlProblem::Credentials) => return Err(BrowserError::Credentials.into()),
    }
    // Both as given and as it will be handed over (parsing encodes some).
    let text = url.as_str();
    if let Some(c) = raw
        .chars()
        .chain(text.chars())
        .find(|c| REFUSED.contains(c) || !c.is_ascii())
    {
        return Err(BrowserError::Character { shown, c }.into());
    }
    Ok(url)
}

/// What separates the commands of `BROWSER`: the platform's separator of
/// path lists, as for `PATH` (`;` on Windows, where `:` is in every path).
const LIST_SEPARATOR: char = if cfg!(windows) { ';' } else { ':' };

/// Open `url` (already checked) in the person's browser: the `BROWSER`
/// environment variable's commands first ([`LIST_SEPARATOR`]-separated,
/// `%s` for the URL, run directly, never through a shell), else the
/// platform's opener.
pub fn open(url: &url::Url) -> Result<(), Error> {
    let target = url.as_str();
    if let Some(list) = std::env::var_os("BROWSER").filter(|v| !v.is_empty()) {
        let list = list.to_string_lossy().into_owned();
        let mut tried = Vec::new();
        for entry in list.split(LIST_SEPARATOR).filter(|e| !e.trim().is_empty()) {
            match spawn(entry, target) {
                Ok(()) => return Ok(()),
                Err(e) => tried.push(e),
            }
        }
        return Err(BrowserError::NoEntryWorked(tried).into());
    }
    open::that_detached(target).map_err(|e| BrowserError::NoBrowser(e).into())
}

/// The words of one `BROWSER` entry: split on whitespace, except inside
/// double quotes, which hold a path with spaces (`"C:\Program Files\…"`).
/// Nothing else is special: a backslash is a Windows path's separator.
fn words(entry: &str) -> Vec<String> {
    let mut words = Vec::new();
    let (mut word, mut quoted, mut started) = (String::new(), false, false);
    for c in entry.chars() {
        match c {
            '"' => (quoted, started) = (!quoted, true),
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Run one `BROWSER` entry: its [`words`], `%s` replaced by the URL (which
/// is appended when there is no `%s`).
fn spawn(entry: &str, url: &str) -> Result<(), BrowserError> {
    let words = words(entry);
    let mut words = words.iter().map(String::as_str);
    let program = words.next().ok_or(BrowserError::EmptyEntry)?;
    let mut cmd = Command::new(program);
    let mut placed = false;
    for w in words {
        if w.contains("%s") {
            cmd.arg(w.replace("%s", url));
            placed = true;
        } else {
            cmd.arg(w);
        }
    }
    if !placed {
        cmd.arg(url);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| BrowserError::NotStarted {
            program: program.to_owned(),
            source,
        })?;
    // Reap it whenever it ends, so no zombie is left behind.
    let _ = std::thread::Builder::new()
        .name("browser".into())
        .spawn(move || child.wait());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_entries_keep_quoted_paths_whole() {
        assert_eq!(
            words(r#""C:\Program Files\Mozilla Firefox\firefox.exe" -new-tab %s"#),
            [
                r"C:\Program Files\Mozilla Firefox\firefox.exe",
                "-new-tab",
                "%s"
            ]
        );
        assert_eq!(words("  open  -a  Safari "), ["open", "-a", "Safari"]);
        assert_eq!(words(r#"x "" y"#), ["x", "", "y"]);
        assert!(words("   ").is_empty());
        // A Windows path's drive letter is not where the list splits.
        let list = r"C:\Tools\b.exe %s;D:\other.exe";
        let entries: Vec<&str> = list.split(LIST_SEPARATOR).collect();
        if cfg!(windows) {
            assert_eq!(entries, [r"C:\Tools\b.exe %s", r"D:\other.exe"]);
        } else {
            assert_eq!(entries, [r"C", r"\Tools\b.exe %s;D", r"\other.exe"]);
        }
    }

    #[test]
    fn ordinary_authorization_urls_pass() {
        for ok in [
            "https://auth.example.com/authorize?response_type=code&client_id=abc%20d&state=x-y_z.~",
            "http://127.0.0.1:9000/authorize?a=b",
            "http://localhost:3001/authorize",
            "https://login.microsoftonline.com/tenant/oauth2/v2.0/authorize?x=1#frag",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn hostile_authorization_urls_never_pass() {
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,hi",
            "ftp://example.com/",
            "http://example.com/authorize",
            "https://user:pass@example.com/authorize",
            "https://example.com/$(touch /tmp/pwned)",
            "https://example.com/a`id`",
            "https://example.com/a;rm -rf",
            "https://example.com/a|calc",
            "https://example.com/a&calc|x",
            "https://example.com/a\nb",
            "https://example.com/\u{202e}x",
            "cmd.exe /c calc",
            "https://",
            "not a url",
        ] {
            assert!(check_url(bad).is_err(), "{bad} passed");
        }
    }

    #[test]
    fn refusals_do_not_echo_a_whole_huge_url() {
        let long = format!("javascript:{}", "a".repeat(10_000));
        assert!(check_url(&long).unwrap_err().to_string().len() < 400);
    }
}
