//! The keyed-card field group (trusted channel only): number, expiry, CVV and name on the card,
//! checked live as the agent types.
//!
//! The number is shown in full only while its field has focus; otherwise the field shows the
//! masked form (first 6, last 4), so a screen left open or shared does not show a card. The
//! number and CVV live in buffers reserved up front and wiped with `zeroize`; their text-edit
//! undo history (which egui keeps in memory) is dropped every frame and on wipe.
//!
//! Neither the number nor the CVV leaves through the desktop session: Copy and Cut are
//! swallowed while they have focus, nothing they would put on the clipboard (or, on Linux, in
//! the primary selection a selection sets) is passed on, and the accessibility tree (AccessKit,
//! which any program in the session can read) gets the masked number (first 6, last 4) and
//! bullets for the CVV, even while the agent sees the digits.

use super::field::{Note, TextField, capitalise, row};
use crate::aps::card::{Brand, CardError, CardNumber, Cvv, Expiry, detect_brand, mask_pan};
use crate::ui::theme;
use egui::output::OutputEvent;
use egui::{Context, Event, Id, OutputCommand, Response, RichText, Ui};
use zeroize::{Zeroize, Zeroizing};

/// Bytes reserved for the number and CVV buffers. With the character limits below, even
/// four-byte characters never make the buffer grow, so it is never copied by a reallocation.
const BUFFER_BYTES: usize = 128;
/// 19 digits plus the spaces or dashes an agent may type between groups.
const NUMBER_CHARS: usize = 23;
const CVV_CHARS: usize = 4;

/// The typed card. Not `Clone`, not `Debug`: the digits exist once, here, until wiped.
pub struct CardFields {
    number: Zeroizing<String>,
    expiry: String,
    cvv: Zeroizing<String>,
    pub holder_name: String,
    /// Ask APS to keep the card as a token for the next order.
    pub remember: bool,
    /// Egui time of the last input seen while digits were held, for the idle wipe.
    last_activity: f64,
}

impl Default for CardFields {
    fn default() -> Self {
        Self {
            number: Zeroizing::new(String::with_capacity(BUFFER_BYTES)),
            expiry: String::new(),
            cvv: Zeroizing::new(String::with_capacity(BUFFER_BYTES)),
            holder_name: String::new(),
            remember: false,
            last_activity: 0.0,
        }
    }
}

/// The widget ids of the group, derived from one base id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardIds {
    pub number: Id,
    pub expiry: Id,
    pub cvv: Id,
    pub holder_name: Id,
}

impl CardIds {
    pub fn new(base: Id) -> Self {
        Self {
            number: base.with("card_number"),
            expiry: base.with("expiry"),
            cvv: base.with("cvv"),
            holder_name: base.with("holder_name"),
        }
    }

    pub fn all(self) -> [Id; 4] {
        [self.number, self.expiry, self.cvv, self.holder_name]
    }
}

/// The result of checking every card field.
pub struct CardCheck {
    pub number: Result<CardNumber, CardError>,
    pub expiry: Result<Expiry, CardError>,
    /// `None` when the CVV was left empty: MOTO orders do not need it (spec 3.3).
    pub cvv: Result<Option<Cvv>, CardError>,
}

impl CardCheck {
    /// The masked number and brand, when every field passed.
    pub fn summary(&self) -> Option<String> {
        match (&self.number, &self.expiry, &self.cvv) {
            (Ok(number), Ok(expiry), Ok(_)) => {
                Some(format!("{} {} exp {}", number.brand().label(), number.masked(), expiry.display()))
            }
            _ => None,
        }
    }

    /// The first problem, as (field label, message).
    pub fn first_error(&self) -> Option<(&'static str, String)> {
        if let Err(e) = &self.number {
            return Some(("Card number", capitalise(&e.to_string())));
        }
        if let Err(e) = &self.expiry {
            return Some(("Expiry (MM/YY)", capitalise(&e.to_string())));
        }
        if let Err(e) = &self.cvv {
            return Some(("CVV (optional)", capitalise(&e.to_string())));
        }
        None
    }
}

/// Checks an expiry date as the agent typed it, including that it has not passed.
pub fn check_expiry(text: &str, today: (u16, u8)) -> Result<Expiry, CardError> {
    let expiry = Expiry::parse(text)?;
    expiry.check_not_expired(today.0, today.1)?;
    Ok(expiry)
}

impl CardFields {
    /// True when nothing has been typed into the card fields.
    pub fn is_empty(&self) -> bool {
        self.number.is_empty() && self.expiry.is_empty() && self.cvv.is_empty() && self.holder_name.is_empty()
    }

