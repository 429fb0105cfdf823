//! Nothing wider than the window: every widget of every screen, at 760 to 1,920 px wide, with
//! long labels in several scripts and a long failure sentence.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use common::window::{app, click, create_and_unlock, world};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT, Queryable};
use keydesk::providers::NetKind;
use keydesk::ui::KeydeskApp;
use keydesk::ui::state::Screen;
use keydesk::vault::audit::Action;
use keydesk::vault::incidents::IncidentReport;
use keydesk::vault::model::{Integration, KeyId, VerifyOutcome};
use keydesk::vault::{KeyEdit, KeyEvent, Replacement};

const SIZES: [(f32, f32); 4] = [(760.0, 600.0), (1000.0, 800.0), (1280.0, 800.0), (1920.0, 800.0)];

/// A node's box as (left, top, right, bottom), in points.
type Bounds = (f32, f32, f32, f32);

#[allow(clippy::cast_possible_truncation, reason = "window coordinates, far inside f32")]
fn bounds_of<'t, N: NodeT<'t>>(node: &N) -> Option<Bounds> {
    let rect = node.accesskit_node().bounding_box()?;
    Some((rect.x0 as f32, rect.y0 as f32, rect.x1 as f32, rect.y1 as f32))
}

/// Every widget of the window that reaches past the window's left or right edge, or out of
/// the panel holding it: sideways past its panel, or over another panel (the key's page over
/// the list beside it, the status bar over the page). Lists scroll up and down inside their
/// panel, so only what shows of a widget in its panel is asked not to cover another.
fn misplaced(harness: &Harness<'_, KeydeskApp>, width: f32) -> Vec<String> {
    // The harness draws at one pixel per point: accesskit's boxes are in points.
    assert!((harness.ctx.pixels_per_point() - 1.0).abs() < f32::EPSILON);
    // The panes (egui's panels) with their boxes: the nearest one holding a widget is the
    // one it must stay inside.
    let panes: Vec<_> = harness
        .query_all(By::new().role(Role::Pane))
        .filter_map(|pane| Some((pane.accesskit_node().id(), bounds_of(&pane)?)))
        .collect();
    assert!(!panes.is_empty(), "the window's panels have no boxes in the accessibility tree");
    let mut found = Vec::new();
    for node in harness.query_all(By::new().include_labels().predicate(|_| true)) {
        let n = node.accesskit_node();
        // A one-line field scrolls its text inside itself: its own box is what shows. A
        // panel's resize handle sits on its edge.
        // A label's runs of text are inside the label's own box, already asked.
        if n.parent().is_some_and(|p| p.role() == Role::TextInput)
            || matches!(n.role(), Role::Pane | Role::Splitter | Role::TextRun)
        {
            continue;
        }
        let Some((left, top, right, bottom)) = bounds_of(&node) else { continue };
        if right - left <= 0.0 {
            continue;
        }
        let name: String = n.label().or_else(|| n.value()).unwrap_or_default().chars().take(60).collect();
        let what = format!("{:?} \"{name}\" spans {left:.0}..{right:.0} x {top:.0}..{bottom:.0}", n.role());
        if left < -0.5 || right > width + 0.5 {
            found.push(format!("{what}: past the window"));
            continue;
        }
        let mut holders = Vec::new();
        let mut up = n.parent();
        while let Some(parent) = up {
            holders.push(parent.id());
            up = parent.parent();
        }
        // Dialogs, menus and tooltips float above the panels: the window holds them.
        let Some(&(own_id, own)) = holders.iter().find_map(|id| panes.iter().find(|(p, _)| p == id)) else {
            continue;
        };
        if left < own.0 - 0.5 || right > own.2 + 0.5 {
            found.push(format!("{what}: past the side of its panel ({:.0}..{:.0})", own.0, own.2));
        }
        let (shown_top, shown_bottom) = (top.max(own.1), bottom.min(own.3));
        for &(other_id, other) in &panes {
            if other_id == own_id || holders.contains(&other_id) {
                continue;
            }
            let across = right.min(other.2) - left.max(other.0);
            let down = shown_bottom.min(other.3) - shown_top.max(other.1);
            if across > 0.5 && down > 0.5 {
                found.push(format!(
                    "{what}: over another panel ({:.0}..{:.0} x {:.0}..{:.0})",
                    other.0, other.2, other.1, other.3
                ));
            }
        }
    }
    found
}

