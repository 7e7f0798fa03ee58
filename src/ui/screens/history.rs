//! History: the journal as a searchable, filterable table (reference, Fort ID, last 4, amount,
//! date, state, operator, terminal), the timeline of every action on an order with its response code,
//! and a CSV export through the save dialog.
//!
//! The search runs as the agent types (one lookup at a time; the latest text wins) and never
//! blocks a frame. Ctrl+F from anywhere lands in the search field.
//!
//! Authorized orders can be ticked (Tab to the box, Space); "Capture selected" then captures
//! each one's full remaining amount as one batch, on the Batch screen, after its read-back.

use super::{Call, Screen};
use crate::aps::money::Money;
use crate::service::{Filter, OperationRow, OrderRow, OrderState, ServiceError};
use crate::ui::dialogs::{DialogAnswer, FileRequest, PendingPath};
use crate::ui::env::{ActiveProfile, AppCommand, Env, ScreenId};
use crate::ui::format::{local_minute, money_text};
use crate::ui::theme;
use crate::ui::widgets::field::{Note, TextField, capitalise, note_ui, row};
use crate::ui::widgets::receipt::ReceiptButtons;
use crate::ui::widgets::table::{key_values, striped_table};
use crate::ui::widgets::timeline::timeline_ui;
use egui::{Id, RichText, Ui};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Rows shown per search; the filter narrows further.
const PAGE_ROWS: u32 = 200;
/// How often the shown orders are read again from the journal: an order another desk takes on
/// the team journal shows within 2 s.
const REREAD_EVERY: Duration = Duration::from_millis(1500);

type Detail = Option<(OrderRow, Vec<OperationRow>)>;

/// What the agent typed into the filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Reference, customer email or name, description.
    pub text: String,
    pub fort_id: String,
    pub last4: String,
    /// Amount as typed (decimal), matched in any currency with that many decimals.
    pub amount: String,
    pub state: Option<OrderState>,
    /// Only this operator's orders (any case).
    pub operator: String,
    /// Only orders a person must look at.
    pub needs_attention: bool,
}

pub struct HistoryScreen {
    pub filter: HistoryFilter,
    rows: Vec<OrderRow>,
    searched: Option<HistoryFilter>,
    search: Call<Result<Vec<OrderRow>, ServiceError>>,
    search_error: Option<String>,
    detail: Call<Result<Detail, ServiceError>>,
    selected: Option<(OrderRow, Vec<OperationRow>)>,
    /// The receipt buttons under the selected order's timeline.
    receipt: ReceiptButtons,
    export_dialog: Option<PendingPath>,
    export: Call<Result<(PathBuf, usize), String>>,
    export_message: Option<Note>,
    focus_search: bool,
    /// An order to open once the screen draws (from another screen).
    open_reference: Option<String>,
    /// Authorized orders ticked for "Capture selected".
    ticked: BTreeSet<String>,
    /// When the list was last read: it is read again every few seconds, so a result that
    /// reached the journal another way (a feedback post, another terminal) shows by itself.
    read_at: Option<Instant>,
}

impl Default for HistoryScreen {
    fn default() -> Self {
        Self {
            filter: HistoryFilter::default(),
            rows: Vec::new(),
            searched: None,
            search: Call::default(),
            search_error: None,
            detail: Call::default(),
            selected: None,
            receipt: ReceiptButtons::default(),
            export_dialog: None,
            export: Call::default(),
            export_message: None,
            focus_search: true,
            open_reference: None,
            ticked: BTreeSet::new(),
            read_at: None,
        }
    }
}

fn id(name: &str) -> Id {
    Id::unique(("history", name))
}

