//! What an opened vault can do, so a front end offers that and refuses the rest with one
//! sentence, without asking which kind of vault it holds: whether keys may be changed (a
//! team vault's token may only read), whether it has members to manage, and how it is backed
//! up.

use crate::team::kv::KvError;
use crate::team::{TeamError, TeamVault};

/// What the opened vault can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Whether keys may be changed.
    pub changes: Changes,
    /// Whether the vault has members to invite and remove (a team vault).
    pub members: bool,
    /// How the vault is backed up.
    pub backup: Backup,
}

/// Whether keys may be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changes {
    /// They may (a local vault gates each change itself: one in doubt is read-only).
    Allowed,
    /// The server token may only read the team's keys.
    TokenReadsOnly,
}

/// How the vault is backed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backup {
    /// To one file encrypted under the master password (`backup`, `restore`).
    File,
    /// Where it lives: a snapshot of its server.
    ServerSnapshot,
}

impl Backup {
    /// Why a vault backed up by its server's snapshot has no backup file of its own.
    pub const SNAPSHOT_SENTENCE: &'static str = "A team vault is backed up where it lives: a snapshot of its server (`bao operator raft snapshot save FILE`) keeps every entry, the secrets still sealed with the team's key; `keydesk export` writes its keys to a file you choose.";
}

impl Capabilities {
    /// A local vault's: it changes keys, has no members, and is backed up to a file.
    pub fn local() -> Self {
        Capabilities { changes: Changes::Allowed, members: false, backup: Backup::File }
    }

    /// A team vault's, as its server says this token may (one question to the server).
    pub fn team(vault: &TeamVault) -> Result<Self, TeamError> {
        let changes = if vault.can_write()? { Changes::Allowed } else { Changes::TokenReadsOnly };
        Ok(Capabilities { changes, members: true, backup: Backup::ServerSnapshot })
    }

    /// Whether keys may be changed.
    pub fn may_change(&self) -> bool {
        self.changes == Changes::Allowed
    }

    /// Refuses a change up front when keys may not be changed (the sentence says why).
    pub fn check_change(&self) -> Result<(), KvError> {
        match self.changes {
            Changes::Allowed => Ok(()),
            Changes::TokenReadsOnly => {
                Err(KvError::Denied { doing: "change keys", policy: "keydesk-editor" })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_token_is_refused_a_change_with_the_servers_sentence() {
        let local = Capabilities::local();
        assert!(local.may_change() && !local.members && local.backup == Backup::File);
        assert!(local.check_change().is_ok());
        let reader =
            Capabilities { changes: Changes::TokenReadsOnly, members: true, backup: Backup::ServerSnapshot };
        assert!(!reader.may_change());
        let refused = reader.check_change().map_err(|error| error.to_string());
        assert_eq!(
            refused,
            Err(KvError::Denied { doing: "change keys", policy: "keydesk-editor" }.to_string())
        );
    }
}
