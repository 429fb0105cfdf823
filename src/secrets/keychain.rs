//! The OS keychain through `keyring-core`: Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows.
//!
//! Each entry is filed under service [`super::SERVICE`] with the entry name as its user name.
//! The store object is held by this value, not installed as a process-wide default. Values
//! are base64 text of sealed bytes; nothing here ever formats a value into an error.

use std::collections::HashMap;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};

use super::{SERVICE, SecretStore, SecretStoreError};

/// Secret values in the OS keychain.
pub struct KeychainStore {
    store: Arc<CredentialStore>,
}

impl KeychainStore {
    /// Connects to the platform's keychain. Fails with a sentence when none answers.
    pub fn open() -> Result<Self, SecretStoreError> {
        Ok(KeychainStore { store: platform_store()? })
    }

    fn entry(&self, name: &str) -> Result<Entry, SecretStoreError> {
        let modifiers = HashMap::from([("label", "Keydesk secret (encrypted)")]);
        self.store.build(SERVICE, name, Some(&modifiers)).map_err(map_error)
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>, SecretStoreError> {
    let store = zbus_secret_service_keyring_store::Store::new().map_err(map_error)?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, SecretStoreError> {
    let store = apple_native_keyring_store::keychain::Store::new().map_err(map_error)?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>, SecretStoreError> {
    let store = windows_native_keyring_store::Store::new().map_err(map_error)?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> Result<Arc<CredentialStore>, SecretStoreError> {
    Err(SecretStoreError::NoKeychain)
}

impl SecretStore for KeychainStore {
    fn put(&mut self, name: &str, value: &str) -> Result<(), SecretStoreError> {
        self.entry(name)?.set_password(value).map_err(map_error)
    }

    fn get(&self, name: &str) -> Result<String, SecretStoreError> {
        match self.entry(name)?.get_password() {
            Ok(value) => Ok(value),
            Err(KeyringError::NoEntry) => Err(SecretStoreError::Missing { name: name.to_owned() }),
            Err(error) => Err(map_error(error)),
        }
    }

    fn delete(&mut self, name: &str) -> Result<bool, SecretStoreError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KeyringError::NoEntry) => Ok(false),
            Err(error) => Err(map_error(error)),
        }
    }

    fn names(&self, prefix: &str) -> Result<Vec<String>, SecretStoreError> {
        let spec = HashMap::from([("service", SERVICE)]);
        let entries = self.store.search(&spec).map_err(map_error)?;
        let mut names = Vec::new();
        for entry in entries {
            // An item deleted between the search and this read (another vault's, by another
            // Keydesk process) is simply no longer there: not a keychain failure.
            let attributes = match entry.get_attributes() {
                Ok(attributes) => attributes,
                Err(error) if vanished(&error) => continue,
                Err(error) => return Err(map_error(error)),
            };
            if let Some(user) = attributes.get("username").or_else(|| attributes.get("user"))
                && user.starts_with(prefix)
            {
                names.push(user.clone());
            }
        }
        names.sort();
        Ok(names)
    }
}

/// Whether the keychain said the item's object is gone: a read of a deleted item is answered
/// with D-Bus's UnknownObject, UnknownMethod ("Object does not exist at path …") or
/// UnknownInterface ("No such interface … on object at path …"), by gnome-keyring at least.
fn vanished(error: &KeyringError) -> bool {
    let said = error.to_string();
    matches!(error, KeyringError::NoEntry)
        || [
            "org.freedesktop.DBus.Error.UnknownObject",
            "org.freedesktop.DBus.Error.UnknownMethod",
            "org.freedesktop.DBus.Error.UnknownInterface",
        ]
        .iter()
        .any(|name| said.contains(name))
}

/// Maps a keychain error to a sentence. Variants that carry stored bytes are never shown.
fn map_error(error: KeyringError) -> SecretStoreError {
    match error {
        KeyringError::NoStorageAccess(inner) => {
            if inner.to_string().contains("prompt dismissed") {
                // Without a display the keychain's prompter cannot start, and the Secret
                // Service reports that as a dismissal.
                let display = ["DISPLAY", "WAYLAND_DISPLAY"]
                    .iter()
                    .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
                if display { SecretStoreError::PromptDismissed } else { SecretStoreError::LockedNoPrompter }
            } else {
                SecretStoreError::Locked
            }
        }
        KeyringError::PlatformFailure(inner) => {
            let text = inner.to_string();
            if text.contains("org.freedesktop.secrets")
                || text.contains("ServiceUnknown")
                || text.contains("no secret service provider")
                || text.contains("Address")
                || text.contains("connect")
                || text.contains("No such file or directory")
            {
                SecretStoreError::NoKeychain
            } else {
                SecretStoreError::Failed { detail: text }
            }
        }
        KeyringError::NoDefaultStore => SecretStoreError::NoKeychain,
        KeyringError::NoEntry => SecretStoreError::Failed { detail: "entry vanished".into() },
        KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => {
            SecretStoreError::Failed { detail: "an entry holds data Keydesk did not write".into() }
        }
        KeyringError::NotSupportedByStore(what) => {
            SecretStoreError::Failed { detail: format!("this keychain does not support {what}") }
        }
        KeyringError::Ambiguous(entries) => {
            SecretStoreError::Failed { detail: format!("{} entries share one name", entries.len()) }
        }
        other => SecretStoreError::Failed { detail: error_kind(&other) },
    }
}

/// A short description of the remaining variants, without their payloads.
fn error_kind(error: &KeyringError) -> String {
    match error {
        KeyringError::TooLong(attribute, limit) => format!("{attribute} is longer than {limit}"),
        KeyringError::Invalid(attribute, reason) => format!("{attribute} {reason}"),
        KeyringError::BadStoreFormat(reason) => reason.clone(),
        _ => "unexpected keychain error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Words(&'static str);

    impl std::fmt::Display for Words {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Words {}

    fn boxed(words: &'static str) -> Box<dyn std::error::Error + Send + Sync> {
        Box::new(Words(words))
    }

    /// What a dismissed prompt is called here: with a display, a dismissal; without one, a
    /// prompt that could never show.
    fn dismissed_words() -> &'static str {
        let display =
            ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
        if display { "dismissed or could not be shown" } else { "no display to ask for its password" }
    }

    /// Each keychain failure gets its own sentence; stored bytes never reach one.
    #[test]
    fn keychain_errors_map_to_sentences() {
        let cases: Vec<(KeyringError, &str)> = vec![
            (KeyringError::NoStorageAccess(boxed("SS error: prompt dismissed")), dismissed_words()),
            (KeyringError::NoStorageAccess(boxed("SS Error: object locked")), "keychain is locked"),
            (
                KeyringError::NoStorageAccess(boxed("SS error: result not returned from SS API")),
                "keychain is locked",
            ),
            (
                KeyringError::PlatformFailure(boxed(
                    "zbus error: org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided",
                )),
                "No OS keychain is running",
            ),
            (
                KeyringError::PlatformFailure(boxed("zbus error: I/O error: failed to connect")),
                "No OS keychain is running",
            ),
            (KeyringError::NoDefaultStore, "No OS keychain is running"),
            (KeyringError::PlatformFailure(boxed("something odd")), "The OS keychain failed (something odd)"),
            (KeyringError::BadEncoding(b"sealed-value-bytes".to_vec()), "holds data Keydesk did not write"),
            (KeyringError::TooLong("username".into(), 255), "username is longer than 255"),
        ];
        for (error, words) in cases {
            let text = map_error(error).to_string();
            assert!(text.contains(words), "{text:?} lacks {words:?}");
            assert!(!text.contains("sealed-value-bytes"));
            assert!(text.ends_with('.'), "{text}");
        }
    }
}
