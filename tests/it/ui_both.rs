//! One window scenario, clicked as a person would, on a local vault and on a team vault (on
//! the real OpenBao the test script starts): generate with an integration, copy, edit, rotate
//! step by step and finish with the revoke, report a leak and close its incident, and look
//! the old key up. Both kinds run the same screens and the same changes
//! (`ui::session::changes`), so they must say the same, in the same colours, and open the
//! same pages.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use crate::common;

use common::bao::Bao;
use common::window::{World, app, click, create_and_unlock, scroll_to, type_into, world};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keydesk::ui::KeydeskApp;
use keydesk::ui::screens::Screens;
use keydesk::ui::session::ShownOnce;
use keydesk::vault::model::{KeyRecord, KeyStatus};
use secrecy::ExposeSecret;

/// The screens of the open vault, either kind.
fn screens<'h>(harness: &'h Harness<'_, KeydeskApp>) -> &'h Screens {
    let app = harness.state();
    &app.session().unwrap().screens
}

/// The keys of the open vault, either kind (a team vault's as this computer's copy has them).
fn keys(harness: &Harness<'_, KeydeskApp>) -> Vec<KeyRecord> {
    let app = harness.state();
    match app.vault() {
        Some(vault) => vault.keys().to_vec(),
        None => app.team().unwrap().list.iter().map(|k| k.record.clone()).collect(),
    }
}

fn shown_once<'h>(harness: &'h Harness<'_, KeydeskApp>) -> Option<&'h ShownOnce> {
    let app = harness.state();
    app.session().unwrap().shown_once.as_ref()
}

/// Lets a job (a team vault's runs each change as one, answered a frame later) and its reads
/// end.
fn settle(harness: &mut Harness<'_, KeydeskApp>) {
    for _ in 0..4 {
        let _settled = harness.try_run();
    }
}

/// What the window said since the last step, each in its colour (an incident's id named
/// `ID`), then forgotten.
fn said(harness: &mut Harness<'_, KeydeskApp>) -> Vec<String> {
    let toasts = std::mem::take(&mut harness.state_mut().toasts.items);
    toasts
        .into_iter()
        .map(|toast| {
            let mut words: Vec<String> = toast.text.split_whitespace().map(str::to_owned).collect();
            for at in 1..words.len() {
                if words[at - 1] == "Incident" || words[at - 1] == "incident" {
                    let id = words[at].trim_end_matches(['.', ':']).to_owned();
                    words[at] = words[at].replace(&id, "ID");
                }
            }
            format!("{:?}: {}", toast.kind, words.join(" "))
        })
        .collect()
}

