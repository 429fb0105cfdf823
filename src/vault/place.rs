//! Which folder on this machine a vault's keychain entries and generation mark belong to, and
//! a restored backup made a vault of its own.
//!
//! Keychain entries and the generation mark are named by vault id, so two folders holding the
//! same vault would share them: one's change of data key would overwrite the other's secrets,
//! one's revoke delete the other's, one's saves move the other's mark. The mark therefore
//! records the folder of the vault that wrote it. A folder holding the same vault while the
//! marked folder still does is a copy: it opens read-only and changes nothing ([`copy_of`]).
//! A backup restored into another folder while the vault it came from is still on this
//! machine is given a new vault id, with everything bound to the id sealed again
//! ([`renew`]); its audit chain goes on from the id it began under.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::SecretString;

use super::crypto::{self, CryptoError, SymmetricKey};
use super::keys::{self, Keys};
use super::{Entropy, VaultError, backup, data_key_ad, decode_b64, format, ops, random_hex, seal_text};
use crate::secrets::{SecretStore, generation_mark_name};
use crate::storage::VaultStorage;

/// The folder a generation mark ("GENERATION SEAL UNIX_TIME LOG_LINES LAST_LINK FOLDER") belongs to;
/// `None` for a mark written before marks named their folder.
pub(super) fn mark_location(mark: &str) -> Option<&str> {
    mark.splitn(6, ' ').nth(5).map(str::trim).filter(|location| !location.is_empty())
}

/// Whether the folder at `location` holds vault `vault_id`. A vault file there that cannot be
/// read or parsed counts as holding it: only a folder known to have let go frees the id.
fn holds(storage: &dyn VaultStorage, location: &str, vault_id: &str) -> bool {
    match storage.read_vault_at(location) {
        Ok(None) => false,
        Ok(Some(text)) => match format::parse(&text) {
            Ok(file) => file.header.vault_id == vault_id,
            Err(_) => true,
        },
        Err(_) => true,
    }
}

/// The other folder whose vault this one is a copy of: the mark names another folder than
/// `storage`'s, and that folder still holds vault `vault_id`. `None` when the mark is this
/// folder's, names none, or names a folder the vault has left (moved: the mark follows it at
/// the next save).
pub(super) fn copy_of(storage: &dyn VaultStorage, vault_id: &str, mark: &str) -> Option<String> {
    let marked = mark_location(mark)?;
    let here = storage.location()?;
    (marked != here && holds(storage, marked, vault_id)).then(|| marked.to_owned())
}

/// Where else on this machine vault `vault_id` is kept, when a backup of it is about to be
/// restored into `storage`'s folder: then the restore must give it a new id, or it would
/// write over that vault's keychain entries and mark. A mark that names no folder (written by
/// an older Keydesk), or entries under the id with no mark, count as another folder unless
/// this folder already holds the vault.
pub fn used_elsewhere(store: &dyn SecretStore, storage: &dyn VaultStorage, vault_id: &str) -> Option<String> {
    let here = storage.location();
    let holds_here = here.as_deref().is_some_and(|here| holds(storage, here, vault_id));
    let elsewhere = || "another folder on this machine".to_owned();
    match store.generation_mark(vault_id).ok().flatten() {
        Some(mark) => match mark_location(&mark) {
            Some(marked) if Some(marked) == here.as_deref() => None,
            Some(marked) => holds(storage, marked, vault_id).then(|| marked.to_owned()),
            None => (!holds_here).then(elsewhere),
        },
        None => {
            let mark = generation_mark_name(vault_id);
            let entries = store.names(&format!("{vault_id}/")).unwrap_or_default();
            (entries.iter().any(|name| *name != mark) && !holds_here).then(elsewhere)
        }
    }
}

/// What [`renew`] made of a backup.
pub struct Renewed {
    /// The new vault id.
    pub vault_id: String,
    /// The id the backup's vault had.
    pub was: String,
    /// Secrets that opened under neither the data key nor the previous one: left out.
    pub unreadable: usize,
}

/// Gives the vault in `contents` a new id: the data key wrapped again under `password` (the
/// backup's vault password), the audit, lookup and previous keys sealed again, every secret
/// sealed again under entries of the new id (a change of data key left half done is finished
/// on the way), and `vault.ron` sealed again. The audit log is kept as it is: its chain goes on
/// from the id it began under.
pub fn renew(
    contents: &mut backup::Contents,
    password: &SecretString,
    rng: &mut dyn Entropy,
) -> Result<Renewed, VaultError> {
    let mut file = format::parse(&contents.vault_text)?;
    let was = file.header.vault_id.clone();
    let salt = decode_b64(&file.header.salt).map_err(|_bad_base64| CryptoError::WrongPassword)?;
    let wrapped =
        decode_b64(&file.header.wrapped_data_key).map_err(|_bad_base64| CryptoError::WrongPassword)?;
    let kek = crypto::derive_kek(password, &salt, file.header.kdf)?;
    let data = crypto::unwrap_key(&kek, &data_key_ad(&was), &wrapped)?;
    let opened = Keys::open(data, &file.header);
    let id = random_hex(rng, 8);

    let header = &mut file.header;
    header.wrapped_data_key = B64.encode(crypto::wrap_key(&kek, &data_key_ad(&id), &opened.data, rng)?);
    for audit_key in &mut header.audit_keys {
        let key =
            keys::open_sealed(&opened.data, &keys::audit_key_ad(&was, audit_key.after), &audit_key.sealed)
                .ok_or(CryptoError::Tampered)?;
        let ad = keys::audit_key_ad(&id, audit_key.after);
        audit_key.sealed = B64.encode(crypto::wrap_key(&opened.data, &ad, &key, rng)?);
    }
    if header.lookup_key.is_some() {
        let ad = keys::lookup_key_ad(&id);
        header.lookup_key = Some(B64.encode(crypto::wrap_key(&opened.data, &ad, &opened.lookup, rng)?));
    }
    // Every secret is sealed under the current data key below: the previous one is done with.
    header.previous_data_key = None;
    header.audit_chain_id = Some(header.chain_id().to_owned());
    header.vault_id.clone_from(&id);

    let prefix = format!("{was}/");
    let mark = generation_mark_name(&was);
    let mut renamed = Vec::with_capacity(contents.secrets.len());
    let mut unreadable = 0;
    for (name, value) in &contents.secrets {
        let Some(key_id) = name.strip_prefix(&prefix).filter(|_| *name != mark) else { continue };
        let Some(plain) = open_secret(&opened, &was, key_id, value) else {
            unreadable += 1;
            continue;
        };
        let sealed = crypto::seal(&opened.data, &ops::secret_ad(&id, key_id), &plain, rng)?;
        renamed.push((format!("{id}/{key_id}"), B64.encode(sealed)));
    }
    let vault_text = seal_text(&mut file, &opened.integrity)?;
    let old_secrets = std::mem::replace(&mut contents.secrets, renamed);
    drop(backup::Contents { vault_text: String::new(), audit_text: String::new(), secrets: old_secrets });
    contents.vault_text = vault_text;
    Ok(Renewed { vault_id: id, was, unreadable })
}

/// A sealed secret of vault `was`, opened with the data key or (a change of data key left
/// half done) the previous one.
fn open_secret(keys: &Keys, was: &str, key_id: &str, value: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let sealed = B64.decode(value).ok()?;
    let ad = ops::secret_ad(was, key_id);
    let under = |key: &SymmetricKey| crypto::open(key, &ad, &sealed).ok();
    under(&keys.data).or_else(|| keys.previous.as_ref().and_then(under))
}
