//! The token book. APS has no documented call to list a merchant's tokens (spec 3.9: GET_TOKENS
//! is UNKNOWN), so the terminal remembers every token it created, charged or updated, with the
//! masked card APS returned and every customer it was used for (`token_customers`: one token
//! can belong to several customers), so an agent can find a caller's saved card by their name,
//! email or phone, or the card's last four digits.

use super::db::{Db, DbRow, Value, params};
use super::token_customers::{self, CUSTOMER_MATCH, TokenCustomer};
use super::{Journal, JournalError, MaskedCard, refuse_card_numbers, require, ts};
use crate::aps::field::Field;
use chrono::Utc;

/// A stored card as the token book knows it. Never a full card number.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TokenRecord {
    pub profile: String,
    pub token_name: String,
    /// As APS masks it, e.g. `400555******0001`.
    pub masked_card: Option<String>,
    /// YYMM, as APS sends `expiry_date`.
    pub expiry: Option<String>,
    pub brand: Option<String>,
    pub holder_name: Option<String>,
    /// Every customer seen with this token, most recently seen first (a search puts those it
    /// found first). Never one customer per token: with APS's unique tokens, every customer
    /// paying with the same card gets the same token. When written: customers to remember.
    pub customers: Vec<TokenCustomer>,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
}

// `tokens.customer_email` and `customer_name` are no longer read or written: since schema step
// 14 the customers are in `token_customers` (the step copied them there).
const TOKEN_COLUMNS: &str =
    "t.profile, t.token_name, t.masked_card, t.expiry, t.brand, t.holder_name, t.status";

/// A token record whose fields passed the checks, ready to write on any connection.
#[derive(Clone)]
pub(crate) struct CheckedToken {
    record: TokenRecord,
    masked: Option<MaskedCard>,
}

impl CheckedToken {
    /// Empty names, a masked card that shows too much, or free text holding a card number fail.
    pub(crate) fn check(t: &TokenRecord) -> Result<CheckedToken, JournalError> {
        require(Field::Profile, &t.profile)?;
        // APS's identifier: see `check_token_name`.
        super::card_guard::check_token_name(&t.token_name)?;
        let masked = t.masked_card.as_deref().map(MaskedCard::parse).transpose()?;
        refuse_card_numbers("holder name", t.holder_name.as_deref().unwrap_or_default())?;
        for customer in &t.customers {
            customer.check()?;
        }
        Ok(CheckedToken { record: t.clone(), masked })
    }

    /// Adds the token, or refreshes it; fields left `None` keep their value. Its customers are
    /// remembered (seen now).
    pub(crate) fn upsert(&self, db: Db<'_>) -> Result<(), JournalError> {
        self.write_row(db, UPSERT, false)
    }

    /// As [`CheckedToken::upsert`], but the token's row is written only when it tells the book
    /// something new (most charges reuse a token the book already knows as it is). Its
    /// customers are remembered either way: a customer seen again moves their `last_seen`.
    /// No read first: on the team journal the whole refresh is one round trip, which also
    /// carries the commit when `ends` (nothing follows it in its transaction).
    pub(crate) fn refresh(&self, db: Db<'_>, ends: bool) -> Result<(), JournalError> {
        self.write_row(db, &REFRESH, ends)
    }

    /// The token's row by `token_sql` ([`UPSERT`] or [`REFRESH`]), then its customers.
    fn write_row(&self, db: Db<'_>, token_sql: &str, ends: bool) -> Result<(), JournalError> {
        let t = &self.record;
        let now = ts(&Utc::now());
        let masked = self.masked.as_ref();
        let (masked_text, last4) = (masked.map(MaskedCard::as_str), masked.and_then(MaskedCard::last4));
        let row = params![
            t.profile,
            t.token_name,
            masked_text,
            last4,
            t.expiry,
            t.brand,
            t.holder_name,
            t.status,
            now,
        ]
        .to_vec();
        // Customers the same by their keys are one row: the last given is kept, as one statement
        // each left it, and no statement writes a row twice (PostgreSQL refuses that).
        let customers: Vec<Vec<Value<'_>>> = t
            .customers
            .iter()
            .enumerate()
            .filter(|(i, c)| !t.customers[i + 1..].iter().any(|later| later.is_same(c)))
            .filter_map(|(_, c)| token_customers::remember_values(&t.profile, &t.token_name, c, &now))
            .collect();
        if db.is_team() && !customers.is_empty() {
            // One statement, so one answer from the server (see `team_statement`).
            let sql = match TEAM_REFRESH.get(customers.len() - 1) {
                // The usual refresh, written once.
                Some(sql) if token_sql == REFRESH.as_str() => std::borrow::Cow::Borrowed(sql.as_str()),
                _ => std::borrow::Cow::Owned(team_statement(token_sql, customers.len())),
            };
            let values: Vec<Value<'_>> = row.iter().chain(customers.iter().flatten()).cloned().collect();
            return db.pipeline(&[(&sql, &values)], ends).map(drop);
        }
        let mut statements = vec![(token_sql, row.as_slice())];
        statements.extend(customers.iter().map(|v| (token_customers::remember_sql(false), v.as_slice())));
        db.pipeline(&statements, ends).map(drop)
    }

