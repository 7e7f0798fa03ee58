//! Find and update: look up saved cards (masked only) by a customer's name, email or phone, the
//! last 4 digits or the token name, see their status and every customer seen with them, and
//! activate, deactivate, rename or change the expiry of one.

use crate::aps::card::Expiry;
use crate::aps::command::TokenStatus;
use crate::service::{ServiceError, TokenCustomer, TokenRecord, TokenUpdateDraft};
use crate::ui::call::Call;
use crate::ui::env::Env;
use crate::ui::format::local_minute;
use crate::ui::theme;
use crate::ui::widgets::field::{Note, TextField, capitalise};
use crate::ui::widgets::table::striped_table;
use egui::{Id, Response, RichText, Ui};

fn id(name: &str) -> Id {
    Id::unique(("tokens_find", name))
}

/// APS keeps expiry dates as YYMM; agents read them as printed on the card, MM/YY.
fn expiry_text(wire: &str) -> String {
    Expiry::from_wire(wire).map(Expiry::display).unwrap_or_else(|_| wire.to_owned())
}

/// Changes typed for the selected token.
#[derive(Default)]
struct Edits {
    name: String,
    expiry: String,
    holder: String,
}

pub(super) struct FindTokens {
    query: String,
    searched: Option<String>,
    results: Vec<TokenRecord>,
    search: Call<Result<Vec<TokenRecord>, ServiceError>>,
    search_error: Option<String>,
    selected: Option<TokenRecord>,
    edits: Edits,
    pub focus: bool,
}

impl Default for FindTokens {
    fn default() -> Self {
        Self {
            query: String::new(),
            searched: None,
            results: Vec::new(),
            search: Call::default(),
            search_error: None,
            selected: None,
            edits: Edits::default(),
            focus: true,
        }
    }
}

/// What the agent asked for on this part of the screen.
pub(super) enum Request {
    Update(TokenUpdateDraft),
    /// The token picked in the list changed: the last outcome no longer applies.
    Picked,
}

impl FindTokens {
    /// Ask the token book again on the next frame (statuses and names may have changed).
    pub fn refresh(&mut self) {
        self.searched = None;
    }

    /// Closes the selected token; false when none was open.
    pub fn close(&mut self) -> bool {
        self.selected.take().is_some()
    }

    /// An update went through: the typed changes are done, and a rename is shown at once.
    pub fn updated(&mut self, renamed: Option<String>) {
        self.edits = Edits::default();
        if let (Some(name), Some(selected)) = (renamed, &mut self.selected) {
            selected.token_name = name;
        }
    }

    pub fn poll(&mut self, env: &Env<'_>) {
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
        if self.searched.as_deref() != Some(self.query.trim()) && !self.search.busy() {
            let query = self.query.trim().to_owned();
            self.searched = Some(query.clone());
            let profile = env.profile.name.clone();
            self.search.start(
                env.service.run(move |service, _| async move { service.tokens(&profile, &query).await }),
            );
        }
    }

    /// The update the typed changes (or a status button) ask for, or why there is none.
    pub fn update_draft(&self, status: Option<TokenStatus>) -> Result<Option<TokenUpdateDraft>, String> {
        let Some(token) = &self.selected else { return Ok(None) };
        let typed = |text: &str| if status.is_some() { String::new() } else { text.trim().to_owned() };
        let draft = TokenUpdateDraft {
            token_name: token.token_name.clone(),
            new_token_name: typed(&self.edits.name),
            status,
            expiry: typed(&self.edits.expiry),
            holder_name: typed(&self.edits.holder),
        };
        if status.is_none()
            && draft.new_token_name.is_empty()
            && draft.expiry.is_empty()
            && draft.holder_name.is_empty()
        {
            return Err("Nothing to change: type a new name, expiry or name on card first".to_owned());
        }
        Ok(Some(draft))
    }

