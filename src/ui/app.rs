//! The app shell: the permanent environment banner, the navigation with every screen's key,
//! the global shortcuts, and the screen shown in the middle.
//!
//! Keys, handled before any widget sees them: F1..F11 and Ctrl+R open a screen; Ctrl+N starts a new order;
//! Ctrl+F opens the history search; Esc first closes what the screen has open (a read-back, a
//! dialog) and otherwise goes back to the previous screen, whose state is exactly as it was.
//! A file dropped on the window opens on the Batch screen.
//!
//! Once operators are defined, the [`Gate`] covers every screen until someone signs in, and
//! again when they have been away for the idle lock's time. F12 signs out; signing out (or
//! signing in as someone else at the lock) discards every screen's draft. In single-user mode
//! none of this shows.

use super::dialogs::FileDialogs;
use super::env::{ActiveProfile, AppCommand, Env, ScreenId, UiSettings};
use super::gate::{Gate, GateEvent};
use super::screens::Screen;
use super::screens::audit::AuditScreen;
use super::screens::batch::{BatchRequest, BatchScreen};
use super::screens::history::HistoryScreen;
use super::screens::operations::OperationsScreen;
use super::screens::order::{OrderChannel, OrderDesk};
use super::screens::payment_link::{LinkPrefill, PaymentLinkScreen};
use super::screens::recurring::RecurringScreen;
use super::screens::reports::ReportsScreen;
use super::screens::settings::SettingsScreen;
use super::screens::status::StatusScreen;
use super::screens::tokens::TokensScreen;
use super::theme;
use super::widgets::banner::{JournalShown, banner_ui};
use crate::service::Operator;
use crate::service::handle::ServiceHandle;
use egui::{Key, Modifiers, RichText, Ui};
use std::path::PathBuf;

/// How many screens Esc can walk back through.
const BACK_DEPTH: usize = 20;

/// The desktop terminal. All state is UI state; nothing is persisted through eframe.
pub struct TerminalApp {
    /// The theme is applied on the first frame, to whichever context draws the app.
    themed: bool,
    service: ServiceHandle,
    profile: ActiveProfile,
    settings: UiSettings,
    dialogs: Box<dyn FileDialogs>,
    /// Who may use the terminal: the sign-in and the idle lock.
    gate: Gate,
    /// Why the last sign-out had to wait, shown above the screen.
    notice: Option<String>,
    /// A screen has been drawn since the drafts were last discarded: someone may have typed.
    drawn: bool,
    current: ScreenId,
    back: Vec<ScreenId>,
    screens: Screens,
}

/// One of each screen, kept apart from the rest of the app so a screen can be borrowed while
/// the app's service handle and profile are lent to it.
struct Screens {
    phone: OrderDesk,
    mail: OrderDesk,
    tokens: TokensScreen,
    operations: OperationsScreen,
    status: StatusScreen,
    history: HistoryScreen,
    recurring: RecurringScreen,
    payment_link: PaymentLinkScreen,
    settings: SettingsScreen,
    batch: BatchScreen,
    audit: AuditScreen,
    reports: ReportsScreen,
}

impl Screens {
    /// Every screen as it opens, empty.
    fn new(profile: &ActiveProfile) -> Self {
        Self {
            phone: OrderDesk::new(OrderChannel::Phone, "phone", profile),
            mail: OrderDesk::new(OrderChannel::Mail, "mail", profile),
            tokens: TokensScreen::default(),
            operations: OperationsScreen::default(),
            status: StatusScreen::default(),
            history: HistoryScreen::default(),
            recurring: RecurringScreen::default(),
            payment_link: PaymentLinkScreen::new(profile),
            settings: SettingsScreen::default(),
            batch: BatchScreen::default(),
            audit: AuditScreen::default(),
            reports: ReportsScreen::default(),
        }
    }

    /// True while a screen waits for the answer to something the agent sent.
    fn sending(&mut self) -> bool {
        ScreenId::ALL.into_iter().any(|id| self.get(id).sending())
    }

    fn get(&mut self, id: ScreenId) -> &mut dyn Screen {
        match id {
            ScreenId::PhoneOrder => &mut self.phone,
            ScreenId::MailOrder => &mut self.mail,
            ScreenId::Tokens => &mut self.tokens,
            ScreenId::Operations => &mut self.operations,
            ScreenId::Status => &mut self.status,
            ScreenId::History => &mut self.history,
            ScreenId::Recurring => &mut self.recurring,
            ScreenId::PaymentLink => &mut self.payment_link,
            ScreenId::Settings => &mut self.settings,
            ScreenId::Batch => &mut self.batch,
            ScreenId::Audit => &mut self.audit,
            ScreenId::Reports => &mut self.reports,
        }
    }
}

impl TerminalApp {
    /// The terminal on `profile`, opening on the phone order screen.
    pub fn new(
        service: ServiceHandle,
        profile: ActiveProfile,
        settings: UiSettings,
        dialogs: Box<dyn FileDialogs>,
    ) -> Self {
        Self {
            themed: false,
            screens: Screens::new(&profile),
            gate: Gate::default(),
            notice: None,
            drawn: false,
            service,
            profile,
            settings,
            dialogs,
            current: ScreenId::PhoneOrder,
            back: Vec::new(),
        }
    }

