//! Filling a key into an integration's settings page from the browser, without the clipboard.
//!
//! Keydesk offers a page only the keys whose integrations have exactly its origin
//! ([`origin`]). docs/browser.md tells the whole design.

pub mod origin;
