//! "Check every key" in the window (egui_kittest on the real app, jobs inline): clicked on
//! the Health screen and on the key list's attention line against a local server, the
//! findings follow the answers, each recorded on its key.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use std::sync::Arc;

use common::window::{app, click, create_and_unlock, world};
use egui_kittest::kittest::Queryable;
use keydesk::providers::Provider;
use keydesk::vault::model::VerifyOutcome;
use keydesk::vault::{AccountRequest, AddRequest, meta::KeyMeta};
use secrecy::SecretString;

fn brevo_key() -> String {
    format!("xkeysib-{}-{}", common::random_chars(common::HEX, 64), common::random_chars(common::ALNUM, 16))
}

#[test]
fn check_every_key_from_the_health_screen_and_the_key_list() {
    let (live, dead) = (brevo_key(), brevo_key());
    let known = Arc::new(live.clone());
    let server = common::mock::Mock::start(move |seen| {
        if seen.url == "/v3/account" && seen.header("api-key") == Some(known.as_str()) {
            common::mock::Reply::json(200, r#"{"email":"ops@example.com"}"#)
        } else {
            common::mock::Reply::json(401, r#"{"code":"unauthorized","message":"Key not found"}"#)
        }
    });
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    {
        let vault = harness.state_mut().vault_mut().unwrap();
        let request = AccountRequest {
            name: "Brevo".into(),
            provider: Provider::Brevo,
            region: None,
            base_url: Some(server.url.clone()),
        };
        let account = vault.add_account(request, None).unwrap();
        for (label, key) in [("Newsletter", &live), ("Old CRM", &dead)] {
            let request = AddRequest {
                meta: KeyMeta::labelled(label),
                provider: Some(Provider::Brevo),
                account: Some(account.clone()),
                ..Default::default()
            };
            vault.add(request, &SecretString::from(key.as_str())).unwrap();
        }
    }
    harness.run();

    // Never checked: the Health screen says so; nothing is refused yet.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num5);
    harness.run();
    harness.get_by_label_contains("Not checked lately");
    assert!(harness.query_by_label_contains("Refused at the provider").is_none());
    harness.get_by_label_contains("No score on record yet");
    click(&mut harness, "Check every key");
    harness.run();
    harness.run();
    assert_eq!(server.seen().len(), 2, "each key asked once");
    // One refused key (critical, 1) and one without an integration (info, 0.1) over two keys:
    // 100 × (1 − 1.1 ÷ 2) = 45, on record and charted.
    harness.get_by_label_contains(
        "Checked 2 keys: 1 works · 1 refused · 0 could not tell. Health score: 45/100.",
    );
    harness.run();
    harness.get_by_label_contains("Score 45 on 1 Nov (1 score on record).");
    harness.get_by_label("Health scores from 1 Nov to 1 Nov: 45");
    // The findings follow: the dead key is refused, and no key is unchecked any more.
    harness.get_by_label_contains("Refused at the provider, still active here");
    assert!(harness.query_by_label_contains("Not checked lately").is_none());
    let outcomes: Vec<(String, Option<VerifyOutcome>)> = harness
        .state()
        .vault()
        .unwrap()
        .keys()
        .iter()
        .map(|k| (k.label.clone(), k.last_verified.as_ref().map(|v| v.outcome.clone())))
        .collect();
    assert!(outcomes.contains(&("Old CRM".into(), Some(VerifyOutcome::Unauthorized))), "{outcomes:?}");
    assert!(
        outcomes.iter().any(|(l, o)| l == "Newsletter" && o.as_ref().is_some_and(VerifyOutcome::works)),
        "{outcomes:?}"
    );

    // The key list's attention line has the same button while a key is not verified.
    click(&mut harness, "Keys");
    harness.get_by_label_contains("1 not verified");
    click(&mut harness, "Check every key");
    harness.run();
    harness.run();
    assert_eq!(server.seen().len(), 4);
    let audit = harness.state().vault().unwrap().file().audit.entries;
    assert!(audit >= 4 + 3, "every answer is in the audit log ({audit} entries)");

    // The old key revoked and every key checked again: the chart has each score.
    world.clock.advance_secs(30);
    let session = harness.state_mut().session_mut().unwrap();
    let old = session.vault_mut().unwrap().keys().iter().find(|k| k.label == "Old CRM").unwrap().id.clone();
    session.vault_mut().unwrap().revoke_noting(&old, "refused at the provider", "revoked there").unwrap();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num5);
    harness.run();
    click(&mut harness, "Check every key");
    harness.run();
    harness.run();
    harness.get_by_label_contains("Health score: 90/100.");
    harness.run();
    harness.get_by_label_contains("Score 45 to 90 since 1 Nov (3 scores on record).");
    harness.get_by_label("Health scores from 1 Nov to 1 Nov: 45, 45, 90");
}

/// A Brevo that answers `live` at once and `held` only once `gate` opens (two threads, so one
/// held answer does not hold the other).
fn gated_brevo(
    live: &str,
    held: &str,
    gate: &Arc<std::sync::atomic::AtomicBool>,
) -> (String, Vec<std::thread::JoinHandle<()>>) {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let url = format!("http://127.0.0.1:{}", server.server_addr().to_ip().unwrap().port());
    let threads = (0..2)
        .map(|_| {
            let (server, live, held, gate) = (server.clone(), live.to_owned(), held.to_owned(), gate.clone());
            #[allow(clippy::disallowed_methods, reason = "the test's own server")]
            std::thread::spawn(move || {
                for _ in 0..1 {
                    let request = server.recv().unwrap();
                    let key = request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv("api-key"))
                        .map(|h| h.value.to_string());
                    let status = if key.as_deref() == Some(live.as_str()) {
                        200
                    } else {
                        while !gate.load(std::sync::atomic::Ordering::SeqCst) {
                            std::thread::sleep(std::time::Duration::from_millis(5));
                        }
                        if key.as_deref() == Some(held.as_str()) { 200 } else { 401 }
                    };
                    let _gone =
                        request.respond(tiny_http::Response::from_string("{}").with_status_code(status));
                }
            })
        })
        .collect();
    (url, threads)
}

