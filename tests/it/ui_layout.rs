//! The key list at every window size, and statuses that never call a failure a success.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use common::window::{app, click, create_and_unlock, type_into, world};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keydesk::providers::NetKind;
use keydesk::ui::KeydeskApp;
use keydesk::vault::model::VerifyOutcome;

/// A new key, then back to the list.
fn generate_key(harness: &mut Harness<'_, KeydeskApp>, label: &str) {
    common::window::generate_key(harness, label);
    click(harness, "Keys");
}

#[test]
fn copy_stays_in_view_from_760_px_up() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let label = "A very long label for the partner integration of the spring campaign ".repeat(2);
    generate_key(&mut harness, &label);
    // The label is kept without the space at its end.
    let label = label.trim_end();
    for width in [760.0, 1100.0, 1920.0] {
        harness.set_size(egui::vec2(width, 600.0));
        harness.run();
        let copy = harness.get_by_label(&format!("Copy {label}")).rect();
        assert!(copy.right() <= width, "at {width} px the Copy button ends at {}", copy.right());
        let menu = harness.get_by_label(&format!("More for {label}")).rect();
        assert!(menu.right() <= width, "at {width} px the row's menu ends at {}", menu.right());
    }
    // The wide window gives the label room and shows what uses the key.
    harness.get_by_label("USED BY");
}

#[test]
fn a_failed_or_refused_check_is_never_shown_as_working() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Webhook");
    harness.get_by_label("active");
    let id = harness.state().vault().unwrap().keys()[0].id.clone();
    let outcomes = [
        (VerifyOutcome::ConnectionProblem { cause: "Keydesk".into(), kind: NetKind::Dns }, "could not check"),
        (VerifyOutcome::ProviderTrouble { status: 503 }, "could not check"),
        (VerifyOutcome::RateLimited { retry_after_secs: None }, "could not check"),
        (VerifyOutcome::Unauthorized, "refused by Keydesk"),
        (VerifyOutcome::Works { scopes: Vec::new(), note: None }, "works"),
    ];
    for (outcome, said) in outcomes {
        let vault = harness.state_mut().vault_mut().unwrap();
        keydesk::actions::changes::record_verification(vault, &id, &outcome).unwrap();
        harness.run();
        harness.get_by_label(said);
        if said != "works" {
            assert!(harness.query_by_label("works").is_none(), "{outcome:?} is not shown as working");
            assert!(harness.query_by_label("active").is_none(), "{outcome:?} is not shown as active");
        }
    }
}

#[test]
fn revoked_keys_show_on_request_and_labels_sort_as_people_count() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    for label in ["Key 47", "Key 7", "Key 100"] {
        generate_key(&mut harness, label);
    }
    let order = |harness: &Harness<'_, KeydeskApp>| {
        let mut rows: Vec<(f32, String)> = ["Key 7", "Key 47", "Key 100"]
            .iter()
            .map(|l| (harness.get_by_label(&format!("Open {l}")).rect().top(), (*l).to_owned()))
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        rows.into_iter().map(|(_, l)| l).collect::<Vec<_>>()
    };
    assert_eq!(order(&harness), ["Key 7", "Key 47", "Key 100"]);
    let id = harness.state().vault().unwrap().keys()[0].id.clone();
    harness.state_mut().vault_mut().unwrap().revoke(&id, "test").unwrap();
    harness.run();
    assert!(harness.query_by_label("Open Key 47").is_none(), "a revoked key leaves the list");
    click(&mut harness, "Show revoked");
    harness.get_by_label("Open Key 47");
    harness.get_by_label("revoked");
}

