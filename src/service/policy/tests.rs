use super::*;
use serde_json::json;

fn params(v: serde_json::Value) -> Params {
    v.as_object().cloned().unwrap()
}

fn signed(mut p: Params) -> bytes::Bytes {
    let s = sign::sign(&p, "resp", Algorithm::Sha256);
    p.insert("signature".into(), s.into());
    bytes::Bytes::from(serde_json::to_vec(&p).unwrap())
}

fn sent() -> Params {
    params(json!({"command": "PURCHASE", "merchant_reference": "R1", "amount": "1000"}))
}

fn reply(body: bytes::Bytes) -> Result<Reply, TransportError> {
    Ok(Reply { http_status: 200, body })
}

#[test]
fn replies_are_read_safely() {
    let ok = params(
        json!({"command": "PURCHASE", "merchant_reference": "R1", "amount": "1000", "response_code": "14000", "status": "14"}),
    );
    assert!(matches!(
        read_reply(Operation::Purchase, &sent(), reply(signed(ok.clone())), "resp", Algorithm::Sha256),
        Reading::Final { verdict, .. } if verdict.kind == Kind::Approved
    ));
    // Wrong phrase: the same answer cannot be trusted.
    assert!(matches!(
        read_reply(Operation::Purchase, &sent(), reply(signed(ok.clone())), "other", Algorithm::Sha256),
        Reading::Unknown { .. }
    ));
    // An answer about another order.
    let mut other = ok.clone();
    other.insert("merchant_reference".into(), "R2".into());
    assert!(matches!(
        read_reply(Operation::Purchase, &sent(), reply(signed(other)), "resp", Algorithm::Sha256),
        Reading::Unknown { .. }
    ));
    let declined = params(
        json!({"command": "PURCHASE", "merchant_reference": "R1", "amount": "1000", "response_code": "13666", "status": "13"}),
    );
    assert!(matches!(
        read_reply(Operation::Purchase, &sent(), reply(signed(declined)), "resp", Algorithm::Sha256),
        Reading::Final { verdict, .. } if verdict.kind == Kind::Declined
    ));
    let uncertain = params(
        json!({"command": "PURCHASE", "merchant_reference": "R1", "amount": "1000", "response_code": "15777", "status": "15"}),
    );
    assert!(matches!(
        read_reply(Operation::Purchase, &sent(), reply(signed(uncertain)), "resp", Algorithm::Sha256),
        Reading::Unknown { .. }
    ));
    let http500 = Ok(Reply { http_status: 500, body: signed(ok) });
    assert!(matches!(
        read_reply(Operation::Purchase, &sent(), http500, "resp", Algorithm::Sha256),
        Reading::Unknown { .. }
    ));
    let garbled = reply(bytes::Bytes::from_static(b"<html>oops"));
    assert!(matches!(
        read_reply(Operation::Purchase, &sent(), garbled, "resp", Algorithm::Sha256),
        Reading::Unknown { .. }
    ));
    let refused = Err(TransportError::NotDelivered("refused".into()));
    assert!(matches!(
        read_reply(Operation::Purchase, &sent(), refused, "resp", Algorithm::Sha256),
        Reading::NotSent { .. }
    ));
    let timeout = Err(TransportError::OutcomeUnknown("timeout".into()));
    assert!(matches!(
        read_reply(Operation::Purchase, &sent(), timeout, "resp", Algorithm::Sha256),
        Reading::Unknown { .. }
    ));
}

fn found(code: &str, authorized: u64, captured: u64, refunded: u64) -> StatusAnswer {
    StatusAnswer::Found(OrderStatus {
        transaction_status: code[..2].to_owned(),
        transaction_code: code.to_owned(),
        transaction_message: String::new(),
        authorized_minor: authorized,
        captured_minor: captured,
        refunded_minor: refunded,
        fort_id: Some("1".into()),
        authorization_code: None,
        currency: None,
        amounts_reported: true,
        processor_response_code: None,
        acquirer_response_code: None,
        payment_link_id: None,
        merchant_reference: None,
    })
}

fn aed() -> Currency {
    Currency::parse("AED").unwrap()
}

fn intent(op: Operation, amount: u64, before: Amounts) -> Intent {
    Intent { op, amount, currency: aed(), before }
}

const NOTHING_YET: Evidence =
    Evidence { no_trace_before: false, past_deadline: false, reference_reused: false };
const CONFIRMED: Evidence = Evidence { no_trace_before: true, past_deadline: true, reference_reused: false };
const LATE: Evidence = Evidence { no_trace_before: false, past_deadline: true, reference_reused: false };

