//! `include/outrig.h` is what cbindgen generates from `src/ffi/` now, with its functions grouped
//! by topic in the order a launcher uses them.
//!
//! Regenerate it after changing the C ABI: `OUTRIG_BLESS=1 cargo test --test header` (or
//! `make header`). A new exported function must be given a place in [`TOPICS`].

use std::collections::BTreeSet;
use std::path::Path;

/// The header's sections and their functions, in the order the header shows them: the order a
/// launcher meets them (errors first, then opening a store, creating and finalizing a session,
/// reading and listing, removing, logs, formatting). An explicit list rather than cbindgen's
/// module visiting order, so moving a function between files does not move it in the header,
/// and the order is the same on every run.
const TOPICS: &[(&str, &[&str])] = &[
    (
        "Errors and version",
        &[
            "outrig_status_name",
            "outrig_last_error_message",
            "outrig_last_os_error",
            "outrig_version",
        ],
    ),
    (
        "Owned strings and string lists",
        &[
            "outrig_string_free",
            "outrig_strings_len",
            "outrig_strings_get",
            "outrig_strings_free",
        ],
    ),
    (
        "The store: open, resolve, container probe, free",
        &[
            "outrig_store_open",
            "outrig_store_open_resolved",
            "outrig_store_with_container_probe",
            "outrig_store_root",
            "outrig_store_entry_path",
            "outrig_store_free",
        ],
    ),
    (
        "Creating and finalizing a session: spec, create, lease, exit code, finalize",
        &[
            "outrig_spec_new",
            "outrig_spec_set_container_name",
            "outrig_spec_set_image_tag",
            "outrig_spec_set_image_config_name",
            "outrig_spec_set_agent_name",
            "outrig_spec_set_working_dir",
            "outrig_spec_set_session_dir",
            "outrig_spec_add_sidecar_container",
            "outrig_spec_set_started_at",
            "outrig_spec_free",
            "outrig_store_create",
            "outrig_session_lease_fd",
            "outrig_store_set_sidecar_containers",
            "outrig_exit_code_from_wait_status",
            "outrig_store_finalize",
            "outrig_store_finalize_at",
        ],
    ),
    (
        "Reading and listing: get, list, session fields, states",
        &[
            "outrig_store_get",
            "outrig_store_get_by_path",
            "outrig_store_list",
            "outrig_listing_len",
            "outrig_listing_get",
            "outrig_listing_skipped_len",
            "outrig_listing_skipped_entry",
            "outrig_listing_skipped_reason",
            "outrig_listing_free",
            "outrig_session_id",
            "outrig_session_container_name",
            "outrig_session_image_tag",
            "outrig_session_image_config_name",
            "outrig_session_agent_name",
            "outrig_session_working_dir",
            "outrig_session_session_dir",
            "outrig_session_logs_dir",
            "outrig_session_link_target",
            "outrig_session_started_at",
            "outrig_session_ended_at",
            "outrig_session_exit_code",
            "outrig_session_duration",
            "outrig_session_sidecar_count",
            "outrig_session_sidecar",
            "outrig_session_to_json",
            "outrig_session_free",
            "outrig_store_state",
            "outrig_store_states",
            "outrig_state_name",
        ],
    ),
    (
        "Waiting for a session and watching a root",
        &[
            "outrig_store_wait",
            "outrig_store_watch",
            "outrig_watch_fd",
            "outrig_watch_next",
            "outrig_watch_free",
            "outrig_event_get_kind",
            "outrig_event_id",
            "outrig_event_session",
            "outrig_event_free",
            "outrig_event_kind_name",
        ],
    ),
    (
        "Removing and cleaning",
        &[
            "outrig_store_remove",
            "outrig_store_remove_by_path",
            "outrig_store_remove_forced",
            "outrig_store_remove_by_path_forced",
            "outrig_store_clean",
            "outrig_store_clean_v2",
            "outrig_store_clean_before",
            "outrig_store_clean_session",
        ],
    ),
    (
        "Logs",
        &[
            "outrig_store_log_path",
            "outrig_store_find_log",
            "outrig_store_append_log",
            "outrig_store_read_log",
            "outrig_store_logs",
            "outrig_logs_len",
            "outrig_logs_name",
            "outrig_logs_size",
            "outrig_logs_free",
        ],
    ),
    (
        "Formatting as outrig ls does",
        &["outrig_format_duration", "outrig_format_started_at"],
    ),
];

/// The sections before the functions: a title, and the line that starts each (after its doc
/// comment). cbindgen writes the version macros, then the types.
const PREAMBLE: &[(&str, &str)] = &[
    ("Version of this header", "#define OUTRIG_VERSION_MAJOR "),
    (
        "Types: statuses, states, handles, the container probe",
        "typedef enum outrig_status {",
    ),
];

/// The macro that marks every function returning an `outrig_status` (`cbindgen.toml` defines
/// it at the top of the header).
const NODISCARD: &str = "OUTRIG_NODISCARD";

