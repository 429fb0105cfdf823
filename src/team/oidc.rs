//! Signing in to a team vault's server with the company's login (OpenID Connect), as
//! `bao login -method=oidc` does: Keydesk asks the server for the company login's address
//! (`auth/<mount>/oidc/auth_url`, with a loopback redirect address and a nonce of its own),
//! listens on 127.0.0.1 for the browser's return, opens the system browser there, and gives
//! the code the browser brings back to the server (`auth/<mount>/oidc/callback`), which
//! answers with a token. The server accepts a loopback redirect address on any port (RFC
//! 8252, 7.3), so the port is whichever the system gives.
//!
//! The token is the caller's to keep (in the OS keychain); nothing here writes or logs it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ureq::http::Method;
use zeroize::Zeroizing;

use super::kv::{Kv, KvError, Location, message};

/// The OIDC method's mount `keydesk team setup` makes.
pub const MOUNT: &str = "oidc";
/// The OIDC role `keydesk team setup` makes.
pub const ROLE: &str = "keydesk";
/// The path of the loopback address the browser comes back to (as `bao login` uses).
pub const CALLBACK_PATH: &str = "/oidc/callback";
/// The redirect address the role allows: any port on 127.0.0.1 (RFC 8252, 7.3).
pub const REDIRECT_URI: &str = "http://127.0.0.1/oidc/callback";
/// How long Keydesk waits for the browser to come back.
pub const WAIT: Duration = Duration::from_secs(5 * 60);

/// The longest a state, code or error the browser brings back may be.
const MAX_VALUE: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("{0}")]
    Server(#[from] KvError),
    #[error(
        "The server has no company login for Keydesk at auth/{mount} (role \"{role}\"): ask your team's admin to run `keydesk team setup --oidc-discovery-url URL --oidc-client-id ID`."
    )]
    NotSetUp { mount: String, role: String },
    #[error(
        "The team's server gave no address for the company's login: most often it cannot reach the company's login just now, so try again in a moment; if it goes on, ask your team's admin to check that the company's login is up and that the role \"{role}\" at auth/{mount} accepts Keydesk's loopback address (`keydesk team setup`)."
    )]
    NoAddress { mount: String, role: String },
    #[error(
        "Keydesk could not listen on 127.0.0.1 for the browser's return ({0}): close what holds the loopback ports, or try again."
    )]
    Listen(String),
    #[error(
        "No sign-in came back from the browser within {waited}: sign in again, and finish the sign-in in the browser Keydesk opens."
    )]
    TimedOut { waited: String },
    #[error("The sign-in with your company account was cancelled: nothing was signed in.")]
    Cancelled,
    #[error(
        "The team's server could not reach the company's login ({0}): try again in a moment; if it goes on, ask your team's admin whether the company's login is up and reachable from the server."
    )]
    ProviderAway(String),
    #[error(
        "The company's login did not sign you in ({0}): try again, or ask your team's admin whether your account may use Keydesk."
    )]
    Refused(String),
    #[error(
        "The server refused the sign-in the company's login gave ({0}): try again, or ask your team's admin to check the server's OIDC setup."
    )]
    Callback(String),
}

/// What the browser brought back to the loopback address.
enum Return {
    /// The code and the state it belongs to.
    Code { code: Zeroizing<String>, state: String },
    /// The company's login said no (`error`, `error_description`).
    Error(String),
}

