//! The clipboard, for one-time copies of a secret that clear themselves.
//!
//! [`SystemClipboard`] is the real one (arboard): the copy is marked to stay out of clipboard
//! history, and one instance lives as long as the app (on X11 and Wayland alike the content
//! dies with its owner). On Linux it is the Wayland session's clipboard through a data-control
//! protocol when the compositor has one, else X11's (`wayland.rs`). [`FakeClipboard`] is for
//! UI tests. Only a hash of what Keydesk copied is kept, so the app can clear the clipboard
//! later only if it still holds that copy.

use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

#[cfg(target_os = "linux")]
mod wayland;

/// What went wrong with the clipboard. Never carries the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClipboardError {
    #[error("The clipboard is not available ({0}): copy by hand from Reveal instead.")]
    Unavailable(String),
}

/// A clipboard that can take a secret, be read back and be cleared.
pub trait Clipboard: Send {
    /// Puts `text` on the clipboard, marked as secret / excluded from history.
    fn set_secret(&mut self, text: &str) -> Result<(), ClipboardError>;
    /// The clipboard's text, if it holds text.
    fn text(&mut self) -> Option<Zeroizing<String>>;
    /// Empties the clipboard.
    fn clear(&mut self) -> Result<(), ClipboardError>;
}

/// SHA-256 of a clipboard text, to recognise Keydesk's own copy without keeping it.
pub fn fingerprint(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// How a timed copy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The time ran out and the clipboard, still holding the copy, was emptied.
    Cleared,
    /// Something else was copied meanwhile; the clipboard was left alone.
    Replaced,
}

/// Keeps `text`, already put on the clipboard, there for `seconds` (checking every quarter
/// second whether something else was copied), then empties it if it still holds `text`. For
/// the command line, whose process must stay alive to serve an X11 clipboard.
pub fn hold_then_clear(
    clipboard: &mut dyn Clipboard,
    text: &str,
    seconds: u64,
) -> Result<Held, ClipboardError> {
    let ours = fingerprint(text);
    let step = std::time::Duration::from_millis(250);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        std::thread::sleep(step.min(deadline.saturating_duration_since(std::time::Instant::now())));
        if clipboard.text().is_none_or(|t| fingerprint(&t) != ours) {
            return Ok(Held::Replaced);
        }
    }
    clipboard.clear()?;
    Ok(Held::Cleared)
}

/// The OS clipboard through arboard.
pub struct SystemClipboard {
    inner: arboard::Clipboard,
}

impl SystemClipboard {
    /// Connects to the clipboard (on Linux, the Wayland one of the session through a
    /// data-control protocol, else the X11 one).
    pub fn open() -> Result<Self, ClipboardError> {
        #[cfg(target_os = "linux")]
        wayland::check_session()?;
        arboard::Clipboard::new()
            .map(|inner| SystemClipboard { inner })
            .map_err(|e| ClipboardError::Unavailable(e.to_string()))
    }

    /// Whether the clipboard, read back as a paste would, holds `text`: a copy is counted only
    /// then. A Wayland copy is served from a thread of arboard's, and the compositor takes it
    /// a moment later, so a few reads are allowed (up to a second).
    fn read_back(&mut self, text: &str) -> Result<(), ClipboardError> {
        let ours = fingerprint(text);
        for attempt in 0..20 {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            if self.text().is_some_and(|t| fingerprint(&t) == ours) {
                return Ok(());
            }
        }
        // Not counted as a copy, so no timer will clear it: the offer is taken back now, lest
        // the key reach the clipboard later and stay. Another program's copy that is there
        // instead is left alone.
        if self.text().is_none_or(|t| t.is_empty() || fingerprint(&t) == ours) {
            let _taken_back = self.inner.clear();
        }
        Err(ClipboardError::Unavailable("the copy did not reach it".to_owned()))
    }
}

impl Clipboard for SystemClipboard {
    fn set_secret(&mut self, text: &str) -> Result<(), ClipboardError> {
        let set = self.inner.set();
        #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd", target_os = "netbsd"))]
        let set = {
            use arboard::SetExtLinux;
            set.exclude_from_history()
        };
        #[cfg(target_os = "macos")]
        let set = {
            use arboard::SetExtApple;
            set.exclude_from_history()
        };
        #[cfg(target_os = "windows")]
        let set = {
            use arboard::SetExtWindows;
            set.exclude_from_history()
        };
        set.text(text).map_err(|e| ClipboardError::Unavailable(e.to_string()))?;
        self.read_back(text)
    }

    fn text(&mut self) -> Option<Zeroizing<String>> {
        self.inner.get_text().ok().map(Zeroizing::new)
    }

    fn clear(&mut self) -> Result<(), ClipboardError> {
        self.inner.clear().map_err(|e| ClipboardError::Unavailable(e.to_string()))
    }
}

/// Stands in when the OS clipboard could not be opened: every copy says why.
pub struct UnavailableClipboard(pub ClipboardError);

impl Clipboard for UnavailableClipboard {
    fn set_secret(&mut self, _text: &str) -> Result<(), ClipboardError> {
        Err(self.0.clone())
    }

    fn text(&mut self) -> Option<Zeroizing<String>> {
        None
    }

    fn clear(&mut self) -> Result<(), ClipboardError> {
        Ok(())
    }
}

/// An in-memory clipboard for tests; clones share the content.
#[derive(Clone, Default)]
pub struct FakeClipboard {
    content: Arc<Mutex<Option<Zeroizing<String>>>>,
}

impl FakeClipboard {
    /// An empty clipboard.
    pub fn new() -> Self {
        Self::default()
    }

    /// What it holds (as a test would paste it).
    #[must_use]
    pub fn contents(&self) -> Option<String> {
        self.lock().as_ref().map(|s| s.as_str().to_owned())
    }

    /// Another program copies something.
    pub fn copy_from_elsewhere(&self, text: &str) {
        *self.lock() = Some(Zeroizing::new(text.to_owned()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Zeroizing<String>>> {
        self.content.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clipboard for FakeClipboard {
    fn set_secret(&mut self, text: &str) -> Result<(), ClipboardError> {
        *self.lock() = Some(Zeroizing::new(text.to_owned()));
        Ok(())
    }

    fn text(&mut self) -> Option<Zeroizing<String>> {
        self.lock().clone()
    }

    fn clear(&mut self) -> Result<(), ClipboardError> {
        *self.lock() = None;
        Ok(())
    }
}
