//! The session store of `outrig`, as a library.
//!
//! `outrig` runs AI agents in containers and keeps a record of every run on disk. This crate
//! creates, finalizes, lists, cleans and removes those records in exactly outrig's layout and
//! bytes, so a session made here is indistinguishable from one outrig made, and every record
//! outrig ever wrote reads here. The same core is exposed to C (`liboutrig`, `outrig.h`) and to
//! Python (`import outrig`).
//!
//! ```no_run
//! use outrig::{NewSession, SessionStore};
//! use std::time::SystemTime;
//!
//! # fn main() -> outrig::Result<()> {
//! let store = SessionStore::resolve(None, None)?; // outrig's own root
//! let session = store.create(&NewSession::new(
//!     "outrig-demo",
//!     "localhost/outrig-coding:d8aa33",
//!     "/home/me/repo",
//! ))?;
//! let log = store.log_path(&session.id, "agent.log")?;
//! std::fs::write(&log, b"hello\n").expect("write log");
//! store.finalize(&session.id, SystemTime::now(), 0)?;
//! for s in store.list()?.sessions {
//!     println!("{} {}", s.id, outrig::format_started_at(s.started_at));
//! }
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]
// Unsafe code is denied everywhere but in the C ABI (`ffi`, with `capi`) and in the one
// `pre_exec` of the container probe (probe/engine.rs), which keeps the engine from inheriting
// the caller's descriptors: std offers no safe way to do that.
#![deny(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod error;
// The C ABI (`include/outrig.h`), with the `capi` feature only (the C library's build): the
// `#[no_mangle]` functions liboutrig.so and liboutrig.a export whatever this module's
// visibility. Public only because the header also carries constants and types that no Rust
// code reads (the version macros): private, they would be dead code. Not part of the Rust API.
#[cfg(feature = "capi")]
#[doc(hidden)]
pub mod ffi;
mod format;
mod fsio;
mod id;
mod probe;
mod record;
mod root;
mod state;
mod store;
mod watch;

pub use error::{Error, ErrorKind, Result};
pub use format::{format_duration, format_started_at};
pub use fsio::MAX_RECORD_BYTES;
pub use fsio::lock::LOCK_WAIT;
pub use id::{MAX_NAME_LEN, SessionId};
pub use probe::{ContainerProbe, PROBE_TIMEOUT, ProbeFailure};
pub use record::{Session, SessionRecord};
pub use root::{
    MAX_CONFIG_BYTES, RootInputs, RootSource, SESSION_ROOT_KEY, default_config_path, resolve_root,
    resolve_root_from_env, resolve_root_from_env_with_source, resolve_root_with_source,
};
pub use state::{State, exit_code, exit_code_from_returncode, exit_code_from_wait_status};
pub use store::{
    CleanFailure, CleanMode, Cleaning, ENTER_SCRIPT, LOGS_DIR, Listing, LiveSession, Liveness,
    LogFile, MAX_LOG_DEPTH, NewSession, Removal, RemoveMode, SessionStore, Skipped,
};
pub use watch::{
    Event, EventKind, LEASE_CONFIRM, POLL_INTERVAL, RECHECK_INTERVAL, WaitOutcome, Waiter,
    WatchSource, Watcher,
};

/// The README's Rust example, compiled by `cargo test --doc` so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

/// The modules behind the re-exports above are not the API (what users need is re-exported;
/// the rest may change with any release): each `use` below must fail to compile with E0603
/// (private module), so a module made public by mistake fails `cargo test --doc`.
///
/// ```compile_fail,E0603
/// use outrig::error;
/// ```
///
/// ```compile_fail,E0603
/// use outrig::format;
/// ```
///
/// ```compile_fail,E0603
/// use outrig::fsio;
/// ```
///
/// ```compile_fail,E0603
/// use outrig::id;
/// ```
///
/// ```compile_fail,E0603
/// use outrig::probe;
/// ```
///
/// ```compile_fail,E0603
/// use outrig::record;
/// ```
///
/// ```compile_fail,E0603
/// use outrig::root;
/// ```
///
/// ```compile_fail,E0603
/// use outrig::state;
/// ```
///
/// ```compile_fail,E0603
/// use outrig::store;
/// ```
///
/// ```compile_fail,E0603
/// use outrig::watch;
/// ```
#[cfg(doctest)]
struct InternalModulesArePrivate;
