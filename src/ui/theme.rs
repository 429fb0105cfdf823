//! Colours and spacing: the only place they are chosen. Two palettes, light and dark, each
//! checked for WCAG AA contrast (text 4.5:1, input boundaries 3:1) by the tests below.

use egui::Color32;

use crate::providers::Provider;

/// The spacing scale: every margin and gap of the cards is one of these.
pub const SPACE_4: f32 = 4.0;
pub const SPACE_8: f32 = 8.0;
pub const SPACE_12: f32 = 12.0;
pub const SPACE_16: f32 = 16.0;
pub const SPACE_24: f32 = 24.0;
/// Spacing between sections.
pub const GAP: f32 = SPACE_12;
/// The corner radius of a card, and of a chip.
pub const CARD_RADIUS: u8 = 8;
pub const CHIP_RADIUS: u8 = 10;
/// Height of one row in the key list.
pub const ROW_HEIGHT: f32 = 28.0;
/// Width of form labels.
pub const LABEL_WIDTH: f32 = 150.0;

/// Which palette the window uses (kept between runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ThemeChoice {
    /// The desktop's preference where the system reports one, else dark.
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    pub fn word(self) -> &'static str {
        match self {
            ThemeChoice::System => "Like the system",
            ThemeChoice::Light => "Light",
            ThemeChoice::Dark => "Dark",
        }
    }
}

/// The colours of one theme.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub window: Color32,
    pub panel: Color32,
    pub text: Color32,
    /// Secondary text (hints, placeholders, small print).
    pub weak_text: Color32,
    pub input: Color32,
    /// The outline of an input or button.
    pub boundary: Color32,
    pub good: Color32,
    pub warn: Color32,
    pub bad: Color32,
    pub muted: Color32,
    pub banner: Color32,
    /// The fill of a card (a section of a key's page), a step off the window's.
    pub card: Color32,
    /// The edge of a card.
    pub card_edge: Color32,
}

pub const LIGHT: Palette = Palette {
    window: Color32::from_rgb(0xf7, 0xf7, 0xf8),
    panel: Color32::from_rgb(0xf7, 0xf7, 0xf8),
    text: Color32::from_rgb(0x1f, 0x23, 0x28),
    weak_text: Color32::from_rgb(0x5a, 0x60, 0x69),
    input: Color32::from_rgb(0xff, 0xff, 0xff),
    boundary: Color32::from_rgb(0x7a, 0x80, 0x89),
    good: Color32::from_rgb(0x1b, 0x6e, 0x2c),
    warn: Color32::from_rgb(0x8a, 0x4b, 0x00),
    bad: Color32::from_rgb(0xb0, 0x1e, 0x1e),
    muted: Color32::from_rgb(0x5f, 0x63, 0x68),
    banner: Color32::from_rgb(0xfd, 0xec, 0xea),
    card: Color32::from_rgb(0xff, 0xff, 0xff),
    card_edge: Color32::from_rgb(0xdc, 0xde, 0xe2),
};

pub const DARK: Palette = Palette {
    window: Color32::from_rgb(0x1b, 0x1d, 0x21),
    panel: Color32::from_rgb(0x1b, 0x1d, 0x21),
    text: Color32::from_rgb(0xe6, 0xe8, 0xeb),
    weak_text: Color32::from_rgb(0xa8, 0xae, 0xb6),
    input: Color32::from_rgb(0x0f, 0x10, 0x13),
    boundary: Color32::from_rgb(0x80, 0x87, 0x90),
    good: Color32::from_rgb(0x81, 0xc7, 0x84),
    warn: Color32::from_rgb(0xff, 0xb7, 0x4d),
    bad: Color32::from_rgb(0xef, 0x9a, 0x9a),
    muted: Color32::from_gray(0xa0),
    banner: Color32::from_rgb(0x5c, 0x1a, 0x1a),
    card: Color32::from_rgb(0x24, 0x27, 0x2c),
    card_edge: Color32::from_rgb(0x34, 0x38, 0x3f),
};

/// The palette for egui's current light or dark mode.
pub fn palette(dark: bool) -> &'static Palette {
    if dark { &DARK } else { &LIGHT }
}

/// A status badge's colour.
pub fn badge(dark: bool, kind: Badge) -> Color32 {
    let palette = palette(dark);
    match kind {
        Badge::Good => palette.good,
        Badge::Warn => palette.warn,
        Badge::Bad => palette.bad,
        Badge::Muted => palette.muted,
    }
}

/// A status chip's fill and the colour of its words: the badge's colour filled, its words in
/// the window's colour (4.5:1 or more, as the badge's colour on the window).
pub fn chip(dark: bool, kind: Badge) -> (Color32, Color32) {
    (badge(dark, kind), palette(dark).window)
}

/// What a badge says about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Badge {
    Good,
    Warn,
    Bad,
    Muted,
}

/// The fill of a button whose change cannot be taken back (its words are white).
pub fn danger(dark: bool) -> Color32 {
    if dark { Color32::from_rgb(0xc6, 0x28, 0x28) } else { Color32::from_rgb(0xb0, 0x1e, 0x1e) }
}

/// The banner colour for vault-level problems.
pub fn banner_fill(dark: bool) -> Color32 {
    palette(dark).banner
}

