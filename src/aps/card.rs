//! Keyed card data for the trusted channel (spec 3.3): card number, expiry date and CVV.
//!
//! The number and the CVV live in wrapper types that wipe their digits when dropped and whose
//! `Debug` (and, for the number, `Display`) show only the masked form, so a card can be passed
//! around, logged and journaled without the full number or the CVV ever reaching text.
//! Everything here is pure: the current date is passed in, nothing is read from a clock.

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

mod brand;
mod scan;
pub use brand::{Brand, detect_brand};
pub use scan::{contains_card_number, identifier_shaped};

/// Why typed card data was refused. Every message names the field and the fix, for an agent on
/// the phone, and never repeats the digits that were typed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("card number is empty: type the long number from the front of the card")]
    NumberEmpty,
    #[error("card number can only contain digits (spaces and dashes are ignored): retype it from the card")]
    NumberNotDigits,
    #[error(
        "card number has {got} digits, but card numbers have 13 to 19: check for a missing or extra digit"
    )]
    NumberLength { got: usize },
    #[error(
        "card number is not a Visa, Mastercard, American Express, mada or Meeza card: check the first digits, or ask for another card"
    )]
    UnknownBrand,
    #[error(
        "card number has {got} digits, but {brand} card numbers have {}: check for a missing or extra digit",
        lengths_phrase(.brand.lengths())
    )]
    BrandLength { brand: Brand, got: usize },
    #[error("card number is not valid (a digit is wrong or two digits are swapped): retype it from the card")]
    Checksum,
    #[error(
        "expiry date must be the month then the year, as printed on the card (like 05/27): retype it from the card"
    )]
    ExpiryFormat,
    #[error("expiry date month must be 01 to 12: type the month first, then the year (like 05/27)")]
    ExpiryMonth,
    #[error("expiry date year must be in 2000 to 2099: type the year as 2 digits (like 05/27)")]
    ExpiryYear,
    #[error(
        "expiry date from APS must be 4 digits, year then month (YYMM, like 2705): ask the customer for the card's expiry date"
    )]
    ExpiryWire,
    #[error("expiry date has passed, so the card has expired: ask the customer for another card")]
    Expired,
    #[error("CVV must be {} digits for {brand} cards: read it from the {} of the card", .brand.cvv_len(), .brand.cvv_side())]
    Cvv { brand: Brand },
}

/// "15", "16 or 19": the allowed lengths as an agent would say them.
fn lengths_phrase(lengths: &[usize]) -> String {
    let mut out = String::new();
    for (i, len) in lengths.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == lengths.len() { " or " } else { ", " });
        }
        out.push_str(&len.to_string());
    }
    out
}

/// The Luhn (mod 10) check digit test every card number passes. False for an empty string or
/// any non-digit, so a caller cannot mistake "nothing to check" for "valid".
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Masks a card number for display and echo: first 6 and last 4 kept, `*` in between (PCI
/// DSS's most that may be shown). Strings shorter than any card number (13) are fully starred,
/// since keeping 10 characters of them would show most or all of it. Works on characters, so
/// an already-masked number comes back unchanged.
pub fn mask_pan(digits: &str) -> String {
    let count = digits.chars().count();
    if count < 13 {
        return "*".repeat(count);
    }
    digits.chars().enumerate().map(|(i, c)| if i < 6 || i >= count - 4 { c } else { '*' }).collect()
}

/// A card number that passed every local check: digits only, a known brand, a length that brand
/// uses and the Luhn check. The digits are wiped when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber {
    digits: String,
    brand: Brand,
}

impl CardNumber {
    /// Parses a number as an agent types it: spaces and dashes between groups are dropped.
    pub fn parse(text: &str) -> Result<CardNumber, CardError> {
        // Sized up front so the digits are never reallocated (a reallocation would leave a copy
        // in freed memory), and wiped on every error path.
        let mut digits = Zeroizing::new(String::with_capacity(text.len()));
        for c in text.trim().chars() {
            match c {
                ' ' | '-' => {}
                '0'..='9' => digits.push(c),
                _ => return Err(CardError::NumberNotDigits),
            }
        }
        let got = digits.len();
        if got == 0 {
            return Err(CardError::NumberEmpty);
        }
        if !(13..=19).contains(&got) {
            return Err(CardError::NumberLength { got });
        }
        let brand = detect_brand(&digits).ok_or(CardError::UnknownBrand)?;
        if !brand.lengths().contains(&got) {
            return Err(CardError::BrandLength { brand, got });
        }
        if !luhn_valid(&digits) {
            return Err(CardError::Checksum);
        }
        Ok(CardNumber { digits: std::mem::take(&mut *digits), brand })
    }

    pub fn brand(&self) -> Brand {
        self.brand
    }

    /// "400555******0001": safe to show, log and store.
    pub fn masked(&self) -> String {
        mask_pan(&self.digits)
    }

    pub fn last4(&self) -> &str {
        self.digits.get(self.digits.len().saturating_sub(4)..).unwrap_or("")
    }