    /// Draws the search and its results. Returns the inputs Enter saves from, and a request.
    pub fn ui(&mut self, ui: &mut Ui, busy: bool) -> (Vec<Response>, Option<Result<Request, String>>) {
        let note = self.search_error.clone().map(Note::Error);
        let searching = self.search.busy();
        let field = TextField::new("Find saved cards", id("query"))
            .hint("name, email, phone, last 4 or token")
            .show(ui, &mut self.query, note.as_ref(), |ui| {
                if searching {
                    ui.spinner();
                }
            });
        if std::mem::take(&mut self.focus) {
            field.request_focus();
        }
        ui.add_space(theme::ROW_GAP);
        let mut request = None;
        if self.results.is_empty() {
            ui.label(RichText::new("No saved cards match.").color(theme::HINT_TEXT));
        } else if let Some(token) = self.results_ui(ui) {
            self.selected = Some(token);
            request = Some(Ok(Request::Picked));
        }
        let (inputs, update) = self.selected_ui(ui, busy);
        (inputs, request.or(update))
    }

    fn results_ui(&self, ui: &mut Ui) -> Option<TokenRecord> {
        let mut chosen = None;
        striped_table(ui, id("results"), &["Token", "Card", "Expiry", "Status", "Customers"], |ui| {
            for token in &self.results {
                let selected = self.selected.as_ref().is_some_and(|s| s.token_name == token.token_name);
                if ui.selectable_label(selected, &token.token_name).clicked() {
                    chosen = Some(token.clone());
                }
                let brand = token.brand.clone().unwrap_or_default();
                ui.label(
                    format!("{brand} {}", token.masked_card.clone().unwrap_or_default()).trim().to_owned(),
                );
                ui.label(token.expiry.as_deref().map(expiry_text).unwrap_or_default());
                let status = RichText::new(&token.status);
                let active = token.status.eq_ignore_ascii_case("ACTIVE");
                ui.label(if active { status } else { status.color(theme::ATTENTION) });
                let customers: Vec<String> = token.customers.iter().map(TokenCustomer::describe).collect();
                ui.label(customers.join("; "));
                ui.end_row();
            }
        });
        chosen
    }

    /// The selected token with its buttons and the fields to change it.
    fn selected_ui(&mut self, ui: &mut Ui, busy: bool) -> (Vec<Response>, Option<Result<Request, String>>) {
        let Some(token) = self.selected.clone() else { return (Vec::new(), None) };
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
        customers_ui(ui, &token);
        let mut status = None;
        ui.horizontal(|ui| {
            let active = token.status.eq_ignore_ascii_case("ACTIVE");
            if ui.add_enabled(!busy && !active, egui::Button::new("Activate")).clicked() {
                status = Some(TokenStatus::Active);
            }
            if ui.add_enabled(!busy && active, egui::Button::new("Deactivate")).clicked() {
                status = Some(TokenStatus::Inactive);
            }
        });
        let inputs = vec![
            TextField::new("New token name", id("new_name")).char_limit(100).show(
                ui,
                &mut self.edits.name,
                None,
                |_| {},
            ),
            TextField::new("New expiry (MM/YY)", id("new_expiry"))
                .hint("MM/YY")
                .width(theme::SHORT_FIELD_WIDTH)
                .char_limit(7)
                .show(ui, &mut self.edits.expiry, None, |_| {}),
            TextField::new("New name on card", id("new_holder")).char_limit(50).show(
                ui,
                &mut self.edits.holder,
                None,
                |_| {},
            ),
        ];
        let save = ui
            .horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                ui.add_enabled(!busy, egui::Button::new("Save changes to APS (Enter)")).clicked()
            })
            .inner;
        let request = if status.is_some() || save {
            self.update_draft(status).transpose().map(|r| r.map(Request::Update))
        } else {
            None
        };
        (inputs, request)
    }
}

/// Everyone seen with the selected card, most recently seen first (one card can belong to
/// several customers).
fn customers_ui(ui: &mut Ui, token: &TokenRecord) {
    if token.customers.is_empty() {
        ui.label(RichText::new("No customer seen with this card yet.").color(theme::HINT_TEXT));
        return;
    }
    ui.label(format!("Customers seen with this card ({}):", token.customers.len()));
    for customer in &token.customers {
        let seen =
            customer.last_seen.map(|t| format!(", last seen {}", local_minute(&t))).unwrap_or_default();
        ui.label(format!("    {}{seen}", customer.describe()));
    }
}