    /// True when the number or the CVV holds typed digits (what the idle wipe protects).
    pub fn holds_secrets(&self) -> bool {
        !self.number.is_empty() || !self.cvv.is_empty()
    }

    /// The typed number, only for handing to the service. Never format it into text.
    pub fn number(&self) -> &Zeroizing<String> {
        &self.number
    }

    /// The typed CVV, only for handing to the service. Never format it into text.
    pub fn cvv(&self) -> &Zeroizing<String> {
        &self.cvv
    }

    pub fn expiry(&self) -> &str {
        &self.expiry
    }

    /// Wipes every field and the undo history egui keeps for them.
    pub fn wipe(&mut self, ctx: &Context, ids: CardIds) {
        self.number.zeroize();
        self.cvv.zeroize();
        self.expiry.zeroize();
        self.holder_name.zeroize();
        self.remember = false;
        for id in ids.all() {
            ctx.data_mut(|d| d.remove::<egui::text_edit::TextEditState>(id));
        }
    }

    /// Wipes the card once nobody has touched the window for `idle_secs` while digits were
    /// held; otherwise keeps a repaint scheduled for that moment, so the wipe happens even if
    /// the window is left alone. Returns true when it wiped.
    pub fn wipe_when_idle(&mut self, ui: &Ui, ids: CardIds, idle_secs: u64) -> bool {
        let now = ui.input(|i| i.time);
        if !self.holds_secrets() || ui.input(|i| !i.events.is_empty()) {
            self.last_activity = now;
            return false;
        }
        let limit = idle_secs as f64;
        let idle = now - self.last_activity;
        if idle >= limit {
            self.wipe(ui.ctx(), ids);
            return true;
        }
        ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(limit - idle));
        false
    }

    /// Puts a card number taken from elsewhere (typed into the saved-card search) into the
    /// number field, inside its reserved buffer. The caller's copy wipes itself.
    pub fn set_number(&mut self, ctx: &Context, ids: CardIds, digits: &str) {
        self.number.zeroize();
        self.number.extend(digits.chars().take(NUMBER_CHARS));
        ctx.data_mut(|d| d.remove::<egui::text_edit::TextEditState>(ids.number));
    }

    /// Checks every field; `today` is (year, month).
    pub fn check(&self, today: (u16, u8)) -> CardCheck {
        let number = CardNumber::parse(&self.number);
        let expiry = check_expiry(&self.expiry, today);
        let cvv = if self.cvv.trim().is_empty() {
            Ok(None)
        } else {
            // Without a brand the length cannot be judged; Visa's 3 digits is the common case
            // and the number's own error already tells the agent what to fix first.
            let brand = number.as_ref().map(CardNumber::brand).unwrap_or(Brand::Visa);
            Cvv::parse(&self.cvv, brand).map(Some)
        };
        CardCheck { number, expiry, cvv }
    }

    /// Draws the group. `show_errors` also reports empty required fields (after the agent tried
    /// to go on). Returns the responses of the inputs, in tab order.
    pub fn ui(&mut self, ui: &mut Ui, ids: CardIds, show_errors: bool, today: (u16, u8)) -> Vec<Response> {
        let check = self.check(today);
        let mut responses = Vec::with_capacity(5);

        // Number: live brand, then length and Luhn once enough digits are there.
        let digits = self.number.chars().filter(char::is_ascii_digit).count();
        let brand = detect_brand(&self.number);
        let number_note = match &check.number {
            Ok(number) => Some(Note::Hint(format!("{} card, number is valid", number.brand().label()))),
            Err(e) if show_errors || digits >= 13 || matches!(e, CardError::NumberNotDigits) => {
                Some(Note::Error(capitalise(&e.to_string())))
            }
            Err(_) => Some(Note::Hint("Type the long number from the front of the card".to_owned())),
        };
        let focused = ui.memory(|m| m.has_focus(ids.number));
        let number_field =
            TextField::new("Card number", ids.number).hint("4005 5500 0000 0001").char_limit(NUMBER_CHARS);
        let brand_ui = |ui: &mut Ui| {
            let text = brand.map_or("", Brand::label);
            ui.label(RichText::new(text).strong());
        };
        let guard = SecretField::before(ui, ids.number);
        let response = if focused {
            number_field.show(ui, &mut self.number, number_note.as_ref(), brand_ui)
        } else {
            // Same length as the typed text, so the cursor lands where expected on focus.
            let mut masked = mask_pan(&self.number);
            number_field.show(ui, &mut masked, number_note.as_ref(), brand_ui)
        };
        guard.after(ui, &mask_pan(&self.number));
        forget_undo(ui.ctx(), ids.number);
        responses.push(response);

        let expiry_note = match &check.expiry {
            Ok(expiry) => Some(Note::Hint(format!("Valid through {}", expiry.display()))),
            Err(e) if show_errors || self.expiry.trim().len() >= 4 => {
                Some(Note::Error(capitalise(&e.to_string())))
            }
            Err(_) => Some(Note::Hint("Month then year, as printed: 05/27".to_owned())),
        };
        responses.push(
            TextField::new("Expiry (MM/YY)", ids.expiry)
                .hint("MM/YY")
                .width(theme::SHORT_FIELD_WIDTH)
                .char_limit(7)
                .show(ui, &mut self.expiry, expiry_note.as_ref(), |_| {}),
        );

        let cvv_note = match &check.cvv {
            Err(e) => Some(Note::Error(capitalise(&e.to_string()))),
            Ok(_) => {
                Some(Note::Hint("Not needed for phone and mail orders; leave empty unless asked".to_owned()))
            }
        };
        let guard = SecretField::before(ui, ids.cvv);
        responses.push(
            TextField::new("CVV (optional)", ids.cvv)
                .width(theme::SHORT_FIELD_WIDTH)
                .password(true)
                .char_limit(CVV_CHARS)
                .show(ui, &mut self.cvv, cvv_note.as_ref(), |_| {}),
        );
        guard.after(ui, &"\u{2022}".repeat(self.cvv.chars().count()));
        forget_undo(ui.ctx(), ids.cvv);

        responses.push(TextField::new("Name on card", ids.holder_name).char_limit(50).show(
            ui,
            &mut self.holder_name,
            None,
            |_| {},
        ));
        responses.push(row(ui, "", |ui, _| {
            ui.checkbox(&mut self.remember, "Save the card for later orders (token)")
        }));
        responses
    }
}

