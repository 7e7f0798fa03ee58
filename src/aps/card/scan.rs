//! Finding a card number hidden in text: a name, a reference, a note, an address.
//!
//! Agents paste and type into every field, so a card number can arrive where no card number
//! belongs, and from there reach the journal or APS in clear. This is the one detector the
//! service and the journal both use. It looks for 12 to 19 digits that pass the Luhn check,
//! written together or in groups split by spaces, dashes, dots, slashes or underscores
//! (`4005 5500 0000 0001`, `4005-5500-0000-0001`, `4005.5500.0000.0001`).
//!
//! Groups are taken whole: any run of consecutive groups whose digits add up to 12..=19 is
//! checked, so a card typed with its expiry or CVV after it (`4005 5500 0000 0001 05 30`) is
//! still found, while one unbroken run of 20 or more digits (an APS `fort_id`, a long slip
//! number) is not a card number and is never cut into pieces to make one. Arabic-Indic and
//! full-width digits count as digits: an Arabic keyboard types them.

use super::luhn_valid;

/// Shortest and longest card numbers in use (Maestro has 12 digits, some schemes 19).
const MIN_DIGITS: usize = 12;
const MAX_DIGITS: usize = 19;
/// Separator characters allowed between two groups (`4005 - 5500` has three).
const MAX_GAP: usize = 3;

/// True when `text` holds something shaped like a card number. See the module docs.
pub fn contains_card_number(text: &str) -> bool {
    // Most text (a name, an email, a reference) has too few digits to hold one: no need to
    // look for groups.
    if text.chars().filter(|&c| ascii_digit(c).is_some()).nth(MIN_DIGITS - 1).is_none() {
        return false;
    }
    let mut groups: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut gap = 0usize;
    for c in text.chars() {
        if let Some(d) = ascii_digit(c) {
            if gap > 0 && current.is_empty() {
                gap = 0;
            }
            current.push(d);
        } else if is_separator(c) && (!current.is_empty() || !groups.is_empty()) && gap < MAX_GAP {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
            gap += 1;
        } else {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
            if any_window_is_a_card(&groups) {
                return true;
            }
            groups.clear();
            gap = 0;
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    any_window_is_a_card(&groups)
}

/// Whether `text` is shaped like an identifier APS issues (a token name of hex characters,
/// say): one word of ASCII letters and digits, with both, whose every run of 12 or more digits
/// has letters on both sides. Such a word may hold a run that passes the Luhn check by chance;
/// a person typing a card number writes digits alone, with spaces or dashes, or after a word
/// (`ali4111111111111111`), and that is never this shape. Where the token book can settle it
/// (it holds the names APS issued), it should; this is for where it cannot, as a hint.
pub fn identifier_shaped(text: &str) -> bool {
    let text = text.trim();
    let word = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric())
        && text.bytes().any(|b| b.is_ascii_alphabetic())
        && text.bytes().any(|b| b.is_ascii_digit());
    // Runs of digits, with whether each touches the start or the end of the word.
    let bytes = text.as_bytes();
    let mut start = 0;
    while word && start < bytes.len() {
        if !bytes[start].is_ascii_digit() {
            start += 1;
            continue;
        }
        let end = bytes[start..].iter().position(|b| !b.is_ascii_digit()).map_or(bytes.len(), |n| start + n);
        if end - start >= MIN_DIGITS && (start == 0 || end == bytes.len()) {
            return false;
        }
        start = end;
    }
    word
}

/// Checks every run of consecutive whole groups with 12..=19 digits.
fn any_window_is_a_card(groups: &[String]) -> bool {
    for start in 0..groups.len() {
        let mut digits = String::with_capacity(MAX_DIGITS);
        for group in &groups[start..] {
            if digits.len() + group.len() > MAX_DIGITS {
                break;
            }
            digits.push_str(group);
            if digits.len() >= MIN_DIGITS && luhn_valid(&digits) {
                return true;
            }
        }
    }
    false
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '.' | '/' | '_') || c.is_whitespace()
}

/// The ASCII digit for an ASCII, Arabic-Indic, Extended Arabic-Indic or full-width digit.
fn ascii_digit(c: char) -> Option<char> {
    let zero = match c {
        '0'..='9' => '0',
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        '\u{FF10}'..='\u{FF19}' => '\u{FF10}',
        _ => return None,
    };
    let value = u32::from(c) - u32::from(zero);
    char::from_digit(value, 10)
}

#[cfg(test)]
mod tests {
    use super::contains_card_number as found;

    #[test]
    fn whole_and_split_card_numbers_are_found() {
        for text in [
            "4005550000000001",
            "4005 5500 0000 0001",
            "4005-5500-0000-0001",
            "4005.5500.0000.0001",
            "4005/5500/0000/0001",
            "4005_5500_0000_0001",
            "4005 - 5500 - 0000 - 0001",
            "  4005550000000001  ",
            "ORD4005550000000001",
            "card 4005 5500 0000 0001 exp 05/30",
            "4005 5500 0000 0001 05 30 123",
            "5123-4567-8901-2346",
            "371449635398431",
            "٤٠٠٥٥٥٠٠٠٠٠٠٠٠٠١",
            "４００５５５０００００００００１",
        ] {
            assert!(found(text), "{text}");
        }
    }

    #[test]
    fn twelve_and_nineteen_digits_are_the_limits() {
        // 12345678903 is Luhn-valid with 11 digits: too short for a card.
        assert!(!found("12345678903"));
        assert!(found("123456789031"), "12 digits, Luhn-valid");
        assert!(found("1234567890123456785"), "19 digits, Luhn-valid");
        // 20 digits in one run: an APS fort_id, never a card, and never cut to make one.
        assert!(!found("16999620001234567894"));
        assert!(!found("12345678901234567890123"));
    }

    #[test]
    fn what_is_not_a_card_number_passes() {
        for text in [
            "",
            "4005550000000002",
            "4005 5500 0000 0002",
            "MT-261125-AB23CD45",
            "order 12345 for Fatima",
            "+971 50 123 4567",
            "400555******0001",
            "2026-11-25 10:30",
            "4005 5500 ABCD 0000 0001",
        ] {
            assert!(!found(text), "{text}");
        }
    }

    #[test]
    fn identifier_shape_is_one_word_of_letters_and_digits() {
        use super::identifier_shaped as shaped;
        for text in ["a3f4005550000000001bc9e7d2f0a1b2", " ORD4005550000000001x ", "tok1", "1abc2"] {
            assert!(shaped(text), "{text}");
        }
        for text in [
            "ali4111111111111111",
            "4005550000000001abc",
            "4005550000000001",
            "4005 5500 0000 0001",
            "card 4005550000000001",
            "tok_4005550000000001",
            "abc",
            "",
        ] {
            assert!(!shaped(text), "{text}");
        }
    }

    #[test]
    fn letters_end_a_group_and_wide_gaps_split_it() {
        assert!(!found("4005 5500 x 0000 0001"));
        assert!(!found("4005    5500    0000    0001"), "four spaces between groups");
        assert!(found("note: 4005 5500 0000 0001."));
    }
}
