//! Small pieces shared by the screens: labelled fields, badges, toasts, the status bar, the
//! navigation, the banner and the shown-once dialog.

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::app::{Command, ShownOnce};
use super::state::Screen;
use super::theme::{self, Badge};

/// A text field with a label that names it for screen readers (and tests).
pub fn field(ui: &mut egui::Ui, label: &str, text: &mut String) -> egui::Response {
    field_with(ui, label, egui::TextEdit::singleline(text))
}

/// A password field.
pub fn secret_field(ui: &mut egui::Ui, label: &str, text: &mut String) -> egui::Response {
    field_with(ui, label, egui::TextEdit::singleline(text).password(true))
}

/// A labelled row holding any text edit.
pub fn field_with(ui: &mut egui::Ui, label: &str, edit: egui::TextEdit<'_>) -> egui::Response {
    ui.horizontal(|ui| {
        let name = form_label(ui, label);
        ui.add(edit.desired_width(340.0)).labelled_by(name.id)
    })
    .inner
}

/// The label column of a form row.
pub fn form_label(ui: &mut egui::Ui, label: &str) -> egui::Response {
    cell(ui, theme::LABEL_WIDTH, |ui| ui.label(label))
}

/// A fixed-width, left-aligned cell of a table row.
pub fn cell<R>(ui: &mut egui::Ui, width: f32, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let size = egui::vec2(width, theme::ROW_HEIGHT - 6.0);
    ui.allocate_ui_with_layout(size, egui::Layout::left_to_right(egui::Align::Center), |ui| {
        ui.set_min_size(size);
        add(ui)
    })
    .inner
}

/// A card in the middle of the window (the create and unlock screens).
pub fn centered_card<R>(ui: &mut egui::Ui, width: f32, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let margin = ((ui.available_width() - width) / 2.0).max(0.0);
    ui.add_space(ui.available_height().min(900.0) * 0.12);
    ui.horizontal(|ui| {
        ui.add_space(margin);
        ui.vertical(|ui| {
            ui.set_width(width);
            egui::Frame::group(ui.style()).inner_margin(24.0).corner_radius(8.0).show(ui, add).inner
        })
        .inner
    })
    .inner
}

/// A coloured status word.
pub fn badge_ui(ui: &mut egui::Ui, text: &str, kind: Badge) {
    let colour = theme::badge(ui.visuals().dark_mode, kind);
    ui.label(egui::RichText::new(text).color(colour).strong());
}

/// An inline error under a form.
pub fn error_ui(ui: &mut egui::Ui, error: &Option<String>) {
    if let Some(error) = error {
        let colour = theme::badge(ui.visuals().dark_mode, Badge::Bad);
        ui.label(egui::RichText::new(error).color(colour));
    }
}

/// A toast: a result that shows for a few seconds.
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub until: DateTime<Utc>,
}

/// The toasts on screen.
#[derive(Default)]
pub struct Toasts {
    pub items: Vec<Toast>,
}

impl Toasts {
    /// A result.
    pub fn info(&mut self, text: String, now: DateTime<Utc>) {
        self.items.push(Toast { text, error: false, until: now + chrono::Duration::seconds(6) });
    }

    /// A failure (shown longer).
    pub fn error(&mut self, text: String, now: DateTime<Utc>) {
        self.items.push(Toast { text, error: true, until: now + chrono::Duration::seconds(10) });
    }

    /// Draws the live toasts in the bottom right corner.
    pub fn show(&mut self, ctx: &egui::Context, now: DateTime<Utc>) {
        self.items.retain(|t| t.until > now);
        if self.items.len() > 4 {
            self.items.drain(..self.items.len() - 4);
        }
        let Some(next) = self.items.iter().map(|t| t.until).min() else { return };
        if let Ok(wait) = (next - now).to_std() {
            ctx.request_repaint_after(wait);
        }
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-16.0, -16.0))
            .show(ctx, |ui| {
                for toast in &self.items {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(420.0);
                        let kind = if toast.error { Badge::Bad } else { Badge::Good };
                        let colour = theme::badge(ui.visuals().dark_mode, kind);
                        ui.label(egui::RichText::new(&toast.text).color(colour));
                    });
                }
            });
    }
}

/// The top bar: name, clipboard countdown, the running job with its Cancel.
pub fn status_bar_ui(
    ui: &mut egui::Ui,
    countdown: Option<(String, i64)>,
    busy: Option<(u64, String)>,
) -> Option<Command> {
    let mut command = None;
    egui::Panel::top("status").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading("Keydesk");
            if let Some((label, secs)) = countdown {
                ui.separator();
                ui.label(format!("Clipboard: {label} clears in {secs} s"));
            }
            if let Some((id, label)) = busy {
                ui.separator();
                ui.spinner();
                ui.label(format!("{label}…"));
                if ui.button("Cancel").clicked() {
                    command = Some(Command::CancelJob(id));
                }
            }
        });
    });
    command
}

/// A banner for vault-level problems.
pub fn banner_ui(ui: &mut egui::Ui, text: &str) {
    egui::Panel::top("banner").show(ui, |ui| {
        egui::Frame::new().fill(theme::banner_fill(ui.visuals().dark_mode)).inner_margin(8.0).show(
            ui,
            |ui| {
                ui.label(egui::RichText::new(text).strong());
            },
        );
    });
}

/// The navigation on the left.
pub fn nav_ui(ui: &mut egui::Ui, current: &Screen) -> Option<Command> {
    let mut command = None;
    egui::Panel::left("nav").resizable(false).exact_size(170.0).show(ui, |ui| {
        ui.add_space(theme::GAP);
        let items = [
            (Screen::Keys, "Keys", "Ctrl+1"),
            (Screen::New, "New key", "Ctrl+N"),
            (Screen::Accounts, "API settings", "Ctrl+2"),
            (Screen::Audit, "Audit log", "Ctrl+3"),
            (Screen::Settings, "Settings", "Ctrl+4"),
        ];
        for (screen, label, shortcut) in items {
            let selected =
                *current == screen || (screen == Screen::Keys && matches!(current, Screen::Detail(_)));
            if ui.selectable_label(selected, label).on_hover_text(shortcut).clicked() {
                command = Some(Command::Show(screen));
            }
        }
        ui.add_space(theme::GAP);
        if ui.button("Lock").on_hover_text("Ctrl+L").clicked() {
            command = Some(Command::Lock);
        }
    });
    command
}

/// The dialog that shows a new secret once.
pub fn shown_once_ui(ctx: &egui::Context, shown: &ShownOnce) -> Option<Command> {
    let mut command = None;
    let modal = egui::Modal::new(egui::Id::unique("shown-once")).show(ctx, |ui| {
        ui.set_max_width(560.0);
        ui.heading(format!("{} — shown once", shown.label));
        ui.label("Copy it into the integration now. Keydesk keeps it encrypted; Reveal is audited.");
        ui.add_space(theme::GAP);
        ui.label(egui::RichText::new(shown.secret.expose_secret()).monospace());
        ui.add_space(theme::GAP);
        ui.horizontal(|ui| {
            if let Some(id) = &shown.key_id
                && ui.button("Copy").clicked()
            {
                command = Some(Command::Copy(id.clone()));
            }
            if ui.button("Done").clicked() {
                command = Some(Command::DismissShownOnce);
            }
        });
    });
    if modal.should_close() && command.is_none() {
        command = Some(Command::DismissShownOnce);
    }
    command
}
