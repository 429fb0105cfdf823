//! The window's shell: what happens while it is not drawn (eframe runs only `App::logic` for
//! a minimized or covered window), a lock in the middle of a provider call, and what egui
//! keeps of typed secrets. Driven with egui_kittest like a person, with a clock the test moves.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use common::mock::{Mock, Reply};
use common::window::{
    PASSWORD, app, app_with, click, create_and_unlock, disabled, generate_key, logic_only, pick, scroll_to,
    step_until, type_into, world,
};
use egui_kittest::kittest::Queryable;
use keydesk::ui::KeydeskApp;
use keydesk::ui::widgets::{SECRET_FIELDS, secret_field_id};
use keydesk::vault::audit::{self, Action, Outcome};
use keydesk::vault::model::KeyStatus;

#[test]
fn timers_fire_from_logic_alone_while_the_window_is_not_drawn() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Webhook");

    // Copy from the key's page, then the window is hidden: only `logic` runs from now on.
    click(&mut harness, "Copy Webhook");
    assert!(world.clipboard.contents().is_some());
    world.clock.advance_secs(19);
    logic_only(&mut harness);
    assert!(world.clipboard.contents().is_some(), "not before the deadline");
    world.clock.advance_secs(2);
    logic_only(&mut harness);
    assert_eq!(world.clipboard.contents(), None, "cleared at the deadline without a frame drawn");
    assert!(harness.state().copy.is_none());

    // Reveal hides itself after 30 s, also unseen.
    harness.step();
    click(&mut harness, "Reveal Webhook");
    assert!(harness.state().session().unwrap().revealed.is_some());
    world.clock.advance_secs(31);
    logic_only(&mut harness);
    assert!(harness.state().session().unwrap().revealed.is_none(), "the revealed secret is dropped");

    // Auto-lock after 5 idle minutes, unseen.
    world.clock.advance_secs(4 * 60);
    logic_only(&mut harness);
    assert!(harness.state().is_unlocked(), "not before the idle time");
    world.clock.advance_secs(61);
    logic_only(&mut harness);
    assert!(!harness.state().is_unlocked(), "locked while hidden");
    assert!(harness.state().session().is_none());
}

