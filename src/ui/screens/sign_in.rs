//! Sign-in and the idle lock. Once operators are defined, nobody works at the terminal without
//! signing in: this screen covers every other one until a name and PIN are accepted.
//!
//! - Sign in: the name and the PIN (masked); focus starts in the name; Enter in the name goes
//!   on to the PIN, Enter in the PIN signs in. What the service refused (an unknown name, a
//!   wrong PIN, a locked or disabled operator) is said in words under the PIN.
//! - Locked (after the idle time): only the same operator's PIN opens the terminal again, with
//!   their work as they left it (less a keyed card, wiped at the lock). "Sign in as someone
//!   else" first says the work will be discarded.
//!
//! The PIN is checked by the service (`sign_in`), which counts wrong PINs and locks the
//! operator after five; the screen only polls the answer.

use crate::service::handle::ServiceHandle;
use crate::service::{Operator, ServiceError};
use crate::ui::call::Call;
use crate::ui::format::{capitalise, idle_phrase};
use crate::ui::theme;
use crate::ui::widgets::field::{Note, TextField};
use crate::ui::widgets::pin::PinInput;
use egui::{Id, Key, Response, RichText, Ui};

/// Width of the sign-in card.
const CARD_WIDTH: f32 = 620.0;

fn id(name: &str) -> Id {
    Id::unique(("sign_in", name))
}

/// What the screen asks of the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInEvent {
    /// The PIN was accepted: this operator is signed in (or back at the locked terminal).
    SignedIn(Operator),
    /// At the lock, the agent agreed to discard the work: sign in as someone else.
    SomeoneElse,
}

/// A fresh sign-in, or the lock of someone signed in.
enum Mode {
    Fresh,
    Locked { operator: Operator, after_secs: u64, confirm_switch: bool },
}

pub struct SignInScreen {
    mode: Mode,
    name: String,
    pin: PinInput,
    name_error: Option<String>,
    pin_error: Option<String>,
    call: Call<Result<Operator, ServiceError>>,
    /// Enter was pressed while a sign-out was still being recorded: sign in once it is.
    queued: bool,
    /// Put the cursor here on the next frame.
    focus: Option<Id>,
}

impl SignInScreen {
    /// The sign-in of a terminal nobody is signed in at; the cursor in the name.
    pub fn fresh() -> Self {
        Self {
            mode: Mode::Fresh,
            name: String::new(),
            pin: PinInput::new(id("pin")),
            name_error: None,
            pin_error: None,
            call: Call::default(),
            queued: false,
            focus: Some(id("name")),
        }
    }

    /// The lock of `operator`, away for `after_secs`; the cursor in the PIN.
    pub fn locked(operator: Operator, after_secs: u64) -> Self {
        let name = operator.name.clone();
        Self {
            mode: Mode::Locked { operator, after_secs, confirm_switch: false },
            name,
            focus: Some(id("pin")),
            ..Self::fresh()
        }
    }

    /// True while the lock (not a fresh sign-in) is shown.
    pub fn is_lock(&self) -> bool {
        matches!(self.mode, Mode::Locked { .. })
    }

    /// Wipes the typed PIN (the screen is being left).
    pub fn wipe(&mut self, ctx: &egui::Context) {
        self.pin.wipe(ctx);
    }

    /// Draws the screen. `ready` is false while a sign-out is still being recorded: a sign-in
    /// asked for meanwhile waits for it, so the two cannot cross.
    pub fn ui(&mut self, ui: &mut Ui, service: &ServiceHandle, ready: bool) -> Option<SignInEvent> {
        let event = self.poll(ui);
        if self.queued && ready {
            self.queued = false;
            self.start(ui, service);
        }
        // A card in the middle of the window, a little below the banner.
        let area = ui.available_rect_before_wrap();
        let left = area.left() + ((area.width() - CARD_WIDTH) / 2.0).max(0.0);
        let card = egui::Rect::from_min_max(egui::pos2(left, area.top() + 48.0), area.max);
        let switch = ui
            .scope_builder(egui::UiBuilder::new().max_rect(card), |ui| {
                egui::Frame::group(ui.style())
                    .inner_margin(egui::Margin::same(24))
                    .show(ui, |ui| {
                        ui.set_width(CARD_WIDTH - 48.0);
                        let (submit, switch) =
                            if self.is_lock() { self.locked_ui(ui) } else { (self.fresh_ui(ui), None) };
                        if submit {
                            self.submit(ui, service, ready);
                        }
                        switch
                    })
                    .inner
            })
            .inner;
        event.or(switch)
    }

    fn poll(&mut self, ui: &Ui) -> Option<SignInEvent> {
        match self.call.poll()? {
            Ok(operator) => {
                self.pin.wipe(ui.ctx());
                Some(SignInEvent::SignedIn(operator))
            }
            Err(e) => {
                self.pin_error = Some(capitalise(&e.to_string()));
                self.focus = Some(self.pin.id());
                None
            }
        }
    }

