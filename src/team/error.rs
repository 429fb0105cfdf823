//! Why a team vault operation failed.

use super::kv::KvError;
use crate::vault::VaultError;
use crate::vault::crypto::CryptoError;

/// Why a team vault operation failed: one sentence each.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("{0}")]
    Server(#[from] KvError),
    #[error("{0}")]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    /// Check-and-set lost.
    #[error("{by} changed this key a moment ago — reload and apply your change again.")]
    Changed { by: String },
    #[error("A team vault is already at {place}: join it, or choose another --path.")]
    AlreadyThere { place: String },
    #[error("No team vault is at {place}: check --addr, --mount and --path with your team's admin.")]
    NotThere { place: String },
    #[error("{member} is not a member of this team vault: ask its admin to add you.")]
    NotMember { member: String },
    #[error("The team vault on the server was made by a newer Keydesk (format {found}): update Keydesk.")]
    Newer { found: u64 },
    #[error(
        "The entry of {what} on the server was changed outside Keydesk (its seal does not match): tell your team's admin, and do not use it until it is checked."
    )]
    Tampered { what: String },
    #[error(
        "A member name may hold only letters, digits, '-', '_', '.' and '@', at most 64: choose another with --member."
    )]
    BadMember,
    #[error("{member} is already a member of this team vault: they unlock it with their own password.")]
    AlreadyMember { member: String },
    #[error(
        "{member} has no invitation waiting in this team vault: ask its admin for one (`keydesk member invite {member}`)."
    )]
    NotInvited { member: String },
    #[error(
        "{member} was invited but has not joined yet: run `keydesk init --team --join` with the invitation code."
    )]
    NotJoined { member: String },
    #[error("That invitation code does not open {member}'s invitation: check it with the admin who gave it.")]
    WrongCode { member: String },
    #[error(
        "The team's audit trail does not hold at entry {seq} (it was changed or removed outside Keydesk): tell your team's admin."
    )]
    AuditBroken { seq: u64 },
    #[error(
        "The change was saved, but its entry in the team's audit trail was not ({cause}): tell your team's admin."
    )]
    Unaudited { cause: String },
    #[error("No key {id} is in the team vault (a member may have removed it): reload the list.")]
    NoSuchKey { id: String },
    /// This member's copy lacks the data key of a generation (a re-key stopped half-way).
    #[error(
        "Your copy of the team's key does not reach generation {generation} (a member's removal did not finish): ask your team's admin to run `keydesk member remove` again."
    )]
    BehindRekey { generation: u64 },
    /// The replacement was added but the old key could not be marked as being replaced.
    #[error(
        "The replacement was added to the team vault as {new}, but the old key could not be marked as being replaced ({cause}): run the same `keydesk rotate` again with the same new key to finish."
    )]
    HalfRotated { new: String, cause: String },
    /// An import stopped by the user between two keys.
    #[error(
        "Stopped after {added} of {total} new keys: those are in the team vault; run the import again for the rest (the rows already there are recognised)."
    )]
    Stopped { added: usize, total: usize },
    /// A live entry sealed under a generation a removed member may hold.
    #[error(
        "The entry of {what} on the server is sealed under an older team key (generation {generation}) than the team's, which someone removed from the team still holds: tell your team's admin, and do not use it until it is checked."
    )]
    OlderKey { what: String, generation: u64 },
    /// A password changed whose older copy of the team's keys stays on the server.
    #[error(
        "Your password is changed, but the server kept the older copy of your team keys that the old password opens ({cause}): ask your team's admin to apply Keydesk's policies from docs/team-policies, then change it again."
    )]
    OldCopyKept { cause: String },
    #[error("You cannot remove yourself from the team vault: ask another admin to.")]
    RemoveSelf,
    #[error(
        "{member} has not unlocked the team vault since Keydesk gave members key pairs, so the new team key cannot be sealed for them: ask {member} to unlock it once (any command), then remove again."
    )]
    NoKeyPair { member: String },
    #[error(
        "The team's key was replaced since you unlocked (a member was removed): lock and unlock the team vault, then apply your change again."
    )]
    Rekeyed,
}
