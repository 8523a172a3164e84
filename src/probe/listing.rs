//! Reading an engine's container listing: `ps -a --format json` as podman prints it (one JSON
//! array of containers) or as docker prints it (one JSON object a line). A container runs when
//! its `State` is `running` (any case), as `outrig clean` decides; its names are `Names` (an
//! array, or a comma-separated string). Anything that is not such a listing is refused, so
//! garbage from a broken engine is never read as "nothing runs".

use std::collections::HashSet;

use serde_json::Value;

/// The names of the running containers in `out`, or why it is not a listing.
pub(crate) fn running_names(out: &[u8]) -> Result<HashSet<String>, String> {
    let text = std::str::from_utf8(out).map_err(|_| "its output is not UTF-8".to_owned())?;
    let trimmed = text.trim();
    let rows: Vec<Value> = if trimmed.is_empty() {
        Vec::new()
    } else if trimmed.starts_with('[') {
        match serde_json::from_str(trimmed) {
            Ok(Value::Array(rows)) => rows,
            Ok(_) | Err(_) => return Err(not_a_listing(trimmed)),
        }
    } else {
        trimmed
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|_| not_a_listing(l)))
            .collect::<Result<_, _>>()?
    };
    let mut running = HashSet::new();
    for row in &rows {
        let Value::Object(row) = row else {
            return Err(not_a_listing(&row.to_string()));
        };
        let runs = row
            .get("State")
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("running"));
        if !runs {
            continue;
        }
        match row.get("Names") {
            Some(Value::Array(names)) => {
                running.extend(names.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            Some(Value::String(names)) => {
                running.extend(
                    names
                        .split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned),
                );
            }
            _ => {}
        }
    }
    Ok(running)
}

fn not_a_listing(text: &str) -> String {
    format!(
        "its output is not a JSON container listing (it begins {:?})",
        super::engine::cut(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> HashSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn podman_arrays_and_docker_lines_both_read() {
        let podman = br#"[{"Names":["a"],"State":"running"},{"Names":["b"],"State":"exited"},
            {"Names":["c","c2"],"State":"Running"},{"State":"running"}]"#;
        assert_eq!(running_names(podman).unwrap(), set(&["a", "c", "c2"]));
        let docker = b"{\"Names\":\"d,e\",\"State\":\"running\"}\n\n{\"Names\":\"f\",\"State\":\"created\"}\n";
        assert_eq!(running_names(docker).unwrap(), set(&["d", "e"]));
        assert_eq!(running_names(b"[]").unwrap(), set(&[]));
        assert_eq!(running_names(b"  \n").unwrap(), set(&[]));
    }

    #[test]
    fn anything_else_is_not_a_listing() {
        for garbage in [
            &b"a\nb\n"[..],
            b"[1, 2]",
            b"{\"Names\":",
            b"[{\"Names\":[\"a\"]",
            b"\xff\xfe",
            b"\"running\"",
        ] {
            assert!(running_names(garbage).is_err(), "{garbage:?}");
        }
    }
}
