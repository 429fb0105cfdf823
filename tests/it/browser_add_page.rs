//! "Add this page to <key>'s integrations": a page no key is offered on, proposed from the
//! browser for one key, is added only once the user confirms in the window (egui_kittest on
//! the real app, the real per-user socket), through the key page's own edit, on record; a
//! cancel, or a page that is not a plain https origin, adds nothing. A team vault goes
//! through the same function, against a real OpenBao.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(clippy::disallowed_methods, reason = "the other member adds its key at the real time")]

use crate::browser_window::{PAGE, add_key, ask, audit_lines, fill, listening, offers};
use crate::common;

use common::window::{click, create_and_unlock, world};
use egui_kittest::kittest::Queryable;
use keydesk::vault::meta::{KeyMeta, parse_integration};
use keydesk::vault::{AddRequest, Replacement};
use secrecy::SecretString;
use serde_json::{Value, json};

const WIKI: &str = "https://wiki.example.test";

fn keys(id: u64, origin: &str) -> Value {
    json!({"type": "keys", "id": id, "origin": origin})
}

fn add_page(id: u64, origin: &str, key: &str) -> Value {
    json!({"type": "add_page", "id": id, "origin": origin, "key": key})
}

#[test]
fn a_page_proposed_from_the_browser_is_added_only_once_confirmed_in_the_window() {
    let world = world();
    let (mut harness, path) = listening(&world);
    create_and_unlock(&mut harness);
    let secret = common::sendgrid_key();
    let key = add_key(&mut harness, "CRM mail", &secret, &[&format!("CRM={PAGE}/s"), "Zapier"]);
    let retiring = add_key(&mut harness, "Old mail", &common::sendgrid_key(), &["Blog"]);
    {
        let vault = harness.state_mut().vault_mut().unwrap();
        vault.rotate(&retiring, Replacement::Pasted(SecretString::from(common::sendgrid_key()))).unwrap();
    }
    harness.run();
    ask(&mut harness, &path, &offers(1, WIKI));
    click(&mut harness, "Allow");
    let integrations = |harness: &egui_kittest::Harness<'_, _>| -> Vec<keydesk::vault::model::Integration> {
        let app: &keydesk::ui::KeydeskApp = harness.state();
        app.vault().unwrap().key(&key).unwrap().integrations.clone()
    };
    let before = integrations(&harness);
    let lines = audit_lines(&harness).len();

    // Not a plain https origin: refused, saying why, before any key is listed or proposed.
    for (origin, why) in [
        ("http://wiki.example.test", "Only https pages"),
        ("https://127.0.0.1", "IP address"),
        ("https://wiki.example.test:99999", "port is not a number from 1 to 65535"),
    ] {
        for request in [keys(2, origin), add_page(3, origin, key.as_str())] {
            let refused = ask(&mut harness, &path, &request);
            assert_eq!(refused["code"], "refused", "{origin}: {refused}");
            let said = refused["error"].as_str().unwrap();
            assert!(said.contains(why), "{said}");
        }
    }

    // The keys it could go to, by label and provider, no secret: not a key being replaced
    // (its new key takes the page instead).
    let listed = ask(&mut harness, &path, &keys(4, WIKI));
    let ids: Vec<&str> =
        listed["keys"].as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "CRM mail and the new key of Old mail: {listed}");
    assert!(!ids.contains(&retiring.as_str()), "{listed}");
    assert_eq!(listed["keys"][0], json!({"key": key.as_str(), "label": "CRM mail", "provider": "SendGrid"}));
    assert!(!listed.to_string().contains(&secret), "no secret in the list");
    let on_crm = ask(&mut harness, &path, &keys(5, PAGE));
    assert!(
        !on_crm["keys"].as_array().unwrap().iter().any(|k| k["key"] == key.as_str()),
        "a key offered on a page is not listed for it: {on_crm}"
    );
    let refused = ask(&mut harness, &path, &add_page(6, WIKI, retiring.as_str()));
    assert_eq!(refused["code"], "refused", "a retiring key takes no page: {refused}");

    // Proposed: the window asks; Cancel adds nothing and records nothing.
    let proposed = ask(&mut harness, &path, &add_page(7, WIKI, key.as_str()));
    assert_eq!(proposed["type"], "add_page", "{proposed}");
    assert_eq!(
        proposed["said"],
        format!(
            "Keydesk asks in its window whether to add {WIKI} to the integrations of \"CRM mail\": answer there, then click again."
        )
    );
    harness.get_by_label(&format!("Add {WIKI} to the integrations of \"CRM mail\"?"));
    click(&mut harness, "Cancel");
    assert!(harness.query_by_label("Add this page?").is_none(), "the question is answered");
    assert_eq!(integrations(&harness), before, "nothing added");
    assert_eq!(audit_lines(&harness).len(), lines, "nothing recorded");
    assert_eq!(ask(&mut harness, &path, &offers(8, WIKI))["offers"], json!([]));

    // Proposed again, named in the window, and added: offered and filled on that page.
    ask(&mut harness, &path, &add_page(9, WIKI, key.as_str()));
    harness.get_by_label("Integration name").click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Integration name").type_text("Team wiki");
    harness.run();
    click(&mut harness, "Add");
    assert!(harness.query_by_label("Add this page?").is_none());
    let added = integrations(&harness);
    assert_eq!(added.len(), before.len() + 1, "{added:?}");
    let last = added.last().unwrap();
    assert_eq!((last.name.as_str(), last.url.as_deref()), ("Team wiki", Some(WIKI)));
    let line = audit_lines(&harness).into_iter().last().unwrap();
    assert_eq!((line.action.word(), line.key.as_deref()), ("edit", Some(key.as_str())));
    assert!(
        line.detail.starts_with(&format!("added integration Team wiki at {WIKI}, proposed from ")),
        "{}",
        line.detail
    );
    harness.get_by_label_contains("is now the integration \"Team wiki\" of \"CRM mail\"");
    let offered = ask(&mut harness, &path, &offers(10, WIKI));
    assert_eq!(offered["offers"][0]["integration"], "Team wiki", "{offered}");
    let filled = ask(&mut harness, &path, &fill(11, WIKI, key.as_str(), "Team wiki"));
    assert_eq!(filled["value"], secret.as_str(), "{filled}");

    // Once there, it is not proposed again.
    let again = ask(&mut harness, &path, &add_page(12, WIKI, key.as_str()));
    assert_eq!(again["code"], "refused", "{again}");
}

