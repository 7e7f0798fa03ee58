//! What an APS `response_code` means, and what the agent should do about it (spec section 5).
//!
//! Every response is sorted into one of four kinds. The rule that matters most: a response is
//! called Declined or Rejected only when the spec says no money can have moved; everything the
//! official plugins treat as "on hold" (spec 5.4), everything the terminal does not recognise for
//! a money-moving operation, and every unreadable answer is Uncertain, so the service checks the
//! order's status with APS instead of charging again.
//!
//! The words come from APS's own code tables (OLD-DOC transactioncodes, spec 5.1 and 5.2), so an
//! agent reading a code to APS support uses the same words as APS.

use super::{Operation, Params};
use serde_json::Value;
use std::fmt;

/// APS `response_code`: 2-digit status + 3-digit message (spec 5). Kept as the five ASCII digits
/// received, because leading zeros are significant (`02000` is not `2000`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseCode([u8; 5]);

impl ResponseCode {
    /// Reads a response code given as text: exactly five ASCII digits, nothing else.
    pub fn parse(code: &str) -> Option<ResponseCode> {
        let bytes: [u8; 5] = code.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_digit).then_some(ResponseCode(bytes))
    }

    /// Reads a response code from a JSON value. APS sends text, but a JSON number is accepted
    /// too, restoring the leading zeros a number cannot carry (`2000` is `02000`).
    pub fn from_value(value: &Value) -> Option<ResponseCode> {
        match value {
            Value::String(text) => Self::parse(text),
            Value::Number(number) => {
                let n = number.as_u64().filter(|n| *n <= 99_999)?;
                Self::parse(&format!("{n:05}"))
            }
            _ => None,
        }
    }

    /// The 2-digit status (spec 5.1).
    pub fn status(&self) -> &str {
        self.as_str().get(..2).unwrap_or("")
    }

    /// The 3-digit message (spec 5.2).
    pub fn message(&self) -> &str {
        self.as_str().get(2..).unwrap_or("")
    }

    /// The five digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseCode({})", self.as_str())
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `status_text` answers for a status not in spec 5.1.
pub const UNKNOWN_STATUS: &str = "Unknown status";
/// What `message_text` answers for a message code not in spec 5.2.
pub const UNKNOWN_MESSAGE: &str = "Unknown message code";

/// APS's meaning of a 2-digit status (spec 5.1), or [`UNKNOWN_STATUS`].
pub fn status_text(status: &str) -> &'static str {
    match status {
        "00" => "Invalid request",
        "01" => "Order stored",
        "02" => "Authorization success",
        "03" => "Authorization failed",
        "04" => "Capture success",
        "05" => "Capture failed",
        "06" => "Refund success",
        "07" => "Refund failed",
        "08" => "Authorization voided successfully",
        "09" => "Authorization void failed",
        "10" => "Incomplete",
        "11" => "Check status failed",
        "12" => "Check status success",
        "13" => "Purchase failure",
        "14" => "Purchase success",
        "15" => "Uncertain transaction",
        "17" => "Tokenization failed",
        "18" => "Tokenization success",
        "19" => "Transaction pending",
        "20" => "On hold",
        "21" => "SDK token creation failure",
        "22" => "SDK token creation success",
        "23" => "Failed to process digital wallet service",
        "24" => "Digital wallet order processed successfully",
        "27" => "Check card balance failed",
        "28" => "Check card balance success",
        "29" => "Redemption failed",
        "30" => "Redemption success",
        "31" => "Reverse redemption transaction failed",
        "32" => "Reverse redemption transaction success",
        "40" => "Transaction in review",
        "42" => "Currency conversion success",
        "43" => "Currency conversion failed",
        "44" => "3-D Secure success",
        "45" => "3-D Secure failed",
        "46" => "Bill creation success",
        "47" => "Bill creation failed",
        "48" => "Generating invoice payment link success",
        "49" => "Generating invoice payment link failed",
        "50" => "Batch file uploaded successfully",
        "51" => "Upload batch file failed",
        "52" => "Token created successfully",
        "53" => "Token creation failed",
        "54" => "Get tokens success",
        "55" => "Get tokens failed",
        "56" => "Reporting request success",
        "57" => "Reporting request failed",
        "58" => "Token updated successfully",
        "59" => "Token update failed",
        "62" => "Get installment plans success",
        "63" => "Get installment plans failed",
        "66" => "Delete token success",
        "70" => "Get batch results success",
        "71" => "Get batch results failed",
        "72" => "Batch processing success",
        "73" => "Batch processing failed",
        "74" => "Bank transfer success",
        "75" => "Bank transfer failed",
        "76" => "Batch validation success",
        "77" => "Batch validation failed",
        "80" => "Credit card verified successfully",
        "81" => "Failed to verify credit card",
        "88" => "OTP generation success",
        "89" => "OTP generation failed",
        "90" => "Customer verification success",
        "91" => "Customer verification failed",
        "92" => "OTP verification success",
        "93" => "OTP verification failed",
        _ => UNKNOWN_STATUS,
    }
}

