//! The card-number guard at the service's door: a card number typed where none belongs (a
//! token name, a reference, an agreement id, a name, a note) is refused before anything is
//! recorded or sent, with the field named and what to do instead.
//!
//! Only the keyed card's own number field may hold a card number; it goes to APS over the
//! trusted channel and the journal keeps only its masked form. Every other field the agent
//! types is stored in the journal and echoed by APS, so a card number there would sit in clear
//! on disk. The journal refuses it too (its last guard); this one answers first, in words an
//! agent can act on. The detector is the protocol core's ([`contains_card_number`]).

use super::charge::{ChargeDraft, PaymentDraft};
use super::links::LinkDraft;
use super::recurring::AgreementDraft;
use super::tokens::{CreateTokenDraft, TokenUpdateDraft};
use super::{Field, ServiceError};
use crate::aps::card::contains_card_number;

/// What to do instead, by field (APS parameter names, as the forms know them).
fn advice(field: Field) -> &'static str {
    match field {
        Field::TokenName => {
            "a saved card is chosen by its token name, never by its number: pick the customer's saved card, or take the card as a keyed card (trusted-channel profiles only)"
        }
        Field::NewTokenName => {
            "name the token without the card number, e.g. the customer's name and the last 4 digits"
        }
        Field::MerchantReference => {
            "use the order's own reference, or leave it empty and the terminal makes one"
        }
        Field::PhoneNumber | Field::CustomerPhone => {
            "write the phone number with its country code after a +, e.g. +971 50 123 4567"
        }
        Field::AgreementId => {
            "copy the agreement id APS gave with the customer's first payment, not the card number"
        }
        _ => "remove it: a card number may only be typed in the keyed card's number field",
    }
}

/// Refuses `text` when it holds a card number, naming `field`.
///
/// # Errors
/// [`ServiceError::Invalid`] naming the field and what to do.
pub(crate) fn field(field: Field, text: &str) -> Result<(), ServiceError> {
    // A phone number written in international form (+971 50 123 4567, 00971...) is never a card
    // number: no card starts with + or 0. Without this, one phone number in ten (12 or more
    // digits) would pass the Luhn check by chance and be refused.
    let phone = matches!(field, Field::PhoneNumber | Field::CustomerPhone);
    let international = text.trim_start().starts_with('+') || text.trim_start().starts_with("00");
    if phone && international {
        return Ok(());
    }
    if contains_card_number(text) {
        return Err(ServiceError::invalid(
            field,
            format!("this looks like a card number; {}", advice(field)),
        ));
    }
    Ok(())
}

/// A token name that names an existing token, chosen or typed. It is scanned in full unless
/// `in_book`: the token book holds it, so APS issued it, and it is judged as APS's identifier
/// (refused only when its digits are a card's: `journal::check_token_name`). APS's own names
/// may hold a run of digits that passes the Luhn check.
///
/// # Errors
/// As [`field`].
pub(crate) fn token_name(name: &str, in_book: bool) -> Result<(), ServiceError> {
    let refused = |why: &str| {
        Err(ServiceError::invalid(
            Field::TokenName,
            format!("this looks like a card number{why}; {}", advice(Field::TokenName)),
        ))
    };
    if crate::journal::card_like_id(name) {
        return refused("");
    }
    if !in_book && contains_card_number(name) {
        // It may be APS's own name of a token this book never saw (made on the website, say).
        return refused(", and no saved card of this profile has this token name");
    }
    Ok(())
}

fn fields(pairs: &[(Field, &str)]) -> Result<(), ServiceError> {
    pairs.iter().try_for_each(|(name, text)| field(*name, text))
}

/// Every typed field of a charge but the keyed card's number, expiry and CVV; `in_book`: the
/// token book holds the draft's token (see [`token_name`]).
pub(crate) fn charge(draft: &ChargeDraft, in_book: bool) -> Result<(), ServiceError> {
    match &draft.payment {
        PaymentDraft::Token(token) => token_name(token, in_book)?,
        PaymentDraft::Card(card) => field(Field::CardHolderName, &card.holder_name)?,
    }
    let mail = draft.mail.clone().unwrap_or_default();
    fields(&[
        (Field::MerchantReference, &draft.merchant_reference),
        (Field::AgreementId, draft.agreement_id.as_deref().unwrap_or_default()),
        (Field::CustomerEmail, &draft.customer_email),
        (Field::CustomerName, &draft.customer_name),
        (Field::PhoneNumber, &draft.phone_number),
        (Field::OrderDescription, &draft.description),
        (Field::SlipNumber, &mail.slip_number),
        (Field::OrderDate, &mail.order_date),
        (Field::PostalAddress, &mail.postal_address),
    ])
}

/// `in_book`: the token book holds the token to update (see [`token_name`]).
pub(crate) fn token_update(draft: &TokenUpdateDraft, in_book: bool) -> Result<(), ServiceError> {
    token_name(&draft.token_name, in_book)?;
    fields(&[(Field::NewTokenName, &draft.new_token_name), (Field::CardHolderName, &draft.holder_name)])
}

pub(crate) fn create_token(draft: &CreateTokenDraft) -> Result<(), ServiceError> {
    fields(&[
        (Field::TokenName, &draft.token_name),
        (Field::CustomerEmail, &draft.customer_email),
        (Field::CustomerName, &draft.customer_name),
        (Field::CardHolderName, &draft.card.holder_name),
    ])
}

pub(crate) fn link(draft: &LinkDraft) -> Result<(), ServiceError> {
    fields(&[
        (Field::MerchantReference, &draft.merchant_reference),
        (Field::CustomerEmail, &draft.customer_email),
        (Field::CustomerName, &draft.customer_name),
        (Field::CustomerPhone, &draft.customer_phone),
        (Field::OrderDescription, &draft.description),
    ])
}

