//! One typed request per APS operation (spec section 3). Building a request is pure: each
//! command turns into its ordered parameter list, checked field by field against the APS rules
//! (spec section 7) so that a request APS would refuse for its format is refused here first,
//! naming the field. Signing and sending happen elsewhere.

use super::card::{CardNumber, Cvv, Expiry};
use super::fields::{self, Field, FieldError, Problem};
use super::money::{Currency, Money};
use super::secret::Secret;
use super::{Operation, Params};
use serde_json::Value;

/// The merchant fields every request carries (spec 3.1).
pub struct Merchant<'a> {
    pub merchant_identifier: &'a str,
    pub access_code: &'a Secret,
    /// `en` or `ar`: the language of APS's `response_message`.
    pub language: &'a str,
}

/// Sale or authorize-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ChargeKind {
    /// `PURCHASE`: authorize and capture at once.
    Sale,
    /// `AUTHORIZATION`: hold the amount; capture or void it later.
    AuthorizeOnly,
}

impl ChargeKind {
    pub fn operation(self) -> Operation {
        match self {
            Self::Sale => Operation::Purchase,
            Self::AuthorizeOnly => Operation::Authorization,
        }
    }
}

/// What the customer pays with.
pub enum PaymentSource {
    /// A stored card token (`eci=MOTO` charges only stored tokens, spec 3.2).
    Token(String),
    /// Clear card data over the trusted channel (PCI-DSS merchants only, spec 3.3).
    Card(KeyedCard),
}

/// A card typed by the agent. The number and CVV wipe themselves when dropped.
pub struct KeyedCard {
    pub number: CardNumber,
    pub expiry: Expiry,
    /// Checked for length when typed, but not sent: spec 3.3 says `card_security_code` is for
    /// `eci=ECOMMERCE` only and is omitted for MOTO.
    pub cvv: Option<Cvv>,
    pub holder_name: Option<String>,
    /// Name for the token APS creates from this card, if the merchant wants to choose it.
    pub token_name: Option<String>,
    /// Ask APS to keep the card as a token (`remember_me=YES`).
    pub remember: bool,
}

impl std::fmt::Debug for PaymentSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(t) => write!(f, "Token({t})"),
            Self::Card(card) => write!(f, "Card({})", card.number.masked()),
        }
    }
}

/// Optional order details shared by charges (spec 3.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderDetails {
    pub customer_name: Option<String>,
    pub order_description: Option<String>,
    pub phone_number: Option<String>,
    pub customer_ip: Option<String>,
    pub settlement_reference: Option<String>,
    pub merchant_extra: Option<String>,
}

/// PURCHASE or AUTHORIZATION, MOTO or recurring.
#[derive(Debug)]
pub struct Charge {
    pub kind: ChargeKind,
    pub merchant_reference: String,
    pub money: Money,
    pub customer_email: String,
    pub source: PaymentSource,
    /// A merchant-initiated recurring charge (`eci=RECURRING`, PURCHASE only, spec 3.4).
    pub recurring: bool,
    /// The agreement id from the customer's first payment; sent when known (spec 3.4, 9).
    pub agreement_id: Option<String>,
    pub details: OrderDetails,
}

/// CAPTURE part or all of an authorization (spec 3.5).
#[derive(Clone, Debug)]
pub struct Capture {
    pub merchant_reference: String,
    pub money: Money,
    pub fort_id: Option<String>,
    pub order_description: Option<String>,
}

/// VOID_AUTHORIZATION: release a whole authorization before any capture (spec 3.6).
#[derive(Clone, Debug)]
pub struct Void {
    pub merchant_reference: String,
    pub fort_id: Option<String>,
    pub order_description: Option<String>,
}

/// REFUND part or all of what was captured (spec 3.7).
#[derive(Clone, Debug)]
pub struct Refund {
    pub merchant_reference: String,
    pub money: Money,
    pub fort_id: Option<String>,
    /// The refund's own unique reference, so a lost answer can be checked and a declined refund
    /// retried safely (spec 3.7, 3.8).
    pub maintenance_reference: Option<String>,
    pub order_description: Option<String>,
}