/// APS's meaning of a 3-digit message code (spec 5.2, worded as in APS's code table), or
/// [`UNKNOWN_MESSAGE`].
pub fn message_text(message: &str) -> &'static str {
    match message {
        "000" => "Success",
        "001" => "Missing parameter",
        "002" => "Invalid parameter format",
        "003" => "Payment option is not available for this merchant's account",
        "004" => "Invalid command",
        "005" => "Invalid amount",
        "006" => "Technical problem",
        "007" => "Duplicate order number",
        "008" => "Signature mismatch",
        "009" => "Invalid merchant identifier",
        "010" => "Invalid access code",
        "011" => "Order not saved",
        "012" => "Card expired",
        "013" => "Invalid currency",
        "014" => "Inactive payment option",
        "015" => "Inactive merchant account",
        "016" => "Invalid card number",
        "017" => "Operation not allowed by the acquirer",
        "018" => "Operation not allowed by processor",
        "019" => "Inactive acquirer",
        "020" => "Processor is inactive",
        "021" => "Payment option deactivated by acquirer",
        "023" => "Currency not accepted by acquirer",
        "024" => "Currency not accepted by processor",
        "025" => "Processor integration settings are missing",
        "026" => "Acquirer integration settings are missing",
        "027" => "Invalid extra parameters",
        "029" => "Insufficient funds",
        "030" => "Authentication failed",
        "031" => "Invalid issuer",
        "032" => "Invalid parameter length",
        "033" => "Parameter value not allowed",
        "034" => "Operation not allowed",
        "035" => "Order created successfully",
        "036" => "Order not found",
        "037" => "Missing return URL",
        "038" => "Token service inactive",
        "039" => "No active payment option found",
        "040" => "Invalid transaction source",
        "042" => "Operation amount exceeds the authorized amount",
        "043" => "Inactive operation",
        "044" => "Token name does not exist",
        "046" => "Channel is not configured for the selected payment option",
        "047" => "Order already processed",
        "048" => "Operation amount exceeds captured amount",
        "049" => "Operation not valid for this payment option",
        "050" => "Merchant per transaction limit exceeded",
        "051" => "Technical error",
        "052" => "Consumer is not in OLP database",
        "053" => "Merchant is not found in OLP engine database",
        "054" => "Transaction cannot be processed at this moment",
        "055" => "OLP ID alias is not valid",
        "056" => "OLP ID alias does not exist",
        "057" => "Transaction amount exceeds the daily transaction limit",
        "058" => "Transaction amount exceeds the per transaction limit",
        "059" => "Merchant name and SADAD merchant ID do not match",
        "060" => "The entered OLP password is incorrect",
        "061" => "Failed to create token",
        "062" => "Token has been created",
        "063" => "Token has been updated",
        "064" => "3-D Secure check requested",
        "065" => "Transaction waiting for customer's action",
        "066" => "Merchant reference already exists",
        "067" => "Dynamic descriptor not configured for selected payment option",
        "068" => "SDK service is inactive",
        "069" => "Mapping not found for the given error code",
        "070" => "device_id mismatch",
        "071" => "Failed to initiate connection",
        "072" => "Transaction has been cancelled by the consumer",
        "073" => "Invalid request format",
        "074" | "075" => "Transaction failed",
        "076" => "Transaction not found in OLP",
        "077" => "Error transaction code not found",
        "078" => "Failed to check fraud screen",
        "079" => "Transaction challenged by fraud rules",
        "080" => "Invalid payment option",
        "082" => "Inactive fraud service",
        "083" => "Unexpected user behavior",
        "084" => "Transaction amount is outside the minimum and maximum of the selected plan",
        "086" => "Installment plan is not configured for the merchant account",
        "087" => "Card BIN does not match accepted issuer bank",
        "088" => "Token name was not created for this transaction",
        "089" => "Failed to retrieve digital wallet details",
        "090" => "Transaction in review",
        "092" => "Invalid issuer code",
        "093" => "Service inactive",
        "094" => "Invalid plan code",
        "095" => "Inactive issuer",
        "096" => "Inactive plan",
        "097" => "Operation not allowed for service",
        "098" => "Invalid or expired call_id",
        "099" => "Failed to execute service",
        "100" => "Invalid expiry date",
        "101" => "Bill number not found",
        "102" => "Apple Pay order has expired",
        "103" => "Duplicate subscription ID",
        "104" => "No plans valid for request",
        "105" => "Invalid bank code",
        "106" => "Inactive bank",
        "107" => "Invalid transfer_date",
        "110" => "Contradicting parameters",
        "111" => "Service not applicable for payment option",
        "112" => "Service not applicable for payment operation",
        "113" => "Service not applicable for e-commerce indicator",
        "114" => "Token already exists",
        "115" => "Expired invoice payment link",
        "116" => "Inactive notification type",
        "117" => "Invoice payment link already processed",
        "118" => "Order bounced",
        "119" => "Request dropped",
        "120" => "Payment link terms and conditions not found",
        "121" => "Card number is not verified",
        "122" => "Invalid date interval",
        "123" => "Maximum number of attempts exceeded",
        "124" => "Account successfully created",
        "125" => "Invoice already paid",
        "126" => "Duplicate invoice ID",
        "127" => "Merchant reference is not generated yet",
        "128" => "The generated report is still pending",
        "129" => "Downloaded report queue is full",
        "134" => "Search results exceed the maximum number of records",
        "136" => "Batch file validation failed",
        "137" => "Invalid batch file execution date",
        "138" => "Batch file still under validation",
        "140" => "Batch file still under processing",
        "141" => "Batch reference does not exist",
        "142" => "Batch file header is invalid",
        "144" => "Invalid batch file",
        "146" => "Batch reference already exists",
        "147" => "Batch process request has been received",
        "148" => "Batch file will be processed",
        "149" => "Payment link request ID not found",
        "150" => "Payment link is already open",
        "151" => "3ds_id does not exist",
        "152" => "3-D Secure verification does not match the request details",
        "154" => "Maximum number of upload retries reached",
        "155" => "Upload retries are not configured",
        "181" => "Minimum amount for this service not reached",
        "221" => "Maximum amount for this service exceeded",
        "225" => "Operation not permitted for this merchant",
        "662" => "Operation not allowed: the order is not confirmed yet",
        "666" => "Transaction declined",
        "746" => "Purchase amount is more than the customer limit",
        "747" => "Insufficient wallet balance",
        "748" => "OTP and purchase request parameters do not match",
        "773" => "Transaction closed",
        "777" => "The transaction has been processed, but failed to receive confirmation",
        "778" => "Session timed out",
        "779" => "Transformation error",
        "780" => "Transaction number transformation error",
        "781" => "Message or response code transformation error",
        "783" => "Installments service inactive",
        "784" => "Transaction still processing, another transaction cannot be made",
        "785" => "Transaction blocked by fraud check",
        "787" => "Failed to authenticate the user",
        "788" => "Invalid bill number",
        "789" => "Expired bill number",
        "790" => "Invalid bill type code",
        "983" => "Minimum time between two OTP attempts is 60 seconds",
        _ => UNKNOWN_MESSAGE,
    }
}

/// Arabic `response_message` for the codes an agent meets most, used when a request is sent with
/// `language=ar`. APS's own Arabic texts are not in the spec; these are faithful translations of
/// the English meanings above.
pub fn message_text_ar(message: &str) -> Option<&'static str> {
    Some(match message {
        "000" => "تمت العملية بنجاح",
        "001" => "معامل مفقود",
        "002" => "صيغة المعامل غير صحيحة",
        "003" => "خيار الدفع غير متاح لحساب هذا التاجر",
        "004" => "أمر غير صالح",
        "005" => "مبلغ غير صالح",
        "006" => "مشكلة فنية",
        "007" => "رقم الطلب مكرر",
        "008" => "التوقيع غير مطابق",
        "009" => "معرّف التاجر غير صالح",
        "010" => "رمز الوصول غير صالح",
        "011" => "لم يتم حفظ الطلب",
        "012" => "البطاقة منتهية الصلاحية",
        "013" => "عملة غير صالحة",
        "014" => "خيار الدفع غير مفعّل",
        "015" => "حساب التاجر غير مفعّل",
        "016" => "رقم البطاقة غير صالح",
        "017" => "العملية غير مسموح بها من قبل البنك المستحوذ",
        "020" => "المعالج غير مفعّل",
        "029" => "الرصيد غير كافٍ",
        "030" => "فشلت المصادقة",
        "032" => "طول المعامل غير صالح",
        "033" => "قيمة المعامل غير مسموح بها",
        "034" => "العملية غير مسموح بها",
        "036" => "الطلب غير موجود",
        "042" => "مبلغ العملية يتجاوز المبلغ المفوَّض",
        "043" => "العملية غير مفعّلة",
        "044" => "اسم الرمز المميز غير موجود",
        "047" => "تمت معالجة الطلب مسبقاً",
        "048" => "مبلغ العملية يتجاوز المبلغ المحصَّل",
        "050" => "تم تجاوز الحد الأقصى للعملية الواحدة للتاجر",
        "051" => "خطأ فني",
        "066" => "مرجع التاجر موجود مسبقاً",
        "090" => "العملية قيد المراجعة",
        "100" => "تاريخ انتهاء الصلاحية غير صالح",
        "666" => "تم رفض العملية",
        "777" => "تمت معالجة العملية ولكن لم يتم استلام التأكيد",
        "778" => "انتهت مهلة الجلسة",
        "784" => "العملية ما زالت قيد المعالجة، لا يمكن إجراء عملية أخرى",
        _ => return None,
    })
}

/// How an agent must treat a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The operation succeeded.
    Approved,
    /// APS processed the request and refused it; no money moved.
    Declined,
    /// APS refused the request before processing it; nothing moved and the request must be fixed.
    Rejected,
    /// Money may or may not have moved: the order's status must be checked before anything else.
    Uncertain,
}

