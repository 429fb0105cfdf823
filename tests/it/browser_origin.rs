//! The origin rule: which keys a page is offered, with a table of lookalike origins that
//! must never match, and property tests of the parser.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use chrono::{TimeZone, Utc};
use keydesk::browser::origin::{OfferRole, Origin, offers};
use keydesk::providers::Provider;
use keydesk::vault::model::{Integration, KeyId, KeyRecord, KeyStatus};
use proptest::prelude::*;

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn key(id: &str, label: &str, integrations: &[(&str, &str)]) -> KeyRecord {
    KeyRecord {
        id: KeyId::from_stored(id),
        label: label.to_owned(),
        provider: Provider::SendGrid,
        account: None,
        provider_key_id: None,
        region: None,
        scopes: Vec::new(),
        hint: "SG.…abcd".to_owned(),
        lookup_hash: String::new(),
        created_at: at(),
        expires_at: None,
        rotate_after_days: None,
        status: KeyStatus::Active,
        integrations: integrations
            .iter()
            .map(|(name, url)| Integration {
                name: (*name).to_owned(),
                url: (!url.is_empty()).then(|| (*url).to_owned()),
                note: String::new(),
            })
            .collect(),
        notes: String::new(),
        tags: Vec::new(),
        copy_count: 0,
        last_copied_at: None,
        reveal_count: 0,
        last_verified: None,
        replaces: None,
        replaced_by: None,
        provider_revoke_pending: None,
        rotation: None,
        usage: None,
    }
}

const SETTINGS: &str = "https://app.hubspot.com/settings/integrations/sendgrid?tab=keys#api";

fn offered_on(address: &str, page: &str) -> bool {
    !offers(&[key("k1", "SendGrid production", &[("HubSpot", address)])], page).is_empty()
}

#[test]
fn a_key_is_offered_on_its_integrations_origin_and_nowhere_else() {
    assert!(offered_on(SETTINGS, "https://app.hubspot.com"));
    assert!(offered_on(SETTINGS, "https://app.hubspot.com/"));
    assert!(offered_on(SETTINGS, "HTTPS://APP.HubSpot.com"), "scheme and host case do not matter");
    assert!(offered_on(SETTINGS, "https://app.hubspot.com:443"), "443 is https's own port");
    assert!(offered_on("https://app.hubspot.com:443/x", "https://app.hubspot.com"));
    assert!(offered_on("https://crm.example.test:8443/settings", "https://crm.example.test:8443"));
    assert!(offered_on("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example"));
}

/// Each page origin the settings address `https://app.hubspot.com/settings` is NOT offered on.
const LOOKALIKES: &[(&str, &str)] = &[
    ("http://app.hubspot.com", "plain http"),
    ("https://app.hubspot.com:8443", "another port"),
    ("https://app.hubspot.com:80", "another port"),
    ("https://hubspot.com", "the parent domain"),
    ("https://eu.app.hubspot.com", "a subdomain not listed"),
    ("https://app.hubspot.com.evil.example", "the name as a prefix of another"),
    ("https://evil-app.hubspot.com", "a longer label"),
    ("https://app-hubspot.com", "a hyphen for the dot"),
    ("https://app.hubspot.co", "another top-level domain"),
    ("https://app.hubsp0t.com", "a digit for a letter"),
    ("https://app.hubspot.com.", "a trailing dot"),
    ("https://app.hubspot.com..", "two trailing dots"),
    ("https://user@app.hubspot.com", "a user name before the host"),
    ("https://app.hubspot.com@evil.example", "the host as a user name"),
    ("https://app.hubspot.com:443@evil.example", "host and port as user info"),
    ("https://app.hubspοt.com", "a Greek omicron (unicode confusable)"),
    ("https://аpp.hubspot.com", "a Cyrillic a (unicode confusable)"),
    ("https://xn--pp-8cd.hubspot.com", "the punycode of a lookalike"),
    ("https://app.hubspot.com\\@evil.example", "a backslash"),
    ("https://app.hubspot.com%2eevil.example", "a percent-encoded dot"),
    ("https://app.hubspot.com /", "a space"),
    ("https://app.hubspot.com\t", "a tab"),
    ("https://app.hubspot.com/settings", "a path: not an origin"),
    ("https://app.hubspot.com?x", "a query: not an origin"),
    ("https://app.hubspot.com#x", "a fragment: not an origin"),
    ("https://app.hubspot.com:0", "port zero"),
    ("https://app.hubspot.com:65980", "a port out of range"),
    ("https://app.hubspot.com:", "an empty port"),
    ("https://app.hubspot.com:+443", "a signed port"),
    ("https://app.hubspot.com:443:443", "two ports"),
    ("https:app.hubspot.com", "no slashes"),
    ("https:/app.hubspot.com", "one slash"),
    ("https:///app.hubspot.com", "three slashes"),
    ("wss://app.hubspot.com", "another scheme"),
    ("null", "an opaque origin"),
    ("", "nothing"),
    ("https://", "no host"),
    ("https://:443", "a port and no host"),
];

