//! Every field a check of the terminal can name: the APS request parameters, the terminal's own
//! order fields, a profile's and the app's settings, and the journal's records.
//!
//! An error carries a [`Field`], never a name to be parsed back: the screens map it to the input
//! that gets the cursor, the command line prints its [`Field::wire_name`] or [`Field::label`].
//! Rewording a message can then never move the cursor to another input.

use std::fmt;

/// Declares [`Field`] with, per variant, its APS parameter name (if it is one) and its label.
macro_rules! fields {
    ($($(#[$doc:meta])* $variant:ident => $wire:expr, $label:literal;)*) => {
        /// A field an error can be about. See the module docs.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Field {
            $($(#[$doc])* $variant,)*
        }

        impl Field {
            /// Every field, in declaration order.
            pub const ALL: &'static [Field] = &[$(Field::$variant,)*];

            /// The APS parameter name ("customer_email"), for fields that are one.
            pub fn wire_name(self) -> Option<&'static str> {
                match self {
                    $(Field::$variant => $wire,)*
                }
            }

            /// The field in words for the person at the keyboard ("customer email").
            pub fn label(self) -> &'static str {
                match self {
                    $(Field::$variant => $label,)*
                }
            }
        }
    };
}

fields! {
    // APS request parameters (spec 3 and 7).
    Command => Some("command"), "command";
    QueryCommand => Some("query_command"), "query command";
    ServiceCommand => Some("service_command"), "service command";
    AccessCode => Some("access_code"), "access code";
    MerchantIdentifier => Some("merchant_identifier"), "merchant identifier";
    MerchantReference => Some("merchant_reference"), "merchant reference";
    Language => Some("language"), "language";
    Signature => Some("signature"), "signature";
    Amount => Some("amount"), "amount";
    Currency => Some("currency"), "currency";
    CustomerEmail => Some("customer_email"), "customer email";
    Eci => Some("eci"), "ECI";
    TokenName => Some("token_name"), "token name";
    NewTokenName => Some("new_token_name"), "new token name";
    CustomerIp => Some("customer_ip"), "customer IP";
    PaymentOption => Some("payment_option"), "payment option";
    OrderDescription => Some("order_description"), "order description";
    CustomerName => Some("customer_name"), "customer name";
    CardHolderName => Some("card_holder_name"), "card holder name";
    PhoneNumber => Some("phone_number"), "phone number";
    SettlementReference => Some("settlement_reference"), "settlement reference";
    MerchantExtra => Some("merchant_extra"), "merchant extra";
    MerchantExtra1 => Some("merchant_extra1"), "merchant extra1";
    MerchantExtra2 => Some("merchant_extra2"), "merchant extra2";
    MerchantExtra3 => Some("merchant_extra3"), "merchant extra3";
    MerchantExtra4 => Some("merchant_extra4"), "merchant extra4";
    MerchantExtra5 => Some("merchant_extra5"), "merchant extra5";
    ReturnUrl => Some("return_url"), "return URL";
    RememberMe => Some("remember_me"), "remember me";
    CardNumber => Some("card_number"), "card number";
    ExpiryDate => Some("expiry_date"), "expiry date";
    CardSecurityCode => Some("card_security_code"), "card security code";
    FortId => Some("fort_id"), "Fort ID";
    MaintenanceReference => Some("maintenance_reference"), "maintenance reference";
    ReturnThirdPartyResponseCodes => Some("return_third_party_response_codes"), "return third party response codes";
    AgreementId => Some("agreement_id"), "agreement id";
    RecurringMode => Some("recurring_mode"), "recurring mode";
    RecurringTransactionsCount => Some("recurring_transactions_count"), "recurring transactions count";
    RecurringExpiryDate => Some("recurring_expiry_date"), "recurring expiry date";
    RecurringDaysBetweenPayments => Some("recurring_days_between_payments"), "recurring days between payments";
    TokenStatus => Some("token_status"), "token status";
    LinkCommand => Some("link_command"), "link command";
    PaymentLinkId => Some("payment_link_id"), "payment link id";
    CustomerPhone => Some("customer_phone"), "customer phone";
    RequestExpiryDate => Some("request_expiry_date"), "request expiry date";
    NotificationType => Some("notification_type"), "notification type";
    BatchReference => Some("batch_reference"), "batch reference";
    BatchId => Some("batch_id"), "batch id";

    // The terminal's own order fields (mail orders, recurring agreements, operations).
    /// The mail order's slip number.
    SlipNumber => None, "slip number";
    /// The date written on a mail order.
    OrderDate => None, "order date";
    PostalAddress => None, "postal address";
    /// A recurring agreement's first charge date.
    FirstDue => None, "first due";
    /// A recurring agreement's days between charges.
    IntervalDays => None, "interval days";
    /// The order as a whole (its state does not allow the operation).
    Order => None, "order";
    Operation => None, "operation";
    /// The file a CSV export is written to.
    ExportFile => None, "export file";
    BatchFile => None, "batch file";

    // The journal's records.
    /// An order state typed as a search filter.
    State => None, "state";
    MaskedCard => None, "masked card";
    CardFingerprint => None, "card fingerprint";
    OperationResult => None, "operation result";
    /// The profile an order or record belongs to.
    Profile => None, "profile";
    /// A recurring agreement of the journal.
    Agreement => None, "agreement";
    PaymentMethod => None, "payment method";
    JournalFile => None, "journal file";
    TeamJournal => None, "team journal address";

    // A merchant profile (besides the APS parameters it holds: merchant identifier, access
    // code, language, customer IP).
    ProfileName => None, "profile name";
    Environment => None, "environment";
    Endpoint => None, "endpoint";
    RequestPhrase => None, "SHA request phrase";
    ResponsePhrase => None, "SHA response phrase";
    ShaType => None, "SHA type";
    ProfileCurrency => None, "profile currency";
    /// Who is at the terminal: a profile's operator or the app's.
    Operator => None, "operator";
    /// An operator's PIN or password (never shown, never stored but as a hash).
    Pin => None, "PIN";
    /// An operator's role: agent, supervisor or admin.
    Role => None, "role";
    /// The supervisor approving an agent's refund or void.
    Approver => None, "approver";
    /// The most an agent may refund or void without a supervisor's approval.
    RefundLimit => None, "agent refund/void limit";
    /// The merchant's trading name, printed on receipts.
    TradingName => None, "trading name";
    /// The merchant's address, printed on receipts.
    MerchantAddress => None, "merchant address";

    // Receipts and reports.
    /// The start of a report's period.
    ReportFrom => None, "from";
    /// The end of a report's period.
    ReportTo => None, "to";

    // The app settings.
    /// Seconds without input after which typed card details are wiped.
    CardWipe => None, "card wipe";
    DefaultCurrency => None, "default currency";
    DefaultProfile => None, "default profile";
    /// Minutes without input after which the desktop locks.
    IdleLock => None, "idle lock";
}

impl Field {
    /// The field whose APS parameter name this is.
    pub fn from_wire(name: &str) -> Option<Field> {
        Self::ALL.iter().copied().find(|f| f.wire_name() == Some(name))
    }

    /// The APS parameter name where there is one, otherwise the label: how messages about APS
    /// parameters have always named them ("customer_email is missing: ...").
    pub fn name(self) -> &'static str {
        self.wire_name().unwrap_or(self.label())
    }

    /// True when `message` already starts with this field's APS name or its label, as a whole
    /// word, in any case ("customer_email is missing", "Card wipe must be ...").
    pub fn names_itself_in(self, message: &str) -> bool {
        let lower = message.to_lowercase();
        let starts_with_word = |name: &str| {
            lower.strip_prefix(&name.to_lowercase()).is_some_and(|rest| {
                rest.chars().next().is_none_or(|c| c.is_whitespace() || matches!(c, ':' | ',' | ';'))
            })
        };
        self.wire_name().is_some_and(starts_with_word) || starts_with_word(self.label())
    }

    /// `message` as said to an agent: it names this field once, in front ("endpoint: ...")
    /// unless it already starts with it.
    pub fn named(self, message: &str) -> String {
        if self.names_itself_in(message) {
            message.to_owned()
        } else {
            format!("{}: {message}", self.label())
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_are_unique_and_wire_names_round_trip() {
        for (i, field) in Field::ALL.iter().enumerate() {
            for other in &Field::ALL[..i] {
                assert_ne!(field.label(), other.label(), "{field:?} and {other:?}");
                if field.wire_name().is_some() {
                    assert_ne!(field.wire_name(), other.wire_name(), "{field:?} and {other:?}");
                }
            }
            if let Some(wire) = field.wire_name() {
                assert_eq!(Field::from_wire(wire), Some(*field));
                assert_eq!(field.label().to_lowercase(), wire.replace('_', " "), "{field:?}");
            }
            assert!(!field.label().is_empty() && !field.label().contains('_'), "{field:?}");
        }
        assert_eq!(Field::from_wire("card number"), None);
        assert_eq!(Field::from_wire("export file"), None);
    }

    #[test]
    fn a_message_names_its_field_by_wire_name_or_label() {
        assert!(Field::CustomerEmail.names_itself_in("customer_email is missing: fill it in"));
        assert!(Field::CustomerIp.names_itself_in("customer IP: \"x\" is not an address"));
        assert!(Field::ProfileName.names_itself_in("Profile name: enter a profile name"));
        assert!(!Field::Amount.names_itself_in("at most AED 5.00 can still be refunded"));
        assert!(!Field::Endpoint.names_itself_in("endpoint.example.com is not the APS address"));
        assert_eq!(Field::Endpoint.named("must start with https://"), "endpoint: must start with https://");
        assert_eq!(Field::CardWipe.named("card wipe must be 30 to 3600"), "card wipe must be 30 to 3600");
        assert_eq!(Field::FortId.name(), "fort_id");
        assert_eq!(Field::ExportFile.name(), "export file");
        assert_eq!(Field::CustomerIp.to_string(), "customer IP");
    }
}
