//! The environment badge and the permanent banner. The environment is always spelled out
//! (DEMO / SANDBOX / PRODUCTION) as well as coloured, so it reads the same on any screen and to
//! any eye.

use crate::service::ProfileEnvironment;
use crate::ui::env::ActiveProfile;
use crate::ui::theme::{self, Look};
use egui::{Frame, RichText, Ui};

/// A coloured box with the environment word and the profile name.
pub fn environment_badge(ui: &mut Ui, environment: ProfileEnvironment, profile: &str) {
    let (bg, fg) = environment.colors();
    Frame::new().fill(bg).corner_radius(theme::RADIUS).inner_margin(egui::Margin::symmetric(10, 4)).show(
        ui,
        |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(environment.word()).color(fg).strong().size(theme::BANNER_SIZE));
                ui.label(RichText::new(profile).color(fg).size(theme::BANNER_SIZE));
            });
        },
    );
}

/// Which journal the desk records in, as the banner says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalShown<'a> {
    /// This desk's own journal.
    Desk,
    /// The call centre's team journal.
    Team,
    /// The team journal could not be reached at start ("Team journal offline: ..."): nothing
    /// can be charged.
    TeamOffline(&'a str),
}

/// The full-width banner across the top of the window.
pub fn banner_ui(ui: &mut Ui, profile: &ActiveProfile, journal: JournalShown<'_>) {
    let (bg, fg) = profile.environment.colors();
    Frame::new().fill(bg).inner_margin(egui::Margin::symmetric(12, 6)).show(ui, |ui| {
        ui.set_min_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(profile.environment.word()).color(fg).strong().size(theme::BANNER_SIZE + 4.0),
            );
            ui.label(RichText::new(format!("Profile: {}", profile.name)).color(fg).size(theme::BANNER_SIZE));
            ui.label(RichText::new(profile.environment.meaning()).color(fg).size(theme::BODY_SIZE));
            if let Some(host) = &profile.custom_endpoint {
                let warning = format!("CUSTOM ENDPOINT {host}");
                ui.label(RichText::new(warning).color(fg).strong().size(theme::BANNER_SIZE));
            }
            match journal {
                JournalShown::TeamOffline(why) => {
                    ui.label(
                        RichText::new("Team journal offline").color(fg).strong().size(theme::BANNER_SIZE),
                    )
                    .on_hover_text(why);
                }
                JournalShown::Team => {
                    ui.label(RichText::new("Team journal").color(fg).size(theme::BODY_SIZE));
                }
                JournalShown::Desk => {}
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let operator = if profile.operator.trim().is_empty() {
                    "not set (F9 Settings)"
                } else {
                    profile.operator.as_str()
                };
                ui.label(RichText::new(format!("Operator: {operator}")).color(fg));
            });
        });
    });
}