/// The header as it should be: cbindgen's output with the functions in [`TOPICS`] order and a
/// section comment before each topic. Panics, naming them, on functions without a topic and
/// topics naming functions that do not exist.
fn generate() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");

    let listed: Vec<&str> = TOPICS
        .iter()
        .flat_map(|(_, names)| names.iter().copied())
        .collect();
    let exported: BTreeSet<String> = bindings
        .functions
        .iter()
        .map(|f| f.path.name().to_owned())
        .collect();
    let listed_set: BTreeSet<String> = listed.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        listed.len(),
        listed_set.len(),
        "a function is listed twice in TOPICS"
    );
    let unplaced: Vec<_> = exported.difference(&listed_set).collect();
    let unknown: Vec<_> = listed_set.difference(&exported).collect();
    assert!(
        unplaced.is_empty() && unknown.is_empty(),
        "tests/header.rs TOPICS is out of date: give these exported functions a topic: \
         {unplaced:?}; these listed ones are not exported: {unknown:?}"
    );
    let position = |name: &str| listed.iter().position(|n| *n == name).unwrap();
    bindings.functions.sort_by_key(|f| position(f.path.name()));

    let mut out = Vec::new();
    bindings.write(&mut out);
    let mut text = String::from_utf8(out).expect("cbindgen writes UTF-8");
    // The doc comments' `# Safety` heading (rustdoc's and clippy's name for an unsafe
    // function's contract) is, for a C reader, the list of preconditions.
    text = text.replace("\n * # Safety\n", "\n * Preconditions:\n");
    // cbindgen leaves an empty line for each item it skips (the core's constants and the like,
    // see cbindgen.toml); one empty line between blocks is enough, and keeps the header the
    // same when the core gains or loses such an item.
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    for (title, names) in TOPICS.iter().rev() {
        let at = doc_start_of(&text, names[0]);
        text.insert_str(at, &format!("/* ---- {title} ---- */\n\n"));
    }
    for (title, line) in PREAMBLE.iter().rev() {
        let at = doc_start_before(&text, line_start_of(&text, line));
        text.insert_str(at, &format!("/* ---- {title} ---- */\n\n"));
    }
    text
}

/// The byte offset of the doc comment (or, without one, the declaration) of function `name`
/// in generated `text`.
fn doc_start_of(text: &str, name: &str) -> usize {
    let call = format!("{name}(");
    let decl = text
        .match_indices(&call)
        .filter(|(i, _)| {
            // Not the tail of a longer name (`outrig_store_clean(` in `..._store_clean_before(`
            // cannot match, but `x_outrig_...` could).
            !text[..*i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(|(i, _)| text[..i].rfind('\n').map_or(0, |n| n + 1))
        .find(|&line| {
            let l = text[line..].trim_start();
            !l.starts_with('*') && !l.starts_with("/*") && !l.starts_with("//")
        })
        .unwrap_or_else(|| panic!("no declaration of {name} in the generated header"));
    doc_start_before(text, decl)
}

/// The byte offset of the line of `text` that starts with `line`.
fn line_start_of(text: &str, line: &str) -> usize {
    text.match_indices(line)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text[..i].ends_with('\n'))
        .unwrap_or_else(|| panic!("no line {line:?} in the generated header"))
}

/// Where the doc comment right above offset `decl` (a line start) begins; `decl` without one.
fn doc_start_before(text: &str, decl: usize) -> usize {
    let before = &text[..decl];
    if before.ends_with("*/\n") {
        before.rfind("/**").expect("a doc comment opens")
    } else {
        decl
    }
}

/// The declarations in `header`, one string each, joined across lines (cbindgen wraps long
/// ones), without comments.
fn declarations(header: &str) -> Vec<String> {
    let extern_c = header
        .find("extern \"C\" {")
        .expect("an extern \"C\" block");
    let mut decls = Vec::new();
    let mut current = String::new();
    let mut in_comment = false;
    for line in header[extern_c..].lines().skip(1) {
        let t = line.trim();
        if in_comment {
            in_comment = !t.ends_with("*/");
            continue;
        }
        if t.starts_with("/*") {
            in_comment = !t.ends_with("*/");
            continue;
        }
        if t.is_empty() || t.starts_with('#') || t.starts_with("//") || t.starts_with('}') {
            continue;
        }
        current.push_str(t);
        current.push(' ');
        if t.ends_with(';') {
            decls.push(std::mem::take(&mut current));
        }
    }
    decls
}

#[test]
fn committed_header_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = generate();
    let path = root.join("include/outrig.h");
    if std::env::var_os("OUTRIG_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write include/outrig.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        panic!(
            "include/outrig.h is not what cbindgen generates from src/ffi/ now; regenerate it \
             with `OUTRIG_BLESS=1 cargo test --test header` (or `make header`), review the \
             diff and commit it"
        );
    }
}

#[test]
fn generation_is_deterministic() {
    assert!(generate() == generate(), "two generations differ");
}

