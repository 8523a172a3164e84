//! Concurrent runs cut at a random step: several launchers (threads) each create sessions
//! (auto and explicit), log, set sidecars, finalize and remove, on one root, while the power
//! fails after a step drawn at random. Each launcher stops at its first failure (the power is
//! out); what each saw returned is what the boot must show.
//!
//! The launchers take turns (`lossyfs::Mounted::take_turns`): one runs at a time, and which
//! one goes on at each store call and at each file write or sync is drawn from the cut's seed,
//! so a launcher's create can be interleaved with another's removal at any of those points,
//! and a cut replays exactly from its seed. Each cut's seed comes from the run's seed and the
//! cut's number; a failure prints the command that replays that one cut.

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use outrig::{Session, SessionId, SessionStore};

use super::check::{Expect, LogWant, Spec, check};
use super::rig::{Rig, Rng, Tally, derive, outcomes};
use super::scenarios::{ended, finalized, spec};

/// What each launcher writes to its session's log, and fsyncs.
const LOG_LINE: &[u8] = b"hello from the launcher\n";

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
    /// A log line written through `append_log`; `ok` when its fsync returned.
    Logged {
        id: SessionId,
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

/// One launcher's run; stops at the first failure. Each event comes with its stamp. `turn`
/// comes before each store call (the launchers take turns there).
fn launcher(
    store: &SessionStore,
    explicit: &std::path::Path,
    me: usize,
    turn: &dyn Fn(),
) -> Vec<(u64, Event)> {
    let mut events = Vec::new();
    for round in 0..ROUNDS {
        turn();
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
        // The first line through append_log, which makes the file's name durable: once the
        // launcher's fsync of the file returns, the line must survive (and before, only a
        // prefix of it or zeros may be there).
        turn();
        let logged = store
            .append_log(&s.id, "agent.log")
            .map_err(|e| e.to_string())
            .and_then(|mut f| {
                events.push((
                    tick(),
                    Event::Logged {
                        id: s.id.clone(),
                        ok: false,
                    },
                ));
                f.write_all(LOG_LINE)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| e.to_string())
            });
        if logged.is_err() {
            return events;
        }
        events.push((
            tick(),
            Event::Logged {
                id: s.id.clone(),
                ok: true,
            },
        ));
        turn();
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
        turn();
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
            turn();
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

/// What the launchers' events say a boot may show. `reused` says whether an id's name was
/// made more than once in the run (drawn again after its removal).
fn expectation(
    all: &[Vec<(u64, Event)>],
    explicit_dirs: Vec<PathBuf>,
    root: &std::path::Path,
    reused: &dyn Fn(&SessionId) -> bool,
) -> Expect {
    let mut states: HashMap<SessionId, Vec<Option<Session>>> = HashMap::new();
    let mut logs: HashMap<SessionId, LogWant> = HashMap::new();
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
                // entry: it must not hold a record again, nor come back at all (unless its id
                // was drawn again, by a create that may have been cut short).
                let allowed = if *ok {
                    want.emptied.push((**old).clone());
                    if !reused(&old.id) {
                        want.absent.push(root.join(old.id.as_str()));
                    }
                    vec![None]
                } else {
                    vec![Some((**old).clone()), None]
                };
                logs.remove(&old.id);
                states.insert(old.id.clone(), allowed);
            }
            Event::Logged { id, ok } => {
                logs.insert(
                    id.clone(),
                    LogWant {
                        id: id.clone(),
                        name: "agent.log".to_owned(),
                        durable: if *ok { LOG_LINE.to_vec() } else { Vec::new() },
                        written: LOG_LINE.to_vec(),
                    },
                );
            }
        }
    }
    for (id, allowed) in states {
        want.one_of(&id, allowed);
    }
    want.logs = logs.into_values().collect();
    want
}

/// `cuts` concurrent runs of `launchers` launchers, each cut after a random step, stopping
/// early once `budget` is spent; up to `states_per_cut` states of each cut are booted and
/// checked. Cut `i` draws everything from `derive(seed, i)`; `only` runs that cut alone.
pub fn run(
    rig: &Rig,
    seed: u64,
    cuts: u64,
    budget: Duration,
    launchers: usize,
    states_per_cut: u64,
    only: Option<u64>,
) -> Tally {
    let started = Instant::now();
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

    // The launchers, taking turns drawn from `turns`; returns their events and the turns.
    let go = |rig: &Rig, turns: u64| -> (Vec<Vec<(u64, Event)>>, Vec<usize>) {
        rig.fs.take_turns(turns, launchers);
        let events = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..launchers)
                .map(|me| {
                    let store = rig.store.clone();
                    let explicit = rig.explicit.clone();
                    scope.spawn(move || {
                        let _turns = rig.fs.join_turns(me);
                        launcher(&store, &explicit, me, &|| rig.fs.turn())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        (events, rig.fs.stop_turns())
    };

    // With the power on, twice from one seed: the same turns and the same number of steps,
    // or the cuts below could not be replayed.
    let uncut_turns = derive(seed, u64::MAX);
    rig.fs.boot(&base, 0);
    let (uncut, trace) = go(rig, uncut_turns);
    let steps = rig.fs.steps();
    let events: usize = uncut.iter().map(Vec::len).sum();
    assert_eq!(
        events,
        launchers * (5 * ROUNDS + ROUNDS.div_ceil(2)),
        "with the power on every launcher runs every round"
    );
    rig.fs.boot(&base, 0);
    let (_, again) = go(rig, uncut_turns);
    assert_eq!(
        (rig.fs.steps(), &again),
        (steps, &trace),
        "one seed, one run: the launchers' turns replay"
    );

    let which: Vec<u64> = match only {
        Some(i) => vec![i],
        None => (0..cuts).collect(),
    };
    for i in which {
        if only.is_none() && started.elapsed() > budget {
            eprintln!(
                "power cut | concurrent runs: time budget of {} s spent after {i} of {cuts} cuts",
                budget.as_secs()
            );
            break;
        }
        let mut rng = Rng::new(derive(seed, i));
        let turns = rng.next();
        let k = rng.below(steps + 1);
        rig.fs.boot(&base, 0);
        rig.fs.cut_after(Some(k));
        let (all, _) = go(rig, turns);
        let crash = rig.fs.crash();
        tally.cuts += 1;
        tally.sampled += u64::from(crash.outcomes() > states_per_cut);
        let reused = |id: &SessionId| rig.fs.times_made(id.as_str()) > 1;
        let want = expectation(&all, dirs.clone(), rig.store.root(), &reused);
        let replay = format!(
            "replay: OUTRIG_POWERCUT_SEED={seed} OUTRIG_POWERCUT_CUT={i} cargo test -p \
             outrig-powercut concurrent -- --nocapture"
        );
        for outcome in outcomes(&crash, states_per_cut, &mut rng) {
            rig.fs.boot(&crash, outcome);
            let context = format!(
                "concurrent cut {i}: after step {k} of about {steps}; boot: {}; {replay}",
                crash.describe(outcome)
            );
            let (violations, leftovers) = check(&rig.store, &want, &context);
            tally.states += 1;
            tally.leftovers += leftovers;
            if !violations.is_empty() && tally.failures() == 0 {
                eprintln!("power cut | concurrent cut {i} failed; {replay}");
            }
            violations.into_iter().for_each(|v| tally.record(v));
        }
    }
    tally
}
