//! The keyed card's number and CVV never leave through the desktop session: the accessibility
//! tree (which any program in the session can read) gets them masked even while the agent sees
//! the digits, and Copy, Cut or a selection put nothing on the clipboard.

use super::{input, settle};
use egui::accesskit::Role;
use egui::{Event, Key, Modifiers, OutputCommand};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use moto_terminal::ui::widgets::card::{CardFields, CardIds};

const PAN: &str = "4005550000000001";

fn card_harness() -> Harness<'static, CardFields> {
    let mut harness = Harness::builder().with_size([900.0, 500.0]).build_ui_state(
        |ui, card: &mut CardFields| {
            card.ui(ui, CardIds::new(egui::Id::unique("card")), false, (2026, 1));
        },
        CardFields::default(),
    );
    settle(&mut harness);
    harness
}

/// Every value and label published to accessibility, text runs included.
fn published(harness: &Harness<'_, CardFields>) -> Vec<String> {
    harness
        .query_all_by(|node| node.value().is_some() || node.label().is_some())
        .flat_map(|node| {
            let n = node.accesskit_node();
            [n.value(), n.label()]
        })
        .flatten()
        .collect()
}

fn type_card(harness: &mut Harness<'_, CardFields>) {
    input(harness, "Card number").focus();
    settle(harness);
    input(harness, "Card number").type_text(PAN);
    settle(harness);
    let cvv = harness.get_by_role_and_label(Role::PasswordInput, "CVV (optional)");
    cvv.focus();
    settle(harness);
    harness.get_by_role_and_label(Role::PasswordInput, "CVV (optional)").type_text("123");
    settle(harness);
    input(harness, "Card number").focus();
    settle(harness);
}

#[test]
fn the_accessible_value_of_the_card_number_is_masked_while_it_is_typed() {
    let mut harness = card_harness();
    type_card(&mut harness);
    assert!(input(&harness, "Card number").is_focused());
    assert_eq!(harness.state().number().as_str(), PAN, "the agent typed the whole number");
    assert_eq!(input(&harness, "Card number").value().as_deref(), Some("400555******0001"));
    let cvv = harness.get_by_role_and_label(Role::PasswordInput, "CVV (optional)").value();
    assert_eq!(cvv.as_deref(), Some("\u{2022}\u{2022}\u{2022}"));
    for text in published(&harness) {
        assert!(!text.contains(PAN) && !text.contains("5500000000"), "published in full: {text}");
        assert!(!text.contains("123"), "the CVV is published: {text}");
    }
}

/// The clipboard commands of the next frame.
fn clipboard_after(harness: &mut Harness<'_, CardFields>, event: Option<Event>) -> Vec<String> {
    if let Some(event) = event {
        harness.event(event);
    }
    harness.step();
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            OutputCommand::CopyText(text) | OutputCommand::TextSelectionSettled(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn copy_cut_and_selection_put_nothing_on_the_clipboard() {
    let mut harness = card_harness();
    type_card(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    let mut clipboard = clipboard_after(&mut harness, None);
    clipboard.extend(clipboard_after(&mut harness, None));
    clipboard.extend(clipboard_after(&mut harness, Some(Event::Copy)));
    clipboard.extend(clipboard_after(&mut harness, Some(Event::Cut)));
    assert_eq!(clipboard, Vec::<String>::new(), "nothing reaches the clipboard or the primary selection");
    assert_eq!(harness.state().number().as_str(), PAN, "Cut did not take the number out either");

    let cvv = harness.get_by_role_and_label(Role::PasswordInput, "CVV (optional)");
    cvv.focus();
    settle(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    let mut clipboard = clipboard_after(&mut harness, Some(Event::Copy));
    clipboard.extend(clipboard_after(&mut harness, Some(Event::Cut)));
    assert_eq!(clipboard, Vec::<String>::new());
    assert_eq!(harness.state().cvv().as_str(), "123");
}