#[test]
fn a_job_that_ends_while_the_window_is_hidden_is_recorded() {
    let server = Mock::start(|seen| {
        if seen.url == "/v3/account" {
            Reply::json(200, r#"{"email":"ops@example.com"}"#)
        } else {
            Reply::status(404)
        }
    });
    let world = world();
    let mut harness = app_with(&world, false);
    create_and_unlock(&mut harness);
    let key = format!(
        "xkeysib-{}-{}",
        common::random_chars(common::HEX, 64),
        common::random_chars(common::ALNUM, 16)
    );
    common::window::paste_into_new_account(&mut harness, "Brevo", &server.url, "Brevo CRM", &key, false);
    click(&mut harness, "Add key");
    // From here only `logic` runs, as for a minimized window, until the check is recorded.
    for _ in 0..2000 {
        logic_only(&mut harness);
        let verified = harness.state().vault().unwrap().keys()[0].last_verified.clone();
        if verified.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let record = harness.state().vault().unwrap().keys()[0].clone();
    assert_eq!(record.last_verified.map(|v| v.outcome.works()), Some(true), "recorded unseen");
}

/// A SendGrid key API on 127.0.0.1 that answers as SendGrid documents, and holds each
/// answer until the test opens the gate.
struct GatedSendGrid {
    mock: Mock,
    arrived: Arc<AtomicBool>,
    gate: Arc<(Mutex<bool>, Condvar)>,
}

impl GatedSendGrid {
    fn start(management_key: &str) -> Self {
        let arrived = Arc::new(AtomicBool::new(false));
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let (arrived2, gate2, management) = (arrived.clone(), gate.clone(), management_key.to_owned());
        let created: Arc<Mutex<Vec<String>>> = Arc::default();
        let mock = Mock::start(move |seen| {
            arrived2.store(true, Ordering::SeqCst);
            let (open, opened) = &*gate2;
            let guard = open.lock().unwrap();
            drop(opened.wait_timeout_while(guard, Duration::from_secs(10), |open| !*open).unwrap());
            common::mock::sendgrid_keys(seen, &management, &created)
        });
        GatedSendGrid { mock, arrived, gate }
    }

    /// Waits until a request is being held (at most 20 s).
    fn wait_for_request(&self) {
        for _ in 0..2000 {
            if self.arrived.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no request reached the local SendGrid server");
    }

    fn release(&self) {
        let (open, opened) = &*self.gate;
        *open.lock().unwrap() = true;
        opened.notify_all();
    }

    fn close(&self) {
        *self.gate.0.lock().unwrap() = false;
        self.arrived.store(false, Ordering::SeqCst);
    }
}

/// Clicks while a job runs (its spinner keeps asking for frames, so no `run`).
fn press(harness: &mut egui_kittest::Harness<'_, KeydeskApp>, label: &str) {
    harness.get_by_label(label).click();
    harness.step();
    harness.step();
}

fn unlock_again(harness: &mut egui_kittest::Harness<'_, KeydeskApp>) {
    type_into(harness, "Master password", PASSWORD);
    click(harness, "Unlock");
    step_until(harness, "the vault opens again", KeydeskApp::is_unlocked);
}

#[test]
fn a_lock_during_a_create_or_revoke_at_sendgrid_waits_and_loses_nothing() {
    let management = common::sendgrid_key();
    let sendgrid = GatedSendGrid::start(&management);
    let world = world();
    let mut harness = app_with(&world, false);
    create_and_unlock(&mut harness);
    click(&mut harness, "API settings");
    type_into(&mut harness, "Account name", "SG");
    type_into(&mut harness, "API address", &sendgrid.mock.url);
    type_into(&mut harness, "Management key", &management);
    click(&mut harness, "Add account");

    // Create at SendGrid; lock (Ctrl+L) while SendGrid has not answered yet.
    click(&mut harness, "New key");
    click(&mut harness, "Create at the provider");
    type_into(&mut harness, "Label", "CRM mail");
    click(&mut harness, "Account");
    click(&mut harness, "SG (SendGrid)");
    press(&mut harness, "Create at provider");
    sendgrid.wait_for_request();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    harness.step();
    harness.step();
    assert!(harness.state().is_locking(), "the lock waits for SendGrid's answer");
    harness.get_by_label("Locking…");
    assert!(harness.query_by_label("New key").is_none(), "the session is hidden at once");
    sendgrid.release();
    step_until(&mut harness, "locked once the answer is recorded", |app| !app.is_unlocked());
    assert!(!harness.state().is_locking());

    unlock_again(&mut harness);
    let session = harness.state().session().unwrap();
    let record = session
        .vault()
        .unwrap()
        .keys()
        .iter()
        .find(|k| k.label == "CRM mail")
        .expect("the created key is kept");
    assert!(record.provider_key_id.is_some());
    let log = audit::parse(&session.vault().unwrap().audit_text().unwrap());
    assert!(log.iter().any(|r| r.action == Action::Add && r.key.as_deref() == Some(record.id.as_str())));
    let id = record.id.clone();

    // Revoke at SendGrid; the idle timer fires while SendGrid has not answered yet.
    sendgrid.close();
    let ctx = harness.ctx.clone();
    harness.state_mut().run_cmd(&ctx, keydesk::ui::session::Command::OpenKey(id.clone()).into());
    harness.run();
    click(&mut harness, "Revoke CRM mail…");
    type_into(&mut harness, "Reason", "leaked in a support ticket");
    press(&mut harness, "Revoke CRM mail now");
    sendgrid.wait_for_request();
    world.clock.advance_secs(5 * 60 + 1);
    logic_only(&mut harness);
    assert!(harness.state().is_locking(), "auto-lock waits for SendGrid's answer");
    assert!(harness.state().is_unlocked());
    sendgrid.release();
    step_until(&mut harness, "locked once the revoke is recorded", |app| !app.is_unlocked());

    unlock_again(&mut harness);
    let session = harness.state().session().unwrap();
    let record = session.vault().unwrap().keys().iter().find(|k| k.id == id).unwrap();
    assert!(
        matches!(&record.status, KeyStatus::Revoked { reason, .. } if reason == "leaked in a support ticket"),
        "the revoke done at SendGrid is recorded"
    );
    let log = audit::parse(&session.vault().unwrap().audit_text().unwrap());
    assert!(
        log.iter()
            .any(|r| r.action == Action::Revoke && r.outcome == Outcome::Ok && r.key.as_deref() == Some(&id))
    );
}

/// The undo history egui keeps for the text field `id`, as text (`None`: no state at all).
fn undo_history(ctx: &egui::Context, id: egui::Id) -> Option<String> {
    egui::text_edit::TextEditState::load(ctx, id).map(|state| ron::to_string(&state.undoer()).unwrap())
}

fn text_edit_states(ctx: &egui::Context) -> usize {
    ctx.memory(|memory| memory.data.count::<egui::text_edit::TextEditState>())
}

#[test]
fn a_typed_secret_leaves_no_trace_in_egui_memory_after_a_lock() {
    // The probe works: an ordinary text field's history, as egui keeps it, shows the text.
    let ctx = egui::Context::default();
    let mut plain = egui::text_edit::TextEditState::default();
    let mut undoer = plain.undoer();
    undoer.add_undo(&(Default::default(), "typed into a plain field".to_owned()));
    plain.set_undoer(undoer);
    plain.store(&ctx, egui::Id::unique("plain"));
    assert!(undo_history(&ctx, egui::Id::unique("plain")).unwrap().contains("typed into a plain field"));

    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    click(&mut harness, "API settings");
    let management = common::sendgrid_key();
    type_into(&mut harness, "Account name", "SG");
    type_into(&mut harness, "Management key", &management);
    harness.step();
    let id = secret_field_id("management-key");
    let history = undo_history(&harness.ctx, id).expect("the secret field has its stable id");
    assert!(!history.contains(&management[..12]), "a secret field keeps no undo history: {history}");
    assert!(history.contains("undos:[]"), "{history}");
    let fields_before = text_edit_states(&harness.ctx);
    assert!(fields_before >= 4, "the screen's fields have state ({fields_before})");

    // Lock: the session's fields, secret or not, are forgotten; the typed key went with the
    // session (its buffer is zeroed on drop).
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    harness.run();
    assert!(!harness.state().is_unlocked());
    for name in SECRET_FIELDS.into_iter().filter(|name| *name != "unlock-password") {
        assert_eq!(undo_history(&harness.ctx, secret_field_id(name)), None, "{name} is forgotten");
    }
    assert_eq!(text_edit_states(&harness.ctx), 1, "only the unlock screen's own field has state");

    // The master password typed at unlock: no history, and its field is emptied on submit.
    type_into(&mut harness, "Master password", PASSWORD);
    let history = undo_history(&harness.ctx, secret_field_id("unlock-password")).unwrap();
    assert!(!history.contains(PASSWORD), "{history}");
    click(&mut harness, "Unlock");
    harness.run();
    assert!(harness.state().is_unlocked());
}

#[test]
fn changing_the_password_asks_for_the_current_one_and_keeps_the_kdf() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let kdf = harness.state().vault().unwrap().file().header.kdf;
    click(&mut harness, "Settings");
    type_into(&mut harness, "Current password", "not the password");
    type_into(&mut harness, "New password", "a much longer new password 2026");
    type_into(&mut harness, "Repeat password", "a much longer new password 2026");
    click(&mut harness, "Change password");
    harness.run();
    harness.get_by_label_contains("The current password is wrong");
    let header = harness.state().vault().unwrap().file().header.clone();
    let log = audit::parse(&harness.state().vault().unwrap().audit_text().unwrap());
    assert!(!log.iter().any(|r| r.action == Action::ChangePassword), "nothing changed");

    type_into(&mut harness, "Current password", PASSWORD);
    type_into(&mut harness, "New password", "a much longer new password 2026");
    type_into(&mut harness, "Repeat password", "a much longer new password 2026");
    click(&mut harness, "Change password");
    harness.run();
    let after = harness.state().vault().unwrap().file().header.clone();
    assert_ne!(after.wrapped_data_key, header.wrapped_data_key, "re-wrapped");
    assert_eq!(
        (after.kdf.iterations, after.kdf.lanes),
        (kdf.iterations, kdf.lanes),
        "iterations and lanes are the vault's, not the defaults"
    );
}

#[test]
fn my_old_password_may_be_known_re_encrypts_every_key() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Webhook");
    generate_key(&mut harness, "Newsletter");
    let sealed = |world: &common::window::World| {
        let mut entries = world.store.snapshot();
        entries.retain(|name, _| !name.ends_with("/generation"));
        entries
    };
    let before = sealed(&world);
    let data_key = harness.state().vault().unwrap().file().header.wrapped_data_key.clone();
    click(&mut harness, "Settings");
    type_into(&mut harness, "Current password", PASSWORD);
    type_into(&mut harness, "New password", "a much longer new password 2026");
    type_into(&mut harness, "Repeat password", "a much longer new password 2026");
    click(&mut harness, "My old password may be known: re-encrypt every key");
    click(&mut harness, "Change password");
    harness.run();
    harness.get_by_label_contains("every key is re-encrypted");
    let vault = harness.state().vault().unwrap();
    assert_ne!(vault.file().header.wrapped_data_key, data_key);
    assert!(!vault.data_key_change_pending());
    let after = sealed(&world);
    assert_eq!(after.len(), before.len());
    assert!(after.iter().all(|(name, value)| before[name] != *value), "every secret sealed anew");
    assert!(vault.check().is_clean());
}

#[test]
fn settings_back_up_writes_one_encrypted_file_that_opens_with_the_password() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Webhook");
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("backup.kdbackup");
    click(&mut harness, "Settings");
    // The field holds a default path: select it all, and type over it.
    harness.get_by_label("Backup file").click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Backup file").type_text(path.to_str().unwrap());
    harness.run();
    click(&mut harness, "Back up");
    harness.run();
    harness.get_by_label_contains("Type your master password: the backup opens with it.");
    type_into(&mut harness, "Your master password", "not the password at all");
    click(&mut harness, "Back up");
    harness.run();
    harness.get_by_label_contains("The master password is wrong");
    assert!(!path.exists(), "nothing written on a wrong password");
    let kept = harness.state().session().unwrap().screens.settings.backup_path.clone();
    assert_eq!(kept, path.to_str().unwrap(), "the typed path is kept after the refusal");
    type_into(&mut harness, "Your master password", PASSWORD);
    click(&mut harness, "Back up");
    harness.run();
    harness.get_by_label_contains("Backed up 1 keys to");
    let bytes = std::fs::read(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let contents = keydesk::vault::backup::open(&bytes, &secrecy::SecretString::from(PASSWORD)).unwrap();
    assert_eq!(contents.secrets.iter().filter(|(name, _)| !name.ends_with("/generation")).count(), 1);
    assert!(contents.vault_text.contains("Webhook"));
    let log = audit::parse(&harness.state().vault().unwrap().audit_text().unwrap());
    let backups: Vec<_> = log.iter().filter(|r| r.action == Action::Backup).collect();
    assert_eq!(backups.len(), 1, "one backup on record, the refused ones are not backups");
    assert_eq!(backups[0].outcome, Outcome::Ok);
}

#[test]
fn a_copy_the_clipboard_refused_is_told_and_recorded_as_failed() {
    let world = world();
    let unavailable = keydesk::clipboard::UnavailableClipboard(
        keydesk::clipboard::ClipboardError::Unavailable("no display".into()),
    );
    let mut harness = common::window::app_on(&world, true, Box::new(unavailable));
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Webhook");
    click(&mut harness, "Copy Webhook");
    let said = harness.query_all_by_label_contains("The clipboard is not available (no display)").count();
    let log_copies = audit::parse(&harness.state().vault().unwrap().audit_text().unwrap())
        .iter()
        .filter(|r| r.action == Action::Copy)
        .count();
    // In a toast, and on the key's history as a failed copy.
    assert_eq!((said, log_copies), (2, 1));
    assert!(harness.query_by_label_contains("clears in").is_none(), "never said to be copied");
    assert!(harness.state().copy.is_none(), "no countdown for a copy that did not happen");
    let session = harness.state().session().unwrap();
    assert_eq!(session.vault().unwrap().keys()[0].copy_count, 0, "not counted");
    let log = audit::parse(&session.vault().unwrap().audit_text().unwrap());
    let copy = log.iter().find(|r| r.action == Action::Copy).expect("the attempt is in the log");
    assert_eq!(
        copy.outcome,
        Outcome::Failed(
            "the clipboard did not take it: The clipboard is not available (no display): copy by hand from Reveal instead."
                .into()
        )
    );
}

#[test]
fn changes_made_outside_keydesk_are_shown_and_kept_only_on_purpose() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Webhook");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    harness.run();
    let path = world.dir.path().join("vault").join("vault.ron");
    let text =
        std::fs::read_to_string(&path).unwrap().replace("label:\"Webhook\"", "label:\"Webhook (edited)\"");
    std::fs::write(&path, text).unwrap();
    type_into(&mut harness, "Master password", PASSWORD);
    click(&mut harness, "Unlock");
    harness.run();
    assert!(harness.state().is_unlocked());
    harness.get_by_label_contains("vault.ron was changed outside Keydesk since its last save");
    // Read-only: a new key is refused with the sentence, nothing is written.
    let saves_before = std::fs::read_to_string(&path).unwrap();
    click(&mut harness, "New key");
    type_into(&mut harness, "Label", "During");
    click(&mut harness, "Generate");
    harness.get_by_label_contains("nothing is changed or sent until you look");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), saves_before, "nothing sealed over the change");
    click(&mut harness, "Keep these changes");
    assert!(harness.query_by_label("Keep these changes").is_none(), "the banner is gone");
    let session = harness.state().session().unwrap();
    assert!(session.vault().unwrap().changed_outside().is_none());
    let log = audit::parse(&session.vault().unwrap().audit_text().unwrap());
    assert!(log.iter().any(|r| r.action == Action::Integrity && r.detail.contains("accepted by the user")));
}