/// CHECK_STATUS of an order, or of one refund of it (spec 3.8).
#[derive(Clone, Debug)]
pub struct CheckStatus {
    pub merchant_reference: String,
    pub fort_id: Option<String>,
    pub maintenance_reference: Option<String>,
    pub third_party_codes: bool,
}

/// Token status values of UPDATE_TOKEN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TokenStatus {
    Active,
    Inactive,
}

impl TokenStatus {
    pub fn wire(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
        }
    }
}

/// UPDATE_TOKEN: activate, deactivate, rename or change the expiry of a stored card (spec 3.9).
#[derive(Clone, Debug, Default)]
pub struct UpdateToken {
    pub merchant_reference: String,
    pub token_name: String,
    pub new_token_name: Option<String>,
    pub token_status: Option<TokenStatus>,
    pub expiry: Option<Expiry>,
    pub card_holder_name: Option<String>,
    pub currency: Option<Currency>,
}

/// CREATE_TOKEN: store a card without charging it (spec 3.9). Sent as JSON to paymentApi like
/// SEVASKE does; the endpoint is UNKNOWN in the spec, and card fields are signed like every
/// other server-to-server request (also UNKNOWN; the trusted-channel reading).
pub struct CreateToken {
    pub merchant_reference: String,
    pub number: CardNumber,
    pub expiry: Expiry,
    pub holder_name: Option<String>,
    pub token_name: Option<String>,
    pub currency: Option<Currency>,
    pub return_url: String,
}

impl std::fmt::Debug for CreateToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateToken")
            .field("merchant_reference", &self.merchant_reference)
            .field("card", &self.number.masked())
            .field("token_name", &self.token_name)
            .finish_non_exhaustive()
    }
}

/// How APS tells the customer about a payment link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Notification {
    Email,
    Sms,
    EmailAndSms,
    None,
}

impl Notification {
    pub fn wire(self) -> &'static str {
        match self {
            Self::Email => "EMAIL",
            Self::Sms => "SMS",
            Self::EmailAndSms => "EMAIL,SMS",
            Self::None => "NONE",
        }
    }
}

/// PAYMENT_LINK: an invoice link APS sends to the customer (spec 3.10).
#[derive(Clone, Debug)]
pub struct PaymentLink {
    pub merchant_reference: String,
    pub money: Money,
    pub customer_email: String,
    /// ISO-8601 with offset, e.g. `2026-12-01T18:00:00+04:00`.
    pub request_expiry_date: String,
    pub notification: Notification,
    pub link_command: ChargeKind,
    pub customer_name: Option<String>,
    /// Digits only; required when the link goes by SMS.
    pub customer_phone: Option<String>,
    pub order_description: Option<String>,
}

/// The batch trio (spec 3.11). The upload's `file` part is not signed (UNKNOWN in the spec;
/// the reading that keeps the signature over the same fields as the JSON calls).
#[derive(Clone, Debug)]
pub struct BatchRequest {
    pub operation: Operation,
    pub batch_reference: String,
    pub batch_id: Option<String>,
}

/// Any request the terminal can send.
#[derive(Debug)]
pub enum Command {
    Charge(Charge),
    Capture(Capture),
    Void(Void),
    Refund(Refund),
    CheckStatus(CheckStatus),
    UpdateToken(UpdateToken),
    CreateToken(CreateToken),
    PaymentLink(PaymentLink),
    Batch(BatchRequest),
}

