//! Status: ask APS about any order (CHECK_STATUS), and list and resolve the orders whose
//! outcome the journal does not know (a timeout, a crash, a doubtful answer). Resolving asks
//! APS and records what it says; nothing is ever sent again blindly.

use super::{Call, Screen};
use crate::aps::money::Currency;
use crate::aps::response::{LinkState, StatusAnswer};
use crate::service::{Field, OrderKind, OrderState, Outcome, ServiceError, StatusReport, Unresolved};
use crate::ui::env::{AppCommand, Env, ScreenId};
use crate::ui::format::{local_minute, money_text, not_sent};
use crate::ui::theme;
use crate::ui::widgets::field::{Note, TextField, capitalise};
use crate::ui::widgets::outcome::{
    OutcomeKind, OutcomeView, outcome_ui, outcome_view, progress_view, verdict_view,
};
use crate::ui::widgets::table::{key_values, striped_table};
use egui::{Id, Key, RichText, Ui};

pub struct StatusScreen {
    /// The merchant reference to check.
    pub reference: String,
    check: Call<Result<StatusReport, ServiceError>>,
    report: Option<(OutcomeView, Vec<(String, String)>)>,
    check_error: Option<String>,
    unresolved: Vec<Unresolved>,
    list: Call<Result<Vec<Unresolved>, ServiceError>>,
    list_error: Option<String>,
    resolve: Call<Result<Vec<Outcome>, ServiceError>>,
    /// Which order is being resolved (`None` with a running call: all of them).
    resolving: Option<String>,
    resolved: Vec<OutcomeView>,
    focus: bool,
    /// The list is stale; reload it on the next frame.
    reload: bool,
    /// The checked order, when APS has no record of it: (reference, paid by a stored token).
    sendable: Option<(String, bool)>,
    again: Call<Result<Outcome, ServiceError>>,
    again_view: Option<OutcomeView>,
    /// The checked order, when it was taken outside this terminal and is not in the journal yet.
    outside: Option<String>,
    /// The currency to bring it in with (CHECK_STATUS does not say it).
    outside_currency: String,
    outside_error: Option<String>,
    focus_currency: bool,
}

impl Default for StatusScreen {
    fn default() -> Self {
        Self {
            reference: String::new(),
            check: Call::default(),
            report: None,
            check_error: None,
            unresolved: Vec::new(),
            list: Call::default(),
            list_error: None,
            resolve: Call::default(),
            resolving: None,
            resolved: Vec::new(),
            focus: true,
            reload: true,
            sendable: None,
            again: Call::default(),
            again_view: None,
            outside: None,
            outside_currency: String::new(),
            outside_error: None,
            focus_currency: false,
        }
    }
}

fn id(name: &str) -> Id {
    Id::unique(("status", name))
}

/// What APS's answer says about the order, line by line. Amounts are shown in the order's
/// currency when the journal knows the order, else in minor units as APS sent them.
fn answer_lines(answer: &StatusAnswer, currency: Option<Currency>) -> Vec<(String, String)> {
    let amount = |minor: u64| match currency {
        Some(c) => money_text(minor, c),
        None => format!("{minor} (minor units)"),
    };
    match answer {
        StatusAnswer::Found(s) | StatusAnswer::StillUncertain(s) => {
            let mut lines = vec![
                ("Last transaction".to_owned(), format!("{} {}", s.transaction_code, s.transaction_message)),
                ("Authorized".to_owned(), amount(s.authorized_minor)),
                ("Captured".to_owned(), amount(s.captured_minor)),
                ("Refunded".to_owned(), amount(s.refunded_minor)),
            ];
            if let Some(fort_id) = &s.fort_id {
                lines.push(("Fort ID".to_owned(), fort_id.clone()));
            }
            if let Some(issuer) = s.issuer_words() {
                lines.push(("Card network".to_owned(), issuer));
            }
            if matches!(answer, StatusAnswer::StillUncertain(_)) {
                lines.push((
                    "Final?".to_owned(),
                    "Not yet: APS is still working on it; check again later".to_owned(),
                ));
            }
            lines
        }
        StatusAnswer::NotFound => vec![("APS".to_owned(), "has no order with this reference".to_owned())],
        StatusAnswer::QueryFailed(_) => {
            vec![("APS".to_owned(), "could not answer the status query".to_owned())]
        }
    }
}

impl StatusScreen {
    /// Opens the screen on an order (from History or an outcome).
    pub fn load(&mut self, reference: &str) {
        self.reference = reference.to_owned();
        self.report = None;
    }

    fn start_check(&mut self, env: &Env<'_>) {
        self.start_check_in(env, None);
    }

    /// Checks the order; with a currency, an order taken outside this terminal is brought in.
    fn start_check_in(&mut self, env: &Env<'_>, currency: Option<Currency>) {
        let reference = self.reference.trim().to_owned();
        if reference.is_empty() {
            self.check_error = Some("Type the order's merchant reference".to_owned());
            return;
        }
        if self.check.busy() {
            return;
        }
        self.check_error = None;
        let profile = env.profile.name.clone();
        self.check.start(env.service.run(move |service, progress| async move {
            service.check_status_in(&profile, &reference, currency, &progress).await
        }));
    }