#[test]
fn settings_import_shows_each_row_first_then_imports_once() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("keys.csv");
    std::fs::write(
        &path,
        "label;key;notes\nNewsletter;window-import-value-0001;\"two\nlines\"\nCopy;window-import-value-0001;\nNo key;;\n",
    )
    .unwrap();
    click(&mut harness, "Settings");
    scroll_to(&mut harness, "Preview import");
    click(&mut harness, "Preview import");
    harness.get_by_label_contains("Give the path of the file to import");
    type_into(&mut harness, "Import file", path.to_str().unwrap());
    scroll_to(&mut harness, "Preview import");
    click(&mut harness, "Preview import");
    harness.run();
    harness.get_by_label_contains(
        "3 rows read as a spreadsheet CSV: 1 new, 0 already in the vault, 1 repeated in the file, 1 skipped.",
    );
    harness.get_by_label("The same key as line 2");
    harness.get_by_label_contains("Skipped: there is no key in this row");
    assert!(harness.state().vault().unwrap().keys().is_empty(), "a preview writes nothing");
    // Below the fold of the settings page: scrolled to, as a person would.
    scroll_to(&mut harness, "Import 1 key");
    click(&mut harness, "Import 1 key");
    harness.run();
    harness.get_by_label_contains("Imported 1 key from keys.csv");
    let session = harness.state_mut().session_mut().unwrap();
    let id = session.vault_mut().unwrap().keys()[0].id.clone();
    assert_eq!(session.vault_mut().unwrap().keys()[0].notes, "two\nlines");
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&session.vault_mut().unwrap().reveal(&id).unwrap()),
        "window-import-value-0001"
    );

    // The same file again: every row is already there, and nothing can be imported.
    click(&mut harness, "Preview import");
    harness.run();
    harness.get_by_label_contains("0 new, 2 already in the vault, 0 repeated in the file, 1 skipped.");
    harness.get_by_label_contains("Nothing to import");
    assert!(
        egui_kittest::kittest::NodeT::accesskit_node(&harness.get_by_label("Import 0 keys")).is_disabled()
    );
    let log = audit::parse(&harness.state().vault().unwrap().audit_text().unwrap());
    assert_eq!(log.iter().filter(|r| r.action == Action::Import).count(), 1);
}

