//! The desktop terminal: egui only. One struct per screen; screens reach the service through
//! its handle, whose calls run on the tokio runtime and are polled once per frame, so a frame
//! never waits on the network, the disk, the keychain or a file dialog.
//!
//! Must not depend on: `gateway`, `vault`, `journal` (its row types come re-exported by
//! `service`), `aps::sign`. It may display `aps` value types (money, masked cards).

pub mod app;
pub mod call;
pub mod dialogs;
pub mod env;
pub mod format;
pub mod gate;
mod run;
pub mod screens;
pub mod theme;
pub mod widgets;

pub use crate::service::ProfileEnvironment;
pub use app::TerminalApp;
pub use dialogs::{DialogAnswer, FileDialogs, FileRequest, NativeDialogs, PendingPath};
pub use env::{ActiveProfile, AppCommand, Env, ScreenId, UiSettings};
pub use run::{UiError, UiOptions, run};
