//! The test bed: a store on a mounted `lossyfs`, the switch that cuts its power after any
//! step, and the tally of what the boots after each cut showed.

use std::fmt;
use std::fs;
use std::path::PathBuf;

use lossyfs::{Crash, Model, Mounted};
use outrig::SessionStore;

use super::check::{Kind, Violation};

/// Whether `make stress` asked for the long run.
pub fn stress() -> bool {
    std::env::var_os("OUTRIG_STRESS").is_some_and(|v| v == "1")
}

/// `bounded` in `make test`, `stressed` in `make stress`.
pub fn scaled(bounded: u64, stressed: u64) -> u64 {
    if stress() { stressed } else { bounded }
}

/// A store on a freshly mounted `lossyfs`, or `None` (after saying why) when FUSE cannot be
/// used here and nothing requires it. Under CI, or when `OUTRIG_REQUIRE_FUSE=1` (which
/// `make test` sets), a missing FUSE fails the test instead: a harness that silently did not
/// run proves nothing.
pub fn rig(test: &str) -> Option<Rig> {
    let why = match lossyfs::unavailable() {
        Some(why) => why,
        None => match Rig::mount() {
            Ok(rig) => return Some(rig),
            Err(e) => format!("mounting lossyfs failed: {e}"),
        },
    };
    let required = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
        || std::env::var_os("OUTRIG_REQUIRE_FUSE").is_some_and(|v| v == "1");
    assert!(
        !required,
        "{test}: the power-cut harness cannot run: {why} (required under CI and by make test)"
    );
    eprintln!("{test}: NOT RUN, the power-cut harness needs FUSE: {why}");
    None
}

/// A mounted `lossyfs` with the store's root and the explicit directories' parent on it.
pub struct Rig {
    // Field order matters: the mount goes before the directory it is mounted on.
    pub fs: Mounted,
    _dir: tempfile::TempDir,
    pub store: SessionStore,
    /// Where explicit session directories are made (outside the root).
    pub explicit: PathBuf,
}

impl Rig {
    fn mount() -> std::io::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mnt = dir.path().join("mnt");
        fs::create_dir(&mnt)?;
        let fs = Mounted::mount(&mnt)?;
        let store = SessionStore::new(mnt.join("root")).expect("store on the mount");
        Ok(Self {
            explicit: mnt.join("explicit"),
            fs,
            _dir: dir,
            store,
        })
    }

    /// Boots an empty disk and makes, durably, the explicit directories' parent and (unless
    /// `without_root`) the root.
    pub fn fresh(&self, without_root: bool) {
        self.fs.boot(&Model::new().crash(), 0);
        if !without_root {
            fs::create_dir(self.store.root()).expect("make root");
        }
        fs::create_dir(&self.explicit).expect("make the explicit directories' parent");
        self.fs.sync_everything();
    }

    /// An explicit session directory path named `name` (not made).
    pub fn explicit_dir(&self, name: &str) -> PathBuf {
        self.explicit.join(name)
    }
}

/// A small deterministic generator (SplitMix64): the harness must replay a failing run from
/// its printed seed, and needs nothing more than uniform draws.
pub struct Rng(u64);

impl Rng {
    /// Seeded from `OUTRIG_POWERCUT_SEED` when set, else from the clock; the seed is printed.
    pub fn from_env(test: &str) -> Self {
        Self(seed_from_env(test))
    }

    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The run's seed: `OUTRIG_POWERCUT_SEED` when set, else drawn from the clock; printed with
/// the way to replay it.
pub fn seed_from_env(test: &str) -> u64 {
    let seed = std::env::var("OUTRIG_POWERCUT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("{test}: seed {seed} (replay with OUTRIG_POWERCUT_SEED={seed})");
    seed
}

/// The seed of part `i` of a run seeded `seed`: each part (a concurrent cut) replays alone.
pub fn derive(seed: u64, i: u64) -> u64 {
    let mut r = Rng(seed ^ i.wrapping_mul(0xd129_0d2f_1c2d_7a55));
    r.next()
}

/// How long a looping test may run: `OUTRIG_POWERCUT_BUDGET` seconds when set, else
/// `bounded` (`make test`) or `stressed` (`make stress`) seconds.
pub fn budget(bounded: u64, stressed: u64) -> std::time::Duration {
    let secs = std::env::var("OUTRIG_POWERCUT_BUDGET")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| scaled(bounded, stressed));
    std::time::Duration::from_secs(secs)
}

/// The outcomes of `crash` to boot: all of them when there are at most `limit`, else the two
/// extremes (everything lost, everything kept) and `limit - 2` drawn at random.
pub fn outcomes(crash: &Crash, limit: u64, rng: &mut Rng) -> Vec<u64> {
    let n = crash.outcomes();
    if n <= limit {
        return (0..n).collect();
    }
    let mut picked = vec![0, crash.everything_kept()];
    while (picked.len() as u64) < limit {
        picked.push(rng.below(n));
    }
    picked
}

/// What the boots of one scenario (or the whole run) showed.
#[derive(Default)]
pub struct Tally {
    /// Power cuts made.
    pub cuts: u64,
    /// States booted and checked.
    pub states: u64,
    /// Cuts that left more states than were booted (a sample was drawn).
    pub sampled: u64,
    /// Leftovers that were found and removed through the API (not failures).
    pub leftovers: u64,
    /// What went wrong, by kind; the first few are kept verbatim.
    pub violations: Vec<Violation>,
    pub counts: [u64; Kind::ALL.len()],
}

impl Tally {
    pub fn record(&mut self, v: Violation) {
        self.counts[v.kind as usize] += 1;
        if self.violations.len() < 20 {
            self.violations.push(v);
        }
    }

    pub fn failures(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn add(&mut self, other: &Tally) {
        self.cuts += other.cuts;
        self.states += other.states;
        self.sampled += other.sampled;
        self.leftovers += other.leftovers;
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        for v in &other.violations {
            if self.violations.len() < 20 {
                self.violations.push(v.clone());
            }
        }
    }

    /// Panics with the violations, if any.
    pub fn assert_clean(&self, what: &str) {
        if self.failures() == 0 {
            return;
        }
        let mut msg = format!("{what}: {self}\n");
        for v in &self.violations {
            msg.push_str(&format!("  {v}\n"));
        }
        panic!("{msg}");
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cuts ({} sampled), {} states examined, leftovers removed {}",
            self.cuts, self.sampled, self.states, self.leftovers
        )?;
        for kind in Kind::ALL {
            write!(f, ", {}: {}", kind.name(), self.counts[kind as usize])?;
        }
        Ok(())
    }
}