    /// Whether the record brings a customer of its own ([`CheckedToken::or_customer`] then
    /// changes nothing).
    pub(crate) fn has_customers(&self) -> bool {
        !self.record.customers.iter().all(TokenCustomer::is_empty)
    }

    /// The customers this record brings when it brings none of its own: `customer`.
    pub(crate) fn or_customer(mut self, customer: TokenCustomer) -> CheckedToken {
        if !self.has_customers() && customer.check().is_ok() {
            self.record.customers = vec![customer];
        }
        self
    }
}

/// On the team journal, the token's row (`token_sql`, ?1 to ?9) and `customers` customers'
/// rows (?10 on, nine each) in one statement: PostgreSQL runs every insert of its `WITH` once,
/// and the server answers one statement with one message where each of several statements,
/// with the transaction around them, was one the desk woke up for.
fn team_statement(token_sql: &str, customers: usize) -> String {
    let remember = token_customers::remember_sql(false);
    let mut parts = vec![format!("token AS ({token_sql})")];
    parts.extend(
        (1..customers).map(|i| format!("customer{i} AS ({})", super::write::shifted(remember, 9 * i))),
    );
    format!("WITH {} {}", parts.join(", "), super::write::shifted(remember, 9 * customers))
}

/// [`team_statement`] of [`REFRESH`] for one to three customers, the refresh of almost every
/// approval.
static TEAM_REFRESH: std::sync::LazyLock<[String; 3]> =
    std::sync::LazyLock::new(|| [1, 2, 3].map(|customers| team_statement(&REFRESH, customers)));

/// A token's row inserted, or updated where the record tells something (fields left `None`
/// keep their value).
const UPSERT: &str =
    "INSERT INTO tokens (profile, token_name, masked_card, last4, expiry, brand, holder_name, status, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (profile, token_name) DO UPDATE SET
        masked_card = COALESCE(excluded.masked_card, tokens.masked_card),
        last4 = COALESCE(excluded.last4, tokens.last4),
        expiry = COALESCE(excluded.expiry, tokens.expiry),
        brand = COALESCE(excluded.brand, tokens.brand),
        holder_name = COALESCE(excluded.holder_name, tokens.holder_name),
        status = excluded.status,
        updated_at = excluded.updated_at";

/// [`UPSERT`], updating a token the book has only when its status, or a masked card or expiry
/// the record gives, differs from the book's.
static REFRESH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{UPSERT}
     WHERE tokens.status IS DISTINCT FROM excluded.status
        OR (excluded.masked_card IS NOT NULL AND tokens.masked_card IS DISTINCT FROM excluded.masked_card)
        OR (excluded.expiry IS NOT NULL AND tokens.expiry IS DISTINCT FROM excluded.expiry)"
    )
});

/// A token's own row, without its customers.
fn token_row(conn: Db<'_>, profile: &str, token_name: &str) -> Result<Option<TokenRecord>, JournalError> {
    // Built once: the token screen and the service ask this of a token again and again.
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.profile = ?1 AND t.token_name = ?2")
    });
    conn.query_opt(&SQL, params![profile, token_name], token_from_row)
}

fn token_in(conn: Db<'_>, profile: &str, token_name: &str) -> Result<Option<TokenRecord>, JournalError> {
    let Some(mut token) = token_row(conn, profile, token_name)? else { return Ok(None) };
    token.customers =
        token_customers::customers_of(conn, profile, &[token_name])?.remove(token_name).unwrap_or_default();
    Ok(Some(token))
}

