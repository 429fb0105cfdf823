//! Synthetic key records for measuring the key list at scale (shared by the `big_vault`
//! example and the UI benchmark). Metadata only: no secret exists for them.

use chrono::{DateTime, Utc};
use keydesk::providers::Provider;
use keydesk::vault::model::{Integration, KeyId, KeyRecord, KeyStatus};

/// Key number `i` of a large vault: varied providers, ages, expiries and integrations.
pub fn record(i: usize, now: DateTime<Utc>) -> KeyRecord {
    // Times as the vault keeps them: whole seconds.
    let now = keydesk::vault::whole_seconds(now);
    let providers =
        [Provider::SendGrid, Provider::Mailchimp, Provider::Brevo, Provider::Keydesk, Provider::Postmark];
    KeyRecord {
        id: KeyId::from_stored(&format!("{i:012x}")),
        label: format!("Integration key {i:05}"),
        provider: providers[i % providers.len()],
        account: None,
        provider_key_id: None,
        region: None,
        scopes: vec![],
        hint: format!("SG.…{:04}", i % 10_000),
        lookup_hash: "A".repeat(16),
        created_at: now - chrono::Duration::days((i % 400) as i64),
        expires_at: i.is_multiple_of(7).then(|| now + chrono::Duration::days((i % 30) as i64 + 1)),
        rotate_after_days: i.is_multiple_of(3).then_some(90),
        status: if i.is_multiple_of(50) { KeyStatus::Retiring } else { KeyStatus::Active },
        integrations: vec![Integration { name: format!("CRM {}", i % 40), url: None, note: String::new() }],
        notes: "Used by the nightly sync".into(),
        copy_count: (i % 5) as u64,
        last_copied_at: i.is_multiple_of(4).then_some(now),
        reveal_count: 0,
        last_verified: None,
        replaces: None,
        replaced_by: None,
        provider_revoke_pending: None,
        rotation: None,
        tags: Vec::new(),
        usage: None,
    }
}
