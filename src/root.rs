//! Where the session root is: outrig's cascade of explicit root, global config and default.
//!
//! The cascade is offered twice: [`resolve_root`] is a pure function of its inputs (no
//! environment, no file reads), and [`resolve_root_from_env`] gathers those inputs from the
//! process environment and the config file. Only the *global* config is consulted: a
//! repository's config once could choose the root, which let a cloned repository decide where
//! records are written and deleted.

use std::ffi::OsStr;

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::fsio::open;

/// The config key that names the session root.
pub const SESSION_ROOT_KEY: &str = "session-root";

/// Everything the cascade depends on, gathered by the caller.
#[derive(Debug, Clone, Copy)]
pub struct RootInputs<'a> {
    /// A root the caller names outright (a `--session-root` flag, a constructor argument).
    pub explicit: Option<&'a Path>,
    /// The global config file's path and its text, if the file exists.
    pub config: Option<(&'a Path, &'a str)>,
    /// The home directory (`$HOME`).
    pub home: Option<&'a Path>,
    /// The value of `$XDG_DATA_HOME`, if set.
    pub xdg_data_home: Option<&'a OsStr>,
    /// The directory a relative result is taken against.
    pub cwd: &'a Path,
}

/// Which step of the cascade chose the root: what a caller says when the root turns out not to
/// exist (`the session root X does not exist (from --session-root)`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RootSource {
    /// The caller named it ([`RootInputs::explicit`]).
    Explicit,
    /// The `session-root` key of this config file.
    Config(PathBuf),
    /// The XDG default: no config file, or one without `session-root`.
    Default,
}

/// Resolves the session root from `inputs`, in outrig's order:
///
/// 1. `explicit`, when given;
/// 2. the config's `session-root` key, where a leading `~` is the home directory and a relative
///    value is relative to the config file's directory (so an empty value, as in outrig, is
///    that directory itself);
/// 3. `$XDG_DATA_HOME/outrig/sessions`, or `~/.local/share/outrig/sessions` when that variable
///    is unset, empty or relative.
///
/// The result is absolute: a relative path is joined to `cwd`.
///
/// # Errors
/// [`ErrorKind::Config`] when the config text is not TOML, `session-root` is not a string, or a
/// home directory is needed and not known.
pub fn resolve_root(inputs: &RootInputs<'_>) -> Result<PathBuf> {
    resolve_root_with_source(inputs).map(|(root, _)| root)
}

/// [`resolve_root`], and which step chose the root.
///
/// # Errors
/// As for [`resolve_root`].
pub fn resolve_root_with_source(inputs: &RootInputs<'_>) -> Result<(PathBuf, RootSource)> {
    let (root, source) = if let Some(explicit) = inputs.explicit {
        if explicit.as_os_str().is_empty() {
            return Err(Error::invalid(
                "the explicit session root is empty; pass a directory path, or none for the default",
            ));
        }
        (explicit.to_path_buf(), RootSource::Explicit)
    } else if let Some((configured, file)) = configured_root(inputs)? {
        (configured, RootSource::Config(absolute(file, inputs.cwd)))
    } else {
        (
            default_root(inputs.xdg_data_home, inputs.home)?,
            RootSource::Default,
        )
    };
    Ok((absolute(&root, inputs.cwd), source))
}

/// The global config file's path: `$XDG_CONFIG_HOME/outrig/config.toml` when that variable is
/// set and not empty, else `~/.outrig/config.toml`; `None` when neither can be formed.
///
/// A relative `$XDG_CONFIG_HOME` is used as it is, relative to the current directory, because
/// outrig does so: both tools must read the same file. (The XDG default for data,
/// [`resolve_root`]'s step 3, ignores a relative value, as outrig's does.) An empty one counts as
/// unset, as the XDG spec says; outrig would read `outrig/config.toml` under whatever directory
/// it runs in, which would let any directory choose the root.
pub fn default_config_path(
    xdg_config_home: Option<&OsStr>,
    home: Option<&Path>,
) -> Option<PathBuf> {
    match xdg_config_home.filter(|v| !v.is_empty()) {
        Some(base) => Some(Path::new(base).join("outrig").join("config.toml")),
        None => home.map(|h| h.join(".outrig").join("config.toml")),
    }
}

