//! Durations as a person types them: `7d`, `12h`, `30m`, `45s`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A duration given on the command line, kept with the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Age {
    text: String,
    duration: Duration,
}

impl Age {
    /// The duration.
    pub fn duration(&self) -> Duration {
        self.duration
    }
}

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a duration was refused (the whole message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadAge(String);

impl fmt::Display for BadAge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadAge {}

impl FromStr for Age {
    type Err = BadAge;

    /// Parses a whole number followed by one unit: `d` (days of 24 hours), `h`, `m` or `s`.
    fn from_str(s: &str) -> Result<Self, BadAge> {
        let bad = |why: &str| {
            BadAge(format!(
                "invalid duration {s:?}: {why}; write a whole number and a unit, d, h, m or s \
                 (7d, 12h, 30m, 45s)"
            ))
        };
        let Some(unit) = s.chars().last() else {
            return Err(bad("it is empty"));
        };
        let seconds_per_unit: u64 = match unit {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            c if c.is_ascii_digit() => return Err(bad("it has no unit")),
            _ => return Err(bad("the unit is not one of d, h, m, s")),
        };
        let number = &s[..s.len() - unit.len_utf8()];
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("it does not start with a whole number"));
        }
        let seconds = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(seconds_per_unit))
            .ok_or_else(|| bad("it is too long"))?;
        Ok(Self {
            text: s.to_owned(),
            duration: Duration::from_secs(seconds),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_parse() {
        for (s, secs) in [
            ("7d", 7 * 86_400),
            ("12h", 12 * 3_600),
            ("30m", 1_800),
            ("45s", 45),
            ("0s", 0),
            ("007m", 420),
        ] {
            let age: Age = s.parse().unwrap();
            assert_eq!(age.duration(), Duration::from_secs(secs), "{s}");
            assert_eq!(age.to_string(), s);
        }
    }

    #[test]
    fn bad_durations_say_why() {
        for (s, why) in [
            ("", "it is empty"),
            ("30", "it has no unit"),
            ("3w", "not one of d, h, m, s"),
            ("d", "does not start with a whole number"),
            ("-1d", "does not start with a whole number"),
            ("1.5h", "does not start with a whole number"),
            ("1h30m", "does not start with a whole number"),
            (" 7d", "does not start with a whole number"),
            ("99999999999999999999d", "too long"),
            ("999999999999999999d", "too long"),
            ("7é", "not one of d, h, m, s"),
        ] {
            let err = s.parse::<Age>().unwrap_err().to_string();
            assert!(err.contains(why), "{s:?}: {err}");
            assert!(err.contains("(7d, 12h, 30m, 45s)"), "{err}");
        }
    }
}
