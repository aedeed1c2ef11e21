//! The retry policy: one backoff (exponential, capped, jittered, and
//! overridden by the server's own `retry:` hint when it gives one), the
//! retry of a message while the server cannot be reached, and the one
//! reconnect loop every long-lived stream runs in.

use super::error::{ErrorKind, UpstreamError};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Waits between reconnect attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    start: Duration,
    cap: Duration,
    next: Duration,
}

impl Backoff {
    /// Start at `start`, doubling up to `cap`.
    pub fn new(start: Duration, cap: Duration) -> Self {
        Backoff {
            start,
            cap,
            next: start,
        }
    }

    /// The usual policy for reconnecting streams: 0.5 s doubling to 30 s.
    pub fn streams() -> Self {
        Self::new(Duration::from_millis(500), Duration::from_secs(30))
    }

    /// Back to the first delay (after a success).
    pub fn reset(&mut self) {
        self.next = self.start;
    }

    /// The wait before the next attempt: the server's `retry:` when it sent
    /// one, else the current delay with up to ±20% jitter (so that many
    /// bridges do not reconnect in step). Doubles the delay for the time after.
    pub fn next_delay(&mut self, server_retry: Option<Duration>) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.cap);
        if let Some(r) = server_retry {
            // A `retry: 0` must not become a reconnect loop: the hint has a
            // floor, and reconnects that bring nothing (no reset between
            // them) back off as usual, the hint then being the least wait.
            let r = r.max(RETRY_FLOOR);
            return if base == self.start {
                r
            } else {
                r.max(jitter(base))
            };
        }
        jitter(base)
    }
}

/// The shortest wait a server's `retry:` can ask for.
pub const RETRY_FLOOR: Duration = Duration::from_millis(100);

/// `d` scaled by a factor between 0.8 and 1.2.
fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.8 + 0.4 * fraction())
}

/// A number between 0 and 1 from the clock's low bits: good enough to
/// spread reconnects and retries apart.
fn fraction() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0);
    let r = nanos.wrapping_mul(2_654_435_761) % 401; // 0..=400
    f64::from(r) / 400.0
}

/// Most requests that may wait at once for an unreachable server; more are
/// refused at once rather than piling up.
const MAX_WAITING: usize = 1024;
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// Run `attempt` until it stops failing because the server cannot be reached
/// (connection refused, DNS, TLS handshake: the message never arrived, so
/// sending it again is safe), waiting with backoff, for at most `limit`.
pub async fn while_unreachable<T, F, Fut>(
    limit: Duration,
    mut attempt: F,
) -> Result<T, UpstreamError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, UpstreamError>>,
{
    let deadline = Instant::now() + limit;
    let mut backoff = Backoff::streams();
    let mut waiting: Option<Waiting> = None;
    loop {
        match attempt().await {
            Err(e) if e.kind() == ErrorKind::Connect => {
                let delay = backoff.next_delay(None);
                let now = Instant::now();
                if now >= deadline {
                    return Err(if limit.is_zero() {
                        e
                    } else {
                        e.noted(format!(" (kept trying for {})", seconds(limit)))
                    });
                }
                if waiting.is_none() {
                    waiting = Some(Waiting::join().ok_or_else(|| {
                        e.clone().noted(format!(
                            " ({MAX_WAITING} requests are already waiting for the server)"
                        ))
                    })?);
                }
                let delay = delay.min(deadline - now);
                tracing::info!(
                    "{e}; trying again in {} ms",
                    delay.as_millis(),
                    e = crate::text::Chain(&e)
                );
                tokio::time::sleep(delay).await;
            }
            other => return other,
        }
    }
}

/// A duration as people read it: whole seconds, or tenths below ten.
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 || s.fract() == 0.0 {
        format!("{} s", s.round())
    } else {
        format!("{:.1} s", s)
    }
}

/// One request among those waiting for an unreachable server; counted out
/// when dropped, even when the request is stopped while it waits.
struct Waiting;