impl Command {
    pub fn operation(&self) -> Operation {
        match self {
            Self::Charge(c) => c.kind.operation(),
            Self::Capture(_) => Operation::Capture,
            Self::Void(_) => Operation::VoidAuthorization,
            Self::Refund(_) => Operation::Refund,
            Self::CheckStatus(_) => Operation::CheckStatus,
            Self::UpdateToken(_) => Operation::UpdateToken,
            Self::CreateToken(_) => Operation::CreateToken,
            Self::PaymentLink(_) => Operation::PaymentLink,
            Self::Batch(b) => b.operation,
        }
    }

    /// The merchant reference the request is about (the batch reference for batch calls).
    pub fn merchant_reference(&self) -> &str {
        match self {
            Self::Charge(c) => &c.merchant_reference,
            Self::Capture(c) => &c.merchant_reference,
            Self::Void(c) => &c.merchant_reference,
            Self::Refund(c) => &c.merchant_reference,
            Self::CheckStatus(c) => &c.merchant_reference,
            Self::UpdateToken(c) => &c.merchant_reference,
            Self::CreateToken(c) => &c.merchant_reference,
            Self::PaymentLink(c) => &c.merchant_reference,
            Self::Batch(c) => &c.batch_reference,
        }
    }

    /// Checks every field as [`Command::to_params`] does, keeping nothing: the parameter list
    /// (the access code, over the trusted channel the card number) is wiped before it is freed.
    ///
    /// # Errors
    /// As [`Command::to_params`].
    pub fn check(&self, merchant: &Merchant<'_>) -> Result<(), FieldError> {
        let mut params = self.to_params(merchant)?;
        super::secret::wipe_params(&mut params);
        Ok(())
    }

    /// The unsigned parameter list, in a readable order, checked against every APS field rule.
    ///
    /// # Errors
    /// The first field APS would refuse, named, with how to fix it.
    pub fn to_params(&self, merchant: &Merchant<'_>) -> Result<Params, FieldError> {
        let op = self.operation();
        let mut p = Builder::default();
        p.put(op.command_field(), op.wire_name());
        p.put("access_code", merchant.access_code.expose());
        p.put("merchant_identifier", merchant.merchant_identifier);
        match self {
            Self::Batch(b) => p.put("batch_reference", &b.batch_reference),
            other => p.put("merchant_reference", other.merchant_reference()),
        }
        p.put("language", merchant.language);
        match self {
            Self::Charge(c) => charge_params(c, &mut p),
            Self::Capture(c) => {
                p.money(c.money);
                p.opt("fort_id", c.fort_id.as_deref());
                p.opt("order_description", c.order_description.as_deref());
            }
            Self::Void(c) => {
                p.opt("fort_id", c.fort_id.as_deref());
                p.opt("order_description", c.order_description.as_deref());
            }
            Self::Refund(c) => {
                p.money(c.money);
                p.opt("fort_id", c.fort_id.as_deref());
                p.opt("maintenance_reference", c.maintenance_reference.as_deref());
                p.opt("order_description", c.order_description.as_deref());
            }
            Self::CheckStatus(c) => {
                p.opt("fort_id", c.fort_id.as_deref());
                p.opt("maintenance_reference", c.maintenance_reference.as_deref());
                if c.third_party_codes {
                    p.put("return_third_party_response_codes", "YES");
                }
            }
            Self::UpdateToken(c) => {
                p.put("token_name", &c.token_name);
                p.opt("new_token_name", c.new_token_name.as_deref());
                p.opt("token_status", c.token_status.map(TokenStatus::wire));
                p.opt("expiry_date", c.expiry.map(Expiry::wire).as_deref());
                p.opt("card_holder_name", c.card_holder_name.as_deref());
                p.opt("currency", c.currency.map(Currency::code));
            }
            Self::CreateToken(c) => {
                p.put("card_number", c.number.expose());
                p.put("expiry_date", &c.expiry.wire());
                p.put("return_url", &c.return_url);
                p.opt("card_holder_name", c.holder_name.as_deref());
                p.opt("token_name", c.token_name.as_deref());
                p.opt("currency", c.currency.map(Currency::code));
            }
            Self::PaymentLink(c) => {
                p.money(c.money);
                p.put("customer_email", &c.customer_email);
                p.put("request_expiry_date", &c.request_expiry_date);
                p.put("notification_type", c.notification.wire());
                p.put("link_command", c.link_command.operation().wire_name());
                p.opt("customer_name", c.customer_name.as_deref());
                p.opt("customer_phone", c.customer_phone.as_deref());
                p.opt("order_description", c.order_description.as_deref());
                if matches!(c.notification, Notification::Sms | Notification::EmailAndSms)
                    && c.customer_phone.as_deref().is_none_or(str::is_empty)
                {
                    return Err(FieldError {
                        field: Field::CustomerPhone,
                        problem: Problem::Missing,
                        hint: "a link sent by SMS needs the customer's phone number, digits only".into(),
                    });
                }
            }
            Self::Batch(b) => {
                p.opt("batch_id", b.batch_id.as_deref());
            }
        }
        let params = p.finish();
        fields::require(&params, required_fields(op))?;
        fields::check_params(&params)?;
        Ok(params)
    }
}

