//! The batch trio: multipart upload, validation results, processing and per-line results.

use super::*;
use moto_terminal::sim::MovementKind;

const BOUNDARY: &str = "----moto-terminal-test-7MA4YWxkTrZu0gW";

/// A multipart/form-data body with text fields and a CSV `file` part.
fn multipart(fields: &Params, file: Option<&str>) -> Vec<u8> {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{}\r\n",
            value.as_str().unwrap()
        ));
    }
    if let Some(file) = file {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"batch.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{file}\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body.into_bytes()
}

async fn upload(sim: &Sim, batch_reference: &str, file: Option<&str>, signed: bool) -> Params {
    let mut fields =
        sim.request(json!({"service_command": "UPLOAD_BATCH_FILE", "batch_reference": batch_reference}));
    if signed {
        sim.sign(&mut fields);
    } else {
        fields.insert("signature".into(), json!("00"));
    }
    let response = sim
        .http
        .post(sim.handle.upload_url())
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(&fields, file))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Params = response.json().await.unwrap();
    sim.assert_signed(&answer);
    answer
}

async fn batch_call(
    sim: &Sim,
    command: &str,
    batch_reference: &str,
    batch_id: Option<&str>,
) -> reqwest::Response {
    let mut params = sim.request(
        json!({"service_command": command, "batch_reference": batch_reference, "batch_id": batch_id}),
    );
    sim.sign(&mut params);
    sim.http.post(sim.handle.batch_url()).json(&params).send().await.unwrap()
}