/// Signs in on the OIDC method at `auth/<mount>` with `role`: `open` is given the company
/// login's address to show the user (it opens the browser; the address holds no secret);
/// the browser's return is awaited for `wait`, or until `cancelled` is set. A connection to
/// `location` that presents the token the server gave.
pub fn sign_in(
    location: Location,
    (mount, role): (&str, &str),
    rng: &mut dyn crate::vault::Entropy,
    (wait, cancelled): (Duration, &AtomicBool),
    open: &mut dyn FnMut(&str),
) -> Result<Kv, OidcError> {
    super::signin::check_name(mount)?;
    super::signin::check_name(role)?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|error| OidcError::Listen(error.to_string()))?;
    let port = listener.local_addr().map_err(|error| OidcError::Listen(error.to_string()))?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
    let nonce = nonce(rng);
    let anonymous = Kv::new(location.clone(), Zeroizing::new(String::new()));
    let body = json!({ "role": role, "redirect_uri": redirect_uri, "client_nonce": nonce.as_str() });
    let response = anonymous.send_raw(
        &Method::POST,
        &format!("auth/{mount}/oidc/auth_url"),
        Some(body.to_string().as_bytes()),
    )?;
    let not_set_up = || OidcError::NotSetUp { mount: mount.to_owned(), role: role.to_owned() };
    if !(200..=299).contains(&response.status) {
        return Err(if matches!(response.status, 400 | 403 | 404 | 405) {
            not_set_up()
        } else {
            server_error(&response)
        });
    }
    let answer: Value = serde_json::from_str(&response.body)
        .map_err(|_unread| KvError::Malformed { what: "no sign-in address" })?;
    let auth_url = answer.pointer("/data/auth_url").and_then(Value::as_str).unwrap_or_default();
    // The server answers an empty address (and logs why) when its role refuses the redirect
    // address or it cannot reach the company's login to read where its sign-in page is.
    if auth_url.is_empty() {
        return Err(OidcError::NoAddress { mount: mount.to_owned(), role: role.to_owned() });
    }
    if !(auth_url.starts_with("https://") || auth_url.starts_with("http://")) || auth_url.len() > 8192 {
        return Err(KvError::Malformed { what: "sign-in address" }.into());
    }
    let state = query_value(auth_url.split_once('?').map_or("", |(_, query)| query), "state")
        .filter(|state| !state.is_empty())
        .ok_or(KvError::Malformed { what: "sign-in address without a state" })?;
    open(auth_url);
    listener.set_nonblocking(true).map_err(|error| OidcError::Listen(error.to_string()))?;
    let deadline = Instant::now() + wait;
    let (mut stream, returned) = wait_for_return(&listener, (deadline, cancelled), &state, wait)?;
    let outcome = match returned {
        Return::Error(said) => Err(OidcError::Refused(said)),
        Return::Code { code, state } => finish(&anonymous, mount, &state, &code, &nonce),
    };
    match &outcome {
        Ok(_) => answer_page(
            &mut stream,
            "200 OK",
            "Signed in to the team's server: you can close this tab and go back to Keydesk.",
        ),
        Err(error) => {
            answer_page(&mut stream, "400 Bad Request", &format!("Keydesk was not signed in. {error}"));
        }
    }
    Ok(Kv::new(location, outcome?))
}

/// The company login as both front ends run it for a team vault that signs in with it
/// (`SignIn::Oidc`'s `mount` and `role`): the `browser` program (given the address as its one
/// argument; [`browser_from_env`]), else the system's opener, is started at the company
/// login's address; `shown` is given that address, and why no browser could be started when
/// none could, for the user to open it themselves. Waits up to [`WAIT`] for the browser's
/// return, or until `cancelled` is set.
pub fn sign_in_with_browser(
    location: Location,
    (mount, role): (&str, &str),
    browser: Option<&std::ffi::OsStr>,
    (rng, cancelled): (&mut dyn crate::vault::Entropy, &AtomicBool),
    shown: &mut dyn FnMut(&str, Option<String>),
) -> Result<Kv, OidcError> {
    let mut open = |url: &str| {
        let problem = open_browser(browser, url).err();
        shown(url, problem);
    };
    sign_in(location, (mount, role), rng, (WAIT, cancelled), &mut open)
}

