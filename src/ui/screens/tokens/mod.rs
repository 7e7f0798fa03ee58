//! Tokens: look up saved cards (masked only) by customer, email, last 4 or token name; see
//! their status; activate, deactivate, rename or change the expiry; and, on a trusted-channel
//! profile, store a new card as a token without charging it.
//!
//! Each mode keeps its own state (`find.rs`, `create.rs`); both send through the shared submit
//! flow, without a read-back (nothing is charged): Enter in a mode's fields saves.

mod create;
mod find;

use super::Screen;
use crate::aps::command::TokenStatus;
use crate::service::handle::Task;
use crate::service::{Outcome, ServiceError, TokenUpdateDraft};
use crate::ui::env::Env;
use crate::ui::theme;
use crate::ui::widgets::outcome::{OutcomeKind, outcome_ui};
use crate::ui::widgets::submit::{Action, Finished, Submission, SubmitFlow, finish_of};
use create::CreateToken;
use egui::{Id, Ui};
use find::{FindTokens, Request};

/// What the agent is doing on the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Find,
    Create,
}

pub struct TokensScreen {
    mode: Mode,
    find: FindTokens,
    create: CreateToken,
    flow: SubmitFlow,
    run: Submission<Outcome>,
}

impl Default for TokensScreen {
    fn default() -> Self {
        Self {
            mode: Mode::Find,
            find: FindTokens::default(),
            create: CreateToken::default(),
            flow: SubmitFlow::new(Id::unique("tokens_flow")),
            run: Submission::default(),
        }
    }
}

impl TokensScreen {
    fn poll(&mut self, env: &Env<'_>) {
        if let Some(result) = self.run.poll(&mut self.flow) {
            let renamed = result.as_ref().ok().and_then(|o| o.token_name.clone());
            if self.flow.finish(finish_of(result)) == Finished::Sent(OutcomeKind::Approved) {
                self.find.updated(renamed);
            }
            // Statuses and names changed: ask the token book again.
            self.find.refresh();
        }
        if self.mode == Mode::Find {
            self.find.poll(env);
        }
    }

    fn send(
        &mut self,
        env: &Env<'_>,
        task: impl FnOnce(&Env<'_>, String) -> Task<Result<Outcome, ServiceError>>,
    ) {
        if !self.run.busy() {
            let task = task(env, env.profile.name.clone());
            self.run.start(&mut self.flow, task);
        }
    }

    fn update(&mut self, env: &Env<'_>, status: Option<TokenStatus>) {
        match self.find.update_draft(status) {
            Ok(Some(draft)) => self.send_update(env, draft),
            Ok(None) => {}
            Err(message) => self.flow.set_error(message),
        }
    }

    fn send_update(&mut self, env: &Env<'_>, draft: TokenUpdateDraft) {
        self.send(env, |env, profile| {
            env.service.run(move |service, progress| async move {
                service.update_token(&profile, draft, &progress).await
            })
        });
    }

    fn save_card(&mut self, ui: &Ui, env: &Env<'_>) {
        if self.run.busy() {
            return;
        }
        match self.create.draft(ui.ctx()) {
            Ok(draft) => self.send(env, |env, profile| {
                env.service.run(move |service, progress| async move {
                    service.create_token(&profile, draft, &progress).await
                })
            }),
            Err(message) => self.flow.set_error(message),
        }
    }

    /// Enter in a mode's fields saves what they hold.
    fn act(&mut self, ui: &Ui, env: &Env<'_>, action: Option<Action>) {
        match (action, self.mode) {
            (Some(Action::Review), Mode::Find) => self.update(env, None),
            (Some(Action::Review), Mode::Create) => self.save_card(ui, env),
            _ => {}
        }
    }

    fn mode_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            let before = self.mode;
            ui.selectable_value(&mut self.mode, Mode::Find, "Find and update");
            ui.selectable_value(&mut self.mode, Mode::Create, "Save a new card");
            if self.mode != before {
                self.find.focus = true;
                self.create.focus = true;
                self.flow.reset();
            }
        });
        ui.add_space(theme::ROW_GAP);
    }
}

impl Screen for TokensScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        let action = self.flow.keys(ui);
        self.act(ui, env, action);
        self.mode_ui(ui);
        self.flow.error_ui(ui);
        if let Some(view) = self.flow.outcome() {
            outcome_ui(ui, "token", view);
            ui.add_space(theme::ROW_GAP);
        }
        let busy = self.run.busy();
        let inputs = match self.mode {
            Mode::Find => {
                let (inputs, request) = self.find.ui(ui, busy);
                match request {
                    Some(Ok(Request::Update(draft))) => self.send_update(env, draft),
                    Some(Ok(Request::Picked)) => self.flow.reset(),
                    Some(Err(message)) => self.flow.set_error(message),
                    None => {}
                }
                inputs
            }
            Mode::Create => {
                let create = self.create.ui(ui, env, busy);
                if let Some(message) = create.wiped {
                    self.flow.set_error(message);
                }
                if create.save {
                    self.save_card(ui, env);
                }
                create.inputs
            }
        };
        self.flow.track(ui, &inputs);
    }

    fn escape(&mut self) -> bool {
        self.find.close()
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.find.focus = true;
        self.create.focus = true;
        self.find.refresh();
    }

    fn wipe_secrets(&mut self, ctx: &egui::Context) {
        if self.create.wipe_card(ctx) {
            self.flow.set_error("The card details were cleared when the terminal locked.");
        }
    }

    fn sending(&self) -> bool {
        self.run.busy()
    }
}
