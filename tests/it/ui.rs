//! The window driven like a person would: egui_kittest clicks by label on the real app, with
//! the in-memory secret store, a fake clipboard and a clock the test moves.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use std::sync::Arc;

use common::window::{app, click, create_and_unlock, scroll_to, type_into, world};
use egui_kittest::kittest::Queryable;
use keydesk::vault::model::KeyStatus;
use secrecy::ExposeSecret;

#[test]
fn the_whole_marketer_flow() {
    let world = world();
    let mut harness = app(&world);

    // First run: create the vault.
    assert!(harness.query_by_label("Unlock").is_none());
    harness.get_by_label("OS keychain (recommended)");
    create_and_unlock(&mut harness);

    // Lock, then a wrong password: the error shows; the field was wiped as the password left
    // it, and has the focus for the next try.
    click(&mut harness, "Lock");
    assert!(!harness.state().is_unlocked());
    type_into(&mut harness, "Master password", "wrong password!");
    click(&mut harness, "Unlock");
    harness.run();
    assert!(!harness.state().is_unlocked());
    harness.get_by_label_contains("The master password is wrong");
    assert_eq!(harness.get_by_label("Master password").value().map(|v| v.chars().count()), Some(0));
    assert!(harness.get_by_label("Master password").is_focused());

    // The right one.
    harness.get_by_label("Master password").type_text(common::window::PASSWORD);
    harness.run();
    click(&mut harness, "Unlock");
    harness.run();
    assert!(harness.state().is_unlocked());

    // API settings: add a Brevo account (no management key needed).
    click(&mut harness, "API settings");
    click(&mut harness, "Provider");
    click(&mut harness, "Brevo");
    type_into(&mut harness, "Account name", "Brevo marketing");
    click(&mut harness, "Add account");
    let session = harness.state().session().unwrap();
    assert_eq!(session.vault().unwrap().accounts().len(), 1);
    assert_eq!(session.vault().unwrap().accounts()[0].name, "Brevo marketing");

    // Generate a key, labelled, with an integration.
    click(&mut harness, "New key");
    assert_eq!(harness.state().session().unwrap().screens.screen, keydesk::ui::state::Screen::New);
    type_into(&mut harness, "Label", "HubSpot webhook");
    harness.get_by_label_contains("190 bits");
    type_into(&mut harness, "Used by", "HubSpot");
    type_into(&mut harness, "URL", "https://app.hubspot.com/settings");
    click(&mut harness, "Generate");
    let session = harness.state().session().unwrap();
    let record = session.vault().unwrap().keys()[0].clone();
    assert_eq!(record.label, "HubSpot webhook");
    assert_eq!(record.integrations[0].name, "HubSpot");
    let shown = session.shown_once.as_ref().expect("the new key is shown once");
    let secret = shown.secret.expose_secret().to_owned();
    assert!(secret.starts_with("kd_live_"));
    click(&mut harness, "Done");
    assert!(harness.state().session().unwrap().shown_once.is_none());

    // Copy: the clipboard holds it, and is cleared once the clock passes 20 s.
    click(&mut harness, "Copy HubSpot webhook");
    assert_eq!(world.clipboard.contents().as_deref(), Some(secret.as_str()));
    harness.get_by_label_contains("Clipboard: HubSpot webhook clears in 20 s");
    assert_eq!(harness.state().vault().unwrap().keys()[0].copy_count, 1);
    world.clock.advance_secs(21);
    harness.run();
    assert_eq!(world.clipboard.contents(), None, "cleared after 20 s");

    // A second copy, then something else is copied: Keydesk leaves the clipboard alone.
    click(&mut harness, "Copy HubSpot webhook");
    world.clipboard.copy_from_elsewhere("an address the marketer copied");
    world.clock.advance_secs(21);
    harness.run();
    assert_eq!(world.clipboard.contents().as_deref(), Some("an address the marketer copied"));

    // Revoke with a reason: the dialog names the integration; the key shows as revoked.
    click(&mut harness, "Revoke HubSpot webhook…");
    harness.get_by_label_contains("These will stop working: HubSpot.");
    type_into(&mut harness, "Reason", "pasted in a public channel");
    // Where it leaked opens an incident first, as on a team vault: the revoke joins it.
    type_into(&mut harness, "Found in", "a public Slack channel");
    harness.get_by_label("Create a replacement right away").click();
    harness.run();
    click(&mut harness, "Revoke HubSpot webhook now");
    let session = harness.state().session().unwrap();
    assert!(
        matches!(&session.vault().unwrap().keys()[0].status, KeyStatus::Revoked { reason, .. } if reason == "pasted in a public channel")
    );
    let incidents = &session.vault().unwrap().file().incidents;
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        (incidents[0].found_where.as_str(), incidents[0].key.clone()),
        ("a public Slack channel", record.id.clone())
    );
    assert!(
        incidents[0].timeline.iter().any(|step| step.what.starts_with("Revoked: ")),
        "{:?}",
        incidents[0].timeline
    );
    // The Incidents screen lists it, as a team vault's does, and closes it with a summary.
    // (The navigation's entry: the key's page has a section of that name.)
    harness.get_all_by_label("Incidents").next().unwrap().click();
    harness.run();
    harness.get_by_label("\"HubSpot webhook\"");
    harness.get_by_label("Found in a public Slack channel.");
    type_into(&mut harness, "Summary", "Rotated within the hour");
    click(&mut harness, "Close incident");
    let closed = &harness.state().vault().unwrap().file().incidents[0];
    assert_eq!((closed.summary.as_str(), closed.closed_at.is_some()), ("Rotated within the hour", true));
    assert!(world.store.snapshot().keys().all(|k| !k.ends_with(record.id.as_str())), "its secret is gone");
    click(&mut harness, "Keys");
    type_into(&mut harness, "Search", "HubSpot");
    harness.get_by_label("revoked");

    // Auto-lock after the idle time: the unlock screen, and no secret left in the app.
    world.clock.advance_secs(5 * 60 + 1);
    harness.run();
    assert!(!harness.state().is_unlocked());
    assert!(harness.state().session().is_none());
    harness.get_by_label("Unlock");
}

