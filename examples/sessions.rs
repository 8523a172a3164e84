//! Creates, logs, finalizes, lists and removes sessions under a fresh root, printing the
//! listing the way `outrig ls` does.
//!
//! `cargo run --example sessions [ROOT]` (default: a new temporary directory).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use outrig::{NewSession, Session, SessionStore, format_duration, format_started_at};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let root = std::env::args_os()
        .nth(1)
        .map_or_else(|| tmp.path().join("sessions"), PathBuf::from);
    let store = SessionStore::new(root)?;
    println!("session root: {}\n", store.root().display());

    let cwd = std::env::current_dir()?;
    let finished = store.create(
        &NewSession::new("outrig-demo-1", "localhost/outrig-coding:d8aa33", &cwd)
            .image_config_name("coding")
            .agent_name("coder")
            .started_at(SystemTime::now() - Duration::from_secs(362)),
    )?;
    std::fs::write(
        store.log_path(&finished.id, "agent.log")?,
        "the agent ran\n",
    )?;
    store.finalize(&finished.id, SystemTime::now(), 0)?;

    let explicit_dir = tmp.path().join("my-session");
    let running = store.create(
        &NewSession::new("outrig-demo-2", "localhost/outrig-research:41c0de", &cwd)
            .sidecar("outrig-demo-2-web")
            .session_dir(&explicit_dir),
    )?;

    print_listing(&store.list()?.sessions);

    for log in store.logs(&finished.id)? {
        println!("\n{}: logs/{} ({} bytes)", finished.id, log.name, log.size);
    }
    let record = store.get(&running.id)?.to_json()?;
    println!(
        "\n{}/session.json:\n{}",
        running.session_dir.display(),
        String::from_utf8(record)?
    );

    for s in [&finished, &running] {
        let removal = store.remove(&s.id)?;
        println!("\nremoved {} (kept: {:?})", s.id, removal.kept);
    }
    println!("sessions left: {}", store.list()?.sessions.len());
    Ok(())
}

fn print_listing(sessions: &[Session]) {
    println!(
        "{:<20}  {:<19}  {:<8}  {:<32}  EXIT",
        "ID", "STARTED", "DURATION", "IMAGE"
    );
    for s in sessions {
        let duration = match s.duration() {
            Some(d) => format_duration(d),
            None => SystemTime::now()
                .duration_since(s.started_at)
                .map_or_else(|_| "-".to_owned(), format_duration),
        };
        let exit = s
            .exit_code
            .map_or_else(|| "-".to_owned(), |c| c.to_string());
        let link = s
            .link_target
            .as_ref()
            .map(|t| format!("  -> {}", t.display()))
            .unwrap_or_default();
        println!(
            "{:<20}  {:<19}  {:<8}  {:<32}  {exit}{link}",
            s.id.as_str(),
            format_started_at(s.started_at),
            duration,
            s.image_config_name.as_deref().unwrap_or(&s.image_tag),
        );
    }
}
