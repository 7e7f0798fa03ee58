//! The Reports screen's two charts: sales per hour in each currency, and how operations ended
//! (approved, declined, unknown). Bar heights are for the eye only: the figures beside them
//! come from the exact minor-unit totals.

use crate::service::ShiftReport;
use crate::ui::theme;
use egui::{Color32, Ui};
use egui_plot::{Bar, BarChart, Legend, Plot};

const CURRENCY_COLOURS: [Color32; 4] = [
    Color32::from_rgb(0x15, 0x5F, 0xC8),
    Color32::from_rgb(0x8E, 0x44, 0xAD),
    Color32::from_rgb(0x00, 0x89, 0x7B),
    Color32::from_rgb(0xC2, 0x18, 0x5B),
];

/// Bar charts of sales (and captures) per hour of the day, one series per currency, in major
/// units. Floating point is used for the drawing only.
pub fn sales_by_hour(ui: &mut Ui, report: &ShiftReport, height: f32) {
    let mut currencies: Vec<_> = report.sales_by_hour.iter().map(|(_, c, _)| *c).collect();
    currencies.sort();
    currencies.dedup();
    let width = 0.8 / currencies.len().max(1) as f64;
    let charts: Vec<BarChart> = currencies
        .iter()
        .enumerate()
        .map(|(i, currency)| {
            let scale = 10f64.powi(i32::from(currency.exponent()));
            let bars = report
                .sales_by_hour
                .iter()
                .filter(|(_, c, _)| c == currency)
                .map(|(hour, _, total)| {
                    let x = f64::from(*hour) + width * (i as f64 + 0.5) - 0.4;
                    Bar::new(x, *total as f64 / scale)
                        .width(width)
                        .name(format!("{hour:02}:00 {}", currency.code()))
                })
                .collect();
            BarChart::new(currency.code(), bars).color(CURRENCY_COLOURS[i % CURRENCY_COLOURS.len()])
        })
        .collect();
    Plot::new("reports_sales_by_hour")
        .height(height)
        .legend(Legend::default())
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .include_x(0.0)
        .include_x(24.0)
        .include_y(0.0)
        .x_axis_label("hour of the day")
        .show(ui, |plot| {
            for chart in charts {
                plot.bar_chart(chart);
            }
        });
}

/// One bar each for approved, declined and unknown operations.
pub fn outcomes(ui: &mut Ui, report: &ShiftReport, height: f32) {
    let series =
        [("approved", theme::APPROVED), ("declined", theme::DECLINED), ("unknown", theme::ATTENTION)];
    Plot::new("reports_outcomes")
        .height(height)
        .legend(Legend::default())
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .include_y(0.0)
        .show_x(false)
        .x_axis_formatter(|mark, _| match mark.value.round() as i64 {
            0 => "approved".into(),
            1 => "declined".into(),
            2 => "unknown".into(),
            _ => String::new(),
        })
        .show(ui, |plot| {
            for (i, (name, colour)) in series.into_iter().enumerate() {
                let bar = Bar::new(i as f64, report.outcomes[i] as f64).width(0.6).name(name);
                plot.bar_chart(BarChart::new(name, vec![bar]).color(colour));
            }
        });
}
