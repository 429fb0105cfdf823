//! Small pieces shared by the screens: labelled fields, badges, toasts, the status bar, the
//! navigation, the banner and the shown-once dialog.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use zeroize::{Zeroize, Zeroizing};

use super::app::Command;
use super::session::{self, ShownOnce};
use super::state::Screen;
use super::theme::{self, Badge};

/// A text field with a label that names it for screen readers (and tests).
pub fn field(ui: &mut egui::Ui, label: &str, text: &mut String) -> egui::Response {
    field_with(ui, label, egui::TextEdit::singleline(text))
}

/// The longest secret a field takes, in characters (the longest provider key is far shorter).
pub const MAX_SECRET_CHARS: usize = 1024;

/// What a person types into a secret field: zeroed when wiped or dropped, and allocated once
/// at its full size, so typing never moves it (a `String` that grows leaves its old bytes
/// behind in freed memory).
pub struct SecretInput(Zeroizing<String>);

impl Default for SecretInput {
    fn default() -> Self {
        // Four bytes a character at most: `MAX_SECRET_CHARS` always fits.
        SecretInput(Zeroizing::new(String::with_capacity(MAX_SECRET_CHARS * 4)))
    }
}

impl SecretInput {
    /// The typed text.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// Whether nothing is typed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Zeroes every byte of the buffer and empties it (after a submit, on lock).
    pub fn wipe(&mut self) {
        // `zeroize` zeroes the whole capacity, then truncates; the allocation is kept.
        self.0.zeroize();
    }

    /// The typed text as a secret, the buffer wiped.
    pub fn take(&mut self) -> SecretString {
        let secret = SecretString::from(self.0.as_str());
        self.wipe();
        secret
    }

    /// Removes spaces and line breaks at either end, in place (a pasted key often carries
    /// one); the cut bytes stay inside the buffer's capacity, which `wipe` zeroes.
    pub fn trim(&mut self) {
        let start = self.0.len() - self.0.trim_start().len();
        let end = self.0.trim_end().len();
        if start == 0 && end == self.0.len() {
            return;
        }
        self.0.replace_range(..start, "");
        self.0.truncate(end - start);
    }

    fn buffer(&mut self) -> &mut String {
        &mut self.0
    }
}

/// The secret fields of the window, by name. Each has a stable egui id, so a lock can remove
/// whatever egui keeps for it.
pub const SECRET_FIELDS: [&str; 14] = [
    "create-password",
    "create-confirm",
    "unlock-password",
    "paste-key",
    "management-key",
    "replacement-key",
    "current-password",
    "new-password",
    "new-password-confirm",
    "backup-password",
    "whois",
    "team-token",
    "invitation-code",
    "team-paste-key",
];

/// The egui id of the secret field named `name` (one of [`SECRET_FIELDS`]).
pub fn secret_field_id(name: &str) -> egui::Id {
    egui::Id::unique(("keydesk-secret-field", name))
}

/// A masked field for a secret. egui keeps an undo history of every text field in its memory
/// (plain `String`s); this one keeps none.
pub fn secret_field(ui: &mut egui::Ui, name: &str, label: &str, text: &mut SecretInput) -> egui::Response {
    secret_field_shown(ui, name, label, text, false)
}

/// [`secret_field`], its characters shown when `shown` (the user pressed the eye).
pub fn secret_field_shown(
    ui: &mut egui::Ui,
    name: &str,
    label: &str,
    text: &mut SecretInput,
    shown: bool,
) -> egui::Response {
    let id = secret_field_id(name);
    let new = egui::text_edit::TextEditState::load(ui.ctx(), id).is_none();
    let edit = egui::TextEdit::singleline(text.buffer()).password(!shown).id(id).char_limit(MAX_SECRET_CHARS);
    let response = field_with(ui, label, edit);
    if new {
        // egui has just made the field's state, with an undo history of 100 texts: it gets one
        // that keeps nothing, which later frames go on using (a lock forgets it all).
        forget_undo(ui.ctx(), id);
    }
    response
}