fn applied(j: &Judgement) -> bool {
    matches!(j, Judgement::Applied { .. })
}
fn not_applied(j: &Judgement) -> bool {
    matches!(j, Judgement::NotApplied { .. })
}
fn waiting(j: &Judgement) -> bool {
    matches!(j, Judgement::KeepWaiting { .. } | Judgement::NoTraceOnce)
}
fn no_record(j: &Judgement) -> bool {
    matches!(j, Judgement::NoRecord { .. })
}
fn mismatch(j: &Judgement) -> bool {
    matches!(j, Judgement::Mismatch { .. })
}

#[test]
fn first_operations_are_judged_by_their_own_amount() {
    use Operation::*;
    let none = Amounts::default();
    let sale = |answer, e| judge_status(intent(Purchase, 1000, none), answer, e);
    assert!(applied(&sale(found("14000", 1000, 1000, 0), NOTHING_YET)));
    // Refunded later by someone: still this purchase.
    assert!(applied(&sale(found("06000", 1000, 1000, 400), NOTHING_YET)));
    assert!(applied(&judge_status(
        intent(Authorization, 1000, none),
        found("02000", 1000, 0, 0),
        NOTHING_YET
    )));
    assert!(not_applied(&sale(found("13666", 0, 0, 0), NOTHING_YET)));
    assert!(waiting(&sale(found("15777", 0, 0, 0), LATE)));
    // Another installation's order under the same reference, for another amount.
    assert!(mismatch(&sale(found("14000", 2500, 2500, 0), CONFIRMED)));
    let mut other_currency = found("14000", 1000, 1000, 0);
    if let StatusAnswer::Found(s) = &mut other_currency {
        s.currency = Some("SAR".into());
    }
    assert!(mismatch(&sale(other_currency, NOTHING_YET)));
    // The success code alone, when APS leaves every amount out.
    let mut bare = found("14000", 0, 0, 0);
    if let StatusAnswer::Found(s) = &mut bare {
        s.amounts_reported = false;
    }
    assert!(matches!(
        sale(bare, NOTHING_YET),
        Judgement::Applied { amounts: Amounts { authorized: 1000, captured: 1000, .. }, .. }
    ));
    // A success code with amounts that say nothing moved is not a confirmation.
    assert!(mismatch(&sale(found("14000", 0, 0, 0), NOTHING_YET)));
}

#[test]
fn no_record_needs_two_checks_and_the_deadline() {
    use Operation::*;
    let none = Amounts::default();
    let sale = |e| judge_status(intent(Purchase, 1000, none), StatusAnswer::NotFound, e);
    assert!(matches!(sale(NOTHING_YET), Judgement::NoTraceOnce));
    assert!(matches!(sale(LATE), Judgement::NoTraceOnce), "one look proves nothing");
    assert!(
        matches!(
            sale(Evidence { no_trace_before: true, past_deadline: false, reference_reused: false }),
            Judgement::NoTraceOnce
        ),
        "the request may still be on its way"
    );
    let verdict = match sale(CONFIRMED) {
        Judgement::NoRecord { verdict } => verdict,
        other => panic!("{other:?}"),
    };
    assert!(verdict.next_step.contains("same order again"), "{}", verdict.next_step);
    assert!(
        !verdict.next_step.contains("new order") || verdict.next_step.contains("Do not start a new order")
    );
    // A capture or void on an order APS cannot find proves nothing at all.
    let auth = Amounts { authorized: 1000, ..Default::default() };
    assert!(waiting(&judge_status(intent(Capture, 400, auth), StatusAnswer::NotFound, CONFIRMED)));
}

#[test]
fn a_second_capture_is_judged_by_the_totals_not_the_last_code() {
    use Operation::*;
    // 400 of 1000 captured already; a second capture of 300 was lost.
    let once = Amounts { authorized: 1000, captured: 400, ..Default::default() };
    let second = |answer, e| judge_status(intent(Capture, 300, once), answer, e);
    assert!(applied(&second(found("04000", 1000, 700, 0), NOTHING_YET)));
    // The last code is the first capture's success: it says nothing about the second.
    assert!(waiting(&second(found("04000", 1000, 400, 0), NOTHING_YET)));
    assert!(no_record(&second(found("04000", 1000, 400, 0), CONFIRMED)));
    // A capture failure as the last code counts once the request can no longer be on its way.
    assert!(waiting(&second(found("05042", 1000, 400, 0), NOTHING_YET)));
    assert!(not_applied(&second(found("05042", 1000, 400, 0), LATE)));
    // Totals that fit neither before nor after: a person must look.
    assert!(mismatch(&second(found("04000", 1000, 1000, 0), CONFIRMED)));
    assert!(mismatch(&second(found("04000", 1000, 900, 0), NOTHING_YET)));
}