/// The journal filter for what was typed. The amount is read in the profile's currency (its
/// decimals decide the minor units); an amount that does not parse filters nothing.
fn journal_filter(profile: &ActiveProfile, typed: &HistoryFilter, limit: Option<u32>) -> Filter {
    let some = |text: &str| {
        let t = text.trim();
        (!t.is_empty()).then(|| t.to_owned())
    };
    let amount_minor = some(&typed.amount)
        .and_then(|text| Money::parse(&text, profile.default_currency).ok())
        .map(|m| m.minor_units());
    Filter {
        profile: Some(profile.name.clone()),
        text: some(&typed.text),
        fort_id: some(&typed.fort_id),
        last4: some(&typed.last4),
        amount_minor,
        currency: amount_minor.map(|_| profile.default_currency),
        states: typed.state.into_iter().collect(),
        needs_attention: typed.needs_attention.then_some(true),
        operator: some(&typed.operator),
        limit,
        ..Filter::default()
    }
}

impl HistoryScreen {
    /// Ctrl+F: focus the search field.
    pub fn focus_search(&mut self) {
        self.focus_search = true;
    }

    /// Opens the timeline of one order (from another screen).
    pub fn show_order(&mut self, reference: &str) {
        self.open_reference = Some(reference.to_owned());
    }

    fn start_search(&mut self, env: &Env<'_>) {
        if self.search.busy() {
            return;
        }
        let filter = journal_filter(env.profile, &self.filter, Some(PAGE_ROWS));
        self.searched = Some(self.filter.clone());
        self.read_at = Some(Instant::now());
        self.search.start(env.service.run(move |service, _| async move { service.history(filter).await }));
    }

    fn open_detail(&mut self, env: &Env<'_>, reference: String) {
        let profile = env.profile.name.clone();
        self.detail.start(
            env.service
                .run(move |service, _| async move { service.order_detail(&profile, &reference).await }),
        );
    }

    fn poll(&mut self, env: &Env<'_>) {
        if let Some(answer) = self.search.poll() {
            match answer {
                Ok(rows) => {
                    self.rows = rows;
                    self.search_error = None;
                }
                Err(e) => self.search_error = Some(capitalise(&e.to_string())),
            }
        }
        if let Some(answer) = self.detail.poll() {
            match answer {
                Ok(found) => self.selected = found,
                Err(e) => self.search_error = Some(capitalise(&e.to_string())),
            }
        }
        if let Some(pending) = &self.export_dialog {
            match pending.poll() {
                DialogAnswer::Waiting => {}
                DialogAnswer::Cancelled => self.export_dialog = None,
                DialogAnswer::Picked(path) => {
                    self.export_dialog = None;
                    let filter = journal_filter(env.profile, &self.filter, None);
                    self.export.start(env.service.run(move |service, _| async move {
                        let rows = service
                            .export_csv_file(filter, path.clone())
                            .await
                            .map_err(|e| capitalise(&e.to_string()))?;
                        Ok((path, rows))
                    }));
                }
            }
        }
        if let Some(result) = self.export.poll() {
            self.export_message = Some(match result {
                Ok((path, rows)) => Note::Hint(format!("Exported {rows} orders to {}", path.display())),
                Err(message) => Note::Error(message),
            });
        }
    }