#[test]
fn functions_appear_by_topic_under_section_comments() {
    let header = generate();
    let mut last = 0;
    for (title, _) in PREAMBLE {
        let section = format!("/* ---- {title} ---- */");
        let at = header
            .find(&section)
            .unwrap_or_else(|| panic!("no section comment {section:?}"));
        assert!(at > last, "section {title:?} is out of order");
        last = at;
    }
    for (title, names) in TOPICS {
        let section = format!("/* ---- {title} ---- */");
        let at = header
            .find(&section)
            .unwrap_or_else(|| panic!("no section comment {section:?}"));
        assert!(at > last, "section {title:?} is out of order");
        last = at;
        for name in *names {
            let decl = doc_start_of(&header, name);
            assert!(decl > last, "{name} is not after the start of {title:?}");
            last = decl;
        }
    }
}

/// Words of Rust that a C reader of the header should not meet: its types, its links, its
/// headings, its failure mode.
const RUST_TERMS: &[&str] = &[
    "# Safety", "Option", "Some(", "None", "Result", "&str", "&mut", "Vec", "String", "Box",
    "CStr", "usize", "u64", "i64", "u32", "i32", "crate::", "](", "panic", "unwrap", "Rust",
];

/// Whether `line` holds `term` as a whole word where it begins or ends with a letter ("String"
/// is not in "Strings", "panic" is in "panics").
fn contains_term(line: &str, term: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    line.match_indices(term).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + term.len()..].chars().next();
        let starts_word = term.starts_with(word);
        let ends_word = term.ends_with(word) && term != "panic";
        !(starts_word && before.is_some_and(word) || ends_word && after.is_some_and(word))
    })
}

#[test]
fn typedef_name_reads_each_kind() {
    assert_eq!(
        typedef_name("typedef struct outrig_x outrig_x;"),
        "outrig_x"
    );
    assert_eq!(
        typedef_name("typedef enum outrig_status {"),
        "outrig_status"
    );
    assert_eq!(
        typedef_name("typedef bool (*outrig_p)(void *u,"),
        "outrig_p"
    );
}

#[test]
fn contains_term_finds_words_not_parts() {
    assert!(contains_term("returns an Option here", "Option"));
    assert!(contains_term("it panics", "panic"));
    assert!(contains_term("see [x](crate::y)", "]("));
    assert!(!contains_term("Strings in are", "String"));
    assert!(!contains_term("a u64_value", "u64"));
}

#[test]
fn the_docs_speak_c() {
    let header = generate();
    let found: Vec<String> = header
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.starts_with('*') || t.starts_with("/*")
        })
        .flat_map(|(n, l)| {
            RUST_TERMS
                .iter()
                .filter(move |t| contains_term(l, t))
                .map(move |t| format!("line {}: {t:?} in {l:?}", n + 1))
        })
        .collect();
    assert!(
        found.is_empty(),
        "Rust terms in the header's comments:\n{}",
        found.join("\n")
    );
    assert!(
        header.contains(" * Preconditions:\n"),
        "no preconditions paragraph"
    );
}

/// The name a `typedef` line declares: `x` in `typedef struct x x;`, `typedef enum x {` and
/// `typedef bool (*x)(...`.
fn typedef_name(line: &str) -> &str {
    if let Some((_, rest)) = line.split_once("(*") {
        return rest.split(')').next().unwrap_or_default();
    }
    line.trim_end_matches([';', '{', ' '])
        .rsplit(' ')
        .next()
        .unwrap_or_default()
}

#[test]
fn every_name_the_header_defines_is_outrigs() {
    let header = generate();
    let mut names = Vec::new();
    for line in header.lines() {
        if let Some(rest) = line.strip_prefix("#define ") {
            names.push(rest.split_whitespace().next().unwrap_or_default());
        } else if line.starts_with("typedef ") {
            names.push(typedef_name(line));
        }
    }
    assert!(names.len() > 10, "found only {names:?}");
    let foreign: Vec<_> = names
        .iter()
        .filter(|n| !n.starts_with("outrig_") && !n.starts_with("OUTRIG_"))
        .collect();
    assert!(
        foreign.is_empty(),
        "the header declares names that are not outrig's (exclude them in cbindgen.toml): \
         {foreign:?}"
    );
}

#[test]
fn every_status_is_marked_nodiscard_and_nothing_else() {
    let header = generate();
    let decls = declarations(&header);
    assert!(decls.len() > 60, "parsed only {} declarations", decls.len());
    let mut statuses = 0;
    for decl in &decls {
        // cbindgen's style "both" spells the return type `enum outrig_status`.
        let returns_status = decl
            .trim_start_matches(NODISCARD)
            .trim_start()
            .starts_with("enum outrig_status ");
        let marked = decl.starts_with(NODISCARD);
        if returns_status {
            statuses += 1;
            assert!(marked, "a status that may be ignored: {decl}");
        } else {
            assert!(!marked, "marked but returns no status: {decl}");
        }
    }
    assert!(
        statuses > 30,
        "found only {statuses} functions returning a status"
    );
    assert!(
        header.contains(&format!("#define {NODISCARD}")),
        "the header does not define {NODISCARD}"
    );
}