#[test]
fn answers_are_recorded_as_they_arrive_while_the_check_runs_with_its_progress_bar() {
    let (fast, slow) = (brevo_key(), brevo_key());
    let gate = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (url, threads) = gated_brevo(&fast, &slow, &gate);
    let world = world();
    let mut harness = common::window::app_with(&world, false);
    create_and_unlock(&mut harness);
    {
        let vault = harness.state_mut().vault_mut().unwrap();
        let request = AccountRequest {
            name: "Brevo".into(),
            provider: Provider::Brevo,
            region: None,
            base_url: Some(url),
        };
        let account = vault.add_account(request, None).unwrap();
        for (label, key) in [("Fast", &fast), ("Slow", &slow)] {
            let request = AddRequest {
                meta: KeyMeta::labelled(label),
                provider: Some(Provider::Brevo),
                account: Some(account.clone()),
                ..Default::default()
            };
            vault.add(request, &SecretString::from(key.as_str())).unwrap();
        }
    }
    click(&mut harness, "Health");
    click(&mut harness, "Check every key");
    let verified = |app: &keydesk::ui::app::KeydeskApp, label: &str| {
        app.vault().unwrap().keys().iter().any(|k| k.label == label && k.last_verified.is_some())
    };
    common::window::step_until(&mut harness, "the fast key's answer is recorded", |app| {
        verified(app, "Fast")
    });
    // Recorded while the other is still out, with the job's progress in the top bar.
    assert!(!verified(harness.state(), "Slow"));
    assert!(harness.state().session().unwrap().local_home().unwrap().checking.is_some());
    harness.step();
    harness.get_by_label_contains("1 done · 1 left");
    harness.get_by_label("Cancel");
    gate.store(true, std::sync::atomic::Ordering::SeqCst);
    common::window::step_until(&mut harness, "the check ends", |app| {
        verified(app, "Slow") && app.session().unwrap().local_home().unwrap().checking.is_none()
    });
    harness.step();
    harness.get_by_label_contains("Checked 2 keys: 2 work · 0 refused · 0 could not tell.");
    for thread in threads {
        thread.join().unwrap();
    }
}

/// Locks the window (idle past its auto-lock) after `days`, then unlocks it.
fn days_later(
    harness: &mut egui_kittest::Harness<'_, keydesk::ui::KeydeskApp>,
    world: &common::window::World,
    days: i64,
) {
    world.clock.advance_days(days);
    harness.run();
    assert!(!harness.state().is_unlocked(), "locked after being idle");
    common::window::unlock(harness);
    harness.run();
    harness.run();
}

#[test]
fn the_weekly_check_is_opt_in_and_runs_when_due_while_unlocked() {
    let live = brevo_key();
    let known = Arc::new(live.clone());
    let server = common::mock::Mock::start(move |seen| {
        if seen.url == "/v3/account" && seen.header("api-key") == Some(known.as_str()) {
            common::mock::Reply::json(200, r#"{"email":"ops@example.com"}"#)
        } else {
            common::mock::Reply::json(401, r#"{"code":"unauthorized","message":"Key not found"}"#)
        }
    });
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    {
        let vault = harness.state_mut().vault_mut().unwrap();
        let request = AccountRequest {
            name: "Brevo".into(),
            provider: Provider::Brevo,
            region: None,
            base_url: Some(server.url.clone()),
        };
        let account = vault.add_account(request, None).unwrap();
        let request = AddRequest {
            meta: KeyMeta::labelled("Newsletter"),
            provider: Some(Provider::Brevo),
            account: Some(account),
            ..Default::default()
        };
        vault.add(request, &SecretString::from(live.as_str())).unwrap();
    }
    harness.run();

    // Off unless chosen: a week and a day later, nothing is asked.
    days_later(&mut harness, &world, 8);
    assert!(server.seen().is_empty());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num5);
    harness.run();
    harness.get_by_label_contains("No check of every key yet. Weekly checks are off (Settings).");

    // Chosen in Settings: never checked, so it runs at once.
    click(&mut harness, "Settings");
    click(&mut harness, "Check every key weekly");
    click(&mut harness, "Save settings");
    harness.run();
    harness.run();
    assert!(harness.state().vault().unwrap().file().header.settings.check_weekly);
    assert_eq!(server.seen().len(), 1, "the check ran");
    harness.get_by_label_contains("Checked 1 key: 1 works · 0 refused · 0 could not tell.");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num5);
    harness.run();
    harness.get_by_label_contains(
        "Every key was last checked on 9 Nov. Checked weekly while Keydesk is unlocked: next on 16 Nov.",
    );

    // Six days on it is not due; a seventh, it runs as the vault is unlocked.
    days_later(&mut harness, &world, 6);
    assert_eq!(server.seen().len(), 1, "not due yet");
    days_later(&mut harness, &world, 1);
    assert_eq!(server.seen().len(), 2, "due a week after the last");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num5);
    harness.run();
    harness.get_by_label_contains("Every key was last checked on 16 Nov.");
    harness.get_by_label_contains("Score 90 to 90 since 9 Nov (2 scores on record).");
}