/// A provider's mark: two letters on a colour of its own (drawn; no trademarked logo). Every
/// colour carries white text at 4.5:1 or more.
pub fn provider_mark(provider: Provider) -> (&'static str, Color32) {
    match provider {
        Provider::SendGrid => ("SG", Color32::from_rgb(0x1a, 0x5f, 0x9e)),
        Provider::Mailchimp => ("MC", Color32::from_rgb(0x6b, 0x55, 0x00)),
        Provider::Brevo => ("BR", Color32::from_rgb(0x0b, 0x6e, 0x4f)),
        Provider::Mailgun => ("MG", Color32::from_rgb(0xb0, 0x1e, 0x2f)),
        Provider::Postmark => ("PM", Color32::from_rgb(0x7a, 0x5c, 0x00)),
        Provider::Klaviyo => ("KL", Color32::from_rgb(0x23, 0x23, 0x23)),
        Provider::Kit => ("KT", Color32::from_rgb(0xa3, 0x2a, 0x4d)),
        Provider::MailerLite => ("ML", Color32::from_rgb(0x0a, 0x6b, 0x3b)),
        Provider::Mailjet => ("MJ", Color32::from_rgb(0x7b, 0x3f, 0x00)),
        Provider::AmazonSes => ("SES", Color32::from_rgb(0x8a, 0x4b, 0x00)),
        Provider::ElasticEmail => ("EE", Color32::from_rgb(0x2b, 0x4c, 0x8c)),
        Provider::GetResponse => ("GR", Color32::from_rgb(0x00, 0x5e, 0x8a)),
        Provider::SendPulse => ("SP", Color32::from_rgb(0x5a, 0x3d, 0x99)),
        Provider::HubSpot => ("HS", Color32::from_rgb(0xa8, 0x3a, 0x12)),
        Provider::ConstantContact => ("CC", Color32::from_rgb(0x1d, 0x4f, 0x91)),
        Provider::Keydesk => ("KD", Color32::from_rgb(0x3b, 0x44, 0x52)),
        Provider::Other => ("··", Color32::from_rgb(0x55, 0x5b, 0x66)),
    }
}

/// Applies Keydesk's look: the chosen palette over egui's style of the same mode.
pub fn apply(ctx: &egui::Context, choice: ThemeChoice) {
    // The icons beside the buttons' words (Material Symbols; added once, then kept).
    egui_material_icons::initialize(ctx);
    ctx.set_theme(match choice {
        ThemeChoice::System => egui::ThemePreference::System,
        ThemeChoice::Light => egui::ThemePreference::Light,
        ThemeChoice::Dark => egui::ThemePreference::Dark,
    });
    for (theme, palette) in [(egui::Theme::Light, &LIGHT), (egui::Theme::Dark, &DARK)] {
        ctx.style_mut_of(theme, |style| {
            style.spacing.item_spacing = egui::vec2(8.0, 6.0);
            style.spacing.button_padding = egui::vec2(10.0, 4.0);
            // No fades or slides: each animated frame is drawn in full (in software where
            // there is no GPU), and after unlock the list's scroll bar and a tooltip fading in
            // cost some 40 frames. Things appear at once, as in a desktop app with reduced motion.
            style.animation_time = 0.0;
            let visuals = &mut style.visuals;
            visuals.panel_fill = palette.panel;
            visuals.window_fill = palette.window;
            visuals.extreme_bg_color = palette.input;
            visuals.text_edit_bg_color = Some(palette.input);
            visuals.override_text_color = Some(palette.text);
            visuals.weak_text_color = Some(palette.weak_text);
            // Inputs and buttons at rest show their edge at 3:1 or more.
            visuals.widgets.inactive.bg_stroke = egui::Stroke::new(1.0, palette.boundary);
            visuals.widgets.hovered.bg_stroke = egui::Stroke::new(1.0, palette.text);
            // A visible focus ring.
            visuals.selection.stroke = egui::Stroke::new(2.0, palette.text);
        });
    }
}

/// WCAG 2 contrast ratio of two opaque colours.
pub fn contrast(a: Color32, b: Color32) -> f32 {
    fn luminance(c: Color32) -> f32 {
        let channel = |v: u8| {
            let v = f32::from(v) / 255.0;
            if v <= 0.039_28 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
    }
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_meets_wcag_aa_in_both_themes() {
        for (name, p) in [("light", &LIGHT), ("dark", &DARK)] {
            for background in [p.window, p.panel, p.input, p.card] {
                for (what, colour) in [
                    ("text", p.text),
                    ("weak text", p.weak_text),
                    ("good", p.good),
                    ("warning", p.warn),
                    ("error", p.bad),
                    ("muted", p.muted),
                ] {
                    let ratio = contrast(colour, background);
                    assert!(ratio >= 4.5, "{name}: {what} on {background:?} is {ratio:.2}:1");
                }
            }
            for background in [p.window, p.input, p.card] {
                let ratio = contrast(p.boundary, background);
                assert!(ratio >= 3.0, "{name}: input boundary {ratio:.2}:1");
            }
            // The banner carries text too.
            assert!(contrast(p.text, p.banner) >= 4.5, "{name}: banner text");
        }
        for dark in [false, true] {
            for kind in [Badge::Good, Badge::Warn, Badge::Bad, Badge::Muted] {
                let (fill, words) = chip(dark, kind);
                let ratio = contrast(words, fill);
                assert!(ratio >= 4.5, "{kind:?} chip (dark: {dark}) {ratio:.2}:1");
            }
            let ratio = contrast(Color32::WHITE, danger(dark));
            assert!(ratio >= 4.5, "destructive button (dark: {dark}) {ratio:.2}:1");
        }
        for provider in Provider::all() {
            let (_, colour) = provider_mark(provider);
            let ratio = contrast(Color32::WHITE, colour);
            assert!(ratio >= 4.5, "{provider:?} mark {ratio:.2}:1");
        }
    }

    #[test]
    fn contrast_matches_known_values() {
        assert!((contrast(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(Color32::WHITE, Color32::WHITE) - 1.0).abs() < 0.01);
    }
}