/// Gives the code to the server: the token it answers with.
fn finish(
    anonymous: &Kv,
    mount: &str,
    state: &str,
    code: &Zeroizing<String>,
    nonce: &str,
) -> Result<Zeroizing<String>, OidcError> {
    let api = Zeroizing::new(format!(
        "auth/{mount}/oidc/callback?state={}&code={}&client_nonce={}",
        encode(state),
        encode(code),
        encode(nonce)
    ));
    let response = anonymous.send_raw(&Method::GET, &api, None)?;
    match response.status {
        200..=299 => {}
        400 | 403 => {
            let said = message(&response);
            return Err(if says_unreachable(&said) {
                OidcError::ProviderAway(crate::vault::format::clip(&said, 200))
            } else {
                OidcError::Callback(crate::vault::format::clip(&said, 160))
            });
        }
        _ if says_unreachable(&message(&response)) => {
            return Err(OidcError::ProviderAway(crate::vault::format::clip(&message(&response), 200)));
        }
        _ => return Err(server_error(&response)),
    }
    let answer: Value =
        serde_json::from_str(&response.body).map_err(|_unread| KvError::Malformed { what: "no token" })?;
    let token = Zeroizing::new(
        answer.pointer("/auth/client_token").and_then(Value::as_str).unwrap_or_default().to_owned(),
    );
    if token.is_empty() {
        return Err(KvError::Malformed { what: "no token" }.into());
    }
    Ok(token)
}

/// Whether the server's refusal of a callback says it could not reach the company's login
/// (to exchange the code, or to read its discovery document).
fn says_unreachable(said: &str) -> bool {
    let said = said.to_ascii_lowercase();
    [
        "connection refused",
        "no such host",
        "i/o timeout",
        "network is unreachable",
        "connection reset",
        "context deadline exceeded",
        "error getting provider",
    ]
    .iter()
    .any(|sign| said.contains(sign))
}

fn server_error(response: &crate::providers::http::Response) -> OidcError {
    OidcError::Server(KvError::Server {
        status: response.status,
        message: crate::vault::format::clip(&message(response), 120),
    })
}

/// Answers the loopback address's visitors until one brings back `state`'s sign-in (or the
/// company login's refusal); others are told they are not it. An error once `deadline` passes
/// or `cancelled` is set.
fn wait_for_return(
    listener: &TcpListener,
    (deadline, cancelled): (Instant, &AtomicBool),
    state: &str,
    wait: Duration,
) -> Result<(TcpStream, Return), OidcError> {
    loop {
        if cancelled.load(Ordering::Relaxed) {
            return Err(OidcError::Cancelled);
        }
        match listener.accept() {
            Ok((mut stream, _from)) => {
                if let Some(returned) = read_return(&mut stream, state) {
                    return Ok((stream, returned));
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    let waited = match wait.as_secs() {
                        secs if secs < 120 => format!("{secs} seconds"),
                        secs => format!("{} minutes", secs / 60),
                    };
                    return Err(OidcError::TimedOut { waited });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(error) => return Err(OidcError::Listen(error.to_string())),
        }
    }
}

/// Reads one request from the browser: the sign-in's return when it is one for `state`;
/// anything else is answered (not found, or not this sign-in) and `None`.
fn read_return(stream: &mut TcpStream, state: &str) -> Option<Return> {
    if stream.set_nonblocking(false).is_err()
        || stream.set_read_timeout(Some(Duration::from_secs(10))).is_err()
    {
        return None;
    }
    let mut request = Zeroizing::new(Vec::with_capacity(8192));
    let mut buffer = Zeroizing::new([0u8; 2048]);
    while !request.windows(4).any(|end| end == b"\r\n\r\n") && request.len() < 16 * 1024 {
        match stream.read(&mut buffer[..]) {
            Ok(0) | Err(_) => break,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    let line = request.split(|byte| *byte == b'\r').next().unwrap_or_default();
    let line = std::str::from_utf8(line).unwrap_or_default();
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if method != "GET" || path != CALLBACK_PATH {
        answer_page(stream, "404 Not Found", "This is Keydesk's sign-in address: nothing else is here.");
        return None;
    }
    if query_value(query, "state").as_deref() != Some(state) {
        answer_page(
            stream,
            "400 Bad Request",
            "This is not the sign-in Keydesk is waiting for: finish the one Keydesk opened.",
        );
        return None;
    }
    if let Some(error) = query_value(query, "error") {
        let description = query_value(query, "error_description").unwrap_or_default();
        let said = if description.is_empty() { error } else { format!("{error}: {description}") };
        return Some(Return::Error(crate::vault::format::clip(&said, 160)));
    }
    match query_value(query, "code") {
        Some(code) if !code.is_empty() => {
            Some(Return::Code { code: Zeroizing::new(code), state: state.to_owned() })
        }
        _ => {
            answer_page(
                stream,
                "400 Bad Request",
                "The company's login sent no code: start the sign-in in Keydesk again.",
            );
            None
        }
    }
}

/// Answers the browser with a small page saying `text`, and closes the connection.
fn answer_page(stream: &mut TcpStream, status: &str, text: &str) {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Keydesk</title></head><body><p>{escaped}</p></body></html>"
    );
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        page.len()
    );
    // The browser may be gone already: the sign-in's outcome does not depend on this page.
    let written = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(page.as_bytes()));
    if written.is_ok() {
        let _flushed = stream.flush().is_ok();
    }
}

/// The value of `name` in a query string, percent-decoded; `None` when it is not there, or
/// is not short printable ASCII.
fn query_value(query: &str, name: &str) -> Option<String> {
    let raw = query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?;
    let decoded = decode(raw)?;
    (decoded.len() <= MAX_VALUE && decoded.bytes().all(|byte| (0x20..0x7f).contains(&byte)))
        .then_some(decoded)
}

/// Percent-decoding (with '+' as a space), or `None` for a broken escape.
fn decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                at += 3;
            }
            b'+' => {
                out.push(b' ');
                at += 1;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encoding of all but the unreserved characters (RFC 3986).
pub(super) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// 192 random bits, in hex: the nonce only this sign-in knows, asked for at the callback.
fn nonce(rng: &mut dyn crate::vault::Entropy) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 24]);
    rng.fill(&mut bytes[..]);
    let mut out = Zeroizing::new(String::with_capacity(48));
    for byte in bytes.iter() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The program `$KEYDESK_BROWSER` names, which opens the company login's address instead of
