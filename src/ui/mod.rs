//! The desktop terminal: egui only. One struct per screen; screens emit requests through the
//! service handle and never do I/O themselves, so a frame never waits on the network, the
//! disk, the keychain or a file dialog.
//!
//! Must not depend on: `gateway`, `vault` stores, `journal` I/O, `aps::sign`. It may display
//! `aps` value types (money, masked cards) and journal row types.

pub mod dialogs;
pub mod env;
pub mod screens;
pub mod theme;
pub mod widgets;

pub use dialogs::{DialogAnswer, FileDialogs, FileRequest, NativeDialogs, PendingPath};
pub use env::{AppCommand, Env, Environment, ProfileSummary, ScreenId, UiSettings};