    /// The screen on display.
    pub fn current_screen(&self) -> ScreenId {
        self.current
    }

    /// The profile the terminal works in.
    pub fn profile(&self) -> &ActiveProfile {
        &self.profile
    }

    /// The operator signed in and at the keyboard (`None` in single-user mode, before sign-in
    /// and while locked).
    pub fn signed_in(&self) -> Option<&Operator> {
        self.gate.operator()
    }

    /// True until the journal has said whether operators are defined.
    pub fn checking_operators(&self) -> bool {
        self.gate.checking()
    }

    /// True while the sign-in or the lock covers every screen.
    pub fn covered(&self) -> bool {
        self.gate.covers()
    }

    fn screen_mut(&mut self, id: ScreenId) -> &mut dyn Screen {
        self.screens.get(id)
    }

    /// Switches screen, remembering where Esc comes back to.
    pub fn open(&mut self, ctx: &egui::Context, id: ScreenId) {
        // In single-user mode: has the first operator been added meanwhile?
        self.gate.recheck(&self.service);
        if id != self.current {
            self.back.push(self.current);
            if self.back.len() > BACK_DEPTH {
                self.back.remove(0);
            }
            self.current = id;
        }
        self.screen_mut(id).opened(ctx);
    }

    fn go_back(&mut self, ctx: &egui::Context) {
        if let Some(previous) = self.back.pop() {
            self.current = previous;
            self.screen_mut(previous).opened(ctx);
        }
    }

