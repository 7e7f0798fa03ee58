//! A card number typed where none belongs (a token name, a reference, an agreement id) is
//! refused by the service with the field named: nothing reaches the journal or APS.

use super::rig::{PROFILE, Rig};
use moto_terminal::service::{AgreementDraft, Field, Progress, ServiceError};

/// The public Visa test card, written the ways an agent might type it.
const SPLIT_CARDS: [&str; 4] =
    ["4005550000000001", "4005 5500 0000 0001", "4005-5500-0000-0001", "4005.5500.0000.0001"];

fn refused_field<T: std::fmt::Debug>(result: Result<T, ServiceError>) -> (Field, String) {
    let err = result.expect_err("a field error");
    let message = err.to_string();
    match err {
        ServiceError::Invalid { field, .. } => (field, message),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn assert_nothing_recorded_or_sent(rig: &Rig) {
    let orders = rig.service.search(Default::default()).await.unwrap();
    assert!(orders.is_empty(), "nothing recorded: {orders:?}");
    assert!(rig.sim.requests().is_empty(), "nothing sent to APS");
    assert!(rig.service.agreements(PROFILE).await.unwrap().is_empty(), "no agreement stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_number_as_token_name_is_refused_before_anything_is_recorded() {
    let rig = Rig::new().await;
    for card in SPLIT_CARDS {
        let result = rig.service.charge(rig.token_sale(card, "10.00"), &Progress::none()).await;
        let (field, message) = refused_field(result);
        assert_eq!(field, Field::TokenName, "{card}");
        assert!(message.starts_with("token name: this looks like a card number;"), "{message}");
    }
    assert_nothing_recorded_or_sent(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_number_as_reference_is_refused_before_anything_is_recorded() {
    let rig = Rig::new().await;
    for card in SPLIT_CARDS {
        let mut draft = rig.token_sale("DEMO-VISA-0001", "10.00");
        draft.merchant_reference = format!("ORD {card}");
        let (field, message) = refused_field(rig.service.charge(draft, &Progress::none()).await);
        assert_eq!(field, Field::MerchantReference, "{card}");
        assert!(message.contains("use the order's own reference"), "{message}");
        let (field, _) = refused_field(rig.service.check_status(PROFILE, card, &Progress::none()).await);
        assert_eq!(field, Field::MerchantReference);
        let (field, _) = refused_field(rig.service.void(PROFILE, card, None, &Progress::none()).await);
        assert_eq!(field, Field::MerchantReference);
    }
    assert_nothing_recorded_or_sent(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_number_as_agreement_id_is_refused_before_anything_is_recorded() {
    let rig = Rig::new().await;
    for card in SPLIT_CARDS {
        let draft = AgreementDraft {
            token_name: "DEMO-VISA-0001".into(),
            agreement_id: card.into(),
            customer_email: "caller@example.com".into(),
            amount: "25.00".into(),
            currency: "AED".into(),
            cycle: "30".into(),
            ..Default::default()
        };
        let (field, message) = refused_field(rig.service.add_agreement(PROFILE, draft).await);
        assert_eq!(field, Field::AgreementId, "{card}");
        assert!(message.starts_with("agreement id: this looks like a card number;"), "{message}");

        let mut charge = rig.token_sale("DEMO-VISA-0001", "10.00");
        charge.recurring = true;
        charge.agreement_id = Some(card.into());
        let (field, _) = refused_field(rig.service.charge(charge, &Progress::none()).await);
        assert_eq!(field, Field::AgreementId);
    }
    assert_nothing_recorded_or_sent(&rig).await;
}