/// Draws the current screen at each size and lists what does not fit, by screen and size.
fn check(harness: &mut Harness<'_, KeydeskApp>, screen: &str, found: &mut Vec<String>) {
    for (width, height) in SIZES {
        harness.set_size(egui::vec2(width, height));
        let _settled = harness.try_run();
        found.extend(
            misplaced(harness, width).into_iter().map(|o| format!("{screen} at {width}x{height}: {o}")),
        );
    }
}

fn show(harness: &mut Harness<'_, KeydeskApp>, screen: Screen) {
    harness.state_mut().session_mut().unwrap().screens.screen = screen;
}

/// Opens the key's page as a click in the list does.
fn open_key(harness: &mut Harness<'_, KeydeskApp>, key: KeyId) {
    let ctx = harness.ctx.clone();
    harness.state_mut().run_cmd(&ctx, keydesk::ui::session::Command::OpenKey(key).into());
    harness.run();
}

/// A long URL, as an integration's settings page often has.
fn long_url(name: &str) -> String {
    format!(
        "https://app.{name}.example.com/settings/integrations/email/{}api-keys",
        "regional-shops/".repeat(5)
    )
}

/// Eight long steps in the timeline of the open incident about `key`.
fn long_timeline(store: &mut (impl keydesk::actions::Store + ?Sized), key: &KeyId) {
    for step in 1..=8 {
        let line = format!(
            "Step {step}: {}",
            "asked the agency which of its tools kept a copy of the message; ".repeat(3)
        );
        let event = KeyEvent::new(Action::Edit, line.clone()).in_timeline(line.clone());
        store
            .change_key(key, None, event, &mut |record| {
                record.notes.clone_from(&line);
                Ok(())
            })
            .unwrap();
    }
}

/// On the second key, an open incident whose timeline is long, in long lines; on the third,
/// a rotation under way with three integrations whose settings pages have long addresses.
/// Answers the two keys.
fn incident_and_rotation(session: &mut keydesk::ui::session::Session) -> (KeyId, KeyId) {
    let vault = session.vault_mut().unwrap();
    let (second, third) = (vault.keys()[1].id.clone(), vault.keys()[2].id.clone());
    let report = IncidentReport {
        found_where: "a public channel of the partner agency's chat, pasted with a screenshot of the CRM"
            .to_owned(),
        noticed_by: "the regional shops' newsletter team".to_owned(),
        notes: "Seen by anyone in the channel for about two hours before it was deleted.".to_owned(),
    };
    vault.open_incident(&second, &report).unwrap();
    long_timeline(vault, &second);
    let integrations = ["hubspot", "zapier", "salesforce"]
        .map(|name| Integration { name: name.to_owned(), url: Some(long_url(name)), note: String::new() })
        .to_vec();
    let edit = KeyEdit { integrations: Some(integrations), ..KeyEdit::default() };
    keydesk::actions::changes::edit(vault, &third, None, &edit).unwrap();
    vault.rotate(&third, Replacement::Generate).unwrap();
    (second, third)
}

#[test]
fn every_screen_fits_its_window_from_760_px_up() {
    let world = world();
    let mut harness = app(&world);
    // What eframe installs in the real window: the system's fonts, found on demand.
    harness.ctx.add_font_provider(std::sync::Arc::new(egui_system_font_provider::SystemFontProvider::new()));
    create_and_unlock(&mut harness);
    for label in LABELS {
        common::window::generate_key(&mut harness, label);
    }
    click(&mut harness, "Keys");
    let cause = "the provider's server closed the connection before answering; ".repeat(5);
    let session = harness.state_mut().session_mut().unwrap();
    let id = session.vault_mut().unwrap().keys()[0].id.clone();
    let failed = VerifyOutcome::ConnectionProblem { cause, kind: NetKind::Dns };
    keydesk::actions::changes::record_verification(session.vault_mut().unwrap(), &id, &failed).unwrap();
    let (incident_key, rotated) = incident_and_rotation(session);
    // A provider's key never checked and about to expire: the attention line at its longest,
    // with "Check every key".
    let mut meta = keydesk::vault::meta::KeyMeta::labelled("Transactional mail for the regional shops");
    meta.expires_at = Some(keydesk::vault::Clock::now(&world.clock) + chrono::Duration::days(5));
    let request = keydesk::vault::AddRequest { meta, ..Default::default() };
    session.vault_mut().unwrap().add(request, &secrecy::SecretString::from(common::sendgrid_key())).unwrap();
    // The Health screen with scores on record: its chart.
    for _ in 0..12 {
        session.vault_mut().unwrap().record_health().unwrap();
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
    // The key pages as a click opens them (their forms filled from the key).
    for (name, key) in [("an incident's timeline", incident_key), ("the rotation panel", rotated)] {
        open_key(&mut harness, key);
        check(&mut harness, name, &mut found);
    }
    // The chart was drawn (and measured above).
    show(&mut harness, Screen::Health);
    harness.run();
    harness.get_by_label_contains("Health scores from");
    show(&mut harness, Screen::Detail(id));
    harness.set_size(egui::vec2(1000.0, 800.0));
    harness.run();
    click(&mut harness, &format!("Revoke {}…", LABELS[0]));
    harness.get_by_label(&format!("Revoke {} now", LABELS[0]));
    check(&mut harness, "the revoke dialog", &mut found);
    assert!(found.is_empty(), "out of place:\n{}", found.join("\n"));
}

#[test]
fn settings_times_are_choices_that_keep_the_users_own() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    // A value set outside the list (by hand in the file, or an older Keydesk) stays choosable.
    harness.state_mut().session_mut().unwrap().screens.settings.auto_lock_minutes = 7;
    show(&mut harness, Screen::Settings);
    harness.run();
    let value = |harness: &Harness<'_, KeydeskApp>, label: &str| harness.get_by_label(label).value();
    assert_eq!(value(&harness, "Lock after").as_deref(), Some("7 min"));
    harness.get_by_label("Clear clipboard").click();
    harness.run();
    click(&mut harness, "45 s");
    click(&mut harness, "Save settings");
    let saved = harness.state().vault().unwrap().file().header.settings.clone();
    assert_eq!((saved.auto_lock_minutes, saved.clipboard_clear_secs), (7, 45));
}