#[test]
fn paste_recognises_the_provider_and_refuses_bad_values() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    harness.run();
    click(&mut harness, "Paste a provider's key");
    type_into(&mut harness, "Label", "Transactional");
    type_into(&mut harness, "Key", "SG.tooshort");
    harness.get_by_label_contains("starts like a SendGrid key");
    // A format Keydesk does not know is not called recognised (nor shown in the good colour).
    harness.get_by_label("Key").focus();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Key").type_text("zq7-unknown-format-4b1d9e0c2a");
    harness.run();
    harness.get_by_label_contains("does not recognise this key's format");
    assert!(harness.query_by_label_contains("Recognised").is_none());
    harness.get_by_label("Key").focus();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Key").type_text(&common::sendgrid_key());
    harness.run();
    harness.get_by_label("Recognised: SendGrid");
    // No network in this test: the check after adding is switched off, as a user may.
    click(&mut harness, "Check it at the provider after adding (one request)");
    click(&mut harness, "Add key");
    let session = harness.state().session().unwrap();
    assert_eq!(session.vault().unwrap().keys()[0].provider, keydesk::providers::Provider::SendGrid);
}

#[test]
fn keyboard_paths() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    for (key, heading) in [
        (egui::Key::Num2, "API settings"),
        (egui::Key::Num3, "Audit log"),
        (egui::Key::Num4, "Master password"),
    ] {
        harness.key_press_modifiers(egui::Modifiers::COMMAND, key);
        harness.run();
        assert!(harness.query_all_by_label(heading).next().is_some(), "{heading}");
    }
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    harness.run();
    assert!(harness.get_by_label("Search").is_focused());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    harness.run();
    assert!(!harness.state().is_unlocked());
}

#[test]
fn a_pasted_key_is_checked_at_the_provider_and_verify_reports() {
    let key = format!(
        "xkeysib-{}-{}",
        common::random_chars(common::HEX, 64),
        common::random_chars(common::ALNUM, 16)
    );
    let (expected, valid) = (key.clone(), Arc::new(std::sync::Mutex::new(true)));
    let valid2 = valid.clone();
    let server = common::mock::Mock::start(move |seen| {
        if seen.url == "/v3/account" && seen.header("api-key") == Some(&expected) && *valid2.lock().unwrap() {
            common::mock::Reply::json(200, r#"{"email":"ops@example.com"}"#)
        } else {
            common::mock::Reply::json(401, r#"{"code":"unauthorized","message":"Key not found"}"#)
        }
    });
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    common::window::paste_into_new_account(&mut harness, "Brevo", &server.url, "Brevo CRM", &key, true);
    harness.run();
    let record = harness.state().vault().unwrap().keys()[0].clone();
    assert_eq!(record.last_verified.map(|v| v.outcome.works()), Some(true), "checked after adding");
    assert_eq!(server.seen().len(), 1);

    // The key is revoked at Brevo behind Keydesk's back: Verify on the key's page says so.
    *valid.lock().unwrap() = false;
    click(&mut harness, "Verify Brevo CRM");
    harness.run();
    // Said in a toast, on the key's "Last verified" line and in its history.
    assert_eq!(
        harness.query_all_by_label_contains("Refused: the provider does not accept this key").count(),
        3
    );
    let record = harness.state().vault().unwrap().keys()[0].clone();
    assert_eq!(
        record.last_verified.map(|v| v.outcome),
        Some(keydesk::vault::model::VerifyOutcome::Unauthorized)
    );
    // The list does not call a refused key fine: it still counts as not verified.
    click(&mut harness, "Keys");
    assert!(harness.query_by_label("Nothing needs attention.").is_none());
    harness.get_by_label_contains("1 not verified");
    harness.get_by_label("refused by Brevo");
}

#[test]
fn the_key_list_says_nothing_needs_attention_only_when_it_is_true() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    assert!(harness.query_by_label("Nothing needs attention.").is_none(), "not of an empty vault");
    common::window::generate_key(&mut harness, "Newsletter sync");
    click(&mut harness, "Keys");
    harness.get_by_label("Nothing needs attention.");
    // A Keydesk key's check is its checksum: it is active, not "works".
    click(&mut harness, "More for Newsletter sync");
    click(&mut harness, "Verify Newsletter sync");
    let session = harness.state().session().unwrap();
    assert!(session.vault().unwrap().keys()[0].last_verified.is_some(), "checked");
    assert!(harness.query_by_label("works").is_none());
    harness.get_by_label("active");
    // An open incident needs attention: the green line goes.
    let session = harness.state_mut().session_mut().unwrap();
    let key = session.vault_mut().unwrap().keys()[0].id.clone();
    let report = keydesk::vault::incidents::IncidentReport {
        found_where: "a support ticket".into(),
        ..Default::default()
    };
    let id = session.vault_mut().unwrap().open_incident(&key, &report).unwrap();
    harness.run();
    harness.get_by_label_contains(&format!("Open incident {id}"));
    assert!(harness.query_by_label("Nothing needs attention.").is_none());
}

#[test]
fn an_unreadable_vault_file_shows_a_banner_and_is_left_alone() {
    let world = world();
    {
        let mut harness = app(&world);
        create_and_unlock(&mut harness);
    }
    let path = world.dir.path().join("vault").join("vault.ron");
    let broken = std::fs::read_to_string(&path).unwrap().replacen("format:5,", "format:5,,", 1);
    std::fs::write(&path, &broken).unwrap();
    let mut harness = app(&world);
    harness.get_by_label_contains("vault.ron cannot be read: line 3");
    harness.get_by_label_contains("restore vault.ron.bak");
    type_into(&mut harness, "Master password", common::window::PASSWORD);
    click(&mut harness, "Unlock");
    harness.run();
    assert!(!harness.state().is_unlocked());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken, "never overwritten");
}