/// Keeps a card field's text out of the clipboard and the accessibility tree. Made before the
/// field is drawn (it swallows Copy and Cut while the field has focus) and finished after it
/// (it drops what the field put on the clipboard and publishes `shown` as its value).
struct SecretField {
    id: Id,
    commands_before: usize,
    events_before: usize,
}

impl SecretField {
    fn before(ui: &Ui, id: Id) -> Self {
        if ui.memory(|m| m.has_focus(id)) {
            ui.input_mut(|i| i.events.retain(|e| !matches!(e, Event::Copy | Event::Cut)));
        }
        let (commands_before, events_before) = ui.ctx().output(|o| (o.commands.len(), o.events.len()));
        Self { id, commands_before, events_before }
    }

    fn after(self, ui: &Ui, shown: &str) {
        ui.ctx().output_mut(|o| {
            let from = self.commands_before.min(o.commands.len());
            let added = o.commands.split_off(from);
            o.commands.extend(added.into_iter().filter(|c| {
                !matches!(c, OutputCommand::CopyText(_) | OutputCommand::TextSelectionSettled(_))
            }));
        });
        publish_masked(ui, self.id, self.events_before, shown);
    }
}

/// Publishes `shown` instead of a text field's text to accessibility this frame: as its value,
/// in its text runs, and in the output events it emitted since `events_before`.
pub(crate) fn publish_masked(ui: &Ui, id: Id, events_before: usize, shown: &str) {
    let ctx = ui.ctx();
    ctx.output_mut(|o| {
        for event in o.events.iter_mut().skip(events_before) {
            let (OutputEvent::Clicked(info)
            | OutputEvent::DoubleClicked(info)
            | OutputEvent::TripleClicked(info)
            | OutputEvent::FocusGained(info)
            | OutputEvent::TextSelectionChanged(info)
            | OutputEvent::ValueChanged(info)) = event;
            for text in [&mut info.current_text_value, &mut info.prev_text_value].into_iter().flatten() {
                text.zeroize();
                text.push_str(shown);
            }
        }
    });
    ctx.accesskit_node_builder(id, |node| node.set_value(shown));
    // The field's text run (egui's id for a single-line field's first row) carries the
    // characters drawn: mask it too. Only a run egui made is touched; none is created.
    let run = id.with(0usize).with(0usize);
    if ctx.has_accesskit_node(run) {
        ctx.accesskit_node_builder(run, |node| node.set_value(shown));
    }
}

/// Drops the undo history egui keeps for a text field, so old versions of a card number do not
/// linger in memory after the field is wiped.
pub(crate) fn forget_undo(ctx: &Context, id: Id) {
    if let Some(mut state) = egui::TextEdit::load_state(ctx, id) {
        state.set_undoer(Default::default());
        egui::TextEdit::store_state(ctx, id, state);
    }
}
