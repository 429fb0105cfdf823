//! Keydesk: a desktop vault for the API keys of email-marketing platforms.
//!
//! The library holds everything; the binary only parses arguments and calls in. See
//! `ARCHITECTURE.md` for the map.

pub mod actions;
pub mod browser;
pub mod cli;
pub mod clipboard;
pub mod import;
pub mod parallel;
pub mod providers;
pub mod reminder;
pub mod secrets;
pub mod storage;
pub mod team;
pub mod ui;
pub mod vault;
pub mod words;
