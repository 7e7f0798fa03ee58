//! Colours, sizes and spacing of the terminal, in one place so a screen never invents its own
//! (rerun's "design tokens" rule). The environment colours are chosen so that a glance at the
//! banner tells DEMO, SANDBOX and PRODUCTION apart even for colour-blind agents: each differs
//! in hue and in brightness, and each is also spelled out in words.

use crate::service::ProfileEnvironment;
use egui::{Color32, CornerRadius, Margin, Stroke};

/// Space between a field's label column and its input.
pub const LABEL_WIDTH: f32 = 170.0;
/// Width of a normal text input.
pub const FIELD_WIDTH: f32 = 300.0;
/// Width of short inputs: currency, expiry, CVV.
pub const SHORT_FIELD_WIDTH: f32 = 80.0;
/// Vertical gap between form rows.
pub const ROW_GAP: f32 = 6.0;
/// Gap between sections of a form.
pub const SECTION_GAP: f32 = 14.0;
/// Width of the left navigation.
pub const NAV_WIDTH: f32 = 200.0;
/// Inner margin of panels and cards.
pub const PANEL_MARGIN: Margin = Margin::same(10);
/// Corner radius of cards, banners and dialogs.
pub const RADIUS: CornerRadius = CornerRadius::same(4);

/// Body text size.
pub const BODY_SIZE: f32 = 15.0;
/// Heading size of a screen title.
pub const HEADING_SIZE: f32 = 21.0;
/// The amount in the read-back confirmation: large enough to read across a desk.
pub const AMOUNT_SIZE: f32 = 40.0;
/// The banner's environment word.
pub const BANNER_SIZE: f32 = 18.0;

/// PRODUCTION: white on strong red. Real money moves.
pub const PRODUCTION_BG: Color32 = Color32::from_rgb(0xB0, 0x00, 0x20);
pub const PRODUCTION_FG: Color32 = Color32::WHITE;
/// SANDBOX: black on amber. APS's test system; no real money.
pub const SANDBOX_BG: Color32 = Color32::from_rgb(0xFF, 0xB3, 0x00);
pub const SANDBOX_FG: Color32 = Color32::BLACK;
/// DEMO: white on blue. The built-in simulator; nothing leaves the machine.
pub const DEMO_BG: Color32 = Color32::from_rgb(0x15, 0x5F, 0xC8);
pub const DEMO_FG: Color32 = Color32::WHITE;

/// Outcome colours: approved, declined / rejected, needs attention.
pub const APPROVED: Color32 = Color32::from_rgb(0x1B, 0x7F, 0x3A);
pub const DECLINED: Color32 = Color32::from_rgb(0xB0, 0x00, 0x20);
pub const ATTENTION: Color32 = Color32::from_rgb(0xB3, 0x5C, 0x00);
/// Neither good nor bad news: a payment link still waiting for the customer.
pub const INFO: Color32 = Color32::from_rgb(0x3A, 0x7B, 0xD5);
/// Text under a field that explains what is wrong with it.
pub const ERROR_TEXT: Color32 = Color32::from_rgb(0xC6, 0x28, 0x28);
/// Quiet helper text (hints, what a field accepts); mid grey, readable on dark and light.
pub const HINT_TEXT: Color32 = Color32::from_rgb(0x8C, 0x92, 0x9C);

/// The thin frame around an outcome or a dialog, in the outcome's colour.
pub fn outline(color: Color32) -> Stroke {
    Stroke::new(2.0, color)
}

/// Applies the terminal's text sizes and spacing to every theme.
pub fn apply(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| {
        use egui::{FontId, TextStyle};
        style.text_styles.insert(TextStyle::Body, FontId::proportional(BODY_SIZE));
        style.text_styles.insert(TextStyle::Button, FontId::proportional(BODY_SIZE));
        style.text_styles.insert(TextStyle::Monospace, FontId::monospace(BODY_SIZE));
        style.text_styles.insert(TextStyle::Heading, FontId::proportional(HEADING_SIZE));
        style.text_styles.insert(TextStyle::Small, FontId::proportional(BODY_SIZE - 2.0));
        style.spacing.item_spacing = egui::vec2(8.0, ROW_GAP);
        style.spacing.button_padding = egui::vec2(10.0, 4.0);
        style.spacing.interact_size.y = 26.0;
        // A steady cursor: a blinking one repaints the window several times a second for as long
        // as a field has focus, and a terminal left open all day must cost no CPU when idle.
        style.visuals.text_cursor.blink = false;
    });
}

/// How an environment looks on screen: its word, what it means to the agent, its colours.
pub trait Look {
    /// The word on the banner, in capitals so it cannot be skimmed over.
    fn word(self) -> &'static str;
    /// What the environment means for the person about to press Enter.
    fn meaning(self) -> &'static str;
    /// Background and text colour of the environment badge.
    fn colors(self) -> (Color32, Color32);
}

impl Look for ProfileEnvironment {
    fn word(self) -> &'static str {
        self.label()
    }

    fn meaning(self) -> &'static str {
        match self {
            Self::Demo => "built-in simulator, no money moves",
            Self::Sandbox => "APS test system, test cards only, no real money",
            Self::Production => "LIVE: real cards, real money",
        }
    }

    fn colors(self) -> (Color32, Color32) {
        match self {
            Self::Demo => (DEMO_BG, DEMO_FG),
            Self::Sandbox => (SANDBOX_BG, SANDBOX_FG),
            Self::Production => (PRODUCTION_BG, PRODUCTION_FG),
        }
    }
}
