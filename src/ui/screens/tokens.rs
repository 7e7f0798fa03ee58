//! Tokens: look up saved cards (masked only) by customer, email, last 4 or token name; see
//! their status; activate, deactivate, rename or change the expiry; and, on a trusted-channel
//! profile, store a new card as a token without charging it.

use super::{Call, Screen, finish_of, outcome_kind_of_stage};
use crate::aps::card::Expiry;
use crate::aps::command::TokenStatus;
use crate::service::{CardDraft, CreateTokenDraft, Outcome, ServiceError, TokenRecord, TokenUpdateDraft};
use crate::ui::env::Env;
use crate::ui::screens::order_form::{Finish, check_email};
use crate::ui::theme;
use crate::ui::widgets::card::{CardFields, CardIds};
use crate::ui::widgets::field::{Note, TextField, capitalise};
use crate::ui::widgets::outcome::{OutcomeKind, OutcomeView, outcome_ui};
use chrono::Datelike;
use egui::{Id, RichText, Ui};
use zeroize::Zeroizing;

/// What the agent is doing on the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Find,
    Create,
}

pub struct TokensScreen {
    pub mode: Mode,
    pub query: String,
    searched: Option<String>,
    results: Vec<TokenRecord>,
    search: Call<Result<Vec<TokenRecord>, ServiceError>>,
    search_error: Option<String>,
    selected: Option<TokenRecord>,
    /// Edits of the selected token.
    pub new_name: String,
    pub new_expiry: String,
    pub new_holder: String,
    /// The new card (Create mode).
    pub card: CardFields,
    pub token_name: String,
    pub customer_email: String,
    pub customer_name: String,
    run: Call<Result<Outcome, ServiceError>>,
    outcome: Option<OutcomeView>,
    error: Option<String>,
    focus: bool,
}

impl Default for TokensScreen {
    fn default() -> Self {
        Self {
            mode: Mode::Find,
            query: String::new(),
            searched: None,
            results: Vec::new(),
            search: Call::default(),
            search_error: None,
            selected: None,
            new_name: String::new(),
            new_expiry: String::new(),
            new_holder: String::new(),
            card: CardFields::default(),
            token_name: String::new(),
            customer_email: String::new(),
            customer_name: String::new(),
            run: Call::default(),
            outcome: None,
            error: None,
            focus: true,
        }
    }
}

fn id(name: &str) -> Id {
    Id::unique(("tokens", name))
}

fn card_ids() -> CardIds {
    CardIds::new(id("card"))
}

/// APS keeps expiry dates as YYMM; agents read them as printed on the card, MM/YY.
fn expiry_text(wire: &str) -> String {
    Expiry::from_wire(wire).map(Expiry::display).unwrap_or_else(|_| wire.to_owned())
}

fn today() -> (u16, u8) {
    let now = chrono::Local::now();
    (u16::try_from(now.year()).unwrap_or(u16::MAX), u8::try_from(now.month()).unwrap_or(12))
}

impl TokensScreen {
    fn start_search(&mut self, env: &Env<'_>) {
        if self.search.busy() {
            return;
        }
        let query = self.query.trim().to_owned();
        self.searched = Some(query.clone());
        let profile = env.profile.name.clone();
        self.search
            .start(env.service.run(move |service, _| async move { service.tokens(&profile, &query).await }));
    }

    fn start_update(&mut self, env: &Env<'_>, status: Option<TokenStatus>) {
        let Some(token) = &self.selected else { return };
        if self.run.busy() {
            return;
        }
        let draft = TokenUpdateDraft {
            token_name: token.token_name.clone(),
            new_token_name: if status.is_some() { String::new() } else { self.new_name.trim().to_owned() },
            status,
            expiry: if status.is_some() { String::new() } else { self.new_expiry.trim().to_owned() },
            holder_name: if status.is_some() { String::new() } else { self.new_holder.trim().to_owned() },
        };
        if status.is_none()
            && draft.new_token_name.is_empty()
            && draft.expiry.is_empty()
            && draft.holder_name.is_empty()
        {
            self.error = Some("Nothing to change: type a new name, expiry or name on card first".to_owned());
            return;
        }
        let profile = env.profile.name.clone();
        self.error = None;
        self.outcome = Some(OutcomeView::in_progress(OutcomeKind::Sending));
        self.run.start(env.service.run(move |service, progress| async move {
            service.update_token(&profile, draft, &progress).await
        }));
    }