#[test]
fn a_refund_is_judged_by_its_own_reference_and_the_totals() {
    use Operation::*;
    // Captured 1000, refunded 300 once; a second refund of 200 was lost.
    let once = Amounts { authorized: 1000, captured: 1000, refunded: 300, ..Default::default() };
    let second = |answer, e| judge_status(intent(Refund, 200, once), answer, e);
    assert!(applied(&second(found("06000", 1000, 1000, 500), NOTHING_YET)));
    // The earlier refund's success with unchanged totals is not this refund.
    assert!(mismatch(&second(found("06000", 1000, 1000, 300), NOTHING_YET)));
    assert!(mismatch(&second(found("06000", 1000, 1000, 700), NOTHING_YET)));
    assert!(not_applied(&second(found("07048", 1000, 1000, 300), NOTHING_YET)));
    // Under the reference of an earlier refund that failed, that failure may be all APS shows
    // yet: it counts once this refund can no longer be on its way.
    let reused = Evidence { reference_reused: true, ..NOTHING_YET };
    assert!(waiting(&second(found("07048", 1000, 1000, 300), reused)));
    assert!(not_applied(&second(
        found("07048", 1000, 1000, 300),
        Evidence { past_deadline: true, ..reused }
    )));
    assert!(applied(&second(found("06000", 1000, 1000, 500), reused)));
    // APS does not know this refund's reference.
    assert!(matches!(second(StatusAnswer::NotFound, NOTHING_YET), Judgement::NoTraceOnce));
    assert!(no_record(&second(StatusAnswer::NotFound, CONFIRMED)));
}

#[test]
fn voids() {
    use Operation::*;
    let auth = Amounts { authorized: 1000, ..Default::default() };
    let void = |answer, e| judge_status(intent(VoidAuthorization, 0, auth), answer, e);
    assert!(matches!(
        void(found("08000", 1000, 0, 0), NOTHING_YET),
        Judgement::Applied { amounts: Amounts { voided: true, .. }, .. }
    ));
    assert!(waiting(&void(found("02000", 1000, 0, 0), NOTHING_YET)));
    assert!(no_record(&void(found("02000", 1000, 0, 0), CONFIRMED)));
    assert!(mismatch(&void(found("04000", 1000, 1000, 0), CONFIRMED)));
}

#[test]
fn replies_must_echo_the_money_sent() {
    let mut sent = sent();
    sent.insert("currency".into(), "AED".into());
    let base =
        json!({"command": "PURCHASE", "merchant_reference": "R1", "response_code": "14000", "status": "14"});
    let ok = params(json!({"amount": "1000", "currency": "AED"}));
    let mut good = params(base.clone());
    good.extend(ok);
    let read =
        |p: Params| read_reply(Operation::Purchase, &sent, reply(signed(p)), "resp", Algorithm::Sha256);
    assert!(matches!(read(good.clone()), Reading::Final { .. }));
    // As a number, the same amount.
    let mut numeric = good.clone();
    numeric.insert("amount".into(), json!(1000));
    assert!(matches!(read(numeric), Reading::Final { .. }));
    for (field, value) in [("amount", json!("100")), ("currency", json!("SAR"))] {
        let mut other = good.clone();
        other.insert(field.into(), value);
        assert!(matches!(read(other), Reading::Unknown { .. }), "{field} differs");
        let mut missing = good.clone();
        missing.remove(field);
        assert!(matches!(read(missing), Reading::Unknown { .. }), "{field} missing");
    }
}

#[test]
fn on_hold_codes_of_the_spec() {
    for code in [
        "15777", "15778", "15779", "15780", "15781", "00006", "04006", "13006", "17006", "19000", "20000",
        "40090", "14051", "10000",
    ] {
        assert!(is_on_hold(code), "{code}");
    }
    for code in ["14000", "02000", "13666", "00008", "06000", "08000"] {
        assert!(!is_on_hold(code), "{code}");
    }
    assert!(is_on_hold(""), "a missing code is never final");
}

#[test]
fn capturable_and_refundable() {
    let a = Amounts { authorized: 1000, captured: 400, refunded: 100, voided: false };
    assert_eq!((a.capturable(), a.refundable()), (600, 300));
    assert_eq!(Amounts { voided: true, ..a }.capturable(), 0);
}
