//! Only the public test cards get into the simulator; any other card number is refused as APS
//! refuses an invalid one, and leaves no trace.

use super::*;
use moto_terminal::sim::{SeedToken, SimError, TEST_CARDS};

/// Valid card numbers (Luhn, brand) that are not test cards. Published example numbers only.
const NOT_TEST_CARDS: [&str; 3] = ["4111111111111111", "5555555555554444", "378282246310005"];

fn card_charge(command: &str, reference: &str, card: &str) -> Value {
    json!({
        "command": command, "merchant_reference": reference, "amount": "2000", "currency": "AED",
        "customer_email": "agent@example.com", "eci": "MOTO", "card_number": card, "expiry_date": "3012"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_that_is_not_a_test_card_is_refused_as_invalid() {
    let sim = demo().await;
    for card in NOT_TEST_CARDS {
        let sale = sim.send(card_charge("PURCHASE", &reference("NT"), card)).await;
        assert_eq!(code(&sale), "13016", "{sale:?}");
        let auth = sim.send(card_charge("AUTHORIZATION", &reference("NT"), card)).await;
        assert_eq!(code(&auth), "03016");
        let token = sim
            .send(json!({
                "service_command": "CREATE_TOKEN", "merchant_reference": reference("NT"), "card_number": card,
                "expiry_date": "3012", "return_url": "https://merchant.example/return"
            }))
            .await;
        assert_eq!(code(&token), "53016");
        assert!(!token.contains_key("token_name"));
    }
    assert!(sim.truth().await.0.is_empty(), "no order was recorded");
    // Every test card is taken.
    for card in TEST_CARDS {
        let answer = sim.send(card_charge("AUTHORIZATION", &reference("TC"), card)).await;
        assert!(["02000", "03666"].contains(&code(&answer)), "{}: {answer:?}", &card[..6]);
    }
}

#[test]
fn a_seed_token_must_be_a_test_card() {
    for card in NOT_TEST_CARDS {
        let error = SeedToken::parse(&format!("DESK-1:{card}:3012")).unwrap_err();
        assert!(matches!(error, SimError::SeedToken { .. }), "{error}");
        assert!(error.to_string().contains("test card") && !error.to_string().contains(card), "{error}");
    }
    assert!(SeedToken::parse("DESK-1:4557012345678902:3012").is_ok());
}
