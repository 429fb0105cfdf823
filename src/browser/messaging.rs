//! The browser's native messaging: framing, the typed requests and replies, and the loop that
//! answers a stream of them.
//!
//! A message is a 32-bit length in the machine's byte order, then that many bytes of UTF-8
//! JSON. Keydesk reads at most 1 MiB per message from the browser and writes at most 1 MiB
//! (the browser's own limit for a native host's message). Each request carries an `id` that
//! its reply repeats, so a reply that comes late is matched to its request. Every bad
//! message gets one error reply; a message whose length cannot be trusted (too large, cut
//! off) ends the stream, since nothing after it can be framed.

use std::io::{ErrorKind, Read, Write};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::guard::{Found, Pasted};
use super::origin::Offer;

/// The largest message read or written: 1 MiB.
pub const MAX_MESSAGE: usize = 1024 * 1024;

/// A message that could not be framed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("The message is {0} bytes long; Keydesk takes at most 1 MiB (1048576 bytes).")]
    TooLarge(u64),
    #[error("The message ended after {got} of its {expected} bytes.")]
    Truncated { got: usize, expected: usize },
    #[error("The message could not be read or written ({0}).")]
    Io(ErrorKind),
}

/// Reads one message. `Ok(None)`: the stream ended cleanly, between messages.
pub fn read_frame(input: &mut impl Read) -> Result<Option<Zeroizing<Vec<u8>>>, FrameError> {
    let mut length = [0u8; 4];
    let got = read_full(input, &mut length)?;
    if got == 0 {
        return Ok(None);
    }
    if got < length.len() {
        return Err(FrameError::Truncated { got, expected: length.len() });
    }
    let length = u32::from_ne_bytes(length);
    let size = usize::try_from(length).map_err(|_overflow| FrameError::TooLarge(u64::from(length)))?;
    if size > MAX_MESSAGE {
        return Err(FrameError::TooLarge(u64::from(length)));
    }
    let mut body = Zeroizing::new(vec![0u8; size]);
    let got = read_full(input, &mut body)?;
    if got < size {
        return Err(FrameError::Truncated { got, expected: size });
    }
    Ok(Some(body))
}

/// Writes one message: its length, then its bytes.
pub fn write_frame(output: &mut impl Write, body: &[u8]) -> Result<(), FrameError> {
    if body.len() > MAX_MESSAGE {
        return Err(FrameError::TooLarge(body.len() as u64));
    }
    let length = u32::try_from(body.len()).map_err(|_overflow| FrameError::TooLarge(body.len() as u64))?;
    output.write_all(&length.to_ne_bytes()).map_err(|e| FrameError::Io(e.kind()))?;
    output.write_all(body).map_err(|e| FrameError::Io(e.kind()))?;
    output.flush().map_err(|e| FrameError::Io(e.kind()))
}

/// Reads until `buffer` is full or the stream ends; answers how many bytes came.
fn read_full(input: &mut impl Read, buffer: &mut [u8]) -> Result<usize, FrameError> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(FrameError::Io(e.kind())),
        }
    }
    Ok(filled)
}

/// What the extension asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Which keys are offered on the page at `origin` (its `location.origin`)?
    Offers { id: u64, origin: String },
    /// The secret of `key`, to fill into a field of the page at `origin`, for `integration`.
    Fill { id: u64, origin: String, key: String, integration: String },
    /// During a rotation, the new `key` was tried on the page at `origin` and works for
    /// `integration`: tick "tested" in the rotation's checklist.
    Tested { id: u64, origin: String, key: String, integration: String },
    /// The keys the page at `origin` could be added to, by label and provider (no secret):
    /// the page has none, and the user may propose it for one.
    Keys { id: u64, origin: String },
    /// Propose adding the page at `origin` to `key`'s integrations: the window asks the user,
    /// who confirms (and names the integration) there.
    AddPage { id: u64, origin: String, key: String },
    /// Is the leak guard on? Asked before any pasted text is sent (none is while it is off).
    Guard { id: u64 },
    /// With the leak guard on: which key, if any, is `text` (pasted into a field of the page at
    /// `origin`), and is that page one of its integrations?
    CheckPaste { id: u64, origin: String, text: Pasted },
}