/// Replaces a text field's undo history with one that keeps nothing.
fn forget_undo(ctx: &egui::Context, id: egui::Id) {
    if let Some(mut state) = egui::text_edit::TextEditState::load(ctx, id) {
        let settings = egui::util::undoer::Settings { max_undos: 0, ..Default::default() };
        state.set_undoer(egui::util::undoer::Undoer::with_settings(settings));
        state.store(ctx, id);
    }
}

/// Forgets everything egui keeps between frames (text edit states and their undo history,
/// focus, scroll positions, caches), keeping only its options (the theme). Called on lock.
pub fn forget_ui_memory(ctx: &egui::Context) {
    ctx.memory_mut(|memory| {
        let options = memory.options.clone();
        *memory = egui::Memory::default();
        memory.options = options;
    });
}

/// A labelled row holding any text edit.
pub fn field_with(ui: &mut egui::Ui, label: &str, edit: egui::TextEdit<'_>) -> egui::Response {
    ui.horizontal(|ui| {
        let name = form_label(ui, label);
        // As wide as the window allows, up to 340 px.
        let width = (ui.available_width() - 8.0).clamp(120.0, 340.0);
        ui.add(edit.desired_width(width)).labelled_by(name.id)
    })
    .inner
}

/// Names a widget in the accessibility tree for what it acts on: the visible text may stay
/// short ("Copy") while a screen reader hears which key it is ("Copy SendGrid production").
/// The name replaces the widget's own; it is worded only while assistive technology (or a
/// test) reads the tree, so a list of 10,000 keys costs nothing more without one.
pub fn accessible_name(response: &egui::Response, name: impl FnOnce() -> String) {
    response.ctx.accesskit_node_builder(response.id, |node| node.set_label(name()));
}

/// Gives the panel holding `ui` its place in the accessibility tree: egui names a panel's node a
/// pane but gives it no bounds, so a screen reader (and the layout tests) could not tell where
/// the list ends and the key's page begins. Call first inside each panel.
pub fn pane_bounds(ui: &egui::Ui) {
    let mut stack = Some(std::sync::Arc::clone(ui.stack()));
    while let Some(level) = stack {
        if level.kind().is_some_and(|kind| kind.is_panel()) {
            let rect = level.max_rect;
            ui.ctx().accesskit_node_builder(level.unique_id, |node| {
                node.set_bounds(egui::accesskit::Rect {
                    x0: rect.min.x.into(),
                    y0: rect.min.y.into(),
                    x1: rect.max.x.into(),
                    y1: rect.max.y.into(),
                });
            });
            return;
        }
        stack = level.parent.clone();
    }
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

/// A button for a change that cannot be taken back: white words on the palette's red.
pub fn destructive_button(ui: &egui::Ui, text: &str) -> egui::Button<'static> {
    let text = egui::RichText::new(text.to_owned()).color(egui::Color32::WHITE).strong();
    egui::Button::new(text).fill(theme::danger(ui.visuals().dark_mode))
}

/// A question before a change that is hard to undo: `Some(true)` confirmed, `Some(false)`
/// cancelled (Cancel or Esc), `None` still open.
pub fn confirm_ui(ctx: &egui::Context, confirm: &crate::ui::session::Confirmation) -> Option<bool> {
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("confirm")).show(ctx, |ui| {
        ui.set_max_width(480.0);
        ui.heading(&confirm.title);
        ui.label(&confirm.body);
        ui.add_space(theme::GAP);
        ui.horizontal(|ui| {
            // Cancel first and focused: Enter alone does not confirm something hard to undo.
            let cancel = ui.button("Cancel");
            if !cancel.has_focus() && ui.memory(|m| m.focused().is_none()) {
                cancel.request_focus();
            }
            if cancel.clicked() {
                answer = Some(false);
            }
            let button = if confirm.destructive {
                destructive_button(ui, confirm.action)
            } else {
                egui::Button::new(confirm.action)
            };
            if ui.add(button).clicked() {
                answer = Some(true);
            }
        });
    });
    if modal.should_close() && answer.is_none() {
        answer = Some(false);
    }
    answer
}

/// A provider's mark: its letters on its colour, drawn in a small rounded box.
pub fn provider_mark_ui(ui: &mut egui::Ui, provider: crate::providers::Provider) {
    let (letters, colour) = theme::provider_mark(provider);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(26.0, 18.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 4.0, colour);
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        letters,
        egui::FontId::proportional(10.0),
        egui::Color32::WHITE,
    );
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
    /// The colour it is said in: none for plain news, never the good colour for a failure.
    pub kind: Option<Badge>,
    pub until: DateTime<Utc>,
}