    fn filters_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let search = TextField::new("Search history", id("text"))
            .hint("reference, customer, email, description")
            .show(ui, &mut self.filter.text, None, |ui| {
                if self.search.busy() {
                    ui.spinner();
                }
            });
        if std::mem::take(&mut self.focus_search) {
            search.request_focus();
        }
        TextField::new("Fort ID", id("fort_id")).show(ui, &mut self.filter.fort_id, None, |_| {});
        TextField::new("Card last 4", id("last4")).width(theme::SHORT_FIELD_WIDTH).char_limit(4).show(
            ui,
            &mut self.filter.last4,
            None,
            |_| {},
        );
        TextField::new("Amount", id("amount")).width(theme::SHORT_FIELD_WIDTH * 1.5).hint("12.50").show(
            ui,
            &mut self.filter.amount,
            None,
            |_| {},
        );
        TextField::new("Operator", id("operator")).width(theme::SHORT_FIELD_WIDTH * 2.5).show(
            ui,
            &mut self.filter.operator,
            None,
            |_| {},
        );
        row(ui, "State", |ui, label| {
            let text = self.filter.state.map_or("Any state", OrderState::words);
            egui::ComboBox::from_id_salt(id("state"))
                .selected_text(text)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.state, None, "Any state");
                    for state in OrderState::ALL {
                        ui.selectable_value(&mut self.filter.state, Some(state), state.words());
                    }
                })
                .response
                .labelled_by(label);
            ui.checkbox(&mut self.filter.needs_attention, "Needs attention only");
        });
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            let busy = self.export_dialog.is_some() || self.export.busy();
            if ui.add_enabled(!busy, egui::Button::new("Export CSV...")).clicked() {
                let name =
                    format!("moto-terminal-history-{}.csv", chrono::Local::now().format("%Y%m%d-%H%M"));
                self.export_message = None;
                self.export_dialog = Some(env.dialogs.save_file(FileRequest::new(
                    "Export history as CSV",
                    &name,
                    "CSV",
                    "csv",
                )));
            }
            if busy {
                ui.spinner();
            }
        });
        if let Some(note) = &self.export_message {
            note_ui(ui, note);
        }
    }

    fn table_ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        if let Some(error) = &self.search_error {
            ui.label(RichText::new(error).color(theme::ERROR_TEXT));
        }
        if self.rows.is_empty() {
            ui.label(RichText::new("No orders match.").color(theme::HINT_TEXT));
            return;
        }
        self.capture_ui(ui, env);
        let mut open = None;
        let headers =
            ["Capture", "Reference", "Fort ID", "Card", "Amount", "Date", "State", "Operator", "Terminal"];
        let ticked = &mut self.ticked;
        striped_table(ui, id("table"), &headers, |ui| {
            for order in &self.rows {
                if capturable(order) {
                    let mut on = ticked.contains(&order.merchant_reference);
                    let label = format!("Capture {}", order.merchant_reference);
                    let tick = ui.checkbox(&mut on, "").on_hover_text(&label);
                    tick.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, on, &label));
                    if tick.changed() {
                        if on {
                            ticked.insert(order.merchant_reference.clone());
                        } else {
                            ticked.remove(&order.merchant_reference);
                        }
                    }
                } else {
                    ui.label("");
                }
                let selected = self
                    .selected
                    .as_ref()
                    .is_some_and(|(o, _)| o.merchant_reference == order.merchant_reference);
                if ui.selectable_label(selected, &order.merchant_reference).clicked() {
                    open = Some(order.merchant_reference.clone());
                }
                ui.label(order.fort_id.as_deref().unwrap_or(""));
                ui.label(
                    order
                        .last4
                        .as_deref()
                        .map_or_else(|| order.payment_method.clone(), |l| format!("•••• {l}")),
                );
                ui.label(money_text(order.amount_minor, order.currency));
                ui.label(local_minute(&order.created_at));
                let state = RichText::new(order.state.words());
                ui.label(if order.needs_attention.is_some() {
                    state.color(theme::ATTENTION).strong()
                } else {
                    state
                });
                ui.label(&order.operator);
                ui.label(&order.terminal);
                ui.end_row();
            }
        });
        if let Some(reference) = open {
            self.open_detail(env, reference);
        }
    }

    /// "Capture selected (N)": the ticked orders still on screen, in table order, as a batch.
    fn capture_ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        let rows = &self.rows;
        self.ticked.retain(|r| rows.iter().any(|o| &o.merchant_reference == r && capturable(o)));
        if self.ticked.is_empty() {
            return;
        }
        let label = format!("Capture selected ({})...", self.ticked.len());
        if ui.button(RichText::new(label).strong()).clicked() {
            let chosen = self
                .rows
                .iter()
                .filter(|o| self.ticked.contains(&o.merchant_reference))
                .map(|o| o.merchant_reference.clone())
                .collect();
            self.ticked.clear();
            env.commands.push(AppCommand::CaptureSelected(chosen));
        }
    }

    fn detail_ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        let Some((order, timeline)) = &self.selected else { return };
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        ui.label(
            RichText::new(format!("Order {}", order.merchant_reference))
                .strong()
                .size(theme::HEADING_SIZE - 2.0),
        );
        key_values(ui, id("detail"), detail_lines(order).into_iter().filter(|(_, v)| !v.is_empty()));
        ui.add_space(theme::ROW_GAP);
        ui.label(RichText::new("Timeline").strong());
        timeline_ui(ui, timeline);
        let reference = order.merchant_reference.clone();
        self.receipt.timeline_ui(ui, env, order, timeline);
        ui.horizontal(|ui| {
            if ui.button("Capture / refund / void...").clicked() {
                env.commands.push(AppCommand::OpenOrder {
                    screen: ScreenId::Operations,
                    merchant_reference: reference.clone(),
                });
            }
            if ui.button("Check with APS...").clicked() {
                env.commands
                    .push(AppCommand::OpenOrder { screen: ScreenId::Status, merchant_reference: reference });
            }
        });
    }
}