impl Request {
    /// The id the reply repeats.
    pub fn id(&self) -> u64 {
        match self {
            Request::Offers { id, .. }
            | Request::Fill { id, .. }
            | Request::Tested { id, .. }
            | Request::Keys { id, .. }
            | Request::AddPage { id, .. }
            | Request::Guard { id }
            | Request::CheckPaste { id, .. } => *id,
        }
    }
}

/// A key the page could be added to: by label and provider, never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyChoice {
    pub key: String,
    pub label: String,
    pub provider: String,
}

/// A message that is not a request, with the id it carried when one could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest {
    pub id: Option<u64>,
    pub error: String,
}

/// Reads a request from a message's bytes.
pub fn parse_request(body: &[u8]) -> Result<Request, BadRequest> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: u64,
    }
    serde_json::from_slice::<Request>(body).map_err(|error| {
        let id = serde_json::from_slice::<IdOnly>(body).ok().map(|only| only.id);
        let error = if error.is_data() {
            let mut said = error.to_string();
            said.truncate(said.floor_char_boundary(160));
            format!("The message is not a request Keydesk knows ({said}).")
        } else {
            "The message is not JSON text.".to_owned()
        };
        BadRequest { id, error }
    })
}

/// Why a request got no answer: what the extension may do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The message was not a request.
    BadRequest,
    /// The message was over 1 MiB.
    TooLarge,
    /// No Keydesk answers on this computer.
    NotRunning,
    /// Keydesk runs, but its vault is locked.
    Locked,
    /// Keydesk refused: the key is not offered on this page, or this browser is not allowed.
    Refused,
    /// Keydesk could not answer (the secret could not be read, the answer was too large).
    Failed,
}

/// Keydesk's answer to one request. Holds a secret in `Fill`: no `Debug`, no `Serialize`.
pub enum Reply {
    Offers {
        id: u64,
        offers: Vec<Offer>,
    },
    Fill {
        id: u64,
        value: SecretString,
    },
    /// A rotation's step ticked "tested"; `said` is the sentence to show.
    Tested {
        id: u64,
        said: String,
    },
    /// The keys a page could be added to.
    Keys {
        id: u64,
        keys: Vec<KeyChoice>,
    },
    /// A page proposed for a key's integrations: `said` tells to confirm in the window.
    AddPage {
        id: u64,
        said: String,
    },
    /// Whether the leak guard is on.
    Guard {
        id: u64,
        on: bool,
    },
    /// A pasted text checked: the key it is (`None`: no key of the vault), and the notice to
    /// show beside the field when the page is not one of its integrations.
    CheckPaste {
        id: u64,
        found: Option<Found>,
        warning: Option<String>,
    },
    Error {
        id: Option<u64>,
        code: ErrorCode,
        error: String,
    },
}

impl Reply {
    /// An error reply.
    pub fn error(id: Option<u64>, code: ErrorCode, error: impl Into<String>) -> Reply {
        Reply::Error { id, code, error: error.into() }
    }

    /// The reply as JSON, in a buffer wiped when dropped. A reply over 1 MiB becomes an error
    /// reply saying so.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let body = match self {
            Reply::Fill { id, value } => encode_fill(*id, value),
            Reply::Offers { id, offers } => plain(&Plain::Offers { id: *id, offers }),
            Reply::Tested { id, said } => plain(&Plain::Tested { id: *id, said }),
            Reply::Keys { id, keys } => plain(&Plain::Keys { id: *id, keys }),
            Reply::AddPage { id, said } => plain(&Plain::AddPage { id: *id, said }),
            Reply::Guard { id, on } => plain(&Plain::Guard { id: *id, on: *on }),
            Reply::CheckPaste { id, found, warning } => {
                plain(&Plain::CheckPaste { id: *id, found: found.as_ref(), warning: warning.as_deref() })
            }
            Reply::Error { id, code, error } => plain(&Plain::Error { id: *id, code: *code, error }),
        };
        if body.len() <= MAX_MESSAGE {
            return body;
        }
        let error = "The answer was larger than 1 MiB: too many keys are offered on this page.";
        plain(&Plain::Error { id: self.id(), code: ErrorCode::Failed, error })
    }

    /// The id of the request answered, when it had one.
    pub fn id(&self) -> Option<u64> {
        match self {
            Reply::Offers { id, .. }
            | Reply::Fill { id, .. }
            | Reply::Tested { id, .. }
            | Reply::Keys { id, .. }
            | Reply::AddPage { id, .. }
            | Reply::Guard { id, .. }
            | Reply::CheckPaste { id, .. } => Some(*id),
            Reply::Error { id, .. } => *id,
        }
    }
}

