//! Files as on a desktop, in the window: a file dropped on it (an import's preview, a backup's
//! restore) and the typed path kept where the desktop offers no file chooser.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keydesk::ui::KeydeskApp;
use keydesk::ui::app::file_chooser::PortalBus;
use secrecy::SecretString;

use crate::common::bus::PrivateBus;
use crate::common::window::{
    PASSWORD, app, app_with_portal, click, create_and_unlock, generate_key, scroll_to, step_until, type_into,
    world,
};

/// A file dropped from the desktop (what egui-winit hands egui).
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Drags `path` over the window (the hint shows), then drops it.
fn drop_file(harness: &mut Harness<'_, KeydeskApp>, path: &Path) {
    harness
        .input_mut()
        .hovered_files
        .push(egui::HoveredFile { path: Some(path.to_owned()), mime: String::new() });
    // A new layer is measured in its first frame and shown from the next.
    harness.step();
    harness.step();
    harness.get_by_label_contains("Drop a file to import its keys, or a Keydesk backup to restore it");
    harness.input_mut().hovered_files.clear();
    harness.input_mut().dropped_files.push(Arc::new(Dropped(path.to_owned())));
    harness.run();
}

fn labels(harness: &Harness<'_, KeydeskApp>) -> Vec<String> {
    let session = harness.state().session().expect("unlocked");
    let mut labels: Vec<String> =
        session.vault().unwrap().keys().iter().filter(|k| k.is_live()).map(|k| k.label.clone()).collect();
    labels.sort();
    labels
}

#[test]
fn a_csv_dropped_on_the_window_shows_its_import_preview_row_by_row() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("from-the-spreadsheet.csv");
    std::fs::write(
        &path,
        "label;key\nNewsletter;dropped-import-value-0001\nCopy;dropped-import-value-0001\nNo key;\n",
    )
    .unwrap();
    drop_file(&mut harness, &path);
    harness.get_by_label_contains(
        "3 rows read as a spreadsheet CSV: 1 new, 0 already in the vault, 1 repeated in the file, 1 skipped.",
    );
    harness.get_by_label("The same key as line 2");
    harness.get_by_label_contains("Skipped: there is no key in this row");
    assert!(labels(&harness).is_empty(), "a preview writes nothing");
    scroll_to(&mut harness, "Import 1 key");
    click(&mut harness, "Import 1 key");
    assert_eq!(labels(&harness), ["Newsletter"]);
}

#[test]
fn of_several_files_dropped_at_once_the_first_is_opened_and_the_others_are_named_as_left() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let folder = tempfile::tempdir().unwrap();
    let first = folder.path().join("first.csv");
    let second = folder.path().join("second.csv");
    std::fs::write(&first, "label;key\nNewsletter;dropped-import-value-0002\n").unwrap();
    std::fs::write(&second, "label;key\nOther;dropped-import-value-0003\n").unwrap();
    for path in [&first, &second] {
        harness.input_mut().dropped_files.push(Arc::new(Dropped(path.clone())));
    }
    harness.run();
    harness.get_by_label_contains("1 rows read as a spreadsheet CSV: 1 new");
    harness.get_by_label(
        "One file at a time: first.csv is opened, the other file was left alone; drop them one by one.",
    );
}

#[test]
fn a_file_that_is_neither_a_backup_nor_an_import_is_told_in_one_sentence() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("photo.png");
    std::fs::write(&path, [0x89, b'P', b'N', b'G', 0, 0, 0xff, 0xfe, 0]).unwrap();
    drop_file(&mut harness, &path);
    harness.get_by_label_contains("photo.png is neither a Keydesk backup nor a file Keydesk imports");
    drop_file(&mut harness, &folder.path().join("gone.csv"));
    harness.get_by_label_contains("Could not read the dropped file");
}

#[test]
fn a_backup_dropped_on_the_window_restores_it_after_its_password_and_the_confirmation() {
    let world = world();
    let mut harness = app(&world);
    create_and_unlock(&mut harness);
    generate_key(&mut harness, "Newsletter");
    generate_key(&mut harness, "Webhook");
    let folder = tempfile::tempdir().unwrap();
    // Backed up with the window's own Back up, then a key added after it.
    let backup = folder.path().join("keydesk-backup.kdbackup");
    {
        let session = harness.state_mut().session_mut().unwrap();
        let bytes = session.vault_mut().unwrap().backup(&SecretString::from(PASSWORD)).unwrap();
        std::fs::write(&backup, bytes).unwrap();
    }
    generate_key(&mut harness, "Added later");
    assert_eq!(labels(&harness), ["Added later", "Newsletter", "Webhook"]);
    // Named .csv: a backup is told by its content.
    let renamed = folder.path().join("looks-like.csv");
    std::fs::rename(&backup, &renamed).unwrap();
    drop_file(&mut harness, &renamed);
    harness.get_by_label("Restore from a backup");
    harness
        .get_by_label_contains("its 3 keys, their details and the audit log — is replaced by the backup's");
    // A wrong password changes nothing and says so in the dialog.
    type_into(&mut harness, "The backup's master password", "not the password");
    click(&mut harness, "Replace this vault with the backup");
    step_until(&mut harness, "the restore answers", |app| app.is_unlocked());
    harness.run();
    harness.get_by_label_contains("The password does not open this backup");
    assert_eq!(labels(&harness), ["Added later", "Newsletter", "Webhook"]);
    type_into(&mut harness, "The backup's master password", PASSWORD);
    click(&mut harness, "Replace this vault with the backup");
    step_until(&mut harness, "the restore answers", |app| app.is_unlocked());
    harness.run();
    harness.get_by_label_contains("Restored 2 keys into");
    assert_eq!(labels(&harness), ["Newsletter", "Webhook"]);
    let session = harness.state().session().unwrap();
    let log = keydesk::vault::audit::parse(&session.vault().unwrap().audit_text().unwrap());
    assert!(log.iter().any(|line| line.action == keydesk::vault::audit::Action::Restore));
    assert!(session.vault().unwrap().changed_outside().is_none(), "the restored vault is writable");
}

