//! Nothing wider than the window: every widget of every screen, at 760 to 1,920 px wide, with
//! long labels in several scripts and a long failure sentence.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use common::window::{app, click, create_and_unlock, world};
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT, Queryable};
use keydesk::providers::NetKind;
use keydesk::ui::KeydeskApp;
use keydesk::ui::state::Screen;
use keydesk::vault::model::VerifyOutcome;

const SIZES: [(f32, f32); 4] = [(760.0, 600.0), (1000.0, 800.0), (1280.0, 800.0), (1920.0, 800.0)];

/// Every node of the window's accessibility tree whose rectangle reaches past the window's
/// left or right edge (lists scroll up and down, so only the width is asked of them).
fn outside(harness: &Harness<'_, KeydeskApp>, width: f32) -> Vec<String> {
    // The harness draws at one pixel per point: accesskit's boxes are in points.
    assert!((harness.ctx.pixels_per_point() - 1.0).abs() < f32::EPSILON);
    harness
        .query_all(By::new().include_labels().predicate(|_| true))
        .filter_map(|node| {
            let n = node.accesskit_node();
            // A one-line field scrolls its text inside itself: its own box is what shows.
            if n.parent().is_some_and(|p| p.role() == egui::accesskit::Role::TextInput) {
                return None;
            }
            let rect = n.bounding_box()?;
            let (left, right) = (rect.x0 as f32, rect.x1 as f32);
            let past = rect.width() > 0.0 && (left < -0.5 || right > width + 0.5);
            let name = n.label().or_else(|| n.value()).unwrap_or_default();
            let name: String = name.chars().take(60).collect();
            past.then(|| format!("{:?} \"{name}\" spans {left:.0}..{right:.0}", n.role()))
        })
        .collect()
}

/// Draws the current screen at each size and lists what does not fit, by screen and size.
fn check(harness: &mut Harness<'_, KeydeskApp>, screen: &str, found: &mut Vec<String>) {
    for (width, height) in SIZES {
        harness.set_size(egui::vec2(width, height));
        let _settled = harness.try_run();
        found.extend(
            outside(harness, width).into_iter().map(|o| format!("{screen} at {width}x{height}: {o}")),
        );
    }
}

fn show(harness: &mut Harness<'_, KeydeskApp>, screen: Screen) {
    harness.state_mut().session_mut().unwrap().screen = screen;
}

#[test]
fn every_screen_fits_its_window_from_760_px_up() {
    let world = world();
    let mut harness = app(&world);
    // What eframe installs in the real window: the system's fonts, found on demand.
    harness.ctx.add_font_provider(std::sync::Arc::new(egui_system_font_provider::SystemFontProvider::new()));
    create_and_unlock(&mut harness);
    let labels = [
        "Spring campaign partner integration for the newsletter team and the regional shops",
        "حملة الربيع للشركاء والمتاجر الإقليمية وفريق النشرة الإخبارية",
        "春のキャンペーンのパートナー連携とニュースレターチームと地域の店舗のためのキー",
        "Весенняя кампания для партнёров, региональных магазинов и команды рассылки",
    ];
    for label in labels {
        common::window::generate_key(&mut harness, label);
    }
    click(&mut harness, "Keys");
    let cause = "the provider's server closed the connection before answering; ".repeat(5);
    let session = harness.state_mut().session_mut().unwrap();
    let id = session.vault.keys()[0].id.clone();
    let failed = VerifyOutcome::ConnectionProblem { cause, kind: NetKind::Dns };
    keydesk::actions::changes::record_verification(&mut session.vault, &id, &failed).unwrap();
    // The Health screen with scores on record: its chart.
    for _ in 0..12 {
        session.vault.record_health().unwrap();
        world.clock.advance_secs(10);
    }
    let mut found = Vec::new();
    for (name, screen) in [
        ("the key list", Screen::Keys),
        ("the key page", Screen::Detail(id.clone())),
        ("new key", Screen::New),
        ("API settings", Screen::Accounts),
        ("the audit log", Screen::Audit),
        ("settings", Screen::Settings),
        ("health, with its chart", Screen::Health),
        ("which key is this", Screen::Whois),
    ] {
        show(&mut harness, screen);
        check(&mut harness, name, &mut found);
    }
    // The chart was drawn (and measured above).
    show(&mut harness, Screen::Health);
    harness.run();
    harness.get_by_label_contains("Health scores from");
    show(&mut harness, Screen::Detail(id));
    harness.set_size(egui::vec2(1000.0, 800.0));
    harness.run();
    click(&mut harness, "Revoke…");
    harness.get_by_label("Revoke key");
    check(&mut harness, "the revoke dialog", &mut found);
    assert!(found.is_empty(), "past the window's edge:\n{}", found.join("\n"));
}

#[test]
fn settings_times_are_choices_that_keep_the_users_own() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    // A value set outside the list (by hand in the file, or an older Keydesk) stays choosable.
    harness.state_mut().session_mut().unwrap().settings.auto_lock_minutes = 7;
    show(&mut harness, Screen::Settings);
    harness.run();
    let value = |harness: &Harness<'_, KeydeskApp>, label: &str| harness.get_by_label(label).value();
    assert_eq!(value(&harness, "Lock after").as_deref(), Some("7 min"));
    harness.get_by_label("Clear clipboard").click();
    harness.run();
    click(&mut harness, "45 s");
    click(&mut harness, "Save settings");
    let saved = harness.state().session().unwrap().vault.file().header.settings.clone();
    assert_eq!((saved.auto_lock_minutes, saved.clipboard_clear_secs), (7, 45));
}

#[test]
fn the_import_column_picker_fits_from_760_px_up() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("wide.csv");
    let header: Vec<String> =
        (1..=20).map(|n| format!("Spalte mit einem sehr langen Namen für den Export Nummer {n}")).collect();
    let row: Vec<String> = (1..=20).map(|n| format!("{}-{n}", "Zellinhalt ".repeat(12).trim())).collect();
    std::fs::write(&path, format!("{}\n{}\n", header.join(";"), row.join(";"))).unwrap();
    click(&mut harness, "Settings");
    common::window::type_into(&mut harness, "Import file", path.to_str().unwrap());
    harness.get_by_label("Preview import").scroll_to_me();
    harness.run();
    click(&mut harness, "Preview import");
    harness.run();
    let session = harness.state_mut().session_mut().unwrap();
    let picker = session.settings.transfer.import_picker.as_mut().expect("the column picker shows");
    // Every field picked: the widest the first rows get.
    picker.picks = [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)];
    let mut found = Vec::new();
    check(&mut harness, "the import's column picker", &mut found);
    assert!(found.is_empty(), "past the window's edge:\n{}", found.join("\n"));
}