/// The replies that hold no secret, as written.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Plain<'a> {
    Offers {
        id: u64,
        offers: &'a [Offer],
    },
    Tested {
        id: u64,
        said: &'a str,
    },
    Keys {
        id: u64,
        keys: &'a [KeyChoice],
    },
    AddPage {
        id: u64,
        said: &'a str,
    },
    Guard {
        id: u64,
        on: bool,
    },
    CheckPaste {
        id: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        found: Option<&'a Found>,
        #[serde(skip_serializing_if = "Option::is_none")]
        warning: Option<&'a str>,
    },
    Error {
        id: Option<u64>,
        code: ErrorCode,
        error: &'a str,
    },
}

fn plain(reply: &Plain<'_>) -> Zeroizing<Vec<u8>> {
    match serde_json::to_vec(reply) {
        Ok(bytes) => Zeroizing::new(bytes),
        // Plain data of strings and numbers always serialises; keep a reply anyway.
        Err(_unexpected) => Zeroizing::new(
            br#"{"type":"error","id":null,"code":"failed","error":"Keydesk could not write its answer."}"#
                .to_vec(),
        ),
    }
}

/// `{"type":"fill","id":…,"value":"…"}`, written into a buffer allocated once at its largest
/// size (each byte of the secret escaped to at most 6), so no copy of the secret is left
/// behind in a freed allocation.
fn encode_fill(id: u64, value: &SecretString) -> Zeroizing<Vec<u8>> {
    let secret = value.expose_secret();
    let head = format!(r#"{{"type":"fill","id":{id},"value":"#);
    let mut out = Zeroizing::new(Vec::with_capacity(head.len() + secret.len() * 6 + 3));
    out.extend_from_slice(head.as_bytes());
    if serde_json::to_writer(&mut *out, secret).is_err() {
        return plain(&Plain::Error {
            id: Some(id),
            code: ErrorCode::Failed,
            error: "Keydesk could not write the key.",
        });
    }
    out.push(b'}');
    out
}

/// How a stream of messages ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEnd {
    /// The other side closed it between two messages.
    Closed,
    /// A message could not be framed: it was answered with an error, and the stream ends.
    Broken(FrameError),
}

/// Answers every message on `input` on `output`, one reply per message, in order: a request
/// by `answer`, anything else by an error reply. Ends when `input` does, or at a message whose
/// length cannot be trusted, or when `output` can no longer be written.
pub fn answer_stream(
    input: &mut impl Read,
    output: &mut impl Write,
    mut answer: impl FnMut(&Request, &[u8]) -> Zeroizing<Vec<u8>>,
) -> StreamEnd {
    loop {
        let body = match read_frame(input) {
            Ok(Some(body)) => body,
            Ok(None) => return StreamEnd::Closed,
            Err(error) => {
                let code = if matches!(error, FrameError::TooLarge(_)) {
                    ErrorCode::TooLarge
                } else {
                    ErrorCode::BadRequest
                };
                if !matches!(error, FrameError::Io(_)) {
                    let reply = Reply::error(None, code, error.to_string()).encode();
                    if let Err(unwritable) = write_frame(output, &reply) {
                        return StreamEnd::Broken(unwritable);
                    }
                }
                return StreamEnd::Broken(error);
            }
        };
        let reply = match parse_request(&body) {
            Ok(request) => answer(&request, &body),
            Err(bad) => Reply::error(bad.id, ErrorCode::BadRequest, bad.error).encode(),
        };
        if let Err(error) = write_frame(output, &reply) {
            return StreamEnd::Broken(error);
        }
    }
}
