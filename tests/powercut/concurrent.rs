//! Concurrent runs cut at a random step: several launchers (threads) each create sessions
//! (auto and explicit), log, set sidecars, finalize and remove, on one root, while the power
//! fails after a step drawn at random. Each launcher stops at its first failure (the power is
//! out); what each saw returned is what the boot must show.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use outrig::{Session, SessionId, SessionStore};

use super::check::{Expect, Spec, check};
use super::rig::{Rig, Rng, Tally, outcomes};
use super::scenarios::{ended, finalized, spec};

/// Rounds each launcher runs: create, log, set sidecars, finalize, and (every other round)
/// remove.
const ROUNDS: usize = 3;

/// One thing a launcher did and how it came back.
enum Event {
    Created(Result<Session, Spec>),
    /// An update from `old`: the record returned, or the record it was making.
    Updated {
        old: Box<Session>,
        result: Result<Session, Session>,
    },
    Removed {
        old: Box<Session>,
        ok: bool,
    },
}

fn explicit_dir(rig_explicit: &std::path::Path, launcher: usize, round: usize) -> PathBuf {
    rig_explicit.join(format!("l{launcher}-r{round}"))
}

/// A removed session's id is free again, and another launcher may draw it in the same second.
/// To apply events in an order that respects that, each is stamped from one shared clock: a
/// removal when it starts, everything else when it returns. A create that reuses an id made
/// its directory after the removal removed it, so it returned after the removal started; a
/// launcher's own events keep their order.
static CLOCK: AtomicU64 = AtomicU64::new(0);

fn tick() -> u64 {
    CLOCK.fetch_add(1, Ordering::SeqCst)
}

/// One launcher's run; stops at the first failure. Each event comes with its stamp.
fn launcher(store: &SessionStore, explicit: &std::path::Path, me: usize) -> Vec<(u64, Event)> {
    let mut events = Vec::new();
    for round in 0..ROUNDS {
        let tag = format!("l{me}r{round}");
        let dir = (round % 2 == 1).then(|| explicit_dir(explicit, me, round));
        let mut new = spec(&tag);
        if let Some(dir) = &dir {
            new = new.session_dir(dir);
        }
        // A launcher: its own updates by id go through its lease, which it holds to the end.
        let live = match store.create(&new) {
            Ok(s) => s,
            Err(_) => {
                events.push((
                    tick(),
                    Event::Created(Err(Spec {
                        container_name: format!("pc-{tag}"),
                        session_dir: dir,
                    })),
                ));
                return events;
            }
        };
        let s = live.session().clone();
        events.push((tick(), Event::Created(Ok(s.clone()))));
        // Logged, but not checked here: a first log line is a known gap (see
        // `scenarios::former_gaps`); the traffic still interleaves with the other launchers.
        let logged = store
            .log_path(&s.id, "agent.log")
            .map_err(|e| e.to_string())
            .and_then(|p| {
                fs::write(&p, b"hello\n")
                    .and_then(|()| fs::File::open(&p)?.sync_all())
                    .map_err(|e| e.to_string())
            });
        if logged.is_err() {
            return events;
        }
        let sidecars = [format!("db-{tag}")];
        let mut want = s.clone();
        want.sidecar_container_names = sidecars.to_vec();
        let s = match store.set_sidecar_containers(&s.id, &sidecars) {
            Ok(new) => {
                events.push((
                    tick(),
                    Event::Updated {
                        old: Box::new(s),
                        result: Ok(new.clone()),
                    },
                ));
                new
            }
            Err(_) => {
                events.push((
                    tick(),
                    Event::Updated {
                        old: Box::new(s),
                        result: Err(want),
                    },
                ));
                return events;
            }
        };
        let s = match store.finalize(&s.id, ended(), 7) {
            Ok(new) => {
                events.push((
                    tick(),
                    Event::Updated {
                        old: Box::new(s),
                        result: Ok(new.clone()),
                    },
                ));
                new
            }
            Err(_) => {
                let want = finalized(&s);
                events.push((
                    tick(),
                    Event::Updated {
                        old: Box::new(s),
                        result: Err(want),
                    },
                ));
                return events;
            }
        };
        if round % 2 == 0 {
            let started = tick();
            let ok = store.remove(&s.id).is_ok();
            events.push((
                started,
                Event::Removed {
                    old: Box::new(s),
                    ok,
                },
            ));
            if !ok {
                return events;
            }
        }
    }
    events
}