/// Long labels in several scripts, as the key list gets them.
const LABELS: [&str; 4] = [
    "Spring campaign partner integration for the newsletter team and the regional shops",
    "حملة الربيع للشركاء والمتاجر الإقليمية وفريق النشرة الإخبارية",
    "春のキャンペーンのパートナー連携とニュースレターチームと地域の店舗のためのキー",
    "Весенняя кампания для партнёров, региональных магазинов и команды рассылки",
];

/// The team vault's screen against a real OpenBao server: empty, then with long labels, a
/// key's details, its edit form with three long integration addresses, an incident with a
/// long timeline and a rotation under way.
#[test]
fn the_team_vaults_screens_fit_their_panels_from_760_px_up() {
    use keydesk::actions::{Store, TeamStore};
    let bao = common::bao::Bao::dev();
    let world = world();
    let mut harness = crate::ui_team::ana_makes_a_team_vault(&world, &bao);
    harness.ctx.add_font_provider(std::sync::Arc::new(egui_system_font_provider::SystemFontProvider::new()));
    let mut found = Vec::new();
    check(&mut harness, "the empty team vault", &mut found);
    // The navigation on the left, as a local vault's, never runs over the title.
    for (width, height) in SIZES {
        harness.set_size(egui::vec2(width, height));
        harness.run();
        let title = bounds_of(&harness.get_by_label("Team vault")).unwrap();
        for button in [
            "Keys",
            "New key",
            "API settings",
            "Audit log",
            "Settings",
            "Health",
            "Which key is this?",
            "Incidents",
            "Members",
            "Lock",
        ] {
            let (left, top, right, bottom) = bounds_of(&harness.get_by_label(button)).unwrap();
            let apart = right <= title.0 || left >= title.2 || bottom <= title.1 || top >= title.3;
            assert!(
                apart,
                "at {width} px \"{button}\" ({left:.0}..{right:.0}) covers the title ({:.0}..{:.0})",
                title.0, title.2
            );
        }
    }

    let dir = crate::ui_team::vault_dir(&world);
    let (other, keys) = crate::ui_team::other_member(&bao, &dir, &bao.root_token);
    let now = keydesk::vault::Clock::now(&world.clock);
    let mut store = TeamStore::new(&other, &keys, now).unwrap();
    let integrations: Vec<Integration> = ["hubspot", "zapier", "salesforce"]
        .map(|name| Integration { name: name.to_owned(), url: Some(long_url(name)), note: String::new() })
        .to_vec();
    let mut ids = Vec::new();
    for label in LABELS {
        let mut meta = keydesk::vault::meta::KeyMeta::labelled(label);
        meta.integrations.clone_from(&integrations);
        let request = keydesk::vault::AddRequest { meta, ..Default::default() };
        let secret = secrecy::SecretString::from(common::sendgrid_key());
        ids.push(store.add_key(request, &secret).unwrap().0);
    }
    let report = IncidentReport {
        found_where: "a public channel of the partner agency's chat, pasted with a screenshot of the CRM"
            .to_owned(),
        noticed_by: "the regional shops' newsletter team".to_owned(),
        notes: "Seen by anyone in the channel for about two hours before it was deleted.".to_owned(),
    };
    store.open_incident(&ids[1], &report).unwrap();
    long_timeline(&mut store, &ids[1]);
    drop(store);
    let all = other.keys().unwrap();
    let old = all.iter().find(|k| k.record.id == ids[2]).unwrap();
    let secret = secrecy::SecretString::from(common::sendgrid_key());
    other.rotate(&keys, old, &all, &secret, &mut *other.entropy(), now).unwrap();
    crate::ui_team::poll(&mut harness, &world);
    check(&mut harness, "the team vault's list", &mut found);

    // A key's page, opened from its label.
    harness.set_size(egui::vec2(1000.0, 800.0));
    harness.run();
    click(&mut harness, &format!("Open {}", LABELS[0]));
    check(&mut harness, "a team key's page", &mut found);
    // Its edit form, with the three integrations.
    harness.set_size(egui::vec2(1000.0, 800.0));
    harness.run();
    click(&mut harness, &format!("Edit {}", LABELS[0]));
    harness.get_by_label("Edit details");
    check(&mut harness, "a team key's edit form", &mut found);
    assert_integration_rows(&mut harness, "a team key's edit form", 3);
    click(&mut harness, &format!("Cancel editing {}", LABELS[0]));
    click(&mut harness, "Back to keys");
    // The incidents panel and a rotation on its key's page.
    click(&mut harness, "Incidents");
    harness.run();
    harness.get_by_label_contains("Step 8:");
    check(&mut harness, "the team's incidents", &mut found);
    // The navigation's Keys goes back to the list.
    harness.get_all_by_label("Keys").next().unwrap().click();
    harness.run();
    harness.get_all_by_label(&format!("Open {}", LABELS[2])).next().unwrap().click();
    harness.run();
    harness.get_by_label_contains("is being replaced");
    check(&mut harness, "a team key's rotation", &mut found);
    click(&mut harness, "Back to keys");
    click(&mut harness, "Members");
    harness.run();
    check(&mut harness, "the team's members", &mut found);
    click(&mut harness, "Members");
    harness.get_all_by_label("Which key is this?").next().unwrap().click();
    harness.run();
    check(&mut harness, "the team's Which key is this?", &mut found);
    assert!(found.is_empty(), "out of place:\n{}", found.join("\n"));
}

