//! `make bench-watch` (part of `make bench`): how fast `wait` and a watcher learn of a change,
//! against the polling loops a script would write, side by side in one run.
//!
//! - Wake-up latency from a `finalize` in another process to `wait` returning, over 200
//!   sessions each: `wait`, a loop asking `state()` every 200 ms (outrig's `logs -f` period), and
//!   every 10 ms. Measured from the moment the other process calls `finalize` (whose own
//!   durable write is part of every figure; its median is printed too).
//! - From `kill -9` of a launcher to the watcher's `abandoned` event, over 200 launchers.
//! - CPU time (user + system) of a process waiting 10 s for a session that does not end: `wait`
//!   against the two polling loops.
//! - Events lost while 8 processes create and finalize 10,000 sessions and one watcher runs.
//!
//! Writes its section of `bench/RESULTS.md` (between the `watch` markers) with `--write FILE`.
//! The other processes are this binary run again with a role as its first argument.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use outrig::{ContainerProbe, EventKind, NewSession, SessionId, SessionStore, State, WaitOutcome};
use rand::RngExt as _;

/// How much each part measures.
#[derive(Clone, Copy)]
struct Scale {
    /// Sessions per wake-up method, and launchers killed.
    samples: usize,
    /// How long the idle waiters wait.
    idle: Duration,
    storm_procs: usize,
    storm_sessions: usize,
}

/// `cargo bench` (`make bench-watch`): the figures of bench/RESULTS.md, about 90 s.
const FULL: Scale = Scale {
    samples: 200,
    idle: Duration::from_secs(10),
    storm_procs: 8,
    storm_sessions: 10_000,
};

/// `cargo test --all-targets` runs every bench target, this one too (`test = false` does not
/// keep it out): a few seconds that check each part works, not the measurement.
const CHECK: Scale = Scale {
    samples: 5,
    idle: Duration::from_secs(1),
    storm_procs: 2,
    storm_sessions: 200,
};

static SCALE: std::sync::OnceLock<Scale> = std::sync::OnceLock::new();

fn scale() -> Scale {
    *SCALE.get().unwrap_or(&FULL)
}

/// The monotonic clock in nanoseconds: the same clock in every process of the machine.
fn now_ns() -> i64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec * 1_000_000_000 + t.tv_nsec
}

/// A store whose container probe says nothing runs (no containers run here; a container engine
/// that cannot be asked would make every unleased session Unknown).
fn store(root: &Path) -> SessionStore {
    SessionStore::new(root)
        .unwrap()
        .with_container_probe(ContainerProbe::custom(|_| Some(Vec::new())))
}

