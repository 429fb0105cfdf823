//! `vault.ron` in the layout Keydesk writes, read and written fast.
//!
//! The layout: `#![enable(implicit_some)]` first, then structs as `(field:value,…)` (the top
//! two levels one field or item a line, one space of indentation a level; deeper ones on
//! their parent's line), strings with the escapes `char::escape_debug` makes, decimal
//! integers, `true`/`false`, enum variants and lists. It is RON, as RON's pretty printer
//! writes it with [`super::format::render`]'s settings.
//!
//! RON's own parser reads the whole grammar (comments, raw strings, struct names, numbers in
//! any base) and at 100,000 keys spent most of a read in that generality. [`from_str`] reads
//! only the layout and gives up at the first byte it does not expect; `format::parse` then
//! reads the text with RON, which also says what is wrong with a text that does not parse.
//! So a file edited by hand reads as before, and a file Keydesk wrote reads fast; the same
//! value either way (tested against RON on rendered files and on random edits of them).
//! [`to_string`] writes the layout, the same bytes as RON's pretty printer (tested byte for
//! byte), in a fraction of its time.
//!
//! No error of this module is ever shown: a text it refuses is RON's to read or refuse, a
//! value it cannot write is RON's to write.

mod read;
mod write;

use std::fmt;

pub use read::{from_str, head};
pub use write::to_string;

/// The first line of the layout: an optional value is written as itself.
const HEAD: &str = "#![enable(implicit_some)]";

/// The text is not in the layout Keydesk writes (or not valid): RON reads it instead.
#[derive(Debug)]
pub struct NotLayout;

impl fmt::Display for NotLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not in the layout Keydesk writes")
    }
}

impl std::error::Error for NotLayout {}

impl serde::de::Error for NotLayout {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        NotLayout
    }
}

impl serde::ser::Error for NotLayout {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        NotLayout
    }
}

#[cfg(test)]
pub(crate) mod sample {
    use crate::vault::model::VaultFile;

