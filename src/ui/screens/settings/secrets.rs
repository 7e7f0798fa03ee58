//! The secrets of the profile form, as typed: password fields whose buffers are reserved up
//! front, so typing never makes them grow and leave a copy behind in freed memory. They reach
//! the service once, as `Secret`s, and the buffers are wiped in the same frame.

use super::profile_form::id;
use crate::aps::secret::Secret;
use crate::service::SecretKind;
use egui::{Context, Id, Ui};
use zeroize::{Zeroize, Zeroizing};

/// Longest secret the form takes (the vault refuses longer ones).
pub(super) const SECRET_CHARS: usize = 256;
/// Four bytes per character at most: with the limit above the buffer never grows.
const SECRET_BYTES: usize = SECRET_CHARS * 4;

pub(super) fn slot(kind: SecretKind) -> usize {
    match kind {
        SecretKind::AccessCode => 0,
        SecretKind::RequestPhrase => 1,
        SecretKind::ResponsePhrase => 2,
    }
}

pub(super) fn secret_id(kind: SecretKind) -> Id {
    id(kind.key())
}

/// The secrets as typed. Not `Clone`, not `Debug`: each value exists once, here, until it is
/// handed to the service or wiped.
pub struct SecretInputs {
    pub(super) values: [Zeroizing<String>; 3],
    /// The agent chose "Replace" for a secret that is already set.
    pub(super) replacing: [bool; 3],
    /// Egui time of the last input seen while something was typed, for the idle wipe.
    last_activity: f64,
}

impl Default for SecretInputs {
    fn default() -> Self {
        Self {
            values: std::array::from_fn(|_| Zeroizing::new(String::with_capacity(SECRET_BYTES))),
            replacing: [false; 3],
            last_activity: 0.0,
        }
    }
}

impl SecretInputs {
    pub fn holds_text(&self) -> bool {
        self.values.iter().any(|v| !v.is_empty())
    }

    pub fn is_replacing(&self) -> bool {
        self.replacing.contains(&true)
    }

    /// Hands over the secrets typed (one left empty keeps its stored value) and wipes them.
    pub fn take(&mut self, ctx: &Context) -> Vec<(SecretKind, Secret)> {
        let taken = SecretKind::ALL
            .into_iter()
            .filter(|k| !self.values[slot(*k)].is_empty())
            .map(|k| (k, Secret::new(self.values[slot(k)].as_str().to_owned())))
            .collect();
        self.wipe(ctx);
        taken
    }

    /// Wipes the buffers and closes every "Replace".
    pub fn clear(&mut self) {
        for value in &mut self.values {
            value.zeroize();
        }
        self.replacing = [false; 3];
    }

    /// [`Self::clear`], and drops the text-edit state egui keeps for the inputs.
    pub fn wipe(&mut self, ctx: &Context) {
        self.clear();
        for kind in SecretKind::ALL {
            ctx.data_mut(|d| d.remove::<egui::text_edit::TextEditState>(secret_id(kind)));
        }
    }

    /// Wipes what was typed once nobody has touched the window for `idle_secs`, as the card
    /// fields do; keeps a repaint scheduled for that moment. Returns true when it wiped.
    pub fn wipe_when_idle(&mut self, ui: &Ui, idle_secs: u64) -> bool {
        let now = ui.input(|i| i.time);
        if !self.holds_text() || ui.input(|i| !i.events.is_empty()) {
            self.last_activity = now;
            return false;
        }
        let limit = idle_secs as f64;
        let idle = now - self.last_activity;
        if idle >= limit {
            self.wipe(ui.ctx());
            return true;
        }
        ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(limit - idle));
        false
    }
}

/// Drops the undo history egui keeps for a text field, so earlier versions of a secret do not
/// linger in memory.
pub(super) fn forget_undo(ctx: &Context, id: Id) {
    if let Some(mut state) = egui::TextEdit::load_state(ctx, id) {
        state.set_undoer(Default::default());
        egui::TextEdit::store_state(ctx, id, state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_the_secrets_wipes_them_and_leaves_empty_ones_out() {
        let ctx = Context::default();
        let mut secrets = SecretInputs::default();
        secrets.values[slot(SecretKind::RequestPhrase)].push_str("phrase.1");
        secrets.replacing[slot(SecretKind::RequestPhrase)] = true;
        let taken = secrets.take(&ctx);
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].0, SecretKind::RequestPhrase);
        assert_eq!(taken[0].1.expose(), "phrase.1");
        assert!(!secrets.holds_text() && !secrets.is_replacing());
        assert!(secrets.values.iter().all(|v| v.capacity() >= SECRET_BYTES), "buffers keep their room");
    }
}
