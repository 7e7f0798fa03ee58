//! The token book through the service, on a journal file and on the team journal: with APS's
//! unique tokens, one card paid by two customers is one token, and the book keeps both
//! customers and finds the card by either one's name, email or phone.

use super::rig::{PROFILE, Rig, fast_settings};
use moto_terminal::aps::response::Kind;
use moto_terminal::journal::Journal;
use moto_terminal::service::{CardDraft, ChargeDraft, PaymentDraft, Progress, Service};
use moto_terminal::sim::{self, SimConfig};
use std::sync::Arc;
use zeroize::Zeroizing;

/// The Demo merchant's simulator with APS's "unique tokens" account option.
async fn unique_tokens_rig() -> Rig {
    let config = SimConfig { unique_tokens: true, ..SimConfig::demo() };
    Rig::with_sim(sim::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()).await
}

/// A keyed card kept as a token, charged for one customer.
fn keyed_sale(rig: &Rig, amount: &str, name: &str, email: &str, phone: &str) -> ChargeDraft {
    let mut draft = rig.token_sale("", amount);
    draft.payment = PaymentDraft::Card(CardDraft {
        number: Zeroizing::new("4557 0123 4567 8902".into()),
        expiry: "05/33".into(),
        cvv: Zeroizing::new("123".into()),
        remember: true,
        ..CardDraft::default()
    });
    (draft.customer_name, draft.customer_email, draft.phone_number) =
        (name.into(), email.into(), phone.into());
    draft
}

async fn two_customers_on_one_card(rig: &Rig, service: &Service) {
    let layla = |amount| keyed_sale(rig, amount, "Layla Haddad", "layla@example.com", "+971 50 123 4567");
    let omar = keyed_sale(rig, "35.00", "Omar Khalil", "omar@example.com", "+966 55 765 4321");
    let mut tokens = Vec::new();
    // Layla, Omar, then Layla again (another amount: the duplicate guard is not the point here).
    for sale in [layla("20.00"), omar, layla("22.00")] {
        let outcome = service.charge(sale, &Progress::none()).await.unwrap();
        assert_eq!(outcome.verdict.kind, Kind::Approved, "{:?}", outcome.verdict);
        tokens.push(outcome.token_name.expect("a kept card names its token"));
    }
    assert!(tokens.iter().all(|t| *t == tokens[0]), "unique tokens: one card, one token: {tokens:?}");
    for (query, first) in [
        ("Layla", "layla@example.com"),
        ("OMAR@example", "omar@example.com"),
        ("Khalil", "omar@example.com"),
        ("50 123 4567", "layla@example.com"),
        ("055 765 4321", "omar@example.com"),
        ("8902", "layla@example.com"),
    ] {
        let found = service.tokens(PROFILE, query).await.unwrap();
        assert_eq!(found.len(), 1, "{query}: {found:?}");
        assert_eq!(found[0].token_name, tokens[0], "{query}");
        let emails: Vec<_> =
            found[0].customers.iter().map(|c| c.email.as_deref().unwrap_or_default()).collect();
        assert_eq!(emails.len(), 2, "{query}: both customers, each once: {emails:?}");
        assert_eq!(emails[0], first, "{query}: the customer found (or last seen) first");
    }
    let layla = &service.tokens(PROFILE, "layla").await.unwrap()[0].customers[0];
    assert_eq!(
        (layla.name.as_deref(), layla.phone.as_deref()),
        (Some("Layla Haddad"), Some("+971 50 123 4567")),
        "name and phone come with the charge"
    );
    assert!(service.tokens(PROFILE, "Nadia").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_card_paid_by_two_customers_keeps_both_on_a_journal_file() {
    let rig = unique_tokens_rig().await;
    two_customers_on_one_card(&rig, &rig.service).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_card_paid_by_two_customers_keeps_both_on_the_team_journal() {
    let url = crate::team::fresh_database("token_book").await;
    let rig = unique_tokens_rig().await;
    let service = rig.service_with(Arc::new(Journal::open_team(&url).unwrap()), fast_settings());
    two_customers_on_one_card(&rig, &service).await;
}
