//! Formatting for listings that look like `outrig ls`.

use std::time::{Duration, SystemTime};

/// Formats a start time as `outrig ls` shows it: `2026-05-01 14:19:07`, in UTC.
///
/// Returns `"?"` for a time outside the years -9999 to 9999, which no record can hold.
pub fn format_started_at(t: SystemTime) -> String {
    match jiff::Timestamp::try_from(t) {
        Ok(ts) => ts.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => "?".to_owned(),
    }
}

/// Formats a duration as `outrig ls` shows it: minutes and zero-padded seconds under an hour
/// (`0m44s`, `6m02s`), hours and zero-padded minutes from an hour on (`1h05m`). Fractions of a
/// second are dropped.
pub fn format_duration(d: Duration) -> String {
    let total = d.as_secs();
    if total < 3600 {
        format!("{}m{:02}s", total / 60, total % 60)
    } else {
        format!("{}h{:02}m", total / 3600, (total % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_match_outrig_ls() {
        let cases = [
            (0, "0m00s"),
            (44, "0m44s"),
            (138, "2m18s"),
            (362, "6m02s"),
            (3599, "59m59s"),
            (3600, "1h00m"),
            (3900, "1h05m"),
            (90061, "25h01m"),
        ];
        for (secs, want) in cases {
            assert_eq!(format_duration(Duration::from_secs(secs)), want, "{secs}s");
        }
        assert_eq!(format_duration(Duration::from_millis(44_999)), "0m44s");
    }

    #[test]
    fn start_times_are_utc_to_the_second() {
        let t: jiff::Timestamp = "2026-05-01T16:19:07.9+02:00".parse().unwrap();
        assert_eq!(
            format_started_at(SystemTime::try_from(t).unwrap()),
            "2026-05-01 14:19:07"
        );
        assert_eq!(
            format_started_at(SystemTime::UNIX_EPOCH),
            "1970-01-01 00:00:00"
        );
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(format_started_at(far), "?");
    }
}
