//! The next step an agent is told: for a message that has its own advice, or by kind.

use super::Kind;
use crate::aps::Operation;

/// The message-specific next step, where one exists. Shared by Rejected and Declined.
pub(super) fn advice(op: Operation, message: &str) -> Option<&'static str> {
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
pub(super) fn default_next_step(op: Operation, kind: Kind) -> &'static str {
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
