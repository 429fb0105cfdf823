//! The desktop's light or dark preference, for "Like the system". winit reports no theme on
//! X11, so Keydesk asks the freedesktop settings portal (`org.freedesktop.appearance`
//! `color-scheme`: 1 prefers dark, 2 prefers light) once, on a thread of its own.

use std::sync::mpsc::{Receiver, channel};

/// Starts the question; the answer arrives on the receiver (none when no portal answers).
pub fn ask_colour_scheme() -> Receiver<Option<egui::Theme>> {
    let (sender, receiver) = channel();
    #[allow(
        clippy::disallowed_methods,
        reason = "a question to the desktop portal, before any vault or job exists"
    )]
    let spawned = std::thread::Builder::new().name("keydesk desktop theme".into()).spawn(move || {
        // The window may be gone by then; nobody needs the answer.
        let _sent = sender.send(portal_colour_scheme());
    });
    // No thread, no question: the window keeps egui's own choice.
    drop(spawned);
    receiver
}

#[cfg(target_os = "linux")]
fn portal_colour_scheme() -> Option<egui::Theme> {
    use zbus::zvariant::{OwnedValue, Value};
    let connection = zbus::blocking::Connection::session().ok()?;
    let reply = connection
        .call_method(
            Some("org.freedesktop.portal.Desktop"),
            "/org/freedesktop/portal/desktop",
            Some("org.freedesktop.portal.Settings"),
            "Read",
            &("org.freedesktop.appearance", "color-scheme"),
        )
        .ok()?;
    let value: OwnedValue = reply.body().deserialize().ok()?;
    // Older portals wrap the value in a second variant.
    let mut value: Value<'_> = value.into();
    while let Value::Value(inner) = value {
        value = *inner;
    }
    match value {
        Value::U32(1) => Some(egui::Theme::Dark),
        Value::U32(2) => Some(egui::Theme::Light),
        _ => None,
    }
}

#[cfg(not(target_os = "linux"))]
fn portal_colour_scheme() -> Option<egui::Theme> {
    None
}
