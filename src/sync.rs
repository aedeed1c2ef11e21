//! Locks over plain data that stay usable after a panic.
//!
//! Every `std::sync::Mutex` in the bridge guards plain data (a table of
//! seen ids, the client's envelope, a cookie jar) that each holder keeps
//! whole between its own statements. When code panics while holding one,
//! the standard lock is poisoned and every later `lock().expect(..)`
//! panics too: one bug would take down every request after it. Here the
//! lock is taken as it was left instead; the panic itself is answered
//! where it happened (the relay answers its request).

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Taking a lock that a panic elsewhere does not poison.
pub trait Locked<T> {
    /// The data, locked; after a panic of another holder, as it was left.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T> Locked<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_panic_while_holding_the_lock_leaves_it_usable() {
        let m = Arc::new(Mutex::new(vec![1]));
        let held = Arc::clone(&m);
        let _ = std::thread::spawn(move || {
            let mut v = held.locked();
            v.push(2);
            panic!("a bug while holding the lock");
        })
        .join();
        assert!(m.is_poisoned(), "the standard lock is poisoned");
        assert_eq!(*m.locked(), vec![1, 2]);
        m.locked().push(3);
        assert_eq!(m.locked().len(), 3);
    }
}