/// Resolves the session root from the process environment.
///
/// `config_file` names the global config (default: [`default_config_path`] of
/// `$XDG_CONFIG_HOME` and `$HOME`). The default config file may be absent; a file the caller
/// names must exist, as outrig's `--global-config` must, so that a mistyped name cannot
/// silently send the caller to the default root (and `clean` there). Neither is read, nor need
/// exist, when `explicit` is given.
///
/// # Errors
/// [`ErrorKind::Config`] when the config file exists but cannot be read or parsed, or when
/// `config_file` names a file that does not exist (the message names it); also when no home
/// directory is known and one is needed.
pub fn resolve_root_from_env(
    explicit: Option<&Path>,
    config_file: Option<&Path>,
) -> Result<PathBuf> {
    resolve_root_from_env_with_source(explicit, config_file).map(|(root, _)| root)
}

/// [`resolve_root_from_env`], and which step chose the root.
///
/// # Errors
/// As for [`resolve_root_from_env`].
pub fn resolve_root_from_env_with_source(
    explicit: Option<&Path>,
    config_file: Option<&Path>,
) -> Result<(PathBuf, RootSource)> {
    let home = std::env::home_dir().filter(|h| !h.as_os_str().is_empty());
    let xdg_config = std::env::var_os("XDG_CONFIG_HOME");
    let xdg_data = std::env::var_os("XDG_DATA_HOME");
    let cwd = std::env::current_dir()
        .map_err(|e| Error::io("reading the current directory", Path::new("."), e))?;
    let config_path = config_file
        .map(Path::to_path_buf)
        .or_else(|| default_config_path(xdg_config.as_deref(), home.as_deref()))
        .map(|p| absolute(&p, &cwd));
    let text = match (&config_path, explicit) {
        (Some(path), None) => match read_config(path)? {
            None if config_file.is_some() => return Err(named_config_missing(path)),
            text => text,
        },
        _ => None,
    };
    resolve_root_with_source(&RootInputs {
        explicit,
        config: config_path.as_deref().zip(text.as_deref()),
        home: home.as_deref(),
        xdg_data_home: xdg_data.as_deref(),
        cwd: &cwd,
    })
}

/// The largest config file read: outrig's is a few lines, and a path naming something endless
/// (`/dev/zero`) must not be read to the end.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads the config file; `None` when it does not exist. It is opened without blocking (a FIFO
/// named as the config cannot hang the caller), refused unless a regular file, and read up to
/// [`MAX_CONFIG_BYTES`].
fn read_config(path: &Path) -> Result<Option<String>> {
    let mut buf = Vec::new();
    let read = open::regular_path(path)
        .and_then(|file| open::read_bounded(&file, MAX_CONFIG_BYTES, &mut buf));
    match read {
        Ok(()) => String::from_utf8(buf).map(Some).map_err(|_| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "config file {} is not UTF-8 text; fix or remove it",
                    path.display()
                ),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::FileTooLarge
            ) =>
        {
            Err(Error::new(
                ErrorKind::Config,
                format!(
                    "config file {} {e}; name outrig's TOML config file",
                    path.display()
                ),
            ))
        }
        Err(e) => Err(Error::io("reading config file", path, e).with_kind(ErrorKind::Config)),
    }
}

/// The error for a config file the caller named that does not exist.
fn named_config_missing(path: &Path) -> Error {
    Error::new(
        ErrorKind::Config,
        format!(
            "global config file {} does not exist; name an existing file, or none for the \
             default location (only the default may be absent)",
            path.display()
        ),
    )
}

