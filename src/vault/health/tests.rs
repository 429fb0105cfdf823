#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use chrono::TimeZone;

use super::*;
use crate::vault::crypto::KdfParams;
use crate::vault::model::{
    AuditHead, FORMAT, Header, Integration, ProviderUsage, SecretBackend, Settings, Verification,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn days_ago(days: i64) -> DateTime<Utc> {
    now() - Duration::days(days)
}

fn integration(name: &str) -> Integration {
    Integration { name: name.into(), url: None, note: String::new() }
}

/// A healthy key: checked yesterday (it works, with sending scopes), used by one integration.
fn healthy(id: &str, provider: Provider) -> KeyRecord {
    KeyRecord {
        id: KeyId::from_stored(id),
        label: format!("Key {id}"),
        provider,
        account: None,
        provider_key_id: None,
        region: None,
        scopes: vec![],
        hint: "SG.…abcd".into(),
        lookup_hash: "A".repeat(16),
        created_at: days_ago(200),
        expires_at: None,
        rotate_after_days: None,
        status: KeyStatus::Active,
        integrations: vec![integration("HubSpot")],
        notes: String::new(),
        tags: vec![],
        copy_count: 0,
        last_copied_at: None,
        reveal_count: 0,
        last_verified: Some(Verification {
            at: days_ago(1),
            outcome: VerifyOutcome::Works { scopes: vec!["mail.send".into()], note: None },
        }),
        replaces: None,
        replaced_by: None,
        provider_revoke_pending: None,
        rotation: None,
        usage: None,
    }
}

fn vault(keys: Vec<KeyRecord>, incidents: Vec<Incident>) -> VaultFile {
    VaultFile {
        format: FORMAT,
        header: Header {
            vault_id: "v".into(),
            created_at: days_ago(400),
            kdf: KdfParams::MIN,
            salt: String::new(),
            wrapped_data_key: String::new(),
            secret_store: SecretBackend::File,
            settings: Settings::default(),
            generation: 0,
            audit_keys: vec![],
            lookup_key: None,
            previous_data_key: None,
            audit_chain_id: None,
            browsers: vec![],
            leak_guard: false,
        },
        accounts: vec![],
        keys,
        incidents,
        audit: AuditHead::default(),
        integrity: String::new(),
    }
}

/// The planted vault: one key of each kind, and healthy ones around them.
fn planted() -> VaultFile {
    let mut dead = healthy("dead", Provider::SendGrid);
    dead.integrations = vec![integration("Zapier"), integration("Shopify")];
    dead.last_verified = Some(Verification { at: days_ago(2), outcome: VerifyOutcome::Unauthorized });

    let mut full = healthy("full", Provider::SendGrid);
    full.last_verified = Some(Verification {
        at: days_ago(3),
        outcome: VerifyOutcome::Works {
            scopes: vec!["mail.send".into(), "api_keys.create".into(), "api_keys.delete".into()],
            note: None,
        },
    });

    let mut overdue = healthy("overdue", Provider::Mailchimp);
    overdue.rotate_after_days = Some(90);
    overdue.created_at = days_ago(100);

    let mut idle = healthy("idle", Provider::AmazonSes);
    idle.usage = Some(Box::new(ProviderUsage {
        checked_at: days_ago(1),
        last_used: Some(days_ago(120)),
        detail: "ses us-east-1".into(),
        source: "GetAccessKeyLastUsed".into(),
    }));

    let mut leaked = healthy("leaked", Provider::ElasticEmail);
    leaked.status = KeyStatus::Revoked { at: days_ago(30), reason: "rotated".into() };
    leaked.usage = Some(Box::new(ProviderUsage {
        checked_at: days_ago(1),
        last_used: Some(days_ago(5)),
        detail: String::new(),
        source: "apikeys".into(),
    }));

    let mut shared = healthy("shared", Provider::Brevo);
    shared.integrations = ["HubSpot", "Zapier", "Shopify", "WordPress", "Make"].map(integration).to_vec();

    // Around them: healthy keys, one of them used 89 days ago (not yet unused), one with a
    // rotation due tomorrow, one expiring in 20 days, a revoked one unused since.
    let mut recent = healthy("recent", Provider::AmazonSes);
    recent.usage = Some(Box::new(ProviderUsage {
        checked_at: days_ago(1),
        last_used: Some(days_ago(89)),
        detail: String::new(),
        source: "GetAccessKeyLastUsed".into(),
    }));
    let mut soon = healthy("soon", Provider::Mailchimp);
    soon.rotate_after_days = Some(201);
    let mut later = healthy("later", Provider::Postmark);
    later.expires_at = Some(now() + Duration::days(20));
    let mut gone = healthy("gone", Provider::SendGrid);
    gone.status = KeyStatus::Revoked { at: days_ago(30), reason: "done".into() };
    gone.integrations.clear();
    gone.last_verified = Some(Verification { at: days_ago(30), outcome: VerifyOutcome::Unauthorized });

    vault(
        vec![
            healthy("fine", Provider::SendGrid),
            dead,
            full,
            overdue,
            idle,
            leaked,
            shared,
            recent,
            soon,
            later,
            gone,
        ],
        vec![],
    )
}

fn found(report: &HealthReport) -> Vec<(FindingKind, Severity, &str, Fix)> {
    report
        .findings
        .iter()
        .map(|f| {
            assert_eq!(f.keys.len(), 1);
            (f.kind, f.severity, f.keys[0].as_str(), f.fix.clone())
        })
        .collect()
}

#[test]
fn the_planted_keys_are_found_and_nothing_else() {
    let report = findings(&planted(), now());
    assert_eq!(
        found(&report),
        vec![
            (FindingKind::Refused, Severity::Critical, "dead", Fix::Revoke),
            (FindingKind::UsedAfterRevoke, Severity::Critical, "leaked", Fix::ReportLeak),
            (
                FindingKind::BroadScopes,
                Severity::Warning,
                "full",
                Fix::ReplaceNarrower { template: "mail-send" }
            ),
            (FindingKind::RotationOverdue, Severity::Warning, "overdue", Fix::Rotate),
            (FindingKind::Unused, Severity::Warning, "idle", Fix::Revoke),
            (FindingKind::TooManyIntegrations, Severity::Warning, "shared", Fix::Split),
        ]
    );
    let dead = &report.findings[0].sentence;
    assert!(dead.contains("Zapier, Shopify"), "{dead}");
    assert!(report.findings[4].sentence.contains("120 days ago"), "{}", report.findings[4].sentence);
    assert!(report.has_critical());
    // 9 live keys and the revoked one used since: two critical, four warnings.
    assert_eq!(report.keys_checked, 10);
    assert_eq!(report.score, CRITICAL_CEILING);
}

#[test]
fn the_score_follows_the_formula() {
    let empty = findings(&vault(vec![], vec![]), now());
    assert_eq!((empty.score, empty.findings.len()), (100, 0));
    let ten =
        || -> Vec<KeyRecord> { (0..10).map(|i| healthy(&format!("k{i}"), Provider::SendGrid)).collect() };
    assert_eq!(findings(&vault(ten(), vec![]), now()).score, 100);
    // One warning and one info among ten keys: 100 × (1 − (0.4 + 0.1) / 10) = 95.
    let mut keys = ten();
    keys[0].rotate_after_days = Some(30);
    keys[1].last_verified = None;
    let report = findings(&vault(keys.clone(), vec![]), now());
    assert_eq!(found(&report).len(), 2);
    assert_eq!(report.score, 95);
    // A key's worst finding counts alone: a second warning on the same key changes nothing.
    keys[0].integrations = ["a", "b", "c", "d"].map(integration).to_vec();
    let report = findings(&vault(keys, vec![]), now());
    assert_eq!((found(&report).len(), report.score), (3, 95));
}

#[test]
fn checks_expiry_integrations_and_incidents() {
    let mut expired = healthy("expired", Provider::Brevo);
    expired.expires_at = Some(days_ago(1));
    let mut expiring = healthy("expiring", Provider::Brevo);
    expiring.expires_at = Some(now() + Duration::days(10));
    let mut stale = healthy("stale", Provider::Klaviyo);
    stale.last_verified.as_mut().unwrap().at = days_ago(31);
    let mut lonely = healthy("lonely", Provider::Keydesk);
    lonely.integrations.clear();
    lonely.last_verified = None;
    let mut admin = healthy("admin", Provider::Mailgun);
    admin.scopes = vec!["role:admin".into()];
    admin.last_verified.as_mut().unwrap().outcome = VerifyOutcome::Works { scopes: vec![], note: None };
    let mut never_used = healthy("never", Provider::ElasticEmail);
    never_used.usage = Some(Box::new(ProviderUsage {
        checked_at: days_ago(1),
        last_used: None,
        detail: String::new(),
        source: "apikeys".into(),
    }));
    let incident = |id: &str, key: &str, opened: i64, closed: bool| Incident {
        id: id.into(),
        key: KeyId::from_stored(key),
        opened_at: days_ago(opened),
        found_where: "a log".into(),
        noticed_by: String::new(),
        notes: String::new(),
        timeline: vec![],
        closed_at: closed.then(|| days_ago(1)),
        summary: String::new(),
    };
    let incidents = vec![
        incident("0000aaaa", "expiring", 8, false),
        incident("0000bbbb", "expiring", 6, false),
        incident("0000cccc", "expiring", 20, true),
    ];
    let report =
        findings(&vault(vec![expired, expiring, stale, lonely, admin, never_used], incidents), now());
    assert_eq!(
        found(&report),
        vec![
            (FindingKind::Expired, Severity::Critical, "expired", Fix::Rotate),
            (
                FindingKind::BroadScopes,
                Severity::Warning,
                "admin",
                Fix::ReplaceNarrower { template: "sending" }
            ),
            (FindingKind::ExpiringSoon, Severity::Warning, "expiring", Fix::Rotate),
            (FindingKind::Unused, Severity::Warning, "never", Fix::Revoke),
            (
                FindingKind::StaleIncident,
                Severity::Warning,
                "expiring",
                Fix::ContinueIncident { incident: "0000aaaa".into() }
            ),
            (FindingKind::Unchecked, Severity::Info, "stale", Fix::Check),
            (FindingKind::NoIntegration, Severity::Info, "lonely", Fix::AddIntegration),
        ]
    );
}

#[test]
fn a_use_after_revoke_already_under_an_incident_is_not_reported_again() {
    let mut leaked = healthy("leaked", Provider::ElasticEmail);
    leaked.status = KeyStatus::Revoked { at: days_ago(30), reason: "rotated".into() };
    leaked.usage = Some(Box::new(ProviderUsage {
        checked_at: days_ago(1),
        last_used: Some(days_ago(5)),
        detail: String::new(),
        source: "apikeys".into(),
    }));
    let open = Incident {
        id: "0000aaaa".into(),
        key: leaked.id.clone(),
        opened_at: days_ago(2),
        found_where: "its use after revoke".into(),
        noticed_by: String::new(),
        notes: String::new(),
        timeline: vec![],
        closed_at: None,
        summary: String::new(),
    };
    assert!(findings(&vault(vec![leaked.clone()], vec![open]), now()).findings.is_empty());
    assert_eq!(found(&findings(&vault(vec![leaked], vec![]), now())).len(), 1);
}

#[test]
fn a_management_key_is_judged_by_the_scopes_its_test_listed() {
    let account = |scopes: Option<&[&str]>, has_key: bool| Account {
        id: "a1".into(),
        name: "SG prod".into(),
        provider: Provider::SendGrid,
        region: None,
        base_url: None,
        has_management_key: has_key,
        management_scopes: scopes.map(|s| s.iter().map(|x| (*x).to_owned()).collect()),
        created_at: days_ago(10),
    };
    let judge = |account: Account| findings_of((&[], &[], &[account]), now()).findings;
    let broad: &[&str] = &["api_keys.create", "api_keys.delete", "mail.send", "2fa_required"];
    let found = judge(account(Some(broad), true));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::BroadManagementKey);
    assert_eq!(found[0].account.as_deref(), Some("a1"));
    assert!(found[0].keys.is_empty());
    assert!(found[0].sentence.contains("1 right beyond managing keys (mail.send)"), "{}", found[0].sentence);
    let narrow: &[&str] =
        &["api_keys.create", "api_keys.read", "api_keys.delete", "sender_verification_eligible"];
    assert!(judge(account(Some(narrow), true)).is_empty());
    assert!(judge(account(None, true)).is_empty(), "not tested: not judged");
    assert!(judge(account(Some(broad), false)).is_empty(), "its key removed");
    // A key-less finding leaves the score (a per-key measure) as it was.
    assert_eq!(findings_of((&[], &[], &[account(Some(broad), true)]), now()).score, 100);
}