impl Kind {
    /// A short word for the kind, as shown in lists.
    pub fn label(self) -> &'static str {
        match self {
            Self::Approved => "Approved",
            Self::Declined => "Declined",
            Self::Rejected => "Rejected",
            Self::Uncertain => "Outcome unknown",
        }
    }
}

/// What an agent is told. Built only here, so every code has words.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    pub kind: Kind,
    /// The response code as received ("" if none). Anything that is not a response code is cut
    /// to 10 characters, too short to ever hold a card number.
    pub code: String,
    pub headline: String,
    /// Plain words for a call-centre agent, including APS's meaning of the code.
    pub explanation: String,
    /// What the agent should do now.
    pub next_step: String,
}

/// The codes the official plugins treat as on hold (spec 5.4), by exact value.
const ON_HOLD_CODES: [&str; 5] = ["15777", "15778", "15779", "15780", "15781"];

/// Statuses that mean an operation succeeded (spec 5.1); seen with a code that is not this
/// operation's success, they mean APS answered about something else.
const SUCCESS_STATUSES: [&str; 32] = [
    "01", "02", "04", "06", "08", "12", "14", "18", "22", "24", "28", "30", "32", "42", "44", "46", "48",
    "50", "52", "54", "56", "58", "62", "66", "70", "72", "74", "76", "80", "88", "90", "92",
];

/// Failures of the payment operations that spec 5.4 lists as definitive: processed, no money
/// moved (when the message is not a technical one, which is caught before).
const PAYMENT_FAILURES: [&str; 5] = ["03", "05", "07", "09", "13"];

/// Why a code leaves the outcome open (spec 5.4), whatever the operation; `None` if it does not.
///
/// A technical problem (`006`) is open for every status, not only the thirteen the plugins list:
/// the rule "when in doubt, assume money may have moved" costs one status check at most.
fn open_reason(code: &ResponseCode) -> Option<&'static str> {
    let (status, message) = (code.status(), code.message());
    if ON_HOLD_CODES.contains(&code.as_str()) {
        return Some("APS lists this code as on hold: the result is not final yet.");
    }
    if message == "006" {
        return Some("APS had a technical problem and cannot say whether the request was processed.");
    }
    let reason = match (status, message) {
        ("15", _) => "APS marked the transaction as uncertain.",
        ("19", _) => "APS says the transaction is still pending.",
        ("10", _) => "APS says the transaction is incomplete.",
        ("20", m) if m != "064" => "APS put the transaction on hold.",
        ("40", _) | (_, "090") => "APS put the transaction in review.",
        (_, "051") => "APS had a technical error and cannot say whether the request was processed.",
        (_, "777") => "APS processed the transaction but did not receive the confirmation.",
        (_, "778") => "The session timed out while APS was working on the request.",
        (_, "784") => "APS is still processing an earlier transaction for this order.",
        _ => return None,
    };
    Some(reason)
}

/// True when a transaction code reported by CHECK_STATUS is not final yet (spec 5.4): the order
/// must be checked again later. A 3-D Secure request (`20064`) counts too, since the order waits.
pub fn is_on_hold(code: &ResponseCode) -> bool {
    open_reason(code).is_some() || code.status() == "20"
}

/// Whether `code` is a success of `op` (spec 5.3).
fn is_success(op: Operation, code: &ResponseCode) -> bool {
    let c = code.as_str();
    if c == op.success_code() {
        return true;
    }
    match op {
        Operation::CreateToken => code.status() == "52" || matches!(c, "18000" | "18062" | "18063"),
        Operation::UpdateToken => matches!(c, "18000" | "18062" | "18063"),
        _ => false,
    }
}

/// Whether `code` is the success of some operation (spec 5.3): seen where it is not this
/// operation's success, APS answered about something else.
fn is_success_elsewhere(code: &ResponseCode) -> bool {
    Operation::ALL.iter().any(|op| is_success(*op, code))
        || (SUCCESS_STATUSES.contains(&code.status()) && code.message() == "000")
}

/// The word for doing `op` again, for "do not ... again".
fn redo_verb(op: Operation) -> &'static str {
    match op {
        Operation::Purchase => "charge",
        Operation::Authorization => "authorize",
        Operation::Capture => "capture",
        Operation::VoidAuthorization => "void",
        Operation::Refund => "refund",
        Operation::CheckStatus => "check",
        Operation::CreateToken => "store the card",
        Operation::UpdateToken => "update the card",
        Operation::PaymentLink => "send a link",
        Operation::UploadBatchFile => "upload the file",
        Operation::GetBatchResults => "ask for the results",
        Operation::ProcessBatch => "process the batch",
    }
}

/// APS's meaning of a code, in one sentence.
fn meaning(code: &ResponseCode) -> String {
    format!(
        "APS code {}: {} ({}).",
        code.as_str(),
        status_text(code.status()),
        message_text(code.message()).to_lowercase_first()
    )
}

/// Lower-cases the first letter of a message so it reads inside a sentence, unless the first
/// word is a name or an acronym ("OLP", "SDK", "Apple Pay").
trait LowerFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowerFirst for str {
    fn to_lowercase_first(&self) -> String {
        let first_word = self.split(' ').next().unwrap_or("");
        let keep = first_word == "Apple" || first_word.chars().skip(1).any(|c| c.is_ascii_uppercase());
        let mut chars = self.chars();
        match chars.next() {
            Some(first) if !keep => first.to_lowercase().chain(chars).collect(),
            _ => self.to_owned(),
        }
    }
}

/// The message-specific next step, where one exists. Shared by Rejected and Declined.
fn advice(op: Operation, message: &str) -> Option<&'static str> {
    let token_op = matches!(op, Operation::CreateToken | Operation::UpdateToken);
    Some(match message {
        "001" => {
            "Fill in every required field and send again; if it happens again, report the code to support"
        }
        "002" | "073" => "Correct the format of the field APS names in its message and send again",
        "032" => "Shorten the field APS names in its message and send again",
        "033" => "Use an allowed value for the field APS names in its message and send again",
        "027" | "110" => {
            "Remove the extra or contradicting fields and send again; report the code to support"
        }
        "004" => "This account does not accept this operation: check the operation, or ask APS to enable it",
        "005" => "Correct the amount and send again",
        "007" | "066" => "This reference was already used: check its status in History before charging again",
        "047" => "This order was already processed: check its status in History before doing anything else",
        "008" => "Check the SHA request phrase and SHA type in Settings",
        "009" => "Check the merchant identifier in Settings",
        "010" => "Check the access code in Settings",
        "012" => "Ask the customer for another card, or for the new expiry date of this one",
        "100" => "Check the expiry date with the customer and send again",
        "016" | "121" => "Check the card number with the customer, or ask for another card",
        "029" | "747" => "Ask the customer for another card",
        "666" | "074" | "075" => "Ask the customer for another card, or to call their bank",
        "030" | "031" | "087" | "092" | "095" | "787" => "Ask the customer for another card",
        "017" | "018" => "The bank does not allow this operation on this card: ask for another card",
        "013" | "023" | "024" => "Use a currency enabled on this account",
        "003" | "014" | "021" | "039" | "080" => {
            "This card type is not enabled on the account: ask for another card, or ask APS to enable it"
        }
        "049" => {
            "This payment option does not allow this operation: if the account is purchase-only, use Purchase instead of Authorization"
        }
        "015" | "019" | "020" | "025" | "026" | "038" | "046" | "067" | "068" | "082" | "093" | "225" => {
            "The merchant account is not set up for this: contact APS support with the code"
        }
        "042" => "Capture at most the remaining authorized amount",
        "048" => "Refund at most the captured amount not yet refunded",
        "044" | "088" => "The stored card no longer exists: ask the customer for the card details again",
        "043" if token_op => "The stored card is inactive: ask the customer for the card details again",
        "043" | "034" | "662" => {
            "This operation is not possible on this order now: check the order in History"
        }
        "036" => "Check the order reference: APS has no order with it",
        "050" | "057" | "058" | "221" | "746" => "Use a smaller amount, or ask APS to raise the limit",
        "181" => "Use a larger amount",
        "079" | "785" | "078" => {
            "Do not try this card again: ask for another payment method or call your supervisor"
        }
        "072" => "The customer cancelled: ask whether they want to pay again",
        "773" => "This order is closed: start a new order",
        "114" => "The card is already stored: use the existing stored card",
        "115" | "117" | "125" | "150" => "Check the payment link in History before sending another",
        "123" => "Wait before trying again: APS counts too many attempts",
        "136" | "137" | "142" | "144" => "Fix the batch file and upload it again",
        "141" => "Check the batch reference",
        "146" => "Use a new batch reference",
        "138" | "140" | "147" | "148" => "Wait, then ask for the batch results again",
        _ => return None,
    })
}

