//! A key's fills into browser pages, as its page's activity lists them: when, into which
//! integration at which page, from which browser, newest first, read from the key's audit
//! lines (a fill's line says "into CRM at https://crm.example.com, from Chromium (…)").

use crate::vault::audit::{Action, Outcome, Record};

/// The most fills listed; the rest are counted ("and 3 more").
pub const MOST_FILLS: usize = 10;

/// One fill, as its audit line says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill<'a> {
    pub at: chrono::DateTime<chrono::Utc>,
    pub integration: &'a str,
    pub origin: &'a str,
    pub browser: &'a str,
}

impl<'a> Fill<'a> {
    /// The fill a line records: `None` for any other line, a failed fill, or a detail not in
    /// a fill's words (an edited log shows as it is in the History below).
    pub fn of(record: &'a Record) -> Option<Fill<'a>> {
        if record.action != Action::Fill || record.outcome != Outcome::Ok {
            return None;
        }
        let rest = record.detail.strip_prefix("into ")?;
        // An origin holds no space and no comma, so the first " at https://" and the ", from "
        // after it part the three, whatever the integration's and the browser's names hold.
        let at = rest.find(" at https://")?;
        let (integration, after) = (&rest[..at], &rest[at + " at ".len()..]);
        let (origin, browser) = after.split_once(", from ")?;
        Some(Fill { at: record.at, integration, origin, browser })
    }
}

/// The fills among `history` (a key's audit lines, oldest first), newest first, at most
/// [`MOST_FILLS`], and how many more there are.
pub fn newest_fills<'a, I>(history: I) -> (Vec<Fill<'a>>, usize)
where
    I: IntoIterator<Item = &'a Record>,
    I::IntoIter: DoubleEndedIterator,
{
    let all: Vec<Fill<'a>> = history.into_iter().rev().filter_map(Fill::of).collect();
    let more = all.len().saturating_sub(MOST_FILLS);
    (all.into_iter().take(MOST_FILLS).collect(), more)
}

/// The key's fills: a row each (when, integration, page, browser), newest first; nothing
/// when the key was never filled.
pub fn fills_ui<'a, I>(ui: &mut egui::Ui, history: I)
where
    I: IntoIterator<Item = &'a Record>,
    I::IntoIter: DoubleEndedIterator,
{
    let (fills, more) = newest_fills(history);
    if fills.is_empty() {
        return;
    }
    ui.add_space(super::theme::GAP);
    ui.strong("Filled into browser pages");
    egui::Grid::new("key-fills").num_columns(4).striped(true).spacing([super::theme::GAP * 2.0, 4.0]).show(
        ui,
        |ui| {
            for heading in ["When", "Integration", "Page", "Browser"] {
                ui.label(egui::RichText::new(heading).weak());
            }
            ui.end_row();
            for fill in &fills {
                ui.label(fill.at.format("%Y-%m-%d %H:%M UTC").to_string());
                ui.label(fill.integration);
                ui.label(fill.origin);
                ui.add(egui::Label::new(fill.browser).wrap());
                ui.end_row();
            }
        },
    );
    if more > 0 {
        let fills = if more == 1 { "fill" } else { "fills" };
        ui.label(
            egui::RichText::new(format!("and {more} more {fills} (History below lists them all)")).weak(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn line(minute: u32, action: Action, detail: &str) -> Record {
        Record {
            at: chrono::Utc.with_ymd_and_hms(2026, 12, 5, 7, minute, 0).unwrap(),
            action,
            key: Some("k1".into()),
            outcome: Outcome::Ok,
            detail: detail.into(),
            prev: String::new(),
            tag: String::new(),
        }
    }

    #[test]
    fn a_fills_line_reads_back_as_its_integration_page_and_browser() {
        let record = line(
            1,
            Action::Fill,
            "into CRM at work at https://crm.example.com, from Chromium (profile folder ~/.config/chromium, from home)",
        );
        let fill = Fill::of(&record).unwrap();
        assert_eq!(fill.integration, "CRM at work");
        assert_eq!(fill.origin, "https://crm.example.com");
        assert_eq!(fill.browser, "Chromium (profile folder ~/.config/chromium, from home)");
        assert_eq!(Fill::of(&line(1, Action::Copy, "into CRM at https://a.example, from B")), None);
        assert_eq!(Fill::of(&line(1, Action::Fill, "edited by hand")), None);
        let mut failed = line(1, Action::Fill, "into CRM at https://a.example, from B");
        failed.outcome = Outcome::Failed("the vault is read-only".into());
        assert_eq!(Fill::of(&failed), None);
    }

    #[test]
    fn the_newest_ten_fills_come_first_and_the_rest_are_counted() {
        let mut history: Vec<Record> = (0..13)
            .map(|minute| line(minute, Action::Fill, &format!("into I{minute} at https://a.example, from B")))
            .collect();
        history.insert(5, line(30, Action::Copy, "copied"));
        let (fills, more) = newest_fills(&history);
        assert_eq!(fills.len(), 10);
        assert_eq!(more, 3);
        assert_eq!(fills[0].integration, "I12", "newest first");
        assert_eq!(fills[9].integration, "I3");
        assert_eq!(newest_fills(&history[..3]).1, 0);
    }
}
