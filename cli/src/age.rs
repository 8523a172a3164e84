//! Durations as a person types them: `7d`, `12h`, `90m`, `1w`, `1d12h`, `1h30m`.

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

/// The units, largest first, with their length in seconds. A week is 7 days and a day 24 hours:
/// `clean` compares against a cutoff, where calendar days would only add surprises.
const UNITS: [(char, u64); 5] = [
    ('w', 7 * 86_400),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

impl FromStr for Age {
    type Err = BadAge;

    /// Parses one or more parts, each a whole number and a unit (`w`, `d`, `h`, `m`, `s`),
    /// largest unit first and each unit once, as people write them: `1w`, `1d12h`, `90m`.
    fn from_str(s: &str) -> Result<Self, BadAge> {
        let bad = |why: &str| {
            BadAge(format!(
                "invalid duration {s:?}: {why}; write whole numbers with units w, d, h, m or s, \
                 largest first (7d, 12h, 90m, 1w, 1d12h)"
            ))
        };
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut seconds: u64 = 0;
        // Units still allowed: after `d`, only `h`, `m` and `s` may follow.
        let mut allowed: &[(char, u64)] = &UNITS;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(bad("a part does not start with a whole number"));
            }
            let (number, after) = rest.split_at(digits);
            let Some(unit) = after.chars().next() else {
                return Err(bad("the last number has no unit"));
            };
            let Some(at) = allowed.iter().position(|(u, _)| *u == unit) else {
                return Err(if UNITS.iter().any(|(u, _)| *u == unit) {
                    bad(&format!(
                        "the unit {unit} repeats or comes after a smaller one"
                    ))
                } else {
                    bad(&format!("{unit:?} is not one of the units w, d, h, m, s"))
                });
            };
            let part = number
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(allowed[at].1))
                .and_then(|p| p.checked_add(seconds))
                .ok_or_else(|| bad("it is too long"))?;
            seconds = part;
            allowed = &allowed[at + 1..];
            rest = &after[unit.len_utf8()..];
        }
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
    fn units_and_combinations_parse() {
        for (s, secs) in [
            ("7d", 7 * 86_400),
            ("12h", 12 * 3_600),
            ("30m", 1_800),
            ("90m", 5_400),
            ("45s", 45),
            ("0s", 0),
            ("007m", 420),
            ("1w", 7 * 86_400),
            ("2w3d", 17 * 86_400),
            ("1d12h", 36 * 3_600),
            ("1h30m", 5_400),
            ("1w1d1h1m1s", 7 * 86_400 + 86_400 + 3_600 + 60 + 1),
            ("1d0h", 86_400),
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
            ("30", "has no unit"),
            ("1d12", "has no unit"),
            ("3y", "'y' is not one of the units"),
            ("7é", "'é' is not one of the units"),
            ("d", "does not start with a whole number"),
            ("-1d", "does not start with a whole number"),
            ("1.5h", "'.' is not one of the units"),
            (" 7d", "does not start with a whole number"),
            ("7d ", "does not start with a whole number"),
            ("1h1d", "repeats or comes after a smaller one"),
            ("1h1h", "repeats or comes after a smaller one"),
            ("99999999999999999999d", "too long"),
            ("999999999999999999d", "too long"),
            ("30000000000000w100000000000000d", "too long"),
        ] {
            let err = s.parse::<Age>().unwrap_err().to_string();
            assert!(err.contains(why), "{s:?}: {err}");
            assert!(err.contains("(7d, 12h, 90m, 1w, 1d12h)"), "{err}");
        }
    }
}
