//! The strict origin rule: which keys a page may be offered.
//!
//! A key is offered on a page only when the page's origin is `https`, and its host and port
//! are exactly those of the settings address of one of the key's integrations. Addresses
//! are parsed by hand and refused unless they are plain: no user name or password before
//! the host, no IP address, no trailing dot, no character outside `a-z 0-9 - .` in the host
//! (an internationalised name is written in its `xn--` form, as browsers report it), no
//! backslash, space or control character anywhere. Port 443 written out equals no port.
//! Nothing is ever matched by suffix, prefix or likeness: `app.example.com` is not
//! `example.com`, and `examp1e.com` is not `example.com`.

use serde::Serialize;

use crate::vault::model::{KeyId, KeyRecord};

/// An `https` origin: a host in lower case and a port (443 when none is written).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    host: String,
    port: u16,
}

/// Why an address is not an origin a key can be offered on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("Only https pages are offered keys: the address must start with https://.")]
    NotHttps,
    #[error("The address has no host name after https://.")]
    NoHost,
    #[error("The address names a user before its host (user@host): write the host alone.")]
    UserInfo,
    #[error("The address's host is an IP address: keys are offered on named https sites only.")]
    IpAddress,
    #[error(
        "The address's host has a character other than a-z, 0-9, - and dots: write an \
         international name in its xn-- form, as the browser shows it."
    )]
    BadHost,
    #[error("The address's port is not a number from 1 to 65535.")]
    BadPort,
    #[error("The address has a space, backslash or control character: write it as the browser shows it.")]
    BadCharacter,
    #[error("A page's origin is https://host or https://host:port, with nothing after it.")]
    NotAnOrigin,
}

const HTTPS: &str = "https://";
const DEFAULT_PORT: u16 = 443;
const MAX_HOST: usize = 253;
const MAX_LABEL: usize = 63;

impl Origin {
    /// The origin of a settings address as a user wrote it (`https://host[:port][/path…]`).
    pub fn of_address(address: &str) -> Result<Origin, OriginError> {
        let rest = strip_https(address.trim())?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        parse_authority(&rest[..end])
    }

    /// The origin a page reports (`location.origin`): `https://host[:port]` and nothing after
    /// it (a single `/` is allowed).
    pub fn of_page(origin: &str) -> Result<Origin, OriginError> {
        let rest = strip_https(origin)?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err(OriginError::NotAnOrigin);
        }
        parse_authority(authority)
    }

    /// The host, lower case.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (443 when the address wrote none).
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.port == DEFAULT_PORT {
            write!(f, "https://{}", self.host)
        } else {
            write!(f, "https://{}:{}", self.host, self.port)
        }
    }
}

fn strip_https(address: &str) -> Result<&str, OriginError> {
    if address.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err(OriginError::BadCharacter);
    }
    match address.get(..HTTPS.len()) {
        Some(scheme) if scheme.eq_ignore_ascii_case(HTTPS) => Ok(&address[HTTPS.len()..]),
        _ => Err(OriginError::NotHttps),
    }
}

fn parse_authority(authority: &str) -> Result<Origin, OriginError> {
    if authority.contains('@') {
        return Err(OriginError::UserInfo);
    }
    if authority.starts_with('[') {
        return Err(OriginError::IpAddress);
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, parse_port(port)?),
        None => (authority, DEFAULT_PORT),
    };
    if host.is_empty() {
        return Err(OriginError::NoHost);
    }
    let host = host.to_ascii_lowercase();
    check_host(&host)?;
    Ok(Origin { host, port })
}

fn parse_port(port: &str) -> Result<u16, OriginError> {
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OriginError::BadPort);
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(OriginError::BadPort),
        Ok(number) => Ok(number),
    }
}

/// A host name of labels `a-z 0-9 -`, none empty, none starting or ending with `-`; its last
/// label not a number (the URL standard reads such a host as an IPv4 address: `127.1`,
/// `0x7f.1`, `2130706433`).
fn check_host(host: &str) -> Result<(), OriginError> {
    if !host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.') {
        return Err(OriginError::BadHost);
    }
    if host.len() > MAX_HOST {
        return Err(OriginError::BadHost);
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.iter().any(|l| l.is_empty() || l.len() > MAX_LABEL || l.starts_with('-') || l.ends_with('-')) {
        return Err(OriginError::BadHost);
    }
    let last = labels.last().copied().unwrap_or_default();
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || (last.starts_with("0x") && last[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    if numeric {
        return Err(OriginError::IpAddress);
    }
    Ok(())
}

/// A key offered on a page: which key, and through which of its integrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub key: KeyId,
    pub label: String,
    pub provider: String,
    pub integration: String,
    pub role: OfferRole,
    /// A rotation's new key already in this integration ("updated") and not yet marked
    /// tested: the page offers "Mark as tested".
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub to_test: bool,
}

/// Where an offered key stands in a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferRole {
    /// No rotation of it is under way.
    Current,
    /// The new key of a rotation under way: offered first.
    RotationNew,
    /// The key being replaced: offered last.
    RotationOld,
}

impl OfferRole {
    fn rank(self) -> u8 {
        match self {
            OfferRole::RotationNew => 0,
            OfferRole::Current => 1,
            OfferRole::RotationOld => 2,
        }
    }
}

/// The live keys offered on the page whose origin is `page_origin`: one offer per key and
/// integration whose settings address has exactly that origin. During a rotation the new key
/// comes first and the key it replaces last; otherwise the vault's order is kept. A page
/// origin that is not a plain https origin is offered nothing.
pub fn offers(keys: &[KeyRecord], page_origin: &str) -> Vec<Offer> {
    let Ok(page) = Origin::of_page(page_origin) else {
        return Vec::new();
    };
    let mut found: Vec<Offer> = Vec::new();
    for key in keys.iter().filter(|k| k.is_live()) {
        for integration in &key.integrations {
            let Some(address) = integration.url.as_deref() else {
                continue;
            };
            if Origin::of_address(address).is_ok_and(|origin| origin == page) {
                let role = role_of(keys, key);
                found.push(Offer {
                    key: key.id.clone(),
                    label: key.label.clone(),
                    provider: key.provider.name().to_owned(),
                    integration: integration.name.clone(),
                    role,
                    to_test: role == OfferRole::RotationNew && to_test(keys, key, &integration.name),
                });
            }
        }
    }
    found.sort_by_key(|offer| offer.role.rank());
    found
}

/// Whether the rotation `key` is the new key of has `integration` updated, not yet tested.
fn to_test(keys: &[KeyRecord], key: &KeyRecord, integration: &str) -> bool {
    let old = key.replaces.as_ref().and_then(|old| keys.iter().find(|k| k.id == *old));
    let steps = old.and_then(|old| old.rotation.as_ref()).map_or(&[][..], |r| &r.steps[..]);
    steps
        .iter()
        .find(|step| step.integration.eq_ignore_ascii_case(integration.trim()))
        .is_some_and(|step| step.updated_at.is_some() && step.tested_at.is_none())
}

fn role_of(keys: &[KeyRecord], key: &KeyRecord) -> OfferRole {
    if key.rotation.is_some() {
        return OfferRole::RotationOld;
    }
    let replaces_one_rotating = key
        .replaces
        .as_ref()
        .and_then(|old| keys.iter().find(|k| k.id == *old))
        .is_some_and(|old| old.rotation.is_some() && old.replaced_by.as_ref() == Some(&key.id));
    if replaces_one_rotating { OfferRole::RotationNew } else { OfferRole::Current }
}
