//! `moto-terminal sign` / `verify`: the signature rule on the command line.

use crate::util::{run_cli, stderr, stdout};

const P01: &str = r#"{"command":"PURCHASE","merchant_reference":"Test010","amount":"1000","access_code":"SILgpo7pWbmzuURp2qri","merchant_identifier":"MxvOupuG","currency":"USD","language":"en","customer_email":"test@gmail.com"}"#;

#[test]
fn sign_prints_the_published_signature() {
    let out = run_cli(&["sign", "--algorithm", "sha256"], &[("APS_PHRASE", "PASS")], P01);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "94c38afc7bdae0114fc8c740edf12416f22998241ce4b4ea70d5521233a2c882\n");
}

#[test]
fn show_string_masks_the_phrase() {
    let out = run_cli(
        &["sign", "--algorithm", "sha256", "--phrase-env", "MY_PHRASE", "--show-string"],
        &[("MY_PHRASE", "PASS")],
        P01,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("<phrase>access_code=<access_code>amount=1000"), "{}", lines[0]);
    assert!(lines[0].ends_with("merchant_reference=Test010<phrase>"));
    assert!(!text.contains("PASS"), "the phrase itself is never printed");
}

#[test]
fn hmac_vector_six_from_the_command_line() {
    let body = r#"{"command":"CAPTURE","access_code":"zx0IPmPy5jp1vAz8Kpg7","merchant_identifier":"CycHZxVj","merchant_reference":"MAIL-ORD.0042_b","amount":"4000","currency":"USD","language":"en","fort_id":"169996200012345680"}"#;
    let out =
        run_cli(&["sign", "--algorithm", "hmac-sha256"], &[("APS_PHRASE", "$2y$10$Req.Phrase/42")], body);
    assert_eq!(stdout(&out).trim(), "b07ae075590b6eba78ece1b22f4efed9d76edc278a3bc50f11480fe5214048df");
}

#[test]
fn verify_says_valid_or_invalid() {
    let mut response: serde_json::Value = serde_json::from_str(P01).unwrap();
    response["signature"] = "94C38AFC7BDAE0114FC8C740EDF12416F22998241CE4B4EA70D5521233A2C882".into();
    let body = response.to_string();
    let out = run_cli(&["verify", "--algorithm", "sha256"], &[("APS_PHRASE", "PASS")], &body);
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), "valid\n"));
    let out = run_cli(&["verify", "--algorithm", "sha256"], &[("APS_PHRASE", "WRONG")], &body);
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(1), "invalid\n"));
}

#[test]
fn errors_are_one_line_and_exit_two() {
    let cases: &[(&[&str], &[(&str, &str)], &str, &str)] = &[
        (&["sign", "--algorithm", "sha256"], &[("APS_PHRASE", "PASS")], "{not json", "not valid JSON"),
        (&["sign", "--algorithm", "md5"], &[("APS_PHRASE", "PASS")], P01, "unknown signature algorithm"),
        (&["sign", "--algorithm", "sha256"], &[], P01, "APS_PHRASE"),
        (&["verify", "--algorithm", "sha512"], &[("APS_PHRASE", "PASS")], "[1,2]", "one JSON object"),
    ];
    for (args, env, input, expected) in cases {
        let out = run_cli(args, env, input);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{err}");
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn show_string_never_prints_a_card_number_cvv_or_access_code() {
    let body = r#"{"command":"PURCHASE","access_code":"zx0IPmPy5jp1vAz8Kpg7","card_number":"4005550000000001","card_security_code":"123","expiry_date":"2705","amount":"100"}"#;
    let out = run_cli(&["sign", "--algorithm", "sha256", "--show-string"], &[("APS_PHRASE", "PASS")], body);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("card_number=400555******0001"), "{text}");
    assert!(!text.contains("4005550000000001") && !text.contains("zx0IPmPy5jp1vAz8Kpg7"), "{text}");
    assert!(text.contains("card_security_code=<card_security_code>"), "{text}");
    // The signature itself is over the real values.
    let plain = run_cli(&["sign", "--algorithm", "sha256"], &[("APS_PHRASE", "PASS")], body);
    assert_eq!(text.lines().last(), stdout(&plain).lines().last());
}

#[test]
fn show_string_masks_a_card_number_sent_as_a_json_number_or_any_other_type() {
    for card in ["4005550000000001", "[4005550000000001]", r#"{"pan":"4005550000000001"}"#] {
        let body = format!(
            r#"{{"command":"PURCHASE","card_number":{card},"card_security_code":123,"amount":"100"}}"#
        );
        let out =
            run_cli(&["sign", "--algorithm", "sha256", "--show-string"], &[("APS_PHRASE", "PASS")], &body);
        assert!(out.status.success(), "{card}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(!text.contains("4005550000000001"), "{card}: {text}");
        assert!(!text.contains("=123"), "{card}: {text}");
        if !card.starts_with(['[', '{']) {
            assert!(text.contains("card_number=400555******0001"), "{text}");
        }
    }
}