#[test]
fn no_lookalike_origin_is_offered_a_key() {
    let address = "https://app.hubspot.com/settings";
    assert!(offered_on(address, "https://app.hubspot.com"), "the real page is offered the key");
    for (page, what) in LOOKALIKES {
        assert!(!offered_on(address, page), "{what}: {page:?} was offered the key");
    }
}

#[test]
fn ip_addresses_and_lookalike_settings_addresses_are_offered_nothing() {
    // An IP literal, in each spelling the URL standard reads as one, is never an origin.
    for host in
        ["127.0.0.1", "127.1", "2130706433", "0x7f.0.0.1", "0x7f000001", "[::1]", "[::ffff:127.0.0.1]"]
    {
        let address = format!("https://{host}/settings");
        let page = format!("https://{host}");
        assert!(Origin::of_address(&address).is_err(), "{address} was read as an origin");
        assert!(!offered_on(&address, &page), "{page} was offered a key");
    }
    // A settings address the user wrote oddly offers its key nowhere (not even where it
    // seems to point).
    for address in [
        "http://app.hubspot.com/settings",
        "https://me@app.hubspot.com/settings",
        "https://app.hubspot.com./settings",
        "https://app.hubspöt.com/settings",
        "app.hubspot.com/settings",
        "https://app.hubspot.com\\settings",
    ] {
        assert!(!offered_on(address, "https://app.hubspot.com"), "{address} was matched");
        assert!(Origin::of_address(address).is_err(), "{address} was read as an origin");
    }
}

#[test]
fn integrations_without_an_address_and_revoked_keys_are_offered_nowhere() {
    let mut revoked = key("k2", "Old", &[("HubSpot", SETTINGS)]);
    revoked.status = KeyStatus::Revoked { at: at(), reason: "leaked".into() };
    let keys = [key("k1", "No address", &[("HubSpot", "")]), revoked];
    assert!(offers(&keys, "https://app.hubspot.com").is_empty());
}

#[test]
fn each_matching_integration_is_one_offer_naming_key_label_provider_and_integration() {
    let keys = [
        key("k1", "SendGrid production", &[("HubSpot", SETTINGS), ("Zapier", "https://zapier.com/app")]),
        key("k2", "SendGrid staging", &[("HubSpot sandbox", "https://app.hubspot.com/sandbox")]),
        key("k3", "Unrelated", &[("Shopify", "https://admin.shopify.com")]),
    ];
    let found = offers(&keys, "https://app.hubspot.com");
    let named: Vec<(&str, &str, &str, &str)> = found
        .iter()
        .map(|o| (o.key.as_str(), o.label.as_str(), o.provider.as_str(), o.integration.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            ("k1", "SendGrid production", "SendGrid", "HubSpot"),
            ("k2", "SendGrid staging", "SendGrid", "HubSpot sandbox")
        ]
    );
    assert!(found.iter().all(|o| o.role == OfferRole::Current));
}

