//! The per-user socket between `keydesk browser-host` and the running Keydesk.
//!
//! It lives in `$XDG_RUNTIME_DIR/keydesk/` (the folder made readable by this user alone, and
//! refused when another user owns it or it is a link). Both ends check the other's user id
//! (`SO_PEERCRED`): the server answers this user's processes only, the host talks to this
//! user's Keydesk only. One connection carries one request and its reply, each at most
//! 1 MiB, each read and written within a few seconds.
//!
//! This file creates the runtime folder and the socket: the one place outside `src/storage/`
//! and `src/secrets/` that touches the file system, for a socket of its own.

use std::fs::DirBuilder;
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use zeroize::Zeroizing;

use super::messaging::{ErrorCode, FrameError, Reply, Request, parse_request, read_frame, write_frame};

/// The folder's name under `$XDG_RUNTIME_DIR`.
pub const FOLDER: &str = "keydesk";
/// The socket's name in it.
pub const SOCKET: &str = "browser.sock";
/// How long one side waits for the other to write or read a message.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// What went wrong on the socket, in a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SocketError {
    #[error("Keydesk is not running: open it and unlock your vault.")]
    NotRunning,
    #[error("XDG_RUNTIME_DIR is not set: log in to a desktop session, or set it to a folder of your own.")]
    NoRuntimeDir,
    #[error("{0} is not a folder of yours readable by you alone: remove it, then start Keydesk again.")]
    UnsafeFolder(String),
    #[error("Another Keydesk already answers the browser on this computer.")]
    InUse,
    #[error("The process at the other end runs as user {0}, not as you: it was refused.")]
    OtherUser(u32),
    #[error("The socket failed: {0}.")]
    Io(String),
    #[error("{0}")]
    Frame(#[from] FrameError),
}

fn io(error: &std::io::Error) -> SocketError {
    SocketError::Io(error.kind().to_string())
}

/// The socket's path: `$XDG_RUNTIME_DIR/keydesk/browser.sock`.
pub fn socket_path() -> Result<PathBuf, SocketError> {
    let runtime =
        std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty()).ok_or(SocketError::NoRuntimeDir)?;
    Ok(PathBuf::from(runtime).join(FOLDER).join(SOCKET))
}

fn our_uid() -> u32 {
    nix::unistd::getuid().as_raw()
}

/// Makes `folder` (mode 0700) unless it is there; refuses one that is a link, is another
/// user's, or is open to others.
fn private_folder(folder: &Path) -> Result<(), SocketError> {
    match DirBuilder::new().mode(0o700).create(folder) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(&e)),
    }
    check_private(folder)
}

fn check_private(folder: &Path) -> Result<(), SocketError> {
    let unsafe_folder = || SocketError::UnsafeFolder(folder.display().to_string());
    let meta = std::fs::symlink_metadata(folder).map_err(|e| io(&e))?;
    if !meta.is_dir() || meta.uid() != our_uid() || meta.permissions().mode() & 0o077 != 0 {
        return Err(unsafe_folder());
    }
    Ok(())
}

/// The user and process at the other end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub uid: u32,
    pub pid: i32,
}

/// The other end of `stream`, refused unless it runs as `expected_uid`.
pub fn check_peer(stream: &UnixStream, expected_uid: u32) -> Result<Peer, SocketError> {
    let credentials =
        getsockopt(stream, PeerCredentials).map_err(|e| SocketError::Io(e.desc().to_owned()))?;
    let peer = Peer { uid: credentials.uid(), pid: credentials.pid() };
    if peer.uid != expected_uid {
        return Err(SocketError::OtherUser(peer.uid));
    }
    Ok(peer)
}

/// What answers the browser's requests: the unlocked window, or a test's vault in memory.
pub trait Answerer {
    /// The reply to one request from `peer`.
    fn answer(&mut self, request: Request, peer: Peer) -> Reply;
}

/// Keydesk's end of the socket: bound while it lives, the socket file removed on drop.
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
}