/// The next step when no message-specific one applies.
fn default_next_step(op: Operation, kind: Kind) -> &'static str {
    match (kind, op) {
        (Kind::Rejected, _) => {
            "Fix the request and send again; if you cannot tell what is wrong, contact support with the code"
        }
        (_, Operation::Purchase | Operation::Authorization) => {
            "Ask the customer for another card, or contact APS support with the code"
        }
        (_, Operation::Capture | Operation::VoidAuthorization | Operation::Refund) => {
            "Check the order in History; contact APS support with the code if this should have worked"
        }
        (_, Operation::CheckStatus) => "Check the reference and try the status check again",
        _ => "Contact APS support with the code",
    }
}

fn verdict(kind: Kind, code: &str, headline: String, explanation: String, next_step: &str) -> Verdict {
    Verdict { kind, code: code.to_owned(), headline, explanation, next_step: next_step.to_owned() }
}

/// Classifies any response of `op` by its response_code (spec 5.3, 5.4). Exhaustive: every
/// string gets a verdict with words.
pub fn classify(op: Operation, response_code: &str) -> Verdict {
    let Some(code) = ResponseCode::parse(response_code) else {
        return unreadable(op, response_code);
    };
    let (status, message) = (code.status(), code.message());
    if is_success(op, &code) {
        return approved(op, &code);
    }
    if let Some(reason) = open_reason(&code) {
        return uncertain(op, &code, reason);
    }
    if is_success_elsewhere(&code) {
        return uncertain(
            op,
            &code,
            "APS answered with the success code of another operation, so this answer does not say what happened to this request.",
        );
    }
    if status == "00" {
        return rejected(op, &code);
    }
    if op == Operation::CheckStatus && status == "11" && message == "036" {
        return verdict(
            Kind::Declined,
            code.as_str(),
            "Order not found".to_owned(),
            format!(
                "APS has no order with this reference, so nothing was charged under it, unless APS is \
                 slow to report it. {}",
                meaning(&code)
            ),
            "Check the status again in a few minutes before charging: only then is it safe to charge",
        );
    }
    if PAYMENT_FAILURES.contains(&status) || !op.moves_money() {
        return declined(op, &code);
    }
    if code.as_str() == "20064" {
        return uncertain(
            op,
            &code,
            "APS asked for a 3-D Secure check, which a phone order cannot complete; the payment is waiting and not final.",
        );
    }
    uncertain(
        op,
        &code,
        "This code is not a result the terminal expects for this operation, so it cannot tell whether money moved.",
    )
}

fn unreadable(op: Operation, received: &str) -> Verdict {
    let shown: String = received.chars().take(10).collect();
    let what = if received.is_empty() {
        "APS's answer had no response code".to_owned()
    } else {
        format!("APS's answer had a response code that is not 5 digits (\"{shown}\")")
    };
    let verdict = uncertain_words(op, &format!("{what}, so the terminal cannot tell what happened."));
    Verdict { code: shown, ..verdict }
}

fn uncertain(op: Operation, code: &ResponseCode, reason: &str) -> Verdict {
    let mut v = uncertain_words(op, &format!("{reason} {}", meaning(code)));
    v.code = code.as_str().to_owned();
    v
}

fn uncertain_words(op: Operation, why: &str) -> Verdict {
    let (headline, effect, next_step) = if op.moves_money() {
        (
            "Outcome unknown: checking with APS".to_owned(),
            format!(
                "The {} may or may not have gone through.",
                op.wire_name().to_lowercase().replace('_', " ")
            ),
            format!("Do not {} again: the terminal is checking the status with APS", redo_verb(op)),
        )
    } else if op == Operation::CheckStatus {
        (
            "Status unknown: APS did not answer clearly".to_owned(),
            "The order's status is still unknown.".to_owned(),
            "Check the status again in a few minutes; do not charge the order meanwhile".to_owned(),
        )
    } else {
        (
            format!("Outcome unknown: {} not confirmed", op.wire_name()),
            "No money moves with this operation, but it may or may not have been done.".to_owned(),
            format!("Check the result in History or the APS back office before you {} again", redo_verb(op)),
        )
    };
    Verdict {
        kind: Kind::Uncertain,
        code: String::new(),
        headline,
        explanation: format!("{why} {effect}"),
        next_step,
    }
}

fn approved(op: Operation, code: &ResponseCode) -> Verdict {
    let (what, next_step) = match op {
        Operation::Purchase => (
            "The payment was charged to the card.",
            "Give the customer the order reference; nothing more to do",
        ),
        Operation::Authorization => (
            "The amount is reserved on the card but not charged until you capture it.",
            "Capture when the order is fulfilled (within 5 days), or void it if the order is cancelled",
        ),
        Operation::Capture => ("The authorized amount was charged to the card.", "Nothing more to do"),
        Operation::VoidAuthorization => {
            ("The reservation was released; the customer will not be charged.", "Nothing more to do")
        }
        Operation::Refund => (
            "The refund was accepted and the money is going back to the card.",
            "Tell the customer the refund is on its way to their card",
        ),
        Operation::CheckStatus => ("APS answered the status query.", "Read the order status shown"),
        Operation::CreateToken => {
            ("The card was stored for later charges.", "Charge the stored card when the customer asks")
        }
        Operation::UpdateToken => ("The stored card was updated.", "Nothing more to do"),
        Operation::PaymentLink => (
            "The payment link was created.",
            "Tell the customer to pay with the link; its status shows in History",
        ),
        Operation::UploadBatchFile => {
            ("APS received the batch file.", "Process the batch, then ask for its results")
        }
        Operation::GetBatchResults => ("APS returned the batch results.", "Review the results shown"),
        Operation::ProcessBatch => {
            ("APS accepted the batch for processing.", "Ask for the batch results later to see each payment")
        }
    };
    verdict(
        Kind::Approved,
        code.as_str(),
        "Approved".to_owned(),
        format!("{what} {}", meaning(code)),
        next_step,
    )
}