/// The empty list's three starts, one under the other in this order, each centred in the
/// panel that holds it.
fn assert_centred_starts(harness: &Harness<'_, KeydeskApp>, vault: &str) {
    harness.get_by_label("No keys yet");
    let panes: Vec<_> = harness
        .query_all(By::new().role(Role::Pane))
        .filter_map(|pane| Some((pane.accesskit_node().id(), bounds_of(&pane)?)))
        .collect();
    let mut above = f32::MIN;
    for start in ["Paste a key from your provider", "Generate a Keydesk key", "Add a provider account"] {
        let button = harness.get_by_label(start);
        let (left, top, right, _) = bounds_of(&button).unwrap();
        assert!(top > above, "{vault}: \"{start}\" is under the one before it");
        above = top;
        let mut up = button.accesskit_node().parent();
        let pane = loop {
            let parent = up.expect("the button is inside a panel");
            if let Some(&(_, pane)) = panes.iter().find(|(id, _)| *id == parent.id()) {
                break pane;
            }
            up = parent.parent();
        };
        let (middle, centre) = (f32::midpoint(left, right), f32::midpoint(pane.0, pane.2));
        assert!((middle - centre).abs() < 2.0, "{vault}: \"{start}\" is centred ({middle} in {pane:?})");
    }
}

#[test]
fn a_team_vaults_empty_list_offers_the_same_starts_as_a_local_ones() {
    let world = world();
    let mut local = app(&world);
    create_and_unlock(&mut local);
    click(&mut local, "Keys");
    assert_centred_starts(&local, "a local vault");

    let bao = common::bao::Bao::dev();
    let world = common::window::world();
    let mut team = crate::ui_team::ana_makes_a_team_vault(&world, &bao);
    assert_centred_starts(&team, "a team vault");
    // Each opens what it says: the New key screen (a local vault's) as the start asks, the
    // Accounts panel.
    click(&mut team, "Generate a Keydesk key");
    harness_has(&team, "New key");
    harness_has(&team, "Generate");
    click(&mut team, "Back to keys");
    click(&mut team, "Paste a key from your provider");
    harness_has(&team, "Add key");
    harness_has(&team, "Show the key");
    click(&mut team, "Back to keys");
    click(&mut team, "Add a provider account");
    harness_has(&team, "Add account");
}

