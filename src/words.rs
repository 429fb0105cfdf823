//! Counts and times in the words a person reads, shared by the window and the command line.

use chrono::{DateTime, Utc};

/// "just now", "3 minutes ago", "1 hour ago", "2 days ago"; "never" for no time. A time
/// ahead of `now` (a clock set differently) reads as "just now".
pub fn ago(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(at) = at else { return "never".into() };
    let secs = (now - at).num_seconds().max(0);
    let counted =
        |n: i64, unit: &str| if n == 1 { format!("1 {unit} ago") } else { format!("{n} {unit}s ago") };
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => counted(secs / 60, "minute"),
        3600..=86_399 => counted(secs / 3600, "hour"),
        _ => counted(secs / 86_400, "day"),
    }
}

/// "1 time", "3 times".
pub fn times(n: u64) -> String {
    if n == 1 { "1 time".to_owned() } else { format!("{n} times") }
}

/// A span as a person says it: "45 s", "3 min", "2 h 5 min" (rounded down to the unit).
pub fn duration(span: std::time::Duration) -> String {
    let secs = span.as_secs();
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        _ if secs % 3600 < 60 => format!("{} h", secs / 3600),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        let d = std::time::Duration::from_secs;
        assert_eq!(duration(d(0)), "0 s");
        assert_eq!(duration(d(45)), "45 s");
        assert_eq!(duration(d(61)), "1 min");
        assert_eq!(duration(d(7200)), "2 h");
        assert_eq!(duration(d(7500)), "2 h 5 min");
    }

    #[test]
    fn ago_reads_as_words() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z").unwrap().to_utc();
        let before = |s| Some(now - chrono::Duration::seconds(s));
        assert_eq!(ago(before(5), now), "just now");
        assert_eq!(ago(before(60), now), "1 minute ago");
        assert_eq!(ago(before(7_200), now), "2 hours ago");
        assert_eq!(ago(before(86_400 * 3), now), "3 days ago");
        assert_eq!(ago(Some(now + chrono::Duration::seconds(30)), now), "just now");
        assert_eq!(ago(None, now), "never");
        assert_eq!((times(1), times(3)), ("1 time".to_owned(), "3 times".to_owned()));
    }
}
