//! The cookie jar of the requests to the MCP server, so that a load
//! balancer's affinity cookie (HAProxy `cookie … insert`, AWS ALB, nginx
//! sticky) keeps a session on the replica that holds it. The rules of RFC
//! 6265 (domain, path, expiry, `Secure`, `HttpOnly`) are `cookie_store`'s;
//! this wrapper adds what a bridge owes its user: cookies only from and to
//! the server's own origin (never to another host, even a sibling a
//! `Domain` attribute names), bounded in number and size (the minimums of
//! RFC 6265 §6.1), in memory only (gone when the process ends), and
//! `Cookie` headers marked sensitive. Nothing here logs a cookie's value.
//!
//! [`super::Http`] applies it around each request rather than through
//! reqwest's `cookies` layer, which parses every request's URL again (about
//! 8% more instructions per relayed call); the cost is that a `Set-Cookie`
//! on a same-origin redirect's intermediate answer is not kept.

use crate::sync::Locked;
use reqwest::header::{HeaderMap, HeaderValue, SET_COOKIE};
use std::sync::Mutex;
use url::{Origin, Url};

/// The most cookies kept (RFC 6265 §6.1 asks for at least 50 per domain).
const MAX_COOKIES: usize = 50;
/// The longest `Set-Cookie` value taken (§6.1: at least 4,096 bytes).
const MAX_COOKIE_BYTES: usize = 4096;
/// The most `Set-Cookie` fields read from one response.
const MAX_PER_RESPONSE: usize = 50;

/// The in-memory jar for one MCP server.
pub struct Jar {
    origin: Origin,
    store: Mutex<cookie_store::CookieStore>,
}

impl Jar {
    /// An empty jar for the server at `server`.
    pub fn new(server: &Url) -> Jar {
        Jar {
            origin: server.origin(),
            store: Mutex::new(cookie_store::CookieStore::new()),
        }
    }

    /// How many cookies are kept (expired ones included until purged).
    pub fn len(&self) -> usize {
        self.store.locked().iter_any().count()
    }

    /// True when no cookie is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Jar {
    /// Keep the cookies a response from `url` sets (its `Set-Cookie`
    /// fields), when `url` is the server's origin.
    pub fn keep(&self, headers: &HeaderMap, url: &Url) {
        let mut fields = headers.get_all(SET_COOKIE).iter().peekable();
        if fields.peek().is_none() || url.origin() != self.origin {
            return;
        }
        let mut store = self.store.locked();
        for value in fields.take(MAX_PER_RESPONSE) {
            if value.len() > MAX_COOKIE_BYTES {
                tracing::debug!("ignored a Set-Cookie of {} bytes", value.len());
                continue;
            }
            let Ok(text) = value.to_str() else { continue };
            let Ok(cookie) = cookie_store::Cookie::parse(text, url) else {
                continue;
            };
            let domain = cookie.domain.as_cow().unwrap_or_default().into_owned();
            let known = store.contains_any(&domain, &cookie.path, cookie.name());
            if !known && !room(&mut store) {
                tracing::debug!(
                    "ignored the cookie {}: {MAX_COOKIES} are kept already",
                    crate::text::for_log(cookie.name())
                );
                continue;
            }
            let _ = store.insert(cookie.into_owned(), url);
        }
    }

    /// The `Cookie` header for a request to `url`: none for another origin.
    pub fn header_for(&self, url: &Url) -> Option<HeaderValue> {
        if url.origin() != self.origin {
            return None;
        }
        let store = self.store.locked();
        let pairs: Vec<String> = store
            .get_request_values(url)
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        if pairs.is_empty() {
            return None;
        }
        let mut v = HeaderValue::from_str(&pairs.join("; ")).ok()?;
        v.set_sensitive(true);
        Some(v)
    }
}