#[test]
fn a_key_with_full_access_is_flagged_on_its_page() {
    let key = common::sendgrid_key();
    let expected = key.clone();
    let server = common::mock::Mock::start(move |seen| {
        if seen.url == "/v3/scopes" && seen.header("authorization") == Some(&format!("Bearer {expected}")) {
            common::mock::Reply::json(200, r#"{"scopes":["api_keys.create","api_keys.delete","mail.send"]}"#)
        } else {
            common::mock::Reply::json(401, r#"{"errors":[{"message":"authorization required"}]}"#)
        }
    });
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    common::window::paste_into_new_account(&mut harness, "SendGrid", &server.url, "CRM mail", &key, true);
    harness.run();
    harness.get_by_label("api_keys.create, api_keys.delete, mail.send");
    harness
        .get_by_label_contains("Full access: if what uses it only sends mail, make a Mail Send key instead");
}

#[test]
fn which_key_is_this_names_an_active_a_revoked_and_an_unknown_string() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let active = common::window::generate_key(&mut harness, "Newsletter sync");
    let revoked = common::window::generate_key(&mut harness, "Old webhook");
    click(&mut harness, "Revoke Old webhook…");
    type_into(&mut harness, "Reason", "replaced last spring");
    click(&mut harness, "Revoke Old webhook now");

    let look_up = |harness: &mut egui_kittest::Harness<'_, keydesk::ui::KeydeskApp>, text: &str| {
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
        harness.run();
        harness.get_by_label_contains("Paste a string found in a log");
        // Found in a log line, with the line break a copy brings along.
        type_into(harness, "Found string", &format!("{text}\n"));
        click(harness, "Look it up");
        assert!(
            harness.state().session().unwrap().screens.whois.candidate.is_empty(),
            "the pasted string is wiped"
        );
    };

    look_up(&mut harness, &active);
    harness.get_by_label_contains("It is \"Newsletter sync\"");
    harness.get_by_label_contains("Active: it has not been revoked.");
    assert!(harness.query_by_label_contains("it works").is_none(), "never checked, so not said to work");
    // Inside a pasted log line, a header or an .env line, the key is found too.
    for line in [format!("Authorization: Bearer {active}"), format!("NEWSLETTER_KEY='{active}' # prod")] {
        look_up(&mut harness, &line);
        harness.get_by_label_contains("It is \"Newsletter sync\"");
    }
    look_up(&mut harness, &revoked);
    harness.get_by_label_contains("It is \"Old webhook\"");
    harness.get_by_label_contains("Revoked on");
    harness.get_by_label_contains("(replaced last spring)");
    assert!(harness.query_by_label("Suspected leak: revoke…").is_none(), "a revoked key offers no revoke");
    look_up(&mut harness, "kd_live_0000000000000000000000000000000000000");
    harness.get_by_label("No key in this vault matches that string.");
    assert!(harness.query_by_label_contains("The field keeps the first").is_none());
    // A paste longer than the field is cut at its end, and the answer says so.
    look_up(&mut harness, &format!("{} {active}", "x".repeat(1100)));
    harness.get_by_label("No key in this vault matches that string.");
    harness.get_by_label_contains("The field keeps the first 1024 characters of a paste");

    // The leak response starts from the answer, inside an incident: where it was found is
    // asked first, then the revoke dialog opens for the active key.
    look_up(&mut harness, &active);
    click(&mut harness, "Suspected leak: revoke…");
    harness.get_by_label_contains("Say where the key was found");
    assert!(harness.query_by_label("Revoke Newsletter sync now").is_none());
    type_into(&mut harness, "Found where", "a support e-mail");
    click(&mut harness, "Suspected leak: revoke…");
    harness.get_by_label("Revoke Newsletter sync now");
    let incidents = harness.state().vault().unwrap().file().incidents.clone();
    assert_eq!((incidents.len(), incidents[0].found_where.as_str()), (1, "a support e-mail"));
    let session = harness.state().session().unwrap();
    let audit = session.vault().unwrap().audit_text().unwrap();
    assert_eq!(audit.matches("action:Whois").count(), 7, "every look-up is on record");
    for secret in [&active, &revoked] {
        assert!(!audit.contains(secret.as_str()), "the string itself is not");
    }
}