impl Waiting {
    fn join() -> Option<Waiting> {
        if WAITING.fetch_add(1, Ordering::Relaxed) >= MAX_WAITING {
            WAITING.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(Waiting)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The longest a server's `Retry-After` makes one request wait.
pub const BUSY_WAIT_CAP: Duration = Duration::from_secs(30);

/// The waits of one request the server answers 429 (too many requests) or
/// 503 (unavailable): neither took the request on, so it is sent again,
/// after the server's `Retry-After` (seconds or an HTTP date, RFC 9110
/// §10.2.3; at most [`BUSY_WAIT_CAP`]) or the backoff, and a hint repeated
/// backs off all the same; each wait up to a fifth longer, to spread
/// requests refused together; for at most `limit` in all.
pub struct Busy {
    deadline: Instant,
    backoff: Backoff,
}

impl Busy {
    /// The waits of a request that may wait `limit` in all.
    pub fn new(limit: Duration) -> Self {
        Busy {
            deadline: Instant::now() + limit,
            backoff: Backoff::streams(),
        }
    }

    /// How long to wait before sending again after `resp`; `None` when
    /// `resp` is not a 429 or 503, or the wait would pass the limit.
    pub fn wait(&mut self, resp: &reqwest::Response) -> Option<Duration> {
        if !matches!(resp.status().as_u16(), 429 | 503) {
            return None;
        }
        let hint = retry_after(resp.headers(), SystemTime::now()).map(|h| h.min(BUSY_WAIT_CAP));
        // Up to a fifth more than asked, so that requests refused together
        // (by a rate limit, say) do not all come back at the same instant.
        let wait = self
            .backoff
            .next_delay(hint)
            .mul_f64(1.0 + 0.2 * fraction());
        let left = self.deadline.saturating_duration_since(Instant::now());
        if wait > left {
            tracing::info!(
                "the server is busy (HTTP {}) and asks for {} ms more than --retry-timeout leaves; giving up",
                resp.status(),
                wait.as_millis()
            );
            return None;
        }
        Some(wait)
    }
}

/// A response's `Retry-After`: delay seconds, or an HTTP date (a date past
/// is no wait); `None` when absent or unreadable.
pub fn retry_after(headers: &reqwest::header::HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What one run of a long-lived stream says about the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reopen {
    /// Do not open it again.
    Stop,
    /// Open it again after the backoff wait (or the server's `retry:` hint).
    After(Option<Duration>),
    /// It worked for a while: start the backoff afresh, then open it again.
    Afresh(Option<Duration>),
}

/// The reconnect policy of every long-lived stream (the GET stream, the
/// `subscriptions/listen` stream, the HTTP+SSE stream): each stream runs
/// `loop { let r = run_once().await; if !reconnect.after(r).await { break } }`,
/// so the waiting between runs is decided here, once.
pub struct Reconnect {
    what: &'static str,
    backoff: Backoff,
}

impl Reconnect {
    /// The policy for the stream people know as `what`.
    pub fn new(what: &'static str) -> Self {
        Reconnect {
            what,
            backoff: Backoff::streams(),
        }
    }

    /// After one run of the stream: wait as `r` and the backoff say and
    /// return true to open it again, or return false to stop.
    pub async fn after(&mut self, r: Reopen) -> bool {
        let hint = match r {
            Reopen::Stop => return false,
            Reopen::After(hint) => hint,
            Reopen::Afresh(hint) => {
                self.backoff.reset();
                hint
            }
        };
        let delay = self.backoff.next_delay(hint);
        tracing::info!("reopening {} in {} ms", self.what, delay.as_millis());
        tokio::time::sleep(delay).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_with_bounded_jitter() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
        let waits: Vec<_> = (0..5).map(|_| b.next_delay(None)).collect();
        let bases = [100u64, 200, 400, 400, 400];
        for (w, base) in waits.iter().zip(bases) {
            let lo = Duration::from_millis(base * 8 / 10);
            let hi = Duration::from_millis(base * 12 / 10);
            assert!(*w >= lo && *w <= hi, "{w:?} not within 20% of {base} ms");
        }
        b.reset();
        assert!(b.next_delay(None) <= Duration::from_millis(120));
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
        let at = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
            let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480);
            retry_after(&h, now)
        };
        assert_eq!(at("7"), Some(Duration::from_secs(7)));
        assert_eq!(at(" 0 "), Some(Duration::ZERO));
        // RFC 9110's example date, 120 s after "now".
        assert_eq!(
            at("Wed, 21 Oct 2015 07:30:00 GMT"),
            Some(Duration::from_secs(120))
        );
        assert_eq!(at("Wed, 21 Oct 2015 07:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(at("soon"), None);
        assert_eq!(at("-1"), None);
        assert_eq!(retry_after(&HeaderMap::new(), SystemTime::now()), None);
    }

    #[test]
    fn the_servers_retry_hint_wins() {
        let mut b = Backoff::streams();
        assert_eq!(
            b.next_delay(Some(Duration::from_millis(1234))),
            Duration::from_millis(1234)
        );
    }

    #[test]
    fn retry_zero_has_a_floor_and_empty_reconnects_back_off() {
        let mut b = Backoff::streams();
        let zero = Some(Duration::ZERO);
        assert_eq!(b.next_delay(zero), RETRY_FLOOR);
        let waits: Vec<Duration> = (0..6).map(|_| b.next_delay(zero)).collect();
        assert!(waits[0] >= Duration::from_millis(800), "{waits:?}");
        assert!(
            waits[5] >= Duration::from_secs(24),
            "up to the cap: {waits:?}"
        );
        b.reset();
        assert_eq!(
            b.next_delay(zero),
            RETRY_FLOOR,
            "a stream that brought data starts over"
        );
    }
}