/// The root the config names, and the config file's path.
fn configured_root<'a>(inputs: &RootInputs<'a>) -> Result<Option<(PathBuf, &'a Path)>> {
    let Some((path, text)) = inputs.config else {
        return Ok(None);
    };
    let config_error = |why: String| {
        Error::new(
            ErrorKind::Config,
            format!("config file {}: {why}; fix or remove it", path.display()),
        )
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| config_error(format!("not valid TOML: {}", e.message())))?;
    let Some(value) = table.get(SESSION_ROOT_KEY) else {
        return Ok(None);
    };
    let Some(raw) = value.as_str() else {
        return Err(config_error(format!(
            "`{SESSION_ROOT_KEY}` must be a string path"
        )));
    };
    let base = path.parent().unwrap_or(Path::new("/"));
    // An empty value is relative like any other: the file's own directory, as in outrig.
    if raw.is_empty() {
        return Ok(Some((base.to_path_buf(), path)));
    }
    let expanded = expand_home(Path::new(raw), inputs.home)?;
    Ok(Some((base.join(expanded), path)))
}

fn default_root(xdg_data_home: Option<&OsStr>, home: Option<&Path>) -> Result<PathBuf> {
    let base = match usable_base_dir(xdg_data_home) {
        Some(base) => base,
        None => home_or_error(home)?.join(".local").join("share"),
    };
    Ok(base.join("outrig").join("sessions"))
}

/// An XDG base-directory variable's value, if usable: set, non-empty and absolute (the XDG
/// spec says relative values are to be ignored).
fn usable_base_dir(var: Option<&OsStr>) -> Option<PathBuf> {
    var.map(PathBuf::from).filter(|p| p.is_absolute())
}

fn home_or_error(home: Option<&Path>) -> Result<&Path> {
    home.ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            "no home directory is known (HOME is unset); set HOME or name the session root explicitly",
        )
    })
}

/// `~` alone or `~/rest` becomes the home directory (joined with `rest`); other paths are kept.
fn expand_home(p: &Path, home: Option<&Path>) -> Result<PathBuf> {
    let mut parts = p.components();
    match parts.next() {
        Some(std::path::Component::Normal(first)) if first == "~" => {
            Ok(home_or_error(home)?.join(parts.as_path()))
        }
        _ => Ok(p.to_path_buf()),
    }
}