    /// Checks that both are typed, then asks the service (at once, or once `ready`).
    fn submit(&mut self, ui: &Ui, service: &ServiceHandle, ready: bool) {
        if self.call.busy() || self.queued {
            return;
        }
        self.name_error = None;
        self.pin_error = None;
        if self.name.trim().is_empty() {
            self.name_error = Some("Type your operator name".to_owned());
            self.focus = Some(id("name"));
        } else if self.pin.is_empty() {
            self.pin_error = Some("Type your PIN".to_owned());
            self.focus = Some(self.pin.id());
        } else if ready {
            self.start(ui, service);
        } else {
            self.queued = true;
        }
    }

    fn start(&mut self, ui: &Ui, service: &ServiceHandle) {
        let name = self.name.trim().to_owned();
        let pin = self.pin.take(ui.ctx());
        self.call.start(service.run(move |service, _| async move { service.sign_in(&name, &pin).await }));
    }

    /// The name and PIN inputs, then the sign-in button. True when the agent signs in.
    fn fresh_ui(&mut self, ui: &mut Ui) -> bool {
        ui.heading("Sign in");
        ui.add_space(theme::ROW_GAP);
        ui.label("Operators are set up on this terminal: sign in with your name and PIN.");
        ui.add_space(theme::SECTION_GAP);
        let note = self.name_error.clone().map(Note::Error);
        let name = TextField::new("Name", id("name")).hint("e.g. amal").char_limit(32).show(
            ui,
            &mut self.name,
            note.as_ref(),
            |_| {},
        );
        let name_enter = entered(ui, &name);
        let pin = self.pin_ui(ui);
        self.apply_focus(&[&name, &pin]);
        if name_enter && self.pin.is_empty() && !self.name.trim().is_empty() {
            self.focus = Some(self.pin.id());
            return false;
        }
        let clicked = self.button_ui(ui, "Sign in (Enter)");
        clicked || name_enter || entered(ui, &pin)
    }

    /// The lock: whose it is, their PIN, and the way out for someone else.
    fn locked_ui(&mut self, ui: &mut Ui) -> (bool, Option<SignInEvent>) {
        let Mode::Locked { operator, after_secs, confirm_switch } = &self.mode else { return (false, None) };
        let (who, after, confirming) =
            (format!("{} · {}", operator.name, operator.role), *after_secs, *confirm_switch);
        ui.heading("Locked");
        ui.add_space(theme::ROW_GAP);
        ui.label(format!("The terminal locked after {} without activity.", idle_phrase(after)));
        ui.label(RichText::new(format!("Signed in: {who}")).strong());
        ui.label(
            "Type the PIN to carry on where you left off. Any card number typed before the lock has been cleared.",
        );
        ui.add_space(theme::SECTION_GAP);
        let pin = self.pin_ui(ui);
        self.apply_focus(&[&pin]);
        let unlock = self.button_ui(ui, "Unlock (Enter)") || entered(ui, &pin);
        ui.add_space(theme::SECTION_GAP);
        let switch = if confirming { self.confirm_switch_ui(ui) } else { self.offer_switch_ui(ui) };
        (unlock && !confirming, switch)
    }

    fn offer_switch_ui(&mut self, ui: &mut Ui) -> Option<SignInEvent> {
        if ui.button("Sign in as someone else").clicked()
            && let Mode::Locked { confirm_switch, .. } = &mut self.mode
        {
            *confirm_switch = true;
        }
        None
    }

    fn confirm_switch_ui(&mut self, ui: &mut Ui) -> Option<SignInEvent> {
        let Mode::Locked { operator, confirm_switch, .. } = &mut self.mode else { return None };
        ui.label(
            RichText::new(format!(
                "Signing in as someone else discards {}'s unfinished work on every screen: the order being typed, searches and forms.",
                operator.name
            ))
            .color(theme::ATTENTION)
            .strong(),
        );
        ui.horizontal(|ui| {
            if ui.button("Discard the work and sign in as someone else").clicked() {
                return Some(SignInEvent::SomeoneElse);
            }
            if ui.button("Keep it").clicked() {
                *confirm_switch = false;
            }
            None
        })
        .inner
    }

    fn pin_ui(&mut self, ui: &mut Ui) -> Response {
        let note = self.pin_error.clone().map(Note::Error);
        self.pin.show(ui, "PIN", note.as_ref())
    }

    fn button_ui(&self, ui: &mut Ui, label: &str) -> bool {
        let busy = self.call.busy() || self.queued;
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            let clicked = ui.add_enabled(!busy, egui::Button::new(RichText::new(label).strong())).clicked();
            if busy {
                ui.spinner();
            }
            clicked
        })
        .inner
    }

    fn apply_focus(&mut self, inputs: &[&Response]) {
        if let Some(target) = self.focus.take()
            && let Some(input) = inputs.iter().find(|r| r.id == target)
        {
            input.request_focus();
        }
    }
}

/// Enter was pressed in `input` (a single-line input gives up the focus on Enter).
fn entered(ui: &Ui, input: &Response) -> bool {
    input.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter))
}
