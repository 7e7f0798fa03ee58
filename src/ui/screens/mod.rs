//! One struct per screen, each in its own file. A screen keeps its own UI state, draws itself
//! with `ui(&mut self, ui, env)`, and reaches the service only through the handle in [`Env`]:
//! every call runs as a task on the runtime and is polled once per frame, so no frame waits.

pub mod audit;
pub mod batch;
pub mod history;
pub mod operations;
pub mod order;
pub mod payment_link;
pub mod recurring;
pub mod reports;
pub mod settings;
pub mod sign_in;
pub mod status;
pub mod tokens;

use super::env::Env;

/// What the app shell needs from every screen.
pub trait Screen {
    /// Draws the screen for one frame.
    fn ui(&mut self, ui: &mut egui::Ui, env: &mut Env<'_>);

    /// Esc was pressed: close whatever the screen has open (a dialog, a read-back) and return
    /// true, or return false to let the app go back to the previous screen.
    fn escape(&mut self) -> bool {
        false
    }

    /// The screen was opened (by its shortcut, the navigation or a command).
    fn opened(&mut self, _ctx: &egui::Context) {}

    /// The terminal locked: wipe whatever was typed that must not wait on an unattended desk
    /// (a keyed card, a PIN, a merchant secret). The rest of the draft is kept for the same
    /// operator.
    fn wipe_secrets(&mut self, _ctx: &egui::Context) {}

    /// True while a request the agent sent is with the service and its answer is still to be
    /// shown here: signing out now would lose the answer from the screen.
    fn sending(&self) -> bool {
        false
    }
}

pub use crate::ui::call::Call;
