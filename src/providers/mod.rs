//! The email platforms Keydesk knows, and talking to them.
//!
//! [`catalogue`] holds the facts (pure data, usable by the vault core). [`http`], [`verify`],
//! [`manage`] and [`sigv4`] make the network calls: only when the user asks (verify, create,
//! revoke, test connection), HTTPS only except to loopback test servers, never logging a
//! request or an answer.

pub mod catalogue;
pub mod http;
pub mod manage;
pub mod sigv4;
pub mod verify;

pub use catalogue::{Auth, NetKind, Provider, ProviderInfo};