impl Server {
    /// Binds the socket at `path`, making its folder private first. A socket file left by a
    /// Keydesk that is gone is replaced; one that still answers is not.
    pub fn bind(path: &Path) -> Result<Server, SocketError> {
        if let Some(folder) = path.parent() {
            private_folder(folder)?;
        }
        if std::fs::symlink_metadata(path).is_ok() {
            if UnixStream::connect(path).is_ok() {
                return Err(SocketError::InUse);
            }
            std::fs::remove_file(path).map_err(|e| io(&e))?;
        }
        let listener = UnixListener::bind(path).map_err(|e| io(&e))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| io(&e))?;
        listener.set_nonblocking(true).map_err(|e| io(&e))?;
        Ok(Server { listener, path: path.to_owned() })
    }

    /// Answers every connection waiting now, without blocking when none is; answers how many
    /// were served. A connection from another user, or one that fails, is closed and counted
    /// too: the caller only learns that the socket was busy.
    pub fn serve_pending(&self, answerer: &mut dyn Answerer) -> Result<usize, SocketError> {
        let mut served = 0;
        loop {
            match self.listener.accept() {
                Ok((stream, _address)) => {
                    served += 1;
                    // A failed connection is the client's loss; the server goes on.
                    let _failed = serve_connection(&stream, answerer);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(served),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io(&e)),
            }
        }
    }

    /// Waits for the next connection, for a thread of its own that hands requests on (the
    /// window's): from the first call the socket blocks, and [`Server::serve_pending`] is not
    /// to be called again.
    pub fn wait_for_connection(&self) -> Result<UnixStream, SocketError> {
        self.listener.set_nonblocking(false).map_err(|e| io(&e))?;
        loop {
            match self.listener.accept() {
                Ok((stream, _address)) => return Ok(stream),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io(&e)),
            }
        }
    }

    /// Where the socket is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Gone already is fine: the next Keydesk binds afresh either way.
        let _gone = std::fs::remove_file(&self.path);
    }
}

/// One request and its reply on an accepted connection.
fn serve_connection(stream: &UnixStream, answerer: &mut dyn Answerer) -> Result<(), SocketError> {
    let reply = match receive(stream)? {
        Received::Request(request, peer) => answerer.answer(request, peer),
        Received::Bad(reply) => reply,
        Received::Nothing => return Ok(()),
    };
    send_reply(stream, &reply)
}

/// What came on a connection.
pub enum Received {
    /// A request from a process of this user.
    Request(Request, Peer),
    /// Not a request: the error reply to send.
    Bad(Reply),
    /// The connection closed before a message.
    Nothing,
}

/// Reads the one request of an accepted connection, within 5 s, once its peer is found to be
/// this user's (a connection from another user is refused without a word read).
pub fn receive(stream: &UnixStream) -> Result<Received, SocketError> {
    let peer = check_peer(stream, our_uid())?;
    stream.set_nonblocking(false).map_err(|e| io(&e))?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| io(&e))?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| io(&e))?;
    let mut reader = stream;
    Ok(match read_frame(&mut reader) {
        Ok(Some(body)) => match parse_request(&body) {
            Ok(request) => Received::Request(request, peer),
            Err(bad) => Received::Bad(Reply::error(bad.id, ErrorCode::BadRequest, bad.error)),
        },
        Ok(None) => Received::Nothing,
        Err(FrameError::TooLarge(size)) => {
            Received::Bad(Reply::error(None, ErrorCode::TooLarge, FrameError::TooLarge(size).to_string()))
        }
        Err(error) => return Err(error.into()),
    })
}

/// Writes `reply` on the connection its request came on (within 5 s).
pub fn send_reply(stream: &UnixStream, reply: &Reply) -> Result<(), SocketError> {
    let mut writer = stream;
    write_frame(&mut writer, &reply.encode())?;
    Ok(())
}

/// The host's end: sends one message to the Keydesk listening at `path` and answers its
/// reply. Refuses a folder that is not this user's alone and a listener of another user.
pub fn ask(path: &Path, body: &[u8]) -> Result<Zeroizing<Vec<u8>>, SocketError> {
    if let Some(folder) = path.parent() {
        match check_private(folder) {
            Err(SocketError::Io(_)) => return Err(SocketError::NotRunning),
            other => other?,
        }
    }
    let stream = UnixStream::connect(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound | ErrorKind::ConnectionRefused => SocketError::NotRunning,
        _ => io(&e),
    })?;
    check_peer(&stream, our_uid())?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| io(&e))?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| io(&e))?;
    let mut writer = &stream;
    write_frame(&mut writer, body)?;
    let mut reader = &stream;
    match read_frame(&mut reader)? {
        Some(reply) => Ok(reply),
        None => Err(SocketError::Frame(FrameError::Truncated { got: 0, expected: 4 })),
    }
}
