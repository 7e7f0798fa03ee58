//! The runner's own decisions, apart from a journal and a gateway.

use super::*;

#[test]
fn a_row_another_run_sent_again_first_is_waited_for_not_reported_invalid() {
    let job = BatchJob {
        op: Operation::Purchase,
        merchant_reference: "BT-1".into(),
        money: None,
        token_name: "T-1".into(),
        customer_email: String::new(),
        customer_name: String::new(),
        description: String::new(),
        agreement_id: String::new(),
        new_reference: false,
    };
    // What the journal says to a second desk sending the same row again a moment later.
    let sent_again = ServiceError::invalid(
        Field::Order,
        "order BT-1 is pending: only an order APS has no record of can be sent again",
    );
    assert!(maybe_taken(&sent_again, &job));
    assert!(!maybe_taken(&ServiceError::invalid(Field::Amount, "type an amount"), &job));
}