async fn batch_json(sim: &Sim, command: &str, batch_reference: &str, batch_id: Option<&str>) -> Params {
    let response = batch_call(sim, command, batch_reference, batch_id).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let answer: Params = response.json().await.unwrap();
    sim.assert_signed(&answer);
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_validate_process_and_read_per_line_results() {
    let sim = demo().await;
    let auth = reference("B-AUTH");
    let sale = reference("B-SALE");
    sim.authorize(&auth, 5_000, "DEMO-VISA-0001").await;
    sim.purchase(&sale, 3_000, "DEMO-MC-2346").await;
    let recurring = reference("B-REC");
    let file = format!(
        "command,merchant_reference,amount,currency,eci,token_name,agreement_id,customer_email,maintenance_reference\r\n\
         PURCHASE,{recurring},10003,USD,RECURRING,DEMO-VISA-0001,AGR9,c@example.com,\r\n\
         CAPTURE,{auth},2000,AED,,,,,\r\n\
         REFUND,{sale},9999,AED,,,,,B-RF-1\r\n\
         REFUND,{sale},1000,AED,,,,,B-RF-2\r\n\
         VOID_AUTHORIZATION,{auth},,,,,,,\r\n\
         DELETE_EVERYTHING,X-1,1,AED,,,,,\r\n"
    );
    let uploaded = upload(&sim, "BATCH-1", Some(&file), true).await;
    assert_eq!(code(&uploaded), "50000", "{uploaded:?}");
    assert_eq!(field(&uploaded, "status"), "50");
    let batch_id = field(&uploaded, "batch_id").to_owned();
    assert!(!batch_id.is_empty() && batch_id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(code(&upload(&sim, "BATCH-1", Some(&file), true).await), "51146", "batch_reference reused");

    // APS checks the file in the background (spec 3.11): nothing can be processed meanwhile,
    // and the results say "still under validation" first.
    assert_eq!(code(&batch_json(&sim, "PROCESS_BATCH", "BATCH-1", None).await), "73138");
    let validating = batch_json(&sim, "GET_BATCH_RESULTS", "BATCH-1", Some(&batch_id)).await;
    assert_eq!(code(&validating), "71138");
    let validated = batch_json(&sim, "GET_BATCH_RESULTS", "BATCH-1", Some(&batch_id)).await;
    assert_eq!(code(&validated), "70000");
    assert_eq!(field(&validated, "transactions_count"), "6");
    assert_eq!(sim.truth().await.1.len(), 2, "nothing runs before PROCESS_BATCH");

    let processed = batch_json(&sim, "PROCESS_BATCH", "BATCH-1", None).await;
    assert_eq!(code(&processed), "72147");
    assert_eq!(field(&processed, "status"), "72");
    assert_eq!(code(&batch_json(&sim, "PROCESS_BATCH", "BATCH-1", None).await), "73047");
    let processing = batch_json(&sim, "GET_BATCH_RESULTS", "BATCH-1", Some(&batch_id)).await;
    assert_eq!(code(&processing), "71140", "still under processing, once");

    let results = batch_call(&sim, "GET_BATCH_RESULTS", "BATCH-1", Some(&batch_id)).await;
    assert_eq!(results.status(), 200);
    assert!(results.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = results.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "Line_Number,response_code,response_message,status,eci,fort_id,merchant_reference,amount,card_number,expiry_date,currency"
        )
    );
    let rows: Vec<Vec<String>> =
        lines.map(|l| l.split("\",\"").map(|v| v.trim_matches('"').to_owned()).collect()).collect();
    let summary: Vec<(&str, &str)> = rows.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    // Successful lines first: not in file order, so a client must go by Line_Number.
    assert_eq!(
        summary,
        [("2", "14000"), ("3", "04000"), ("5", "06000"), ("4", "07048"), ("6", "09034"), ("7", "00004")]
    );
    let recurring_row = &rows[0];
    assert_eq!(recurring_row[4], "RECURRING");
    assert_eq!(recurring_row[6], recurring);
    assert_eq!(recurring_row[7], "10003");
    assert_eq!(recurring_row[8], "400555******0001");
    assert_eq!(recurring_row[9], "3012");
    assert_eq!(recurring_row[10], "USD");
    assert!(rows.iter().all(|r| r.len() == 11 && r[5].len() >= 18));

    let truth = sim.truth_of(&recurring).await.unwrap();
    assert_eq!((truth.captured_amount, truth.currency.as_str()), (10_003, "USD"));
    assert_eq!(sim.truth_of(&auth).await.unwrap().captured_amount, 2_000);
    let sale_truth = sim.truth_of(&sale).await.unwrap();
    assert_eq!(sale_truth.refunded_amount, 1_000);
    assert_eq!(sale_truth.movements.last().unwrap().kind, MovementKind::Refund);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_batches_fail_validation_and_are_not_processed() {
    let sim = demo().await;
    let duplicate = "command,merchant_reference,amount,currency,eci,token_name,agreement_id,customer_email\n\
                     PURCHASE,D-1,100,AED,RECURRING,DEMO-VISA-0001,A,c@example.com\n\
                     PURCHASE,D-1,100,AED,RECURRING,DEMO-VISA-0001,A,c@example.com\n";
    assert_eq!(code(&upload(&sim, "BAD-DUP", Some(duplicate), true).await), "50000");
    assert_eq!(code(&batch_json(&sim, "GET_BATCH_RESULTS", "BAD-DUP", None).await), "71138");
    assert_eq!(code(&batch_json(&sim, "GET_BATCH_RESULTS", "BAD-DUP", None).await), "77136");
    assert_eq!(code(&batch_json(&sim, "PROCESS_BATCH", "BAD-DUP", None).await), "73136");

    let with_card = "command,merchant_reference,card_number\nPURCHASE,C-1,4005550000000001\n";
    assert_eq!(code(&upload(&sim, "BAD-CARD", Some(with_card), true).await), "50000");
    assert_eq!(code(&batch_json(&sim, "GET_BATCH_RESULTS", "BAD-CARD", None).await), "71138");
    assert_eq!(code(&batch_json(&sim, "GET_BATCH_RESULTS", "BAD-CARD", None).await), "77136");
    let requests = serde_json::to_string(&sim.handle.requests()).unwrap();
    assert!(!requests.contains("4005550000000001"));

    assert_eq!(code(&batch_json(&sim, "GET_BATCH_RESULTS", "NO-SUCH", None).await), "71141");
    assert_eq!(code(&batch_json(&sim, "PROCESS_BATCH", "NO-SUCH", None).await), "73141");
    assert_eq!(code(&batch_json(&sim, "GET_BATCH_RESULTS", "BAD-DUP", Some("1")).await), "71141");
    assert_eq!(code(&upload(&sim, "NO-FILE", None, true).await), "00001");
    assert_eq!(code(&upload(&sim, "EMPTY", Some(""), true).await), "51144");
    assert_eq!(code(&upload(&sim, "UNSIGNED", Some(duplicate), false).await), "00008");
    assert_eq!(code(&upload(&sim, "bad ref!", Some(duplicate), true).await), "00002");
    assert!(sim.truth().await.0.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_commands_only_on_their_endpoints() {
    let sim = demo().await;
    let on_payment_api =
        sim.send(json!({"service_command": "GET_BATCH_RESULTS", "batch_reference": "X"})).await;
    assert_eq!(code(&on_payment_api), "00004");
    let mut purchase = sim.request(json!({"command": "PURCHASE", "merchant_reference": "B-X"}));
    sim.sign(&mut purchase);
    let response = sim.http.post(sim.handle.batch_url()).json(&purchase).send().await.unwrap();
    let answer: Params = response.json().await.unwrap();
    assert_eq!(code(&answer), "00004");
    let not_multipart = sim.http.post(sim.handle.upload_url()).json(&purchase).send().await.unwrap();
    assert_eq!(not_multipart.status(), 500);
    assert!(not_multipart.text().await.unwrap().contains("<html>"));
}

/// Uploads `file`, passes validation, and returns the batch id and the validation answer.
async fn uploaded_and_checked(sim: &Sim, batch_reference: &str, file: &str) -> Params {
    assert_eq!(code(&upload(sim, batch_reference, Some(file), true).await), "50000");
    assert_eq!(code(&batch_json(sim, "GET_BATCH_RESULTS", batch_reference, None).await), "71138");
    batch_json(sim, "GET_BATCH_RESULTS", batch_reference, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_link_rows_make_links_and_a_large_file_is_queued_148() {
    let sim = demo().await;
    let expires =
        (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    let mut file = String::from(
        "command,merchant_reference,amount,currency,customer_email,notification_type,request_expiry_date,link_command\n",
    );
    let references: Vec<String> = (0..51).map(|_| reference("B-INV")).collect();
    for r in &references {
        file.push_str(&format!("PAYMENT_LINK,{r},2500,AED,payer@example.com,NONE,{expires},PURCHASE\n"));
    }
    let validated = uploaded_and_checked(&sim, "INVOICES-1", &file).await;
    assert_eq!((code(&validated), field(&validated, "transactions_count")), ("70000", "51"));
    let processed = batch_json(&sim, "PROCESS_BATCH", "INVOICES-1", None).await;
    assert_eq!(code(&processed), "72148", "a file of more than 50 rows is queued");
    for _ in 0..3 {
        assert_eq!(code(&batch_json(&sim, "GET_BATCH_RESULTS", "INVOICES-1", None).await), "71140");
    }
    let text = batch_call(&sim, "GET_BATCH_RESULTS", "INVOICES-1", None).await.text().await.unwrap();
    assert_eq!(text.lines().skip(1).filter(|l| l.contains("\"48000\"")).count(), 51, "{text}");
    let link = sim.handle.order(&references[0]).expect("the link's order");
    assert!(link.payment_link_id.is_some(), "a payment link, waiting for the customer");
    assert_eq!((link.amount, link.captured_amount), (2_500, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_of_any_row_type_fails_validation() {
    let sim = demo().await;
    let sale = reference("B-DUP-SALE");
    let auth = reference("B-DUP-AUTH");
    sim.purchase(&sale, 3_000, "DEMO-MC-2346").await;
    sim.authorize(&auth, 3_000, "DEMO-VISA-0001").await;
    let head = "command,merchant_reference,amount,currency,maintenance_reference,customer_email,notification_type,request_expiry_date\n";
    let expires =
        (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    let link = reference("B-DUP-LINK");
    let cases = [
        ("DUP-VOID", format!("VOID_AUTHORIZATION,{auth},,,,,,\nVOID_AUTHORIZATION,{auth},,,,,,\n")),
        ("DUP-REFUND", format!("REFUND,{sale},100,AED,RF-1,,,\nREFUND,{sale},200,AED,RF-1,,,\n")),
        (
            "DUP-LINK",
            format!(
                "PAYMENT_LINK,{link},100,AED,,p@example.com,NONE,{expires}\nPAYMENT_LINK,{link},100,AED,,p@example.com,NONE,{expires}\n"
            ),
        ),
        ("KNOWN-LINK", format!("PAYMENT_LINK,{sale},100,AED,,p@example.com,NONE,{expires}\n")),
    ];
    for (batch, rows) in cases {
        let checked = uploaded_and_checked(&sim, batch, &format!("{head}{rows}")).await;
        assert_eq!(code(&checked), "77136", "{batch}");
        assert_eq!(code(&batch_json(&sim, "PROCESS_BATCH", batch, None).await), "73136", "{batch}");
    }
    // A refund's maintenance reference APS already holds on the order is a repeat too.
    let once = format!("{head}REFUND,{sale},100,AED,RF-9,,,\n");
    assert_eq!(code(&uploaded_and_checked(&sim, "ONCE", &once).await), "70000");
    assert_eq!(code(&batch_json(&sim, "PROCESS_BATCH", "ONCE", None).await), "72147");
    assert_eq!(code(&uploaded_and_checked(&sim, "AGAIN", &once).await), "77136");
    // Two partial captures of one order, the same amount, are not a repeat.
    let captures = format!("{head}CAPTURE,{auth},1000,AED,,,,\nCAPTURE,{auth},1000,AED,,,,\n");
    assert_eq!(code(&uploaded_and_checked(&sim, "CAPTURES", &captures).await), "70000");
    assert_eq!(sim.truth_of(&sale).await.unwrap().refunded_amount, 100, "only the batch that passed ran");
}
