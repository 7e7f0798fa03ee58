//! The environment badge and the permanent banner. The environment is always spelled out
//! (DEMO / SANDBOX / PRODUCTION) as well as coloured, so it reads the same on any screen and to
//! any eye.

use crate::service::{Operator, ProfileEnvironment};
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

/// Who the banner names at the right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who<'a> {
    /// Single-user mode: the operator name orders are recorded under.
    Desk(&'a str),
    /// Operators are defined and nobody is signed in.
    Nobody,
    /// Signed in and at the keyboard: with the way to sign out.
    Open(&'a Operator),
    /// Signed in, and the terminal is locked.
    Locked(&'a Operator),
}

/// The full-width banner across the top of the window: the environment, the journal, why the
/// audit trail was last not written (if it was not), and who is keying. True when "Sign out"
/// was pressed.
pub fn banner_ui(
    ui: &mut Ui,
    profile: &ActiveProfile,
    journal: JournalShown<'_>,
    audit_failure: Option<&str>,
    who: Who<'_>,
) -> bool {
    let (bg, fg) = profile.environment.colors();
    let mut sign_out = false;
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
            if let Some(why) = audit_failure {
                let words = "Audit trail not written: tell a supervisor";
                ui.label(RichText::new(words).color(fg).strong().size(theme::BANNER_SIZE))
                    .on_hover_text(format!("{why}."));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                sign_out = who_ui(ui, who, fg);
            });
        });
    });
    sign_out
}

/// The operator at the right of the banner; true when "Sign out" was pressed.
fn who_ui(ui: &mut Ui, who: Who<'_>, fg: egui::Color32) -> bool {
    match who {
        Who::Desk(operator) => {
            let operator = if operator.trim().is_empty() { "not set (F9 Settings)" } else { operator };
            ui.label(RichText::new(format!("Operator: {operator}")).color(fg));
            false
        }
        Who::Nobody => {
            ui.label(RichText::new("Not signed in").color(fg));
            false
        }
        Who::Open(operator) => {
            let out = ui.button("Sign out (F12)").clicked();
            signed_in_label(ui, operator, fg);
            out
        }
        Who::Locked(operator) => {
            ui.label(RichText::new("Locked").color(fg).strong());
            signed_in_label(ui, operator, fg);
            false
        }
    }
}

/// "amal · agent": who is signed in and their role.
fn signed_in_label(ui: &mut Ui, operator: &Operator, fg: egui::Color32) {
    let text = format!("{} · {}", operator.name, operator.role);
    ui.label(RichText::new(text).color(fg).strong().size(theme::BANNER_SIZE));
}