#[test]
fn unlocking_says_what_is_due() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let now = keydesk::vault::Clock::now(&world.clock);
    for (label, field, value) in [
        ("Monthly", "Rotate every", "30".to_owned()),
        ("Trial", "Expires", (now + chrono::Duration::days(35)).format("%Y-%m-%d").to_string()),
        ("Quiet", "Rotate every", "365".to_owned()),
    ] {
        click(&mut harness, "New key");
        type_into(&mut harness, "Label", label);
        type_into(&mut harness, field, &value);
        click(&mut harness, "Generate");
        click(&mut harness, "Done");
    }
    // Nothing was due at the first unlock; 31 days later (the vault locked itself meanwhile)
    // one rotation is overdue and one key expires within the week.
    assert!(harness.query_by_label_contains("need rotation").is_none());
    world.clock.advance_days(31);
    harness.run();
    assert!(!harness.state().is_unlocked());
    common::window::unlock(&mut harness);
    harness.get_by_label_contains("1 key needs rotation, 1 key expires this week");
}

#[test]
fn a_rotated_key_shows_as_retiring_with_its_replacement_in_the_list() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    common::window::generate_key(&mut harness, "Partner API");
    // The key's page counts its uses over the last 90 days.
    harness.get_by_label("Activity, last 90 days");
    harness.get_by_label("0 copies");
    click(&mut harness, "Copy Partner API");
    harness.get_by_label("1 copy");
    click(&mut harness, "Rotate Partner API");
    // The question's own "Rotate" button (the page's, behind it, names the key).
    harness.get_by_label("Rotate").click();
    let _settled = harness.try_run();
    click(&mut harness, "Done");
    click(&mut harness, "Keys");
    let today = keydesk::vault::Clock::now(&world.clock).format("%Y-%m-%d").to_string();
    harness.get_by_label(&format!("retiring — replaced by Partner API, {today}"));
    let session = harness.state().session().unwrap();
    let old =
        session.vault().unwrap().keys().iter().find(|k| k.rotation.is_some()).expect("a rotation under way");
    assert!(old.rotation.as_ref().unwrap().steps.is_empty(), "no integrations to move");
}

#[test]
fn a_rotation_with_two_integrations_survives_a_restart_and_finishes() {
    let world = world();
    let old_secret;
    {
        let mut harness = app(&world);
        create_and_unlock(&mut harness);
        click(&mut harness, "New key");
        type_into(&mut harness, "Label", "Partner API");
        for (name, url) in [("HubSpot", "https://app.hubspot.com/settings"), ("Zapier", "")] {
            click(&mut harness, "Add integration");
            harness.get_all_by_label("Used by").last().unwrap().click();
            harness.run();
            harness.get_all_by_label("Used by").last().unwrap().type_text(name);
            harness.run();
            if !url.is_empty() {
                harness.get_all_by_label("URL").last().unwrap().click();
                harness.run();
                harness.get_all_by_label("URL").last().unwrap().type_text(url);
                harness.run();
            }
        }
        click(&mut harness, "Generate");
        old_secret =
            harness.state().session().unwrap().shown_once.as_ref().unwrap().secret.expose_secret().to_owned();
        click(&mut harness, "Done");
        click(&mut harness, "Rotate Partner API");
        harness.get_all_by_label("Rotate").last().unwrap().click();
        let _settled = harness.try_run();
        click(&mut harness, "Done");
        // The new key's page: a row per integration, nothing moved yet, Finish not offered.
        harness.get_by_label_contains("0 of 2 integrations moved");
        harness.get_by_label("Open its settings");
        assert!(harness.query_by_label("Rotate Partner API").is_none(), "one rotation at a time");
        use egui_kittest::kittest::NodeT;
        assert!(harness.get_by_label("Finish rotation: revoke the old key…").accesskit_node().is_disabled());
        click(&mut harness, "Updated: HubSpot");
        click(&mut harness, "Tested: HubSpot");
        harness.get_by_label_contains("1 of 2 integrations moved");
    }

    // Restarted: the rotation is read back from vault.ron. The old key's page is found from
    // its secret on "Which key is this?".
    let mut harness = app(&world);
    common::window::unlock(&mut harness);
    harness.get_by_label("retiring — 1 of 2 integrations moved to Partner API");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    harness.run();
    type_into(&mut harness, "Found string", &old_secret);
    click(&mut harness, "Look it up");
    click(&mut harness, "Open key");
    harness.get_by_label_contains("1 of 2 integrations moved");
    click(&mut harness, "Updated: Zapier");
    click(&mut harness, "Tested: Zapier");
    harness.get_by_label_contains("2 of 2 integrations moved");
    scroll_to(&mut harness, "Finish rotation: revoke the old key…");
    click(&mut harness, "Finish rotation: revoke the old key…");
    // The dialog does not offer to replace a key whose replacement is made.
    let replace = egui_kittest::kittest::NodeT::accesskit_node(
        &harness.get_by_label("Create a replacement right away"),
    )
    .toggled();
    assert_eq!(replace, Some(egui::accesskit::Toggled::False));
    click(&mut harness, "Revoke Partner API now");

    let session = harness.state().session().unwrap();
    assert_ne!(
        session.screens.screen,
        keydesk::ui::state::Screen::New,
        "no New key screen after the rotation"
    );
    let keys = session.vault().unwrap().keys();
    let old = keys.iter().find(|k| k.replaced_by.is_some()).unwrap();
    assert!(matches!(&old.status, KeyStatus::Revoked { reason, .. } if reason.starts_with("rotated to ")));
    assert!(old.rotation.is_none(), "the revoke closed the rotation");
    let audit = session.vault().unwrap().audit_text().unwrap();
    for line in [
        "HubSpot updated",
        "HubSpot tested",
        "Zapier updated",
        "Zapier tested",
        "rotation closed with 2 of 2 integrations moved",
    ] {
        assert!(audit.contains(line), "{line} is not in the audit log");
    }
}