    fn start_list(&mut self, env: &Env<'_>) {
        let profile = env.profile.name.clone();
        self.list.start(
            env.service.run(move |service, _| async move { service.unresolved(Some(&profile)).await }),
        );
    }

    fn start_resolve(&mut self, env: &Env<'_>, reference: Option<String>) {
        if self.resolve.busy() {
            return;
        }
        let profile = env.profile.name.clone();
        self.resolving = reference.clone();
        self.resolved.clear();
        self.resolve.start(env.service.run(move |service, progress| async move {
            match reference {
                Some(reference) => service.reconcile_order(&profile, &reference, &progress).await,
                None => service.reconcile(Some(&profile), &progress).await,
            }
        }));
    }

    fn poll(&mut self, env: &Env<'_>) {
        if let Some(answer) = self.check.poll() {
            match answer {
                Ok(report) => {
                    let mut view = verdict_view(&report.verdict);
                    if report.link == Some(LinkState::Open) {
                        view.kind = OutcomeKind::LinkOpen;
                    }
                    view.merchant_reference = Some(self.reference.trim().to_owned());
                    let mut lines = answer_lines(&report.answer, report.order.as_ref().map(|o| o.currency));
                    if let Some(order) = &report.order {
                        lines.push((
                            "In the journal".to_owned(),
                            format!("{} ({})", order.state, money_text(order.amount_minor, order.currency)),
                        ));
                    }
                    self.sendable = report
                        .order
                        .as_ref()
                        .filter(|o| o.state == OrderState::NotSent && o.kind != OrderKind::PaymentLink)
                        .map(|o| (o.merchant_reference.clone(), o.token_name.is_some()));
                    self.again_view = None;
                    let bring_in = report.taken_outside && report.order.is_none();
                    self.outside = bring_in.then(|| self.reference.trim().to_owned());
                    self.outside_error = None;
                    if bring_in && self.outside_currency.is_empty() {
                        self.outside_currency = env.profile.default_currency.code().to_owned();
                    }
                    self.report = Some((view, lines));
                    self.reload = true;
                    // Back in the reference field: the next order to check, or Tab to the actions;
                    // on an order to bring in, in its currency field.
                    self.focus = !bring_in;
                    self.focus_currency = bring_in;
                }
                Err(ServiceError::Invalid { field: Field::Currency, message }) if self.outside.is_some() => {
                    self.outside_error = Some(capitalise(&message));
                    self.focus_currency = true;
                }
                Err(e) => self.check_error = Some(capitalise(&e.to_string())),
            }
        }
        if let Some(answer) = self.again.poll() {
            match answer {
                Ok(outcome) => {
                    // The earlier "no record" answer is history now: show only what happened.
                    self.report = None;
                    self.again_view = Some(outcome_view(&outcome));
                }
                Err(e) => self.check_error = Some(not_sent(&e.to_string())),
            }
            self.sendable = None;
            self.reload = true;
        }
        if let Some(answer) = self.list.poll() {
            match answer {
                Ok(list) => {
                    self.unresolved = list;
                    self.list_error = None;
                }
                Err(e) => self.list_error = Some(capitalise(&e.to_string())),
            }
        }
        if let Some(answer) = self.resolve.poll() {
            self.resolving = None;
            match answer {
                Ok(outcomes) => {
                    self.resolved = outcomes.iter().map(outcome_view).collect();
                    if self.resolved.is_empty() {
                        self.list_error = Some("Nothing needed resolving.".to_owned());
                    }
                }
                Err(e) => self.list_error = Some(capitalise(&e.to_string())),
            }
            self.reload = true;
        }
        if std::mem::take(&mut self.reload) {
            self.start_list(env);
        }
    }

