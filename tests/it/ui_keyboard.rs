//! Keyboard paths and guardrails, as a person meets them: where the cursor is when a screen
//! opens, what Enter, Esc, the arrows and Ctrl+C do, and the questions asked before changes
//! that are hard to undo.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use common::window::{app, click, create_and_unlock, type_into, world};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keydesk::ui::KeydeskApp;
use keydesk::ui::state::Screen;
use secrecy::ExposeSecret;

fn generate_key(harness: &mut Harness<'_, KeydeskApp>, label: &str) {
    click(harness, "New key");
    // The label field has the cursor: typing goes there, Enter generates.
    assert!(harness.get_by_label("Label").is_focused(), "new key: the label field");
    harness.get_by_label("Label").type_text(label);
    harness.run();
    harness.key_press(egui::Key::Enter);
    harness.run();
    click(harness, "Done");
    click(harness, "Keys");
}

fn screen(harness: &Harness<'_, KeydeskApp>) -> Screen {
    harness.state().session().unwrap().screens.screen.clone()
}

#[test]
fn the_cursor_starts_in_the_first_field_and_enter_submits() {
    let world = world();
    let mut harness = app(&world);
    assert!(harness.get_by_label("Master password").is_focused(), "create: the password field");
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Webhook");
    assert_eq!(harness.state().vault().unwrap().keys()[0].label, "Webhook", "Enter generated it");
    // The revoke dialog opens with the cursor in its reason.
    click(&mut harness, "More for Webhook");
    click(&mut harness, "Revoke Webhook…");
    assert!(harness.get_by_label("Reason").is_focused());
}

#[test]
fn esc_and_alt_left_leave_a_key_page_and_unsaved_edits_are_asked_about() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Webhook");
    click(&mut harness, "Open Webhook");
    assert!(matches!(screen(&harness), Screen::Detail(_)));
    harness.key_press(egui::Key::Escape);
    harness.run();
    assert_eq!(screen(&harness), Screen::Keys);
    click(&mut harness, "Open Webhook");
    harness.key_press_modifiers(egui::Modifiers::ALT, egui::Key::ArrowLeft);
    harness.run();
    assert_eq!(screen(&harness), Screen::Keys);

    // Escape closes an open menu first, and only then leaves the screen (Settings here).
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num4);
    harness.run();
    harness.get_by_label("Appearance").click();
    harness.run();
    harness.get_by_label("Dark");
    harness.key_press(egui::Key::Escape);
    harness.run();
    assert!(harness.query_by_label("Dark").is_none(), "the menu closed");
    assert_eq!(screen(&harness), Screen::Settings, "and the screen stayed");
    harness.key_press(egui::Key::Escape);
    harness.run();
    assert_eq!(screen(&harness), Screen::Keys);

    // An edit not saved: leaving asks, Cancel stays with the edit, Discard leaves.
    click(&mut harness, "Open Webhook");
    click(&mut harness, "Edit Webhook");
    type_into(&mut harness, "Notes", "rotate before the launch");
    click(&mut harness, "Keys");
    harness.get_by_label("Discard your changes to \"Webhook\"?");
    click(&mut harness, "Cancel");
    assert!(matches!(screen(&harness), Screen::Detail(_)));
    assert_eq!(harness.state().session().unwrap().screens.detail.form.notes, "rotate before the launch");
    // The same key opened again (its label in the list beside the page) keeps what is typed.
    let id = harness.state().vault().unwrap().keys()[0].id.clone();
    let ctx = harness.ctx.clone();
    harness.state_mut().run_cmd(&ctx, keydesk::ui::session::Command::OpenKey(id).into());
    harness.run();
    assert_eq!(harness.state().session().unwrap().screens.detail.form.notes, "rotate before the launch");
    click(&mut harness, "Keys");
    click(&mut harness, "Discard changes");
    assert_eq!(screen(&harness), Screen::Keys);
    assert_eq!(harness.state().vault().unwrap().keys()[0].notes, "", "nothing was saved");

    // Cancel in the form gives the typed changes up: leaving asks nothing then.
    click(&mut harness, "Open Webhook");
    click(&mut harness, "Edit Webhook");
    type_into(&mut harness, "Notes", "half a thought");
    click(&mut harness, "Cancel editing Webhook");
    let detail = &harness.state().session().unwrap().screens.detail;
    assert!(!detail.editing && detail.form.notes.is_empty(), "the form is closed and emptied");
    click(&mut harness, "Keys");
    assert_eq!(screen(&harness), Screen::Keys, "nothing left to discard");
}

