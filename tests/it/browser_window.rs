//! The browser extension's requests answered by the window (egui_kittest on the real app,
//! jobs inline, the real per-user socket in a folder of the test's): a locked Keydesk says
//! "Unlock Keydesk first"; a browser's first request is put to the user ("Allow …?");
//! offers follow the origin rule; a fill hands the secret over the socket (never the
//! clipboard) and is recorded; a fill of a rotation's new key ticks that integration.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(clippy::disallowed_methods, reason = "the test's browser side runs on a thread of its own")]

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;

use common::window::{World, app, click, create_and_unlock, scroll_to, world};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keydesk::browser::socket;
use keydesk::providers::Provider;
use keydesk::ui::KeydeskApp;
use keydesk::vault::meta::{KeyMeta, parse_integration};
use keydesk::vault::model::KeyId;
use keydesk::vault::{AddRequest, Replacement};
use secrecy::SecretString;
use serde_json::{Value, json};

pub(crate) const PAGE: &str = "https://crm.example.test";

/// Sends `request` as the native host would and steps the window until it answers.
pub(crate) fn ask(harness: &mut Harness<'_, KeydeskApp>, path: &Path, request: &Value) -> Value {
    let (sender, answered) = channel();
    let (path, body) = (path.to_owned(), request.to_string());
    std::thread::spawn(move || {
        let reply = socket::ask(&path, body.as_bytes()).map(|bytes| bytes.to_vec());
        sender.send(reply).unwrap();
    });
    for _ in 0..1000 {
        harness.step();
        if let Ok(reply) = answered.try_recv() {
            let _settled = harness.try_run();
            return serde_json::from_slice(&reply.expect("the window answers")).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the window did not answer {request}");
}

pub(crate) fn offers(id: u64, origin: &str) -> Value {
    json!({"type": "offers", "id": id, "origin": origin})
}

pub(crate) fn fill(id: u64, origin: &str, key: &str, integration: &str) -> Value {
    json!({"type": "fill", "id": id, "origin": origin, "key": key, "integration": integration})
}

pub(crate) fn listening(world: &World) -> (Harness<'static, KeydeskApp>, PathBuf) {
    let mut harness = app(world);
    let path = listen(&mut harness, world);
    (harness, path)
}

/// Makes `harness`'s window listen for browsers at $XDG_RUNTIME_DIR/keydesk/browser.sock, in
/// a runtime folder of the test's; gives the socket's path.
pub(crate) fn listen(harness: &mut Harness<'static, KeydeskApp>, world: &World) -> PathBuf {
    std::fs::create_dir(world.dir.path().join("run")).unwrap();
    let path = world.dir.path().join("run/keydesk/browser.sock");
    let ctx = harness.ctx.clone();
    harness.state_mut().listen_for_browsers(&ctx, &path).unwrap();
    path
}

pub(crate) fn add_key(
    harness: &mut Harness<'_, KeydeskApp>,
    label: &str,
    secret: &str,
    integrations: &[&str],
) -> KeyId {
    let vault = harness.state_mut().vault_mut().unwrap();
    let meta = KeyMeta {
        integrations: integrations.iter().map(|i| parse_integration(i)).collect(),
        ..KeyMeta::labelled(label)
    };
    let request = AddRequest { meta, provider: Some(Provider::SendGrid), ..AddRequest::default() };
    vault.add(request, &SecretString::from(secret)).unwrap().0
}

pub(crate) fn audit_lines(harness: &Harness<'_, KeydeskApp>) -> Vec<keydesk::vault::audit::Record> {
    let vault = harness.state().vault().unwrap();
    keydesk::vault::audit::parse(&vault.audit_text().unwrap())
}

#[test]
fn a_browser_asks_once_then_fills_only_its_integrations_pages_on_record() {
    let world = world();
    let (mut harness, path) = listening(&world);

    // No vault open yet: the extension is told to unlock first.
    let locked = ask(&mut harness, &path, &offers(1, PAGE));
    assert_eq!(locked["code"], "locked", "{locked}");
    assert_eq!(locked["error"], "Unlock Keydesk first: its window is in front of you now.");

    create_and_unlock(&mut harness);
    let secret = common::sendgrid_key();
    let key = add_key(&mut harness, "CRM mail", &secret, &[&format!("CRM={PAGE}/settings/api"), "Zapier"]);
    let other =
        add_key(&mut harness, "Shop mail", &common::sendgrid_key(), &["Shop=https://shop.example.test/x"]);
    harness.run();

    // The first request from this browser is put to the user, who allows it.
    let asked = ask(&mut harness, &path, &offers(2, PAGE));
    assert_eq!(asked["code"], "refused", "{asked}");
    assert!(asked["error"].as_str().unwrap().contains("answer there, then click again"), "{asked}");
    harness.get_by_label_contains("to ask Keydesk for keys on the pages of your integrations?");
    click(&mut harness, "Allow");
    assert!(harness.query_by_label("Allow").is_none(), "the question is answered");
    let allowed = audit_lines(&harness).into_iter().last().unwrap();
    assert_eq!(allowed.action.word(), "browser");
    assert!(allowed.detail.starts_with("allowed "), "{}", allowed.detail);

    // Offered on its integration's page only.
    let offered = ask(&mut harness, &path, &offers(3, PAGE));
    assert_eq!(offered["offers"].as_array().unwrap().len(), 1, "{offered}");
    assert_eq!(offered["offers"][0]["key"], key.as_str());
    assert_eq!(offered["offers"][0]["integration"], "CRM");
    for elsewhere in
        ["https://crm.example.test.evil.example", "http://crm.example.test", "https://shop.example.test:8443"]
    {
        let none = ask(&mut harness, &path, &offers(4, elsewhere));
        assert_eq!(none["offers"], json!([]), "{elsewhere}: {none}");
    }

    // A fill: the secret over the socket, nothing on the clipboard, one audit line.
    let filled = ask(&mut harness, &path, &fill(5, PAGE, key.as_str(), "CRM"));
    assert_eq!(filled["type"], "fill", "{filled}");
    assert_eq!(filled["value"], secret.as_str());
    assert_eq!(world.clipboard.contents(), None, "nothing went through the clipboard");
    let line = audit_lines(&harness).into_iter().last().unwrap();
    assert_eq!((line.action.word(), line.key.as_deref()), ("fill", Some(key.as_str())));
    assert!(line.detail.starts_with(&format!("into CRM at {PAGE}, from ")), "{}", line.detail);

    // Another key, an integration the page is not, or a page of another key: refused.
    for (key_id, integration) in [(other.as_str(), "Shop"), (key.as_str(), "Zapier")] {
        let refused = ask(&mut harness, &path, &fill(6, PAGE, key_id, integration));
        assert_eq!(refused["code"], "refused", "{refused}");
        assert!(refused.get("value").is_none());
    }
    let lookalike =
        ask(&mut harness, &path, &fill(7, "https://crm.example.test.evil.example", key.as_str(), "CRM"));
    assert_eq!(lookalike["code"], "refused", "{lookalike}");
    let fills = audit_lines(&harness).iter().filter(|r| r.action.word() == "fill").count();
    assert_eq!(fills, 1, "a refused fill hands out nothing and records no fill");

    // A rotation: the new key is offered first on the page, and filling it ticks "updated".
    let new_secret = common::sendgrid_key();
    let (new_key, _) = {
        let vault = harness.state_mut().vault_mut().unwrap();
        vault.rotate(&key, Replacement::Pasted(SecretString::from(new_secret.as_str()))).unwrap()
    };
    harness.run();
    let during = ask(&mut harness, &path, &offers(8, PAGE));
    assert_eq!(during["offers"][0]["key"], new_key.as_str(), "{during}");
    assert_eq!(during["offers"][0]["role"], "rotation_new");
    let filled = ask(&mut harness, &path, &fill(9, PAGE, new_key.as_str(), "CRM"));
    assert_eq!(filled["value"], new_secret.as_str());
    let old = harness.state().vault().unwrap().key(&key).unwrap().clone();
    let step = old.rotation.as_ref().unwrap().steps.iter().find(|s| s.integration == "CRM").unwrap().clone();
    assert!(step.updated_at.is_some(), "filling the new key into CRM ticked its step");
    harness.get_by_label_contains("CRM now holds the new key of");
}

#[test]
fn a_browser_not_allowed_is_refused_until_keydesk_starts_again() {
    let world = world();
    let (mut harness, path) = listening(&world);
    create_and_unlock(&mut harness);
    let key = add_key(&mut harness, "CRM mail", &common::sendgrid_key(), &[&format!("CRM={PAGE}/s")]);
    harness.run();
    let asked = ask(&mut harness, &path, &offers(1, PAGE));
    assert_eq!(asked["code"], "refused");
    click(&mut harness, "Don't allow");
    for request in [offers(2, PAGE), fill(3, PAGE, key.as_str(), "CRM")] {
        let refused = ask(&mut harness, &path, &request);
        assert_eq!(refused["code"], "refused", "{refused}");
        assert!(
            refused["error"].as_str().unwrap().starts_with("You did not allow this browser"),
            "{refused}"
        );
    }
    assert!(harness.query_by_label("Allow").is_none(), "asked once only");
    assert!(!harness.state().vault().unwrap().file().header.browsers.iter().any(|_| true));
}

#[test]
fn a_team_vaults_key_is_filled_through_the_same_store_and_recorded_in_its_trail() {
    use crate::ui_team::{ana_makes_a_team_vault, other_member, poll, vault_dir};
    let bao = common::bao::Bao::dev();
    let world = world();
    let mut harness = ana_makes_a_team_vault(&world, &bao);
    let path = listen(&mut harness, &world);

    let (vault, keys) = other_member(&bao, &vault_dir(&world), &bao.root_token);
    let secret = common::sendgrid_key();
    let meta = KeyMeta {
        integrations: vec![parse_integration(&format!("CRM={PAGE}/s"))],
        ..KeyMeta::labelled("CRM mail")
    };
    let request = AddRequest { meta, ..AddRequest::default() };
    let existing = vault.keys().unwrap();
    let (record, _) = vault
        .add_key(
            &keys,
            &existing,
            request,
            &SecretString::from(secret.as_str()),
            &mut keydesk::vault::os_rng(),
            chrono::Utc::now(),
        )
        .unwrap();
    poll(&mut harness, &world);

    let asked = ask(&mut harness, &path, &offers(1, PAGE));
    assert_eq!(asked["code"], "refused", "{asked}");
    click(&mut harness, "Allow");
    let team_ron = std::fs::read_to_string(vault_dir(&world).join("team.ron")).unwrap();
    assert!(team_ron.contains("browsers"), "kept on this computer: {team_ron}");
    let offered = ask(&mut harness, &path, &offers(2, PAGE));
    assert_eq!(offered["offers"][0]["key"], record.id.as_str(), "{offered}");
    let filled = ask(&mut harness, &path, &fill(3, PAGE, record.id.as_str(), "CRM"));
    assert_eq!(filled["value"], secret.as_str(), "{filled}");
    assert_eq!(world.clipboard.contents(), None);
    let trail = vault.events_after(0).unwrap();
    let line = trail.iter().rev().find(|event| event.action_word() == "fill").expect("a fill in the trail");
    assert!(line.detail.starts_with(&format!("into CRM at {PAGE}, from ")), "{}", line.detail);
    assert_eq!(line.member, "ana");

    // The key's page lists its fills from the team's trail, read as it opens.
    click(&mut harness, "Open CRM mail");
    common::window::step_until(&mut harness, "the trail read", |app| {
        app.team().is_some() && app.session().is_some_and(|s| s.audit_cache.is_some())
    });
    harness.run();
    harness.get_by_label("Filled into browser pages");
    assert_eq!(harness.query_all_by_label(PAGE).count(), 1, "one fill, with its page in its own cell");
    assert_eq!(harness.query_all_by_label("CRM").count(), 2, "its integration, and the fill into it");
    harness.key_press(egui::Key::Escape);
    harness.run();

    // The Browsers panel lists it; "Stop allowing" takes it back, through the same store
    // verb, with a line in the team's trail, and its next request asks again.
    click(&mut harness, "Settings");
    let browser =
        harness.state().team().unwrap().settings.browsers.first().cloned().expect("one browser allowed");
    harness.get_by_label(&browser);
    click(&mut harness, "Stop allowing");
    harness.run();
    let config = keydesk::actions::team::read_config(&vault_dir(&world)).unwrap();
    assert!(config.settings.browsers.is_empty(), "taken back on this computer");
    assert!(harness.state().team().unwrap().settings.browsers.is_empty());
    harness.get_by_label_contains("No browser may ask for keys.");
    let consent: Vec<String> = vault
        .events_after(0)
        .unwrap()
        .into_iter()
        .filter(|event| event.action_word() == "browser")
        .map(|event| event.detail)
        .collect();
    assert_eq!(
        consent,
        [
            format!("allowed {browser} to ask for keys on its integrations' pages"),
            format!("stopped allowing {browser} to ask for keys")
        ]
    );
    let asked = ask(&mut harness, &path, &fill(4, PAGE, record.id.as_str(), "CRM"));
    assert_eq!(asked["code"], "refused", "{asked}");
    assert!(asked["error"].as_str().unwrap().contains("answer there, then click again"), "{asked}");
    assert!(asked.get("value").is_none());
}

/// The browser the window names for this test's own process (the "browser" here).
fn this_browser(harness: &Harness<'_, KeydeskApp>) -> String {
    harness.state().vault().unwrap().file().header.browsers.first().cloned().expect("one browser allowed")
}

#[test]
fn a_browser_allowed_is_listed_in_settings_and_stop_allowing_makes_it_ask_again() {
    let world = world();
    let (mut harness, path) = listening(&world);
    create_and_unlock(&mut harness);
    let key = add_key(&mut harness, "CRM mail", &common::sendgrid_key(), &[&format!("CRM={PAGE}/s")]);
    harness.run();
    click(&mut harness, "Settings");
    harness.get_by_label_contains("No browser may ask for keys.");
    assert!(harness.query_by_label("Stop allowing").is_none());

    ask(&mut harness, &path, &offers(1, PAGE));
    click(&mut harness, "Allow");
    let browser = this_browser(&harness);
    scroll_to(&mut harness, "Stop allowing");
    harness.get_by_label(&browser);
    let offered = ask(&mut harness, &path, &offers(2, PAGE));
    assert_eq!(offered["offers"][0]["key"], key.as_str(), "{offered}");

    click(&mut harness, "Stop allowing");
    assert!(harness.state().vault().unwrap().file().header.browsers.is_empty(), "taken back");
    assert!(harness.query_by_label("Stop allowing").is_none(), "no longer listed");
    harness.get_by_label_contains("No browser may ask for keys.");
    let line = audit_lines(&harness).into_iter().last().unwrap();
    assert_eq!(line.action.word(), "browser");
    assert_eq!(line.detail, format!("stopped allowing {browser} to ask for keys"));

    // Its next request asks again, and fills nothing meanwhile.
    let asked = ask(&mut harness, &path, &fill(3, PAGE, key.as_str(), "CRM"));
    assert_eq!(asked["code"], "refused", "{asked}");
    assert!(asked.get("value").is_none());
    assert!(asked["error"].as_str().unwrap().contains("answer there, then click again"), "{asked}");
    harness.get_by_label_contains("to ask Keydesk for keys on the pages of your integrations?");
    assert!(!audit_lines(&harness).iter().any(|r| r.action.word() == "fill"), "nothing was filled");
}

#[test]
fn a_keys_page_lists_its_fills_newest_first_with_the_rest_counted() {
    let world = world();
    let (mut harness, path) = listening(&world);
    create_and_unlock(&mut harness);
    let shop = "https://shop.example.test";
    let key = add_key(
        &mut harness,
        "CRM mail",
        &common::sendgrid_key(),
        &[&format!("CRM={PAGE}/s"), &format!("Shop={shop}/x")],
    );
    harness.run();
    ask(&mut harness, &path, &offers(1, PAGE));
    click(&mut harness, "Allow");
    let browser = this_browser(&harness);
    for id in 2..13 {
        let filled = ask(&mut harness, &path, &fill(id, PAGE, key.as_str(), "CRM"));
        assert_eq!(filled["type"], "fill", "{filled}");
    }
    let filled = ask(&mut harness, &path, &fill(13, shop, key.as_str(), "Shop"));
    assert_eq!(filled["type"], "fill", "{filled}");

    click(&mut harness, "Open CRM mail");
    scroll_to(&mut harness, "Filled into browser pages");
    // Ten rows, the newest (the shop's) first: its page and browser in their own cells.
    assert_eq!(harness.query_all_by_label(shop).count(), 1);
    assert_eq!(harness.query_all_by_label(PAGE).count(), 9, "the newest ten: the shop's and nine of CRM's");
    assert_eq!(harness.query_all_by_label(&browser).count(), 10);
    harness.get_by_label("and 2 more fills (History below lists them all)");
    let shop_row = harness.get_by_label(shop).rect().min.y;
    let crm_row = harness.query_all_by_label(PAGE).map(|node| node.rect().min.y).fold(f32::MAX, f32::min);
    assert!(shop_row < crm_row, "newest first");
}

#[test]
fn mark_as_tested_from_the_page_ticks_the_rotations_step_once_it_was_filled() {
    let world = world();
    let (mut harness, path) = listening(&world);
    create_and_unlock(&mut harness);
    let key =
        add_key(&mut harness, "CRM mail", &common::sendgrid_key(), &[&format!("CRM={PAGE}/s"), "Zapier"]);
    harness.run();
    ask(&mut harness, &path, &offers(1, PAGE));
    click(&mut harness, "Allow");
    let (new_key, _) = {
        let vault = harness.state_mut().vault_mut().unwrap();
        vault.rotate(&key, Replacement::Pasted(SecretString::from(common::sendgrid_key()))).unwrap()
    };
    harness.run();
    let step = |harness: &Harness<'_, KeydeskApp>| {
        let old = harness.state().vault().unwrap().key(&key).unwrap().clone();
        old.rotation.unwrap().steps.into_iter().find(|s| s.integration == "CRM").unwrap()
    };

    // Before the new key is filled there, nothing to test is offered.
    let before = ask(&mut harness, &path, &offers(2, PAGE));
    assert_eq!(before["offers"][0]["key"], new_key.as_str(), "{before}");
    assert!(before["offers"][0].get("to_test").is_none(), "{before}");
    let filled = ask(&mut harness, &path, &fill(3, PAGE, new_key.as_str(), "CRM"));
    assert_eq!(filled["type"], "fill", "{filled}");
    let after = ask(&mut harness, &path, &offers(4, PAGE));
    assert_eq!(after["offers"][0]["to_test"], true, "filled: the page offers Mark as tested: {after}");
    assert!(after["offers"][1].get("to_test").is_none(), "the old key is not tested: {after}");

    // The old key is no rotation's new key: refused, nothing ticked.
    let refused = ask(
        &mut harness,
        &path,
        &json!({"type": "tested", "id": 5, "origin": PAGE, "key": key.as_str(), "integration": "CRM"}),
    );
    assert_eq!(refused["code"], "refused", "{refused}");
    assert_eq!(step(&harness).tested_at, None);

    let tested = ask(
        &mut harness,
        &path,
        &json!({"type": "tested", "id": 6, "origin": PAGE, "key": new_key.as_str(), "integration": "CRM"}),
    );
    assert_eq!(tested["type"], "tested", "{tested}");
    assert_eq!(tested["id"], 6);
    assert!(tested["said"].as_str().unwrap().starts_with("CRM is marked tested"), "{tested}");
    let ticked = step(&harness);
    assert!(ticked.updated_at.is_some() && ticked.tested_at.is_some(), "{ticked:?}");
    let line = audit_lines(&harness).into_iter().last().unwrap();
    assert_eq!((line.action.word(), line.key.as_deref()), ("rotate", Some(key.as_str())));
    assert!(line.detail.ends_with("CRM tested"), "{}", line.detail);
    harness.get_by_label_contains("CRM is marked tested with the new key");
    let done = ask(&mut harness, &path, &offers(7, PAGE));
    assert!(done["offers"][0].get("to_test").is_none(), "tested: nothing left to mark: {done}");

    // The old key's page shows the step ticked, as its own checkbox would.
    harness.state_mut().session_mut().unwrap().screens.screen =
        keydesk::ui::state::Screen::Detail(key.clone());
    harness.run();
    use egui_kittest::kittest::NodeT;
    let ticked = |label: &str| harness.get_by_label(label).accesskit_node().toggled();
    assert_eq!(ticked("Tested: CRM"), Some(egui::accesskit::Toggled::True));
    assert_eq!(
        ticked("Tested: Zapier"),
        Some(egui::accesskit::Toggled::False),
        "only the page's integration"
    );
}
