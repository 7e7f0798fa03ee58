//! Turning a command into its parameter list, checked against every APS field rule.

use super::{Charge, Command, Merchant, Notification, PaymentSource, RecurringLimit, TokenStatus};
use crate::aps::card::Expiry;
use crate::aps::fields::{self, Field, FieldError, Problem};
use crate::aps::money::{Currency, Money};
use crate::aps::{Operation, Params};
use serde_json::Value;

impl Command {
    /// Checks every field as [`Command::to_params`] does, keeping nothing: the parameter list
    /// (the access code, over the trusted channel the card number) is wiped before it is freed.
    ///
    /// # Errors
    /// As [`Command::to_params`].
    pub fn check(&self, merchant: &Merchant<'_>) -> Result<(), FieldError> {
        let mut params = self.to_params(merchant)?;
        crate::aps::secret::wipe_params(&mut params);
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
            Self::CheckStatus(c) if c.merchant_reference.is_empty() => {} // by Fort ID alone
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
        fields::require(&params, &self.required())?;
        fields::check_params(&params)?;
        Ok(params)
    }

    /// The mandatory parameters of this request. CHECK_STATUS may name the order by its Fort ID
    /// alone (spec 3.8, NEW-DOC): a query, it moves no money whatever the reading.
    fn required(&self) -> Vec<Field> {
        let by_fort_id =
            matches!(self, Self::CheckStatus(c) if c.merchant_reference.is_empty() && c.fort_id.is_some());
        required_fields(self.operation())
            .iter()
            .copied()
            .filter(|f| !(by_fort_id && *f == Field::MerchantReference))
            .collect()
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
    if let Some(setup) = &c.recurring_setup {
        p.put("recurring_mode", setup.mode.wire());
        match setup.limit {
            RecurringLimit::Payments(n) => p.put("recurring_transactions_count", &n.to_string()),
            RecurringLimit::Until(date) => {
                p.put("recurring_expiry_date", &date.format("%Y-%m-%d").to_string())
            }
        }
        p.put("recurring_days_between_payments", &setup.days_between.to_string());
    }
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
