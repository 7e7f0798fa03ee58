//! Names the service makes up: merchant references, and who is recorded as the operator.

/// Who is recorded as having done an operation: the operator set in Settings, else the
/// computer's user name.
pub fn operator_name(configured: &str) -> String {
    let configured = configured.trim();
    if !configured.is_empty() {
        return configured.to_owned();
    }
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "operator".to_owned())
}

/// A new merchant reference: `MT-`, the installation's prefix, the date and 8 random characters
/// (the first a letter), e.g. `MT-KQZT-261204-H7K2M9PX`. The prefix keeps two installations on one
/// merchant account apart; the letters keep any run of digits short (a reference never looks like
/// a card number), and 23 characters fit APS's 40.
pub fn new_reference(prefix: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = now.timestamp_subsec_nanos().to_le_bytes();
        bytes[..4].copy_from_slice(&nanos);
    }
    let suffix: String = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let set = if i == 0 { LETTERS } else { ALPHABET };
            char::from(set[usize::from(*b) % set.len()])
        })
        .collect();
    format!("MT-{prefix}-{}-{suffix}", now.format("%y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_valid_and_distinct() {
        let now = chrono::Utc::now();
        let a = new_reference("KQZT", now);
        let b = new_reference("KQZT", now);
        assert_ne!(a, b);
        assert!(a.len() <= 40);
        assert!(a.starts_with("MT-KQZT-"), "{a}");
        crate::aps::fields::check(crate::aps::field::Field::MerchantReference, &a).unwrap();
    }

    #[test]
    fn references_never_hold_a_long_run_of_digits() {
        let now = chrono::Utc::now();
        for _ in 0..2000 {
            let r = new_reference("ABCD", now);
            // Digits joined by separators count as one run, as the card-number guard reads them.
            let longest = r
                .split(|c: char| c.is_ascii_alphabetic())
                .map(|run| run.chars().filter(char::is_ascii_digit).count())
                .max()
                .unwrap_or(0);
            assert!(longest < 12, "{r}");
            crate::journal::refuse_card_numbers("merchant_reference", &r).unwrap();
        }
    }
}