/// Whether one more cookie fits, after dropping the expired ones if need be.
fn room(store: &mut cookie_store::CookieStore) -> bool {
    if store.iter_any().count() < MAX_COOKIES {
        return true;
    }
    let live: Vec<cookie_store::Cookie<'static>> = store.iter_unexpired().cloned().collect();
    let Ok(fresh) = cookie_store::CookieStore::from_cookies(
        live.into_iter().map(Ok::<_, std::convert::Infallible>),
        false,
    );
    *store = fresh;
    store.iter_any().count() < MAX_COOKIES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(jar: &Jar, url: &str, values: &[&str]) {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(SET_COOKIE, HeaderValue::from_str(v).unwrap());
        }
        jar.keep(&headers, &Url::parse(url).unwrap());
    }

    fn sent(jar: &Jar, url: &str) -> Option<String> {
        jar.header_for(&Url::parse(url).unwrap())
            .map(|v| v.to_str().unwrap().to_owned())
    }

    #[test]
    fn cookies_stay_with_the_servers_origin() {
        let jar = Jar::new(&Url::parse("https://mcp.example.com/mcp").unwrap());
        set(
            &jar,
            "https://mcp.example.com/mcp",
            &["SRV=s2; Path=/", "wide=1; Domain=example.com; Path=/"],
        );
        let own = sent(&jar, "https://mcp.example.com/mcp").unwrap();
        assert!(own.contains("SRV=s2") && own.contains("wide=1"), "{own}");
        // A sibling the Domain attribute names, another port, plain http:
        // other origins, never sent anything.
        assert_eq!(sent(&jar, "https://auth.example.com/token"), None);
        assert_eq!(sent(&jar, "https://mcp.example.com:8443/mcp"), None);
        assert_eq!(sent(&jar, "http://mcp.example.com/mcp"), None);
        // Nor taken from them.
        set(
            &jar,
            "https://evil.example.com/",
            &["x=1; Domain=example.com"],
        );
        assert!(!sent(&jar, "https://mcp.example.com/mcp")
            .unwrap()
            .contains("x=1"));
    }

    #[test]
    fn rfc_6265_rules_hold_and_the_header_is_sensitive() {
        let jar = Jar::new(&Url::parse("https://h.example/").unwrap());
        set(
            &jar,
            "https://h.example/mcp",
            &[
                "a=1; Path=/mcp",
                "b=2; Path=/other",
                "gone=1; Max-Age=0",
                "old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ],
        );
        assert_eq!(sent(&jar, "https://h.example/mcp").as_deref(), Some("a=1"));
        let v = jar
            .header_for(&Url::parse("https://h.example/mcp").unwrap())
            .unwrap();
        assert!(v.is_sensitive());
        // A Secure cookie never goes over plain http (to a non-loopback host).
        let plain = Jar::new(&Url::parse("http://h.example/").unwrap());
        set(&plain, "http://h.example/", &["s=1; Secure", "p=1"]);
        assert_eq!(sent(&plain, "http://h.example/").as_deref(), Some("p=1"));
    }

    #[test]
    fn a_flood_of_cookies_is_bounded() {
        let jar = Jar::new(&Url::parse("https://h.example/").unwrap());
        let many: Vec<String> = (0..500).map(|i| format!("c{i}=v; Path=/p{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        for chunk in many.chunks(40) {
            set(&jar, "https://h.example/", chunk);
        }
        assert_eq!(jar.len(), MAX_COOKIES);
        let huge = format!("big={}", "x".repeat(MAX_COOKIE_BYTES));
        let fresh = Jar::new(&Url::parse("https://h.example/").unwrap());
        set(&fresh, "https://h.example/", &[&huge]);
        assert!(fresh.is_empty());
        // A cookie already kept is still updated when the jar is full.
        set(&jar, "https://h.example/", &["c0=new; Path=/p0"]);
        assert_eq!(
            sent(&jar, "https://h.example/p0").as_deref(),
            Some("c0=new")
        );
    }
}
