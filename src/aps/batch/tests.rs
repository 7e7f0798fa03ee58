use super::*;
use crate::aps::fields::{Field, check_params};
use crate::aps::response::{UNKNOWN_MESSAGE, message_text};
use std::collections::HashSet;

#[test]
fn every_message_code_from_000_to_999_is_a_batch_message_exactly_when_the_spec_lists_it() {
    let listed = ["136", "137", "138", "140", "141", "142", "144", "146", "147", "148", "154", "155"];
    for n in 0..1000 {
        let code = format!("{n:03}");
        let found = BatchMessage::of(&code);
        assert_eq!(found.is_some(), listed.contains(&code.as_str()), "message {code}");
        if let Some(message) = found {
            assert_eq!(message.code(), code);
            // With any status in front, too: `77136`, `71141`, `51146`.
            for status in ["51", "70", "71", "73", "77"] {
                assert_eq!(BatchMessage::of(&format!("{status}{code}")), Some(message));
            }
        }
    }
    assert_eq!(BatchMessage::ALL.len(), listed.len());
}

#[test]
fn codes_that_are_not_codes_are_no_batch_message() {
    for bad in ["", "13", "1360", "771366", "77 36", "7713a", "abc", "+136", "٧٧١٣٦"] {
        assert_eq!(BatchMessage::of(bad), None, "{bad:?}");
    }
}

#[test]
fn every_batch_message_has_its_own_plain_words_and_a_next_step() {
    let mut words = HashSet::new();
    for message in BatchMessage::ALL {
        let (w, next) = (message.words(), message.next_step());
        assert!(words.insert(w), "{message:?} shares its words with another code");
        assert!(w.starts_with("APS ") && w.ends_with('.'), "{message:?}: {w}");
        assert!(!next.is_empty() && !next.ends_with('.'), "{message:?}: {next}");
        // A clerk reads these: no parameter names, no protocol words.
        for jargon in ["batch_reference", "HTTP", "JSON", "status 7", "service_command", "_"] {
            assert!(!w.contains(jargon) && !next.contains(jargon), "{message:?} says {jargon}");
        }
        assert_eq!(message.to_string(), format!("{w} {next}."));
        // APS's own table knows every one of them by the same code.
        assert_ne!(message_text(message.code()), UNKNOWN_MESSAGE, "{message:?}");
    }
}

#[test]
fn what_the_terminal_does_about_each_batch_message() {
    use BatchAction::*;
    use BatchMessage::*;
    let table = [
        (ValidationFailed, Refused),
        (InvalidExecutionDate, Refused),
        (StillValidating, Wait),
        (StillProcessing, Wait),
        (ReferenceUnknown, NotUploaded),
        (HeaderInvalid, Refused),
        (InvalidFile, Refused),
        (ReferenceUsed, AlreadyUploaded),
        (ProcessReceived, Wait),
        (WillBeProcessed, Wait),
        (UploadRetriesUsedUp, Refused),
        (UploadRetriesNotSetUp, Refused),
    ];
    assert_eq!(table.len(), BatchMessage::ALL.len());
    for (message, action) in table {
        assert_eq!(message.action(), action, "{message:?}");
    }
    for message in BatchMessage::ALL.into_iter().filter(|m| m.action() == Refused) {
        assert!(message.words().contains("none of its rows") || message.words().contains("will not take"));
    }
}