/// `in_book`: the token book holds the agreement's token (see [`token_name`]).
pub(crate) fn agreement(draft: &AgreementDraft, in_book: bool) -> Result<(), ServiceError> {
    token_name(&draft.token_name, in_book)?;
    fields(&[
        (Field::AgreementId, &draft.agreement_id),
        (Field::CustomerEmail, &draft.customer_email),
        (Field::CustomerName, &draft.customer_name),
    ])
}

/// The reference of a capture, void, refund or status check.
pub(crate) fn reference(reference: &str) -> Result<(), ServiceError> {
    field(Field::MerchantReference, reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_field(result: Result<(), ServiceError>) -> Option<Field> {
        match result {
            Err(ServiceError::Invalid { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn a_card_number_as_token_name_is_refused_with_the_field_named() {
        let mut draft = ChargeDraft::new("main", "AED");
        draft.payment = PaymentDraft::Token("4005 5500 0000 0001".into());
        let err = charge(&draft, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("token name: this looks like a card number; {}", advice(Field::TokenName))
        );
        draft.payment = PaymentDraft::Token("jane-visa-0001".into());
        assert!(charge(&draft, false).is_ok());
    }

    #[test]
    fn a_token_name_aps_issued_is_judged_by_its_digits_alone() {
        // 32 hex characters, as the simulator names tokens: a Luhn-valid run inside.
        let issued = "a3f4005550000000001bc9e7d2f0a1b2";
        assert!(crate::aps::card::contains_card_number(issued));
        let mut draft = ChargeDraft::new("main", "AED");
        draft.payment = PaymentDraft::Token(issued.into());
        assert_eq!(refused_field(charge(&draft, false)), Some(Field::TokenName), "typed, unknown");
        assert!(charge(&draft, true).is_ok(), "the token book holds it: APS issued it");
        draft.payment = PaymentDraft::Token("4005-5500-0000-0001".into());
        assert_eq!(refused_field(charge(&draft, true)), Some(Field::TokenName), "a card's digits, always");
        let update = TokenUpdateDraft { token_name: issued.into(), ..Default::default() };
        assert_eq!(refused_field(token_update(&update, false)), Some(Field::TokenName));
        assert!(token_update(&update, true).is_ok());
        let agreement_draft = AgreementDraft { token_name: issued.into(), ..Default::default() };
        assert_eq!(refused_field(agreement(&agreement_draft, false)), Some(Field::TokenName));
        assert!(agreement(&agreement_draft, true).is_ok());
    }

    #[test]
    fn every_typed_field_of_a_charge_is_checked() {
        let card = "4005-5500-0000-0001";
        type Edit = fn(&mut ChargeDraft, &str);
        let cases: [(Field, Edit); 9] = [
            (Field::MerchantReference, |d, v| d.merchant_reference = v.into()),
            (Field::AgreementId, |d, v| d.agreement_id = Some(v.into())),
            (Field::CustomerEmail, |d, v| d.customer_email = v.into()),
            (Field::CustomerName, |d, v| d.customer_name = v.into()),
            (Field::PhoneNumber, |d, v| d.phone_number = v.into()),
            (Field::OrderDescription, |d, v| d.description = v.into()),
            (Field::SlipNumber, |d, v| d.mail.get_or_insert_default().slip_number = v.into()),
            (Field::PostalAddress, |d, v| d.mail.get_or_insert_default().postal_address = v.into()),
            (Field::CardHolderName, |d, v| {
                d.payment = PaymentDraft::Card(super::super::CardDraft {
                    holder_name: v.into(),
                    ..Default::default()
                })
            }),
        ];
        for (name, set) in cases {
            let mut draft = ChargeDraft::new("main", "AED");
            draft.payment = PaymentDraft::Token("jane-visa".into());
            set(&mut draft, card);
            assert_eq!(refused_field(charge(&draft, false)), Some(name));
        }
    }

    #[test]
    fn tokens_links_agreements_and_references_are_checked() {
        let card = "4005.5500.0000.0001";
        let update =
            TokenUpdateDraft { token_name: "t1".into(), new_token_name: card.into(), ..Default::default() };
        assert_eq!(refused_field(token_update(&update, false)), Some(Field::NewTokenName));
        let create = CreateTokenDraft { token_name: card.into(), ..Default::default() };
        assert_eq!(refused_field(create_token(&create)), Some(Field::TokenName));
        let link_draft = LinkDraft { customer_phone: card.into(), ..Default::default() };
        assert_eq!(refused_field(link(&link_draft)), Some(Field::CustomerPhone));
        let agreement_draft = AgreementDraft { agreement_id: card.into(), ..Default::default() };
        assert_eq!(refused_field(agreement(&agreement_draft, false)), Some(Field::AgreementId));
        assert_eq!(refused_field(reference(card)), Some(Field::MerchantReference));
        assert!(reference("MT-261125-ABCD2345").is_ok());
        assert!(
            agreement(&AgreementDraft { agreement_id: "AGR-77".into(), ..Default::default() }, false).is_ok()
        );
    }

    #[test]
    fn international_phone_numbers_are_never_taken_for_cards() {
        // 971501234563 passes the Luhn check: written with its + it is plainly a phone number.
        assert!(crate::aps::card::contains_card_number("971 50 123 4563"));
        for phone in ["+971 50 123 4563", "+971501234563", "00971 50 123 4563", " +44 7911 123456"] {
            field(Field::PhoneNumber, phone).unwrap();
            field(Field::CustomerPhone, phone).unwrap();
        }
        let err = field(Field::PhoneNumber, "4005 5500 0000 0001").unwrap_err();
        assert!(err.to_string().contains("country code after a +"), "{err}");
    }
}
