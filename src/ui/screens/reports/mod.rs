//! Reports (Ctrl+R; supervisors and admins): the end-of-shift figures at a glance, a chart of
//! sales per hour per currency and one of how operations ended, the lines per operator,
//! currency and operation, the orders that need attention, and export to CSV and PDF.
//!
//! The period is today unless other dates are typed; the service decides who may see it.

mod charts;

use super::{Call, Screen};
use crate::service::{ReportQuery, ServiceError, ShiftReport, report_period};
use crate::ui::dialogs::FileRequest;
use crate::ui::env::Env;
use crate::ui::format::{capitalise, money_text};
use crate::ui::theme;
use crate::ui::widgets::field::{Note, TextField};
use crate::ui::widgets::save::SaveFlow;
use crate::ui::widgets::table::striped_table;
use egui::{Id, Key, RichText, Ui};

fn id(name: &str) -> Id {
    Id::unique(("reports", name))
}

#[derive(Default)]
pub struct ReportsScreen {
    /// The period as typed: dates or RFC 3339 times; empty `from` is today.
    from: String,
    to: String,
    operator: String,
    report: Option<ShiftReport>,
    load: Call<Result<ShiftReport, ServiceError>>,
    error: Option<String>,
    export: SaveFlow,
    reload: bool,
}

impl ReportsScreen {
    fn start_load(&mut self, env: &Env<'_>) {
        let blank = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
        let (from, to) = (blank(&self.from), blank(&self.to));
        let operator = blank(&self.operator).map(|o| o.to_lowercase());
        self.load.start(env.service.run(move |s, _| async move {
            let (from, to) = report_period(from.as_deref(), to.as_deref())?;
            s.shift_report(ReportQuery { from, to, profile: None, operator }).await
        }));
    }

    fn poll(&mut self) {
        if let Some(answer) = self.load.poll() {
            match answer {
                Ok(report) => {
                    self.report = Some(report);
                    self.error = None;
                }
                Err(e) => {
                    self.report = None;
                    self.error = Some(capitalise(&e.to_string()));
                }
            }
        }
    }

