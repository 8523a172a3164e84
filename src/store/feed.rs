//! Work handed out in batches as it is found: one thread fills the feed while others take
//! from it, so nobody waits for the whole of it to be known and nobody idles while work is
//! left.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// A queue of batches with one filler and any number of takers.
pub(crate) struct Feed<B> {
    state: Mutex<State<B>>,
    more: Condvar,
}

struct State<B> {
    ready: VecDeque<B>,
    /// No batch will be added any more.
    closed: bool,
    /// Everyone stops: a fault of the whole work, or a filler that panicked.
    stopped: bool,
    /// Takers waiting for a batch (the filler wakes one only when there is one).
    waiting: usize,
}

impl<B> Feed<B> {
    /// An empty feed.
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                ready: VecDeque::new(),
                closed: false,
                stopped: false,
                waiting: 0,
            }),
            more: Condvar::new(),
        }
    }

    // A taker that panicked poisons nothing that matters: the queue stays consistent.
    fn lock(&self) -> MutexGuard<'_, State<B>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds batches (at one lock and one wake-up); `false` once the feed is stopped, when the
    /// filler should stop too.
    pub(crate) fn push(&self, batches: impl IntoIterator<Item = B>) -> bool {
        let mut state = self.lock();
        if state.stopped {
            return false;
        }
        state.ready.extend(batches);
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.more.notify_all();
        }
        true
    }

    /// Takes back every batch still queued, for the filler to hand out again otherwise.
    pub(crate) fn take_back(&self) -> Vec<B> {
        self.lock().ready.drain(..).collect()
    }

    /// No more batches will come: takers finish what is queued.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.more.notify_all();
    }

    /// Everyone stops: what is queued is dropped and takers get nothing more.
    pub(crate) fn stop(&self) {
        let mut state = self.lock();
        state.stopped = true;
        state.ready.clear();
        drop(state);
        self.more.notify_all();
    }

    /// The next batch, waiting while none is queued and more may come; `None` once the feed
    /// is closed and empty, or stopped.
    pub(crate) fn take(&self) -> Option<B> {
        let mut state = self.lock();
        loop {
            if state.stopped {
                return None;
            }
            if let Some(batch) = state.ready.pop_front() {
                return Some(batch);
            }
            if state.closed {
                return None;
            }
            state.waiting += 1;
            state = self
                .more
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiting -= 1;
        }
    }

    /// A guard for the filler: when it is dropped before [`close`](Self::close) was called
    /// (the filler returned early or panicked), the feed is stopped, so no taker waits for
    /// batches that will never come.
    pub(crate) fn filling(&self) -> Filling<'_, B> {
        Filling(self)
    }
}

/// See [`Feed::filling`].
pub(crate) struct Filling<'a, B>(&'a Feed<B>);

impl<B> Drop for Filling<'_, B> {
    fn drop(&mut self) {
        if !self.0.lock().closed {
            self.0.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;

    use super::Feed;

    #[test]
    fn every_batch_is_taken_once_by_takers_that_wait_for_the_filler() {
        for takers in [1, 2, 5] {
            let feed = Feed::new();
            assert!(feed.push([0usize, 1]));
            let sum = AtomicUsize::new(0);
            let count = AtomicUsize::new(0);
            thread::scope(|scope| {
                for _ in 0..takers {
                    scope.spawn(|| {
                        while let Some(b) = feed.take() {
                            sum.fetch_add(b, Ordering::Relaxed);
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
                let filling = feed.filling();
                for b in 2..500 {
                    assert!(feed.push([b]));
                    if b % 100 == 0 {
                        thread::yield_now();
                    }
                }
                assert!(feed.push(500..1000));
                feed.close();
                drop(filling);
            });
            assert_eq!(count.into_inner(), 1000, "{takers} takers");
            assert_eq!(sum.into_inner(), 999 * 1000 / 2, "{takers} takers");
        }
    }

    #[test]
    fn a_stopped_feed_ends_every_taker_and_refuses_batches() {
        let feed = Feed::new();
        feed.push([1, 2, 3]);
        thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let mut seen = Vec::new();
                while let Some(b) = feed.take() {
                    seen.push(b);
                }
                seen
            });
            // The waiter drains what is queued, then waits for more until the stop.
            while !feed.lock().ready.is_empty() || feed.lock().waiting == 0 {
                thread::yield_now();
            }
            feed.stop();
            assert_eq!(waiter.join().unwrap(), [1, 2, 3]);
        });
        assert!(!feed.push([4, 5]), "a stopped feed takes no batch");
        assert_eq!(feed.take(), None);
    }

    #[test]
    fn a_filler_that_stops_early_does_not_leave_takers_waiting() {
        let feed = Feed::<u8>::new();
        let got = thread::scope(|scope| {
            let taker = scope.spawn(|| feed.take());
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _filling = feed.filling();
                panic!("the filler fails");
            }));
            assert!(result.is_err());
            taker.join().unwrap()
        });
        assert_eq!(got, None);
        assert!(!feed.push([1]), "the feed was stopped, not closed");
    }
}
