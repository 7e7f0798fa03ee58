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

/// A token APS named itself, whose name holds a run of digits that passes the Luhn check (the
/// simulator's 32 hex characters do about once in 250 tokens): made elsewhere, on the website.
const ISSUED: &str = "a3f4005550000000001bc9e7d2f0a1b2";

async fn issued_token_rig() -> Rig {
    let mut config = SimConfig { unique_tokens: true, ..SimConfig::demo() };
    config.seed_tokens.push(sim::SeedToken::new(ISSUED, "4557012345678902", "3305"));
    Rig::with_sim(sim::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_name_aps_issued_is_kept_and_charged_though_its_digits_pass_luhn() {
    let rig = issued_token_rig().await;
    assert!(moto_terminal::aps::card::contains_card_number(ISSUED));
    // Typed before the token book holds it, it may be a card number: refused, nothing sent.
    let sent = rig.sim.requests().len();
    let err = rig.service.charge(rig.token_sale(ISSUED, "10.00"), &Progress::none()).await.unwrap_err();
    assert!(err.to_string().starts_with("token name: this looks like a card number"), "{err}");
    assert!(err.to_string().contains("no saved card of this profile has this token name"), "{err}");
    assert_eq!(rig.sim.requests().len(), sent, "nothing sent");
    // The customer pays with the card: APS answers with the token it holds for it.
    let keyed = keyed_sale(&rig, "20.00", "Layla Haddad", "layla@example.com", "+971 50 123 4567");
    let outcome = rig.service.charge(keyed, &Progress::none()).await.unwrap();
    assert_eq!(outcome.verdict.kind, Kind::Approved, "{:?}", outcome.verdict);
    assert_eq!(outcome.token_name.as_deref(), Some(ISSUED));
    let found = rig.service.tokens(PROFILE, "Layla").await.unwrap();
    assert_eq!(found.len(), 1, "the token book keeps APS's name: {found:?}");
    assert_eq!(found[0].token_name, ISSUED);
    // Chosen from the book, it is charged.
    let again = rig.service.charge(rig.token_sale(ISSUED, "30.00"), &Progress::none()).await.unwrap();
    assert_eq!(again.verdict.kind, Kind::Approved, "{:?}", again.verdict);
    let order = again.order.expect("the order as recorded");
    assert_eq!(order.token_name.as_deref(), Some(ISSUED));
    // A batch file may name it too; a name of the same shape the book does not hold may be a
    // card number typed there, and its row is refused, the name not shown.
    let unknown = "b7e4005550000000001ac9e7d2f0a1b2";
    let csv = format!(
        "operation,amount,currency,token_name,customer_email\n\
         sale,40.00,AED,{ISSUED},layla@example.com\n\
         sale,50.00,AED,{unknown},omar@example.com\n"
    );
    let checked = rig.service.check_batch(PROFILE, "stack.csv", csv.into_bytes()).await.unwrap();
    assert_eq!(checked.problems.len(), 1, "{:?}", checked.problems);
    assert!(checked.problems[0].starts_with("row 3: token_name: this looks like a card number"));
    assert!(checked.problems.iter().all(|p| !p.contains("4005550000000001")));
    // A card's own digits are refused as a token name even so.
    let card = rig.service.charge(rig.token_sale("4005-5500-0000-0001", "10.00"), &Progress::none()).await;
    assert!(card.unwrap_err().to_string().starts_with("token name: this looks like a card number"));
}
