//! The keys an unlocked vault holds, all opened from the data key: the leak-lookup and
//! integrity keys (derived), the audit chain's keys (random, sealed under the data key in the
//! header), and during a change of data key the previous one. Dropped (zeroized) on lock.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::crypto::{self, SymmetricKey};
use super::model::{AuditKey, Header};
use super::{Entropy, VaultError, audit, format};

pub(super) struct Keys {
    pub data: SymmetricKey,
    pub lookup: SymmetricKey,
    pub integrity: SymmetricKey,
    /// What links the audit log's lines.
    pub chain: audit::Chain,
    /// The data key before a change of data key that is not finished yet.
    pub previous: Option<SymmetricKey>,
}

pub(super) fn audit_key_ad(vault_id: &str, after: u64) -> Vec<u8> {
    format!("keydesk-audit-key:{vault_id}:{after}").into_bytes()
}

pub(super) fn previous_key_ad(vault_id: &str) -> Vec<u8> {
    format!("keydesk-previous-data-key:{vault_id}").into_bytes()
}

pub(super) fn lookup_key_ad(vault_id: &str) -> Vec<u8> {
    format!("keydesk-lookup-key:{vault_id}").into_bytes()
}

pub(super) fn open_sealed(data: &SymmetricKey, ad: &[u8], sealed: &str) -> Option<SymmetricKey> {
    crypto::open_key(data, ad, &B64.decode(sealed).ok()?).ok()
}

impl Keys {
    /// Opens every key the header seals under `data`. A sealed key that does not open (the
    /// header was edited) is left out: the file's seal then fails too, and says so.
    pub fn open(data: SymmetricKey, header: &Header) -> Self {
        let id = &header.vault_id;
        let previous =
            header.previous_data_key.as_ref().and_then(|s| open_sealed(&data, &previous_key_ad(id), s));
        let lookup = header
            .lookup_key
            .as_ref()
            .and_then(|s| open_sealed(&data, &lookup_key_ad(id), s))
            .unwrap_or_else(|| crypto::derive_subkey(&data, "keydesk leak-lookup v1"));
        Keys {
            lookup,
            integrity: crypto::derive_subkey(&data, "keydesk metadata-integrity v1"),
            chain: open_chain(&data, header),
            previous,
            data,
        }
    }

    /// Opens the audit keys again after the header gained one.
    pub fn reopen_chain(&mut self, header: &Header) {
        self.chain = open_chain(&self.data, header);
    }

    /// Whether `text` carries a seal made with this vault's key over the rest of it.
    pub fn seal_matches(&self, text: &str) -> bool {
        format::split_seal(text).is_some_and(|(before, seal, after)| {
            crypto::keyed_hash_parts_match(&self.integrity, &[before.as_bytes(), after.as_bytes()], seal)
        })
    }
}

fn open_chain(data: &SymmetricKey, header: &Header) -> audit::Chain {
    let keys = header
        .audit_keys
        .iter()
        .filter_map(|k| {
            let key = open_sealed(data, &audit_key_ad(&header.vault_id, k.after), &k.sealed)?;
            Some(audit::ChainKey { after: k.after, key, tagged: k.tagged })
        })
        .collect();
    audit::Chain::new(header.chain_id(), keys)
}

/// A fresh audit key that links the lines after `after`, sealed under `data` for the header.
pub(super) fn new_audit_key(
    data: &SymmetricKey,
    vault_id: &str,
    after: u64,
    rng: &mut dyn Entropy,
) -> Result<AuditKey, VaultError> {
    let key = SymmetricKey::random(rng);
    let sealed = crypto::wrap_key(data, &audit_key_ad(vault_id, after), &key, rng)?;
    Ok(AuditKey { after, tagged: true, sealed: B64.encode(sealed) })
}

/// What a change of data key writes into the header, sealed under the new key `data`: the
/// audit keys so far, a fresh one for the lines after `after`, the lookup key, and the
/// previous data key (until every secret is re-encrypted).
pub(super) struct Resealed {
    pub audit_keys: Vec<AuditKey>,
    pub lookup_key: String,
    pub previous_data_key: String,
}

pub(super) fn reseal(
    keys: &Keys,
    header: &Header,
    data: &SymmetricKey,
    after: u64,
    rng: &mut dyn Entropy,
) -> Result<Resealed, VaultError> {
    let id = &header.vault_id;
    let mut audit_keys = Vec::with_capacity(header.audit_keys.len() + 1);
    for sealed in &header.audit_keys {
        let ad = audit_key_ad(id, sealed.after);
        let key = open_sealed(&keys.data, &ad, &sealed.sealed).ok_or(crypto::CryptoError::Tampered)?;
        audit_keys.push(AuditKey {
            after: sealed.after,
            tagged: sealed.tagged,
            sealed: B64.encode(crypto::wrap_key(data, &ad, &key, rng)?),
        });
    }
    audit_keys.push(new_audit_key(data, id, after, rng)?);
    Ok(Resealed {
        audit_keys,
        lookup_key: B64.encode(crypto::wrap_key(data, &lookup_key_ad(id), &keys.lookup, rng)?),
        previous_data_key: B64.encode(crypto::wrap_key(data, &previous_key_ad(id), &keys.data, rng)?),
    })
}
