//! Upgrading a journal written before the token book kept every customer (desk step 14, team
//! step 4): the customers it already knew, on the token and on the approved orders charged to
//! it, become the token's customers.

use super::*;
use crate::journal::postgres;

/// A token with its first customer, as the older book kept it, and orders charged to it (and
/// to a token the book never knew): one customer again in other case, one declined, one new.
const OLDER_BOOK: &str = "
    INSERT INTO tokens (profile, token_name, masked_card, last4, status, customer_email, customer_name, updated_at)
    VALUES ('main', 'tok_1', '400555******0001', '0001', 'ACTIVE', 'layla@example.com', 'Layla Haddad',
        '2025-01-01T00:00:00.000000Z');
    INSERT INTO orders (profile, merchant_reference, kind, channel, currency, amount_minor, token_name,
        customer_email, customer_name, operator, created_at, updated_at, state)
    VALUES
        ('main', 'OLD-1', 'sale', 'phone', 'AED', 1250, 'tok_1', 'Omar@Example.com', 'Omar Khalil', 'sara',
            '2025-02-01T00:00:00.000000Z', '2025-02-01T00:00:00.000000Z', 'captured'),
        ('main', 'OLD-2', 'sale', 'phone', 'AED', 1250, 'tok_1', 'omar@example.com', 'Omar Khalil', 'sara',
            '2025-03-01T00:00:00.000000Z', '2025-03-01T00:00:00.000000Z', 'refunded'),
        ('main', 'OLD-3', 'sale', 'phone', 'AED', 1250, 'tok_1', 'nadia@example.com', NULL, 'sara',
            '2025-03-02T00:00:00.000000Z', '2025-03-02T00:00:00.000000Z', 'declined'),
        ('main', 'OLD-4', 'sale', 'phone', 'AED', 1250, 'tok_1', 'layla@example.com', 'Layla Haddad', 'sara',
            '2025-04-01T00:00:00.000000Z', '2025-04-01T00:00:00.000000Z', 'authorized'),
        ('main', 'OLD-5', 'sale', 'phone', 'AED', 1250, 'tok_gone', 'x@example.com', NULL, 'sara',
            '2025-04-02T00:00:00.000000Z', '2025-04-02T00:00:00.000000Z', 'captured');
";

fn the_customers_were_kept(j: &Journal) {
    let book = j.token("main", "tok_1").unwrap().unwrap();
    let seen: Vec<_> = book
        .customers
        .iter()
        .map(|c| (c.name.as_deref(), c.email.as_deref(), c.last_seen.map(|t| t.date_naive().to_string())))
        .collect();
    assert_eq!(
        seen,
        [
            (Some("Layla Haddad"), Some("layla@example.com"), Some("2025-04-01".to_owned())),
            (Some("Omar Khalil"), Some("omar@example.com"), Some("2025-03-01".to_owned())),
        ],
        "one row per customer, most recently seen first; a declined order's customer is not one"
    );
    assert_eq!(j.tokens("main", "OMAR@EXAMPLE").unwrap()[0].token_name, "tok_1");
    assert!(j.tokens("main", "nadia").unwrap().is_empty());
    assert!(j.token("main", "tok_gone").unwrap().is_none());
    // The upgraded book goes on as a new one: Omar seen again is still one customer.
    let omar = TokenCustomer::new(Some("Omar Khalil"), Some("OMAR@example.com"), None);
    j.add_token_customers("main", "tok_1", &[omar]).unwrap();
    assert_eq!(j.token("main", "tok_1").unwrap().unwrap().customers.len(), 2);
}

#[test]
fn a_desk_journal_keeps_the_customers_its_token_book_knew() {
    let step = schema::MIGRATIONS.iter().position(|m| m.contains("CREATE TABLE token_customers")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    {
        let old = Journal::open_at_version(&path, step as u32).unwrap();
        old.lock().execute_batch(OLDER_BOOK).unwrap();
    }
    the_customers_were_kept(&Journal::open(&path).unwrap());
}

#[test]
fn a_team_journal_keeps_the_customers_its_token_book_knew() {
    let step = postgres::STEPS.iter().position(|m| m.contains("CREATE TABLE token_customers")).unwrap();
    let url = fresh_team_database();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = postgres::connect(&url).await.unwrap();
        for older in &postgres::STEPS[..step] {
            client.batch_execute(older).await.unwrap();
        }
        client.batch_execute("CREATE TABLE moto_schema (version INTEGER NOT NULL)").await.unwrap();
        client.execute("INSERT INTO moto_schema (version) VALUES ($1)", &[&(step as i32)]).await.unwrap();
        client.batch_execute(OLDER_BOOK).await.unwrap();
    });
    the_customers_were_kept(&Journal::open_team(&url).unwrap());
}