#[test]
fn arrows_walk_the_list_and_ctrl_c_copies_the_selected_key() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    for label in ["Alpha", "Beta", "Gamma"] {
        generate_key(&mut harness, label);
    }
    harness.key_press(egui::Key::ArrowDown);
    harness.key_press(egui::Key::ArrowDown);
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::C);
    harness.run();
    let vault = harness.state().vault().unwrap();
    let beta = vault.keys().iter().find(|k| k.label == "Beta").unwrap().id.clone();
    let copied = world.clipboard.contents().expect("the selected key was copied");
    let mut vault_secret = None;
    if let Some(session) = harness.state_mut().session_mut() {
        vault_secret = session.vault_mut().unwrap().secret_to_copy(&beta).ok();
    }
    assert_eq!(Some(copied), vault_secret.map(|s| s.expose_secret().to_owned()));
    // Enter opens the selected key.
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert_eq!(screen(&harness), Screen::Detail(beta));
}

#[test]
fn hard_to_undo_changes_are_asked_about_first() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Webhook");
    click(&mut harness, "Open Webhook");
    click(&mut harness, "Rotate Webhook");
    harness.get_by_label("Rotate \"Webhook\"?");
    click(&mut harness, "Cancel");
    assert_eq!(harness.state().vault().unwrap().keys().len(), 1, "Cancel rotates nothing");
    click(&mut harness, "Rotate Webhook");
    // The question's own button: the page's names the key.
    harness.get_by_label("Rotate").click();
    harness.run();
    assert_eq!(harness.state().vault().unwrap().keys().len(), 2, "confirmed, rotated");
    click(&mut harness, "Done");

    click(&mut harness, "API settings");
    type_into(&mut harness, "Account name", "SG");
    click(&mut harness, "Add account");
    click(&mut harness, "Remove");
    harness.get_by_label("Remove the account \"SG\"?");
    click(&mut harness, "Cancel");
    assert_eq!(harness.state().vault().unwrap().file().accounts.len(), 1);
    click(&mut harness, "Remove");
    click(&mut harness, "Remove account");
    assert_eq!(harness.state().vault().unwrap().file().accounts.len(), 0);
}

#[test]
fn a_weak_master_password_needs_a_deliberate_yes() {
    let world = world();
    let mut harness = app(&world);
    type_into(&mut harness, "Master password", "password");
    type_into(&mut harness, "Repeat password", "password");
    click(&mut harness, "Create vault");
    harness.run();
    assert!(!harness.state().is_unlocked());
    harness.get_by_label_contains("This password is easy to guess");
    click(&mut harness, "Use this weak password anyway");
    // The error goes as soon as the user acts on it… and the vault is made when asked again.
    click(&mut harness, "Create vault");
    common::window::step_until(&mut harness, "the vault opens", KeydeskApp::is_unlocked);
}

#[test]
fn a_pasted_key_loses_the_spaces_around_it() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    click(&mut harness, "New key");
    click(&mut harness, "Paste a provider's key");
    type_into(&mut harness, "Label", "SendGrid");
    let key = common::sendgrid_key();
    type_into(&mut harness, "Key", &format!("  {key}\n"));
    harness.get_by_label_contains("Recognised: SendGrid");
    click(&mut harness, "Check it at the provider after adding (one request)");
    click(&mut harness, "Add key");
    let session = harness.state_mut().session_mut().unwrap();
    assert_eq!(session.screens.new_key.error, None);
    let id = session.vault_mut().unwrap().keys()[0].id.clone();
    assert_eq!(session.vault_mut().unwrap().reveal(&id).unwrap().expose_secret(), key);
}

#[test]
fn an_empty_vault_says_where_to_start() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let heading = harness.get_by_label("No keys yet").rect();
    // The buttons are centred under the heading, the usual start (a key from a provider) first.
    let buttons = ["Paste a key from your provider", "Generate a Keydesk key", "Add a provider account"];
    let rects: Vec<egui::Rect> = buttons.iter().map(|b| harness.get_by_label(b).rect()).collect();
    for (button, rect) in buttons.iter().zip(&rects) {
        let off = (rect.center().x - heading.center().x).abs();
        assert!(off < 2.0, "{button} is {off} px off the heading's centre");
    }
    assert!(rects.windows(2).all(|w| w[0].top() < w[1].top()), "Paste comes first, then Generate");
    click(&mut harness, "Paste a key from your provider");
    assert_eq!(screen(&harness), Screen::New);
    assert_eq!(harness.state().session().unwrap().screens.new_key.mode, keydesk::ui::state::NewMode::Paste);
    click(&mut harness, "Keys");
    click(&mut harness, "Generate a Keydesk key");
    assert_eq!(
        harness.state().session().unwrap().screens.new_key.mode,
        keydesk::ui::state::NewMode::Generate
    );
    click(&mut harness, "Keys");
    click(&mut harness, "Add a provider account");
    assert_eq!(screen(&harness), Screen::Accounts);
}

