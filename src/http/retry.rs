//! The retry policy: one backoff (exponential, capped, jittered, and
//! overridden by the server's own `retry:` hint when it gives one), the
//! retry of a message while the server cannot be reached, and the one
//! reconnect loop every long-lived stream runs in.

use super::error::{Kind, UpstreamError};
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
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0);
    // Mix the clock's low bits; good enough to spread reconnects apart.
    let r = nanos.wrapping_mul(2_654_435_761) % 401; // 0..=400
    d.mul_f64(0.8 + f64::from(r) / 1000.0)
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
            Err(e) if e.kind() == Kind::Connect => {
                let delay = backoff.next_delay(None);
                let now = Instant::now();
                if now >= deadline {
                    return Err(e.noted(format!(" (kept trying for {} s)", limit.as_secs())));
                }
                if waiting.is_none() {
                    waiting = Some(Waiting::join().ok_or_else(|| {
                        e.clone().noted(format!(
                            " ({MAX_WAITING} requests are already waiting for the server)"
                        ))
                    })?);
                }
                let delay = delay.min(deadline - now);
                tracing::info!("{e}; trying again in {} ms", delay.as_millis());
                tokio::time::sleep(delay).await;
            }
            other => return other,
        }
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