    /// Every field and variant the model has, with text that needs escapes.
    const RICH: &str = r#"(
        format: 5,
        header: (
            vault_id: "8fc1372f8ec1f7b7", created_at: "2026-12-06T21:26:13Z",
            kdf: (memory_kib: 65536, iterations: 3, lanes: 4), salt: "MdJqxu1rsOwhUPBOCIFtYA==",
            wrapped_data_key: "QaeJ", secret_store: Keychain,
            settings: (auto_lock_minutes: 7, clipboard_clear_secs: 45, check_weekly: true),
            generation: 18446744073709551615,
            audit_keys: [(after: 0, tagged: true, sealed: "oiup"), (after: 12, sealed: "x")],
            lookup_key: Some("lk"), previous_data_key: "pdk", audit_chain_id: None,
            browsers: ["chrome-extension://abc/"], leak_guard: true,
        ),
        accounts: [
            (id: "a1", name: "Marketing \"EU\" \\ main", provider: SendGrid, region: "eu",
             base_url: "http://127.0.0.1:8080", has_management_key: true,
             management_scopes: ["api_keys.create", "mail.send"], created_at: "2026-01-01T00:00:00Z"),
            (id: "a2", name: "ÉÉ 春のキャンペーン 🚀 حملة", provider: Mailchimp, management_scopes: [],
             created_at: "2026-01-01T00:00:00Z"),
        ],
        keys: [
            (id: "000000000001", label: "tab\there, line\nbreak, quote ' and \u{301} accent",
             provider: Brevo, account: "a1", provider_key_id: "pk", region: "us6",
             scopes: ["a", "b"], hint: "SG.…0001", lookup_hash: "AAAA",
             created_at: "2026-12-05T21:26:13Z", expires_at: "2027-12-05T21:26:13Z",
             rotate_after_days: 90, status: Revoked(at: "2026-12-06T00:00:00Z", reason: "leaked\0"),
             integrations: [(name: "HubSpot → Settings", url: "https://x.example/?a=1&b=\"2\"", note: "n"),
                            (name: "CRM")],
             notes: "multi\r\nline", tags: ["folder/one", ""], copy_count: 3,
             last_copied_at: "2026-12-06T21:26:13Z", reveal_count: 2,
             last_verified: (at: "2026-12-06T21:26:13Z", outcome: Works(scopes: ["x"], note: "full access")),
             replaces: "000000000000", replaced_by: "000000000002", provider_revoke_pending: "403",
             rotation: (started_at: "2026-12-06T21:26:13Z", steps: [
                 (integration: "CRM", updated_at: "2026-12-06T21:26:13Z"),
                 (integration: "Shop", updated_at: "2026-12-06T21:26:13Z", tested_at: "2026-12-06T21:26:14Z")]),
             usage: (checked_at: "2026-12-06T21:26:13Z", last_used: None, detail: "ses eu-west-1", source: "GetAccessKeyLastUsed")),
            (id: "000000000002", label: "", provider: Keydesk, hint: "", lookup_hash: "",
             created_at: "2026-12-05T21:26:13Z", status: Retiring,
             last_verified: (at: "2026-12-06T21:26:13Z", outcome: RateLimited(retry_after_secs: 30))),
            (id: "000000000003", label: "x", provider: Other, hint: "h", lookup_hash: "l",
             created_at: "2026-12-05T21:26:13Z",
             last_verified: (at: "2026-12-06T21:26:13Z", outcome: ConnectionProblem(cause: "dns", kind: Dns))),
            (id: "000000000004", label: "y", provider: AmazonSes, hint: "h", lookup_hash: "l",
             created_at: "2026-12-05T21:26:13Z",
             last_verified: (at: "2026-12-06T21:26:13Z", outcome: RateLimited(retry_after_secs: None))),
            (id: "000000000005", label: "z", provider: Postmark, hint: "h", lookup_hash: "l",
             created_at: "2026-12-05T21:26:13Z",
             last_verified: (at: "2026-12-06T21:26:13Z", outcome: ProviderTrouble(status: 503))),
            (id: "000000000006", label: "w", provider: Mailgun, hint: "h", lookup_hash: "l",
             created_at: "2026-12-05T21:26:13Z",
             last_verified: (at: "2026-12-06T21:26:13Z", outcome: LacksPermission(detail: "scopes"))),
            (id: "000000000007", label: "v", provider: Klaviyo, hint: "h", lookup_hash: "l",
             created_at: "2026-12-05T21:26:13Z",
             last_verified: (at: "2026-12-06T21:26:13Z", outcome: Unauthorized)),
            (id: "000000000008", label: "u", provider: Keydesk, hint: "h", lookup_hash: "l",
             created_at: "2026-12-05T21:26:13Z",
             last_verified: (at: "2026-12-06T21:26:13Z", outcome: ChecksumOk)),
            (id: "000000000009", label: "t", provider: Kit, hint: "h", lookup_hash: "l",
             created_at: "2026-12-05T21:26:13Z",
             last_verified: (at: "2026-12-06T21:26:13Z", outcome: WrongRegion(fix: "use eu"))),
            (id: "00000000000a", label: "s", provider: Kit, hint: "h", lookup_hash: "l",
             created_at: "2026-12-05T21:26:13Z",
             last_verified: (at: "2026-12-06T21:26:13Z", outcome: CannotCheck(why: "sending only"))),
        ],
        incidents: [(id: "0a0b0c0d", key: "000000000001", opened_at: "2026-12-06T21:26:13Z",
                     found_where: "a log", noticed_by: "Ana", notes: "n",
                     timeline: [(at: "2026-12-06T21:26:13Z", what: "Revoked")],
                     closed_at: "2026-12-06T22:26:13Z", summary: "done")],
        audit: (entries: 3, last_hash: "0823"),
        integrity: "72f2",
    )"#;

    pub fn rich() -> VaultFile {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str::<crate::vault::stored::VaultRon>(RICH)
            .expect("the sample is valid RON")
            .into_model()
    }

    /// Edits of a text: where (a fraction of its length), what (0 replace, 1 insert, 2
    /// delete) and the character, a few at a time; mostly printable ASCII, with a line break,
    /// an accent, a combining mark and control characters.
    pub fn edits() -> impl proptest::strategy::Strategy<Value = Vec<(f64, usize, char)>> {
        let glyph = proptest::prop_oneof![
            8 => proptest::char::range(' ', '~'),
            1 => proptest::strategy::Just('\n'),
            1 => proptest::strategy::Just('é'),
            1 => proptest::strategy::Just('\u{301}'),
            1 => proptest::strategy::Just('\u{0}'),
            1 => proptest::strategy::Just('\u{7f}'),
        ];
        proptest::collection::vec((0.0..1.0f64, 0..3usize, glyph), 1..4)
    }

    /// `text` with `edits` made.
    pub fn edited(text: &str, edits: &[(f64, usize, char)]) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for &(at, kind, c) in edits {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let i = ((at * chars.len() as f64) as usize).min(chars.len().saturating_sub(1));
            match kind {
                0 => chars[i] = c,
                1 => chars.insert(i, c),
                _ => {
                    chars.remove(i);
                }
            }
        }
        chars.into_iter().collect()
    }
}
