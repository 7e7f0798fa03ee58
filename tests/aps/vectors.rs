//! Every published and computed signature vector of `aps/signature-vectors.json`, plus the
//! properties that keep the rule honest: order never matters, sign-then-verify holds, and any
//! change of a value or phrase breaks verification.

use moto_terminal::aps::Params;
use moto_terminal::aps::sign::{self, Algorithm, TOKENIZATION_PAGE_UNSIGNED};
use proptest::prelude::*;
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../fixtures/signature-vectors.json")).expect("fixture is JSON")
}

fn algorithm(name: &str) -> Algorithm {
    name.parse().unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The published vectors come from four SDKs whose empty-value rules differ (spec 2.4); the
/// fixture's `string_to_sign` is the truth, and each vector names which keys were dropped.
fn exclusions(vector: &Value) -> Vec<&'static str> {
    match vector["id"].as_str() {
        Some("P02") => TOKENIZATION_PAGE_UNSIGNED.to_vec(),
        _ => Vec::new(),
    }
}

fn check(vector: &Value) {
    let id = vector["id"].to_string();
    let params: Params = vector["params"].as_object().cloned().expect("params object");
    let phrase = vector["phrase"].as_str().expect("phrase");
    let algo = algorithm(vector["algorithm"].as_str().expect("algorithm"));
    let excluded = exclusions(vector);
    let string = sign::string_to_sign(&params, phrase, &excluded);
    assert_eq!(
        string.as_str(),
        vector["string_to_sign"].as_str().expect("string"),
        "vector {id}: string to sign"
    );
    let signature = sign::sign_excluding(&params, phrase, algo, &excluded);
    assert_eq!(signature, vector["signature"].as_str().expect("signature"), "vector {id}: signature");
    assert_eq!(signature, signature.to_ascii_lowercase(), "vector {id}: lower-case hex out");
    if let Some(published) = vector.get("signature_as_published").and_then(Value::as_str) {
        assert!(sign::equal_ignoring_hex_case(&signature, published), "vector {id}: published form");
    }
}

#[test]
fn every_published_vector() {
    let v = vectors();
    let published = v["published"].as_array().expect("published list");
    assert_eq!(published.len(), 13);
    for vector in published {
        check(vector);
    }
}

#[test]
fn every_computed_vector() {
    let v = vectors();
    let computed = v["computed"].as_array().expect("computed list");
    assert_eq!(computed.len(), 8);
    for vector in computed {
        check(vector);
    }
}

#[test]
fn response_vectors_verify_with_their_signature_in_place() {
    let v = vectors();
    for vector in v["computed"].as_array().expect("computed") {
        if vector["phrase_kind"] != "response" {
            continue;
        }
        let mut params: Params = vector["params"].as_object().cloned().expect("params");
        params.insert("signature".into(), vector["signature"].clone());
        let algo = algorithm(vector["algorithm"].as_str().expect("algorithm"));
        let phrase = vector["phrase"].as_str().expect("phrase");
        assert_eq!(sign::verify(&params, phrase, algo), Ok(()), "vector {}", vector["id"]);
        assert!(sign::verify(&params, "wrong", algo).is_err());
    }
}

fn arb_params() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::btree_map("[a-z_]{1,12}", "[ -~\u{600}-\u{6ff}]{0,20}", 1..12)
        .prop_map(|m| m.into_iter().filter(|(k, _)| k != "signature").collect())
}

fn to_params(pairs: &[(String, String)]) -> Params {
    pairs.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()
}

proptest! {
    #[test]
    fn parameter_order_never_changes_the_signature(pairs in arb_params(), seed in any::<u64>()) {
        let mut shuffled = pairs.clone();
        // A cheap deterministic shuffle driven by the seed.
        let n = shuffled.len();
        for i in (1..n).rev() {
            let j = (seed.rotate_left(i as u32) % (i as u64 + 1)) as usize;
            shuffled.swap(i, j);
        }
        for algo in Algorithm::ALL {
            prop_assert_eq!(sign::sign(&to_params(&pairs), "p", algo), sign::sign(&to_params(&shuffled), "p", algo));
        }
    }

    #[test]
    fn verify_of_sign_holds_and_changes_fail(pairs in arb_params(), phrase in "[!-~]{1,30}", idx in any::<usize>()) {
        for algo in Algorithm::ALL {
            let mut p = to_params(&pairs);
            let signature = sign::sign(&p, &phrase, algo);
            p.insert("signature".into(), Value::String(signature));
            prop_assert!(sign::verify(&p, &phrase, algo).is_ok());
            let other_phrase = format!("{phrase}x");
            prop_assert!(sign::verify(&p, &other_phrase, algo).is_err());
            let (name, value) = &pairs[idx % pairs.len()];
            let mut changed = p.clone();
            changed.insert(name.clone(), Value::String(format!("{value}1")));
            prop_assert!(sign::verify(&changed, &phrase, algo).is_err());
        }
    }
}