#[test]
fn a_rotation_is_abandoned_from_the_window_the_new_key_revoked_the_old_one_active_again() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    common::window::generate_key(&mut harness, "Partner API");
    click(&mut harness, "Rotate Partner API");
    harness.get_all_by_label("Rotate").last().unwrap().click();
    let _settled = harness.try_run();
    click(&mut harness, "Done");
    // The new key's page holds the rotation: giving it up asks why first.
    use egui_kittest::kittest::NodeT;
    let abandon = "Abandon rotation: revoke the new key…";
    assert!(harness.get_by_label(abandon).accesskit_node().is_disabled(), "a reason is asked first");
    scroll_to(&mut harness, "Abandon, because");
    type_into(&mut harness, "Abandon, because", "the new key was pasted in a chat");
    scroll_to(&mut harness, abandon);
    click(&mut harness, abandon);
    click(&mut harness, "Revoke Partner API now");
    harness.get_by_label_contains("abandoned: the new key is revoked, the old one is active again");

    let session = harness.state().session().unwrap();
    let keys = session.vault().unwrap().keys();
    let old = keys.iter().find(|k| k.replaces.is_none()).unwrap();
    let new = keys.iter().find(|k| k.replaces.is_some()).unwrap();
    assert!(old.is_live() && old.rotation.is_none() && old.replaced_by.is_none(), "{old:?}");
    assert!(
        matches!(&new.status, KeyStatus::Revoked { reason, .. } if reason == "rotation abandoned: the new key was pasted in a chat"),
        "{:?}",
        new.status
    );
    let audit = session.vault().unwrap().audit_text().unwrap();
    assert!(audit.contains("abandoned: the new key was pasted in a chat"), "in the audit log");
}

#[test]
fn an_open_incident_stays_on_the_key_list_until_closed() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    common::window::generate_key(&mut harness, "Newsletter sync");
    // Opened from the command line (or another window) on the same vault.
    let session = harness.state_mut().session_mut().unwrap();
    let key = session.vault_mut().unwrap().keys()[0].id.clone();
    let report = keydesk::vault::incidents::IncidentReport {
        found_where: "a support ticket".into(),
        ..Default::default()
    };
    let id = session.vault_mut().unwrap().open_incident(&key, &report).unwrap();
    click(&mut harness, "Keys");
    harness.get_by_label(&format!("Open incident {id}: \"Newsletter sync\" found in a support ticket"));
    harness.state_mut().vault_mut().unwrap().close_incident(&id, "a test key, nothing sent").unwrap();
    harness.run();
    assert!(harness.query_by_label_contains("Open incident").is_none());
}

