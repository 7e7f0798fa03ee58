//! Reading the file: Excel's quirks, whole-file errors, row numbers, derived references and the
//! example file. Row checks are in `rows`, the journal checks and totals in `against`.

mod against;
mod rows;

use super::*;

pub(super) const HEAD: &str = "operation,merchant_reference,amount,currency,token_name,customer_email\n";

pub(super) fn parsed(text: &str) -> ParsedBatch {
    parse("orders.csv", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn file_error(bytes: &[u8]) -> FileError {
    match parse("orders.csv", bytes) {
        Ok(batch) => panic!("expected a file error, got {batch:?}"),
        Err(e) => e,
    }
}

/// The problem of the only row of `HEAD` and `row`.
pub(super) fn problem(row: &str) -> String {
    let batch = parsed(&format!("{HEAD}{row}\n"));
    match &batch.rows[..] {
        [line] => {
            line.checked.as_ref().err().map(ToString::to_string).unwrap_or_else(|| panic!("valid: {row}"))
        }
        other => panic!("expected one row, got {other:?}"),
    }
}

pub(super) fn valid(line: &BatchLine) -> &BatchRow {
    line.checked.as_ref().unwrap_or_else(|p| panic!("{p}"))
}

#[test]
fn excel_quirks_are_read() {
    let text = "\u{FEFF}Operation,Merchant Reference,AMOUNT,currency,token_name,customer_email,description,,\r\n\
        sale,,12.50,SAR,DEMO-VISA-0001,a@example.com,\"Noura \"\"Nono\"\" Saleh\",,\r\n\
        sale,,\"1,250.00\",SAR,DEMO-VISA-0001,b@example.com,x,,\r\n\
        sale,,3,SAR,DEMO-VISA-0001,c@example.com,\"two\r\nlines\",,\r\n\
        sale,,4,SAR,DEMO-VISA-0001,d@example.com,,,\r\n\
        \r\n\r\n,,,,,,,,\r\n";
    let batch = parsed(text);
    let rows: Vec<u32> = batch.rows.iter().map(|l| l.row).collect();
    assert_eq!(rows, [2, 3, 4, 5], "{batch:?}");
    // Doubled quotes are one quote (which APS then refuses in a description).
    assert_eq!(batch.rows[0].input.description, "Noura \"Nono\" Saleh");
    assert_eq!(batch.rows[0].input.amount, "12.50");
    assert!(problem_of(&batch.rows[0]).contains("not \"\"\""), "{}", problem_of(&batch.rows[0]));
    // The quoted comma stays in its cell: the columns after it keep their place.
    assert_eq!(batch.rows[1].input.amount, "1,250.00");
    assert_eq!(batch.rows[1].input.customer_email, "b@example.com");
    assert!(problem_of(&batch.rows[1]).contains("row 3: amount must not contain thousands separators"));
    assert_eq!(batch.rows[2].input.description, "two\r\nlines");
    assert!(problem_of(&batch.rows[2]).starts_with("row 4: description has characters APS does not accept"));
    assert_eq!(valid(&batch.rows[3]).customer_email.as_deref(), Some("d@example.com"));
}

pub(super) fn problem_of(line: &BatchLine) -> String {
    line.checked.as_ref().err().map(ToString::to_string).unwrap_or_else(|| panic!("valid: {line:?}"))
}

#[test]
fn rows_are_numbered_as_a_spreadsheet_shows_them() {
    // A quoted line break keeps one row; an empty line and a row of empty cells count as rows.
    for end in ["\n", "\r\n"] {
        let text = [
            "operation,merchant_reference,amount,currency,token_name,customer_email,customer_name",
            "sale,,1,SAR,T1,a@example.com,\"A\nB\"",
            "",
            "sale,,2,SAR,T1,a@example.com,",
            ",,,,,,",
            "sale,,3,SAR,T1,a@example.com,\"\"",
            "bogus,,3,SAR,T1,a@example.com,",
        ]
        .join(end);
        let batch = parsed(&text);
        let rows: Vec<u32> = batch.rows.iter().map(|l| l.row).collect();
        assert_eq!(rows, [2, 4, 6, 7], "{end:?}");
        assert!(problem_of(&batch.rows[3]).starts_with("row 7: operation 'bogus' is not known"));
    }
    // Empty lines above the header push it down, as in the spreadsheet.
    let batch = parsed(&format!("\n\n{HEAD}sale,,1,SAR,T1,a@example.com\n"));
    assert_eq!(batch.rows[0].row, 4);
}

#[test]
fn whole_file_errors_name_the_fix() {
    for empty in [&b""[..], b"\xEF\xBB\xBF", b"\r\n\r\n", b",,,\n"] {
        let e = file_error(empty);
        assert_eq!(e, FileError::Empty, "{empty:?}");
        assert!(e.to_string().contains("needs a header row"));
    }
    assert_eq!(file_error(HEAD.as_bytes()), FileError::NoRows);
    assert!(FileError::NoRows.to_string().contains("add one row per order"));

    let e = file_error(b"operation,amout,currency\nsale,1,SAR\n");
    assert_eq!(
        e.to_string(),
        "the header names an unknown column 'amout': did you mean amount? (the columns are operation, merchant_reference, amount, currency, token_name, customer_email, customer_name, description, agreement_id, phone_number)"
    );
    let e = file_error(b"operation,colour\n");
    assert!(
        e.to_string()
            .starts_with("the header names an unknown column 'colour': rename it to one of operation,"),
        "{e}"
    );
    let e = file_error(b"operation,amount,currency,Amount\n");
    assert_eq!(
        e.to_string(),
        "the header names the column amount twice (columns 2 and 4): remove one of them"
    );
    let e = file_error(b"amount,currency\n1,SAR\n");
    assert!(e.to_string().starts_with("the header has no operation column: add it"), "{e}");
    let e = file_error(b"operation;amount;currency\nsale;1;SAR\n");
    assert_eq!(e, FileError::WrongSeparator("semicolons"));
    assert!(e.to_string().contains("CSV UTF-8 (Comma delimited)"));
    let e = file_error(b"operation,amount\nsale,1\nsale,caf\xE9\n");
    assert_eq!(e, FileError::NotUtf8 { line: 3 });
    assert!(e.to_string().contains("line 3") && e.to_string().contains("CSV UTF-8"));
    assert_eq!(file_error(b"\xFF\xFEo\0p\0"), FileError::Utf16);
}

#[test]
fn an_unknown_column_is_never_echoed_in_full_nor_a_card_number() {
    let long = "a".repeat(200);
    let e = file_error(format!("operation,{long}\n").as_bytes()).to_string();
    assert!(!e.contains(&long) && e.contains("(200 characters)"), "{e}");
    let e = file_error(b"operation,4005550000000001\n").to_string();
    assert!(!e.contains("4005550000000001") && e.contains("not shown"), "{e}");
}

#[test]
fn a_value_under_no_column_is_a_row_problem() {
    let batch = parsed(&format!("{HEAD}sale,,1,SAR,T1,a@example.com,,surprise\n"));
    assert_eq!(
        problem_of(&batch.rows[0]),
        "row 2: column 8 has a value but no name in the header: name the column, or remove the value"
    );
}

#[test]
fn derived_references_depend_on_the_file_and_the_row() {
    let text = format!("{HEAD}sale,,1,SAR,T1,a@example.com\nauthorize,,2,SAR,T1,a@example.com\n");
    let refs = |text: &str| -> Vec<String> {
        parsed(text).rows.iter().map(|l| valid(l).merchant_reference.clone()).collect()
    };
    let first = refs(&text);
    assert_eq!(first, refs(&text), "same bytes, same references");
    let hash = parsed(&text).file_hash;
    assert_eq!(hash.len(), 64);
    assert_eq!(first, [format!("BT-{}-2", &hash[..10]), format!("BT-{}-3", &hash[..10])]);
    for reference in &first {
        crate::aps::fields::check(crate::aps::field::Field::MerchantReference, reference)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(parsed(&text).rows.iter().all(|l| valid(l).reference_derived));
    let changed = text.replace("2,SAR", "3,SAR");
    let second = refs(&changed);
    assert_ne!(first[0], second[0], "one byte changed, new references");
    assert_ne!(first[1], second[1]);
}

#[test]
fn the_reader_streams_the_same_rows() {
    let text = format!("{HEAD}sale,,1,SAR,T1,a@example.com\nvoid,R1,,,,\n");
    let reader = open("orders.csv", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reader.file_name(), "orders.csv");
    assert_eq!(reader.columns().count(), 6);
    let hash = reader.file_hash().to_owned();
    let streamed: Vec<u32> = reader.map(|l| l.row).collect();
    assert_eq!(streamed, [2, 3]);
    assert_eq!(parsed(&text).file_hash, hash);
}

#[test]
fn the_example_file_parses_clean() {
    let bytes = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/batch-example.csv"));
    let batch = parse("batch-example.csv", bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(batch.rows.len(), 10);
    let problems: Vec<String> = batch.problems().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{problems:?}");
    let journal = check_against(&batch.rows, |_| None);
    assert!(journal.is_empty(), "{journal:?}");
    let summary = Summary::of(&batch);
    assert_eq!(
        summary.to_string(),
        "10 rows: 4 sale (SAR 1,539.00 + AED 45.50), 2 authorize (SAR 899.00 + KWD 1.250), 2 capture (SAR 899.00), 1 void, 1 refund (SAR 20.00)"
    );
}

#[test]
fn a_large_file_streams() {
    let mut text = String::from(HEAD);
    for i in 0..20_000 {
        text.push_str(&format!("sale,,{}.25,SAR,DEMO-VISA-0001,c{i}@example.com\n", i % 900 + 1));
    }
    let mut summary = Summary::default();
    let mut last = 0;
    for line in open("big.csv", text.as_bytes()).unwrap_or_else(|e| panic!("{e}")) {
        last = line.row;
        summary.add(&line);
    }
    assert_eq!((last, summary.rows, summary.invalid), (20_001, 20_000, 0));
    assert_eq!(summary.totals.to_string(), "SAR 8,945,000.00");
}
