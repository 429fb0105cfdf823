//! The email platforms Keydesk knows: what their keys look like and how their APIs work.
//!
//! This part holds the facts (the [`catalogue`]). The catalogue performs no IO, so the vault
//! core can use it; talking to a provider over HTTP belongs here too, in modules of its own.

pub mod catalogue;

pub use catalogue::{Auth, Provider, ProviderInfo};
