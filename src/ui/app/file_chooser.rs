//! The desktop's own file chooser, through the XDG desktop portal
//! (`org.freedesktop.portal.FileChooser` on the session bus): `OpenFile` or `SaveFile`, then
//! the `Response` signal of the `org.freedesktop.portal.Request` object the call returns. It
//! blocks until the user answers, so it runs in a job, never on the UI thread.
//!
//! Where no portal answers (no portal service on the bus, none with a file chooser, one that
//! does not take the call within `PORTAL_CALL_TIMEOUT`, an error), the window keeps its typed path field and says so in one sentence; a user who
//! cancels the dialog is answered `Ok(None)`, which is no error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Open a file that is there, or name one to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Open,
    Save,
}

/// Which bus the portal is asked on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PortalBus {
    /// The user's session bus (`DBUS_SESSION_BUS_ADDRESS`).
    #[default]
    Session,
    /// A bus at this D-Bus address (tests give a bus of their own).
    Address(String),
}

/// What the dialog asks for.
#[derive(Debug, Clone)]
pub struct FileRequest {
    pub verb: Verb,
    /// The dialog's title.
    pub title: String,
    /// The name a saved file is offered under.
    pub current_name: Option<String>,
    /// The folder the dialog opens in.
    pub current_folder: Option<PathBuf>,
    /// Named groups of glob patterns (`("CSV", ["*.csv"])`); the first is chosen.
    pub filters: Vec<(String, Vec<String>)>,
}

/// Why the desktop's file chooser gave no file (a cancel is no error: `Ok(None)`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChooserError {
    /// No portal service, or none with a file chooser, on the bus.
    #[error("This desktop offers no file chooser: type the file's path in the field instead.")]
    Unavailable,
    /// The portal took the call but did not answer it within `PORTAL_CALL_TIMEOUT`.
    #[error("The desktop's file chooser did not open: type the file's path in the field instead.")]
    NoAnswer,
    /// The portal answered with an error.
    #[error("The desktop's file chooser failed: type the file's path in the field instead.")]
    Failed,
    /// The chosen file is not on this computer's file system.
    #[error("The chosen file is not on this computer: choose a local file, or type its path in the field.")]
    NotLocal,
}

/// How long the portal has to take the call (it answers at once with the dialog's handle, then
/// the user takes as long as they like): a portal that started but whose backend hangs would
/// otherwise leave the window waiting for a dialog that never opens.
pub const PORTAL_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Asks the desktop's file chooser on `bus`; blocks until the user answers. `Ok(None)`: the
/// user cancelled.
#[cfg(target_os = "linux")]
pub fn choose(bus: &PortalBus, request: &FileRequest) -> Result<Option<PathBuf>, ChooserError> {
    use zbus::blocking::connection::Builder;
    let builder = match bus {
        PortalBus::Session => Builder::session(),
        PortalBus::Address(address) => Builder::address(address.as_str()),
    };
    let connection = builder
        .map(|b| b.method_timeout(PORTAL_CALL_TIMEOUT))
        .and_then(|b| b.build())
        .map_err(|_no_bus| ChooserError::Unavailable)?;
    portal::ask(&connection, request)
}

/// No portal off Linux: the typed path field.
#[cfg(not(target_os = "linux"))]
pub fn choose(_bus: &PortalBus, _request: &FileRequest) -> Result<Option<PathBuf>, ChooserError> {
    Err(ChooserError::Unavailable)
}

#[cfg(target_os = "linux")]
mod portal {
    use std::path::PathBuf;

    use zbus::blocking::{Connection, MessageIterator};
    use zbus::message::Type;
    use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

    use super::{ChooserError, FileRequest, Verb, handle_token, options, path_of_uri};

    const DESKTOP: &str = "org.freedesktop.portal.Desktop";
    const DESKTOP_PATH: &str = "/org/freedesktop/portal/desktop";

