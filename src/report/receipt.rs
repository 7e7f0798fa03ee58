//! A receipt for one approved operation: what the customer is told after a phone or mail
//! order, as plain text (to paste into an email) and as a PDF (to save, send or print).
//!
//! A receipt shows the card as its brand and last four digits only. It is built from what the
//! journal recorded, which never holds a full card number; [`last_four`] still refuses to carry
//! more than four digits over, whatever text it is given.

use super::pdf::{self, Block, PdfError, Style};
use crate::aps::money::Money;
use chrono::{DateTime, FixedOffset};

/// The line every receipt carries: the cardholder was not there to sign.
pub const NOT_PRESENT: &str = "Mail/telephone order — cardholder not present";

/// The operations a receipt can be for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptKind {
    Sale,
    Authorization,
    Capture,
    Refund,
    Void,
}

impl ReceiptKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Sale => "Sale",
            Self::Authorization => "Authorization (amount held, not yet charged)",
            Self::Capture => "Capture",
            Self::Refund => "Refund",
            Self::Void => "Void (authorization released)",
        }
    }
}

/// Everything a receipt shows. Built by the service from the journal and the profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub merchant_name: String,
    /// The merchant's address, one line per entry.
    pub merchant_address: Vec<String>,
    /// When APS answered, in this computer's time zone.
    pub at: DateTime<FixedOffset>,
    pub kind: ReceiptKind,
    pub amount: Money,
    /// "Visa", "Mastercard"… when known.
    pub card_brand: Option<String>,
    /// The masked card as recorded (only its last four digits are shown).
    pub masked_card: Option<String>,
    pub authorization_code: Option<String>,
    pub fort_id: Option<String>,
    pub merchant_reference: String,
    pub operator: String,
    pub customer_email: Option<String>,
}

/// The last four digits of a masked card, or `None` when the text does not end in four digits.
pub fn last_four(masked: &str) -> Option<String> {
    let digits: Vec<char> = masked.chars().rev().take_while(char::is_ascii_digit).collect();
    (digits.len() >= 4).then(|| digits[..4].iter().rev().collect())
}

impl Receipt {
    /// The card as a receipt shows it: `Visa •••• 0001`.
    pub fn card_text(&self) -> Option<String> {
        let last4 = self.masked_card.as_deref().and_then(last_four);
        match (&self.card_brand, last4) {
            (Some(brand), Some(l4)) => Some(format!("{brand} •••• {l4}")),
            (None, Some(l4)) => Some(format!("Card •••• {l4}")),
            (Some(brand), None) => Some(brand.clone()),
            (None, None) => None,
        }
    }

    /// The labelled lines of the receipt's body, in order; empty values are left out.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = vec![
            ("Date", self.at.format("%Y-%m-%d %H:%M:%S UTC%:z").to_string()),
            ("Transaction", self.kind.label().to_owned()),
            ("Amount", self.amount.to_string()),
        ];
        let optional = [
            ("Card", self.card_text()),
            ("Authorization code", self.authorization_code.clone()),
            ("Fort ID", self.fort_id.clone()),
            ("Merchant reference", Some(self.merchant_reference.clone())),
            ("Operator", Some(self.operator.clone())),
            ("Customer email", self.customer_email.clone()),
        ];
        lines.extend(
            optional
                .into_iter()
                .filter_map(|(label, value)| value.filter(|v| !v.trim().is_empty()).map(|v| (label, v))),
        );
        lines
    }

    /// A plain-text receipt for an email.
    pub fn text(&self) -> String {
        let mut out = String::new();
        out.push_str(self.merchant_name.trim());
        out.push('\n');
        for line in &self.merchant_address {
            out.push_str(line.trim());
            out.push('\n');
        }
        out.push('\n');
        out.push_str("RECEIPT\n");
        let width = self.lines().iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (label, value) in self.lines() {
            out.push_str(&format!("{label:<width$}  {value}\n"));
        }
        out.push('\n');
        out.push_str(NOT_PRESENT);
        out.push('\n');
        out
    }

    /// The receipt as a one-page PDF.
    ///
    /// # Errors
    /// The embedded font failed to load (a build defect).
    pub fn pdf(&self) -> Result<Vec<u8>, PdfError> {
        let mut blocks = vec![Block::Line(Style::Title, self.merchant_name.trim().to_owned())];
        blocks.extend(self.merchant_address.iter().map(|l| Block::Line(Style::Body, l.trim().to_owned())));
        blocks.extend([Block::Gap, Block::Line(Style::Heading, "Receipt".into()), Block::Rule]);
        blocks.extend(self.lines().into_iter().map(|(l, v)| Block::Pair(l.to_owned(), v)));
        blocks.extend([Block::Rule, Block::Line(Style::Small, NOT_PRESENT.to_owned())]);
        pdf::render(&format!("Receipt {}", self.merchant_reference), &blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aps::money::Currency;

    pub(crate) fn sample() -> Receipt {
        let aed = Currency::parse("AED").expect("AED");
        Receipt {
            merchant_name: "Demo Trading LLC".into(),
            merchant_address: vec!["Office 12, Demo Tower".into(), "Dubai, UAE".into()],
            at: DateTime::parse_from_rfc3339("2026-12-06T14:03:22+04:00").expect("time"),
            kind: ReceiptKind::Sale,
            amount: Money::parse("125.50", aed).expect("money"),
            card_brand: Some("Visa".into()),
            masked_card: Some("400555******0001".into()),
            authorization_code: Some("123456".into()),
            fort_id: Some("169996200000012345".into()),
            merchant_reference: "PHONE-1001".into(),
            operator: "amal".into(),
            customer_email: Some("layla@example.com".into()),
        }
    }

    #[test]
    fn the_text_has_every_field_and_only_the_last_four_digits() {
        let text = sample().text();
        for wanted in [
            "Demo Trading LLC",
            "Dubai, UAE",
            "2026-12-06 14:03:22 UTC+04:00",
            "Sale",
            "AED 125.50",
            "Visa •••• 0001",
            "123456",
            "169996200000012345",
            "PHONE-1001",
            "amal",
            "layla@example.com",
            NOT_PRESENT,
        ] {
            assert!(text.contains(wanted), "{wanted:?} missing from\n{text}");
        }
        assert!(!text.contains("400555"), "the first six digits are not for a receipt:\n{text}");
    }

    #[test]
    fn last_four_takes_only_trailing_digits() {
        assert_eq!(last_four("400555******0001").as_deref(), Some("0001"));
        assert_eq!(last_four("4005550000000001").as_deref(), Some("0001"));
        assert_eq!(last_four("****01"), None);
        assert_eq!(last_four(""), None);
    }

    #[test]
    fn missing_values_leave_no_empty_lines() {
        let receipt = Receipt {
            authorization_code: None,
            customer_email: Some(" ".into()),
            masked_card: None,
            ..sample()
        };
        let labels: Vec<&str> = receipt.lines().into_iter().map(|(l, _)| l).collect();
        assert!(!labels.contains(&"Authorization code") && !labels.contains(&"Customer email"));
        assert_eq!(receipt.card_text().as_deref(), Some("Visa"));
    }
}
