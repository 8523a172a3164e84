//! Times at the C boundary: `int64_t` nanoseconds since the Unix epoch (UTC).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `t` in nanoseconds since the epoch. A time outside what `int64_t` nanoseconds can hold
/// (before 1677-09-21 or after 2262-04-11) saturates to `i64::MIN` or `i64::MAX`.
pub(crate) fn to_unix_ns(t: SystemTime) -> i64 {
    let ns = crate::record::nanos_since_epoch(t);
    i64::try_from(ns).unwrap_or(if ns < 0 { i64::MIN } else { i64::MAX })
}

/// The time `ns` nanoseconds after (or, when negative, before) the epoch. Every `i64` is a
/// valid time.
pub(crate) fn from_unix_ns(ns: i64) -> SystemTime {
    let magnitude = Duration::from_nanos(ns.unsigned_abs());
    if ns >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

/// A duration in nanoseconds, saturating at `u64::MAX` (about 584 years).
pub(crate) fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoseconds_round_trip() {
        for ns in [
            0,
            1,
            -1,
            1_777_643_052_500_000_000,
            -86_400_000_000_123,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(to_unix_ns(from_unix_ns(ns)), ns, "{ns}");
        }
    }

    #[test]
    fn out_of_range_times_saturate() {
        let far = UNIX_EPOCH + Duration::from_secs(300 * 365 * 86_400);
        assert_eq!(to_unix_ns(far), i64::MAX);
        let early = UNIX_EPOCH - Duration::from_secs(300 * 365 * 86_400);
        assert_eq!(to_unix_ns(early), i64::MIN);
        assert_eq!(duration_ns(Duration::from_secs(44)), 44_000_000_000);
        assert_eq!(duration_ns(Duration::MAX), u64::MAX);
    }
}