    pub(super) fn ask(
        connection: &Connection,
        request: &FileRequest,
    ) -> Result<Option<PathBuf>, ChooserError> {
        // Listened for before the call, so an answer that comes at once is not missed; the
        // portal's Request objects all answer on this interface, and ours is told by its path.
        let rule = zbus::MatchRule::builder()
            .msg_type(Type::Signal)
            .interface("org.freedesktop.portal.Request")
            .and_then(|b| b.member("Response"))
            .map(|b| b.build())
            .map_err(|_bad_rule| ChooserError::Failed)?;
        let responses = MessageIterator::for_match_rule(rule, connection, Some(16))
            .map_err(|_no_match| ChooserError::Failed)?;
        let token = handle_token();
        let method = match request.verb {
            Verb::Open => "OpenFile",
            Verb::Save => "SaveFile",
        };
        let reply = connection
            .call_method(
                Some(DESKTOP),
                DESKTOP_PATH,
                Some("org.freedesktop.portal.FileChooser"),
                method,
                &("", request.title.as_str(), options(request, &token)),
            )
            .map_err(|error| match error {
                // A portal took the call and never answered it: its backend hangs.
                zbus::Error::InputOutput(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                    ChooserError::NoAnswer
                }
                // No portal service on the bus, none with a file chooser, or it refused.
                _no_portal => ChooserError::Unavailable,
            })?;
        let handle: OwnedObjectPath =
            reply.body().deserialize().map_err(|_odd_reply| ChooserError::Failed)?;
        for message in responses {
            let Ok(message) = message else { return Err(ChooserError::Failed) };
            if message.header().path().map(|p| p.as_str()) != Some(handle.as_str()) {
                continue;
            }
            let (code, results): (u32, std::collections::HashMap<String, OwnedValue>) =
                message.body().deserialize().map_err(|_odd_answer| ChooserError::Failed)?;
            return match code {
                0 => {
                    first_uri(&results).map(|uri| path_of_uri(&uri).ok_or(ChooserError::NotLocal)).transpose()
                }
                // 1: the user cancelled; 2: the dialog was closed some other way.
                1 => Ok(None),
                _ => Err(ChooserError::Failed),
            };
        }
        Err(ChooserError::Failed)
    }

    /// The first of the answer's `uris`.
    fn first_uri(results: &std::collections::HashMap<String, OwnedValue>) -> Option<String> {
        let uris = results.get("uris")?;
        match &**uris {
            Value::Array(array) => array.iter().find_map(|v| match v {
                Value::Str(s) => Some(s.to_string()),
                _ => None,
            }),
            _ => None,
        }
    }
}

/// A handle token of this process's own (the spec asks for a valid object path element).
fn handle_token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("keydesk{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The call's options, as the portal's spec names them.
#[cfg(target_os = "linux")]
fn options<'a>(request: &'a FileRequest, token: &'a str) -> HashMap<&'static str, zbus::zvariant::Value<'a>> {
    use zbus::zvariant::Value;
    let mut options: HashMap<&'static str, Value<'a>> = HashMap::new();
    options.insert("handle_token", Value::from(token));
    options.insert("modal", Value::from(true));
    let filters: Vec<(String, Vec<(u32, String)>)> = request
        .filters
        .iter()
        .map(|(name, globs)| (name.clone(), globs.iter().map(|glob| (0u32, glob.clone())).collect()))
        .collect();
    if let Some(first) = filters.first().cloned() {
        options.insert("current_filter", Value::from(first));
    }
    if !filters.is_empty() {
        options.insert("filters", Value::from(filters));
    }
    if let Some(name) = &request.current_name {
        options.insert("current_name", Value::from(name.as_str()));
    }
    if let Some(folder) = &request.current_folder {
        use std::os::unix::ffi::OsStrExt;
        // A byte string with its trailing NUL, as the spec says.
        let mut bytes = folder.as_os_str().as_bytes().to_vec();
        bytes.push(0);
        options.insert("current_folder", Value::from(bytes));
    }
    options
}

/// The local path of a `file://` URI (percent-decoded); `None` for any other kind.
pub fn path_of_uri(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///x` or `file://localhost/x`: no other host is this computer.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let mut bytes = Vec::with_capacity(rest.len());
    let mut input = rest.bytes();
    while let Some(byte) = input.next() {
        if byte == b'%' {
            let high = input.next().and_then(|b| (b as char).to_digit(16))?;
            let low = input.next().and_then(|b| (b as char).to_digit(16))?;
            bytes.push(u8::try_from(high * 16 + low).ok()?);
        } else {
            bytes.push(byte);
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        String::from_utf8(bytes).ok().map(PathBuf::from)
    }
}

/// The folder and name of a typed path, to open the dialog there (an empty field: none).
pub fn split_typed(typed: &str) -> (Option<PathBuf>, Option<String>) {
    let typed = typed.trim();
    if typed.is_empty() {
        return (None, None);
    }
    let path = crate::storage::expand_home(Path::new(typed));
    let folder = path.parent().filter(|p| p.is_absolute() && p.is_dir()).map(Path::to_owned);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    (folder, name)
}

#[cfg(test)]
mod tests {
    use super::path_of_uri;

    #[test]
    fn file_uris_become_paths() {
        assert_eq!(path_of_uri("file:///home/ann/keys%20old.csv"), Some("/home/ann/keys old.csv".into()));
        assert_eq!(path_of_uri("file://localhost/tmp/a.csv"), Some("/tmp/a.csv".into()));
        assert_eq!(path_of_uri("https://example.com/a.csv"), None);
        assert_eq!(path_of_uri("file://server/share/a.csv"), None);
        assert_eq!(path_of_uri("file:///bad%zz"), None);
    }
}