/// What the launchers' events say a boot may show.
fn expectation(all: &[Vec<(u64, Event)>], explicit_dirs: Vec<PathBuf>) -> Expect {
    let mut states: HashMap<SessionId, Vec<Option<Session>>> = HashMap::new();
    let mut want = Expect {
        explicit_dirs,
        ..Expect::default()
    };
    let mut ordered: Vec<&(u64, Event)> = all.iter().flatten().collect();
    ordered.sort_by_key(|(stamp, _)| *stamp);
    for (_, event) in ordered {
        match event {
            Event::Created(Ok(s)) => {
                states.insert(s.id.clone(), vec![Some(s.clone())]);
            }
            Event::Created(Err(spec)) => want.maybe_new.push(spec.clone()),
            Event::Updated { old, result } => {
                let allowed = match result {
                    Ok(new) => vec![Some(new.clone())],
                    Err(intended) => vec![Some((**old).clone()), Some(intended.clone())],
                };
                states.insert(old.id.clone(), allowed);
            }
            Event::Removed { old, ok } => {
                // Only auto sessions are removed here, whose directory goes with the root's
                // entry: it must not hold a record again.
                let allowed = if *ok {
                    want.emptied.push((**old).clone());
                    vec![None]
                } else {
                    vec![Some((**old).clone()), None]
                };
                states.insert(old.id.clone(), allowed);
            }
        }
    }
    for (id, allowed) in states {
        want.one_of(&id, allowed);
    }
    want
}

/// `cuts` concurrent runs of `launchers` launchers, each cut after a random step; up to
/// `states_per_cut` states of each cut are booted and checked.
pub fn run(rig: &Rig, cuts: u64, launchers: usize, states_per_cut: u64, rng: &mut Rng) -> Tally {
    let mut tally = Tally::default();
    rig.fresh(false);
    let mut dirs = Vec::new();
    for me in 0..launchers {
        for round in (1..ROUNDS).step_by(2) {
            let dir = explicit_dir(&rig.explicit, me, round);
            fs::create_dir(&dir).expect("setup: explicit dir");
            dirs.push(dir);
        }
    }
    rig.fs.sync_everything();
    let base = rig.fs.crash();

    let go = |rig: &Rig| -> Vec<Vec<(u64, Event)>> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..launchers)
                .map(|me| {
                    let store = rig.store.clone();
                    let explicit = rig.explicit.clone();
                    scope.spawn(move || launcher(&store, &explicit, me))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    };

    rig.fs.boot(&base, 0);
    let uncut = go(rig);
    let steps = rig.fs.steps();
    let events: usize = uncut.iter().map(Vec::len).sum();
    assert_eq!(
        events,
        launchers * (3 * ROUNDS + ROUNDS.div_ceil(2)),
        "with the power on every launcher runs every round"
    );

    for _ in 0..cuts {
        let k = rng.below(steps + 1);
        rig.fs.boot(&base, 0);
        rig.fs.cut_after(Some(k));
        let all = go(rig);
        let crash = rig.fs.crash();
        tally.cuts += 1;
        tally.sampled += u64::from(crash.outcomes() > states_per_cut);
        let want = expectation(&all, dirs.clone());
        for outcome in outcomes(&crash, states_per_cut, rng) {
            rig.fs.boot(&crash, outcome);
            let context = format!(
                "concurrent: cut after step {k} of about {steps}; boot: {}",
                crash.describe(outcome)
            );
            let (violations, leftovers) = check(&rig.store, &want, &context);
            tally.states += 1;
            tally.leftovers += leftovers;
            violations.into_iter().for_each(|v| tally.record(v));
        }
    }
    tally
}
