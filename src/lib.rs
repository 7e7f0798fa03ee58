//! moto-terminal: a keyboard-first MOTO virtual terminal for Amazon Payment Services.
//!
//! Threading contract: the egui UI runs on the main thread and never waits on I/O. The service
//! runs on a tokio runtime whose handle is passed in by `main`; it talks to the UI only through
//! requests in and events out, and wakes the UI through an injected callback after delivering
//! each event.

/// Every binary and test built on this crate allocates through mimalloc (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod aps;
pub mod cli;
pub mod files;
pub mod gateway;
pub mod harden;
pub mod journal;
pub mod report;
pub mod service;
pub mod sim;
pub mod ui;
pub mod vault;