#[test]
fn tab_from_the_label_goes_to_the_next_field_of_the_form() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    click(&mut harness, "New key");
    assert!(harness.get_by_label("Label").is_focused());
    harness.key_press(egui::Key::Tab);
    harness.run();
    assert!(harness.get_by_label("Prefix").is_focused(), "Tab stays in the form, not the sidebar");
    // Enter on a button of the sidebar is not where the typing went: the form is still there.
    assert_eq!(screen(&harness), Screen::New);
}

#[path = "../../examples/synthetic/mod.rs"]
mod synthetic;

/// A vault of `n` keys (metadata only) in the world's folder, sealed as Keydesk writes it.
fn big_vault(world: &common::window::World, n: usize) {
    use keydesk::storage::{VAULT_FILE, VaultDir, atomic_write};
    use keydesk::vault::{CreateOptions, Env, Vault, format};
    let dir = world.dir.path().join("vault");
    let password = secrecy::SecretString::from(common::window::PASSWORD);
    let env = |storage: VaultDir| Env {
        store: Box::new(world.store.clone()),
        storage: Box::new(storage),
        clock: Box::new(world.clock.clone()),
        rng: common::rng(3),
    };
    let options = CreateOptions {
        backend: keydesk::vault::model::SecretBackend::Keychain,
        kdf: keydesk::vault::crypto::KdfParams::MIN,
    };
    let vault = Vault::create(env(VaultDir::create(&dir).unwrap()), &password, options).unwrap();
    let mut file = vault.file().clone();
    drop(vault);
    let now = keydesk::vault::Clock::now(&world.clock);
    file.keys.extend((0..n).map(|i| synthetic::record(i, now)));
    let text = format::render(&file).unwrap();
    atomic_write(&dir.join(VAULT_FILE), text.as_bytes(), true).unwrap();
    let mut vault = Vault::unlock(env(VaultDir::open(&dir, true).unwrap()), file, &text, &password).unwrap();
    vault.accept_outside_changes("the test, which wrote the keys").unwrap();
}

#[test]
fn enter_pressed_while_a_big_vault_is_still_being_read_is_kept() {
    let world = world();
    big_vault(&world, 10_000);
    // Jobs on threads, as in the real window: the file is read ahead while the user types.
    let mut harness = common::window::app_with(&world, false);
    harness.get_by_label("Master password").type_text(common::window::PASSWORD);
    harness.key_press(egui::Key::Enter);
    harness.step();
    common::window::step_until(&mut harness, "the vault opens on the first Enter", KeydeskApp::is_unlocked);
    assert_eq!(harness.state().vault().unwrap().keys().len(), 10_000);
}

/// Replaces what the focused text field holds with `text`, as a person does: select all, type.
fn replace_text(harness: &mut Harness<'_, KeydeskApp>, text: &str) {
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run();
    if text.is_empty() {
        harness.key_press(egui::Key::Backspace);
    } else {
        harness.get_by_label("Search").type_text(text);
    }
    harness.run();
}

fn label_of(harness: &Harness<'_, KeydeskApp>, id: &keydesk::vault::model::KeyId) -> String {
    let vault = harness.state().vault().unwrap();
    vault.keys().iter().find(|k| k.id == *id).unwrap().label.clone()
}

