//! A panic inside one exchange becomes that exchange's outcome, so that the
//! relay answers its request ("every request gets exactly one answer"
//! holds for the bridge's own bugs too) and goes on serving the others.
//! tokio would catch it as well, but only in the `JoinHandle`, which the
//! relay does not keep: an exchange is aborted, never awaited.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future whose panic is caught and returned as its message.
pub struct Caught<F>(Pin<Box<F>>);

/// A panic, by the words it was raised with.
#[derive(Debug, PartialEq, Eq)]
pub struct Panicked(pub String);

impl<F: Future> Caught<F> {
    /// Catch the panics of `f` (boxed: an exchange's state machine is
    /// large, and a box moves cheaply into the task).
    pub fn new(f: F) -> Self {
        Caught(Box::pin(f))
    }
}

impl<F: Future> Future for Caught<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // What the exchange shares with others lives behind locks that a
        // panic does not poison (`crate::sync`), or in channels.
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(Panicked(message(payload.as_ref())))),
        }
    }
}

/// The words a panic was raised with.
fn message(payload: &(dyn Any + Send)) -> String {
    match payload.downcast_ref::<&str>() {
        Some(s) => (*s).to_owned(),
        None => payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| "a panic without a message".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_an_outcome_and_a_value_passes() {
        assert_eq!(Caught::new(async { 7 }).await, Ok(7));
        let panicked = Caught::new(async {
            tokio::task::yield_now().await;
            panic!("a bug at step {}", 2);
        });
        assert_eq!(
            panicked.await,
            Err::<(), _>(Panicked("a bug at step 2".into()))
        );
        let odd = Caught::new(async { std::panic::panic_any::<u8>(3) });
        assert_eq!(
            odd.await,
            Err::<(), _>(Panicked("a panic without a message".into()))
        );
    }
}
