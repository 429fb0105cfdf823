//! Which clipboard a Linux session offers a program that may not have the keyboard focus.
//!
//! On Wayland a program reaches the clipboard from the background (the command line's `copy`,
//! the window's clear timer while minimized) only through a data-control protocol
//! (wlr-data-control or ext-data-control); arboard uses it when the compositor has one, else
//! falls back to X11 (XWayland, when `DISPLAY` is set). This asks the compositor first, so
//! that a desktop without the protocol is named as such, not as an X11 connection's time-out.

use wl_clipboard_rs::utils::{PrimarySelectionCheckError, is_primary_selection_supported};

use super::ClipboardError;

/// Whether arboard may be asked for the clipboard, or why not.
pub(super) fn check_session() -> Result<(), ClipboardError> {
    if std::env::var_os("WAYLAND_DISPLAY").is_none_or(|d| d.is_empty()) {
        return Ok(());
    }
    let x11 = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty());
    match is_primary_selection_supported() {
        // Whether the primary selection is there is beside the point: the compositor answered
        // and has a data-control protocol.
        Ok(_) => Ok(()),
        // arboard falls back to XWayland's X11 clipboard.
        Err(_) if x11 => Ok(()),
        Err(PrimarySelectionCheckError::MissingProtocol) => Err(ClipboardError::Unavailable(
            "this Wayland desktop lets only a focused window use the clipboard: it has no \
             data-control protocol, and there is no X11 display (DISPLAY) to fall back on"
                .to_owned(),
        )),
        Err(PrimarySelectionCheckError::NoSeats) => Err(ClipboardError::Unavailable(
            "the Wayland desktop has no seat (no keyboard or pointer)".to_owned(),
        )),
        Err(
            PrimarySelectionCheckError::SocketOpenError(_)
            | PrimarySelectionCheckError::WaylandConnection(_)
            | PrimarySelectionCheckError::WaylandCommunication(_),
        ) => Err(ClipboardError::Unavailable(
            "the Wayland compositor named by WAYLAND_DISPLAY does not answer, and there is no X11 \
             display (DISPLAY) to fall back on"
                .to_owned(),
        )),
    }
}
