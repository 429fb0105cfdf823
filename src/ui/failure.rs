//! The one error the window's screens show: a domain error as it came, or a sentence the
//! window composes itself. Shown with `to_string()` (never `{:?}`); none carries a secret.

use crate::team::TeamError;
use crate::team::kv::KvError;

/// Why something the window asked for did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// A team vault's error, in the window's words (a refused token names the unlock
    /// screen's field).
    #[error("{}", team_sentence(.0))]
    Team(#[from] TeamError),
    /// An operation's error (a team vault's is said as `Team`, in the window's words).
    #[error(transparent)]
    Action(crate::actions::ActionError),
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    #[error(transparent)]
    Server(#[from] KvError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretStoreError),
    #[error(transparent)]
    Restore(#[from] crate::actions::restore::RestoreError),
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    #[error(transparent)]
    ImportStopped(#[from] crate::vault::ImportStop),
    #[error(transparent)]
    Chain(#[from] crate::vault::audit::ChainError),
    #[error(transparent)]
    Socket(#[from] crate::browser::socket::SocketError),
    #[error(transparent)]
    Oidc(#[from] crate::team::oidc::OidcError),
    /// The "Prepare the server…" page's error, in its words (an admin token is what it
    /// asks for).
    #[error("{}", admin_sentence(.0))]
    AdminServer(KvError),
    #[error(transparent)]
    Verify(#[from] crate::providers::verify::VerifyError),
    #[error(transparent)]
    Clipboard(#[from] crate::clipboard::ClipboardError),
    /// A sentence the window composes itself (a wrong password in its words, a file that
    /// could not be written with its path).
    #[error("{0}")]
    Said(String),
    #[error(transparent)]
    Transfer(#[from] crate::actions::transfer::TransferError),
    #[error(transparent)]
    Folder(#[from] crate::actions::team::FolderError),
    #[error(transparent)]
    Reminder(#[from] crate::reminder::ReminderError),
}

impl From<crate::actions::ActionError> for Failure {
    /// An operation's error in the window's words (a team vault's says its token sentence).
    fn from(error: crate::actions::ActionError) -> Self {
        match error {
            crate::actions::ActionError::Team(error) => Failure::Team(error),
            other => Failure::Action(other),
        }
    }
}

impl Failure {
    /// The window's own sentence.
    pub fn said(sentence: impl Into<String>) -> Self {
        Failure::Said(sentence.into())
    }
}

/// A server's refusal as the "Prepare the server…" page says it: it asks for an admin's token.
pub fn admin_sentence(error: &KvError) -> String {
    match error {
        KvError::TokenRejected => {
            "The server does not accept this admin token (it is mistyped, expired or revoked): check it, or ask for a new one.".to_owned()
        }
        KvError::Denied { .. } => {
            "This token may not change the server's mounts, policies and sign-in methods: use an admin's token (a root token, or one with the sys/ and auth/ paths allowed).".to_owned()
        }
        other => other.to_string(),
    }
}

/// A team error as the window says it: the token sentence names the window's field.
pub fn team_sentence(error: &TeamError) -> String {
    match error {
        TeamError::Server(KvError::TokenRejected) => "The server no longer accepts this token (it expired or was revoked): ask your team's admin for a new one, lock Keydesk and type it at the unlock screen.".to_owned(),
        other => other.to_string(),
    }
}
