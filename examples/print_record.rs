//! Prints one session's record exactly as the Rust core reads and would rewrite it:
//!
//! ```sh
//! cargo run -q --example print_record -- <root> <id>
//! ```
//!
//! The bytes on stdout are `Session::to_json` of `SessionStore::get`, so comparing them with
//! the `session.json` that another language wrote (the Python tests do) shows that the record
//! reads back byte for byte through Rust. The session must also appear in the root's listing.

use std::io::Write as _;
use std::process::ExitCode;

use outrig::{SessionId, SessionStore};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, id] = args.as_slice() else {
        eprintln!("usage: print_record <root> <id>");
        return ExitCode::from(2);
    };
    match run(root, id) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("print_record: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(root: &str, id: &str) -> outrig::Result<()> {
    let store = SessionStore::new(root)?;
    let id = SessionId::parse(id)?;
    let session = store.get(&id)?;
    let listed = store.list()?.sessions.into_iter().any(|s| s == session);
    if !listed {
        return Err(outrig::Error::new(
            outrig::ErrorKind::NotFound,
            format!("session {id} reads by id but is missing from the listing of {root}"),
        ));
    }
    let bytes = session.to_json()?;
    std::io::stdout()
        .write_all(&bytes)
        .expect("writing to stdout");
    Ok(())
}