    fn controls_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let busy = self.load.busy();
        let mut enter = false;
        for (label, key, text, hint) in [
            ("From", "from", &mut self.from, "today; a date (YYYY-MM-DD) or an RFC 3339 time"),
            ("To", "to", &mut self.to, "the end of that day"),
            ("Operator", "operator", &mut self.operator, "all operators"),
        ] {
            let field = TextField::new(label, id(key)).hint(hint).char_limit(40).show(ui, text, None, |_| {});
            enter |= field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        }
        let show = ui
            .horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                let show = ui.add_enabled(!busy, egui::Button::new("Show (Enter)")).clicked();
                if busy {
                    ui.spinner();
                }
                show
            })
            .inner;
        if show || enter {
            self.start_load(env);
        }
    }

    fn glance_ui(ui: &mut Ui, report: &ShiftReport) {
        ui.label(RichText::new(report.period()).strong());
        ui.horizontal_wrapped(|ui| {
            for net in &report.net {
                let sign = if net.net_minor < 0 { "-" } else { "" };
                let shown =
                    money_text(u64::try_from(net.net_minor.unsigned_abs()).unwrap_or(u64::MAX), net.currency);
                ui.label(RichText::new(format!("Net {sign}{shown}")).size(theme::HEADING_SIZE).strong());
                ui.add_space(theme::SECTION_GAP);
            }
            if report.net.is_empty() {
                ui.label(RichText::new("No money moved").size(theme::HEADING_SIZE).color(theme::HINT_TEXT));
            }
        });
        let [approved, declined, unknown] = report.outcomes;
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("{approved} approved")).color(theme::APPROVED).strong());
            ui.label(RichText::new(format!("{declined} declined")).color(theme::DECLINED).strong());
            ui.label(RichText::new(format!("{unknown} unknown")).color(theme::ATTENTION).strong());
            let attention = report.attention.len();
            let colour = if attention > 0 { theme::ATTENTION } else { theme::HINT_TEXT };
            ui.label(RichText::new(format!("{attention} need attention")).color(colour).strong());
        });
    }

    fn lines_ui(ui: &mut Ui, report: &ShiftReport) {
        if report.lines.is_empty() {
            ui.label(RichText::new("Nothing in this period.").color(theme::HINT_TEXT));
            return;
        }
        striped_table(ui, id("lines"), &["Operator", "Currency", "Operation", "Count", "Total"], |ui| {
            for line in &report.lines {
                ui.label(&line.operator);
                ui.label(line.currency.code());
                ui.label(line.op.as_str());
                ui.label(line.count.to_string());
                let total = u64::try_from(line.total_minor).unwrap_or(u64::MAX);
                ui.label(money_text(total, line.currency));
                ui.end_row();
            }
        });
    }

    fn attention_ui(ui: &mut Ui, report: &ShiftReport) {
        if report.attention.is_empty() {
            return;
        }
        ui.add_space(theme::SECTION_GAP);
        ui.label(RichText::new("Needs attention").strong().color(theme::ATTENTION));
        striped_table(ui, id("attention"), &["Reference", "Amount", "State", "Operator", "Why"], |ui| {
            for a in &report.attention {
                ui.label(&a.merchant_reference);
                ui.label(money_text(a.amount_minor, a.currency));
                ui.label(&a.state);
                ui.label(&a.operator);
                ui.label(&a.reason);
                ui.end_row();
            }
        });
    }

    fn export_ui(&mut self, ui: &mut Ui, env: &Env<'_>, report: &ShiftReport) {
        let busy = self.export.busy();
        let stamp = report.from.format("%Y%m%d").to_string();
        let mut chosen = None;
        ui.horizontal(|ui| {
            if ui.add_enabled(!busy, egui::Button::new("Export CSV...")).clicked() {
                let request =
                    FileRequest::new("Export the report as CSV", &format!("shift-{stamp}.csv"), "CSV", "csv");
                chosen = Some((request, Ok(report.csv().into_bytes()), false));
            }
            if ui.add_enabled(!busy, egui::Button::new("Export PDF...")).clicked() {
                let request =
                    FileRequest::new("Export the report as PDF", &format!("shift-{stamp}.pdf"), "PDF", "pdf");
                chosen = Some((request, report.pdf().map_err(|e| e.to_string()), true));
            }
        });
        match chosen {
            Some((request, Ok(bytes), open_after)) => self.export.start(env, request, bytes, open_after),
            Some((_, Err(message), _)) => self.export.set_note(Note::Error(capitalise(&message))),
            None => {}
        }
        self.export.note_ui(ui);
    }
}

impl Screen for ReportsScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll();
        self.export.poll(env);
        if std::mem::take(&mut self.reload) {
            self.start_load(env);
        }
        self.controls_ui(ui, env);
        ui.add_space(theme::SECTION_GAP);
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(theme::ERROR_TEXT).strong());
            return;
        }
        // Taken out while drawn (the export buttons borrow the screen), put back after.
        let Some(report) = self.report.take() else {
            ui.label(RichText::new("Reading the journal...").color(theme::HINT_TEXT));
            return;
        };
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            Self::glance_ui(ui, &report);
            ui.add_space(theme::ROW_GAP);
            self.export_ui(ui, env, &report);
            ui.add_space(theme::ROW_GAP);
            ui.columns(2, |cols| {
                cols[0].label(RichText::new("Sales per hour").strong());
                charts::sales_by_hour(&mut cols[0], &report, 200.0);
                cols[1].label(RichText::new("Outcomes").strong());
                charts::outcomes(&mut cols[1], &report, 200.0);
            });
            ui.add_space(theme::SECTION_GAP);
            Self::lines_ui(ui, &report);
            Self::attention_ui(ui, &report);
        });
        self.report = Some(report);
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        // Orders may have changed since: read the period again.
        self.reload = true;
    }
}
