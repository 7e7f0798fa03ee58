//! The phone order's saved-card picker finds a card by its customer: name, email or phone (as
//! typed by an agent, spaces and all), and shows the customer the search found first. With
//! APS's unique tokens one card has two customers here, and either one finds it.

use super::{FakeDialogs, UiRig, shows, type_into, value_of, wait_for_text};
use egui_kittest::kittest::Queryable;
use moto_terminal::aps::response::Kind;
use moto_terminal::service::Progress;

/// The token book after three phone orders: DEMO-VISA-0001 paid by Layla and by Omar (one
/// family card), DEMO-MC-2346 by Sara.
fn book_with_customers(ui: &UiRig) {
    for (token, amount, name, email, phone) in [
        ("DEMO-VISA-0001", "1.00", "Layla Haddad", "layla@example.com", "+971 50 123 4567"),
        ("DEMO-VISA-0001", "2.00", "Omar Khalil", "omar@example.com", "+966 55 765 4321"),
        ("DEMO-MC-2346", "3.00", "Sara Al Mansoori", "sara@example.com", "+971 52 345 6789"),
    ] {
        let mut sale = ui.rig.token_sale(token, amount);
        (sale.customer_name, sale.customer_email, sale.phone_number) =
            (name.into(), email.into(), phone.into());
        let outcome = ui.rt.block_on(ui.rig.service.charge(sale, &Progress::none())).unwrap();
        assert_eq!(outcome.verdict.kind, Kind::Approved);
    }
}

/// Types `query` into a new phone order's saved-card field and waits for `offered`; the card
/// of `not_offered` must not be in the list.
fn search(
    ui: &UiRig,
    query: &str,
    offered: &str,
    not_offered: &str,
) -> egui_kittest::Harness<'static, moto_terminal::ui::TerminalApp> {
    let mut harness = ui.app(FakeDialogs::default());
    type_into(&mut harness, "Saved card", query);
    wait_for_text(&mut harness, offered);
    assert!(!shows(&harness, not_offered), "{query}: {not_offered} is offered too");
    harness
}

#[test]
fn the_saved_card_picker_finds_a_card_by_its_customers_name_email_or_phone() {
    let ui = UiRig::new();
    book_with_customers(&ui);

    let harness =
        search(&ui, "Sara", "card ending 2346, token DEMO-MC-2346, Sara Al Mansoori", "DEMO-VISA-0001");
    assert_eq!(value_of(&harness, "Customer email"), "sara@example.com", "the customer comes with the card");
    search(&ui, "345 6789", "token DEMO-MC-2346, Sara Al Mansoori", "DEMO-VISA-0001");

    // One card, two customers: each finds it, and is shown (and filled in) first.
    let omar = "token DEMO-VISA-0001, Omar Khalil <omar@example.com> +966 55 765 4321 (and 1 more customer)";
    for query in ["omar@example", "Khalil", "055 765 4321"] {
        let harness = search(&ui, query, omar, "DEMO-MC-2346");
        assert_eq!(value_of(&harness, "Customer email"), "omar@example.com", "{query}");
        assert_eq!(value_of(&harness, "Customer name"), "Omar Khalil", "{query}");
        assert_eq!(value_of(&harness, "Phone number"), "+966 55 765 4321", "{query}");
    }
    let layla =
        "token DEMO-VISA-0001, Layla Haddad <layla@example.com> +971 50 123 4567 (and 1 more customer)";
    search(&ui, "LAYLA", layla, "DEMO-MC-2346");
    search(&ui, "+971 50 123", layla, "DEMO-MC-2346");

    // Nobody of that name: the text is taken as a token name, as before.
    let mut harness = ui.app(FakeDialogs::default());
    type_into(&mut harness, "Saved card", "Nadia");
    wait_for_text(&mut harness, "No saved card matches");
}

#[test]
fn a_search_the_token_book_refuses_says_so_and_is_not_taken_for_no_match() {
    let ui = UiRig::new();
    book_with_customers(&ui);
    // The same journal on a desk whose keychain lost the audit key: nothing is allowed.
    let lost = ui.rig.other_keychain(ui.rig.journal.clone());
    let mut harness = ui.app_on(lost);
    type_into(&mut harness, "Saved card", "Layla");
    wait_for_text(&mut harness, "The token book could not be searched: not allowed");
    assert!(shows(&harness, "audit key renew"), "the way out is named");
    assert!(!shows(&harness, "No saved card matches"));
}

#[test]
fn a_token_name_shaped_as_aps_issues_them_stays_in_the_saved_card_field() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    // 32 hex characters with a run of digits that passes the Luhn check: searched, not taken.
    let issued = "a3f4005550000000001bc9e7d2f0a1b2";
    type_into(&mut harness, "Saved card", issued);
    wait_for_text(&mut harness, "No saved card has this token name");
    assert_eq!(value_of(&harness, "Saved card"), issued);
    assert!(!shows(&harness, "will be used as the token name"), "the name is not repeated");
    // A card number typed there is still taken out of the field, to keyed card entry.
    let mut harness = ui.app(FakeDialogs::default());
    type_into(&mut harness, "Saved card", "4005 5500 0000 0001");
    assert!(
        harness.query_by_label("Saved card").is_none() && harness.query_by_label("Card number").is_some()
    );
}