#[test]
fn the_selection_is_a_key_that_follows_searching_and_sorting() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let mut secrets = std::collections::HashMap::new();
    for label in [
        "Brevo welcome",
        "Klaviyo promo 1",
        "Klaviyo promo 2",
        "Klaviyo promo 3",
        "Klaviyo promo 4",
        "Mailchimp newsletter 1",
        "Mailchimp newsletter 2",
        "Mailchimp newsletter 3",
    ] {
        secrets.insert(common::window::generate_key(&mut harness, label), label);
        click(&mut harness, "Keys");
    }
    let copied = |harness: &mut Harness<'_, KeydeskApp>| {
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::C);
        harness.run();
        let copied = world.clipboard.contents().unwrap_or_default();
        world.clipboard.copy_from_elsewhere("");
        *secrets.get(&copied).expect("a key was copied")
    };
    // A search selects its first match; Down moves from there. Ctrl+C in the search field
    // (no text selected in it) copies the highlighted key, and says so.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    harness.run();
    harness.get_by_label("Search").type_text("klaviyo promo");
    harness.run();
    harness.key_press(egui::Key::ArrowDown);
    harness.key_press(egui::Key::ArrowDown);
    harness.run();
    assert!(harness.get_by_label("Search").is_focused(), "the cursor stays in the search");
    assert_eq!(copied(&mut harness), "Klaviyo promo 3");
    assert!(harness.get_by_label("Search").is_focused(), "a copy's countdown does not take the cursor");
    harness.get_by_label_contains("Copied Klaviyo promo 3");
    // Another search: the key chosen is not shown, so its first match is selected, not the
    // row that happens to sit where the old one was.
    replace_text(&mut harness, "mailchimp newsletter");
    assert_eq!(copied(&mut harness), "Mailchimp newsletter 1");
    harness.key_press(egui::Key::ArrowDown);
    harness.run();
    // Clearing the search keeps the key chosen, wherever it now is in the list.
    replace_text(&mut harness, "");
    harness.key_press(egui::Key::Escape);
    harness.run();
    assert!(!harness.get_by_label("Search").is_focused());
    assert_eq!(copied(&mut harness), "Mailchimp newsletter 2", "Ctrl+C outside the field");
    // So does another order.
    click(&mut harness, "Sort by");
    click(&mut harness, "Newest");
    assert_eq!(copied(&mut harness), "Mailchimp newsletter 2");
    harness.key_press(egui::Key::Enter);
    harness.run();
    let Screen::Detail(opened) = screen(&harness) else { panic!("Enter opens the selected key") };
    assert_eq!(label_of(&harness, &opened), "Mailchimp newsletter 2");
}

#[test]
fn search_and_enter_on_a_rotated_label_open_the_active_key() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    common::window::generate_key(&mut harness, "Partner API");
    click(&mut harness, "Rotate Partner API");
    harness.get_all_by_label("Rotate").last().unwrap().click();
    let _settled = harness.try_run();
    click(&mut harness, "Done");
    click(&mut harness, "Keys");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    harness.run();
    harness.get_by_label("Search").type_text("partner api");
    harness.run();
    harness.key_press(egui::Key::Enter);
    harness.run();
    let Screen::Detail(opened) = screen(&harness) else { panic!("Enter opens the first match") };
    let vault = harness.state().vault().unwrap();
    let status = &vault.keys().iter().find(|k| k.id == opened).unwrap().status;
    assert_eq!(*status, keydesk::vault::model::KeyStatus::Active, "the replacement, not the retiring key");
}

fn weak_box_ticked(harness: &Harness<'_, KeydeskApp>) -> bool {
    use egui_kittest::kittest::NodeT;
    let node = harness.get_by_label("Use this weak password anyway");
    node.accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
}

#[test]
fn tab_from_a_weak_password_goes_to_repeat_and_only_a_click_keeps_it() {
    let world = world();
    let mut harness = app(&world);
    harness.get_by_label("Master password").type_text("password");
    harness.run();
    harness.key_press(egui::Key::Tab);
    harness.run();
    assert!(harness.get_by_label("Repeat password").is_focused(), "Tab goes to Repeat");
    harness.get_by_label("Repeat password").type_text("password");
    harness.run();
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert!(!harness.state().is_unlocked());
    harness.get_by_label_contains("This password is easy to guess");
    assert!(!weak_box_ticked(&harness), "Enter in Repeat does not keep a weak password");
    // The box comes after Repeat; neither Enter nor typing on it ticks it.
    harness.get_by_label("Repeat password").focus();
    harness.run();
    harness.key_press(egui::Key::Tab);
    harness.run();
    assert!(harness.get_by_label("Use this weak password anyway").is_focused());
    harness.key_press(egui::Key::Enter);
    harness.key_press(egui::Key::Space);
    harness.run();
    assert!(!weak_box_ticked(&harness), "keys do not tick it");
    click(&mut harness, "Use this weak password anyway");
    assert!(weak_box_ticked(&harness), "a click does");
}
