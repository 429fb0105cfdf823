//! Colours and spacing: the only place they are chosen.

use egui::Color32;

/// Spacing between sections.
pub const GAP: f32 = 12.0;
/// Height of one row in the key list.
pub const ROW_HEIGHT: f32 = 28.0;
/// Width of form labels.
pub const LABEL_WIDTH: f32 = 150.0;

/// A status badge's colour.
pub fn badge(dark: bool, kind: Badge) -> Color32 {
    match (kind, dark) {
        (Badge::Good, false) => Color32::from_rgb(0x1e, 0x7d, 0x32),
        (Badge::Good, true) => Color32::from_rgb(0x81, 0xc7, 0x84),
        (Badge::Warn, false) => Color32::from_rgb(0xa6, 0x5e, 0x00),
        (Badge::Warn, true) => Color32::from_rgb(0xff, 0xb7, 0x4d),
        (Badge::Bad, false) => Color32::from_rgb(0xc6, 0x28, 0x28),
        (Badge::Bad, true) => Color32::from_rgb(0xef, 0x9a, 0x9a),
        (Badge::Muted, false) => Color32::from_gray(110),
        (Badge::Muted, true) => Color32::from_gray(150),
    }
}

/// What a badge says about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Badge {
    Good,
    Warn,
    Bad,
    Muted,
}

/// The banner colour for vault-level problems.
pub fn banner_fill(dark: bool) -> Color32 {
    if dark { Color32::from_rgb(0x5c, 0x1a, 0x1a) } else { Color32::from_rgb(0xfd, 0xec, 0xea) }
}

/// Applies Keydesk's look on top of egui's light or dark style (following the system).
pub fn apply(ctx: &egui::Context) {
    ctx.set_theme(egui::ThemePreference::System);
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(10.0, 4.0);
    });
}