fn harness_has(harness: &Harness<'_, KeydeskApp>, label: &str) {
    assert!(harness.query_all_by_label(label).next().is_some(), "\"{label}\" is shown");
}

/// Each integration of the form on screen is one row at every width from 760 to 2,560 px:
/// its name, its URL and its Remove in the same band, in that order, right of the form's
/// label column (never a URL wrapped under it).
fn assert_integration_rows(harness: &mut Harness<'_, KeydeskApp>, what: &str, rows: usize) {
    for width in [760.0, 1000.0, 1280.0, 1600.0, 1920.0, 2560.0] {
        harness.set_size(egui::vec2(width, 900.0));
        let _settled = harness.try_run();
        let boxes = |label: &str| -> Vec<Bounds> {
            harness.query_all_by_label(label).filter_map(|n| bounds_of(&n)).collect()
        };
        let (names, urls, removes) = (boxes("Used by"), boxes("URL"), boxes("Remove"));
        assert_eq!((names.len(), urls.len(), removes.len()), (rows, rows, rows), "{what} at {width} px");
        // The form's labels ("Label", "Notes") end where its column ends.
        let label_column = bounds_of(&harness.get_by_label("Notes")).unwrap().0;
        for ((name, url), remove) in names.iter().zip(&urls).zip(&removes) {
            let at = format!("{what} at {width} px: name {name:?}, URL {url:?}, Remove {remove:?}");
            assert!(name.0 >= label_column - 0.5, "the name is right of the label column: {at}");
            assert!(name.2 <= url.0 && url.2 <= remove.0, "name, URL, Remove in this order: {at}");
            // Neither field is squeezed: a name of 150 px, an address of at least 140.
            assert!(name.2 - name.0 >= 149.0 && url.2 - url.0 >= 139.0, "fields at their width: {at}");
            for other in [url, remove] {
                let middle = f32::midpoint(other.1, other.3);
                assert!(name.1 < middle && middle < name.3, "one row band: {at}");
            }
        }
    }
}

#[test]
fn integrations_are_a_grid_of_rows_from_760_to_2560_px() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    common::window::generate_key(&mut harness, "Spring campaign");
    common::window::generate_key(&mut harness, "Newsletter");
    click(&mut harness, "New key");
    assert_integration_rows(&mut harness, "the new key form", 1);
    let session = harness.state_mut().session_mut().unwrap();
    let (key, label) = (
        session.vault_mut().unwrap().keys()[0].id.clone(),
        session.vault_mut().unwrap().keys()[0].label.clone(),
    );
    let integrations = ["hubspot", "zapier", "salesforce"]
        .map(|name| Integration { name: name.to_owned(), url: Some(long_url(name)), note: String::new() })
        .to_vec();
    let edit = KeyEdit { integrations: Some(integrations), ..KeyEdit::default() };
    keydesk::actions::changes::edit(session.vault_mut().unwrap(), &key, None, &edit).unwrap();
    open_key(&mut harness, key);
    // The form opens in place of the key's facts and integrations.
    click(&mut harness, &format!("Edit {label}"));
    assert_integration_rows(&mut harness, "the key page", 3);
    // A row added and one removed: still rows.
    click(&mut harness, "Add integration");
    assert_integration_rows(&mut harness, "the key page, a row added", 4);
    harness.get_all_by_label("Remove").next().unwrap().click();
    harness.run();
    assert_integration_rows(&mut harness, "the key page, a row removed", 3);
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
    // Below the fold of the settings page: scrolled to, as a person would.
    common::window::scroll_to(&mut harness, "Import file");
    common::window::type_into(&mut harness, "Import file", path.to_str().unwrap());
    harness.get_by_label("Preview import").scroll_to_me();
    harness.run();
    click(&mut harness, "Preview import");
    harness.run();
    let session = harness.state_mut().session_mut().unwrap();
    let picker = session.screens.settings.transfer.import_picker.as_mut().expect("the column picker shows");
    // Every field picked: the widest the first rows get.
    picker.picks = [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)];
    let mut found = Vec::new();
    check(&mut harness, "the import's column picker", &mut found);
    assert!(found.is_empty(), "out of place:\n{}", found.join("\n"));
}