fn absolute(p: &Path, cwd: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else if p.as_os_str().is_empty() {
        // `cwd.join("")` would end in a slash.
        cwd.to_path_buf()
    } else {
        cwd.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>() -> RootInputs<'a> {
        RootInputs {
            explicit: None,
            config: None,
            home: Some(Path::new("/home/me")),
            xdg_data_home: None,
            cwd: Path::new("/cwd"),
        }
    }

    #[test]
    fn explicit_wins_and_is_made_absolute() {
        let cfg = (Path::new("/etc/o/config.toml"), "session-root = \"/cfg\"");
        let i = RootInputs {
            explicit: Some(Path::new("rel/root")),
            config: Some(cfg),
            ..inputs()
        };
        assert_eq!(resolve_root(&i).unwrap(), Path::new("/cwd/rel/root"));
        let i = RootInputs {
            explicit: Some(Path::new("/abs")),
            ..inputs()
        };
        assert_eq!(resolve_root(&i).unwrap(), Path::new("/abs"));
    }

    #[test]
    fn config_values_expand_home_and_resolve_against_the_file() {
        let file = Path::new("/home/me/.config/outrig/config.toml");
        for (value, want) in [
            ("/srv/sessions", "/srv/sessions"),
            ("~", "/home/me"),
            ("~/s", "/home/me/s"),
            ("rel/s", "/home/me/.config/outrig/rel/s"),
            ("~user/s", "/home/me/.config/outrig/~user/s"),
        ] {
            let text = format!("other = 1\nsession-root = {value:?}\n");
            let i = RootInputs {
                config: Some((file, &text)),
                ..inputs()
            };
            assert_eq!(resolve_root(&i).unwrap(), Path::new(want), "{value}");
        }
    }

    #[test]
    fn an_empty_session_root_is_the_config_files_directory() {
        let text = "session-root = \"\"\n";
        let i = RootInputs {
            config: Some((Path::new("/etc/outrig/config.toml"), text)),
            ..inputs()
        };
        assert_eq!(
            resolve_root_with_source(&i).unwrap(),
            (
                PathBuf::from("/etc/outrig"),
                RootSource::Config(PathBuf::from("/etc/outrig/config.toml"))
            )
        );
        // A config named relative to the current directory: both are taken against it.
        let i = RootInputs {
            config: Some((Path::new("config.toml"), text)),
            ..inputs()
        };
        assert_eq!(
            resolve_root_with_source(&i).unwrap(),
            (
                PathBuf::from("/cwd"),
                RootSource::Config(PathBuf::from("/cwd/config.toml"))
            )
        );
    }

    #[test]
    fn the_source_names_the_step_that_chose() {
        let cfg = (Path::new("/c.toml"), "session-root = \"/r\"");
        let source = |i: RootInputs<'_>| resolve_root_with_source(&i).unwrap().1;
        assert_eq!(
            source(RootInputs {
                explicit: Some(Path::new("/e")),
                config: Some(cfg),
                ..inputs()
            }),
            RootSource::Explicit
        );
        assert_eq!(
            source(RootInputs {
                config: Some(cfg),
                ..inputs()
            }),
            RootSource::Config(PathBuf::from("/c.toml"))
        );
        assert_eq!(
            source(RootInputs {
                config: Some((Path::new("/c.toml"), "other = 1")),
                ..inputs()
            }),
            RootSource::Default
        );
    }

    #[test]
    fn default_follows_xdg_data_home() {
        assert_eq!(
            resolve_root(&inputs()).unwrap(),
            Path::new("/home/me/.local/share/outrig/sessions")
        );
        let cfg = (Path::new("/c.toml"), "[table]\nx = 1\n");
        let i = RootInputs {
            xdg_data_home: Some(OsStr::new("/data")),
            config: Some(cfg),
            ..inputs()
        };
        assert_eq!(
            resolve_root(&i).unwrap(),
            Path::new("/data/outrig/sessions")
        );
        for ignored in ["", "relative"] {
            let i = RootInputs {
                xdg_data_home: Some(OsStr::new(ignored)),
                ..inputs()
            };
            assert_eq!(
                resolve_root(&i).unwrap(),
                Path::new("/home/me/.local/share/outrig/sessions")
            );
        }
    }

    #[test]
    fn malformed_config_is_a_config_error_naming_the_file() {
        for text in ["session-root = ", "session-root = 3", "[x"] {
            let i = RootInputs {
                config: Some((Path::new("/etc/o.toml"), text)),
                ..inputs()
            };
            let err = resolve_root(&i).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{text}");
            assert!(err.message().contains("/etc/o.toml"), "{}", err.message());
        }
    }

    #[test]
    fn missing_home_is_reported_when_needed() {
        let i = RootInputs {
            home: None,
            ..inputs()
        };
        let err = resolve_root(&i).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("HOME"));
        let i = RootInputs {
            home: None,
            xdg_data_home: Some(OsStr::new("/d")),
            ..inputs()
        };
        assert_eq!(resolve_root(&i).unwrap(), Path::new("/d/outrig/sessions"));
    }

    #[test]
    fn config_path_prefers_xdg_config_home() {
        let home = Some(Path::new("/home/me"));
        assert_eq!(
            default_config_path(Some(OsStr::new("/x")), home).unwrap(),
            Path::new("/x/outrig/config.toml")
        );
        assert_eq!(
            default_config_path(None, home).unwrap(),
            Path::new("/home/me/.outrig/config.toml")
        );
        assert_eq!(default_config_path(Some(OsStr::new("")), None), None);
        assert_eq!(
            default_config_path(Some(OsStr::new("")), home).unwrap(),
            Path::new("/home/me/.outrig/config.toml")
        );
        // Relative, as outrig takes it: against the current directory, once read.
        assert_eq!(
            default_config_path(Some(OsStr::new("rel/conf")), home).unwrap(),
            Path::new("rel/conf/outrig/config.toml")
        );
    }
}