#[test]
fn a_suspected_leak_is_reported_revoked_written_up_and_closed_on_the_key_page() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    common::window::generate_key(&mut harness, "Newsletter sync");
    scroll_to(&mut harness, "Report a suspected leak");
    click(&mut harness, "Report a suspected leak");
    scroll_to(&mut harness, "Open incident");
    click(&mut harness, "Open incident");
    harness.get_by_label_contains("Say where the key was found");
    type_into(&mut harness, "Found where", "a public repository");
    type_into(&mut harness, "Noticed by", "Dana");
    scroll_to(&mut harness, "Open incident");
    click(&mut harness, "Open incident");
    let id = harness.state().vault().unwrap().file().incidents[0].id.clone();
    harness.get_by_label_contains(&format!("Incident {id} opened."));
    harness.get_by_label("Found in a public repository, noticed by Dana.");
    assert!(harness.query_by_label("Report a suspected leak").is_none(), "one open incident at a time");
    // The header says so beside the key's status, in red, above any "active".
    harness.get_by_label("incident open");

    // The page's header, with Revoke, is at its top.
    scroll_to(&mut harness, "Revoke Newsletter sync…");
    click(&mut harness, "Revoke Newsletter sync…");
    type_into(&mut harness, "Reason", "found in a public repository");
    click(&mut harness, "Revoke Newsletter sync now");
    let timeline = harness.state().vault().unwrap().file().incidents[0].timeline.len();
    assert!(timeline >= 2, "the revoke joined the incident");
    // The revoke went on to a replacement; the key list leads back to the incident.
    click(&mut harness, "Keys");
    harness.get_by_label(&format!("Open incident {id}: \"Newsletter sync\" found in a public repository"));
    click(&mut harness, "Open key");

    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("incident.md");
    scroll_to(&mut harness, "Report file");
    type_into(&mut harness, "Report file", path.to_str().unwrap());
    let write = format!("Write the report of {id}");
    scroll_to(&mut harness, &write);
    click(&mut harness, &write);
    harness.get_by_label_contains(&format!("Wrote the report of incident {id}"));
    let report = std::fs::read_to_string(&path).unwrap();
    assert!(report.contains("a public repository") && report.contains("Dana"), "{report}");

    // Closed without a summary: said on the page, in the incident's own words.
    scroll_to(&mut harness, "Close incident");
    click(&mut harness, "Close incident");
    harness.get_by_label_contains("The summary is empty");
    assert!(harness.query_by_label_contains("revoke reason").is_none());
    scroll_to(&mut harness, "Summary");
    type_into(&mut harness, "Summary", "Revoked within the hour; no sends seen.");
    scroll_to(&mut harness, "Close incident");
    click(&mut harness, "Close incident");
    let incident = harness.state().vault().unwrap().file().incidents[0].clone();
    assert!(incident.closed_at.is_some());
    assert_eq!(incident.summary, "Revoked within the hour; no sends seen.");
    harness.get_by_label("closed");
    assert!(harness.query_by_label("Close incident").is_none());
    assert!(harness.query_by_label("incident open").is_none(), "a closed incident leaves the header");
}

/// A local SendGrid that answers as its API does, an account for it, and "CRM mail" (used by
/// HubSpot) made there; the server, the ids of the keys live there, and the key shown once.
fn crm_mail_made_at_sendgrid(
    harness: &mut egui_kittest::Harness<'_, keydesk::ui::KeydeskApp>,
) -> (common::mock::Mock, Arc<std::sync::Mutex<Vec<String>>>, String) {
    let management = common::sendgrid_key();
    let live: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let (known, bearer) = (live.clone(), management.clone());
    let sendgrid = common::mock::Mock::start(move |seen| common::mock::sendgrid_keys(seen, &bearer, &known));
    create_and_unlock(harness);
    click(harness, "API settings");
    type_into(harness, "Account name", "SG");
    type_into(harness, "API address", &sendgrid.url);
    type_into(harness, "Management key", &management);
    click(harness, "Add account");
    click(harness, "New key");
    click(harness, "Create at the provider");
    type_into(harness, "Label", "CRM mail");
    type_into(harness, "Used by", "HubSpot");
    click(harness, "Account");
    click(harness, "SG (SendGrid)");
    click(harness, "Create at provider");
    harness.run();
    let shown = harness.state().session().unwrap().shown_once.as_ref().expect("the new key is shown once");
    let secret = shown.secret.expose_secret().to_owned();
    click(harness, "Done");
    (sendgrid, live, secret)
}

