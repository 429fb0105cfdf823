//! The pieces of a key's page, local and team: a section as a card (a rounded frame with its
//! title), a status chip, a button with an icon beside its word, and the incident banner.
//! Margins and gaps come from the spacing scale of [`theme`].

use egui_material_icons::icons;

use super::theme::{self, Badge};
use super::widgets::accessible_name;

/// The icons the key's page uses (Material Symbols), each beside a word, never alone.
pub mod icon {
    use super::icons;

    pub const BACK: &str = icons::ICON_ARROW_BACK.codepoint;
    pub const COPY: &str = icons::ICON_CONTENT_COPY.codepoint;
    pub const REVEAL: &str = icons::ICON_VISIBILITY.codepoint;
    pub const HIDE: &str = icons::ICON_VISIBILITY_OFF.codepoint;
    pub const EDIT: &str = icons::ICON_EDIT.codepoint;
    pub const REVOKE: &str = icons::ICON_BLOCK.codepoint;
    pub const ROTATE: &str = icons::ICON_AUTORENEW.codepoint;
    pub const CHECK: &str = icons::ICON_VERIFIED.codepoint;
    pub const SAVE: &str = icons::ICON_SAVE.codepoint;
    pub const CLOSE: &str = icons::ICON_CLOSE.codepoint;
    pub const INCIDENT: &str = icons::ICON_REPORT.codepoint;
}

/// How a button with an icon looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// The page's main action: filled with the selection colour.
    Primary,
    Plain,
    /// A change that cannot be taken back: white words on red.
    Destructive,
}

/// A button with `glyph` (one of [`icon`]) before `word`. The accessibility tree, and the
/// tests, name it `name`, in plain words (never the glyph).
pub fn icon_button(
    ui: &mut egui::Ui,
    glyph: &str,
    word: &str,
    look: Look,
    name: impl FnOnce() -> String,
) -> egui::Response {
    let text = egui::RichText::new(format!("{glyph}  {word}"));
    let button = match look {
        Look::Plain => egui::Button::new(text),
        Look::Primary => {
            let selection = ui.visuals().selection.bg_fill;
            egui::Button::new(text.color(ui.visuals().strong_text_color())).fill(selection)
        }
        Look::Destructive => egui::Button::new(text.color(egui::Color32::WHITE).strong())
            .fill(theme::danger(ui.visuals().dark_mode)),
    };
    let response = ui.add(button);
    accessible_name(&response, name);
    response
}

/// [`icon_button`], off while `why_not` holds, saying it on hover.
pub fn icon_button_unless(
    ui: &mut egui::Ui,
    why_not: Option<&str>,
    (glyph, word, look): (&str, &str, Look),
    name: impl FnOnce() -> String,
) -> egui::Response {
    let response = ui.add_enabled_ui(why_not.is_none(), |ui| icon_button(ui, glyph, word, look, name)).inner;
    match why_not {
        Some(why) => response.on_disabled_hover_text(why),
        None => response,
    }
}

/// A section of a page as a card: a rounded frame a step off the window, its title, then
/// what `add` draws, with the same inner margins everywhere.
pub fn section<R>(ui: &mut egui::Ui, title: &str, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    frame(ui, |ui| {
        if !title.is_empty() {
            ui.label(egui::RichText::new(title).strong().size(15.0));
            ui.add_space(theme::SPACE_8);
        }
        add(ui)
    })
}

/// A card with no title (the header of a key's page).
pub fn frame<R>(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let palette = theme::palette(ui.visuals().dark_mode);
    let inner = egui::Frame::new()
        .fill(palette.card)
        .stroke(egui::Stroke::new(1.0, palette.card_edge))
        .corner_radius(theme::CARD_RADIUS)
        .inner_margin(theme::SPACE_16)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui)
        })
        .inner;
    ui.add_space(theme::SPACE_12);
    inner
}

/// A red-tinted card at the top of a key's page: an open incident, or a revoke at the
/// provider that has not happened.
pub fn alert<R>(ui: &mut egui::Ui, title: &str, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let dark = ui.visuals().dark_mode;
    let edge = theme::badge(dark, Badge::Bad);
    let inner = egui::Frame::new()
        .fill(theme::banner_fill(dark))
        .stroke(egui::Stroke::new(1.0, edge))
        .corner_radius(theme::CARD_RADIUS)
        .inner_margin(theme::SPACE_12)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.label(egui::RichText::new(icon::INCIDENT).size(18.0));
                ui.add(egui::Label::new(egui::RichText::new(title).strong()).wrap());
            });
            add(ui)
        })
        .inner;
    ui.add_space(theme::SPACE_12);
    inner
}

/// A status chip: the word on a rounded fill of the status's colour. `truncate`: the word is
/// cut to the room there is (the list's column), still read in full on hover and by a
/// screen reader.
pub fn chip(ui: &mut egui::Ui, text: &str, kind: Badge, truncate: bool) -> egui::Response {
    let (fill, words) = theme::chip(ui.visuals().dark_mode, kind);
    egui::Frame::new()
        .fill(fill)
        .corner_radius(theme::CHIP_RADIUS)
        .inner_margin(egui::Margin::symmetric(8, 2))
        .show(ui, |ui| {
            let label = egui::Label::new(egui::RichText::new(text).color(words).strong());
            if truncate { ui.add(label.truncate()) } else { ui.add(label.wrap()) }
        })
        .inner
}

/// A row of facts: the name in the weak colour over a fixed column, the value wrapping in
/// what is left. Call inside [`facts`].
pub fn fact(ui: &mut egui::Ui, width: f32, name: &str, value: impl FnOnce(&mut egui::Ui)) {
    ui.label(egui::RichText::new(name).weak());
    ui.scope(|ui| {
        ui.set_max_width(width);
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
        value(ui);
    });
    ui.end_row();
}

/// A two-column grid of facts; `add` gets the width a value may take.
pub fn facts(ui: &mut egui::Ui, id: &str, add: impl FnOnce(&mut egui::Ui, f32)) {
    let name_width = theme::LABEL_WIDTH;
    let value_width = (ui.available_width() - name_width - theme::SPACE_24).max(120.0);
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([theme::SPACE_24, theme::SPACE_8])
        .min_col_width(name_width)
        .show(ui, |ui| add(ui, value_width));
}
