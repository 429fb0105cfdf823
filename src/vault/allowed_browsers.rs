//! The browsers allowed to ask for keys, and a fill: a key's secret handed to a browser for a
//! field of one of its integrations' pages (`crate::browser` checks the page; the vault
//! hands the secret out through its gate and records where it went). And the leak guard: its
//! switch, the key a pasted text is (by keyed hash), and a warning on record.

use secrecy::SecretString;

use super::audit::Action;
use super::model::{KeyId, KeyRecord};
use super::{Vault, VaultError};

/// The most browsers kept as allowed: a list that long is a sign of something gone wrong.
const MOST_BROWSERS: usize = 64;

/// The audit line's detail of `browser` allowed to ask for keys, or no longer.
pub fn browser_detail(browser: &str, allowed: bool) -> String {
    if allowed {
        format!("allowed {browser} to ask for keys on its integrations' pages")
    } else {
        format!("stopped allowing {browser} to ask for keys")
    }
}

impl Vault {
    /// Whether the user allowed `browser` to ask for keys.
    pub fn browser_allowed(&self, browser: &str) -> bool {
        self.file.header.browsers.iter().any(|allowed| allowed == browser)
    }

    /// Allows `browser` to ask for keys, or takes that back; recorded either way.
    pub fn allow_browser(&mut self, browser: &str, allowed: bool) -> Result<(), VaultError> {
        if allowed == self.browser_allowed(browser) {
            return Ok(());
        }
        if allowed && self.file.header.browsers.len() >= MOST_BROWSERS {
            return Err(VaultError::OutOfRange { field: "number of allowed browsers", range: "at most 64" });
        }
        let detail = browser_detail(browser, allowed);
        let browser = browser.to_owned();
        self.apply(Action::Browser, None, detail, |file| {
            if allowed {
                file.header.browsers.push(browser);
            } else {
                file.header.browsers.retain(|kept| *kept != browser);
            }
            Ok(())
        })
    }

    /// The secret of key `id` for a browser's field; `detail` says where it goes (the
    /// integration, the page and the browser). Recorded before it is handed over: no record,
    /// no secret.
    pub fn fill(&mut self, id: &KeyId, detail: String) -> Result<SecretString, VaultError> {
        let index = self.index_of(id)?;
        let record = &self.file.keys[index];
        if !record.is_live() {
            return Err(VaultError::Revoked { label: record.label.clone(), action: "fill" });
        }
        let id = record.id.clone();
        let secret = match self.hand_out(record) {
            Ok(secret) => secret,
            Err(error) => {
                self.record_failure(Action::Fill, Some(&id), &error);
                return Err(error);
            }
        };
        self.commit_use_saying(Action::Fill, index, detail)?;
        Ok(secret)
    }

    /// Whether the leak guard is on.
    pub fn leak_guard(&self) -> bool {
        self.file.header.leak_guard
    }

    /// Turns the leak guard on or off; recorded (an audit line `browser`).
    pub fn set_leak_guard(&mut self, on: bool) -> Result<(), VaultError> {
        if on == self.leak_guard() {
            return Ok(());
        }
        self.apply(Action::Browser, None, crate::browser::guard::switch_detail(on), |file| {
            file.header.leak_guard = on;
            Ok(())
        })
    }

    /// The key whose secret is `text`, revoked ones too, found by keyed hash alone (as `whois`
    /// finds it: nothing is decrypted, nothing recorded).
    pub fn key_with_secret(&self, text: &str) -> Option<&KeyRecord> {
        self.matching_key(text)
    }

    /// Records that key `id` was pasted into a page that is not one of its integrations
    /// (`detail`: which page, from which browser); appended like a fill's line.
    pub fn record_paste_warning(&mut self, id: &KeyId, detail: String) -> Result<(), VaultError> {
        let index = self.index_of(id)?;
        self.commit_use_saying(Action::PasteWarning, index, detail)
    }
}