/// The toasts on screen.
#[derive(Default)]
pub struct Toasts {
    pub items: Vec<Toast>,
}

impl Toasts {
    /// News: said in the text colour.
    pub fn info(&mut self, text: String, now: DateTime<Utc>) {
        self.items.push(Toast { text, kind: None, until: now + chrono::Duration::seconds(6) });
    }

    /// Something to look at that did not fail (shown longer).
    pub fn warn(&mut self, text: String, now: DateTime<Utc>) {
        self.items.push(Toast { text, kind: Some(Badge::Warn), until: now + chrono::Duration::seconds(10) });
    }

    /// A failure (shown longer).
    pub fn error(&mut self, text: String, now: DateTime<Utc>) {
        self.items.push(Toast { text, kind: Some(Badge::Bad), until: now + chrono::Duration::seconds(10) });
    }

    /// Drops the toasts whose time is up (before a frame, also while the window is hidden).
    pub fn expire(&mut self, now: DateTime<Utc>) {
        self.items.retain(|t| t.until > now);
        if self.items.len() > 4 {
            self.items.drain(..self.items.len() - 4);
        }
    }

    /// When the next toast goes.
    pub fn next_expiry(&self) -> Option<DateTime<Utc>> {
        self.items.iter().map(|t| t.until).min()
    }

    /// Draws the live toasts in a strip at the bottom of the window, where they cover nothing
    /// (call before the central panel).
    pub fn panel_ui(&self, ui: &mut egui::Ui) {
        if self.items.is_empty() {
            return;
        }
        egui::Panel::bottom("toasts").show(ui, |ui| {
            pane_bounds(ui);
            for toast in &self.items {
                let mut text = egui::RichText::new(&toast.text);
                if let Some(kind) = toast.kind {
                    text = text.color(theme::badge(ui.visuals().dark_mode, kind));
                }
                ui.add(egui::Label::new(text).wrap());
            }
        });
    }
}

/// A secret drawn in full, laid out once: later frames reuse the layout instead of copying the
/// secret again.
pub fn secret_text_ui(
    ui: &mut egui::Ui,
    secret: &SecretString,
    galley: &mut Option<std::sync::Arc<egui::Galley>>,
) {
    let galley = galley.get_or_insert_with(|| {
        let font = egui::TextStyle::Monospace.resolve(ui.style());
        ui.painter().layout_no_wrap(secret.expose_secret().to_owned(), font, ui.visuals().text_color())
    });
    ui.label(galley.clone());
}

/// How often a spinner turns: ten steps a second.
const SPINNER_STEP: std::time::Duration = std::time::Duration::from_millis(100);

/// A spinner that moves ten times a second. egui's own asks for the next frame at every frame:
/// with software rendering (no GPU) that drawing takes the cores the awaited job needs —
/// Argon2id at unlock ran ≈ 3× slower under it.
pub fn spinner(ui: &mut egui::Ui) -> egui::Response {
    let size = ui.style().spacing.interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::new(egui::Role::ProgressIndicator));
    if ui.is_rect_visible(rect) {
        ui.ctx().request_repaint_after(SPINNER_STEP);
        // egui's spinner (`egui::Spinner::paint_at`), with time in whole steps.
        let step = SPINNER_STEP.as_secs_f64();
        let time = (ui.input(|i| i.time) / step).floor() * step;
        let radius = rect.height() * 0.5 - 2.0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a small positive count")]
        let points = (radius.round() as u32).clamp(8, 128);
        let start = time * std::f64::consts::TAU;
        let end = start + 240f64.to_radians() * time.sin();
        let line: Vec<egui::Pos2> = (0..points)
            .map(|i| {
                let angle = egui::emath::lerp(start..=end, f64::from(i) / f64::from(points));
                let (sin, cos) = angle.sin_cos();
                #[allow(clippy::cast_possible_truncation, reason = "a point on screen")]
                let offset = egui::vec2(cos as f32, sin as f32);
                rect.center() + radius * offset
            })
            .collect();
        ui.painter().add(egui::Shape::line(line, egui::Stroke::new(3.0, ui.visuals().strong_text_color())));
    }
    response
}

