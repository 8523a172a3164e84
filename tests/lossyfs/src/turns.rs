//! Turns: threads that share the filesystem run one at a time, in an order drawn from a seed,
//! so a concurrent run replays exactly.
//!
//! A *member* is a thread that joined ([`crate::Mounted::join_turns`]). It runs until it
//! reaches a turn point: a call of [`crate::Mounted::turn`] (the harness puts one before each
//! store operation), or a write or `fsync` of a regular file (the FUSE server holds the request
//! there). Once every member is at a turn point (or has left), one of them, drawn from the
//! seed, goes on; the others wait. So exactly one member runs at a time, and what it does
//! depends only on the seed and on what the others did before.
//!
//! Only file writes and file syncs are held, never a change of a directory: the kernel holds a
//! directory's lock while it waits for such a request, and a member held there would keep the
//! others from even looking names up in that directory (the root is shared by all). A member
//! held at its own file's write holds only that file's lock, which no other member touches.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Default)]
struct State {
    /// Whether turns are being taken at all.
    on: bool,
    /// Members that will join; nobody goes on before all of them have.
    expected: usize,
    joined: usize,
    /// Thread id to member number.
    members: HashMap<u32, usize>,
    /// Members at a turn point.
    waiting: BTreeSet<usize>,
    /// The member drawn to go on, until it does.
    granted: Option<usize>,
    /// SplitMix64 state.
    rng: u64,
    /// The members in the order they were let go on.
    trace: Vec<usize>,
}

impl State {
    fn draw(&mut self, n: usize) -> usize {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }

    /// Lets one waiting member go on when every member is waiting.
    fn grant(&mut self) -> bool {
        if self.granted.is_some()
            || self.joined < self.expected
            || self.waiting.is_empty()
            || self.waiting.len() < self.members.len()
        {
            return false;
        }
        let i = self.draw(self.waiting.len());
        let pick = *self.waiting.iter().nth(i).expect("drawn below the count");
        self.granted = Some(pick);
        self.trace.push(pick);
        true
    }
}

/// The turn keeper, shared by the FUSE server and the harness.
#[derive(Default)]
pub(crate) struct Turns {
    state: Mutex<State>,
    cv: Condvar,
}

/// The calling thread's id, as FUSE requests carry it.
pub(crate) fn thread_id() -> u32 {
    // SAFETY: gettid has no preconditions and cannot fail.
    let tid = unsafe { libc::gettid() };
    tid as u32
}

impl Turns {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts taking turns among `members` threads (none joined yet), drawing from `seed`.
    pub(crate) fn start(&self, seed: u64, members: usize) {
        *self.state() = State {
            on: true,
            expected: members,
            rng: seed,
            ..State::default()
        };
        self.cv.notify_all();
    }

    /// Stops taking turns; returns the order the members went on in.
    pub(crate) fn stop(&self) -> Vec<usize> {
        let mut s = self.state();
        let trace = std::mem::take(&mut s.trace);
        *s = State::default();
        self.cv.notify_all();
        trace
    }

    /// Makes the calling thread member `index`, and waits for its first turn.
    pub(crate) fn join(&self, index: usize) {
        let tid = thread_id();
        {
            let mut s = self.state();
            assert!(s.on, "join_turns without take_turns");
            assert!(s.joined < s.expected, "more members joined than expected");
            s.members.insert(tid, index);
            s.joined += 1;
        }
        self.point(tid);
    }

    /// The calling thread (member or not) leaves; the others go on without it.
    pub(crate) fn leave(&self, tid: u32) {
        let mut s = self.state();
        if let Some(me) = s.members.remove(&tid) {
            s.waiting.remove(&me);
        }
        if s.grant() {
            self.cv.notify_all();
        }
    }

    /// A turn point of thread `tid`: returns at once for a thread that is not a member, else
    /// when it is this member's turn.
    pub(crate) fn point(&self, tid: u32) {
        let mut s = self.state();
        if !s.on {
            return;
        }
        let Some(&me) = s.members.get(&tid) else {
            return;
        };
        s.waiting.insert(me);
        loop {
            if s.granted == Some(me) {
                s.granted = None;
                s.waiting.remove(&me);
                return;
            }
            if s.grant() {
                self.cv.notify_all();
                continue;
            }
            s = self.cv.wait(s).unwrap_or_else(|p| p.into_inner());
            if !s.on {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Members appending to one log in their turns: the log is the same for one seed,
    /// whatever the threads' timing.
    fn run(seed: u64) -> (Vec<usize>, Vec<usize>) {
        let turns = Arc::new(Turns::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        turns.start(seed, 3);
        std::thread::scope(|scope| {
            for me in 0..3 {
                let turns = Arc::clone(&turns);
                let log = Arc::clone(&log);
                scope.spawn(move || {
                    turns.join(me);
                    for _ in 0..5 {
                        log.lock().unwrap().push(me);
                        std::thread::yield_now();
                        turns.point(thread_id());
                    }
                    turns.leave(thread_id());
                });
            }
        });
        let trace = turns.stop();
        let log = log.lock().unwrap().clone();
        (trace, log)
    }

    #[test]
    fn one_seed_gives_one_order() {
        let (trace, log) = run(7);
        assert_eq!(log.len(), 15);
        for _ in 0..5 {
            assert_eq!(run(7), (trace.clone(), log.clone()));
        }
        let others: Vec<_> = (0..8).map(|seed| run(seed).1).collect();
        assert!(
            others.iter().any(|o| *o != log),
            "the seed decides the order"
        );
    }
}
