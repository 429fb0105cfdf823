//! Filling a key into an integration's settings page from the browser, without the clipboard.
//!
//! The browser extension talks to Keydesk over the browser's native messaging
//! ([`messaging`]); Keydesk offers a page only the keys whose integrations have exactly its
//! origin ([`origin`]). docs/browser.md tells the whole design.

pub mod messaging;
pub mod origin;
