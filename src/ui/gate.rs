//! Who may use the terminal right now: nobody until the journal has said whether operators are
//! defined; everyone in single-user mode (no operators: the terminal works as it always did);
//! otherwise only the operator signed in, and nobody once they have been away for the idle
//! lock's time.
//!
//! The clock is egui's input time, as for the card wipe: a frame with any input (a key, the
//! pointer moving) is activity, and a repaint stays scheduled for the moment the lock is due,
//! so it locks even if the window is left alone. UI tests move that time forward.

use crate::service::handle::ServiceHandle;
use crate::service::{Operator, ServiceError};
use crate::ui::call::Call;
use crate::ui::env::UiSettings;
use crate::ui::screens::sign_in::{SignInEvent, SignInScreen};
use crate::ui::widgets::banner::Who;
use egui::{RichText, Ui};

/// Where the terminal stands.
enum Access {
    /// Asking the journal whether operators are defined.
    Checking,
    /// No operator is defined: everything is open, as it always was.
    SingleUser,
    /// Nobody is signed in: the sign-in covers every screen.
    SignedOut(SignInScreen),
    /// Someone is signed in and at the keyboard.
    Open(Operator),
    /// Someone is signed in but was away: the lock covers every screen.
    Locked(Operator, SignInScreen),
}

/// What the app must do after the gate's part of the frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GateEvent {
    /// The terminal just locked: wipe the keyed cards and typed secrets, keep the rest.
    Locked,
    /// An operator signed in afresh: whatever was typed before is not theirs, discard it.
    SignedIn,
    /// Someone else is signing in at the lock: discard the work of the one who left.
    Discard,
}

pub struct Gate {
    access: Access,
    /// Whether operators are defined, asked at start and again when a screen opens while in
    /// single-user mode (the first operator may have been added meanwhile).
    defined: Call<Result<bool, ServiceError>>,
    asked: bool,
    /// The sign-out being recorded; a sign-in waits for it.
    signing_out: Call<()>,
    /// Egui time of the last input while someone was signed in.
    last_input: f64,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            access: Access::Checking,
            defined: Call::default(),
            asked: false,
            signing_out: Call::default(),
            last_input: 0.0,
        }
    }
}

impl Gate {
    /// True while the sign-in, the lock or the start-up check covers every screen.
    pub fn covers(&self) -> bool {
        !matches!(self.access, Access::SingleUser | Access::Open(_))
    }

    /// True until the journal has said whether operators are defined.
    pub fn checking(&self) -> bool {
        matches!(self.access, Access::Checking)
    }

    /// True once operators are defined (someone signs in).
    pub fn operators_defined(&self) -> bool {
        !matches!(self.access, Access::Checking | Access::SingleUser)
    }

    /// The operator signed in and at the keyboard.
    pub fn operator(&self) -> Option<&Operator> {
        match &self.access {
            Access::Open(operator) => Some(operator),
            _ => None,
        }
    }

    /// Who the banner names.
    pub fn who<'a>(&'a self, desk_operator: &'a str) -> Who<'a> {
        match &self.access {
            Access::Checking | Access::SingleUser => Who::Desk(desk_operator),
            Access::SignedOut(_) => Who::Nobody,
            Access::Open(operator) => Who::Open(operator),
            Access::Locked(operator, _) => Who::Locked(operator),
        }
    }

    /// In single-user mode, asks again whether operators are defined now.
    pub fn recheck(&mut self, service: &ServiceHandle) {
        if matches!(self.access, Access::SingleUser) && !self.defined.busy() {
            self.defined.start(service.run(|s, _| async move { s.operators_defined().await }));
        }
    }

    /// The gate's work before anything is drawn: the start-up check, answers, the idle clock.
    pub fn before(&mut self, ui: &Ui, service: &ServiceHandle, settings: &UiSettings) -> Option<GateEvent> {
        if !std::mem::replace(&mut self.asked, true) {
            self.defined.start(service.run(|s, _| async move { s.operators_defined().await }));
        }
        self.signing_out.poll();
        if let Some(answer) = self.defined.poll() {
            self.defined_answer(answer, service);
        }
        self.idle_lock(ui, settings)
    }

    fn defined_answer(&mut self, answer: Result<bool, ServiceError>, service: &ServiceHandle) {
        let single = matches!(self.access, Access::Checking | Access::SingleUser);
        match answer {
            Ok(true) if single => {
                // The screen asks for a sign-in; the service must agree nobody is signed in.
                if service.service().signed_in().is_some() {
                    self.sign_out_call(service);
                }
                self.access = Access::SignedOut(SignInScreen::fresh());
            }
            Ok(_) => {
                if single {
                    self.access = Access::SingleUser;
                }
            }
            Err(e) => {
                // Every call checks again and refuses in words; the screens show it.
                log::warn!("could not tell whether operators are defined: {e}");
                if single {
                    self.access = Access::SingleUser;
                }
            }
        }
    }

    /// Locks once nobody has touched the window for the idle time while someone is signed in.
    fn idle_lock(&mut self, ui: &Ui, settings: &UiSettings) -> Option<GateEvent> {
        let Access::Open(operator) = &self.access else { return None };
        let now = ui.input(|i| i.time);
        if ui.input(|i| !i.events.is_empty()) {
            self.last_input = now;
        }
        let limit = settings.idle_lock_secs.max(1);
        let idle = now - self.last_input;
        if idle < limit as f64 {
            ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(limit as f64 - idle));
            return None;
        }
        let screen = SignInScreen::locked(operator.clone(), limit);
        self.access = Access::Locked(operator.clone(), screen);
        Some(GateEvent::Locked)
    }

    /// Signs the operator out: the sign-in covers every screen again. The app discards the
    /// drafts.
    pub fn sign_out(&mut self, ctx: &egui::Context, service: &ServiceHandle) {
        if let Access::SignedOut(screen) | Access::Locked(_, screen) = &mut self.access {
            screen.wipe(ctx);
        }
        self.sign_out_call(service);
        self.access = Access::SignedOut(SignInScreen::fresh());
    }

    fn sign_out_call(&mut self, service: &ServiceHandle) {
        self.signing_out.start(service.run(|s, _| async move { s.sign_out().await }));
    }

    /// Draws what covers the screens: the start-up check, the sign-in or the lock.
    pub fn ui(&mut self, ui: &mut Ui, service: &ServiceHandle) -> Option<GateEvent> {
        let ready = !self.signing_out.busy();
        let event = match &mut self.access {
            Access::Checking => {
                ui.add_space(48.0);
                ui.vertical_centered(|ui| ui.label(RichText::new("Starting the terminal...").strong()));
                None
            }
            Access::SingleUser | Access::Open(_) => None,
            Access::SignedOut(screen) | Access::Locked(_, screen) => screen.ui(ui, service, ready),
        };
        match event? {
            SignInEvent::SignedIn(operator) => {
                let unlocked = matches!(&self.access, Access::Locked(o, _) if o.name == operator.name);
                self.access = Access::Open(operator);
                self.last_input = ui.input(|i| i.time);
                (!unlocked).then_some(GateEvent::SignedIn)
            }
            SignInEvent::SomeoneElse => {
                self.sign_out(ui.ctx(), service);
                Some(GateEvent::Discard)
            }
        }
    }
}