/// A SendGrid key that leaked, end to end against a local server that answers as SendGrid's
/// API does: "Which key is this?" names it, "Suspected leak: revoke…" opens the incident and
/// revokes it at SendGrid (DELETE /v3/api_keys/{id}), the replacement made next
/// (POST /v3/api_keys) is linked to it, HubSpot is moved on the checklist, the rotation is
/// finished, and the incident's Markdown report is written and read line by line.
#[test]
fn a_leaked_sendgrid_key_is_named_revoked_and_replaced_at_sendgrid() {
    let world = world();
    let mut harness = app(&world);
    let (sendgrid, live, leaked) = crm_mail_made_at_sendgrid(&mut harness);
    let first_id = live.lock().unwrap()[0].clone();

    // Found in a log: which key is it?
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    harness.run();
    type_into(&mut harness, "Found string", &leaked);
    click(&mut harness, "Look it up");
    type_into(&mut harness, "Found where", "a public GitHub repository");
    type_into(&mut harness, "Noticed by", "GitHub secret scanning");
    click(&mut harness, "Suspected leak: revoke…");
    type_into(&mut harness, "Reason", "found in a public repository");
    click(&mut harness, "Revoke CRM mail now");
    harness.run();
    assert!(live.lock().unwrap().is_empty(), "revoked at SendGrid");
    let deletes: Vec<_> = sendgrid.seen().into_iter().filter(|s| s.method == "DELETE").collect();
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].url, format!("/v3/api_keys/{first_id}"));

    // The replacement: the New screen is already filled in, at SendGrid.
    assert_eq!(harness.state().session().unwrap().screens.screen, keydesk::ui::state::Screen::New);
    click(&mut harness, "Create at provider");
    harness.run();
    click(&mut harness, "Done");
    harness.get_by_label_contains("It replaces \"CRM mail\"");
    let session = harness.state().session().unwrap();
    let keys = session.vault().unwrap().keys();
    let (old, new) = (&keys[0], &keys[1]);
    assert!(
        matches!(&old.status, KeyStatus::Revoked { reason, .. } if reason == "found in a public repository")
    );
    assert_eq!(old.replaced_by.as_ref(), Some(&new.id));
    assert_eq!(new.replaces.as_ref(), Some(&old.id));
    assert_eq!(new.label, "CRM mail");
    assert_eq!(new.provider_key_id.as_deref(), Some(live.lock().unwrap()[0].as_str()));
    let steps: Vec<_> = old.rotation.as_ref().unwrap().steps.iter().map(|s| s.integration.clone()).collect();
    assert_eq!(steps, ["HubSpot"], "HubSpot is to be moved to the new key");
    harness.get_by_label("Rotation");

    // The checklist, on the new key's page: HubSpot updated, then tested; the rotation ends.
    for tick in ["Updated: HubSpot", "Tested: HubSpot"] {
        scroll_to(&mut harness, tick);
        click(&mut harness, tick);
    }
    // The old key was revoked first: finishing does not offer to revoke it again.
    assert!(harness.query_by_label("Finish rotation: revoke the old key…").is_none());
    scroll_to(&mut harness, "Finish rotation (the old key is already revoked)");
    click(&mut harness, "Finish rotation (the old key is already revoked)");
    harness.get_by_label_contains("Rotation finished.");
    assert_eq!(sendgrid.seen().iter().filter(|s| s.method == "DELETE").count(), 1, "revoked once");

    // The incident, on the old key's page: its report written, then read.
    let session = harness.state().session().unwrap();
    let new_id = session.vault().unwrap().keys()[1].id.clone();
    let incident = session.vault().unwrap().file().incidents[0].clone();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    harness.run();
    type_into(&mut harness, "Found string", &leaked);
    click(&mut harness, "Look it up");
    click(&mut harness, "Open key");
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("leak.md");
    scroll_to(&mut harness, "Report file");
    type_into(&mut harness, "Report file", path.to_str().unwrap());
    let write = format!("Write the report of {}", incident.id);
    scroll_to(&mut harness, &write);
    click(&mut harness, &write);
    let report = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], format!("# Incident {}: suspected leak of \"CRM mail\"", incident.id));
    for expected in [
        "- **Found in:** a public GitHub repository",
        "- **Noticed by:** GitHub secret scanning",
        "- **Status:** open",
        "- HubSpot: moved (rotation finished)",
        &format!("- Replaced by \"CRM mail\" (Keydesk id {new_id})."),
        "- [ ] Close the incident with a summary.",
    ] {
        assert!(lines.contains(&expected), "{expected:?} missing from:\n{report}");
    }
    assert!(
        lines.iter().any(|l| l.starts_with("- Revoked ") && l.ends_with("(found in a public repository)."))
    );
    let timeline: Vec<&&str> = lines.iter().filter(|l| l.starts_with("| 20")).collect();
    for step in [
        "Revoked (revoked at SendGrid)",
        "Replacement made",
        "HubSpot updated",
        "HubSpot tested",
        "Rotation finished",
    ] {
        assert!(timeline.iter().any(|l| l.contains(step)), "{step:?} not in the timeline:\n{report}");
    }
    assert!(!report.contains(&leaked), "the report holds no secret");
}

/// Rotating a key whose SendGrid account is set up: the new key is made at SendGrid
/// (POST /v3/api_keys), with the old key's label and integrations, and linked to it; the old
/// key is retiring until its integrations are moved.
#[test]
fn rotating_a_sendgrid_key_makes_the_new_one_at_sendgrid() {
    let world = world();
    let mut harness = app(&world);
    let (_sendgrid, live, _) = crm_mail_made_at_sendgrid(&mut harness);

    click(&mut harness, "Rotate: make the new key at SendGrid");
    click(&mut harness, "Create at provider");
    harness.run();
    click(&mut harness, "Done");
    harness.get_by_label_contains("It replaces \"CRM mail\"");
    assert_eq!(live.lock().unwrap().len(), 2, "both keys work at SendGrid until the old one is revoked");
    let session = harness.state().session().unwrap();
    let (old, new) = (&session.vault().unwrap().keys()[0], &session.vault().unwrap().keys()[1]);
    assert_eq!(old.status, KeyStatus::Retiring);
    assert_eq!(old.replaced_by.as_ref(), Some(&new.id));
    assert_eq!(new.replaces.as_ref(), Some(&old.id));
    assert_eq!((new.label.as_str(), new.integrations[0].name.as_str()), ("CRM mail", "HubSpot"));
    assert_eq!(new.provider_key_id.as_deref(), Some(live.lock().unwrap()[1].as_str()));
    harness.get_by_label("Rotation");
    assert!(
        harness.query_by_label("Rotate: make the new key at SendGrid").is_none(),
        "one rotation at a time"
    );
}