fn rejected(op: Operation, code: &ResponseCode) -> Verdict {
    let message = code.message();
    let reason = message_text(message).to_lowercase_first();
    let headline = if message_text(message) == UNKNOWN_MESSAGE {
        format!("Not sent: the request was refused (message {message})")
    } else {
        format!("Not sent: the request was refused ({reason})")
    };
    let moved = if matches!(message, "007" | "066" | "047") {
        "APS refused this request before processing it, so this request moved no money; but an earlier \
         request with the same reference may have."
    } else {
        "APS refused this request before processing it, so nothing moved."
    };
    let next_step = advice(op, message).unwrap_or_else(|| default_next_step(op, Kind::Rejected));
    verdict(Kind::Rejected, code.as_str(), headline, format!("{moved} {}", meaning(code)), next_step)
}

fn declined(op: Operation, code: &ResponseCode) -> Verdict {
    let message = code.message();
    let headline = match (op, code.status()) {
        (Operation::CheckStatus, "11") => {
            format!("Status check failed: {}", message_text(message).to_lowercase_first())
        }
        _ if message_text(message) == UNKNOWN_MESSAGE => format!("Declined: message {message}"),
        _ => format!("Declined: {}", message_text(message).to_lowercase_first()),
    };
    let effect = match op {
        Operation::Purchase | Operation::Authorization => {
            "APS processed the payment and refused it; no money moved."
        }
        Operation::Capture => "APS refused the capture; nothing was charged by it.",
        Operation::VoidAuthorization => "APS refused the void; the reservation is unchanged.",
        Operation::Refund => "APS refused the refund; no money went back to the card.",
        Operation::CheckStatus => {
            "APS could not answer the status query; the order's status is still unknown."
        }
        _ => "APS refused the request; no money moves with this operation.",
    };
    let next_step = advice(op, message).unwrap_or_else(|| default_next_step(op, Kind::Declined));
    verdict(Kind::Declined, code.as_str(), headline, format!("{effect} {}", meaning(code)), next_step)
}

/// What APS says the order is now (the CHECK_STATUS fields of spec 3.8).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderStatus {
    /// Status of the order's last operation (e.g. `14`, `02`, `04`).
    pub transaction_status: String,
    /// Full response code of the order's last operation (e.g. `14000`).
    pub transaction_code: String,
    pub transaction_message: String,
    pub authorized_minor: u64,
    pub captured_minor: u64,
    pub refunded_minor: u64,
    pub fort_id: Option<String>,
    pub authorization_code: Option<String>,
}

impl OrderStatus {
    /// The operation the order's last transaction was, read from its status.
    pub fn last_operation(&self) -> Option<Operation> {
        let status = ResponseCode::parse(&self.transaction_code)
            .map(|c| c.status().to_owned())
            .unwrap_or_else(|| self.transaction_status.clone());
        Some(match status.as_str() {
            "02" | "03" => Operation::Authorization,
            "04" | "05" => Operation::Capture,
            "06" | "07" => Operation::Refund,
            "08" | "09" => Operation::VoidAuthorization,
            "13" | "14" => Operation::Purchase,
            _ => return None,
        })
    }

    /// The verdict on the order's last transaction, when its operation is known.
    pub fn transaction_verdict(&self) -> Option<Verdict> {
        self.last_operation().map(|op| classify(op, &self.transaction_code))
    }
}

/// What a CHECK_STATUS answer says about the order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusAnswer {
    /// The query succeeded (`12000`) and the last transaction's code is final.
    Found(OrderStatus),
    /// The query succeeded but the last transaction is on hold or uncertain (spec 5.4): poll again.
    StillUncertain(OrderStatus),
    /// Status 11 with message 036: APS has no order with this reference (spec 8 step 4).
    NotFound,
    /// Any other answer: the order stays unknown.
    QueryFailed(Verdict),
}

/// Reads a text field that APS may send as a JSON string or a JSON number; numbers are padded
/// with leading zeros to `width`, which a JSON number cannot carry.
fn text_field(response: &Params, name: &str, width: usize) -> Result<Option<String>, ()> {
    match response.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => Ok(Some(format!("{n:0width$}"))),
            None => Err(()),
        },
        Some(_) => Err(()),
    }
}

/// Reads an amount in minor units, as digits in a string or as a JSON integer; missing or empty
/// is 0 (spec 3.8 omits amounts that never happened).
fn amount_field(response: &Params, name: &str) -> Result<u64, ()> {
    match response.get(name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(s)) if s.is_empty() => Ok(0),
        Some(Value::String(s)) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().map_err(|_| ()),
        Some(Value::Number(n)) => n.as_u64().ok_or(()),
        Some(_) => Err(()),
    }
}

/// A status answer that says 12000 but cannot be read: the order stays unknown.
fn unreadable_status(field: &str) -> StatusAnswer {
    StatusAnswer::QueryFailed(verdict(
        Kind::Uncertain,
        "12000",
        "Status unknown: APS's answer could not be read".to_owned(),
        format!(
            "APS answered the status query, but its field {field} is not readable, so the terminal cannot \
             tell what happened to the order."
        ),
        "Check the order in the APS back office before charging again",
    ))
}