fn spec(name: &str) -> NewSession {
    NewSession::new(name, "localhost/outrig-bench:1", "/bench")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("launcher") => return launcher(&args[1]),
        Some("holder") => return holder(&args[1]),
        Some("idle") => return idle(&args[1], &args[2], &args[3], &args[4]),
        Some("storm") => return storm_worker(&args[1], args[2].parse().unwrap()),
        _ => {}
    }
    // `cargo bench` passes `--bench`; `cargo test` runs the target without it.
    let measure = args.iter().any(|a| a == "--bench");
    SCALE.set(if measure { FULL } else { CHECK }).ok();
    let Scale {
        samples,
        idle: idle_for,
        storm_procs,
        storm_sessions,
    } = scale();
    let write = args
        .iter()
        .position(|a| a == "--write")
        .map(|i| PathBuf::from(&args[i + 1]));
    let tmp = tempfile::tempdir().unwrap();
    let mut report = String::new();

    eprintln!("watch bench: wake-up latency ({samples} sessions per method)...");
    let (wait, finalize) = latency(&tmp.path().join("latency-wait"), Method::Wait);
    let (poll200, _) = latency(
        &tmp.path().join("latency-200"),
        Method::Poll(Duration::from_millis(200)),
    );
    let (poll10, _) = latency(
        &tmp.path().join("latency-10"),
        Method::Poll(Duration::from_millis(10)),
    );
    report += &format!(
        "### Wake-up latency: `finalize` in another process to the waiter returning ({samples} \
         sessions each)\n\n\
         | waiter | p50 | p99 |\n|---|---|---|\n\
         | `wait` (inotify) | {} | {} |\n\
         | `state()` every 10 ms | {} | {} |\n\
         | `state()` every 200 ms (outrig's period) | {} | {} |\n\n\
         Measured from the call of `finalize`, whose own durable write (median {}) is in every \
         figure. p50 ratios: 200 ms loop / `wait` = {:.0}x, 10 ms loop / `wait` = {:.1}x.\n\n",
        ms(pct(&wait, 50)),
        ms(pct(&wait, 99)),
        ms(pct(&poll10, 50)),
        ms(pct(&poll10, 99)),
        ms(pct(&poll200, 50)),
        ms(pct(&poll200, 99)),
        ms(pct(&finalize, 50)),
        pct(&poll200, 50) / pct(&wait, 50),
        pct(&poll10, 50) / pct(&wait, 50),
    );

    eprintln!("watch bench: kill -9 to abandoned ({samples} launchers)...");
    let abandoned = kill_to_abandoned(&tmp.path().join("abandoned"));
    report += &format!(
        "### A launcher's `kill -9` to the watcher's `abandoned` event ({samples} launchers)\n\n\
         | p50 | p99 |\n|---|---|\n| {} | {} |\n\n",
        ms(pct(&abandoned, 50)),
        ms(pct(&abandoned, 99)),
    );

    eprintln!("watch bench: idle CPU over {} s...", idle_for.as_secs());
    let cpu = idle_cpu(&tmp.path().join("idle"));
    report += &format!(
        "### CPU time of a process waiting {} s for a session that runs on\n\n\
         | waiter | CPU (user + system) |\n|---|---|\n\
         | `wait` (inotify; asks the lease again every 2 s) | {} |\n\
         | `state()` every 10 ms | {} |\n\
         | `state()` every 200 ms | {} |\n\n\
         Each waits for its own session: a waiter also wakes when another process opens and \
         closes the directory it watches (a lease probe, a listing), and asks the lease then.\n\n",
        idle_for.as_secs(),
        ms(cpu[0]),
        ms(cpu[1]),
        ms(cpu[2]),
    );

    eprintln!("watch bench: storm ({storm_procs} processes, {storm_sessions} sessions)...");
    let storm = storm(&tmp.path().join("storm"));
    report += &format!(
        "### Events lost while {storm_procs} processes create and finalize {storm_sessions} \
         sessions and one watcher runs\n\n\
         | sessions | created events | finalized events | lost | duplicated | queue overflows (re-listed) | storm took |\n\
         |---|---|---|---|---|---|---|\n\
         | {} | {} | {} | {} | {} | {} | {:.1} s |\n",
        storm_sessions,
        storm.created,
        storm.finalized,
        storm.lost,
        storm.duplicated,
        storm.overflows,
        storm.took.as_secs_f64(),
    );

    println!("\n{report}");
    if !measure {
        // What the check asserts: every part ran to its end, and the watcher saw every
        // session created and finalized.
        assert_eq!((wait.len(), abandoned.len()), (samples, samples));
        assert!(cpu.iter().all(|&ns| ns > 0.0));
        assert_eq!(
            (
                storm.lost,
                storm.created.min(storm.finalized) >= storm_sessions
            ),
            (0, true)
        );
        eprintln!("watch bench: checked at a small scale; `cargo bench --bench watch` measures");
        return;
    }
    if let Some(file) = write {
        write_section(&file, &report);
        eprintln!("watch bench: wrote its section of {}", file.display());
    }
}

fn ms(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.0} µs", ns / 1e3)
    }
}

/// The `p`th percentile of `samples` (nanoseconds), nearest rank.
fn pct(samples: &[f64], p: usize) -> f64 {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (p * v.len()).div_ceil(100).max(1);
    v[rank - 1]
}

/// Replaces (or appends) the section between the watch markers of `file`.
fn write_section(file: &Path, report: &str) {
    const BEGIN: &str = "<!-- watch bench: begin (make bench-watch writes this section) -->";
    const END: &str = "<!-- watch bench: end -->";
    let old = std::fs::read_to_string(file).unwrap_or_default();
    // The machine is shared: the load it carried says how much the tails are worth.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let section = format!(
        "{BEGIN}\n## wait and watch (make bench-watch, {}; load average {load})\n\n{report}{END}\n",
        jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC")
    );
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => {
            format!(
                "{}{section}{}",
                &old[..b],
                &old[e + END.len()..].trim_start_matches('\n')
            )
        }
        _ => format!("{}\n\n{section}", old.trim_end_matches('\n')),
    };
    std::fs::write(file, new).unwrap();
}