/// The scenario on the vault open in `harness`; answers what was said at each step.
fn scenario(harness: &mut Harness<'_, KeydeskApp>, world: &World) -> Vec<(&'static str, Vec<String>)> {
    let mut transcript = Vec::new();
    let _before = said(harness);

    // Generated with an integration: shown once over its page, which opens.
    click(harness, "New key");
    click(harness, "Generate a Keydesk key");
    type_into(harness, "Label", "Webhook signing");
    type_into(harness, "Used by", "HubSpot");
    click(harness, "Generate");
    settle(harness);
    let old = keys(harness).into_iter().find(|k| k.label == "Webhook signing").expect("the key is kept");
    assert_eq!(screens(harness).page(), Some(&old.id), "its page opens");
    let shown = shown_once(harness).expect("the key is shown once");
    let secret = shown.secret.expose_secret().to_owned();
    assert!(secret.starts_with("kd_live_"), "a Keydesk key");
    assert_eq!(old.integrations[0].name, "HubSpot");
    click(harness, "Done");
    assert!(shown_once(harness).is_none());
    transcript.push(("generate", said(harness)));

    // Copied: on the clipboard, recorded, cleared later.
    click(harness, "Copy Webhook signing");
    settle(harness);
    assert_eq!(world.clipboard.contents().as_deref(), Some(secret.as_str()));
    transcript.push(("copy", said(harness)));

    // Edited on its page.
    click(harness, "Edit Webhook signing");
    type_into(harness, "Notes", "Signs the CRM's webhooks.");
    click(harness, "Save Webhook signing");
    settle(harness);
    let edited = keys(harness).into_iter().find(|k| k.id == old.id).unwrap();
    assert_eq!(edited.notes, "Signs the CRM's webhooks.");
    assert!(!screens(harness).detail.editing, "the form closes");
    transcript.push(("edit", said(harness)));

    // Rotated: the replacement is generated, shown once, and its page opens with the steps.
    click(harness, "Rotate Webhook signing");
    harness.get_all_by_label("Rotate").last().unwrap().click();
    settle(harness);
    let new =
        keys(harness).into_iter().find(|k| k.replaces.as_ref() == Some(&old.id)).expect("a replacement");
    assert_eq!(screens(harness).page(), Some(&new.id), "the new key's page opens");
    let made = shown_once(harness).expect("the replacement is shown once").secret.expose_secret().to_owned();
    assert!(made != secret && made.starts_with("kd_live_"));
    click(harness, "Done");
    // What the page reads as it opens (a team vault's incidents and trail) arrives first.
    settle(harness);
    harness.get_by_label_contains("0 of 1 integrations moved");
    transcript.push(("rotate", said(harness)));

    // Each step marked, then the rotation finished with the old key's revoke.
    settle(harness);
    // The page grows as what it reads arrives (a team vault's trail): scrolled to again.
    scroll_to(harness, "Updated: HubSpot");
    scroll_to(harness, "Updated: HubSpot");
    click(harness, "Updated: HubSpot");
    settle(harness);
    scroll_to(harness, "Tested: HubSpot");
    click(harness, "Tested: HubSpot");
    settle(harness);
    harness.get_by_label_contains("1 of 1 integrations moved");
    scroll_to(harness, "Finish rotation: revoke the old key…");
    click(harness, "Finish rotation: revoke the old key…");
    click(harness, "Revoke Webhook signing now");
    settle(harness);
    let revoked = keys(harness).into_iter().find(|k| k.id == old.id).unwrap();
    assert!(matches!(revoked.status, KeyStatus::Revoked { .. }), "{:?}", revoked.status);
    assert!(revoked.rotation.is_none(), "the revoke closed the rotation");
    assert!(screens(harness).revoke.is_none(), "the dialog closes");
    let words = said(harness);
    // HubSpot moved to the new key: nothing is left to update.
    assert!(words.iter().all(|w| !w.contains("Update what used it")), "{words:?}");
    transcript.push(("rotation steps and revoke", words));

    // A suspected leak of the new key: an incident opened, then closed with its summary.
    scroll_to(harness, "Report a suspected leak");
    click(harness, "Report a suspected leak");
    type_into(harness, "Found where", "a public repository");
    type_into(harness, "Noticed by", "Dana");
    scroll_to(harness, "Open incident");
    click(harness, "Open incident");
    settle(harness);
    harness.get_by_label("Found in a public repository, noticed by Dana.");
    scroll_to(harness, "Summary");
    type_into(harness, "Summary", "Rotated within the hour; no sends seen.");
    scroll_to(harness, "Close incident");
    click(harness, "Close incident");
    settle(harness);
    assert!(harness.query_by_label("Close incident").is_none(), "closed");
    transcript.push(("incident", said(harness)));

    // The old secret, pasted into "Which key is this?", names the old key; its page opens.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    harness.run();
    type_into(harness, "Found string", &secret);
    click(harness, "Look it up");
    settle(harness);
    let found = screens(harness).whois.answer.as_ref().expect("an answer").keys.clone();
    assert_eq!(found, std::slice::from_ref(&old.id));
    click(harness, "Open key");
    assert_eq!(screens(harness).page(), Some(&old.id));
    transcript.push(("whois", said(harness)));
    transcript
}

#[test]
fn the_window_says_and_opens_the_same_on_a_local_and_a_team_vault() {
    let local_world = world();
    let mut local = app(&local_world);
    create_and_unlock(&mut local);
    let on_local = scenario(&mut local, &local_world);

    let bao = Bao::dev();
    let team_world = world();
    let mut team = crate::ui_team::ana_makes_a_team_vault(&team_world, &bao);
    assert!(team.state().team().is_some(), "the team vault is open");
    let on_team = scenario(&mut team, &team_world);

    for ((step, local), (_, team)) in on_local.iter().zip(&on_team) {
        assert_eq!(local, team, "{step}: said on a local vault, then on a team vault");
    }
    // Each change said something (a generated key is shown once instead, and what "Which key
    // is this?" found is on its screen).
    for (step, words) in on_local.iter().filter(|(step, _)| !["generate", "whois"].contains(step)) {
        assert!(!words.is_empty(), "{step} said nothing");
    }
}