    fn start_create(&mut self, ui: &Ui, env: &Env<'_>) {
        if self.run.busy() {
            return;
        }
        let check = self.card.check(today());
        if let Some((field, message)) = check.first_error() {
            self.error = Some(format!("{field}: {message}"));
            return;
        }
        if let Err(message) = check_email(&self.customer_email) {
            self.error = Some(message);
            return;
        }
        let draft = CreateTokenDraft {
            card: CardDraft {
                number: Zeroizing::new(self.card.number().as_str().to_owned()),
                expiry: self.card.expiry().trim().to_owned(),
                cvv: Zeroizing::new(String::new()),
                holder_name: self.card.holder_name.trim().to_owned(),
                remember: true,
            },
            token_name: self.token_name.trim().to_owned(),
            customer_email: self.customer_email.trim().to_owned(),
            customer_name: self.customer_name.trim().to_owned(),
        };
        // The draft carries its own copy of the digits; the screen's copy has done its job.
        self.card.wipe(ui.ctx(), card_ids());
        let profile = env.profile.name.clone();
        self.error = None;
        self.outcome = Some(OutcomeView::in_progress(OutcomeKind::Sending));
        self.run.start(env.service.run(move |service, progress| async move {
            service.create_token(&profile, draft, &progress).await
        }));
    }

    fn poll(&mut self, env: &Env<'_>) {
        if let Some(answer) = self.search.poll() {
            match answer {
                Ok(results) => {
                    if let Some(selected) = &self.selected {
                        self.selected = results.iter().find(|t| t.token_name == selected.token_name).cloned();
                    }
                    self.results = results;
                    self.search_error = None;
                }
                Err(e) => self.search_error = Some(capitalise(&e.to_string())),
            }
        }
        if let Some(result) = self.run.poll() {
            let renamed = result.as_ref().ok().and_then(|o| o.token_name.clone());
            match finish_of(result) {
                Finish::Outcome(view) => {
                    if view.kind == OutcomeKind::Approved {
                        self.new_name.clear();
                        self.new_expiry.clear();
                        self.new_holder.clear();
                        if let (Some(name), Some(selected)) = (renamed, &mut self.selected) {
                            selected.token_name = name;
                        }
                    }
                    self.outcome = Some(view);
                }
                Finish::Invalid { message, .. } | Finish::NotSent(message) | Finish::Duplicate(message) => {
                    self.outcome = None;
                    self.error = Some(format!("Not sent. {}", capitalise(&message)));
                }
            }
            // Statuses and names changed: ask the token book again.
            self.searched = None;
        } else if let (Some(stage), Some(view)) = (self.run.stage(), &mut self.outcome)
            && view.kind.in_progress()
        {
            *view = OutcomeView::in_progress(outcome_kind_of_stage(&stage));
        }
        if self.mode == Mode::Find && self.searched.as_deref() != Some(self.query.trim()) {
            self.start_search(env);
        }
    }

    fn find_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let field =
            TextField::new("Find saved cards", id("query")).hint("name, email, last 4 or token").show(
                ui,
                &mut self.query,
                self.search_error.as_ref().map(|e| Note::Error(e.clone())).as_ref(),
                |ui| {
                    if self.search.busy() {
                        ui.spinner();
                    }
                },
            );
        if std::mem::take(&mut self.focus) {
            field.request_focus();
        }
        ui.add_space(theme::ROW_GAP);
        if self.results.is_empty() {
            ui.label(RichText::new("No saved cards match.").color(theme::HINT_TEXT));
        } else {
            let mut chosen = None;
            egui::Grid::new(id("results")).striped(true).num_columns(5).spacing([14.0, 4.0]).show(ui, |ui| {
                for head in ["Token", "Card", "Expiry", "Status", "Customer"] {
                    ui.label(RichText::new(head).strong());
                }
                ui.end_row();
                for token in &self.results {
                    let selected = self.selected.as_ref().is_some_and(|s| s.token_name == token.token_name);
                    if ui.selectable_label(selected, &token.token_name).clicked() {
                        chosen = Some(token.clone());
                    }
                    let brand = token.brand.clone().unwrap_or_default();
                    ui.label(
                        format!("{brand} {}", token.masked_card.clone().unwrap_or_default())
                            .trim()
                            .to_owned(),
                    );
                    ui.label(token.expiry.as_deref().map(expiry_text).unwrap_or_default());
                    let status = RichText::new(&token.status);
                    ui.label(if token.status.eq_ignore_ascii_case("ACTIVE") {
                        status
                    } else {
                        status.color(theme::ATTENTION)
                    });
                    let customer = [token.customer_name.clone(), token.customer_email.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>();
                    ui.label(customer.join(" "));
                    ui.end_row();
                }
            });
            if let Some(token) = chosen {
                self.selected = Some(token);
                self.outcome = None;
                self.error = None;
            }
        }
        self.selected_ui(ui, env);
    }

