//! Save a new card: on a trusted-channel profile, store a card as a token without charging it.

use crate::service::{CardDraft, CreateTokenDraft};
use crate::ui::env::Env;
use crate::ui::format::{idle_phrase, this_month};
use crate::ui::theme;
use crate::ui::widgets::card::{CardFields, CardIds};
use crate::ui::widgets::customer::{Customer, CustomerIds};
use crate::ui::widgets::field::TextField;
use egui::{Id, Response, RichText, Ui};
use zeroize::Zeroizing;

fn id(name: &str) -> Id {
    Id::unique(("tokens_create", name))
}

fn card_ids() -> CardIds {
    CardIds::new(id("card"))
}

#[derive(Default)]
pub(super) struct CreateToken {
    card: CardFields,
    token_name: String,
    customer: Customer,
    pub focus: bool,
}

/// What the agent did on this part of the screen this frame.
pub(super) struct CreateInputs {
    pub inputs: Vec<Response>,
    /// The save button was pressed.
    pub save: bool,
    /// The idle wipe cleared the card: say so.
    pub wiped: Option<String>,
}

impl CreateToken {
    /// The request for the typed card, or the first thing to fix. The screen's copy of the
    /// digits is wiped once the draft holds its own.
    pub fn draft(&mut self, ctx: &egui::Context) -> Result<CreateTokenDraft, String> {
        let check = self.card.check(this_month());
        if let Some((field, message)) = check.first_error() {
            return Err(format!("{field}: {message}"));
        }
        self.customer.check().map_err(|(_, message)| message)?;
        let draft = CreateTokenDraft {
            card: CardDraft {
                number: Zeroizing::new(self.card.number().as_str().to_owned()),
                expiry: self.card.expiry().trim().to_owned(),
                cvv: Zeroizing::new(String::new()),
                holder_name: self.card.holder_name.trim().to_owned(),
                remember: true,
            },
            token_name: self.token_name.trim().to_owned(),
            customer_email: self.customer.email.trim().to_owned(),
            customer_name: self.customer.name.trim().to_owned(),
        };
        self.card.wipe(ctx, card_ids());
        Ok(draft)
    }

    /// Wipes the typed card (the terminal locked). True when there was one.
    pub fn wipe_card(&mut self, ctx: &egui::Context) -> bool {
        let held = !self.card.is_empty();
        self.card.wipe(ctx, card_ids());
        held
    }

    pub fn ui(&mut self, ui: &mut Ui, env: &Env<'_>, busy: bool) -> CreateInputs {
        let mut wiped = None;
        if !env.profile.trusted_channel {
            ui.label(
                RichText::new("This profile may not send card numbers (no trusted channel), so it cannot create tokens here.")
                    .color(theme::ATTENTION),
            );
            return CreateInputs { inputs: Vec::new(), save: false, wiped };
        }
        let wipe_secs = env.settings.card_idle_wipe_secs;
        if self.card.wipe_when_idle(ui, card_ids(), wipe_secs) {
            wiped = Some(format!(
                "The card details were cleared after {} without activity.",
                idle_phrase(wipe_secs)
            ));
        }
        let mut inputs = self.card.ui(ui, card_ids(), false, this_month());
        if std::mem::take(&mut self.focus)
            && let Some(first) = inputs.first()
        {
            first.request_focus();
        }
        inputs.push(TextField::new("Token name (optional)", id("token_name")).char_limit(100).show(
            ui,
            &mut self.token_name,
            None,
            |_| {},
        ));
        inputs.extend(self.customer.ui(ui, CustomerIds::new(id("customer")), None, false).responses);
        let save = ui
            .horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                ui.add_enabled(!busy, egui::Button::new("Save card as token")).clicked()
            })
            .inner;
        CreateInputs { inputs, save, wiped }
    }
}
