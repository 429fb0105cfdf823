//! The email platforms Keydesk knows, and talking to them.
//!
//! [`catalogue`] holds the facts (pure data, usable by the vault core). [`http`], [`verify`],
//! [`manage`], [`usage`] and [`sigv4`] make the network calls: only when the user asks
//! (verify, create, revoke, test connection, last use at the provider), HTTPS only except to
//! loopback test servers, never logging a request or an answer.

pub mod catalogue;
pub mod http;
pub mod manage;
pub mod sigv4;
pub mod usage;
pub mod verify;

pub use catalogue::{Auth, NetKind, Provider, ProviderInfo};