#[test]
fn settings_import_picks_the_columns_of_a_table_keydesk_cannot_tell() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("crm.csv");
    std::fs::write(
        &path,
        "Site,Login,Token,Comment\nNewsletter,ops,picker-value-0001,weekly\n,,,\nWebhook,ops,picker-value-02,\n",
    )
    .unwrap();
    click(&mut harness, "Settings");
    scroll_to(&mut harness, "Import file");
    type_into(&mut harness, "Import file", path.to_str().unwrap());
    scroll_to(&mut harness, "Preview import");
    click(&mut harness, "Preview import");
    harness.run();
    harness.get_by_label_contains(
        "Keydesk cannot tell which columns hold the label and the key. The first row has \"Site\", \"Login\", \"Token\", \"Comment\"",
    );
    let read = "Preview with these columns";
    harness.get_by_label("Pick the columns of the label and the key.");
    assert!(disabled(&harness, read));
    pick(&mut harness, "Label", "Site (column 1)");
    assert!(disabled(&harness, read), "a label alone is not enough");
    pick(&mut harness, "Key", "Token (column 3)");
    assert!(!disabled(&harness, read));
    // The first rows as the picks read them: the key by its length, never its characters.
    harness.get_by_label("Newsletter");
    harness.get_by_label("hidden (17 characters)");
    harness.get_by_label("hidden (15 characters)");
    assert!(harness.query_by_label_contains("picker-value").is_none());
    pick(&mut harness, "Notes", "Comment (column 4)");
    harness.get_by_label("weekly");
    // One column for two fields is said, and nothing can be read until it is undone.
    pick(&mut harness, "Tags", "Token (column 3)");
    harness.get_by_label("The column 3 is chosen for both key and tags: a column fills one field.");
    assert!(disabled(&harness, read));
    pick(&mut harness, "Tags", "— none —");
    scroll_to(&mut harness, read);
    click(&mut harness, read);
    harness.run();
    harness.get_by_label_contains(
        "2 rows read as a spreadsheet CSV: 2 new, 0 already in the vault, 0 repeated in the file, 0 skipped.",
    );
    assert!(harness.state().vault().unwrap().keys().is_empty(), "a preview writes nothing");
    scroll_to(&mut harness, "Import 2 keys");
    click(&mut harness, "Import 2 keys");
    harness.run();
    harness.get_by_label_contains("Imported 2 keys from crm.csv");
    let session = harness.state_mut().session_mut().unwrap();
    let mut keys: Vec<_> = session
        .vault_mut()
        .unwrap()
        .keys()
        .iter()
        .map(|k| (k.label.clone(), k.notes.clone(), k.id.clone()))
        .collect();
    keys.sort();
    assert_eq!(keys[0].0, "Newsletter");
    assert_eq!(keys[0].1, "weekly");
    assert_eq!(keys[1].0, "Webhook");
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&session.vault_mut().unwrap().reveal(&keys[0].2).unwrap()),
        "picker-value-0001"
    );
}