/// What the window shows while a lock waits for a provider's answer to be recorded.
pub fn locking_ui(ui: &mut egui::Ui, job: &str) {
    egui::CentralPanel::default().show(ui, |ui| {
        pane_bounds(ui);
        centered_card(ui, 560.0, |ui| {
            ui.heading("Locking…");
            ui.horizontal(|ui| {
                spinner(ui);
                ui.label(format!("{job}…"));
            });
            ui.label("Keydesk locks as soon as the answer is recorded, so nothing the provider did is lost.");
        });
    });
}

/// The vault is inside a job (a password change): what it does, with a progress bar when the
/// job counts its steps.
pub fn busy_ui(ui: &mut egui::Ui, job: Option<(String, Option<(usize, usize)>)>) {
    egui::CentralPanel::default().show(ui, |ui| {
        pane_bounds(ui);
        centered_card(ui, 560.0, |ui| {
            let Some((label, progress)) = job else {
                spinner(ui);
                return;
            };
            ui.heading(format!("{label}…"));
            match progress {
                Some((done, total)) => {
                    #[allow(clippy::cast_precision_loss, reason = "a fraction for a progress bar")]
                    let fraction = done as f32 / total as f32;
                    ui.add(egui::ProgressBar::new(fraction).text(format!("{done} of {total} keys")));
                }
                None => {
                    spinner(ui);
                }
            }
            ui.label("The vault is back when this is done; a crash meanwhile loses nothing.");
        });
    });
}

/// A running job as the top bar shows it: its id (for Cancel), what it does, and for a job
/// that counts its steps, how far it got and its estimate of the seconds left.
pub struct BusyJob {
    pub id: u64,
    pub label: String,
    pub progress: Option<(usize, usize)>,
    pub seconds_left: Option<u64>,
}

/// The top bar: name, clipboard countdown, the running job with its progress and Cancel.
pub fn status_bar_ui(
    ui: &mut egui::Ui,
    countdown: Option<(String, i64)>,
    busy: Option<BusyJob>,
) -> Option<Command> {
    let mut command = None;
    egui::Panel::top("status").show(ui, |ui| {
        pane_bounds(ui);
        ui.horizontal(|ui| {
            ui.heading("Keydesk");
            if let Some((label, secs)) = countdown {
                ui.separator();
                ui.label(format!("Clipboard: {label} clears in {secs} s"));
            }
            if let Some(BusyJob { id, label, progress, seconds_left }) = busy {
                ui.separator();
                match progress {
                    Some((done, total)) => {
                        ui.label(format!("{label}:"));
                        #[allow(clippy::cast_precision_loss, reason = "a fraction for a progress bar")]
                        let fraction = done as f32 / total.max(1) as f32;
                        let mut text = format!("{done} done · {} left", total.saturating_sub(done));
                        if let Some(secs) = seconds_left.filter(|_| done < total) {
                            text.push_str(&format!(
                                " · about {} left",
                                crate::words::duration(std::time::Duration::from_secs(secs))
                            ));
                        }
                        ui.add(egui::ProgressBar::new(fraction).desired_width(220.0).text(text));
                    }
                    None => {
                        spinner(ui);
                        ui.label(format!("{label}…"));
                    }
                }
                if ui.button("Cancel").clicked() {
                    command = Some(Command::CancelJob(id));
                }
            }
        });
    });
    command
}

/// A banner with a button; returns whether it was clicked.
pub fn banner_with_action_ui(ui: &mut egui::Ui, text: &str, action: Option<&str>) -> bool {
    let mut clicked = false;
    egui::Panel::top("banner").show(ui, |ui| {
        pane_bounds(ui);
        egui::Frame::new().fill(theme::banner_fill(ui.visuals().dark_mode)).inner_margin(8.0).show(
            ui,
            |ui| {
                ui.label(egui::RichText::new(text).strong());
                if let Some(action) = action {
                    clicked = ui.button(action).clicked();
                }
            },
        );
    });
    clicked
}