    /// For an order APS has no record of: send it again under its own reference, never as a
    /// new order (APS refuses the repeat if the first attempt did go through).
    fn send_again_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        if let Some(view) = &self.again_view {
            outcome_ui(ui, "again", view);
        }
        if let Some(view) = progress_view(&self.again) {
            outcome_ui(ui, "progress3", &view);
            return;
        }
        let Some((reference, by_token)) = self.sendable.clone() else { return };
        if !by_token {
            ui.label(
                RichText::new(format!(
                    "Order {reference} was paid with a keyed card, which is never stored: to send it again with the same reference, key the card into `moto-terminal send-again --reference {reference} --card-stdin`."
                ))
                .color(theme::HINT_TEXT),
            );
            return;
        }
        let button = egui::Button::new(format!("Send {reference} again with the same reference"));
        if ui.add(button).on_hover_text("APS refuses it if the first attempt did go through").clicked() {
            let profile = env.profile.name.clone();
            self.again.start(env.service.run(move |service, progress| async move {
                service.send_again(&profile, &reference, None, &progress).await
            }));
        }
    }

    /// For an order taken outside this terminal (the merchant's website): its currency, then
    /// Enter brings it into the journal, where it can be captured, refunded or voided.
    fn bring_in_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let Some(reference) = self.outside.clone() else { return };
        ui.label(
            RichText::new(format!(
                "Order {reference} was taken outside this terminal. APS does not say its currency: check \
                 it on the order (the one the customer paid in), then bring it into the journal to \
                 capture, refund or void it here. Nothing is charged."
            ))
            .color(theme::HINT_TEXT),
        );
        let note = self.outside_error.as_ref().map(|e| Note::Error(e.clone()));
        let field = TextField::new("Currency", id("outside_currency")).hint("SAR").show(
            ui,
            &mut self.outside_currency,
            note.as_ref(),
            |_| {},
        );
        if std::mem::take(&mut self.focus_currency) {
            field.request_focus();
        }
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        let button = ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            let label = format!("Bring {reference} into the journal (Enter)");
            ui.add_enabled(!self.check.busy(), egui::Button::new(label))
        });
        if enter || button.inner.clicked() {
            match Currency::parse(self.outside_currency.trim()) {
                Ok(currency) => {
                    self.reference = reference;
                    self.start_check_in(env, Some(currency));
                }
                Err(e) => {
                    self.outside_error = Some(capitalise(&e.to_string()));
                    self.focus_currency = true;
                }
            }
        }
    }

    fn unresolved_ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        ui.label(RichText::new("Orders with an unknown outcome").strong().size(theme::HEADING_SIZE - 3.0));
        ui.label(
            RichText::new("Money may or may not have moved on these. Resolving asks APS for the truth and records it; nothing is charged again.")
                .color(theme::HINT_TEXT),
        );
        if let Some(error) = &self.list_error {
            ui.label(error);
        }
        if let Some(view) = progress_view(&self.resolve) {
            outcome_ui(ui, "progress1", &view);
        }
        for (index, view) in self.resolved.iter().enumerate() {
            outcome_ui(ui, ("resolved", index), view);
            ui.add_space(theme::ROW_GAP);
        }
        if self.unresolved.is_empty() {
            ui.label(RichText::new("None: every order's outcome is known.").color(theme::APPROVED));
            return;
        }
        let busy = self.resolve.busy();
        let mut resolve = None;
        let mut open = None;
        striped_table(ui, id("unresolved"), &["Reference", "Amount", "State", "Since", "Why", ""], |ui| {
            for item in &self.unresolved {
                let order = &item.order;
                if ui.selectable_label(false, &order.merchant_reference).clicked() {
                    open = Some(order.merchant_reference.clone());
                }
                ui.label(money_text(order.amount_minor, order.currency));
                ui.label(order.state.words());
                ui.label(local_minute(&order.updated_at));
                let why = order.needs_attention.clone().unwrap_or_else(|| {
                    item.open_operations
                        .iter()
                        .map(|op| op.operation.wire_name())
                        .collect::<Vec<_>>()
                        .join(", ")
                });
                ui.label(why);
                let label = format!("Resolve {}", order.merchant_reference);
                let button = ui.add_enabled(!busy, egui::Button::new("Resolve")).on_hover_text(&label);
                if button.clicked() {
                    resolve = Some(order.merchant_reference.clone());
                }
                ui.end_row();
            }
        });
        if ui
            .add_enabled(!busy, egui::Button::new(format!("Resolve all {} with APS", self.unresolved.len())))
            .clicked()
        {
            self.start_resolve(env, None);
        }
        if let Some(reference) = resolve {
            self.start_resolve(env, Some(reference));
        }
        if let Some(reference) = open {
            env.commands
                .push(AppCommand::OpenOrder { screen: ScreenId::History, merchant_reference: reference });
        }
    }
}

impl Screen for StatusScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        ui.label("Ask APS what happened to an order (CHECK_STATUS with its merchant reference).");
        let note = self.check_error.as_ref().map(|e| Note::Error(e.clone()));
        let field = TextField::new("Order reference", id("reference")).hint("MT-261125-...").show(
            ui,
            &mut self.reference,
            note.as_ref(),
            |ui| {
                if self.check.busy() {
                    ui.spinner();
                }
            },
        );
        if std::mem::take(&mut self.focus) {
            field.request_focus();
        }
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        let button = ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            ui.add_enabled(!self.check.busy(), egui::Button::new("Check with APS (Enter)"))
        });
        if enter || button.inner.clicked() {
            self.start_check(env);
        }
        if let Some(view) = progress_view(&self.check) {
            outcome_ui(ui, "progress2", &view);
        }
        if let Some((view, lines)) = &self.report {
            ui.add_space(theme::ROW_GAP);
            outcome_ui(ui, "check", view);
            key_values(ui, id("answer"), lines.iter().map(|(name, value)| (name.as_str(), value.clone())));
        }
        self.send_again_ui(ui, env);
        self.bring_in_ui(ui, env);
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        self.unresolved_ui(ui, env);
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.focus = true;
        self.reload = true;
    }
}
