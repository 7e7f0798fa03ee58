//! Picking a saved card (token) from the token book by a customer's name, email or phone, or the
//! card's last 4 digits. Each match shows its customers: one card can belong to several (APS's
//! unique tokens give everyone paying with the same card the same token), the one the search
//! found first.
//!
//! The agent types into one field; the matches appear under it with the first one highlighted,
//! Up and Down move the highlight, and Tab moves on with the highlighted card chosen. When
//! nothing matches, the text itself is taken as the token name (an agent may read it from
//! another system).
//!
//! A card number is never a token name: typed or pasted here, it is taken out of the field at
//! once (the text, egui's undo history and what accessibility saw are wiped) and handed to the
//! form, which moves it to keyed card entry or says that this profile cannot take cards. It is
//! never searched for, stored or sent as a token name. One exception: a word shaped as APS names
//! tokens (`identifier_shaped`: letters and digits, any long run of digits inside it, as in 32
//! hex characters) may hold a run that passes the Luhn check by chance; it stays, is searched
//! for in the token book, and is not repeated under the field. The service then refuses it as a
//! token name unless the token book holds it.

use super::card::{forget_undo, publish_masked};
use super::field::{Note, TextField};
use crate::aps::card::{contains_card_number, identifier_shaped};
use crate::service::TokenCustomer;
use crate::ui::theme;
use egui::{Id, Key, Modifiers, Response, RichText, Ui};
use zeroize::{Zeroize, Zeroizing};

/// A saved card as the picker shows it. Masked only: the token book never holds a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenChoice {
    pub token_name: String,
    /// "400555******0001", or empty when APS did not say.
    pub masked_card: String,
    /// "ACTIVE" / "INACTIVE".
    pub status: String,
    /// Everyone seen with this card, the one the search found first.
    pub customers: Vec<TokenCustomer>,
}

impl TokenChoice {
    /// "card ending 0001, token jane-visa, Jane Doe <jane@example.com> +971 50 123 4567 (and 1
    /// more customer)".
    pub fn describe(&self) -> String {
        let last4 = self.masked_card.get(self.masked_card.len().saturating_sub(4)..).unwrap_or("");
        let card = if last4.is_empty() { "card".to_owned() } else { format!("card ending {last4}") };
        let mut text = format!("{card}, token {}", self.token_name);
        if let Some(customer) = self.customers.first() {
            text.push_str(&format!(", {}", customer.describe()));
        }
        match self.customers.len() {
            0 | 1 => {}
            2 => text.push_str(" (and 1 more customer)"),
            n => text.push_str(&format!(" (and {} more customers)", n - 1)),
        }
        if !self.status.is_empty() && !self.status.eq_ignore_ascii_case("ACTIVE") {
            text.push_str(&format!(" [{}]", self.status));
        }
        text
    }

    pub fn is_active(&self) -> bool {
        self.status.is_empty() || self.status.eq_ignore_ascii_case("ACTIVE")
    }
}

/// The picker's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenPicker {
    /// What the agent typed: a customer's name, email or phone, last 4 digits or a token name.
    pub query: String,
    /// Matches for the query, newest answer from the token book.
    pub choices: Vec<TokenChoice>,
    /// Index into `choices` of the highlighted card.
    pub highlighted: usize,
    /// The query the current `choices` answer.
    pub answered_query: Option<String>,
    /// A lookup in the token book is running.
    pub searching: bool,
    /// Why the text typed was taken out of the field (a card number), until the agent types again.
    pub notice: Option<String>,
    /// Why the token book could not answer the last search (it is not "no match").
    pub failed: Option<String>,
}