fn charge_params(c: &Charge, p: &mut Builder) {
    p.money(c.money);
    p.put("customer_email", &c.customer_email);
    let eci = if c.recurring { "RECURRING" } else { "MOTO" };
    p.put("eci", eci);
    match &c.source {
        PaymentSource::Token(token) => p.put("token_name", token),
        PaymentSource::Card(card) => {
            p.put("card_number", card.number.expose());
            p.put("expiry_date", &card.expiry.wire());
            p.opt("card_holder_name", card.holder_name.as_deref());
            p.opt("token_name", card.token_name.as_deref());
            p.put("remember_me", if card.remember { "YES" } else { "NO" });
        }
    }
    p.opt("agreement_id", c.agreement_id.as_deref());
    let d = &c.details;
    p.opt("customer_name", d.customer_name.as_deref());
    p.opt("order_description", d.order_description.as_deref());
    p.opt("phone_number", d.phone_number.as_deref());
    p.opt("customer_ip", d.customer_ip.as_deref());
    p.opt("settlement_reference", d.settlement_reference.as_deref());
    p.opt("merchant_extra", d.merchant_extra.as_deref());
}

/// Mandatory parameters per operation (spec section 3), beyond the command name.
pub fn required_fields(op: Operation) -> &'static [Field] {
    use Field as F;
    const COMMON: &[Field] = &[F::AccessCode, F::MerchantIdentifier, F::MerchantReference, F::Language];
    match op {
        Operation::Purchase | Operation::Authorization => &[
            F::AccessCode,
            F::MerchantIdentifier,
            F::MerchantReference,
            F::Language,
            F::Amount,
            F::Currency,
            F::CustomerEmail,
            F::Eci,
        ],
        Operation::Capture | Operation::Refund => {
            &[F::AccessCode, F::MerchantIdentifier, F::MerchantReference, F::Language, F::Amount, F::Currency]
        }
        Operation::VoidAuthorization | Operation::CheckStatus => COMMON,
        Operation::UpdateToken => {
            &[F::AccessCode, F::MerchantIdentifier, F::MerchantReference, F::Language, F::TokenName]
        }
        Operation::CreateToken => &[
            F::AccessCode,
            F::MerchantIdentifier,
            F::MerchantReference,
            F::Language,
            F::CardNumber,
            F::ExpiryDate,
            F::ReturnUrl,
        ],
        Operation::PaymentLink => &[
            F::AccessCode,
            F::MerchantIdentifier,
            F::MerchantReference,
            F::Language,
            F::Amount,
            F::Currency,
            F::CustomerEmail,
            F::RequestExpiryDate,
            F::NotificationType,
        ],
        Operation::UploadBatchFile | Operation::GetBatchResults | Operation::ProcessBatch => {
            &[F::AccessCode, F::MerchantIdentifier, F::BatchReference, F::Language]
        }
    }
}

