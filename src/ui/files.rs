//! Files as on a desktop: the "Choose…" button beside a path field (the desktop's file chooser,
//! with the typed field kept and a note where none answers), the restore's dialog, and the
//! hint shown while a file is dragged over the window.

use super::app::Command;
use super::app::files::FilesCommand;
use super::state::{FileTarget, RestoreForm};
use super::theme;
use super::widgets::{error_ui, secret_field};

/// The chooser's button for `target`, under its path field, with the note saying that no
/// file chooser answered (the field stays to type in); whether it was pressed.
pub fn choose_button_ui(ui: &mut egui::Ui, target: FileTarget, note: &Option<(FileTarget, String)>) -> bool {
    let clicked = ui
        .horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            choose_button(ui, target)
        })
        .inner;
    chooser_note_ui(ui, target, note);
    clicked
}

/// The chooser's button for `target` alone, in a row of buttons; whether it was pressed.
pub fn choose_button(ui: &mut egui::Ui, target: FileTarget) -> bool {
    let words = match target {
        FileTarget::Import => "Choose the file to import…",
        FileTarget::Export => "Choose where to export…",
        FileTarget::Backup => "Choose where to back up…",
        FileTarget::Restore => "Choose the backup file…",
        FileTarget::Report => "Choose where to write the report…",
    };
    ui.button(words).on_hover_text("Opens the desktop's file chooser").clicked()
}

/// The note under a field whose file chooser did not answer (plain words: no failure of the
/// user's, and the field works).
pub fn chooser_note_ui(ui: &mut egui::Ui, target: FileTarget, note: &Option<(FileTarget, String)>) {
    if let Some((_, said)) = note.as_ref().filter(|(for_field, _)| *for_field == target) {
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.add(egui::Label::new(said.as_str()).wrap());
        });
    }
}

/// The restore's dialog while `form` is open: the backup file, its master password, what is
/// replaced, and the button that replaces it.
pub fn restore_dialog_ui(
    ctx: &egui::Context,
    form: &mut Option<RestoreForm>,
    note: &Option<(FileTarget, String)>,
) -> Option<Command> {
    let open = form.as_mut()?;
    let mut command = None;
    let mut close = false;
    egui::Modal::new(egui::Id::unique("restore-backup")).show(ctx, |ui| {
        ui.set_max_width(520.0);
        ui.heading("Restore from a backup");
        ui.add(egui::Label::new(open.replaces.as_str()).wrap());
        super::widgets::field_with(ui, "Backup to restore", egui::TextEdit::singleline(&mut open.path));
        if choose_button_ui(ui, FileTarget::Restore, note) {
            command = Some(Command::Files(FilesCommand::Choose(FileTarget::Restore)));
        }
        secret_field(ui, "restore-password", "The backup's master password", &mut open.password);
        error_ui(ui, &open.error);
        ui.horizontal(|ui| {
            if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                close = true;
            }
            let replace = super::widgets::destructive_button(ui, "Replace this vault with the backup");
            if ui.add(replace).clicked() {
                let path = open.path.trim();
                if path.is_empty() {
                    open.error = Some(
                        "Give the backup's file: choose it, or type its path, such as ~/Documents/keydesk-backup.kdbackup."
                            .to_owned(),
                    );
                } else if open.password.is_empty() {
                    open.error =
                        Some("Type the backup's master password: the backup opens with it.".to_owned());
                } else {
                    open.error = None;
                    command = Some(Command::Files(FilesCommand::Restore {
                        path: path.into(),
                        password: open.password.take(),
                    }));
                }
            }
        });
    });
    if close {
        *form = None;
    }
    command
}

/// While files are dragged over the window: what dropping one does, over everything.
pub fn drop_hint_ui(ctx: &egui::Context) {
    let screen = ctx.content_rect();
    egui::Area::new(egui::Id::unique("drop-hint"))
        .order(egui::Order::Foreground)
        .fixed_pos(screen.min)
        .interactable(false)
        .show(ctx, |ui| {
            let visuals = ui.visuals().clone();
            ui.painter().rect_filled(screen, 0.0, visuals.extreme_bg_color.gamma_multiply(0.92));
            let words =
                egui::RichText::new("Drop a file to import its keys, or a Keydesk backup to restore it")
                    .size(20.0)
                    .strong();
            ui.put(screen, egui::Label::new(words).wrap());
        });
}