#[test]
fn without_a_portal_on_the_bus_the_chooser_leaves_the_typed_path_with_a_note() {
    let bus = PrivateBus::start(false);
    let world = world();
    let mut harness = app_with_portal(&world, PortalBus::Address(bus.address.clone()));
    create_and_unlock(&mut harness);
    click(&mut harness, "Settings");
    scroll_to(&mut harness, "Choose the file to import…");
    click(&mut harness, "Choose the file to import…");
    harness.run();
    harness.get_by_label("This desktop offers no file chooser: type the file's path in the field instead.");
    // The typed path still previews.
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("keys.csv");
    std::fs::write(&path, "label;key\nNewsletter;typed-import-value-0001\n").unwrap();
    type_into(&mut harness, "Import file", path.to_str().unwrap());
    scroll_to(&mut harness, "Preview import");
    click(&mut harness, "Preview import");
    harness.get_by_label_contains("1 rows read as a spreadsheet CSV: 1 new");
    // Restore from a backup…: its dialog opens with the field to type in, and the note.
    scroll_to(&mut harness, "Restore from a backup…");
    click(&mut harness, "Restore from a backup…");
    harness.get_by_label("Backup to restore");
    harness.get_by_label("This desktop offers no file chooser: type the file's path in the field instead.");
}

/// A portal that takes the file chooser's call and never answers it, as one does whose
/// backend hangs: the window must not wait for a dialog that never opens.
#[test]
#[allow(clippy::disallowed_methods, reason = "the fake portal reads its calls on a thread of its own")]
fn a_portal_that_never_answers_leaves_the_typed_path_with_a_note() {
    let bus = PrivateBus::start(false);
    let portal = zbus::blocking::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .name("org.freedesktop.portal.Desktop")
        .unwrap()
        .build()
        .unwrap();
    // The portal's side: it reads the call, then says nothing.
    let rule = zbus::MatchRule::builder().msg_type(zbus::message::Type::MethodCall).build();
    let calls = zbus::blocking::MessageIterator::for_match_rule(rule, &portal, Some(4)).unwrap();
    let (asked, members) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for call in calls.filter_map(Result::ok) {
            let member = call.header().member().map(|m| m.to_string()).unwrap_or_default();
            if asked.send(member).is_err() {
                break;
            }
        }
    });
    let world = world();
    let mut harness = app_with_portal(&world, PortalBus::Address(bus.address.clone()));
    create_and_unlock(&mut harness);
    click(&mut harness, "Settings");
    scroll_to(&mut harness, "Choose the file to import…");
    // Jobs run inline in the harness: the click returns once the call has given up.
    click(&mut harness, "Choose the file to import…");
    harness.run();
    harness
        .get_by_label("The desktop's file chooser did not open: type the file's path in the field instead.");
    let asked: Vec<String> = members.try_iter().collect();
    assert!(asked.iter().any(|m| m == "OpenFile"), "the portal was asked for a file: {asked:?}");
    drop(portal);
}

#[test]
fn on_a_team_vault_a_dropped_csv_is_previewed_and_a_backup_points_to_the_servers_snapshot() {
    let bao = crate::common::bao::Bao::dev();
    let world = world();
    let mut harness = crate::ui_team::ana_makes_a_team_vault(&world, &bao);
    let csv = world.dir.path().join("keys.csv");
    std::fs::write(&csv, format!("label,key\nNewsletter,{}\n", crate::common::mailchimp_key())).unwrap();
    drop_file(&mut harness, &csv);
    harness.run();
    harness.get_by_label("Import 1 key");
    // A backup, told by its content: a team vault has none to restore.
    let backup = world.dir.path().join("old.kdbackup");
    std::fs::write(&backup, "(kind: \"keydesk-backup\", format: 1, sealed: \"\")").unwrap();
    drop_file(&mut harness, &backup);
    harness.get_by_label_contains("That is a backup file: a team vault has none to restore from. A team vault is backed up where it lives: a snapshot of its server");
}
