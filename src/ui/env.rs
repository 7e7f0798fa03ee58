//! What every screen is given each frame: the current profile, the dialogs, the settings, and a
//! place to leave requests for the app shell (switch screen, go back).
//!
//! Screens do no I/O themselves: anything that touches the network, the disk or the keychain
//! goes through the service handle, whose calls run on the tokio runtime and are polled here.

use super::dialogs::FileDialogs;
use crate::aps::money::Currency;
use crate::service::AppSettings;
use crate::service::Operator;
use crate::service::ProfileEnvironment;
use crate::service::handle::ServiceHandle;

/// The profile the terminal is working in, as the screens need to show and check it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveProfile {
    /// The profile's name, e.g. "Demo merchant".
    pub name: String,
    /// Which APS system it talks to; shown on every screen in words and colour.
    pub environment: ProfileEnvironment,
    /// The APS merchant identifier, shown in the read-back so a wrong account is noticed.
    pub merchant_identifier: String,
    /// The merchant may send card numbers (PCI DSS compliant; spec 3.3). Without it only
    /// saved cards (tokens) can be charged.
    pub trusted_channel: bool,
    /// The currency a new order starts in.
    pub default_currency: Currency,
    /// Who is at the keyboard, recorded with every operation.
    pub operator: String,
    /// The host of a custom endpoint (not the published APS address): the banner warns.
    pub custom_endpoint: Option<String>,
}

/// Settings of the desktop that are not part of a profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiSettings {
    /// Typed card details are wiped after this many seconds without any input.
    pub card_idle_wipe_secs: u64,
    /// With operators defined, the terminal locks after this many seconds without any input.
    pub idle_lock_secs: u64,
}

impl Default for UiSettings {
    fn default() -> Self {
        Self { card_idle_wipe_secs: 180, idle_lock_secs: 5 * 60 }
    }
}

impl UiSettings {
    /// The desktop's part of the app settings the vault keeps.
    pub fn of(settings: &AppSettings) -> Self {
        Self {
            card_idle_wipe_secs: u64::from(settings.card_idle_wipe_secs),
            idle_lock_secs: u64::from(settings.idle_lock_mins) * 60,
        }
    }
}

/// The screens of the terminal, in navigation order. Each has a function key: one press from
/// anywhere, shown next to its name in the navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScreenId {
    PhoneOrder,
    MailOrder,
    Tokens,
    Operations,
    Status,
    History,
    Recurring,
    PaymentLink,
    Settings,
    Batch,
    Audit,
    Reports,
}

impl ScreenId {
    pub const ALL: [ScreenId; 12] = [
        Self::PhoneOrder,
        Self::MailOrder,
        Self::Tokens,
        Self::Operations,
        Self::Status,
        Self::History,
        Self::Recurring,
        Self::PaymentLink,
        Self::Settings,
        Self::Batch,
        Self::Audit,
        Self::Reports,
    ];

    /// The screen's name, as in the navigation and its heading.
    pub fn title(self) -> &'static str {
        match self {
            Self::PhoneOrder => "Phone order",
            Self::MailOrder => "Mail order",
            Self::Tokens => "Tokens",
            Self::Operations => "Operations",
            Self::Status => "Status",
            Self::History => "History",
            Self::Recurring => "Recurring",
            Self::PaymentLink => "Payment link",
            Self::Settings => "Settings",
            Self::Batch => "Batch",
            Self::Audit => "Audit",
            Self::Reports => "Reports",
        }
    }

    /// The function key that opens the screen.
    pub fn key(self) -> egui::Key {
        use egui::Key;
        match self {
            Self::PhoneOrder => Key::F1,
            Self::MailOrder => Key::F2,
            Self::Tokens => Key::F3,
            Self::Operations => Key::F4,
            Self::Status => Key::F5,
            Self::History => Key::F6,
            Self::Recurring => Key::F7,
            Self::PaymentLink => Key::F8,
            Self::Settings => Key::F9,
            Self::Batch => Key::F10,
            Self::Audit => Key::F11,
            Self::Reports => Key::R,
        }
    }

    /// What is held with [`ScreenId::key`]: nothing for the F-keys (all twelve are taken, F12
    /// signs out), Ctrl (Cmd on a Mac) for Reports.
    pub fn modifiers(self) -> egui::Modifiers {
        match self {
            Self::Reports => egui::Modifiers::COMMAND,
            _ => egui::Modifiers::NONE,
        }
    }

    /// The shortcut's name as the navigation shows it: "F1", "^R".
    pub fn key_name(self) -> &'static str {
        match self {
            Self::Reports => "^R",
            _ => self.key().name(),
        }
    }
}

/// A request a screen leaves for the app shell, applied after the frame's screen has drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppCommand {
    /// Switch to another screen (remembered, so Esc comes back).
    Open(ScreenId),
    /// Open a screen on one order (merchant reference): Operations to capture it, Status to
    /// check it, History to see its timeline.
    OpenOrder { screen: ScreenId, merchant_reference: String },
    /// The agent switched profile or changed the current one in Settings.
    ProfileChanged(Box<ActiveProfile>),
    /// Fill the payment link form from the phone order being taken.
    LinkFromPhoneOrder,
    /// The app settings were saved in Settings: every screen uses them from the next frame.
    SettingsChanged(UiSettings),
    /// Capture these orders' full remaining amounts as one batch (History's multi-select).
    CaptureSelected(Vec<String>),
}

/// Everything a screen may use while it draws.
pub struct Env<'a> {
    /// Runs service calls on the runtime; screens poll the returned tasks.
    pub service: &'a ServiceHandle,
    pub profile: &'a ActiveProfile,
    pub dialogs: &'a dyn FileDialogs,
    pub settings: &'a UiSettings,
    /// Who is signed in; `None` in single-user mode (no operators defined).
    pub operator: Option<&'a Operator>,
    /// Requests for the app shell, drained after the screen has drawn.
    pub commands: Vec<AppCommand>,
}

impl<'a> Env<'a> {
    pub fn new(
        service: &'a ServiceHandle,
        profile: &'a ActiveProfile,
        dialogs: &'a dyn FileDialogs,
        settings: &'a UiSettings,
    ) -> Self {
        Self { service, profile, dialogs, settings, operator: None, commands: Vec::new() }
    }
}
