//! The only card numbers the simulator accepts: the public APS test cards (spec 6) and the
//! "Visa declined" card of the Demo tokens. They are published on purpose, so accepting nothing
//! else means a real customer's card can never end up in the simulator, its state file or its
//! request log, even when someone types one into the Demo merchant by mistake.
//!
//! Their masked forms (first 6, last 4) are all different, so the masked number is enough to
//! recognise "the same card" (unique-token mode): the simulator keeps no fingerprint of a PAN.

/// The accepted numbers (spec 6, plus [`super::DECLINED_CARD`]).
pub const TEST_CARDS: [&str; 11] = [
    "4005550000000001",    // Visa
    "5123456789012346",    // Mastercard
    "345678901234564",     // American Express
    "4557012345678902",    // Visa 3-D Secure
    "5313581000123430",    // Mastercard 3-D Secure
    "374200000000004",     // American Express 3-D Secure
    "5297412542005689",    // mada
    "9818950527886700002", // Meeza
    "5078036221028566",    // Meeza
    "4215375500883243",    // NAPS (Visa)
    super::DECLINED_CARD,  // Visa, declined by the issuer (the Demo's declined token)
];

/// True for one of [`TEST_CARDS`] (digits only, as APS receives `card_number`).
pub fn is_test_card(digits: &str) -> bool {
    TEST_CARDS.contains(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aps::card::CardNumber;

    #[test]
    fn every_test_card_is_a_valid_card_with_its_own_masked_form() {
        let mut masked: Vec<String> = TEST_CARDS
            .iter()
            .map(|n| {
                CardNumber::parse(n).unwrap_or_else(|e| panic!("{}: {e}", crate::aps::card::mask_pan(n)))
            })
            .map(|c| c.masked())
            .collect();
        masked.sort();
        masked.dedup();
        assert_eq!(masked.len(), TEST_CARDS.len(), "two test cards share a masked form");
        assert!(is_test_card("4005550000000001") && !is_test_card("4111111111111111"));
        for seed in super::super::demo_tokens() {
            assert!(is_test_card(seed.card_number.expose()), "{}", seed.name);
        }
    }
}
