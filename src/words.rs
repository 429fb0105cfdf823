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

#[cfg(test)]
mod tests {
    use super::*;

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
