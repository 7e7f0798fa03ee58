//! Keyed card data for the trusted channel (spec 3.3): card number, expiry date and CVV.
//!
//! The number and the CVV live in wrapper types that wipe their digits when dropped and whose
//! `Debug` (and, for the number, `Display`) show only the masked form, so a card can be passed
//! around, logged and journaled without the full number or the CVV ever reaching text.
//! Everything here is pure: the current date is passed in, nothing is read from a clock.

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

mod scan;
pub use scan::contains_card_number;

/// The card schemes the terminal accepts, named as APS names them in `payment_option` and
/// `card_brand` (spec 3.2, 3.3, 3.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Brand {
    Visa,
    Mastercard,
    Amex,
    Mada,
    Meeza,
}

impl Brand {
    pub const ALL: [Brand; 5] = [Self::Visa, Self::Mastercard, Self::Amex, Self::Mada, Self::Meeza];

    /// The APS `payment_option` value for this brand.
    pub fn payment_option(self) -> &'static str {
        match self {
            Self::Visa => "VISA",
            Self::Mastercard => "MASTERCARD",
            Self::Amex => "AMEX",
            Self::Mada => "MADA",
            Self::Meeza => "MEEZA",
        }
    }

    /// Reads a `payment_option` / `card_brand` value from an APS response.
    pub fn from_payment_option(value: &str) -> Option<Brand> {
        Self::ALL.into_iter().find(|b| b.payment_option() == value)
    }

    /// The name an agent reads on the card (mada writes its name in lower case).
    pub fn label(self) -> &'static str {
        match self {
            Self::Visa => "Visa",
            Self::Mastercard => "Mastercard",
            Self::Amex => "American Express",
            Self::Mada => "mada",
            Self::Meeza => "Meeza",
        }
    }

    /// Amex prints a 4-digit code on the front; the others a 3-digit code on the back (spec 3.3).
    pub fn cvv_len(self) -> usize {
        match self {
            Self::Amex => 4,
            _ => 3,
        }
    }

    /// Allowed card-number lengths.
    ///
    /// Spec 3.3 says "16 digits; AMEX 15; MEEZA 19", and the MEEZA test cards of spec 6 come in
    /// 16 and 19 digits. Visa also allows 19: Visa issues 19-digit PANs in some markets, and
    /// refusing a real card at the terminal costs a sale while APS would reject a wrong one
    /// anyway. 13-digit Visa numbers are no longer issued, so they are refused as typos.
    pub fn lengths(self) -> &'static [usize] {
        match self {
            Self::Visa => &[16, 19],
            Self::Mastercard | Self::Mada => &[16],
            Self::Amex => &[15],
            Self::Meeza => &[16, 19],
        }
    }

    /// Where the CVV is printed, so the error message can tell the agent where to look.
    fn cvv_side(self) -> &'static str {
        match self {
            Self::Amex => "front",
            _ => "back",
        }
    }
}

impl fmt::Display for Brand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

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

/// Card numbers whose first `len` digits, read as a number, lie in `lo..=hi` belong to `brand`.
struct Prefix {
    len: u32,
    lo: u64,
    hi: u64,
    brand: Brand,
}

const fn prefix(brand: Brand, len: u32, lo: u64, hi: u64) -> Prefix {
    Prefix { len, lo, hi, brand }
}

// mada (Saudi debit) BINs. REPRESENTATIVE, NOT COMPLETE: mada publishes no open list; these are
// the BINs in the public list that APS merchant plugins ship (as of about 2023), including the
// spec 6 test card's 529741. They sit inside the Visa and Mastercard ranges, so they are tried
// before those. A mada card missing here is detected as Visa or Mastercard, which APS still
// accepts; refresh the list from APS when it changes.
const MADA_BINS_6: &[u64] = &[
    242030, 403024, 406136, 406996, 407197, 407395, 407520, 409201, 410621, 410685, 410834, 412565, 417633,
    419593, 420132, 421141, 422817, 422818, 422819, 428331, 428671, 428672, 428673, 431361, 432328, 434107,
    439954, 440533, 440647, 440795, 442463, 445564, 446393, 446404, 446672, 455036, 455708, 457865, 457997,
    458456, 462220, 468540, 468541, 468542, 468543, 474491, 483010, 483011, 483012, 484783, 486094, 486095,
    486096, 489318, 489319, 504300, 513213, 520058, 521076, 524130, 524514, 529415, 529741, 530060, 531196,
    535825, 535989, 536023, 537767, 543085, 543357, 549760, 554180, 558563, 588845, 588848, 588850, 589206,
    604906, 605141, 636120, 968201, 968202, 968203, 968204, 968205, 968206, 968207, 968208, 968209, 968211,
];
const MADA_BINS_8: &[u64] = &[22337902, 22337986, 22402030, 42689700];