/// Interprets a CHECK_STATUS response (spec 3.8 and 8). The response signature must have been
/// verified already: this only reads the fields.
pub fn interpret_check_status(response: &Params) -> StatusAnswer {
    let raw = match response.get("response_code") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let Some(code) = response.get("response_code").and_then(ResponseCode::from_value) else {
        return StatusAnswer::QueryFailed(classify(Operation::CheckStatus, &raw));
    };
    if code.status() == "11" && code.message() == "036" {
        return StatusAnswer::NotFound;
    }
    if code.as_str() != Operation::CheckStatus.success_code() {
        return StatusAnswer::QueryFailed(classify(Operation::CheckStatus, code.as_str()));
    }
    let Ok(transaction_code) = text_field(response, "transaction_code", 5) else {
        return unreadable_status("transaction_code");
    };
    let Ok(transaction_status) = text_field(response, "transaction_status", 2) else {
        return unreadable_status("transaction_status");
    };
    let Ok(transaction_message) = text_field(response, "transaction_message", 0) else {
        return unreadable_status("transaction_message");
    };
    let mut amounts = [0u64; 3];
    for (slot, field) in amounts.iter_mut().zip(["authorized_amount", "captured_amount", "refunded_amount"]) {
        match amount_field(response, field) {
            Ok(minor) => *slot = minor,
            Err(()) => return unreadable_status(field),
        }
    }
    let Ok(fort_id) = text_field(response, "fort_id", 0) else {
        return unreadable_status("fort_id");
    };
    let Ok(authorization_code) = text_field(response, "authorization_code", 0) else {
        return unreadable_status("authorization_code");
    };
    let transaction = transaction_code.as_deref().and_then(ResponseCode::parse);
    let transaction_status = match (transaction_status, transaction) {
        (Some(status), _) => status,
        (None, Some(code)) => code.status().to_owned(),
        (None, None) => String::new(),
    };
    let [authorized_minor, captured_minor, refunded_minor] = amounts;
    let order = OrderStatus {
        transaction_status,
        transaction_code: transaction_code.unwrap_or_default(),
        transaction_message: transaction_message.unwrap_or_default(),
        authorized_minor,
        captured_minor,
        refunded_minor,
        fort_id,
        authorization_code,
    };
    match transaction {
        Some(code) if !is_on_hold(&code) => StatusAnswer::Found(order),
        _ => StatusAnswer::StillUncertain(order),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every status of spec 5.1, copied from the spec table independently of `status_text`.
    const SPEC_STATUSES: &[&str] = &[
        "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "17",
        "18", "19", "20", "21", "22", "23", "24", "27", "28", "29", "30", "31", "32", "40", "42", "43", "44",
        "45", "46", "47", "48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "62", "63",
        "66", "70", "71", "72", "73", "74", "75", "76", "77", "80", "81", "88", "89", "90", "91", "92", "93",
    ];

    /// Every message code of spec 5.2 (052–060 expanded, plus the third-party 061).
    const SPEC_MESSAGES: &[&str] = &[
        "000", "001", "002", "003", "004", "005", "006", "007", "008", "009", "010", "011", "012", "013",
        "014", "015", "016", "017", "018", "019", "020", "021", "023", "024", "025", "026", "027", "029",
        "030", "031", "032", "033", "034", "035", "036", "037", "038", "039", "040", "042", "043", "044",
        "046", "047", "048", "049", "050", "051", "052", "053", "054", "055", "056", "057", "058", "059",
        "060", "061", "062", "063", "064", "065", "066", "067", "068", "069", "070", "071", "072", "073",
        "074", "075", "076", "077", "078", "079", "080", "082", "083", "084", "086", "087", "088", "089",
        "090", "092", "093", "094", "095", "096", "097", "098", "099", "100", "101", "102", "103", "104",
        "105", "106", "107", "110", "111", "112", "113", "114", "115", "116", "117", "118", "119", "120",
        "121", "122", "123", "124", "125", "126", "127", "128", "129", "134", "136", "137", "138", "140",
        "141", "142", "144", "146", "147", "148", "149", "150", "151", "152", "154", "155", "181", "221",
        "225", "662", "666", "746", "747", "748", "773", "777", "778", "779", "780", "781", "783", "784",
        "785", "787", "788", "789", "790", "983",
    ];

    /// The on-hold codes of spec 5.4, by exact value and by example of each open status/message.
    const ON_HOLD: &[&str] = &[
        "15777", "15778", "15779", "15780", "15781", "00006", "01006", "02006", "03006", "04006", "05006",
        "06006", "07006", "08006", "09006", "11006", "13006", "17006", "15000", "15001", "19000", "19065",
        "10000", "10064", "20000", "20065", "40000", "40090", "14090", "13090", "13051", "14051", "00051",
        "14777", "13777", "04778", "13784", "00784", "06784",
    ];

    fn params(v: Value) -> Params {
        match v {
            Value::Object(map) => map,
            _ => panic!("object expected"),
        }
    }

    #[test]
    fn response_code_parses_exactly_five_ascii_digits() {
        let code = ResponseCode::parse("03001").unwrap();
        assert_eq!((code.status(), code.message(), code.as_str()), ("03", "001", "03001"));
        assert_eq!(code.to_string(), "03001");
        assert_eq!(format!("{code:?}"), "ResponseCode(03001)");
        for bad in ["", "1400", "140000", "14 00", "1400a", " 14000", "14000\n", "١٤٠٠٠", "+1400", "-1400"]
        {
            assert_eq!(ResponseCode::parse(bad), None, "{bad:?}");
        }
        assert_eq!(ResponseCode::from_value(&json!(2000)), ResponseCode::parse("02000"));
        assert_eq!(ResponseCode::from_value(&json!("14000")), ResponseCode::parse("14000"));
        assert_eq!(ResponseCode::from_value(&json!(100000)), None);
        assert_eq!(ResponseCode::from_value(&json!(-1)), None);
        assert_eq!(ResponseCode::from_value(&json!(14000.5)), None);
        assert_eq!(ResponseCode::from_value(&json!(null)), None);
    }

    #[test]
    fn every_spec_status_and_message_has_words() {
        for status in SPEC_STATUSES {
            assert_ne!(status_text(status), UNKNOWN_STATUS, "status {status}");
        }
        for message in SPEC_MESSAGES {
            assert_ne!(message_text(message), UNKNOWN_MESSAGE, "message {message}");
        }
        assert_eq!(status_text("16"), UNKNOWN_STATUS);
        assert_eq!(status_text("99"), UNKNOWN_STATUS);
        assert_eq!(status_text("1"), UNKNOWN_STATUS);
        assert_eq!(message_text("022"), UNKNOWN_MESSAGE);
        assert_eq!(message_text("999"), UNKNOWN_MESSAGE);
        assert_eq!(message_text("29"), UNKNOWN_MESSAGE);
        assert_eq!(message_text("029"), "Insufficient funds");
        assert_eq!(message_text("020"), "Processor is inactive");
    }

    #[test]
    fn the_tables_hold_nothing_the_spec_lacks() {
        for n in 0..100 {
            let status = format!("{n:02}");
            assert_eq!(
                status_text(&status) != UNKNOWN_STATUS,
                SPEC_STATUSES.contains(&status.as_str()),
                "{status}"
            );
        }
        for n in 0..1000 {
            let message = format!("{n:03}");
            assert_eq!(
                message_text(&message) != UNKNOWN_MESSAGE,
                SPEC_MESSAGES.contains(&message.as_str()),
                "{message}"
            );
        }
    }

    #[test]
    fn arabic_messages_cover_the_simulator_codes() {
        for message in [
            "000", "001", "002", "003", "004", "005", "006", "007", "008", "009", "010", "012", "013", "016",
            "020", "032", "033", "036", "042", "044", "047", "048", "066", "666",
        ] {
            let text = message_text_ar(message).unwrap_or_else(|| panic!("no Arabic for {message}"));
            assert!(text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{message}: {text}");
        }
        assert_eq!(message_text_ar("999"), None);
    }

    #[test]
    fn classify_table() {
        use Kind::*;
        use Operation::*;
        let table: &[(Operation, &str, Kind, &str)] = &[
            // Approved (spec 5.3).
            (Purchase, "14000", Approved, "Approved"),
            (Authorization, "02000", Approved, "Approved"),
            (Capture, "04000", Approved, "Approved"),
            (VoidAuthorization, "08000", Approved, "Approved"),
            (Refund, "06000", Approved, "Approved"),
            (CheckStatus, "12000", Approved, "Approved"),
            (CreateToken, "52062", Approved, "Approved"),
            (CreateToken, "52000", Approved, "Approved"),
            (CreateToken, "18000", Approved, "Approved"),
            (CreateToken, "18062", Approved, "Approved"),
            (UpdateToken, "58000", Approved, "Approved"),
            (UpdateToken, "18063", Approved, "Approved"),
            (PaymentLink, "48000", Approved, "Approved"),
            (UploadBatchFile, "50000", Approved, "Approved"),
            (GetBatchResults, "70000", Approved, "Approved"),
            (ProcessBatch, "72147", Approved, "Approved"),
            // A success of another operation is not this operation's success.
            (Capture, "14000", Uncertain, "Outcome unknown"),
            (Purchase, "02000", Uncertain, "Outcome unknown"),
            (Refund, "04000", Uncertain, "Outcome unknown"),
            (Purchase, "12000", Uncertain, "Outcome unknown"),
            (CheckStatus, "14000", Uncertain, "Status unknown"),
            (UpdateToken, "52062", Uncertain, "Outcome unknown"),
            (Purchase, "18000", Uncertain, "Outcome unknown"),
            (PaymentLink, "72147", Uncertain, "Outcome unknown"),
            // On hold (spec 5.4).
            (Purchase, "15777", Uncertain, "Outcome unknown"),
            (Purchase, "13006", Uncertain, "Outcome unknown"),
            (Authorization, "03006", Uncertain, "Outcome unknown"),
            (Purchase, "00006", Uncertain, "Outcome unknown"),
            (Refund, "07006", Uncertain, "Outcome unknown"),
            (Purchase, "19000", Uncertain, "Outcome unknown"),
            (Purchase, "20000", Uncertain, "Outcome unknown"),
            (Purchase, "10000", Uncertain, "Outcome unknown"),
            (Purchase, "40090", Uncertain, "Outcome unknown"),
            (Purchase, "13051", Uncertain, "Outcome unknown"),
            (Purchase, "13777", Uncertain, "Outcome unknown"),
            (Purchase, "00778", Uncertain, "Outcome unknown"),
            (Capture, "00784", Uncertain, "Outcome unknown"),
            (Purchase, "20064", Uncertain, "Outcome unknown"),
            (CheckStatus, "11006", Uncertain, "Status unknown"),
            // Missing or unreadable codes.
            (Purchase, "", Uncertain, "Outcome unknown"),
            (Refund, "abc", Uncertain, "Outcome unknown"),
            (CheckStatus, "", Uncertain, "Status unknown"),
            (CreateToken, "5206", Uncertain, "Outcome unknown"),
            // Rejected before processing.
            (Purchase, "00001", Rejected, "Not sent: the request was refused (missing parameter)"),
            (Purchase, "00002", Rejected, "(invalid parameter format)"),
            (Purchase, "00004", Rejected, "(invalid command)"),
            (Purchase, "00005", Rejected, "(invalid amount)"),
            (Purchase, "00007", Rejected, "(duplicate order number)"),
            (Purchase, "00066", Rejected, "(merchant reference already exists)"),
            (Purchase, "00008", Rejected, "(signature mismatch)"),
            (CheckStatus, "00008", Rejected, "(signature mismatch)"),
            (Purchase, "00009", Rejected, "(invalid merchant identifier)"),
            (Purchase, "00010", Rejected, "(invalid access code)"),
            (Purchase, "00013", Rejected, "(invalid currency)"),
            (Purchase, "00032", Rejected, "(invalid parameter length)"),
            (Purchase, "00033", Rejected, "(parameter value not allowed)"),
            (Purchase, "00047", Rejected, "(order already processed)"),
            (Authorization, "00049", Rejected, "(operation not valid for this payment option)"),
            (Purchase, "00072", Rejected, "(transaction has been cancelled by the consumer)"),
            (Refund, "00998", Rejected, "(message 998)"),
            // Declined: processed, nothing moved.
            (Purchase, "13029", Declined, "Declined: insufficient funds"),
            (Purchase, "13012", Declined, "Declined: card expired"),
            (Purchase, "13016", Declined, "Declined: invalid card number"),
            (Purchase, "13666", Declined, "Declined: transaction declined"),
            (Purchase, "13020", Declined, "Declined: processor is inactive"),
            (Purchase, "13044", Declined, "Declined: token name does not exist"),
            (Authorization, "03029", Declined, "Declined: insufficient funds"),
            (Capture, "05042", Declined, "Declined: operation amount exceeds the authorized amount"),
            (Refund, "07048", Declined, "Declined: operation amount exceeds captured amount"),
            (VoidAuthorization, "09043", Declined, "Declined: inactive operation"),
            (Purchase, "13999", Declined, "Declined: message 999"),
            (CheckStatus, "11036", Declined, "Order not found"),
            (CheckStatus, "11010", Declined, "Status check failed: invalid access code"),
            (CreateToken, "17016", Declined, "Declined: invalid card number"),
            (CreateToken, "53012", Declined, "Declined: card expired"),
            (UpdateToken, "59043", Declined, "Declined: inactive operation"),
            (PaymentLink, "49005", Declined, "Declined: invalid amount"),
            (GetBatchResults, "71141", Declined, "Declined: batch reference does not exist"),
            (ProcessBatch, "73144", Declined, "Declined: invalid batch file"),
            (UploadBatchFile, "77136", Declined, "Declined: batch file validation failed"),
            (CreateToken, "20064", Declined, "Declined: 3-D Secure check requested"),
            (CreateToken, "99999", Declined, "Declined: message 999"),
            // Unknown codes for money-moving operations stay open.
            (Purchase, "17016", Uncertain, "Outcome unknown"),
            (Purchase, "53012", Uncertain, "Outcome unknown"),
            (Capture, "99999", Uncertain, "Outcome unknown"),
            (Purchase, "14001", Uncertain, "Outcome unknown"),
            (Purchase, "11036", Uncertain, "Outcome unknown"),
        ];
        assert!(table.len() >= 60);
        for (op, code, kind, headline) in table {
            let v = classify(*op, code);
            assert_eq!(v.kind, *kind, "{op} {code}: {v:?}");
            assert!(
                v.headline.contains(headline),
                "{op} {code}: headline {:?} lacks {headline:?}",
                v.headline
            );
            assert_eq!(v.code, *code);
            if ResponseCode::parse(code).is_some() {
                assert!(v.explanation.contains(&format!("APS code {code}")), "{op} {code}: {v:?}");
            }
        }
    }

    #[test]
    fn next_steps_say_the_right_thing() {
        use Operation::*;
        let cases: &[(Operation, &str, &str)] = &[
            (
                Purchase,
                "00007",
                "This reference was already used: check its status in History before charging again",
            ),
            (
                Purchase,
                "00066",
                "This reference was already used: check its status in History before charging again",
            ),
            (Purchase, "00008", "Check the SHA request phrase and SHA type in Settings"),
            (Purchase, "00009", "merchant identifier in Settings"),
            (Purchase, "00010", "access code in Settings"),
            (Purchase, "00047", "check its status in History"),
            (Purchase, "13029", "Ask the customer for another card"),
            (Purchase, "13012", "another card"),
            (Capture, "05042", "Capture at most the remaining authorized amount"),
            (Refund, "07048", "Refund at most the captured amount"),
            (Purchase, "13044", "card details again"),
            (CreateToken, "53043", "stored card is inactive"),
            (Purchase, "15777", "Do not charge again: the terminal is checking the status with APS"),
            (Refund, "07006", "Do not refund again"),
            (Capture, "", "Do not capture again"),
            (CheckStatus, "11036", "few minutes"),
        ];
        for (op, code, step) in cases {
            let v = classify(*op, code);
            assert!(v.next_step.contains(step), "{op} {code}: {:?} lacks {step:?}", v.next_step);
        }
        for code in ["00007", "00066", "00047"] {
            let v = classify(Purchase, code);
            assert!(!v.next_step.to_lowercase().contains("send again"), "{code} invites a retry: {v:?}");
            assert!(v.explanation.contains("earlier"), "{code}: {v:?}");
        }
    }

    #[test]
    fn every_on_hold_code_is_uncertain_for_every_operation() {
        for op in Operation::ALL {
            for code in ON_HOLD {
                let v = classify(op, code);
                assert_eq!(v.kind, Kind::Uncertain, "{op} {code}: {v:?}");
            }
        }
    }

    #[test]
    fn every_code_of_every_operation_has_words_and_xx006_never_closes_a_payment() {
        for op in Operation::ALL {
            let mut approved = 0;
            for n in 0..100_000u32 {
                let code = format!("{n:05}");
                let v = classify(op, &code);
                assert!(
                    !v.headline.is_empty() && !v.explanation.is_empty() && !v.next_step.is_empty(),
                    "{op} {code}"
                );
                assert_eq!(v.code, code);
                if v.kind == Kind::Approved {
                    approved += 1;
                }
                if op.moves_money() && (code.ends_with("006") || ON_HOLD.contains(&code.as_str())) {
                    assert_eq!(v.kind, Kind::Uncertain, "{op} {code}");
                }
                if op.moves_money() && matches!(v.kind, Kind::Declined | Kind::Rejected) {
                    let status = &code[..2];
                    assert!(status == "00" || PAYMENT_FAILURES.contains(&status), "{op} {code}: {v:?}");
                }
            }
            let expected = match op {
                Operation::CreateToken => 1000 + 3,
                Operation::UpdateToken => 1 + 3,
                _ => 1,
            };
            assert_eq!(approved, expected, "{op}");
        }
    }

    #[test]
    fn unreadable_codes_never_echo_long_text() {
        let v = classify(Operation::Purchase, "4005550000000001");
        assert_eq!(v.kind, Kind::Uncertain);
        assert_eq!(v.code, "4005550000");
        assert!(!v.explanation.contains("4005550000000001"));
    }

    #[test]
    fn check_status_found_with_amounts_as_strings() {
        let answer = interpret_check_status(&params(json!({
            "query_command": "CHECK_STATUS", "response_code": "12000", "status": "12",
            "response_message": "Success", "fort_id": "169996200000001", "transaction_status": "04",
            "transaction_code": "04000", "transaction_message": "Success", "authorized_amount": "10000",
            "captured_amount": "7500", "refunded_amount": "", "authorization_code": "A1B2C3",
        })));
        let StatusAnswer::Found(order) = answer else { panic!("{answer:?}") };
        assert_eq!(order.transaction_status, "04");
        assert_eq!(order.transaction_code, "04000");
        assert_eq!(order.transaction_message, "Success");
        assert_eq!((order.authorized_minor, order.captured_minor, order.refunded_minor), (10000, 7500, 0));
        assert_eq!(order.fort_id.as_deref(), Some("169996200000001"));
        assert_eq!(order.authorization_code.as_deref(), Some("A1B2C3"));
        assert_eq!(order.last_operation(), Some(Operation::Capture));
        assert_eq!(order.transaction_verdict().map(|v| v.kind), Some(Kind::Approved));
    }

    #[test]
    fn check_status_found_with_numbers() {
        let answer = interpret_check_status(&params(json!({
            "response_code": 12000, "transaction_status": 6, "transaction_code": 6000,
            "authorized_amount": 25000, "captured_amount": 25000, "refunded_amount": 5000, "fort_id": 1234567,
        })));
        let StatusAnswer::Found(order) = answer else { panic!("{answer:?}") };
        assert_eq!(order.transaction_status, "06");
        assert_eq!(order.transaction_code, "06000");
        assert_eq!(
            (order.authorized_minor, order.captured_minor, order.refunded_minor),
            (25000, 25000, 5000)
        );
        assert_eq!(order.fort_id.as_deref(), Some("1234567"));
        assert_eq!(order.authorization_code, None);
        assert_eq!(order.transaction_message, "");
        assert_eq!(order.last_operation(), Some(Operation::Refund));
    }

    #[test]
    fn check_status_purchase_and_failed_purchase_are_final() {
        let paid = interpret_check_status(&params(json!({
            "response_code": "12000", "transaction_code": "14000", "transaction_status": "14",
            "authorized_amount": "10000", "captured_amount": "10000",
        })));
        let StatusAnswer::Found(order) = paid else { panic!("{paid:?}") };
        assert_eq!((order.authorized_minor, order.captured_minor, order.refunded_minor), (10000, 10000, 0));
        assert_eq!(order.transaction_verdict().map(|v| v.kind), Some(Kind::Approved));

        let failed = interpret_check_status(&params(json!({
            "response_code": "12000", "transaction_code": "13029", "transaction_status": "13",
        })));
        let StatusAnswer::Found(order) = failed else { panic!("{failed:?}") };
        assert_eq!(order.authorized_minor + order.captured_minor, 0);
        assert_eq!(order.transaction_verdict().map(|v| v.kind), Some(Kind::Declined));
    }

    #[test]
    fn check_status_on_hold_keeps_polling() {
        for transaction_code in ["15777", "13006", "19000", "20064", "02006", "14777", "40090"] {
            let answer = interpret_check_status(&params(json!({
                "response_code": "12000", "transaction_code": transaction_code, "authorized_amount": "100",
            })));
            let StatusAnswer::StillUncertain(order) = answer else {
                panic!("{transaction_code}: {answer:?}")
            };
            assert_eq!(order.transaction_code, transaction_code);
            assert_eq!(order.transaction_status, &transaction_code[..2]);
            assert_eq!(order.authorized_minor, 100);
        }
        let missing = interpret_check_status(&params(json!({ "response_code": "12000" })));
        assert!(matches!(missing, StatusAnswer::StillUncertain(_)), "{missing:?}");
    }

    #[test]
    fn check_status_not_found_only_for_11036() {
        assert_eq!(
            interpret_check_status(&params(json!({ "response_code": "11036" }))),
            StatusAnswer::NotFound
        );
        assert_eq!(
            interpret_check_status(&params(json!({ "response_code": 11036 }))),
            StatusAnswer::NotFound
        );
        for code in ["11006", "11010", "00036", "12036"] {
            let answer = interpret_check_status(&params(json!({ "response_code": code })));
            assert!(matches!(answer, StatusAnswer::QueryFailed(_)), "{code}: {answer:?}");
        }
    }

    #[test]
    fn check_status_bad_answers_leave_the_order_unknown() {
        let StatusAnswer::QueryFailed(v) =
            interpret_check_status(&params(json!({ "response_code": "00008" })))
        else {
            panic!("signature mismatch must fail the query")
        };
        assert_eq!(v.kind, Kind::Rejected);
        assert!(v.next_step.contains("SHA request phrase"));

        let StatusAnswer::QueryFailed(v) = interpret_check_status(&params(json!({ "status": "12" }))) else {
            panic!("a missing response_code must fail the query")
        };
        assert_eq!(v.kind, Kind::Uncertain);
        assert_eq!(v.code, "");

        let StatusAnswer::QueryFailed(v) =
            interpret_check_status(&params(json!({ "response_code": "1200" })))
        else {
            panic!("a short response_code must fail the query")
        };
        assert_eq!(v.kind, Kind::Uncertain);

        for (field, value) in [
            ("captured_amount", json!("12.50")),
            ("captured_amount", json!(-5)),
            ("authorized_amount", json!(10.5)),
            ("refunded_amount", json!("1 000")),
            ("transaction_code", json!(["14000"])),
            ("fort_id", json!({"id": 1})),
        ] {
            let mut response = params(json!({ "response_code": "12000", "transaction_code": "14000" }));
            response.insert(field.to_owned(), value);
            let StatusAnswer::QueryFailed(v) = interpret_check_status(&response) else {
                panic!("unreadable {field} must fail the query")
            };
            assert_eq!(v.kind, Kind::Uncertain, "{field}");
            assert!(v.explanation.contains(field), "{field}: {v:?}");
        }
    }

    #[test]
    fn kind_serializes_in_snake_case() {
        assert_eq!(serde_json::to_string(&Kind::Uncertain).unwrap(), "\"uncertain\"");
        assert_eq!(serde_json::from_str::<Kind>("\"declined\"").unwrap(), Kind::Declined);
        assert_eq!(Kind::Uncertain.label(), "Outcome unknown");
    }
}
