//! `--ping-interval`: the bridge's own pings (answers never reach the
//! client), so that idle connections stay open and a dead one is noticed.

use super::state::{Phase, Transport};
use super::Connection;
use crate::http::error::{ErrorKind, UpstreamError};
use crate::protocol;
use crate::text::Chain;
use std::sync::Arc;
use std::time::Duration;

/// How long one ping may take before it counts as failed (or the ping
/// interval, when that is shorter).
const PING_LIMIT: Duration = Duration::from_secs(10);

impl Connection {
    /// Ping the server every `every` for as long as the bridge runs. A ping
    /// that finds the session lost starts a new one; any other failure
    /// starts the reconnect path and reopens the streams, which may sit on a
    /// dead connection no error will ever report.
    pub(super) async fn keep_alive(self: Arc<Self>, every: Duration) {
        let limit = PING_LIMIT.min(every);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Only a handshake-era session has these phases (the client's
            // `initialized` is what first makes it connected).
            let state = self.state.now();
            let (Some(link), Some(Phase::Connected | Phase::Reconnecting)) =
                (state.link(), state.phase())
            else {
                continue;
            };
            let ping = protocol::ping();
            let sent = tokio::time::timeout(limit, self.call_own(link, &ping, limit)).await;
            let e = match sent {
                Ok(Ok(_)) => {
                    tracing::debug!("ping answered");
                    self.state.reachable("a ping");
                    continue;
                }
                Ok(Err(e)) => e,
                Err(_) => UpstreamError::new(
                    ErrorKind::Timeout,
                    self.url(),
                    format!("a ping had no answer within {} s", limit.as_secs_f64()),
                ),
            };
            if self.lost(&e, link) {
                if let Err(e2) = self.renew(link.epoch, &Chain(&e).to_string()).await {
                    tracing::warn!("{e2}; trying again at the next ping", e2 = Chain(&e2));
                }
                continue;
            }
            tracing::info!("ping failed: {e}", e = Chain(&e));
            self.state
                .unreachable(&format!("a ping failed: {e}", e = Chain(&e)));
            match link.transport {
                Transport::Sse => self.sse.reconnect(),
                Transport::Http if self.http.has_get_stream() => {
                    tracing::info!("reopening the GET stream");
                    drop(self.open_get_stream(link));
                }
                Transport::Http => {}
            }
        }
    }
}