fn token_from_row(row: &DbRow<'_>) -> Result<TokenRecord, JournalError> {
    Ok(TokenRecord {
        profile: row.get(0)?,
        token_name: row.get(1)?,
        masked_card: row.get(2)?,
        expiry: row.get(3)?,
        brand: row.get(4)?,
        holder_name: row.get(5)?,
        customers: Vec::new(),
        status: row.get(6)?,
    })
}

impl Journal {
    /// Adds a token, or refreshes what is known of it; fields left `None` keep their value, and
    /// its customers are remembered as seen now.
    ///
    /// # Errors
    /// Empty names, a masked card that shows too much, free text holding a card number, or a
    /// database failure.
    pub fn upsert_token(&self, t: &TokenRecord) -> Result<(), JournalError> {
        let checked = CheckedToken::check(t)?;
        self.write_now(|db| checked.upsert(db))
    }

    /// As [`Journal::upsert_token`], writing the token's row only when the record tells the book
    /// something new (most charges reuse a token the book already knows as it is).
    ///
    /// # Errors
    /// As [`Journal::upsert_token`].
    pub fn refresh_token(&self, t: &TokenRecord) -> Result<(), JournalError> {
        let checked = CheckedToken::check(t)?;
        self.write_now(|db| checked.refresh(db, false))
    }

    /// Adds to a token those of `customers` it does not know yet; one already known is left as
    /// it is (its `last_seen` does not move). When it knows them all, nothing is written (the
    /// Demo customers are offered at every start).
    ///
    /// # Errors
    /// A customer whose name, email or phone holds a card number, or a database failure.
    pub fn add_token_customers(
        &self,
        profile: &str,
        token_name: &str,
        customers: &[TokenCustomer],
    ) -> Result<(), JournalError> {
        customers.iter().try_for_each(TokenCustomer::check)?;
        let known = self.token(profile, token_name)?.map(|t| t.customers).unwrap_or_default();
        let new: Vec<&TokenCustomer> =
            customers.iter().filter(|c| !c.is_empty() && !known.iter().any(|k| k.is_same(c))).collect();
        if new.is_empty() {
            return Ok(());
        }
        self.write_now(|db| {
            new.iter().try_for_each(|c| token_customers::remember(db, profile, token_name, c, true))
        })
    }

    /// Applies an UPDATE_TOKEN that APS approved: rename (its customers follow), status,
    /// expiry, holder.
    ///
    /// # Errors
    /// A database failure.
    pub fn update_token(
        &self,
        profile: &str,
        token_name: &str,
        new_name: Option<&str>,
        status: Option<&str>,
        expiry: Option<&str>,
        holder_name: Option<&str>,
    ) -> Result<(), JournalError> {
        refuse_card_numbers("holder name", holder_name.unwrap_or_default())?;
        refuse_card_numbers("new token name", new_name.unwrap_or_default())?;
        // A token the book never saw (created elsewhere) is remembered now.
        let unknown = CheckedToken::check(&TokenRecord {
            profile: profile.to_owned(),
            token_name: new_name.unwrap_or(token_name).to_owned(),
            masked_card: None,
            expiry: expiry.map(str::to_owned),
            brand: None,
            holder_name: holder_name.map(str::to_owned),
            customers: Vec::new(),
            status: status.unwrap_or("ACTIVE").to_owned(),
        })?;
        self.write_now(|db| {
            let changed = db.execute(
                "UPDATE tokens SET token_name = COALESCE(?3, token_name), status = COALESCE(?4, status),
                        expiry = COALESCE(?5, expiry), holder_name = COALESCE(?6, holder_name), updated_at = ?7
                     WHERE profile = ?1 AND token_name = ?2",
                params![profile, token_name, new_name, status, expiry, holder_name, ts(&Utc::now())],
            )?;
            match new_name {
                _ if changed == 0 => unknown.upsert(db),
                Some(new_name) => token_customers::rename(db, profile, token_name, new_name),
                None => Ok(()),
            }
        })
    }

    /// One token of a profile by its exact name, with its customers.
    ///
    /// # Errors
    /// A database failure.
    pub fn token(&self, profile: &str, token_name: &str) -> Result<Option<TokenRecord>, JournalError> {
        self.read(|db| token_in(db, profile, token_name))
    }