#[test]
fn the_batch_reference_is_stable_short_and_follows_the_field_rule() {
    let a = batch_reference("CycHZxVj", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    assert_eq!(
        a,
        batch_reference("CycHZxVj", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    );
    assert_eq!(a.len(), MAX_REFERENCE);
    assert!(a.starts_with("MTB-"));
    assert_ne!(
        a,
        batch_reference("CycHZxVk", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    );
    assert_ne!(
        a,
        batch_reference("CycHZxVj", "0f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    );
    // The identifier and the hash are kept apart: no two splits of one text meet.
    assert_ne!(batch_reference("ab", "c"), batch_reference("a", "bc"));
    let mut p = crate::aps::Params::new();
    p.insert(Field::BatchReference.wire_name().unwrap_or_default().to_owned(), a.clone().into());
    assert!(check_params(&p).is_ok());
    assert!(!contains_card_number(&a));
}

#[test]
fn batch_addresses_sit_beside_the_payment_api() {
    let sandbox = batch_endpoints("https://sbpaymentservices.payfort.com/FortAPI/paymentApi").unwrap();
    assert_eq!(sandbox.upload, "https://sbpaymentservices.payfort.com/FortAPI/upload/");
    assert_eq!(sandbox.batch_api, "https://sbpaymentservices.payfort.com/FortAPI/batchApi/");
    let sim = batch_endpoints(" http://127.0.0.1:8080/FortAPI/paymentApi/ ").unwrap();
    assert_eq!(sim.upload, "http://127.0.0.1:8080/FortAPI/upload/");
    assert_eq!(sim.batch_api, "http://127.0.0.1:8080/FortAPI/batchApi/");
    for bad in ["https://example.com/pay", "/FortAPI/paymentApi", "https://x/FortAPI/paymentApi?a=1", ""] {
        let e = batch_endpoints(bad).unwrap_err();
        assert!(e.contains("/FortAPI/paymentApi") && e.contains("Settings"), "{bad}: {e}");
    }
}

fn row(cells: [&str; 14]) -> FileRow {
    FileRow(cells.map(str::to_owned))
}

#[test]
fn the_batch_file_has_the_header_and_one_line_per_row() {
    let rows = [
        row([
            "PURCHASE",
            "R-1",
            "1000",
            "AED",
            "RECURRING",
            "TOK-1",
            "AGR-1",
            "a@example.com",
            "O'Neil, Jo",
            "say \"hi\"",
            "",
            "",
            "",
            "",
        ]),
        row(["REFUND", "R-0", "250", "AED", "", "", "", "", "", "", "MTB-1-R3", "", "", ""]),
        row(["VOID_AUTHORIZATION", "R-9", "", "", "", "", "", "", "", "", "", "", "", ""]),
    ];
    let text = file_csv(&rows);
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], FILE_COLUMNS.join(","));
    assert_eq!(
        lines[1],
        "PURCHASE,R-1,1000,AED,RECURRING,TOK-1,AGR-1,a@example.com,\"O'Neil, Jo\",\"say \"\"hi\"\"\",,,,"
    );
    assert_eq!(lines[2], "REFUND,R-0,250,AED,,,,,,,MTB-1-R3,,,");
    assert_eq!(lines[3], "VOID_AUTHORIZATION,R-9,,,,,,,,,,,,");
    assert_eq!(lines[4], "");
    assert_eq!(lines.len(), 5, "row i is on line i + 2, and the file ends with a line break");
    assert_eq!(file_csv(&[]), format!("{}\r\n", FILE_COLUMNS.join(",")));
}

#[test]
fn a_file_row_takes_its_columns_from_the_request_and_nothing_else() {
    let mut p = crate::aps::Params::new();
    for (name, value) in [
        ("command", "PURCHASE"),
        ("access_code", "zx0IPmPy5jp1vAz8Kpg7"),
        ("merchant_identifier", "CycHZxVj"),
        ("merchant_reference", "R-1"),
        ("amount", "1000"),
        ("currency", "AED"),
        ("eci", "RECURRING"),
        ("token_name", "TOK-1"),
        ("agreement_id", "AGR-1"),
        ("customer_ip", "192.0.2.1"),
    ] {
        p.insert(name.to_owned(), value.into());
    }
    let made = FileRow::of_params(&p);
    assert_eq!(
        made,
        row(["PURCHASE", "R-1", "1000", "AED", "RECURRING", "TOK-1", "AGR-1", "", "", "", "", "", "", ""])
    );
    let mut link = crate::aps::Params::new();
    for (name, value) in
        [("service_command", "PAYMENT_LINK"), ("merchant_reference", "INV-1"), ("link_command", "PURCHASE")]
    {
        link.insert(name.to_owned(), value.into());
    }
    let link = FileRow::of_params(&link);
    assert_eq!(
        (link.0[0].as_str(), link.0[1].as_str(), link.0[13].as_str()),
        ("PAYMENT_LINK", "INV-1", "PURCHASE")
    );
    let text = file_csv(&[made]);
    assert!(
        !text.contains("zx0IPmPy5jp1vAz8Kpg7") && !text.contains("CycHZxVj") && !text.contains("192.0.2.1")
    );
}

const HEADER: &str = "Line_Number,response_code,response_message,status,eci,fort_id,merchant_reference,amount,card_number,expiry_date,currency";

#[test]
fn results_are_read_line_by_line() {
    let body = format!(
        "{HEADER}\n\
         \"2\",\"14000\",\"Success\",\"14\",\"RECURRING\",\"169996200012345680\",\"R-1\",\"1000\",\"400555******0001\",\"3012\",\"AED\"\n\
         \"3\",\"07048\",\"Operation amount exceeds captured amount\",\"07\",\"\",\"169996200012345681\",\"R-0\",\"250\",\"\",\"\",\"AED\"\r\n"
    );
    assert!(is_results(body.as_bytes()));
    let results = parse_results(body.as_bytes()).unwrap();
    assert_eq!(results.unreadable, 0);
    assert_eq!(results.lines.len(), 2);
    let first = &results.lines[0];
    assert_eq!((first.line, first.response_code.as_str()), (2, "14000"));
    assert_eq!(first.fort_id, "169996200012345680", "a fort_id is kept even when it passes Luhn");
    assert_eq!(first.card_number, "400555******0001");
    assert_eq!(results.lines[1].response_message, "Operation amount exceeds captured amount");
}

#[test]
fn broken_lines_are_counted_not_guessed() {
    let body = format!(
        "\u{feff}{HEADER}\n\
         \"2\",\"14000\",\"Success\",\"14\",\"RECURRING\",\"1\",\"R-1\",\"1000\",\"\",\"\",\"AED\"\n\
         \"x\",\"14000\",\"Success\",\"14\",\"RECURRING\",\"1\",\"R-1\",\"1000\",\"\",\"\",\"AED\"\n\
         \"4\",\"14000\",\"Success\",\"14\"\n\
         \"5\",\"14000\",\"Success\",\"14\",\"RECURRING\",\"12"
    );
    let results = parse_results(body.as_bytes()).unwrap();
    assert_eq!(results.lines.len(), 1);
    assert_eq!(results.unreadable, 3, "a bad line number, a short line, a line cut off");
}

#[test]
fn a_whole_card_number_in_the_results_never_goes_further() {
    let body = format!(
        "{HEADER}\n2,14000,Paid 4005550000000001,14,RECURRING,1,R-1,1000,4005550000000001,3012,AED\n"
    );
    let results = parse_results(body.as_bytes()).unwrap();
    let line = &results.lines[0];
    assert_eq!(line.card_number, "");
    assert_eq!(line.response_message, "");
    assert!(!format!("{line:?}").contains("400555"));
}

#[test]
fn only_a_results_file_is_read_as_one() {
    assert!(!is_results(b"{\"response_code\":\"70000\"}"));
    assert!(!is_results(b""));
    assert!(is_results(b"\"Line_Number\",\"response_code\""));
    assert!(parse_results(b"response_code,status\n1,2\n").unwrap_err().contains("header"));
    assert!(parse_results(b"").unwrap_err().contains("header"));
    assert!(parse_results(b"\xff\xfe").unwrap_err().contains("UTF-8"));
    let empty = parse_results(HEADER.as_bytes()).unwrap();
    assert_eq!(empty, Results::default());
}
