//! Phone order: the agent charges a saved card (token) or, where the profile allows the trusted
//! channel, a card the customer reads out, while the customer is on the line.

use super::Screen;
use super::order_desk::OrderDesk;
use super::order_form::OrderChannel;
use crate::ui::env::{ActiveProfile, Env};

pub struct PhoneOrderScreen {
    pub desk: OrderDesk,
}

impl PhoneOrderScreen {
    pub fn new(profile: &ActiveProfile) -> Self {
        Self { desk: OrderDesk::new(OrderChannel::Phone, "phone", profile) }
    }

    /// Ctrl+N: a fresh order with the focus in its first field.
    pub fn new_order(&mut self, ctx: &egui::Context) {
        self.desk.new_order(ctx);
    }
}

impl Screen for PhoneOrderScreen {
    fn ui(&mut self, ui: &mut egui::Ui, env: &mut Env<'_>) {
        self.desk.ui(ui, env);
    }

    fn escape(&mut self) -> bool {
        self.desk.form.escape()
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.desk.form.focus_first_field();
    }
}