#[test]
fn settings_export_writes_secrets_only_after_the_words_are_typed_in_a_dialog() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let secret = generate_key(&mut harness, "Webhook");
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("keys.csv");
    click(&mut harness, "Settings");
    scroll_to(&mut harness, "Export file");
    type_into(&mut harness, "Export file", path.to_str().unwrap());
    scroll_to(&mut harness, "Include the secrets (plain text)");
    click(&mut harness, "Include the secrets (plain text)");
    scroll_to(&mut harness, "Export");
    click(&mut harness, "Export");
    harness.run();
    harness.get_by_label("Write the secrets in plain text?");
    assert!(
        egui_kittest::kittest::NodeT::accesskit_node(&harness.get_by_label("Export with secrets"))
            .is_disabled()
    );
    type_into(&mut harness, "Type \"export secrets\" to go on:", "export secret");
    assert!(
        egui_kittest::kittest::NodeT::accesskit_node(&harness.get_by_label("Export with secrets"))
            .is_disabled()
    );
    click(&mut harness, "Cancel");
    harness.run();
    assert!(!path.exists(), "nothing is written without the words");

    click(&mut harness, "Export");
    harness.run();
    type_into(&mut harness, "Type \"export secrets\" to go on:", "export secrets");
    click(&mut harness, "Export with secrets");
    harness.run();
    harness.get_by_label_contains("Exported 1 key (with their secrets)");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&secret), "the secret is in the file");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let log = audit::parse(&harness.state().vault().unwrap().audit_text().unwrap());
    let exports: Vec<_> = log.iter().filter(|r| r.action == Action::Export).collect();
    assert_eq!(exports.len(), 1);
    assert!(exports[0].detail.contains("with their secrets"), "{}", exports[0].detail);

    // Again to the same file: refused, the file as it was.
    scroll_to(&mut harness, "Export");
    click(&mut harness, "Export");
    harness.run();
    type_into(&mut harness, "Type \"export secrets\" to go on:", "export secrets");
    click(&mut harness, "Export with secrets");
    harness.run();
    harness.get_by_label_contains("already exists and was left as it is");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