/// "Last used at Elastic Email" on the key's page, asked of a local server that answers as
/// Elastic Email's API does (`GET /v4/security/apikeys/{name}`, the key in
/// `X-ElasticEmail-ApiKey`): a wrong name is said in the warning colour and not kept; the right
/// one gives the date, kept on the key, and the field for the name goes away.
#[test]
fn the_key_page_asks_elastic_email_when_the_key_was_last_used() {
    let key = common::random_chars("0123456789ABCDEF", 96);
    let expected = key.clone();
    let server = common::mock::Mock::start(move |seen| {
        if seen.header("x-elasticemail-apikey") != Some(expected.as_str()) {
            return common::mock::Reply::json(401, r#"{"Error":"Access denied"}"#);
        }
        match seen.url.as_str() {
            "/v4/domains" => common::mock::Reply::json(200, "[]"),
            "/v4/security/apikeys/Shop%20sync" => common::mock::Reply::json(
                200,
                r#"{"AccessLevel":["ViewAccessTokens"],"Name":"Shop sync","DateCreated":"2026-01-05T09:00:00Z","LastUse":"2026-11-20T08:30:00Z","Expires":null}"#,
            ),
            _ => common::mock::Reply::json(404, r#"{"Error":"ApiKey not found"}"#),
        }
    });
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    common::window::paste_into_new_account(
        &mut harness,
        "Elastic Email",
        &server.url,
        "Newsletter",
        &key,
        true,
    );
    harness.run();
    harness.get_by_label("not asked yet");

    type_into(&mut harness, "Its name at Elastic Email", "Shop");
    click(&mut harness, "Ask Elastic Email");
    harness.run();
    // On the "Last used" row (warning colour) and in the key's history.
    assert_eq!(
        harness.query_all_by_label_contains("Elastic Email does not know this key (HTTP 404)").count(),
        2
    );
    assert!(harness.state().vault().unwrap().keys()[0].provider_key_id.is_none());

    type_into(&mut harness, "Its name at Elastic Email", " sync");
    click(&mut harness, "Ask Elastic Email");
    harness.run();
    harness.get_by_label_contains("(2026-11-20 08:30 UTC). Source: Elastic Email's API-key list (LastUse)");
    assert_eq!(
        harness.query_all_by_label_contains("does not know this key").count(),
        1,
        "the old failure is left in the key's history only"
    );
    assert!(harness.query_by_label("Its name at Elastic Email").is_none(), "the name is kept");
    let record = harness.state().vault().unwrap().keys()[0].clone();
    assert_eq!(record.provider_key_id.as_deref(), Some("Shop sync"));
    assert_eq!(record.usage.unwrap().last_used.unwrap().to_rfc3339(), "2026-11-20T08:30:00+00:00");
    let asked: Vec<_> = server.seen().into_iter().filter(|s| s.url.starts_with("/v4/security/")).collect();
    assert_eq!(asked.len(), 2);
}

#[test]
fn the_health_screen_scores_the_vault_and_its_buttons_open_the_fix() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    click(&mut harness, "New key");
    type_into(&mut harness, "Label", "Webhook");
    type_into(&mut harness, "Used by", "HubSpot");
    type_into(&mut harness, "Rotate every", "30");
    click(&mut harness, "Generate");
    click(&mut harness, "Done");
    common::window::generate_key(&mut harness, "Spare");
    let session = harness.state().session().unwrap();
    let id =
        |label: &str| session.vault().unwrap().keys().iter().find(|k| k.label == label).unwrap().id.clone();
    let (webhook, spare) = (id("Webhook"), id("Spare"));

    // Ctrl+5: one key with no integration among two: 100 × (1 − 0.1 ÷ 2) = 95.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num5);
    harness.run();
    assert_eq!(harness.state().session().unwrap().screens.screen, keydesk::ui::state::Screen::Health);
    harness.get_by_label("Health score: 95/100");
    harness.get_by_label("info — No integration recorded");
    harness.get_by_label_contains("No integration is recorded for it");
    click(&mut harness, "Open key");
    assert_eq!(harness.state().session().unwrap().screens.screen, keydesk::ui::state::Screen::Detail(spare));

    // 31 days on, the webhook's rotation is overdue: a warning, and its button opens its page.
    world.clock.advance_days(31);
    harness.run();
    common::window::unlock(&mut harness);
    click(&mut harness, "Health");
    harness.get_by_label("Health score: 75/100");
    harness.get_by_label("warning — Rotation overdue");
    click(&mut harness, "Open to rotate");
    assert_eq!(
        harness.state().session().unwrap().screens.screen,
        keydesk::ui::state::Screen::Detail(webhook)
    );
}

/// A copy the audit log cannot record is no copy, as on a team vault: the secret is taken back
/// off the clipboard and the window says it was not copied (it said "Copied" and left it there).
#[test]
fn a_copy_the_audit_log_cannot_record_is_taken_back_off_the_clipboard() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    common::window::generate_key(&mut harness, "Webhook");
    // The audit log can no longer be written: a folder stands where the file was.
    let audit = world.dir.path().join("vault").join(keydesk::storage::AUDIT_FILE);
    std::fs::remove_file(&audit).unwrap();
    std::fs::create_dir(&audit).unwrap();
    click(&mut harness, "Copy Webhook");
    harness.get_by_label_contains("Webhook was not copied: the audit log could not record it");
    assert_eq!(world.clipboard.contents(), None, "taken back off the clipboard");
    assert!(harness.query_by_label_contains("Clipboard: Webhook clears in").is_none(), "no countdown");
    assert_eq!(harness.state().vault().unwrap().keys()[0].copy_count, 0);
}