    /// The global keys, taken before any widget can see them.
    fn shortcuts(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        for id in ScreenId::ALL {
            if ctx.input_mut(|i| i.consume_key(id.modifiers(), id.key())) {
                self.open(&ctx, id);
            }
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::N)) {
            let target =
                if self.current == ScreenId::MailOrder { ScreenId::MailOrder } else { ScreenId::PhoneOrder };
            self.open(&ctx, target);
            match target {
                ScreenId::MailOrder => self.screens.mail.new_order(&ctx),
                _ => self.screens.phone.new_order(&ctx),
            }
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::F)) {
            self.open(&ctx, ScreenId::History);
            self.screens.history.focus_search();
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F12)) {
            self.sign_out(&ctx);
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
            let current = self.current;
            if !self.screens.batch.escape_offer() && !self.screen_mut(current).escape() {
                self.go_back(&ctx);
            }
        }
    }

    fn nav_ui(&mut self, ui: &mut Ui) {
        ui.add_space(theme::ROW_GAP);
        let mut chosen = None;
        ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
            for id in ScreenId::ALL {
                let text = RichText::new(format!("{:<4}{}", id.key_name(), id.title()));
                let text = if id == self.current { text.strong() } else { text };
                // Not in the Tab order: Tab stays inside the form, the F-keys switch screens.
                let button = egui::Button::selectable(id == self.current, text)
                    .sense(egui::Sense::CLICK)
                    .min_size(egui::vec2(0.0, 28.0));
                if ui.add(button).clicked() {
                    chosen = Some(id);
                }
            }
        });
        if let Some(id) = chosen {
            self.open(&ui.ctx().clone(), id);
        }
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        let mut hints = vec![
            "Ctrl+N  new order",
            "Ctrl+F  search history",
            "Ctrl+R  reports",
            "Enter  review / confirm",
            "Esc  back",
        ];
        if self.gate.operators_defined() {
            hints.push("F12  sign out");
        }
        for line in hints {
            ui.label(RichText::new(line).small().color(theme::HINT_TEXT));
        }
    }

    /// Signs the operator out and discards every draft; not while a screen waits for the
    /// answer to something sent (the answer would be lost from the screen).
    fn sign_out(&mut self, ctx: &egui::Context) {
        if self.gate.operator().is_none() {
            return;
        }
        if self.screens.sending() {
            self.notice = Some(
                "Not signed out: a request is still on its way. Sign out once its answer is on the screen."
                    .to_owned(),
            );
            return;
        }
        self.gate.sign_out(ctx, &self.service);
        self.discard_drafts(ctx);
    }

    /// Every screen starts again empty: typed cards and secrets wiped, forms, searches and
    /// the text inputs' undo histories gone.
    fn discard_drafts(&mut self, ctx: &egui::Context) {
        for id in ScreenId::ALL {
            self.screen_mut(id).wipe_secrets(ctx);
        }
        self.screens = Screens::new(&self.profile);
        ctx.data_mut(|d| d.remove_by_type::<egui::text_edit::TextEditState>());
        self.current = ScreenId::PhoneOrder;
        self.back.clear();
        self.notice = None;
        self.drawn = false;
        self.screen_mut(ScreenId::PhoneOrder).opened(ctx);
    }

    fn gate_event(&mut self, ctx: &egui::Context, event: Option<GateEvent>) {
        match event {
            Some(GateEvent::Locked) => {
                for id in ScreenId::ALL {
                    self.screen_mut(id).wipe_secrets(ctx);
                }
            }
            // The first sign-in finds nothing typed (and keeps a batch file given at start).
            Some(GateEvent::SignedIn) if !self.drawn => {}
            Some(GateEvent::SignedIn | GateEvent::Discard) => self.discard_drafts(ctx),
            None => {}
        }
    }

    /// The banner; true when its "Sign out" was pressed.
    fn banner(&self, ui: &mut Ui) -> bool {
        let service = self.service.service();
        let journal = match service.team_offline() {
            Some(why) => JournalShown::TeamOffline(why),
            None if service.is_team() => JournalShown::Team,
            None => JournalShown::Desk,
        };
        let who = self.gate.who(&self.profile.operator);
        let audit_failure = service.audit_failure();
        egui::Panel::top("banner")
            .frame(egui::Frame::NONE)
            .show(ui, |ui| banner_ui(ui, &self.profile, journal, audit_failure.as_deref(), who))
            .inner
    }

    /// Opens the Batch screen with `path` being checked (a dropped file, `--open-batch`).
    pub fn open_batch_file(&mut self, ctx: &egui::Context, path: PathBuf) {
        self.screens.batch.request(BatchRequest::File(path));
        self.open(ctx, ScreenId::Batch);
    }

    /// A file dropped on the window is a batch file: the Batch screen checks it.
    fn dropped_file(&mut self, ctx: &egui::Context) {
        let path = ctx.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
        if let Some(path) = path {
            self.open_batch_file(ctx, path);
        }
    }

    /// Draws one frame. [`eframe::App::ui`] calls this; the UI tests call it directly.
    pub fn show(&mut self, ui: &mut Ui) {
        if !std::mem::replace(&mut self.themed, true) {
            theme::apply(ui.ctx());
        }
        let ctx = ui.ctx().clone();
        let event = self.gate.before(ui, &self.service, &self.settings);
        self.gate_event(&ctx, event);
        if !self.gate.covers() {
            self.shortcuts(ui);
        }
        if self.banner(ui) {
            self.sign_out(&ctx);
        }
        if self.gate.covers() {
            // The sign-in or the lock, and nothing else: no screen draws, so none calls.
            let event = egui::CentralPanel::default().show(ui, |ui| self.gate.ui(ui, &self.service)).inner;
            self.gate_event(&ctx, event);
            return;
        }
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(theme::NAV_WIDTH)
            .show(ui, |ui| self.nav_ui(ui));
        let commands = egui::CentralPanel::default().show(ui, |ui| self.screen_ui(ui)).inner;
        self.dropped_file(&ctx);
        self.apply(&ctx, commands);
    }

    /// The current screen, under its heading; returns what it asked of the app.
    fn screen_ui(&mut self, ui: &mut Ui) -> Vec<AppCommand> {
        self.drawn = true;
        let current = self.current;
        ui.heading(current.title());
        if let Some(notice) = &self.notice {
            ui.label(RichText::new(notice).color(theme::ATTENTION).strong());
        }
        ui.add_space(theme::ROW_GAP);
        let mut env = Env::new(&self.service, &self.profile, self.dialogs.as_ref(), &self.settings);
        env.operator = self.gate.operator();
        // Before the screen, so the offer's Enter is not also the form's.
        self.screens.batch.offer_ui(ui, &mut env);
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            let screen = self.screens.get(current);
            screen.ui(ui, &mut env);
        });
        env.commands
    }

    /// Carries out what the screens asked for this frame.
    fn apply(&mut self, ctx: &egui::Context, commands: Vec<AppCommand>) {
        for command in commands {
            match command {
                AppCommand::Open(id) => self.open(ctx, id),
                AppCommand::OpenOrder { screen, merchant_reference } => {
                    self.open(ctx, screen);
                    match screen {
                        ScreenId::Operations => {
                            self.screens.operations.load(&self.service, &self.profile, &merchant_reference)
                        }
                        ScreenId::Status => self.screens.status.load(&merchant_reference),
                        ScreenId::History => self.screens.history.show_order(&merchant_reference),
                        _ => {}
                    }
                }
                AppCommand::ProfileChanged(profile) => {
                    // A read-back names the profile it was made for: close every open one, so
                    // nothing is confirmed against a profile the agent did not read back.
                    for id in ScreenId::ALL {
                        self.screen_mut(id).escape();
                    }
                    self.profile = *profile;
                }
                AppCommand::SettingsChanged(settings) => self.settings = settings,
                AppCommand::CaptureSelected(references) => {
                    self.screens.batch.request(BatchRequest::Capture(references));
                    self.open(ctx, ScreenId::Batch);
                }
                AppCommand::LinkFromPhoneOrder => {
                    let form = &self.screens.phone.form;
                    self.screens.payment_link.prefill(LinkPrefill {
                        amount: form.amount().to_owned(),
                        currency: form.currency().to_owned(),
                        customer: form.customer().clone(),
                        description: form.description().to_owned(),
                    });
                }
            }
        }
    }
}

impl eframe::App for TerminalApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    /// egui's memory holds text-field state of the forms; it is never written to disk, even if
    /// persistence is switched on later for window placement.
    fn persist_egui_memory(&self) -> bool {
        false
    }
}
