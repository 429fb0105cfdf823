//! The health score over time: each check of every key ends with a `health` audit line (on a
//! team vault, an entry of the team's trail) holding the score and the findings counted by
//! severity. This module writes that line's detail and reads the series back from the log's
//! records; it does no IO.

use chrono::{DateTime, Datelike, Utc};

use super::{HealthReport, Severity};
use crate::vault::audit::{Action, Outcome, Record};

/// How many of the latest scores `keydesk health` lists, and the window's chart draws at most
/// this many more.
pub const RECENT: usize = 5;

/// The most points the window's chart draws (the newest).
pub const MOST_CHARTED: usize = 90;

/// How often the window's opt-in check of every key runs (Settings, "Check every key weekly").
pub const WEEKLY_DAYS: i64 = 7;

/// One recorded score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScorePoint {
    pub at: DateTime<Utc>,
    pub score: u8,
    pub critical: usize,
    pub warning: usize,
    pub info: usize,
    /// How many keys were looked at.
    pub keys: usize,
}

impl HealthReport {
    /// How many findings are of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    /// The detail of the `health` audit line that records this report:
    /// `score 78; critical 1, warning 4, info 2; keys 40`.
    pub fn audit_detail(&self) -> String {
        format!(
            "score {}; critical {}, warning {}, info {}; keys {}",
            self.score,
            self.count(Severity::Critical),
            self.count(Severity::Warning),
            self.count(Severity::Info),
            self.keys_checked
        )
    }
}

/// The score a `health` line's detail holds ([`HealthReport::audit_detail`]), at `at`; `None`
/// for a detail of any other shape (it is skipped, never guessed at).
pub fn parse_detail(detail: &str, at: DateTime<Utc>) -> Option<ScorePoint> {
    let mut numbers = detail.split(['.', ';', ',']).map(str::trim).filter(|part| !part.is_empty());
    let mut field = |name: &str| -> Option<usize> { numbers.next()?.strip_prefix(name)?.trim().parse().ok() };
    let score = u8::try_from(field("score")?).ok().filter(|s| *s <= 100)?;
    let critical = field("critical")?;
    let warning = field("warning")?;
    let info = field("info")?;
    let keys = field("keys")?;
    Some(ScorePoint { at, score, critical, warning, info, keys })
}

/// The recorded scores among `records` (a vault's log, or a team's trail as log lines),
/// oldest first.
pub fn history(records: &[Record]) -> Vec<ScorePoint> {
    let mut points: Vec<ScorePoint> = records
        .iter()
        .filter(|r| r.action == Action::Health && r.outcome == Outcome::Ok)
        .filter_map(|r| parse_detail(&r.detail, r.at))
        .collect();
    points.sort_by_key(|p| p.at);
    points
}

/// "12 Nov", or "12 Nov 2025" when `at` is not in the year of `now`.
pub fn short_date(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at.year() == now.year() { at.format("%-d %b").to_string() } else { at.format("%-d %b %Y").to_string() }
}

/// How the score went over the latest [`RECENT`] records: "Score 62 → 78 since 12 Nov" with
/// `arrow` " → " (or "Score 78 on 12 Nov" with one record); `None` with none. The window
/// says " to ": its built-in font has no arrow.
pub fn trend_sentence(points: &[ScorePoint], now: DateTime<Utc>, arrow: &str) -> Option<String> {
    let recent = &points[points.len().saturating_sub(RECENT)..];
    let (first, last) = (recent.first()?, recent.last()?);
    Some(if recent.len() == 1 {
        format!("Score {} on {}", last.score, short_date(last.at, now))
    } else {
        format!("Score {}{arrow}{} since {}", first.score, last.score, short_date(first.at, now))
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).single().unwrap_or_default()
    }

    fn line(action: Action, day: u32, detail: &str) -> Record {
        Record {
            at: at(day),
            action,
            key: None,
            outcome: Outcome::Ok,
            detail: detail.to_owned(),
            prev: String::new(),
            tag: String::new(),
        }
    }

    #[test]
    fn a_report_is_recorded_and_read_back() {
        let report = HealthReport { score: 78, findings: Vec::new(), keys_checked: 40 };
        let detail = report.audit_detail();
        assert_eq!(detail, "score 78; critical 0, warning 0, info 0; keys 40");
        let point = parse_detail(&detail, at(3));
        assert_eq!(
            point,
            Some(ScorePoint { at: at(3), score: 78, critical: 0, warning: 0, info: 0, keys: 40 })
        );
    }

    #[test]
    fn the_series_takes_only_health_lines_that_parse() {
        let mut failed = line(Action::Health, 4, "score 10; critical 3, warning 0, info 0; keys 3");
        failed.outcome = Outcome::Failed("no".into());
        let records = vec![
            line(Action::Health, 12, "score 78; critical 0, warning 3, info 1; keys 10"),
            line(Action::Verify, 2, "score 5; critical 9, warning 0, info 0; keys 9"),
            line(Action::Health, 2, "score 62; critical 1, warning 2, info 0; keys 10"),
            line(Action::Health, 5, "score 101; critical 0, warning 0, info 0; keys 1"),
            line(Action::Health, 6, "score 50"),
            line(Action::Health, 7, "an older build's words"),
            failed,
        ];
        let points = history(&records);
        let scores: Vec<u8> = points.iter().map(|p| p.score).collect();
        assert_eq!(scores, [62, 78], "oldest first, the rest skipped");
        assert_eq!(points[0].critical, 1);
        assert_eq!(points[1].warning, 3);
        assert_eq!(trend_sentence(&points, at(20), " → ").as_deref(), Some("Score 62 → 78 since 2 Nov"));
        assert_eq!(trend_sentence(&points[1..], at(20), " → ").as_deref(), Some("Score 78 on 12 Nov"));
        assert_eq!(trend_sentence(&[], at(20), " → "), None);
    }

    #[test]
    fn the_trend_is_over_the_latest_few() {
        let records: Vec<Record> = (1..=8)
            .map(|day| {
                line(
                    Action::Health,
                    day,
                    &format!("score {}; critical 0, warning 0, info 0; keys 4", 50 + day),
                )
            })
            .collect();
        let points = history(&records);
        assert_eq!(trend_sentence(&points, at(20), " → ").as_deref(), Some("Score 54 → 58 since 4 Nov"));
        let next_year = Utc.with_ymd_and_hms(2027, 1, 2, 0, 0, 0).single().unwrap_or_default();
        assert_eq!(short_date(at(4), next_year), "4 Nov 2026");
    }
}
