//! Request checks in APS's order, the answer's shape, languages, algorithms and transport.

use super::*;
use moto_terminal::aps::response::{message_text, message_text_ar};
use moto_terminal::aps::secret::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn purchase_fields(reference: &str) -> Value {
    json!({
        "command": "PURCHASE", "merchant_reference": reference, "amount": "1000", "currency": "AED",
        "customer_email": "agent@example.com", "eci": "MOTO", "token_name": "DEMO-VISA-0001"
    })
}

/// Builds a purchase with `fields` overriding, optionally signed, and posts it.
async fn attempt(sim: &Sim, overrides: Value, signed: bool) -> Params {
    let mut params = sim.request(purchase_fields(&reference("CHK")));
    for (name, value) in object(overrides) {
        if value.is_null() {
            params.remove(&name);
        } else {
            params.insert(name, value);
        }
    }
    if signed {
        sim.sign(&mut params);
    } else {
        params.insert("signature".into(), json!("0000"));
    }
    sim.post_signed(&sim.handle.payment_api_url(), &params).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_run_in_aps_order_each_failure_masking_the_later_ones() {
    let sim = demo().await;
    // Everything wrong at once: the merchant identifier is reported first.
    let everything_wrong = json!({
        "merchant_identifier": "Nobody", "access_code": "wrong", "command": "FLY",
        "currency": "XXX", "amount": "0", "customer_email": null
    });
    assert_eq!(code(&attempt(&sim, everything_wrong, false).await), "00009");
    let wrong_access = json!({"access_code": "wrong", "command": "FLY", "currency": "XXX", "amount": "0"});
    assert_eq!(code(&attempt(&sim, wrong_access, false).await), "00010");
    let bad_signature = json!({"command": "FLY", "currency": "XXX", "amount": "0"});
    assert_eq!(code(&attempt(&sim, bad_signature, false).await), "00008");
    let unknown_command = json!({"command": "FLY", "customer_email": null, "currency": "XXX"});
    assert_eq!(code(&attempt(&sim, unknown_command, true).await), "00004");
    let missing = json!({"customer_email": null, "merchant_reference": "bad ref!", "currency": "XXX"});
    assert_eq!(code(&attempt(&sim, missing, true).await), "00001");
    let bad_format = json!({"merchant_reference": "bad ref!", "currency": "XXX", "amount": "0"});
    assert_eq!(code(&attempt(&sim, bad_format, true).await), "00002");
    let bad_currency = json!({"currency": "XXX", "amount": "0"});
    assert_eq!(code(&attempt(&sim, bad_currency, true).await), "00013");
    let bad_amount = json!({"amount": "0"});
    assert_eq!(code(&attempt(&sim, bad_amount, true).await), "00005");
    assert_eq!(code(&attempt(&sim, json!({}), true).await), "14000");
    // None of the refused requests created an order.
    assert_eq!(sim.truth().await.0.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_check_has_its_code() {
    let sim = demo().await;
    let cases: Vec<(Value, bool, &str)> = vec![
        (json!({"merchant_identifier": null}), true, "00009"),
        (json!({"access_code": null}), true, "00010"),
        (json!({"access_code": "DemoAccessCode000002"}), true, "00010"),
        (json!({}), false, "00008"),
        (json!({"signature": null}), true, "00008"),
        (json!({"command": null}), true, "00001"),
        (json!({"command": "CHECK_STATUS"}), true, "00004"),
        (json!({"query_command": "CHECK_STATUS"}), true, "00004"),
        (json!({"command": "UPLOAD_BATCH_FILE"}), true, "00004"),
        (json!({"command": "purchase"}), true, "00004"),
        (json!({"eci": null}), true, "00001"),
        (json!({"merchant_reference": null}), true, "00001"),
        (json!({"token_name": null}), true, "00001"),
        (json!({"language": "fr"}), true, "00033"),
        (json!({"eci": "TELEPATHY"}), true, "00033"),
        (json!({"merchant_reference": "x".repeat(41)}), true, "00032"),
        (json!({"amount": "12345678901"}), true, "00032"),
        (json!({"amount": "12.50"}), true, "00002"),
        (json!({"currency": "ZZZ"}), true, "00013"),
        (json!({"amount": "0"}), true, "00005"),
        (json!({"eci": "RECURRING", "agreement_id": "AGR1", "command": "AUTHORIZATION"}), true, "00033"),
    ];
    for (overrides, signed, expected) in cases {
        let shown = overrides.to_string();
        let mut params = sim.request(purchase_fields(&reference("EACH")));
        for (name, value) in object(overrides) {
            if value.is_null() {
                params.remove(&name);
            } else {
                params.insert(name, value);
            }
        }
        if signed {
            sim.sign(&mut params);
        } else {
            params.insert("signature".into(), json!("deadbeef"));
        }
        if !params.contains_key("signature") || shown.contains("\"signature\":null") {
            params.remove("signature");
        }
        let answer = sim.post_signed(&sim.handle.payment_api_url(), &params).await;
        assert_eq!(code(&answer), expected, "for {shown}: {answer:?}");
        assert_eq!(field(&answer, "status"), "00", "{shown}");
    }
    assert!(sim.truth().await.0.is_empty(), "no refused request may create an order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_command_fields_are_an_invalid_command() {
    let sim = demo().await;
    let answer = sim
        .send(json!({"command": "PURCHASE", "query_command": "CHECK_STATUS", "merchant_reference": "X1"}))
        .await;
    assert_eq!(code(&answer), "00004");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_echo_the_request_without_cvv_and_with_the_card_masked() {
    let sim = demo().await;
    let reference = reference("ECHO");
    let answer = sim
        .send(json!({
            "command": "PURCHASE", "merchant_reference": reference, "amount": "2500", "currency": "SAR",
            "customer_email": "a.b+c@example.com", "eci": "MOTO", "card_number": "5123456789012346",
            "expiry_date": "3005", "card_security_code": "123", "card_holder_name": "Sara Al-Amin",
            "order_description": "Phone order #7", "merchant_extra": "desk-3", "customer_ip": "2001:db8::1"
        }))
        .await;
    assert_eq!(code(&answer), "14000", "{answer:?}");
    assert_eq!(field(&answer, "status"), "14");
    assert_eq!(field(&answer, "response_message"), message_text("000"));
    assert_eq!(field(&answer, "card_number"), "512345******2346");
    assert!(!answer.contains_key("card_security_code"));
    let raw = serde_json::to_string(&answer).unwrap();
    assert!(!raw.contains("5123456789012346"), "{raw}");
    for (name, value) in [
        ("merchant_reference", reference.as_str()),
        ("amount", "2500"),
        ("currency", "SAR"),
        ("customer_email", "a.b+c@example.com"),
        ("card_holder_name", "Sara Al-Amin"),
        ("order_description", "Phone order #7"),
        ("merchant_extra", "desk-3"),
        ("customer_ip", "2001:db8::1"),
        ("expiry_date", "3005"),
        ("eci", "MOTO"),
        ("command", "PURCHASE"),
        ("payment_option", "MASTERCARD"),
    ] {
        assert_eq!(field(&answer, name), value, "{name}");
    }
    let fort_id = field(&answer, "fort_id");
    assert!((18..=20).contains(&fort_id.len()) && fort_id.bytes().all(|b| b.is_ascii_digit()), "{fort_id}");
    assert_eq!(field(&answer, "authorization_code").len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_has_a_unique_numeric_fort_id() {
    let sim = demo().await;
    let mut seen = std::collections::HashSet::new();
    for i in 0..10 {
        let answer = if i % 2 == 0 {
            sim.purchase(&reference("FID"), 100, "DEMO-VISA-0001").await
        } else {
            sim.send(json!({"command": "PURCHASE"})).await
        };
        let fort_id = field(&answer, "fort_id").to_owned();
        assert!((18..=20).contains(&fort_id.len()) && fort_id.bytes().all(|b| b.is_ascii_digit()));
        assert!(seen.insert(fort_id), "fort_id repeated");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arabic_messages_for_language_ar_with_english_fallback() {
    let sim = demo().await;
    let expected = |msg: &str| message_text_ar(msg).unwrap_or(message_text(msg)).to_owned();
    let ok = sim
        .send(json!({
            "command": "PURCHASE", "merchant_reference": reference("AR"), "amount": "1000", "currency": "AED",
            "customer_email": "agent@example.com", "eci": "MOTO", "token_name": "DEMO-VISA-0001", "language": "ar"
        }))
        .await;
    assert_eq!(code(&ok), "14000");
    assert_eq!(field(&ok, "response_message"), expected("000"));
    if message_text_ar("000").is_some() {
        assert_ne!(field(&ok, "response_message"), message_text("000"));
    }
    for (overrides, msg) in [(json!({"currency": "ZZZ"}), "013"), (json!({"token_name": "NOPE"}), "044")] {
        let mut fields = object(json!({
            "command": "PURCHASE", "merchant_reference": reference("AR"), "amount": "1000", "currency": "AED",
            "customer_email": "agent@example.com", "eci": "MOTO", "token_name": "DEMO-VISA-0001", "language": "ar"
        }));
        fields.extend(object(overrides));
        let answer = sim.send(Value::Object(fields)).await;
        assert_eq!(&code(&answer)[2..], msg);
        assert_eq!(field(&answer, "response_message"), expected(msg));
    }
    let english = sim.send(json!({"command": "PURCHASE", "currency": "ZZZ"})).await;
    assert_eq!(field(&english, "response_message"), message_text("001"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_json_bodies_get_an_html_500_like_aps() {
    let sim = demo().await;
    for (body, content_type) in [
        ("command=PURCHASE&amount=100", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ("[1,2,3]", "application/json"),
        ("", "application/json"),
    ] {
        let response = sim
            .http
            .post(sim.handle.payment_api_url())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 500, "{body}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let text = response.text().await.unwrap();
        assert!(text.contains("<html>") && text.contains("500"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_numbers_are_read_as_their_decimal_text() {
    let sim = demo().await;
    let answer = sim
        .send(json!({
            "command": "PURCHASE", "merchant_reference": reference("NUM"), "amount": 1234, "currency": "AED",
            "customer_email": "agent@example.com", "eci": "MOTO", "token_name": "DEMO-VISA-0001"
        }))
        .await;
    assert_eq!(code(&answer), "14000", "{answer:?}");
    assert_eq!(field(&answer, "amount"), "1234");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_algorithm_signs_requests_and_answers() {
    for algorithm in Algorithm::ALL {
        let mut config = SimConfig::demo();
        config.algorithm = algorithm;
        config.merchant_identifier = "OtherM1".into();
        config.access_code = Secret::from("OtherAccess");
        config.request_phrase = Secret::from("$2y$10$Req.Phrase/42");
        config.response_phrase = Secret::from("resp phrase");
        let sim = start(config).await;
        let answer = sim.purchase(&reference("ALG"), 500, "DEMO-AMEX-4564").await;
        assert_eq!(code(&answer), "14000", "{algorithm}: {answer:?}");
        assert_eq!(field(&answer, "payment_option"), "AMEX");
        // A request signed with another algorithm is refused.
        let other = Algorithm::ALL.into_iter().find(|a| *a != algorithm).unwrap();
        let mut params = sim.request(purchase_fields(&reference("ALG")));
        let signature = sign::sign(&params, "$2y$10$Req.Phrase/42", other);
        params.insert("signature".into(), json!(signature));
        assert_eq!(code(&sim.post_signed(&sim.handle.payment_api_url(), &params).await), "00008");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upper_case_hex_signatures_are_accepted() {
    let sim = demo().await;
    let mut params = sim.request(purchase_fields(&reference("HEX")));
    let signature = sign::sign(&params, DEMO_REQUEST_PHRASE, Algorithm::Sha256).to_ascii_uppercase();
    params.insert("signature".into(), json!(signature));
    assert_eq!(code(&sim.post_signed(&sim.handle.payment_api_url(), &params).await), "14000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_carries_many_requests() {
    let sim = demo().await;
    let mut stream = tokio::net::TcpStream::connect(sim.handle.addr()).await.unwrap();
    let mut raw = String::new();
    for _ in 0..3 {
        let mut params =
            sim.request(json!({"query_command": "CHECK_STATUS", "merchant_reference": "NONE-1"}));
        sim.sign(&mut params);
        let body = serde_json::to_string(&params).unwrap();
        raw.push_str(&format!(
            "POST /FortAPI/paymentApi HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    }
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while String::from_utf8_lossy(&received).matches("11036").count() < 3 {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "connection closed early");
        received.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&received);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 3, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_are_refused() {
    let sim = demo().await;
    let base = sim.handle.base_url().to_owned();
    assert_eq!(sim.http.get(format!("{base}/nope")).send().await.unwrap().status(), 404);
    assert_eq!(sim.http.get(sim.handle.payment_api_url()).send().await.unwrap().status(), 405);
    assert_eq!(sim.http.get(format!("{base}/sim/nothing")).send().await.unwrap().status(), 404);
    let big = "x".repeat(2 << 20);
    let response = sim.http.post(sim.handle.payment_api_url()).body(big).send().await.unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_frees_the_port_and_drop_stops_the_server() {
    let sim = demo().await;
    let addr = sim.handle.addr();
    assert_eq!(code(&sim.check("NONE-2").await), "11036");
    sim.handle.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "still listening after shutdown");

    let dropped = demo().await;
    let addr = dropped.handle.addr();
    drop(dropped);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(refused, "still listening after drop");
}