#[test]
fn labels_in_every_script_have_glyphs() {
    let world = world();
    let mut harness = app(&world);
    // What eframe installs in the real window: the system's fonts, found on demand.
    harness.ctx.add_font_provider(std::sync::Arc::new(egui_system_font_provider::SystemFontProvider::new()));
    create_and_unlock(&mut harness);
    let labels = [
        "🚀 Brevo حملة الربيع 🌸",
        "春のキャンペーン",
        "봄 캠페인",
        "春季活动",
        "Ανοιξιάτικη καμπάνια",
        "Весенняя кампания",
        "קמפיין אביב",
        "वसंत अभियान",
        "แคมเปญฤดูใบไม้ผลิ",
    ];
    for label in labels {
        generate_key(&mut harness, label);
    }
    harness.run();
    for label in labels {
        let text: String = label.chars().filter(|c| !c.is_whitespace()).collect();
        let missing: Vec<char> = text
            .chars()
            .filter(|&c| !harness.ctx.fonts_mut(|f| f.has_glyph(&egui::FontId::proportional(14.0), c)))
            .collect();
        assert!(missing.is_empty(), "{label}: no glyph for {missing:?}");
    }
}

#[test]
fn a_wide_window_shows_the_list_beside_the_key_page() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Webhook");
    generate_key(&mut harness, "Newsletter");
    click(&mut harness, "Open Webhook");
    // One column at 1,000 px: the page alone.
    assert!(harness.query_by_label("Open Newsletter").is_none());
    harness.set_size(egui::vec2(1300.0, 800.0));
    harness.run();
    // Side by side from about 1,100 px: the list stays, and another key opens from it.
    click(&mut harness, "Open Newsletter");
    let session = harness.state().session().unwrap();
    let newsletter =
        session.vault().unwrap().keys().iter().find(|k| k.label == "Newsletter").unwrap().id.clone();
    assert_eq!(session.screens.screen, keydesk::ui::state::Screen::Detail(newsletter));
    harness.get_by_label("Open Webhook");
}

#[test]
fn an_account_test_result_stays_on_its_row() {
    let server = common::mock::Mock::start(|_| {
        common::mock::Reply::json(401, r#"{"errors":[{"field":null,"message":"authorization required"}]}"#)
    });
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    click(&mut harness, "API settings");
    type_into(&mut harness, "Account name", "SG");
    type_into(&mut harness, "API address", &server.url);
    type_into(&mut harness, "Management key", &common::sendgrid_key());
    click(&mut harness, "Add account");
    click(&mut harness, "Test connection");
    harness.run();
    let failed = harness.query_all_by_label_contains("failed at").count();
    assert_eq!(failed, 1, "the row says the test failed");
    assert!(harness.query_by_label_contains("works (").is_none(), "never shown as working");
    // Long after the toast is gone, the row still says it.
    world.clock.advance_secs(120);
    harness.run();
    assert_eq!(harness.query_all_by_label_contains("failed at").count(), 1);
}

/// How many more texts containing `shown` are on screen once the pointer rests on the first
/// node whose label contains `over`: the tooltips that say it.
fn tooltips_over(harness: &mut Harness<'_, KeydeskApp>, over: &str, shown: &str) -> usize {
    harness.ctx.all_styles_mut(|style| style.interaction.tooltip_delay = 0.0);
    harness.hover_at(egui::pos2(700.0, 5.0));
    harness.run();
    let before = harness.query_all_by_label_contains(shown).count();
    harness.get_all_by_label_contains(over).next().unwrap().hover();
    harness.run();
    harness.run();
    harness.query_all_by_label_contains(shown).count() - before
}

#[test]
fn a_tooltip_shows_once() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    generate_key(&mut harness, &"The spring campaign's partner integration ".repeat(3));
    harness.set_size(egui::vec2(760.0, 600.0));
    click(&mut harness, "Audit log");
    // A text cut to its column is shown whole on hover, once (not once more over the next row).
    assert_eq!(tooltips_over(&mut harness, "Lock", "Ctrl+L"), 1, "a button's tooltip");
    let text = "The spring campaign's partner";
    assert_eq!(tooltips_over(&mut harness, text, text), 1, "the key's cut label");
}