// Meeza (Egypt) prefixes. REPRESENTATIVE, NOT COMPLETE: 507803 (16-digit cards, test card
// 5078036221028566), the 50780830-50781029 block the APS plugins list, and 9818 (19-digit
// cards, test card 9818950527886700002).
const MEEZA: [Prefix; 3] = [
    prefix(Brand::Meeza, 6, 507803, 507803),
    prefix(Brand::Meeza, 8, 50780830, 50781029),
    prefix(Brand::Meeza, 4, 9818, 9818),
];

// The open scheme ranges, tried last because the domestic BINs above sit inside them.
const SCHEMES: [Prefix; 5] = [
    prefix(Brand::Amex, 2, 34, 34),
    prefix(Brand::Amex, 2, 37, 37),
    prefix(Brand::Visa, 1, 4, 4),
    prefix(Brand::Mastercard, 2, 51, 55),
    prefix(Brand::Mastercard, 4, 2221, 2720),
];

/// Every prefix rule, most specific first: the first rule that matches a full number wins.
fn prefix_rules() -> impl Iterator<Item = Prefix> {
    MADA_BINS_8
        .iter()
        .map(|b| prefix(Brand::Mada, 8, *b, *b))
        .chain(MADA_BINS_6.iter().map(|b| prefix(Brand::Mada, 6, *b, *b)))
        .chain(MEEZA)
        .chain(SCHEMES)
}

/// The longest prefix any rule looks at.
const MAX_PREFIX_LEN: usize = 8;

enum Fit {
    /// Every number starting with the typed digits matches the rule.
    All,
    /// Some do, some do not: more digits are needed.
    Some,
    None,
}

fn fit(typed: &[u8], rule: &Prefix) -> Fit {
    let len = rule.len as usize;
    let value = |digits: &[u8]| digits.iter().fold(0u64, |acc, d| acc * 10 + u64::from(*d));
    if typed.len() >= len {
        let n = value(&typed[..len]);
        return if (rule.lo..=rule.hi).contains(&n) { Fit::All } else { Fit::None };
    }
    let scale = 10u64.pow(rule.len - typed.len() as u32);
    let first = value(typed) * scale;
    let last = first + scale - 1;
    if last < rule.lo || first > rule.hi {
        Fit::None
    } else if first >= rule.lo && last <= rule.hi {
        Fit::All
    } else {
        Fit::Some
    }
}

/// The brand of a card number, or of the first digits of one while it is being typed.
///
/// Returns a brand only once the digits decide it: "4" is not yet Visa because mada BINs start
/// with 4 too, "400" is. Spaces and dashes are skipped like in [`CardNumber::parse`]; any other
/// character gives `None`. Length and Luhn are not checked here.
pub fn detect_brand(digits: &str) -> Option<Brand> {
    let mut typed = Vec::with_capacity(MAX_PREFIX_LEN);
    for c in digits.chars() {
        match c {
            ' ' | '-' => {}
            '0'..='9' => {
                if typed.len() < MAX_PREFIX_LEN {
                    typed.push(c as u8 - b'0');
                }
            }
            _ => return None,
        }
    }
    if typed.is_empty() {
        return None;
    }
    // Brands that some continuation of the typed digits could still reach through a rule tried
    // before the first rule that covers every continuation.
    let mut still_open: Vec<Brand> = Vec::new();
    for rule in prefix_rules() {
        match fit(&typed, &rule) {
            Fit::All => {
                return still_open.iter().all(|b| *b == rule.brand).then_some(rule.brand);
            }
            Fit::Some => still_open.push(rule.brand),
            Fit::None => {}
        }
    }
    None
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
