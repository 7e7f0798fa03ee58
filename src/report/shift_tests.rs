use super::*;

fn at(hour: u32) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("2026-12-06T{hour:02}:15:00+04:00")).expect("time")
}

fn entry(operator: &str, code: &str, op: ReportOp, amount_minor: u64, hour: u32) -> Entry {
    Entry {
        operator: operator.into(),
        currency: Currency::parse(code).expect("code"),
        op,
        amount_minor,
        at: at(hour),
    }
}

fn sample() -> ShiftReport {
    let entries = [
        entry("amal", "AED", ReportOp::Sale, 12_550, 9),
        entry("amal", "AED", ReportOp::Sale, 10_000, 9),
        entry("amal", "AED", ReportOp::Refund, 2_550, 11),
        entry("omar", "AED", ReportOp::Capture, 4_000, 10),
        entry("omar", "KWD", ReportOp::Sale, 1_250, 10),
        entry("omar", "KWD", ReportOp::Refund, 1_500, 12),
        entry("omar", "AED", ReportOp::Declined, 1_051, 12),
        entry("omar", "AED", ReportOp::Unknown, 999, 13),
        entry("omar", "AED", ReportOp::Authorize, 8_900, 10),
    ];
    let attention = vec![Attention {
        profile: "Demo".into(),
        merchant_reference: "PHONE-9".into(),
        operator: "omar".into(),
        currency: Currency::parse("AED").expect("AED"),
        amount_minor: 999,
        state: "unknown".into(),
        reason: "no answer, yet".into(),
    }];
    ShiftReport::build(at(0), at(23), String::new(), &entries, attention)
}

#[test]
fn lines_add_up_per_operator_currency_and_operation() {
    let r = sample();
    let find = |op: &str, who: &str, code: &str| {
        r.lines
            .iter()
            .find(|l| l.operator == who && l.currency.code() == code && l.op.as_str() == op)
            .map(|l| (l.count, l.total_minor))
    };
    assert_eq!(find("sale", "amal", "AED"), Some((2, 22_550)));
    assert_eq!(find("refund", "amal", "AED"), Some((1, 2_550)));
    assert_eq!(find("declined", "omar", "AED"), Some((1, 1_051)));
    assert_eq!(find("unknown", "omar", "AED"), Some((1, 999)));
    assert_eq!(find("sale", "omar", "KWD"), Some((1, 1_250)));
    assert_eq!(r.outcomes, [7, 1, 1]);
}

#[test]
fn net_is_sales_and_captures_less_refunds_in_each_currencys_exponent() {
    let r = sample();
    let net: Vec<(String, String)> =
        r.net.iter().map(|n| (n.currency.code().into(), signed(n.net_minor, n.currency))).collect();
    // AED: 125.50 + 100.00 + 40.00 - 25.50; KWD (3 decimals): 1.250 - 1.500.
    assert_eq!(net, vec![("AED".into(), "240.00".into()), ("KWD".into(), "-0.250".into())]);
}

#[test]
fn sales_by_hour_count_sales_and_captures_only() {
    let r = sample();
    let aed = Currency::parse("AED").expect("AED");
    assert!(r.sales_by_hour.contains(&(9, aed, 22_550)));
    assert!(r.sales_by_hour.contains(&(10, aed, 4_000)));
    assert!(!r.sales_by_hour.iter().any(|(h, c, _)| *h == 13 && *c == aed), "unknown is not a sale");
}

#[test]
fn csv_has_the_lines_then_net_then_attention_quoted() {
    let csv = sample().csv();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("operator,currency,operation,count,total"));
    assert!(csv.contains("amal,AED,sale,2,225.50\n"), "{csv}");
    assert!(csv.contains("all,KWD,net,2,-0.250\n"), "{csv}");
    assert!(csv.contains("PHONE-9,Demo,omar,AED,9.99,unknown,\"no answer, yet\"\n"), "{csv}");
}

#[test]
fn an_empty_period_says_so() {
    let r = ShiftReport::build(at(0), at(23), String::new(), &[], Vec::new());
    let table = r.table();
    assert!(table.contains("(nothing in this period)") && table.contains("Needs attention (0)"), "{table}");
}

#[test]
fn csv_text_cells_never_start_a_formula() {
    let mut r = sample();
    r.lines[0].operator = "=HYPERLINK(\"http://x\")".into();
    r.attention[0].merchant_reference = "+971".into();
    let csv = r.csv();
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\",AED,sale,2,225.50\n"), "{csv}");
    assert!(csv.contains("'+971,Demo,"), "{csv}");
    assert!(csv.contains("all,KWD,net,2,-0.250\n"), "amounts stay numbers: {csv}");
}

#[test]
fn the_tables_net_is_grouped_as_its_lines_are() {
    let mut entries = vec![entry("amal", "SAR", ReportOp::Sale, 241_800, 9)];
    entries.push(entry("amal", "KWD", ReportOp::Refund, 1_234_500, 10));
    let table = ShiftReport::build(at(0), at(23), String::new(), &entries, Vec::new()).table();
    assert!(table.contains("2,418.00") && !table.contains("2418.00"), "{table}");
    assert!(table.contains("-1,234.500"), "{table}");
}
