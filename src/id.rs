//! Session ids and the validation every caller-supplied name passes before it becomes a path.

use std::fmt;
use std::str::FromStr;

use rand::Rng as _;

use crate::error::{Error, Result};

/// The longest id (and log name component) accepted, in bytes: the usual `NAME_MAX`.
pub const MAX_NAME_LEN: usize = 255;

/// A validated session id.
///
/// Generated ids look like `20260501T134412-3f2a`: the UTC time to the second and four random
/// lowercase hex digits, so their string order is their time order. Ids that come from
/// elsewhere go through [`SessionId::parse`], which accepts 1 to 255 bytes of
/// `[A-Za-z0-9._+-]` not starting with `.`. A `SessionId` is therefore always a single, plain
/// path component: never empty, `.`, `..`, absolute, or containing `/` or NUL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// Generates a fresh id from the current UTC time and 16 random bits.
    ///
    /// Two ids made in the same second collide with probability 1/65536; the store's `create`
    /// claims ids exclusively and draws again on a collision.
    pub fn new() -> Self {
        let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S");
        let mut rnd = [0u8; 2];
        rand::rng().fill_bytes(&mut rnd);
        Self(format!("{stamp}-{:02x}{:02x}", rnd[0], rnd[1]))
    }

    /// Validates an id given by a caller.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when `s` is empty,
    /// longer than 255 bytes, starts with `.`, or holds anything but ASCII letters, digits and
    /// `.`, `_`, `+`, `-`.
    pub fn parse(s: &str) -> Result<Self> {
        check_name(s, "session id")?;
        Ok(Self(s.to_owned()))
    }

    /// An id the caller has checked with [`check_name`] (a record's, as it was parsed).
    pub(crate) fn checked(s: String) -> Self {
        debug_assert!(check_name(&s, "session id").is_ok());
        Self(s)
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the id and returns its string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl Default for SessionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SessionId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// The same validation as [`SessionId::parse`], for generic code (`id.try_into()?`).
impl TryFrom<&str> for SessionId {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// The same validation as [`SessionId::parse`], keeping the string's allocation.
impl TryFrom<String> for SessionId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        check_name(&s, "session id")?;
        Ok(Self(s))
    }
}

impl AsRef<str> for SessionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for SessionId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for SessionId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Checks that `s` is one safe path component: 1 to 255 bytes of `[A-Za-z0-9._+-]`, not
/// starting with `.`. `what` names the thing in the error ("session id", "log name").
pub(crate) fn check_name(s: &str, what: &str) -> Result<()> {
    let problem = if s.is_empty() {
        Some("it is empty".to_owned())
    } else if s.len() > MAX_NAME_LEN {
        Some(format!(
            "it is {} bytes long, over the limit of {MAX_NAME_LEN}",
            s.len()
        ))
    } else if s.starts_with('.') {
        Some("it starts with '.'".to_owned())
    } else {
        s.chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')))
            .map(|c| format!("it contains {c:?}"))
    };
    match problem {
        None => Ok(()),
        Some(why) => Err(Error::invalid(format!(
            "invalid {what} {s:?}: {why}; use 1 to {MAX_NAME_LEN} of the characters \
             A-Z a-z 0-9 . _ + - and do not start with '.'"
        ))),
    }
}

/// Checks a log name: one or more `/`-separated components, each valid as [`check_name`] says.
pub(crate) fn check_log_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(
            "invalid log name \"\": it is empty; name a file under logs/, such as \"agent.log\"",
        ));
    }
    for part in name.split('/') {
        check_name(part, "log name component")
            .map_err(|e| Error::invalid(format!("invalid log name {name:?}: {}", e.message())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn generated_ids_have_the_outrig_shape() {
        let id = SessionId::new();
        let s = id.as_str();
        assert_eq!(s.len(), 20, "{s}");
        assert_eq!(&s[8..9], "T");
        assert_eq!(&s[15..16], "-");
        assert!(s[..8].bytes().all(|b| b.is_ascii_digit()));
        assert!(s[9..15].bytes().all(|b| b.is_ascii_digit()));
        assert!(
            s[16..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(SessionId::parse(s).unwrap(), id);
    }

    #[test]
    fn try_from_validates_as_parse_does() {
        let from_str: SessionId = "20260501T134412-3f2a".try_into().unwrap();
        let from_string = SessionId::try_from(String::from("20260501T134412-3f2a")).unwrap();
        assert_eq!(from_str, from_string);
        assert_eq!(from_str.as_str(), "20260501T134412-3f2a");
        for bad in ["", "../x", ".hidden", "a/b", "a\0b"] {
            let e = SessionId::try_from(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().contains("invalid session id"), "{e}");
            let e = SessionId::try_from(bad.to_owned()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        }
    }

    #[test]
    fn valid_ids_parse() {
        for s in [
            "a",
            "20260501T134412-3f2a",
            "A.b_c+d-e",
            &"x".repeat(255),
            "a..",
        ] {
            assert_eq!(SessionId::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn hostile_ids_are_refused() {
        let long = "x".repeat(256);
        for s in [
            "",
            ".",
            "..",
            ".hidden",
            "a/b",
            "../x",
            "/etc",
            "a\0b",
            "a b",
            "é",
            "a\\b",
            "\u{ff0e}\u{ff0e}",
            "a\nb",
            &long,
        ] {
            let err = SessionId::parse(s).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{s:?}");
            assert!(
                err.message().contains("invalid session id"),
                "{}",
                err.message()
            );
        }
    }

    #[test]
    fn log_names_are_checked_per_component() {
        for ok in ["agent.log", "a/b.log", "x/y/z"] {
            check_log_name(ok).unwrap();
        }
        for bad in [
            "",
            "/abs",
            "a//b",
            "a/",
            "../x",
            "a/../b",
            "a/.hidden",
            "a\0",
        ] {
            let err = check_log_name(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
            assert!(
                err.message().starts_with("invalid log name"),
                "{}",
                err.message()
            );
        }
    }
}
