//! The journal and the vault against real files and a real keychain.

// Test helpers outside #[test] functions are not covered by clippy.toml's allow-unwrap-in-tests.
#![allow(clippy::unwrap_used)]

mod card_guard;
mod files;
mod journal;
mod keychain;
mod team_keychain;