/// The daily reminder's switch in Settings runs the real `systemctl --user` on the package's
/// own unit files, in the test's own user folders: not installed, then enabled (the timer
/// linked into timers.target.wants, as systemd reads it), then disabled.
#[test]
fn the_daily_reminder_is_switched_on_and_off_with_systemctl() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    click(&mut harness, "Settings");
    harness.run();
    harness.get_by_label_contains("its timer (keydesk-due.timer) is not installed on this computer");
    let switch = "Remind me once a day of keys that are due (a desktop notification)";
    assert!(egui_kittest::kittest::NodeT::accesskit_node(&harness.get_by_label(switch)).is_disabled());

    // The package's units, where systemd looks for a user's own.
    let units = world.dir.path().join("data/systemd/user");
    std::fs::create_dir_all(&units).unwrap();
    for unit in ["keydesk-due.service", "keydesk-due.timer"] {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/linux").join(unit);
        std::fs::copy(shipped, units.join(unit)).unwrap();
    }
    let enabled = || {
        let output = std::process::Command::new("systemctl")
            .args(["--user", "is-enabled", "keydesk-due.timer"])
            .envs(world.systemd_env())
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let link = world.dir.path().join("config/systemd/user/timers.target.wants/keydesk-due.timer");
    assert_eq!(enabled(), "disabled");

    click(&mut harness, "Keys");
    click(&mut harness, "Settings");
    harness.run();
    assert!(
        !egui_kittest::kittest::NodeT::accesskit_node(&harness.get_by_label(switch)).is_disabled(),
        "read again on opening Settings"
    );
    click(&mut harness, switch);
    harness.run();
    harness.get_by_label_contains("Daily reminder on");
    assert_eq!(enabled(), "enabled");
    assert_eq!(std::fs::read_link(&link).unwrap(), units.join("keydesk-due.timer"));

    click(&mut harness, switch);
    harness.run();
    harness.get_by_label("Daily reminder off.");
    assert_eq!(enabled(), "disabled");
    assert!(!link.exists());
}