/// Collects parameters as JSON strings (spec 1: send every value as a string), dropping empty
/// optional values so that no empty parameter is ever signed or sent (spec 2.4).
#[derive(Default)]
struct Builder(Params);

impl Builder {
    fn put(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_owned(), Value::String(value.to_owned()));
    }

    fn opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            self.put(name, v);
        }
    }

    fn money(&mut self, money: Money) {
        self.put("amount", &money.wire_amount());
        self.put("currency", money.currency().code());
    }

    fn finish(self) -> Params {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merchant(code: &Secret) -> Merchant<'_> {
        Merchant { merchant_identifier: "CycHZxVj", access_code: code, language: "en" }
    }

    fn aed(text: &str) -> Money {
        Money::parse(text, Currency::parse("AED").unwrap()).unwrap()
    }

    fn moto_sale(reference: &str, email: &str) -> Command {
        Command::Charge(Charge {
            kind: ChargeKind::Sale,
            merchant_reference: reference.into(),
            money: aed("1250.50"),
            customer_email: email.into(),
            source: PaymentSource::Token("Op9Vmp".into()),
            recurring: false,
            agreement_id: None,
            details: OrderDetails {
                order_description: Some("Phone order #187".into()),
                customer_ip: Some("10.20.30.40".into()),
                ..Default::default()
            },
        })
    }

    #[test]
    fn moto_purchase_by_token_matches_the_shared_vector_fields() {
        let code = Secret::from("zx0IPmPy5jp1vAz8Kpg7");
        let p = moto_sale("MOTO-2024-000187", "caller@example.com").to_params(&merchant(&code)).unwrap();
        let get = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        assert_eq!(get("command"), "PURCHASE");
        assert_eq!(get("amount"), "125050");
        assert_eq!(get("currency"), "AED");
        assert_eq!(get("eci"), "MOTO");
        assert_eq!(get("token_name"), "Op9Vmp");
        assert!(!p.contains_key("signature"));
        assert!(!p.contains_key("customer_name"), "empty optional values are not sent");
    }

    #[test]
    fn refuses_bad_fields_naming_them() {
        let code = Secret::from("zx0IPmPy5jp1vAz8Kpg7");
        let err = moto_sale("MOTO 187!", "caller@example.com").to_params(&merchant(&code)).unwrap_err();
        assert_eq!(err.field, Field::MerchantReference);
        let err = moto_sale("MOTO-187", "not an email").to_params(&merchant(&code)).unwrap_err();
        assert_eq!(err.field, Field::CustomerEmail);
        let err = moto_sale("MOTO-187", "").to_params(&merchant(&code)).unwrap_err();
        assert_eq!((err.field, err.problem), (Field::CustomerEmail, Problem::Missing));
    }

    #[test]
    fn keyed_card_is_sent_without_cvv_and_debug_masks_it() {
        let code = Secret::from("a");
        let card = KeyedCard {
            number: CardNumber::parse("4005 5500 0000 0001").unwrap(),
            expiry: Expiry::parse("05/27").unwrap(),
            cvv: Some(Cvv::parse("123", crate::aps::card::Brand::Visa).unwrap()),
            holder_name: Some("Layla Haddad".into()),
            token_name: None,
            remember: true,
        };
        let cmd = Command::Charge(Charge {
            kind: ChargeKind::AuthorizeOnly,
            merchant_reference: "MAIL-1".into(),
            money: aed("10"),
            customer_email: "a@b.co".into(),
            source: PaymentSource::Card(card),
            recurring: false,
            agreement_id: None,
            details: OrderDetails::default(),
        });
        let shown = format!("{cmd:?}");
        assert!(!shown.contains("4005550000000001"), "{shown}");
        let p = cmd.to_params(&merchant(&code)).unwrap();
        assert_eq!(p["command"], "AUTHORIZATION");
        assert_eq!(p["card_number"], "4005550000000001");
        assert_eq!(p["expiry_date"], "2705");
        assert_eq!(p["remember_me"], "YES");
        assert!(!p.contains_key("card_security_code"));
    }

    #[test]
    fn recurring_uses_eci_recurring() {
        let code = Secret::from("a");
        let cmd = Command::Charge(Charge {
            kind: ChargeKind::Sale,
            merchant_reference: "SUB-2026-11".into(),
            money: aed("99"),
            customer_email: "a@b.co".into(),
            source: PaymentSource::Token("tok_1".into()),
            recurring: true,
            agreement_id: Some("AGR77".into()),
            details: OrderDetails::default(),
        });
        let p = cmd.to_params(&merchant(&code)).unwrap();
        assert_eq!(p["eci"], "RECURRING");
        assert_eq!(p["agreement_id"], "AGR77");
    }

    #[test]
    fn maintenance_commands() {
        let code = Secret::from("a");
        let m = merchant(&code);
        let void = Command::Void(Void {
            merchant_reference: "R1".into(),
            fort_id: Some("1699".into()),
            order_description: None,
        });
        let p = void.to_params(&m).unwrap();
        assert_eq!(p["command"], "VOID_AUTHORIZATION");
        assert!(!p.contains_key("amount") && !p.contains_key("currency"), "spec 3.6: no amount on void");
        let refund = Command::Refund(Refund {
            merchant_reference: "R1".into(),
            money: aed("5"),
            fort_id: None,
            maintenance_reference: Some("R1-RF1".into()),
            order_description: None,
        });
        let p = refund.to_params(&m).unwrap();
        assert_eq!(
            (p["amount"].as_str(), p["maintenance_reference"].as_str()),
            (Some("500"), Some("R1-RF1"))
        );
        let status = Command::CheckStatus(CheckStatus {
            merchant_reference: "R1".into(),
            fort_id: None,
            maintenance_reference: None,
            third_party_codes: true,
        });
        let p = status.to_params(&m).unwrap();
        assert_eq!(p["query_command"], "CHECK_STATUS");
        assert_eq!(p["return_third_party_response_codes"], "YES");
        assert!(!p.contains_key("command"));
    }

    #[test]
    fn tokens_links_and_batches() {
        let code = Secret::from("a");
        let m = merchant(&code);
        let upd = Command::UpdateToken(UpdateToken {
            merchant_reference: "TK-1".into(),
            token_name: "tok_1".into(),
            token_status: Some(TokenStatus::Inactive),
            ..Default::default()
        });
        let p = upd.to_params(&m).unwrap();
        assert_eq!(
            (p["service_command"].as_str(), p["token_status"].as_str()),
            (Some("UPDATE_TOKEN"), Some("INACTIVE"))
        );
        let link = PaymentLink {
            merchant_reference: "INV-9".into(),
            money: aed("20"),
            customer_email: "a@b.co".into(),
            request_expiry_date: "2026-12-01T18:00:00+04:00".into(),
            notification: Notification::Sms,
            link_command: ChargeKind::Sale,
            customer_name: None,
            customer_phone: None,
            order_description: None,
        };
        let err = Command::PaymentLink(link.clone()).to_params(&m).unwrap_err();
        assert_eq!(err.field, Field::CustomerPhone);
        let ok = Command::PaymentLink(PaymentLink { customer_phone: Some("00971501234567".into()), ..link })
            .to_params(&m)
            .unwrap();
        assert_eq!(ok["notification_type"], "SMS");
        assert_eq!(ok["link_command"], "PURCHASE");
        let batch = Command::Batch(BatchRequest {
            operation: Operation::GetBatchResults,
            batch_reference: "B-2026-11-25".into(),
            batch_id: None,
        });
        let p = batch.to_params(&m).unwrap();
        assert_eq!(p["service_command"], "GET_BATCH_RESULTS");
        assert!(!p.contains_key("merchant_reference"));
    }
}
