//! The app shell: the permanent environment banner, the navigation with every screen's key,
//! the global shortcuts, and the screen shown in the middle.
//!
//! Keys, handled before any widget sees them: F1..F10 open a screen; Ctrl+N starts a new order;
//! Ctrl+F opens the history search; Esc first closes what the screen has open (a read-back, a
//! dialog) and otherwise goes back to the previous screen, whose state is exactly as it was.
//! A file dropped on the window opens on the Batch screen.

use super::dialogs::FileDialogs;
use super::env::{ActiveProfile, AppCommand, Env, ScreenId, UiSettings};
use super::screens::Screen;
use super::screens::batch::{BatchRequest, BatchScreen};
use super::screens::history::HistoryScreen;
use super::screens::operations::OperationsScreen;
use super::screens::order::{OrderChannel, OrderDesk};
use super::screens::payment_link::{LinkPrefill, PaymentLinkScreen};
use super::screens::recurring::RecurringScreen;
use super::screens::settings::SettingsScreen;
use super::screens::status::StatusScreen;
use super::screens::tokens::TokensScreen;
use super::theme;
use super::widgets::banner::{JournalShown, banner_ui};
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
}

impl Screens {
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
            screens: Screens {
                phone: OrderDesk::new(OrderChannel::Phone, "phone", &profile),
                mail: OrderDesk::new(OrderChannel::Mail, "mail", &profile),
                tokens: TokensScreen::default(),
                operations: OperationsScreen::default(),
                status: StatusScreen::default(),
                history: HistoryScreen::default(),
                recurring: RecurringScreen::default(),
                payment_link: PaymentLinkScreen::new(&profile),
                settings: SettingsScreen::default(),
                batch: BatchScreen::default(),
            },
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

    fn screen_mut(&mut self, id: ScreenId) -> &mut dyn Screen {
        self.screens.get(id)
    }

    /// Switches screen, remembering where Esc comes back to.
    pub fn open(&mut self, ctx: &egui::Context, id: ScreenId) {
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
            if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, id.key())) {
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
        for line in ["Ctrl+N  new order", "Ctrl+F  search history", "Enter  review / confirm", "Esc  back"] {
            ui.label(RichText::new(line).small().color(theme::HINT_TEXT));
        }
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
        self.shortcuts(ui);

        let service = self.service.service();
        let journal = match service.team_offline() {
            Some(why) => JournalShown::TeamOffline(why),
            None if service.is_team() => JournalShown::Team,
            None => JournalShown::Desk,
        };
        egui::Panel::top("banner")
            .frame(egui::Frame::NONE)
            .show(ui, |ui| banner_ui(ui, &self.profile, journal));
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(theme::NAV_WIDTH)
            .show(ui, |ui| self.nav_ui(ui));

        let commands = egui::CentralPanel::default()
            .show(ui, |ui| {
                let current = self.current;
                ui.heading(current.title());
                ui.add_space(theme::ROW_GAP);
                let mut env = Env::new(&self.service, &self.profile, self.dialogs.as_ref(), &self.settings);
                // Before the screen, so the offer's Enter is not also the form's.
                self.screens.batch.offer_ui(ui, &mut env);
                egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
                    let screen = self.screens.get(current);
                    screen.ui(ui, &mut env);
                });
                env.commands
            })
            .inner;

        let ctx = ui.ctx().clone();
        self.dropped_file(&ctx);
        for command in commands {
            match command {
                AppCommand::Open(id) => self.open(&ctx, id),
                AppCommand::OpenOrder { screen, merchant_reference } => {
                    self.open(&ctx, screen);
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
                    self.open(&ctx, ScreenId::Batch);
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