/// An authorized order with something left to capture: it can be ticked for a batch capture.
fn capturable(order: &OrderRow) -> bool {
    order.state == OrderState::Authorized && order.capturable_minor() > 0
}

/// The order's details, by name; empty values are left out by the caller.
fn detail_lines(order: &OrderRow) -> Vec<(&str, String)> {
    let joined = |parts: [Option<String>; 2]| parts.into_iter().flatten().collect::<Vec<_>>().join(" ");
    let mut lines = vec![
        ("State", order.state.words().to_owned()),
        ("Kind", format!("{:?}, {:?}", order.kind, order.channel)),
        ("Amount", money_text(order.amount_minor, order.currency)),
        (
            "Captured / refunded",
            format!(
                "{} / {}",
                money_text(order.captured_minor, order.currency),
                money_text(order.refunded_minor, order.currency)
            ),
        ),
        ("Paid with", order.payment_method.clone()),
        (
            "Keyed by",
            joined([
                Some(order.operator.clone()),
                Some(order.terminal.clone()).filter(|t| !t.is_empty()).map(|t| format!("at {t}")),
            ]),
        ),
        ("Customer", joined([order.customer_name.clone(), order.customer_email.clone()])),
        ("Description", order.description.clone().unwrap_or_default()),
        ("Fort ID", order.fort_id.clone().unwrap_or_default()),
        ("Last response", joined([order.last_response_code.clone(), order.last_message.clone()])),
        ("Needs attention", order.needs_attention.clone().unwrap_or_default()),
    ];
    for (key, value) in &order.extra {
        let label = match key.as_str() {
            "authorization_code" => "Authorization code",
            "acquirer_response_code" => "Acquirer code",
            "processor_response_code" => "Processor code",
            other => other,
        };
        lines.push((label, value.as_str().map_or_else(|| value.to_string(), str::to_owned)));
    }
    lines
}

impl Screen for HistoryScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        if let Some(reference) = self.open_reference.take() {
            self.filter = HistoryFilter { text: reference.clone(), ..HistoryFilter::default() };
            self.open_detail(env, reference);
        }
        self.filters_ui(ui, env);
        let stale = self.read_at.is_none_or(|at| at.elapsed() >= REREAD_EVERY);
        if self.searched.as_ref() != Some(&self.filter) || stale {
            if stale && let Some((order, _)) = &self.selected {
                self.open_detail(env, order.merchant_reference.clone());
            }
            self.start_search(env);
        }
        ui.ctx().request_repaint_after(REREAD_EVERY);
        ui.add_space(theme::SECTION_GAP);
        self.table_ui(ui, env);
        self.detail_ui(ui, env);
    }

    fn escape(&mut self) -> bool {
        self.selected.take().is_some()
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        // Orders may have changed on other screens.
        self.searched = None;
    }
}