/// A child process of this binary in `role`, with its input and its lines.
struct Worker {
    child: Child,
    input: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Worker {
    fn start(args: &[&str]) -> Worker {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Worker {
            input: child.stdin.take().unwrap(),
            child,
            lines: rx,
        }
    }

    fn send(&mut self, line: &str) {
        writeln!(self.input, "{line}").unwrap();
        self.input.flush().unwrap();
    }

    fn line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the worker answered")
    }
}

/// Child: creates a session on `create` (printing its id) and finalizes one on `finalize ID`
/// (printing the monotonic time it called finalize and how long finalize took).
fn launcher(root: &str) {
    let store = store(Path::new(root));
    let mut live = HashMap::new();
    for line in std::io::stdin().lines() {
        let line = line.unwrap();
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("create"), None) => {
                let s = store.create(&spec("latency")).unwrap();
                println!("{}", s.id);
                live.insert(s.id.to_string(), s);
            }
            (Some("finalize"), Some(id)) => {
                let mut s = live.remove(id).unwrap();
                let t0 = now_ns();
                s.finalize_now(0).unwrap();
                println!("{t0} {}", now_ns() - t0);
            }
            _ => panic!("unknown command {line}"),
        }
        std::io::stdout().flush().unwrap();
    }
}

enum Method {
    Wait,
    Poll(Duration),
}

/// Latencies (ns) of `method` over [`Scale::samples`] sessions, and finalize's own durations.
fn latency(root: &Path, method: Method) -> (Vec<f64>, Vec<f64>) {
    let store = store(root);
    let mut w = Worker::start(&["launcher", root.to_str().unwrap()]);
    let mut rng = rand::rng();
    let (mut lat, mut fin) = (Vec::new(), Vec::new());
    for _ in 0..scale().samples {
        w.send("create");
        let id = SessionId::parse(&w.line()).unwrap();
        let (tx, rx) = mpsc::channel();
        match &method {
            Method::Wait => {
                let mut waiter = store.waiter(&id).unwrap();
                std::thread::spawn(move || {
                    let outcome = waiter.wait(Some(Duration::from_secs(60))).unwrap();
                    assert!(matches!(outcome, WaitOutcome::Finished(_)), "{outcome:?}");
                    tx.send(now_ns()).unwrap();
                });
            }
            Method::Poll(every) => {
                let (store, id, every) = (store.clone(), id.clone(), *every);
                std::thread::spawn(move || {
                    while store.state(&id).unwrap() != State::Finished {
                        std::thread::sleep(every);
                    }
                    tx.send(now_ns()).unwrap();
                });
            }
        }
        // The finalize comes at a random moment of a polling period.
        let jitter = match &method {
            Method::Wait => Duration::from_millis(5),
            Method::Poll(every) => *every,
        };
        std::thread::sleep(Duration::from_micros(
            rng.random_range(1000..=u64::try_from(jitter.as_micros()).unwrap()),
        ));
        w.send(&format!("finalize {id}"));
        let answer = w.line();
        let (t0, took) = answer.split_once(' ').unwrap();
        let woke = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        lat.push((woke - t0.parse::<i64>().unwrap()) as f64);
        fin.push(took.parse::<f64>().unwrap());
    }
    drop(w.input);
    w.child.wait().unwrap();
    (lat, fin)
}

/// Child: creates a session, prints its id, and holds its lease until killed.
fn holder(root: &str) {
    let store = store(Path::new(root));
    let s = store.create(&spec("holder")).unwrap();
    println!("{}", s.id);
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 {}
}

fn kill_to_abandoned(root: &Path) -> Vec<f64> {
    std::fs::create_dir_all(root).unwrap();
    let store = store(root);
    let mut watcher = store.watch().unwrap();
    let mut out = Vec::new();
    for _ in 0..scale().samples {
        let mut w = Worker::start(&["holder", root.to_str().unwrap()]);
        let id = w.line();
        // Its creation seen first, so the kill is the only news after.
        loop {
            let e = watcher.next_timeout(Some(Duration::from_secs(60))).unwrap();
            if e.is_some_and(|e| e.id.as_str() == id && e.kind == EventKind::Created) {
                break;
            }
        }
        let t0 = now_ns();
        w.child.kill().unwrap();
        loop {
            let e = watcher
                .next_timeout(Some(Duration::from_secs(60)))
                .unwrap()
                .expect("the abandoned event came");
            if e.id.as_str() == id && e.kind == EventKind::Abandoned {
                out.push((now_ns() - t0) as f64);
                break;
            }
        }
        w.child.wait().unwrap();
    }
    out
}

