//! The leak guard, answered by the window (egui_kittest on the real app, the real per-user
//! socket): off unless turned on in Settings, and while off a paste is refused unlooked-at;
//! on, a key pasted into a page that is not one of its integrations is named and the warning
//! recorded, a key on its own integration's page or a text that is no key is not; a locked
//! Keydesk says to unlock first. A team vault goes through the same function, against a real
//! OpenBao.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(clippy::disallowed_methods, reason = "the other member adds its key at the real time")]

use crate::browser_window::{PAGE, add_key, ask, audit_lines, listening, offers};
use crate::common;

use common::window::{click, create_and_unlock, scroll_to, world};
use egui_kittest::kittest::Queryable;
use keydesk::vault::AddRequest;
use keydesk::vault::meta::{KeyMeta, parse_integration};
use secrecy::SecretString;
use serde_json::{Value, json};

const SHOP: &str = "https://shop.example.test";
const CHECKBOX: &str = "Warn me when I paste a key into a page that is not one of its integrations";

fn guard(id: u64) -> Value {
    json!({"type": "guard", "id": id})
}

fn check_paste(id: u64, origin: &str, text: &str) -> Value {
    json!({"type": "check_paste", "id": id, "origin": origin, "text": text})
}

#[test]
fn a_key_pasted_outside_its_integrations_is_named_only_with_the_guard_on() {
    let world = world();
    let (mut harness, path) = listening(&world);

    // Locked: no guard, and a paste is told to unlock first.
    let status = ask(&mut harness, &path, &guard(1));
    assert_eq!(status["code"], "locked", "{status}");
    let locked = ask(&mut harness, &path, &check_paste(2, SHOP, &common::sendgrid_key()));
    assert_eq!(locked["error"], "Unlock Keydesk first: its window is in front of you now.", "{locked}");

    create_and_unlock(&mut harness);
    let secret = common::sendgrid_key();
    let key = add_key(&mut harness, "SendGrid production", &secret, &[&format!("CRM={PAGE}/settings")]);
    harness.run();
    // A browser not allowed: the guard says why not, without asking; a paste asks as a fill.
    let status = ask(&mut harness, &path, &guard(3));
    assert_eq!(status["code"], "refused", "{status}");
    assert!(harness.query_by_label("Allow").is_none(), "the guard's status puts no question");
    let asked = ask(&mut harness, &path, &check_paste(4, SHOP, &secret));
    assert!(asked["error"].as_str().unwrap().contains("answer there, then click again"), "{asked}");
    click(&mut harness, "Allow");

    // Off by default: the status says so, and a paste is refused without a look-up or a line.
    let lines = audit_lines(&harness).len();
    assert_eq!(ask(&mut harness, &path, &guard(5)), json!({"type": "guard", "id": 5, "on": false}));
    let off = ask(&mut harness, &path, &check_paste(6, SHOP, &secret));
    assert_eq!(off["code"], "refused", "{off}");
    assert!(off["error"].as_str().unwrap().starts_with("Keydesk's leak guard is off"), "{off}");
    assert!(off.get("found").is_none() && off.get("warning").is_none());
    assert_eq!(audit_lines(&harness).len(), lines, "nothing recorded");

    // Turned on in Settings' Browsers section, on record.
    click(&mut harness, "Settings");
    scroll_to(&mut harness, CHECKBOX);
    click(&mut harness, CHECKBOX);
    assert!(harness.state().vault().unwrap().file().header.leak_guard, "on, in the vault");
    let switched = audit_lines(&harness).into_iter().last().unwrap();
    assert_eq!(switched.action.word(), "browser");
    assert!(switched.detail.starts_with("turned on the leak guard"), "{}", switched.detail);
    assert_eq!(ask(&mut harness, &path, &guard(7)), json!({"type": "guard", "id": 7, "on": true}));

    // The key pasted into a page that is not one of its integrations: named, and recorded.
    let lines = audit_lines(&harness).len();
    let warned = ask(&mut harness, &path, &check_paste(8, SHOP, &format!(" {secret}\n")));
    assert_eq!(
        warned,
        json!({
            "type": "check_paste", "id": 8,
            "found": {"label": "SendGrid production", "provider": "SendGrid", "integration": false},
            "warning": "This is SendGrid production; shop.example.test is not one of its integrations."
        })
    );
    let recorded = audit_lines(&harness);
    assert_eq!(recorded.len(), lines + 1, "one line");
    let line = recorded.last().unwrap();
    assert_eq!((line.action.word(), line.key.as_deref()), ("paste-warning", Some(key.as_str())));
    assert!(
        line.detail.starts_with(&format!("pasted into {SHOP}, not one of its integrations, from ")),
        "{}",
        line.detail
    );
    assert!(!line.detail.contains(&secret), "never the text");

    // On its own integration's page: no warning, no line.
    let own = ask(&mut harness, &path, &check_paste(9, PAGE, &secret));
    assert_eq!(own["found"]["integration"], true, "{own}");
    assert!(own.get("warning").is_none(), "{own}");
    // A text that is no key of the vault, and one not shaped like a key: nothing.
    let unknown = ask(&mut harness, &path, &check_paste(10, SHOP, &common::sendgrid_key()));
    assert_eq!(unknown, json!({"type": "check_paste", "id": 10}));
    let word = ask(&mut harness, &path, &check_paste(11, SHOP, "hello world"));
    assert_eq!(word["code"], "refused", "{word}");
    let http = ask(&mut harness, &path, &check_paste(12, "http://shop.example.test", &secret));
    assert_eq!(http["code"], "refused", "{http}");
    assert_eq!(audit_lines(&harness).len(), lines + 1, "only the one warning recorded");

    // Locked again: unlock first.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    harness.run();
    let locked = ask(&mut harness, &path, &check_paste(13, SHOP, &secret));
    assert_eq!(locked["code"], "locked", "{locked}");
    assert_eq!(locked["error"], "Unlock Keydesk first: its window is in front of you now.");
}

