//! outrig's own answers, ported so the tests can compare this project's answers with them. Test
//! code only: neither the library nor the binary uses any of it.
//!
//! Provenance (repository `tgockel/outrig`; the functions keep their names there):
//! - `global_config_path_with`: `crates/outrig-cli/src/paths.rs` at
//!   5ae5f8b1e128f42bde5c9eddef7208272a3020ff;
//! - `resolve_session_root`, and `write_session_json_atomic` (cut short before its rename):
//!   `crates/outrig-cli/src/session.rs` at ef5b983ec174a86a120fcc8fbbf5dcab0595cef5;
//! - `parse_duration`, `older_than` and the `DEFAULT_OLDER_THAN` of `clean`:
//!   `crates/outrig-cli/src/cli/clean.rs` at eb744cf90898f1987b3eca87165a1730836bf2b7;
//! - `ConfigSource::base_dir` (the global file's case) and `resolve_against`:
//!   `crates/outrig/src/config/mod.rs` at 147630a03d3f1dd37d75b3a2812cc12d5e7f52f6.
//!
//! The rules those versions predate (`--global-config` must exist, outrig's #342; `clean
//! --session`; the IMAGE column) are written from issue 20's account of outrig's current
//! `session.rs`, `paths.rs` and `cli/{ls,clean}.rs`, and say so where they are.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const GLOBAL_CONFIG_FILE: &str = "config.toml";
const GLOBAL_HOME_DIR: &str = ".outrig";
const GLOBAL_XDG_DIR: &str = "outrig";
const DAY: u64 = 24 * 60 * 60;

/// `clean --older-than`'s default.
pub const DEFAULT_OLDER_THAN: Duration = Duration::from_secs(30 * DAY);

/// What `outrig ls` writes to stderr when there are no sessions (stdout stays empty).
pub const LS_NO_SESSIONS: &str = "[outrig] no sessions\n";

/// The global config's path: the flag, else `$XDG_CONFIG_HOME/outrig/config.toml` (whatever
/// the variable holds, empty and relative included), else `~/.outrig/config.toml`.
pub fn global_config_path_with(
    override_path: Option<&Path>,
    xdg_config_home: Option<&Path>,
    home: &Path,
) -> PathBuf {
    if let Some(p) = override_path {
        return p.to_path_buf();
    }
    if let Some(xdg) = xdg_config_home {
        return xdg.join(GLOBAL_XDG_DIR).join(GLOBAL_CONFIG_FILE);
    }
    home.join(GLOBAL_HOME_DIR).join(GLOBAL_CONFIG_FILE)
}

/// The directory a global config's relative paths resolve against.
pub fn global_base_dir(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}

/// `path` against `base`, absolute paths left alone.
pub fn resolve_against(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// The cascade: the flag, else the config's `session-root`, else the default.
pub fn resolve_session_root(
    flag: Option<&Path>,
    configured: Option<&Path>,
    default: &Path,
) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    if let Some(p) = configured {
        return p.to_path_buf();
    }
    default.to_path_buf()
}

/// Whether `ls`, `logs`, `discard` and `clean` go on with `--global-config named`: from issue
/// 20's account of outrig's #342, a named file that does not exist is an error unless
/// `--session-root` or `--session-dir` is given.
pub fn global_config_check(
    named: Option<&Path>,
    session_root_flag: bool,
    session_dir_flag: bool,
) -> Result<(), String> {
    match named {
        Some(p) if !p.exists() && !session_root_flag && !session_dir_flag => {
            Err(format!("--global-config {} does not exist", p.display()))
        }
        _ => Ok(()),
    }
}

/// `30d`, `12h`, `45m`, `10s`: one positive whole number and one unit.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let raw = value.trim();
    if raw.len() < 2 {
        return Err("expected a duration like 30d, 12h, 45m, or 10s".to_string());
    }
    let (amount, unit) = raw.split_at(raw.len() - 1);
    if amount.is_empty() || !amount.bytes().all(|b| b.is_ascii_digit()) {
        return Err("duration amount must be a positive integer".to_string());
    }
    let amount: u64 = amount
        .parse()
        .map_err(|_| "duration amount is too large".to_string())?;
    if amount == 0 {
        return Err("duration amount must be greater than zero".to_string());
    }
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => DAY,
        _ => return Err("duration unit must be one of s, m, h, or d".to_string()),
    };
    let secs = amount
        .checked_mul(unit_secs)
        .ok_or_else(|| "duration is too large".to_string())?;
    Ok(Duration::from_secs(secs))
}

/// Whether `clean` takes a session by age: its end (else its start) is at least `cutoff` ago.
pub fn older_than(s: &outrig::Session, cutoff: Duration, now: SystemTime) -> bool {
    let age_basis = s.ended_at.unwrap_or(s.started_at);
    now.duration_since(age_basis)
        .map(|age| age >= cutoff)
        .unwrap_or(false)
}

/// Whether `clean --session query` takes `s` (issue 20's account: the exact id, and the age
/// cutoff still applies).
pub fn clean_session_takes(
    s: &outrig::Session,
    query: &str,
    cutoff: Duration,
    now: SystemTime,
) -> bool {
    s.id.as_str() == query && older_than(s, cutoff, now)
}

/// The IMAGE cell of `outrig ls` (issue 20's account): the image configuration's name, or `-`.
pub fn ls_image_cell(s: &outrig::Session) -> String {
    s.image_config_name
        .clone()
        .unwrap_or_else(|| "-".to_owned())
}

/// outrig's record write, killed after the write and sync and before the rename: the temporary
/// file `tempfile::NamedTempFile::new_in(dir)` made (its default name, `.tmp` and six random
/// letters or digits) is left in `dir`. Returns its path.
pub fn write_session_json_interrupted(dir: &Path, payload: &[u8]) -> PathBuf {
    let mut tmp = tempfile::NamedTempFile::new_in(dir).unwrap();
    tmp.as_file_mut().write_all(payload).unwrap();
    tmp.as_file_mut().sync_all().unwrap();
    // `persist` would rename it over session.json; the crash comes first.
    let (_, path) = tmp.keep().unwrap();
    path
}