/// Child: waits `idle_ms` for session `id` as `how` says (`wait`, or a polling period in ms),
/// then prints its own CPU time in ns.
fn idle(root: &str, id: &str, how: &str, idle_ms: &str) {
    let idle = Duration::from_millis(idle_ms.parse().unwrap());
    let store = store(Path::new(root));
    let id = SessionId::parse(id).unwrap();
    let until = Instant::now() + idle;
    if how == "wait" {
        let outcome = store.wait(&id, Some(idle)).unwrap();
        assert_eq!(outcome, WaitOutcome::TimedOut);
    } else {
        let every = Duration::from_millis(how.parse().unwrap());
        while Instant::now() < until {
            assert_eq!(store.state(&id).unwrap(), State::Running);
            std::thread::sleep(every);
        }
    }
    // User and system time of every thread of this process.
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    println!("{}", t.tv_sec * 1_000_000_000 + t.tv_nsec);
}

/// The CPU time of `wait`, the 10 ms loop and the 200 ms loop, waiting at once (each in its own
/// process, each for its own session: a waiter is woken by other processes opening the
/// directory it watches, so the polling loops would cost the wait too) for sessions this
/// process holds.
fn idle_cpu(root: &Path) -> [f64; 3] {
    let store = store(root);
    let r = root.to_str().unwrap();
    let idle_ms = scale().idle.as_millis().to_string();
    let mut held = Vec::new();
    let workers: Vec<Worker> = ["wait", "10", "200"]
        .iter()
        .map(|how| {
            let live = store.create(&spec("idle")).unwrap();
            let id = live.id.to_string();
            held.push(live);
            Worker::start(&["idle", r, &id, how, &idle_ms])
        })
        .collect();
    let cpu: Vec<f64> = workers
        .iter()
        .map(|w| {
            w.lines
                .recv_timeout(scale().idle * 3)
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    for mut w in workers {
        w.child.wait().unwrap();
    }
    drop(held);
    [cpu[0], cpu[1], cpu[2]]
}

/// Child: creates and finalizes `n` sessions, then prints `done`.
fn storm_worker(root: &str, n: usize) {
    let store = store(Path::new(root));
    for i in 0..n {
        let mut s = store.create(&spec("storm")).unwrap();
        s.finalize_now(i32::try_from(i % 256).unwrap()).unwrap();
    }
    println!("done");
}

struct Storm {
    created: usize,
    finalized: usize,
    lost: usize,
    duplicated: usize,
    overflows: u64,
    took: Duration,
}

fn storm(root: &Path) -> Storm {
    std::fs::create_dir_all(root).unwrap();
    let store = store(root);
    let mut watcher = store.watch().unwrap();
    let started = Instant::now();
    let Scale {
        storm_procs,
        storm_sessions,
        ..
    } = scale();
    let each = storm_sessions / storm_procs;
    let workers: Vec<Worker> = (0..storm_procs)
        .map(|_| Worker::start(&["storm", root.to_str().unwrap(), &each.to_string()]))
        .collect();
    let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
    let (mut created, mut finalized) = (0, 0);
    let mut done = 0;
    let mut took = None;
    loop {
        while done < storm_procs
            && workers
                .iter()
                .any(|w| w.lines.try_recv().is_ok_and(|l| l == "done"))
        {
            done += 1;
        }
        if done == storm_procs && took.is_none() {
            took = Some(started.elapsed());
        }
        match watcher
            .next_timeout(Some(Duration::from_millis(200)))
            .unwrap()
        {
            Some(e) => {
                let entry = seen.entry(e.id.to_string()).or_default();
                match e.kind {
                    EventKind::Created => {
                        entry.0 += 1;
                        created += 1;
                    }
                    EventKind::Finalized => {
                        entry.1 += 1;
                        finalized += 1;
                    }
                    _ => {}
                }
            }
            // Quiet after every worker finished: everything there was to see was seen.
            None if done == storm_procs => break,
            None => {}
        }
    }
    for mut w in workers {
        w.child.wait().unwrap();
    }
    let on_disk = store.list().unwrap().sessions.len();
    assert_eq!(on_disk, storm_sessions);
    let complete = seen.values().filter(|(c, f)| *c >= 1 && *f >= 1).count();
    Storm {
        created,
        finalized,
        lost: storm_sessions - complete,
        duplicated: seen.values().filter(|(c, f)| *c > 1 || *f > 1).count(),
        overflows: watcher.overflows(),
        took: took.unwrap_or_else(|| started.elapsed()),
    }
}