    /// Tokens of a profile found by `query` (case-insensitive): in the token's name, the card's
    /// last four digits or the name on the card, or in the name, email or phone of any of its
    /// customers (a phone by three digits or more, however it is spaced); all of them for an
    /// empty query. Active tokens first, then by name; each with every customer, those the
    /// query found first.
    ///
    /// # Errors
    /// A database failure.
    pub fn tokens(&self, profile: &str, query: &str) -> Result<Vec<TokenRecord>, JournalError> {
        let query = query.trim();
        let escaped =
            token_customers::fold(query).replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let phones = token_customers::phone_pattern(query);
        self.read(|db| {
            // ASCII letters folded on both backends (PostgreSQL's `lower` folds every letter,
            // and its LIKE minds case), so both find the same tokens.
            let fold = if db.is_team() { "moto_fold" } else { "lower" };
            let sql = format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.profile = ?1 AND (
                    {fold}(t.token_name) LIKE ?2 ESCAPE '\\' OR COALESCE(t.last4, '') LIKE ?2 ESCAPE '\\'
                    OR {fold}(COALESCE(t.holder_name, '')) LIKE ?2 ESCAPE '\\' OR {CUSTOMER_MATCH})
                 ORDER BY t.status = 'INACTIVE', t.token_name LIMIT 500"
            );
            let mut tokens = db.query_map(&sql, params![profile, pattern, phones], token_from_row)?;
            let names: Vec<&str> = tokens.iter().map(|t| t.token_name.as_str()).collect();
            let mut customers = token_customers::customers_of(db, profile, &names)?;
            for token in &mut tokens {
                let mut theirs = customers.remove(&token.token_name).unwrap_or_default();
                // Stable: the customers found keep their order (most recent first), ahead of the rest.
                theirs.sort_by_key(|c| !c.matches(query));
                token.customers = theirs;
            }
            Ok(tokens)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::tests::{journal, on_both};

    fn record(name: &str, masked: &str, email: &str) -> TokenRecord {
        TokenRecord {
            profile: "P".into(),
            token_name: name.into(),
            masked_card: Some(masked.into()),
            expiry: Some("3012".into()),
            brand: Some("VISA".into()),
            holder_name: None,
            customers: vec![TokenCustomer::new(Some("Layla Haddad"), Some(email), None)],
            status: "ACTIVE".into(),
        }
    }

    fn emails(t: &TokenRecord) -> Vec<&str> {
        t.customers.iter().filter_map(|c| c.email.as_deref()).collect()
    }

    on_both! {
    fn find_by_last4_email_name_and_token() {
        let j = journal();
        j.upsert_token(&record("tok_a", "400555******0001", "layla@example.com")).unwrap();
        j.upsert_token(&record("tok_b", "512345******2346", "omar@example.com")).unwrap();
        assert_eq!(j.tokens("P", "0001").unwrap().len(), 1);
        assert_eq!(j.tokens("P", "OMAR@").unwrap()[0].token_name, "tok_b");
        assert_eq!(j.tokens("P", "layla").unwrap().len(), 2, "both were used by Layla");
        assert_eq!(j.tokens("P", "").unwrap().len(), 2);
        assert!(j.tokens("Q", "").unwrap().is_empty(), "per profile");
        assert!(j.tokens("P", "%").unwrap().is_empty(), "wildcards are literal");
    }
    }

    on_both! {
    fn both_backends_fold_the_same_letters() {
        let j = journal();
        let mut holder = record("tok_o", "400555******0001", "m@example.com");
        holder.holder_name = Some("MEHMET ÖZTÜRK".into());
        j.upsert_token(&holder).unwrap();
        assert_eq!(j.tokens("P", "mehmet").unwrap().len(), 1, "ASCII letters in any case");
        assert_eq!(j.tokens("P", "ÖZ").unwrap().len(), 1, "other letters as typed");
        assert!(j.tokens("P", "öz").unwrap().is_empty(), "and only as typed, on both");
        assert!(j.tokens("P", "meh\\met").unwrap().is_empty(), "a backslash is literal too");
    }
    }

    on_both! {
    fn one_token_keeps_every_customer_and_is_found_by_each() {
        // APS's unique tokens: the same card, so the same token, for two customers.
        let j = journal();
        let mut layla = record("tok_shared", "400555******0001", "layla@example.com");
        layla.customers[0].phone = Some("+971 50 123 4567".into());
        j.upsert_token(&layla).unwrap();
        let mut omar = record("tok_shared", "400555******0001", "omar@example.com");
        omar.customers = vec![TokenCustomer::new(Some("Omar Khalil"), Some("omar@example.com"), Some("+966 55 765 4321"))];
        j.refresh_token(&omar).unwrap();
        // Layla again, as another charge brings her: still one row for her.
        j.refresh_token(&layla).unwrap();
        let book = j.token("P", "tok_shared").unwrap().unwrap();
        assert_eq!(emails(&book), ["layla@example.com", "omar@example.com"], "most recently seen first");
        for query in ["Layla", "LAYLA@EXAMPLE", "50 123 45", "Omar Khalil", "omar@", "0557654321", "765 4321"] {
            let found = j.tokens("P", query).unwrap();
            assert_eq!(found.len(), 1, "{query}");
            assert_eq!(found[0].customers.len(), 2, "{query}: every customer is shown");
        }
        assert_eq!(emails(&j.tokens("P", "omar").unwrap()[0])[0], "omar@example.com", "the one found first");
        assert!(j.tokens("P", "Nadia").unwrap().is_empty());
        assert!(j.tokens("P", "12").unwrap().is_empty(), "two digits find no phone");
        // Renamed, the token keeps its customers.
        j.update_token("P", "tok_shared", Some("tok_family"), None, None, None).unwrap();
        assert_eq!(j.tokens("P", "omar").unwrap()[0].token_name, "tok_family");
        assert_eq!(j.token("P", "tok_family").unwrap().unwrap().customers.len(), 2);
        // Known customers are left as they are; a new one joins.
        let nadia = TokenCustomer::new(Some("Nadia"), None, None);
        j.add_token_customers("P", "tok_family", &[nadia.clone(), nadia]).unwrap();
        assert_eq!(j.token("P", "tok_family").unwrap().unwrap().customers.len(), 3);
    }
    }

    on_both! {
    fn upsert_keeps_what_it_knew_and_updates_apply() {
        let j = journal();
        j.upsert_token(&record("tok_a", "400555******0001", "layla@example.com")).unwrap();
        let mut partial = record("tok_a", "400555******0001", "x@example.com");
        partial.masked_card = None;
        partial.customers.clear();
        j.upsert_token(&partial).unwrap();
        let t = &j.tokens("P", "tok_a").unwrap()[0];
        assert_eq!(t.masked_card.as_deref(), Some("400555******0001"));
        assert_eq!(emails(t), ["layla@example.com"]);
        j.update_token("P", "tok_a", Some("tok_renamed"), Some("INACTIVE"), Some("3101"), None).unwrap();
        let t = &j.tokens("P", "renamed").unwrap()[0];
        assert_eq!((t.status.as_str(), t.expiry.as_deref()), ("INACTIVE", Some("3101")));
        j.update_token("P", "never_seen", None, Some("INACTIVE"), None, None).unwrap();
        assert_eq!(j.tokens("P", "never_seen").unwrap()[0].status, "INACTIVE");
    }
    }

    on_both! {
    fn customers_the_same_but_for_case_are_one_customer() {
        let j = journal();
        let mut r = record("tok_a", "400555******0001", "Layla@Example.com");
        let mut again = r.customers[0].clone();
        again.email = Some("layla@example.com".into());
        r.customers.push(again);
        j.upsert_token(&r).unwrap();
        assert_eq!(emails(&j.tokens("P", "tok_a").unwrap()[0]), ["layla@example.com"]);
    }
    }

    on_both! {
    fn refuses_a_full_card_number() {
        let j = journal();
        assert!(j.upsert_token(&record("tok", "4005550000000001", "a@b.co")).is_err());
        let mut r = record("tok", "400555******0001", "a@b.co");
        r.holder_name = Some("4005 5500 0000 0001".into());
        assert!(j.upsert_token(&r).is_err());
        let mut r = record("tok", "400555******0001", "a@b.co");
        r.customers[0].phone = Some("4005 5500 0000 0001".into());
        assert!(j.upsert_token(&r).is_err());
        r.customers[0].phone = None;
        r.customers[0].name = Some("4005550000000001".into());
        assert!(j.add_token_customers("P", "tok", &r.customers).is_err());
        assert!(j.tokens("P", "").unwrap().is_empty());
    }
    }
}