#[test]
fn during_a_rotation_the_new_key_is_offered_first_on_the_integrations_page() {
    let mut old = key("old1", "SendGrid production", &[("HubSpot", SETTINGS)]);
    let mut new = key("new1", "SendGrid production", &[("HubSpot", SETTINGS)]);
    keydesk::vault::start_rotation(&mut old, &new.id, at());
    new.replaces = Some(old.id.clone());
    // The old key comes first in the vault; the new one is offered first all the same.
    let keys = [key("k0", "Another", &[("HubSpot", SETTINGS)]), old, new];
    let found = offers(&keys, "https://app.hubspot.com");
    let order: Vec<(&str, OfferRole)> = found.iter().map(|o| (o.key.as_str(), o.role)).collect();
    assert_eq!(
        order,
        [("new1", OfferRole::RotationNew), ("k0", OfferRole::Current), ("old1", OfferRole::RotationOld)]
    );
}

#[test]
fn a_replacement_whose_rotation_ended_is_an_ordinary_key() {
    let old = key("old1", "SendGrid production", &[("HubSpot", SETTINGS)]);
    let mut new = key("new1", "SendGrid production", &[("HubSpot", SETTINGS)]);
    new.replaces = Some(old.id.clone());
    let found = offers(&[old, new], "https://app.hubspot.com");
    assert!(found.iter().all(|o| o.role == OfferRole::Current));
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?"
}

fn host() -> impl Strategy<Value = String> {
    (prop::collection::vec(label(), 1..4), "[a-z]{2,6}").prop_map(|(mut labels, top)| {
        labels.push(top);
        labels.join(".")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_text_is_read_as_an_origin_or_refused_without_panic(text in "\\PC{0,60}", raw in ".{0,60}") {
        for input in [text.as_str(), raw.as_str()] {
            let _page = Origin::of_page(input);
            let _address = Origin::of_address(input);
            let _offers = offers(&[key("k1", "L", &[("I", input)])], input);
        }
    }

    #[test]
    fn an_origin_written_back_reads_as_itself(host in host(), port in 1u16..) {
        let text = if port == 443 { format!("https://{host}") } else { format!("https://{host}:{port}") };
        let origin = Origin::of_page(&text).unwrap();
        prop_assert_eq!(origin.to_string(), text.clone());
        let address = format!("{text}/settings?x=1");
        prop_assert_eq!(Origin::of_address(&address).unwrap(), origin);
    }

    #[test]
    fn a_different_host_or_port_is_never_offered_the_key(
        host in host(), other in host(), port in 1u16.., other_port in 1u16..
    ) {
        let address = format!("https://{host}:{port}/settings");
        let real = format!("https://{host}:{port}");
        let other_host = format!("https://{other}:{port}");
        let other_port_page = format!("https://{host}:{other_port}");
        prop_assert!(offered_on(&address, &real));
        prop_assert_eq!(offered_on(&address, &other_host), host == other);
        prop_assert_eq!(offered_on(&address, &other_port_page), port == other_port);
        let never = [
            format!("http://{host}:{port}"),
            format!("https://{host}.:{port}"),
            format!("https://x.{host}:{port}"),
            format!("https://{host}:{port}@{other}"),
            format!("https://{other}@{host}:{port}"),
        ];
        for page in &never {
            prop_assert!(!offered_on(&address, page), "offered on {}", page);
        }
    }

    #[test]
    fn a_host_with_any_non_ascii_character_is_refused(
        head in "[a-z]{1,8}", odd in "[^\\x00-\\x7f]", tail in "[a-z]{0,8}\\.com"
    ) {
        let page = format!("https://{head}{odd}{tail}");
        let refused = Origin::of_page(&page).is_err();
        prop_assert!(refused);
    }
}