#[test]
fn a_team_vaults_key_is_named_through_the_same_store_with_a_line_in_its_trail() {
    use crate::ui_team::{ana_makes_a_team_vault, other_member, poll, vault_dir};
    let bao = common::bao::Bao::dev();
    let world = world();
    let mut harness = ana_makes_a_team_vault(&world, &bao);
    let path = crate::browser_window::listen(&mut harness, &world);

    let (vault, team_keys) = other_member(&bao, &vault_dir(&world), &bao.root_token);
    let secret = common::sendgrid_key();
    let meta = KeyMeta {
        integrations: vec![parse_integration(&format!("CRM={PAGE}/settings"))],
        ..KeyMeta::labelled("CRM mail")
    };
    let existing = vault.keys().unwrap();
    let (record, _) = vault
        .add_key(
            &team_keys,
            &existing,
            AddRequest { meta, ..AddRequest::default() },
            &SecretString::from(secret.as_str()),
            &mut keydesk::vault::os_rng(),
            chrono::Utc::now(),
        )
        .unwrap();
    poll(&mut harness, &world);
    ask(&mut harness, &path, &offers(1, PAGE));
    click(&mut harness, "Allow");

    // Off: refused without a look-up.
    let off = ask(&mut harness, &path, &check_paste(2, SHOP, &secret));
    assert_eq!(off["code"], "refused", "{off}");

    // Turned on in the Browsers panel: kept in this computer's team.ron, on record.
    click(&mut harness, "Settings");
    click(&mut harness, CHECKBOX);
    harness.run();
    let config = keydesk::actions::team::read_config(&vault_dir(&world)).unwrap();
    assert!(config.settings.leak_guard, "on, in team.ron");
    assert!(harness.state().team().unwrap().settings.leak_guard);
    assert_eq!(ask(&mut harness, &path, &guard(3)), json!({"type": "guard", "id": 3, "on": true}));

    let warned = ask(&mut harness, &path, &check_paste(4, SHOP, &secret));
    assert_eq!(
        warned["warning"], "This is CRM mail; shop.example.test is not one of its integrations.",
        "{warned}"
    );
    let own = ask(&mut harness, &path, &check_paste(5, PAGE, &secret));
    assert!(own.get("warning").is_none() && own["found"]["integration"] == true, "{own}");
    let unknown = ask(&mut harness, &path, &check_paste(6, SHOP, &common::sendgrid_key()));
    assert_eq!(unknown, json!({"type": "check_paste", "id": 6}));

    let trail = vault.events_after(0).unwrap();
    let warnings: Vec<_> = trail.iter().filter(|event| event.action_word() == "paste-warning").collect();
    assert_eq!(warnings.len(), 1, "one warning in the trail");
    assert!(
        warnings[0].detail.starts_with(&format!("pasted into {SHOP}, not one of its integrations, from "))
    );
    assert_eq!(warnings[0].key.as_ref().map(|(id, _version)| id), Some(&record.id));
    assert_eq!(warnings[0].member, "ana");
    assert!(trail.iter().any(
        |event| event.action_word() == "browser" && event.detail.starts_with("turned on the leak guard")
    ));
}