/// the system's opener (a browser of the user's choice, or a test's).
pub fn browser_from_env() -> Option<std::ffi::OsString> {
    std::env::var_os("KEYDESK_BROWSER").filter(|program| !program.is_empty())
}

/// Opens `url` with `program` (`KEYDESK_BROWSER`, else the system's opener); the program
/// runs on by itself. An error sentence when it cannot be started.
pub fn open_browser(program: Option<&std::ffi::OsStr>, url: &str) -> Result<(), String> {
    let opener: &std::ffi::OsStr = match program {
        Some(program) => program,
        None if cfg!(target_os = "macos") => "open".as_ref(),
        None => "xdg-open".as_ref(),
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        // The browser is the user's: it is not waited for, nor stopped.
        Ok(child) => {
            drop(child);
            Ok(())
        }
        Err(error) => Err(format!("{} could not be started ({error})", opener.to_string_lossy())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_decoded_and_bounded() {
        let query = "state=st_1%2Fx&code=a+b%3D&error=&bad=%zz";
        assert_eq!(query_value(query, "state").as_deref(), Some("st_1/x"));
        assert_eq!(query_value(query, "code").as_deref(), Some("a b="));
        assert_eq!(query_value(query, "error").as_deref(), Some(""));
        assert_eq!(query_value(query, "bad"), None);
        assert_eq!(query_value(query, "missing"), None);
        assert_eq!(query_value("code=%0A", "code"), None, "no control characters");
        assert_eq!(query_value(&format!("code={}", "a".repeat(MAX_VALUE + 1)), "code"), None);
        // A name that only starts like another is not it.
        assert_eq!(query_value("codex=1&code=2", "code").as_deref(), Some("2"));
    }

    #[test]
    fn values_sent_on_are_encoded_as_they_were_given() {
        for value in ["a b/c?d=e&f", "plain-._~", "100%"] {
            assert_eq!(decode(&encode(value)).as_deref(), Some(value));
        }
        assert_eq!(encode("a/b"), "a%2Fb");
    }

    #[test]
    fn each_sign_in_has_a_nonce_of_its_own() {
        let mut rng = crate::vault::test_rng(3);
        let (first, second) = (nonce(&mut rng), nonce(&mut rng));
        assert_eq!(first.len(), 48);
        assert_ne!(first, second);
    }
}