/// The screen a shortcut asks for, with its key: Ctrl+N New key, Ctrl+K "Which key is
/// this?", Ctrl+F the list (its search), Ctrl+1 to Ctrl+5 as the navigation lists them. The
/// same keys on a local and a team vault.
pub fn screen_shortcut(ui: &mut egui::Ui) -> Option<(egui::Key, Screen)> {
    let keys = [
        (egui::Key::N, Screen::New),
        (egui::Key::K, Screen::Whois),
        (egui::Key::F, Screen::Keys),
        (egui::Key::Num1, Screen::Keys),
        (egui::Key::Num2, Screen::Accounts),
        (egui::Key::Num3, Screen::Audit),
        (egui::Key::Num4, Screen::Settings),
        (egui::Key::Num5, Screen::Health),
    ];
    keys.into_iter().find(|(key, _)| {
        ui.input_mut(|i| i.consume_shortcut(&egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, *key)))
    })
}

/// One entry of the navigation on the left: what it opens, its label and shortcut, whether
/// it is open now, and why it is off when it is (said when the pointer rests on it).
pub struct NavItem<'a, T> {
    pub opens: T,
    pub label: &'static str,
    pub shortcut: &'static str,
    pub open: bool,
    pub why_off: Option<&'a str>,
}

/// The screens of the navigation, in its order, with their labels and shortcuts (a team vault
/// adds its own entries after them).
pub const SCREENS: [(Screen, &str, &str); 8] = [
    (Screen::Keys, "Keys", "Ctrl+1"),
    (Screen::New, "New key", "Ctrl+N"),
    (Screen::Accounts, "API settings", "Ctrl+2"),
    (Screen::Audit, "Audit log", "Ctrl+3"),
    (Screen::Settings, "Settings", "Ctrl+4"),
    (Screen::Health, "Health", "Ctrl+5"),
    (Screen::Whois, "Which key is this?", "Ctrl+K"),
    (Screen::Incidents, "Incidents", ""),
];

/// What was clicked in the navigation.
pub enum NavClick<T> {
    Open(T),
    Lock,
}

/// The navigation on the left, the same on a local and a team vault: its entries, then Lock.
pub fn nav_panel_ui<T: Clone>(ui: &mut egui::Ui, items: &[NavItem<'_, T>]) -> Option<NavClick<T>> {
    let mut clicked = None;
    egui::Panel::left("nav").resizable(false).exact_size(170.0).show(ui, |ui| {
        pane_bounds(ui);
        ui.add_space(theme::GAP);
        for item in items {
            let entry =
                ui.add_enabled(item.why_off.is_none(), egui::Button::selectable(item.open, item.label));
            let entry = match item.why_off {
                Some(why) => entry.on_disabled_hover_text(why),
                None if item.shortcut.is_empty() => entry,
                None => entry.on_hover_text(item.shortcut),
            };
            if entry.clicked() {
                clicked = Some(NavClick::Open(item.opens.clone()));
            }
        }
        ui.add_space(theme::GAP);
        if ui.button("Lock").on_hover_text("Ctrl+L").clicked() {
            clicked = Some(NavClick::Lock);
        }
    });
    clicked
}

/// The dialog that shows a new secret once.
pub fn shown_once_ui(ctx: &egui::Context, shown: &mut ShownOnce) -> Option<session::Command> {
    let mut command = None;
    let modal = egui::Modal::new(egui::Id::unique("shown-once")).show(ctx, |ui| {
        ui.set_max_width(560.0);
        ui.heading(format!("{} — shown once", shown.label));
        ui.label("Copy it into the integration now. Keydesk keeps it encrypted; Reveal is audited.");
        ui.add_space(theme::GAP);
        secret_text_ui(ui, &shown.secret, &mut shown.galley);
        ui.add_space(theme::GAP);
        ui.horizontal(|ui| {
            if let Some(id) = &shown.key_id
                && ui.button("Copy").clicked()
            {
                command = Some(session::Command::Copy(id.clone()));
            }
            if ui.button("Done").clicked() {
                command = Some(session::Command::DismissShownOnce);
            }
        });
    });
    if modal.should_close() && command.is_none() {
        command = Some(session::Command::DismissShownOnce);
    }
    command
}
