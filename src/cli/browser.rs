//! `keydesk browser-host`: the browser extension's native messaging host.
//!
//! The browser starts it and writes the extension's requests on its stdin; each request is
//! checked, then handed to the running Keydesk over the user's socket
//! ([`crate::browser::socket`]), and Keydesk's reply written back on stdout. It holds no
//! vault and reads no file: when no Keydesk answers, the reply says to open and unlock it.

use super::CliError;

/// Answers the browser until it closes stdin. A message that cannot be framed (over 1 MiB,
/// cut off) is answered with an error and ends the host with exit code 1.
#[cfg(target_os = "linux")]
pub fn host() -> Result<(), CliError> {
    use crate::browser::messaging::{ErrorCode, Reply, StreamEnd, answer_stream};
    use crate::browser::socket::{SocketError, ask, socket_path};

    let path = socket_path();
    let forward = |request: &crate::browser::messaging::Request, body: &[u8]| match path
        .clone()
        .and_then(|path| ask(&path, body))
    {
        Ok(reply) => reply,
        Err(error) => {
            let code =
                if error == SocketError::NotRunning { ErrorCode::NotRunning } else { ErrorCode::Failed };
            Reply::error(Some(request.id()), code, error.to_string()).encode()
        }
    };
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    match answer_stream(&mut input, &mut output, forward) {
        StreamEnd::Closed => Ok(()),
        StreamEnd::Broken(error) => Err(CliError::Failed(error.to_string())),
    }
}

/// The socket and its peer check are Linux's for now.
#[cfg(not(target_os = "linux"))]
pub fn host() -> Result<(), CliError> {
    Err(CliError::Failed("The browser host runs on Linux only for now.".into()))
}