    /// The BIN as APS reports it in `card_bin` (spec 3.9): 6 digits, or 8 for 19-digit Meeza.
    pub fn bin(&self) -> &str {
        let len = if self.brand == Brand::Meeza && self.digits.len() == 19 { 8 } else { 6 };
        self.digits.get(..len).unwrap_or("")
    }

    /// The full digits, only for building the APS request. Never format this into text.
    pub fn expose(&self) -> &str {
        &self.digits
    }
}

impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({})", self.masked())
    }
}

impl Drop for CardNumber {
    fn drop(&mut self) {
        self.digits.zeroize();
    }
}

/// A card's expiry month. Cards are valid through the last day of that month.
///
/// Years are kept as 4 digits but limited to 2000-2099, the only years APS's 2-digit `YYMM`
/// wire form can carry. Deserializing re-checks the month and year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawExpiry")]
pub struct Expiry {
    // Field order matters: the derived ordering compares the year first.
    year: u16,
    month: u8,
}

#[derive(serde::Deserialize)]
struct RawExpiry {
    year: u16,
    month: u8,
}

impl TryFrom<RawExpiry> for Expiry {
    type Error = CardError;
    fn try_from(raw: RawExpiry) -> Result<Self, Self::Error> {
        Expiry::new(raw.year, raw.month)
    }
}

/// Parses 1 to 4 ASCII digits; `None` for anything else (so "+5" or "" never pass).
fn small_number(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl Expiry {
    /// An expiry from a 4-digit year and a month.
    pub fn new(year: u16, month: u8) -> Result<Expiry, CardError> {
        if !(1..=12).contains(&month) {
            return Err(CardError::ExpiryMonth);
        }
        if !(2000..=2099).contains(&year) {
            return Err(CardError::ExpiryYear);
        }
        Ok(Expiry { year, month })
    }

    /// Parses what is printed on the card, month first: "05/27", "5/27", "05-27", "0527",
    /// "05 / 27", "05/2027", "052027".
    pub fn parse(text: &str) -> Result<Expiry, CardError> {
        let parts: Vec<&str> = text.split(['/', '-', '.', ' ']).filter(|p| !p.is_empty()).collect();
        let (month, year) = match parts.as_slice() {
            [month, year] if month.len() <= 2 && matches!(year.len(), 2 | 4) => (*month, *year),
            [joined] if matches!(joined.len(), 4 | 6) && joined.is_ascii() => joined.split_at(2),
            _ => return Err(CardError::ExpiryFormat),
        };
        let month = small_number(month).ok_or(CardError::ExpiryFormat)?;
        let month = u8::try_from(month).map_err(|_| CardError::ExpiryMonth)?;
        let year_number = small_number(year).ok_or(CardError::ExpiryFormat)?;
        // Only a 2-digit year is short for 20YY; "0027" is the year 27 and is refused.
        let year = if year.len() == 2 { 2000 + year_number } else { year_number };
        Expiry::new(year, month)
    }

    /// Parses APS's `expiry_date`, which is year then month: "2705" is May 2027 (spec 3.3).
    pub fn from_wire(yymm: &str) -> Result<Expiry, CardError> {
        if yymm.len() != 4 || !yymm.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::ExpiryWire);
        }
        let (yy, mm) = yymm.split_at(2);
        let year = small_number(yy).ok_or(CardError::ExpiryWire)?;
        let month = small_number(mm).ok_or(CardError::ExpiryWire)?;
        let month = u8::try_from(month).map_err(|_| CardError::ExpiryWire)?;
        Expiry::new(2000 + year, month).map_err(|_| CardError::ExpiryWire)
    }

    /// APS's `expiry_date` form, YYMM.
    pub fn wire(self) -> String {
        format!("{:02}{:02}", self.year % 100, self.month)
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// True once the expiry month is over: a card marked 05/27 still works on 31 May 2027.
    pub fn is_expired(self, today_year: u16, today_month: u8) -> bool {
        (self.year, self.month) < (today_year, today_month)
    }

    /// [`Expiry::is_expired`] as an error an agent can read.
    pub fn check_not_expired(self, today_year: u16, today_month: u8) -> Result<(), CardError> {
        if self.is_expired(today_year, today_month) { Err(CardError::Expired) } else { Ok(()) }
    }

    /// "05/27", as printed on the card.
    pub fn display(self) -> String {
        format!("{:02}/{:02}", self.month, self.year % 100)
    }
}

/// A card security code of the right length for its brand. Wiped when dropped; there is no
/// `Display`, and `Debug` shows only stars.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvv(String);

impl Cvv {
    pub fn parse(text: &str, brand: Brand) -> Result<Cvv, CardError> {
        let text = text.trim();
        if text.len() != brand.cvv_len() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::Cvv { brand });
        }
        Ok(Cvv(text.to_owned()))
    }

    /// The digits, only for building the APS request. Never format this into text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cvv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvv(***)")
    }
}

impl Drop for Cvv {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests;
