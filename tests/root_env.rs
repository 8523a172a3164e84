//! The root cascade as read from the real environment and config file. Each case runs this
//! test binary again as a child with a prepared environment, so no test mutates its own.

use std::fs;
use std::path::Path;
use std::process::Command;

use outrig::{SessionStore, resolve_root_from_env};

/// Run in a child only (see `resolve`): prints what the cascade gives there.
#[test]
#[ignore = "run by the other tests in a prepared environment"]
fn probe() {
    let explicit = std::env::var_os("PROBE_EXPLICIT");
    let config = std::env::var_os("PROBE_CONFIG");
    let got = resolve_root_from_env(
        explicit.as_deref().map(Path::new),
        config.as_deref().map(Path::new),
    );
    match got {
        Ok(p) => println!("ROOT={}", p.display()),
        Err(e) => println!("ERR={:?}: {e}", e.kind()),
    }
    // The store's own constructor takes the same path.
    if let Ok(store) = SessionStore::resolve(explicit.as_deref().map(Path::new), None) {
        println!("STORE={}", store.root().display());
    }
}

fn resolve(cwd: &Path, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "probe",
        "--nocapture",
        "--test-threads=1",
    ])
    .current_dir(cwd)
    .env_remove("XDG_CONFIG_HOME")
    .env_remove("XDG_DATA_HOME")
    .env_remove("PROBE_EXPLICIT")
    .env_remove("PROBE_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    // The harness may print its own "test probe ... " before the probe's line.
    stdout
        .lines()
        .find_map(|l| {
            ["ROOT=", "ERR="]
                .iter()
                .find_map(|k| l.find(k).map(|i| &l[i..]))
        })
        .unwrap_or_else(|| panic!("no result in {stdout}"))
        .to_owned()
}

#[test]
fn cascade_from_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let xdg = tmp.path().join("xdg-config");
    fs::create_dir_all(home.join(".outrig")).unwrap();
    fs::create_dir_all(xdg.join("outrig")).unwrap();
    let h = home.to_str().unwrap();
    let x = xdg.to_str().unwrap();
    let t = tmp.path().to_str().unwrap();

    // No config anywhere: the XDG data default, or ~/.local/share.
    assert_eq!(
        resolve(tmp.path(), &[("HOME", h)]),
        format!("ROOT={h}/.local/share/outrig/sessions")
    );
    assert_eq!(
        resolve(tmp.path(), &[("HOME", h), ("XDG_DATA_HOME", "/data")]),
        "ROOT=/data/outrig/sessions"
    );
    assert_eq!(
        resolve(tmp.path(), &[("HOME", h), ("XDG_DATA_HOME", "")]),
        format!("ROOT={h}/.local/share/outrig/sessions")
    );

    // ~/.outrig/config.toml, with a relative value taken against the file's directory.
    fs::write(home.join(".outrig/config.toml"), "session-root = \"rel\"\n").unwrap();
    assert_eq!(
        resolve(tmp.path(), &[("HOME", h)]),
        format!("ROOT={h}/.outrig/rel")
    );

    // XDG_CONFIG_HOME takes the place of ~/.outrig, and `~` is the home directory.
    fs::write(
        xdg.join("outrig/config.toml"),
        "session-root = \"~/from-xdg\"\n",
    )
    .unwrap();
    assert_eq!(
        resolve(tmp.path(), &[("HOME", h), ("XDG_CONFIG_HOME", x)]),
        format!("ROOT={h}/from-xdg")
    );

    // An explicit root wins over everything and is made absolute against the cwd.
    assert_eq!(
        resolve(
            tmp.path(),
            &[
                ("HOME", h),
                ("XDG_CONFIG_HOME", x),
                ("PROBE_EXPLICIT", "mine")
            ]
        ),
        format!("ROOT={t}/mine")
    );

    // A caller-named config file.
    let named = tmp.path().join("named.toml");
    fs::write(&named, "session-root = \"/named\"\n").unwrap();
    assert_eq!(
        resolve(
            tmp.path(),
            &[("HOME", h), ("PROBE_CONFIG", named.to_str().unwrap())]
        ),
        "ROOT=/named"
    );
    // An empty session-root is the named file's own directory, as in outrig.
    fs::write(&named, "session-root = \"\"\n").unwrap();
    assert_eq!(
        resolve(
            tmp.path(),
            &[("HOME", h), ("PROBE_CONFIG", named.to_str().unwrap())]
        ),
        format!("ROOT={t}")
    );
    // A named config must exist, as outrig's --global-config must: a typo must not send the
    // caller to the default root. Only the default location may be absent (above).
    let got = resolve(
        tmp.path(),
        &[
            ("HOME", h),
            ("PROBE_CONFIG", "/no/such.toml"),
            ("XDG_DATA_HOME", "/d"),
        ],
    );
    assert!(got.starts_with("ERR=Config"), "{got}");
    assert!(got.contains("/no/such.toml does not exist"), "{got}");
    // ...unless an explicit root is given: then no config is read at all.
    assert_eq!(
        resolve(
            tmp.path(),
            &[
                ("HOME", h),
                ("PROBE_CONFIG", "/no/such.toml"),
                ("PROBE_EXPLICIT", "/e")
            ]
        ),
        "ROOT=/e"
    );

    // A malformed config is a config error naming the file.
    fs::write(xdg.join("outrig/config.toml"), "session-root = [").unwrap();
    let got = resolve(tmp.path(), &[("HOME", h), ("XDG_CONFIG_HOME", x)]);
    assert!(got.starts_with("ERR=Config"), "{got}");
    assert!(got.contains(&format!("{x}/outrig/config.toml")), "{got}");
    // An unreadable one (a directory here) too.
    fs::remove_file(xdg.join("outrig/config.toml")).unwrap();
    fs::create_dir(xdg.join("outrig/config.toml")).unwrap();
    let got = resolve(tmp.path(), &[("HOME", h), ("XDG_CONFIG_HOME", x)]);
    assert!(got.starts_with("ERR=Config"), "{got}");
    // ...but an explicit root does not need the config at all.
    assert_eq!(
        resolve(
            tmp.path(),
            &[
                ("HOME", h),
                ("XDG_CONFIG_HOME", x),
                ("PROBE_EXPLICIT", "/e")
            ]
        ),
        "ROOT=/e"
    );
}