    fn selected_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let Some(token) = self.selected.clone() else { return };
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        ui.label(
            RichText::new(format!("Token {}", token.token_name)).strong().size(theme::HEADING_SIZE - 2.0),
        );
        ui.label(format!(
            "{} {}, status {}",
            token.brand.clone().unwrap_or_default(),
            token.masked_card.clone().unwrap_or_else(|| "card not known".to_owned()),
            token.status
        ));
        let busy = self.run.busy();
        ui.horizontal(|ui| {
            let active = token.status.eq_ignore_ascii_case("ACTIVE");
            if ui.add_enabled(!busy && !active, egui::Button::new("Activate")).clicked() {
                self.start_update(env, Some(TokenStatus::Active));
            }
            if ui.add_enabled(!busy && active, egui::Button::new("Deactivate")).clicked() {
                self.start_update(env, Some(TokenStatus::Inactive));
            }
        });
        TextField::new("New token name", id("new_name")).char_limit(100).show(
            ui,
            &mut self.new_name,
            None,
            |_| {},
        );
        TextField::new("New expiry (MM/YY)", id("new_expiry"))
            .hint("MM/YY")
            .width(theme::SHORT_FIELD_WIDTH)
            .char_limit(7)
            .show(ui, &mut self.new_expiry, None, |_| {});
        TextField::new("New name on card", id("new_holder")).char_limit(50).show(
            ui,
            &mut self.new_holder,
            None,
            |_| {},
        );
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            if ui.add_enabled(!busy, egui::Button::new("Save changes to APS")).clicked() {
                self.start_update(env, None);
            }
        });
    }

    fn create_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        if !env.profile.trusted_channel {
            ui.label(
                RichText::new("This profile may not send card numbers (no trusted channel), so it cannot create tokens here.")
                    .color(theme::ATTENTION),
            );
            return;
        }
        if self.card.wipe_when_idle(ui, card_ids(), env.settings.card_idle_wipe_secs) {
            self.error = Some(format!(
                "The card details were cleared after {} without activity.",
                super::order_form::idle_phrase(env.settings.card_idle_wipe_secs)
            ));
        }
        let inputs = self.card.ui(ui, card_ids(), false, today());
        if std::mem::take(&mut self.focus)
            && let Some(first) = inputs.first()
        {
            first.request_focus();
        }
        TextField::new("Token name (optional)", id("token_name")).char_limit(100).show(
            ui,
            &mut self.token_name,
            None,
            |_| {},
        );
        TextField::new("Customer email", id("create_email")).char_limit(254).show(
            ui,
            &mut self.customer_email,
            None,
            |_| {},
        );
        TextField::new("Customer name", id("create_name")).char_limit(40).show(
            ui,
            &mut self.customer_name,
            None,
            |_| {},
        );
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            if ui.add_enabled(!self.run.busy(), egui::Button::new("Save card as token")).clicked() {
                self.start_create(ui, env);
            }
        });
    }
}

impl Screen for TokensScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        ui.horizontal(|ui| {
            let before = self.mode;
            ui.selectable_value(&mut self.mode, Mode::Find, "Find and update");
            ui.selectable_value(&mut self.mode, Mode::Create, "Save a new card");
            if self.mode != before {
                self.focus = true;
                self.outcome = None;
                self.error = None;
            }
        });
        ui.add_space(theme::ROW_GAP);
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(theme::ERROR_TEXT).strong());
        }
        if let Some(view) = &self.outcome {
            outcome_ui(ui, "token", view);
            ui.add_space(theme::ROW_GAP);
        }
        match self.mode {
            Mode::Find => self.find_ui(ui, env),
            Mode::Create => self.create_ui(ui, env),
        }
    }

    fn escape(&mut self) -> bool {
        self.selected.take().is_some()
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.focus = true;
        self.searched = None;
    }
}
