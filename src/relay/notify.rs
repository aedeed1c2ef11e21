//! Notifications and responses from the client go to the server one after
//! another, in the order the client sent them, on a task of their own: a
//! slow server holds up neither the loop nor requests, and never gets
//! `notifications/cancelled` before the request it names, or thousands of
//! connections at once. The backlog is counted, so the loop stops reading
//! stdin while it is long, and waited for (bounded) at the end.

use super::Upstream;
use crate::jsonrpc::Message;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The ordered sender of one relay's notifications.
pub struct Notifier {
    tx: mpsc::UnboundedSender<Message>,
    backlog: Arc<AtomicUsize>,
    /// Fires each time one has gone out.
    sent: Arc<tokio::sync::Notify>,
    task: JoinHandle<()>,
}

impl Notifier {
    /// Start sending through `conn`.
    pub fn start<U: Upstream>(conn: Arc<U>) -> Notifier {
        let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
        let backlog = Arc::new(AtomicUsize::new(0));
        let left = Arc::clone(&backlog);
        let sent = Arc::new(tokio::sync::Notify::new());
        let tell = Arc::clone(&sent);
        let task = tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                conn.notify(m).await;
                left.fetch_sub(1, Ordering::AcqRel);
                tell.notify_one();
            }
        });
        Notifier {
            tx,
            backlog,
            sent,
            task,
        }
    }

    /// Send `m` after everything sent before it.
    pub fn send(&self, m: Message) {
        self.backlog.fetch_add(1, Ordering::AcqRel);
        if self.tx.send(m).is_err() {
            self.backlog.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// How many are waiting to go out.
    pub fn backlog(&self) -> usize {
        self.backlog.load(Ordering::Acquire)
    }

    /// Resolves when one more has gone out.
    pub async fn went_out(&self) {
        self.sent.notified().await;
    }

    /// Wait until everything sent has gone out, for at most `limit`.
    pub async fn drain(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.backlog() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.task.abort();
    }
}
