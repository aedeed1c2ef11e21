//! The table of client requests waiting for their answers: the one place
//! that decides whether an answer still has someone to go to, and the one
//! place that stops a request's exchange (when it is answered, cancelled,
//! or the bridge shuts down).

use crate::jsonrpc::{Id, Method};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::task::AbortHandle;

/// One waiting request (or several with the same id: a client should not
/// reuse ids, but if it does, each still gets one answer).
struct Waiting {
    method: Method,
    started: Instant,
    count: u32,
    /// The exchanges working on it.
    tasks: Vec<AbortHandle>,
}

/// What [`Pending::take`] found.
pub struct Taken {
    /// The request's method.
    pub method: Method,
    /// How long it waited.
    pub took: Duration,
}

/// The waiting requests, by id.
#[derive(Default)]
pub struct Pending {
    waiting: HashMap<Id, Waiting>,
}

impl Pending {
    /// The client sent request `id` of `method`.
    pub fn track(&mut self, id: &Id, method: &Method) {
        self.waiting
            .entry(id.clone())
            .and_modify(|w| w.count += 1)
            .or_insert_with(|| Waiting {
                method: method.clone(),
                started: Instant::now(),
                count: 1,
                tasks: Vec::new(),
            });
    }

    /// `task` works on request `id`.
    pub fn attach(&mut self, id: &Id, task: AbortHandle) {
        match self.waiting.get_mut(id) {
            Some(w) => w.tasks.push(task),
            None => task.abort(),
        }
    }

    /// Take one waiter for `id`, which is then answered; `None` when nothing
    /// waits for it. When the last waiter goes, its exchanges stop: nothing
    /// they could still bring has anywhere to go.
    pub fn take(&mut self, id: &Id) -> Option<Taken> {
        let w = self.waiting.get_mut(id)?;
        let taken = Taken {
            method: w.method.clone(),
            took: w.started.elapsed(),
        };
        w.count -= 1;
        if w.count == 0 {
            if let Some(w) = self.waiting.remove(id) {
                w.tasks.iter().for_each(AbortHandle::abort);
            }
        }
        Some(taken)
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// How many requests wait.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Every waiter's id, once per waiter.
    pub fn ids(&self) -> Vec<Id> {
        self.waiting
            .iter()
            .flat_map(|(id, w)| std::iter::repeat_n(id.clone(), w.count as usize))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// True when `task` was stopped (within a second).
    async fn stopped(task: tokio::task::JoinHandle<()>) -> bool {
        match tokio::time::timeout(Duration::from_secs(1), task).await {
            Ok(Err(e)) => e.is_cancelled(),
            _ => false,
        }
    }

    #[tokio::test]
    async fn each_waiter_is_answered_once_and_the_last_stops_its_exchanges() {
        let mut p = Pending::default();
        let id = Id::from_json_text("1");
        p.track(&id, &Method::ToolsCall);
        p.track(&id, &Method::ToolsCall);
        let task = tokio::spawn(std::future::pending::<()>());
        p.attach(&id, task.abort_handle());
        assert_eq!(p.ids().len(), 2);
        assert!(p.take(&id).is_some());
        assert!(!task.is_finished(), "one waiter is left");
        assert!(p.take(&id).is_some());
        assert!(p.take(&id).is_none(), "a third answer has nowhere to go");
        assert!(stopped(task).await);
        assert!(p.is_empty());
    }

    #[tokio::test]
    async fn a_task_for_a_request_no_longer_waiting_is_stopped() {
        let mut p = Pending::default();
        let task = tokio::spawn(std::future::pending::<()>());
        p.attach(&Id::from_json_text("9"), task.abort_handle());
        assert!(stopped(task).await);
    }
}
