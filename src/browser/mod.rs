//! Filling a key into an integration's settings page from the browser, without the clipboard.
//!
//! The browser extension talks to `keydesk browser-host` over the browser's native messaging
//! ([`messaging`]); the host asks the running Keydesk over a per-user Unix socket
//! ([`socket`]); Keydesk offers a page only the keys whose integrations have exactly its
//! origin ([`origin`]). docs/browser.md tells the whole design.

pub mod answer;
pub mod guard;
#[cfg(target_os = "linux")]
pub mod install;
pub mod messaging;
pub mod origin;
#[cfg(target_os = "linux")]
pub mod peer;
#[cfg(target_os = "linux")]
pub mod socket;
