//! What the person at the keyboard is told during a sign-in: the URL to
//! open, the device code, how long the sign-in has waited. It goes to
//! stderr, where the client's log shows it (from the detached sign-in
//! process too: the bridge that started it copies that process's stderr to
//! its own while it lives). A write that fails (nobody reads any more) is
//! dropped: telling is never worth stopping a sign-in.

use std::future::Future;
use std::io::Write;
use std::time::Duration;

/// How often a pending sign-in says how long it has waited.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Tell the person `msg` (one line, without the `mcp-bridge: ` prefix).
pub fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "mcp-bridge: {msg}");
}

/// Run `wait` (a person signing in, for at most `limit`), saying every
/// [`PROGRESS_EVERY`] how long it has waited and how long is left.
pub async fn progress<F: Future>(what: &str, limit: Duration, wait: F) -> F::Output {
    progress_with(PROGRESS_EVERY, what, limit, wait, &say).await
}

async fn progress_with<F: Future>(
    every: Duration,
    what: &str,
    limit: Duration,
    wait: F,
    tell: &(dyn Fn(&str) + Sync),
) -> F::Output {
    let start = tokio::time::Instant::now();
    let mut ticks = tokio::time::interval_at(start + every, every);
    tokio::pin!(wait);
    loop {
        tokio::select! {
            done = &mut wait => return done,
            _ = ticks.tick() => {
                // Whole seconds, so that "so far" and "left" add up.
                let so_far = start.elapsed().as_secs_f64().round() as u64;
                let left = limit.as_secs().saturating_sub(so_far);
                tell(&format!(
                    "still waiting for {what}: {so_far} s so far, {left} s left"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn progress_is_told_at_each_interval_and_the_answer_comes_back() {
        let said = std::sync::Mutex::new(Vec::new());
        let answer = progress_with(
            Duration::from_secs(10),
            "you to sign in",
            Duration::from_secs(120),
            async {
                tokio::time::sleep(Duration::from_secs(25)).await;
                7
            },
            &|m: &str| said.lock().unwrap().push(m.to_owned()),
        )
        .await;
        assert_eq!(answer, 7);
        assert_eq!(
            *said.lock().unwrap(),
            [
                "still waiting for you to sign in: 10 s so far, 110 s left",
                "still waiting for you to sign in: 20 s so far, 100 s left"
            ]
        );
    }
}