#[test]
fn a_lock_forgets_a_proposed_page() {
    let world = world();
    let (mut harness, path) = listening(&world);
    create_and_unlock(&mut harness);
    let key = add_key(&mut harness, "CRM mail", &common::sendgrid_key(), &["Zapier"]);
    harness.run();
    ask(&mut harness, &path, &offers(1, WIKI));
    click(&mut harness, "Allow");
    ask(&mut harness, &path, &add_page(2, WIKI, key.as_str()));
    harness.get_by_label("Add this page?");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    harness.run();
    common::window::unlock(&mut harness);
    harness.run();
    assert!(harness.query_by_label("Add this page?").is_none(), "a lock forgets the question");
    let vault = harness.state().vault().unwrap();
    assert_eq!(vault.key(&key).unwrap().integrations.len(), 1);
}

#[test]
fn a_team_vaults_key_takes_a_proposed_page_through_the_same_store_with_a_line_in_its_trail() {
    use crate::ui_team::{ana_makes_a_team_vault, other_member, poll, vault_dir};
    let bao = common::bao::Bao::dev();
    let world = world();
    let mut harness = ana_makes_a_team_vault(&world, &bao);
    let path = crate::browser_window::listen(&mut harness, &world);

    let (vault, team_keys) = other_member(&bao, &vault_dir(&world), &bao.root_token);
    let secret = common::sendgrid_key();
    let meta = KeyMeta { integrations: vec![parse_integration("Zapier")], ..KeyMeta::labelled("CRM mail") };
    let request = AddRequest { meta, ..AddRequest::default() };
    let existing = vault.keys().unwrap();
    let (record, _) = vault
        .add_key(
            &team_keys,
            &existing,
            request,
            &SecretString::from(secret.as_str()),
            &mut keydesk::vault::os_rng(),
            chrono::Utc::now(),
        )
        .unwrap();
    poll(&mut harness, &world);
    ask(&mut harness, &path, &offers(1, WIKI));
    click(&mut harness, "Allow");

    // Cancel first: nothing on the server.
    ask(&mut harness, &path, &add_page(2, WIKI, record.id.as_str()));
    click(&mut harness, "Cancel");
    let integrations =
        || vault.keys().unwrap().into_iter().find(|k| k.record.id == record.id).unwrap().record.integrations;
    assert_eq!(integrations().len(), 1);

    let listed = ask(&mut harness, &path, &keys(3, WIKI));
    assert_eq!(listed["keys"][0]["label"], "CRM mail", "{listed}");
    ask(&mut harness, &path, &add_page(4, WIKI, record.id.as_str()));
    click(&mut harness, "Add");
    harness.run();
    let added = integrations();
    assert_eq!(
        added.last().map(|i| (i.name.as_str(), i.url.as_deref())),
        Some(("wiki.example.test", Some(WIKI)))
    );
    let trail = vault.events_after(0).unwrap();
    let line = trail.iter().rev().find(|event| event.action_word() == "edit").expect("an edit in the trail");
    assert_eq!(
        line.detail.split(", proposed from ").next(),
        Some(format!("added integration wiki.example.test at {WIKI}").as_str())
    );
    assert_eq!(line.member, "ana");

    poll(&mut harness, &world);
    let offered = ask(&mut harness, &path, &offers(5, WIKI));
    assert_eq!(offered["offers"][0]["key"], record.id.as_str(), "{offered}");
    let filled = ask(&mut harness, &path, &fill(6, WIKI, record.id.as_str(), "wiki.example.test"));
    assert_eq!(filled["value"], secret.as_str(), "{filled}");
}
