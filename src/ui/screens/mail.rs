//! Mail order: a back-office clerk keys a stack of paper order forms. Same charge as a phone
//! order, plus the slip number, the order date and the postal details; after each outcome,
//! Enter starts the next slip with the date and currency kept.

use super::Screen;
use super::order_desk::OrderDesk;
use super::order_form::OrderChannel;
use crate::ui::env::{ActiveProfile, Env};

pub struct MailOrderScreen {
    pub desk: OrderDesk,
}

impl MailOrderScreen {
    pub fn new(profile: &ActiveProfile) -> Self {
        Self { desk: OrderDesk::new(OrderChannel::Mail, "mail", profile) }
    }

    /// Ctrl+N: the next slip.
    pub fn new_order(&mut self, ctx: &egui::Context) {
        self.desk.new_order(ctx);
    }
}

impl Screen for MailOrderScreen {
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