/// What the picker will charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSelection<'a> {
    Choice(&'a TokenChoice),
    /// No match: the typed text is used as the token name.
    Typed(&'a str),
    Nothing,
}

impl TokenPicker {
    /// Replaces the matches with the token book's answer for `query`.
    pub fn set_choices(&mut self, query: String, choices: Vec<TokenChoice>) {
        self.searching = false;
        self.choices = choices;
        self.highlighted = 0;
        self.answered_query = Some(query);
        self.failed = None;
    }

    /// The token book could not answer the search for `query`, and `why`: said under the field,
    /// where an empty answer would read as "no saved card matches".
    pub fn set_failure(&mut self, query: String, why: String) {
        self.set_choices(query, Vec::new());
        self.failed = Some(why);
    }

    /// True when the matches shown are stale for the text typed.
    pub fn needs_search(&self) -> bool {
        self.answered_query.as_deref() != Some(self.query.trim())
    }

    pub fn selection(&self) -> TokenSelection<'_> {
        if let Some(choice) = self.choices.get(self.highlighted) {
            return TokenSelection::Choice(choice);
        }
        match self.query.trim() {
            "" => TokenSelection::Nothing,
            typed => TokenSelection::Typed(typed),
        }
    }

    /// The token name that will be charged, if any.
    pub fn selected_name(&self) -> Option<String> {
        match self.selection() {
            TokenSelection::Choice(choice) => Some(choice.token_name.clone()),
            TokenSelection::Typed(text) => Some(text.to_owned()),
            TokenSelection::Nothing => None,
        }
    }

    pub fn clear(&mut self) {
        self.query.zeroize();
        *self = Self::default();
    }

    /// Takes a card number out of the search field, if one was typed or pasted this frame: the
    /// text and the field's undo history are wiped, and accessibility is shown an empty field.
    /// Returns the digits (they wipe themselves when dropped).
    fn take_card_number(&mut self, ui: &Ui, id: Id, events_before: usize) -> Option<Zeroizing<String>> {
        // A token name APS issued may hold a run of digits that passes the Luhn check: one
        // word of letters and digits stays, and is searched for (the service refuses it as a
        // token name unless the token book holds it).
        if !contains_card_number(&self.query) || identifier_shaped(&self.query) {
            return None;
        }
        let mut digits = Zeroizing::new(String::with_capacity(self.query.len()));
        digits.extend(self.query.chars().filter(char::is_ascii_digit));
        self.query.zeroize();
        self.choices.clear();
        self.highlighted = 0;
        self.answered_query = Some(String::new());
        self.searching = false;
        forget_undo(ui.ctx(), id);
        publish_masked(ui, id, events_before, "");
        Some(digits)
    }

    /// Draws the search field and the matches. Up and Down are taken from the field while it
    /// has focus, to move the highlight. Returns the field's response and, when a card number
    /// was typed into it, the number, taken out of the field (see the module docs).
    pub fn ui(&mut self, ui: &mut Ui, id: Id, show_errors: bool) -> (Response, Option<Zeroizing<String>>) {
        if ui.memory(|m| m.has_focus(id)) && !self.choices.is_empty() {
            let (up, down) = ui.input_mut(|i| {
                (
                    i.count_and_consume_key(Modifiers::NONE, Key::ArrowUp),
                    i.count_and_consume_key(Modifiers::NONE, Key::ArrowDown),
                )
            });
            let last = self.choices.len() - 1;
            self.highlighted = (self.highlighted + down).saturating_sub(up).min(last);
        }
        let notice = self.notice.as_ref().map(|n| Note::Error(n.clone()));
        let note = match self.selection() {
            _ if notice.is_some() && self.query.is_empty() => notice,
            TokenSelection::Choice(choice) if !choice.is_active() => Some(Note::Error(format!(
                "Token {} is {}: activate it on the Tokens screen or choose another card",
                choice.token_name, choice.status
            ))),
            TokenSelection::Choice(_) => None,
            TokenSelection::Typed(_) if self.needs_search() || self.searching => {
                Some(Note::Hint("Searching the token book...".to_owned()))
            }
            TokenSelection::Typed(_) if self.failed.is_some() => self
                .failed
                .as_ref()
                .map(|why| Note::Error(format!("The token book could not be searched: {why}"))),
            // A name holding a run of digits that passes the Luhn check is not repeated.
            TokenSelection::Typed(text) if contains_card_number(text) => {
                Some(Note::Hint("No saved card has this token name".to_owned()))
            }
            TokenSelection::Typed(text) => {
                Some(Note::Hint(format!("No saved card matches; \"{text}\" will be used as the token name")))
            }
            TokenSelection::Nothing if show_errors => Some(Note::Error(
                "Choose the customer's saved card: type their name, email, phone or the card's last 4 digits"
                    .to_owned(),
            )),
            TokenSelection::Nothing => Some(Note::Hint(
                "Type the customer's name, email, phone or the card's last 4 digits".to_owned(),
            )),
        };
        let events_before = ui.ctx().output(|o| o.events.len());
        let response = TextField::new("Saved card", id).hint("name, email, phone or last 4").show(
            ui,
            &mut self.query,
            note.as_ref(),
            |_| {},
        );
        if response.changed() && !self.query.is_empty() {
            self.notice = None;
        }
        let card_number = self.take_card_number(ui, id, events_before);
        if !self.choices.is_empty() {
            ui.horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                ui.vertical(|ui| {
                    for (index, choice) in self.choices.iter().enumerate() {
                        let selected = index == self.highlighted;
                        let text = RichText::new(choice.describe());
                        let text = if selected { text.strong() } else { text };
                        // Not in the tab order: the arrows choose, so Tab goes straight on.
                        let row = ui.add(egui::Button::selectable(selected, text).sense(egui::Sense::CLICK));
                        if row.clicked() {
                            self.highlighted = index;
                        }
                    }
                    ui.label(
                        RichText::new("Up / Down to choose, Tab to go on").small().color(theme::HINT_TEXT),
                    );
                });
            });
        }
        (response, card_number)
    }
}
