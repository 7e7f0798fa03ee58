//! The token book. APS has no documented call to list a merchant's tokens (spec 3.9: GET_TOKENS
//! is UNKNOWN), so the terminal remembers every token it created, charged or updated, with the
//! masked card APS returned and the customer it was used for, so an agent can find a caller's
//! saved card by name, email or last four digits.

use super::db::{Db, DbRow, params};
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
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
}

const TOKEN_COLUMNS: &str =
    "profile, token_name, masked_card, expiry, brand, holder_name, customer_email, customer_name, status";

/// A token record whose fields passed the checks, ready to write on any connection.
pub(crate) struct CheckedToken {
    record: TokenRecord,
    masked: Option<MaskedCard>,
}

impl CheckedToken {
    /// Empty names, a masked card that shows too much, or free text holding a card number fail.
    pub(crate) fn check(t: &TokenRecord) -> Result<CheckedToken, JournalError> {
        require(Field::Profile, &t.profile)?;
        require(Field::TokenName, &t.token_name)?;
        let masked = t.masked_card.as_deref().map(MaskedCard::parse).transpose()?;
        for (field, text) in [
            ("token name", Some(t.token_name.as_str())),
            ("holder name", t.holder_name.as_deref()),
            ("customer email", t.customer_email.as_deref()),
            ("customer name", t.customer_name.as_deref()),
        ] {
            refuse_card_numbers(field, text.unwrap_or_default())?;
        }
        Ok(CheckedToken { record: t.clone(), masked })
    }

    /// Adds the token, or refreshes it; fields left `None` keep their value.
    pub(crate) fn upsert(&self, conn: Db<'_>) -> Result<(), JournalError> {
        let t = &self.record;
        let last4 = self.masked.as_ref().and_then(MaskedCard::last4);
        conn.execute(
            "INSERT INTO tokens (profile, token_name, masked_card, last4, expiry, brand, holder_name,
                customer_email, customer_name, status, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (profile, token_name) DO UPDATE SET
                masked_card = COALESCE(excluded.masked_card, tokens.masked_card),
                last4 = COALESCE(excluded.last4, tokens.last4),
                expiry = COALESCE(excluded.expiry, tokens.expiry),
                brand = COALESCE(excluded.brand, tokens.brand),
                holder_name = COALESCE(excluded.holder_name, tokens.holder_name),
                customer_email = COALESCE(excluded.customer_email, tokens.customer_email),
                customer_name = COALESCE(excluded.customer_name, tokens.customer_name),
                status = excluded.status,
                updated_at = excluded.updated_at",
            params![
                t.profile,
                t.token_name,
                self.masked.as_ref().map(MaskedCard::as_str),
                last4,
                t.expiry,
                t.brand,
                t.holder_name,
                t.customer_email,
                t.customer_name,
                t.status,
                ts(&Utc::now()),
            ],
        )?;
        Ok(())
    }

    /// As [`CheckedToken::upsert`], but only when it tells the book something new: most
    /// charges reuse a token the book already knows as it is, and then nothing is written.
    pub(crate) fn refresh(&self, conn: Db<'_>) -> Result<(), JournalError> {
        let t = &self.record;
        let known = token_in(conn, &t.profile, &t.token_name)?;
        let unchanged = known.is_some_and(|k| {
            k.status == t.status
                && (t.masked_card.is_none() || k.masked_card == t.masked_card)
                && (t.expiry.is_none() || k.expiry == t.expiry)
        });
        if unchanged { Ok(()) } else { self.upsert(conn) }
    }
}

fn token_in(conn: Db<'_>, profile: &str, token_name: &str) -> Result<Option<TokenRecord>, JournalError> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE profile = ?1 AND token_name = ?2");
    conn.query_opt(&sql, params![profile, token_name], token_from_row)
}

fn token_from_row(row: &DbRow<'_>) -> Result<TokenRecord, JournalError> {
    Ok(TokenRecord {
        profile: row.get(0)?,
        token_name: row.get(1)?,
        masked_card: row.get(2)?,
        expiry: row.get(3)?,
        brand: row.get(4)?,
        holder_name: row.get(5)?,
        customer_email: row.get(6)?,
        customer_name: row.get(7)?,
        status: row.get(8)?,
    })
}

impl Journal {
    /// Adds a token, or refreshes what is known of it; fields left `None` keep their value.
    ///
    /// # Errors
    /// Empty names, a masked card that shows too much, free text holding a card number, or a
    /// database failure.
    pub fn upsert_token(&self, t: &TokenRecord) -> Result<(), JournalError> {
        let checked = CheckedToken::check(t)?;
        checked.upsert(self.hold_write()?.db())
    }

    /// As [`Journal::upsert_token`], writing only when the record tells the book something new
    /// (most charges reuse a token the book already knows as it is).
    ///
    /// # Errors
    /// As [`Journal::upsert_token`].
    pub fn refresh_token(&self, t: &TokenRecord) -> Result<(), JournalError> {
        let checked = CheckedToken::check(t)?;
        checked.refresh(self.hold_write()?.db())
    }

    /// Applies an UPDATE_TOKEN that APS approved: rename, status, expiry, holder.
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
        let held = self.hold_write()?;
        let conn = held.db();
        let changed = conn.execute(
            "UPDATE tokens SET token_name = COALESCE(?3, token_name), status = COALESCE(?4, status),
                    expiry = COALESCE(?5, expiry), holder_name = COALESCE(?6, holder_name), updated_at = ?7
                 WHERE profile = ?1 AND token_name = ?2",
            params![profile, token_name, new_name, status, expiry, holder_name, ts(&Utc::now())],
        )?;
        if changed == 0 {
            // A token the book never saw (created elsewhere): remember it now.
            drop(held);
            return self.upsert_token(&TokenRecord {
                profile: profile.to_owned(),
                token_name: new_name.unwrap_or(token_name).to_owned(),
                masked_card: None,
                expiry: expiry.map(str::to_owned),
                brand: None,
                holder_name: holder_name.map(str::to_owned),
                customer_email: None,
                customer_name: None,
                status: status.unwrap_or("ACTIVE").to_owned(),
            });
        }
        Ok(())
    }

    /// One token of a profile by its exact name (a charge's answer checks what the book knows).
    ///
    /// # Errors
    /// A database failure.
    pub fn token(&self, profile: &str, token_name: &str) -> Result<Option<TokenRecord>, JournalError> {
        self.read(|db| token_in(db, profile, token_name))
    }

    /// Tokens of a profile whose name, customer, email or last four digits contain `query`
    /// (case-insensitive); all of them for an empty query. Active tokens first, then by name.
    ///
    /// # Errors
    /// A database failure.
    pub fn tokens(&self, profile: &str, query: &str) -> Result<Vec<TokenRecord>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let pattern = format!("%{}%", query.trim().to_lowercase().replace('%', "\\%").replace('_', "\\_"));
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE profile = ?1 AND (
                lower(token_name) LIKE ?2 ESCAPE '\\' OR lower(COALESCE(customer_name, '')) LIKE ?2 ESCAPE '\\'
                OR lower(COALESCE(customer_email, '')) LIKE ?2 ESCAPE '\\' OR COALESCE(last4, '') LIKE ?2 ESCAPE '\\'
                OR lower(COALESCE(holder_name, '')) LIKE ?2 ESCAPE '\\')
             ORDER BY status = 'INACTIVE', token_name LIMIT 500"
        );
        let rows = conn.query_map(&sql, params![profile, pattern], token_from_row)?;
        Ok(rows)
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
            customer_email: Some(email.into()),
            customer_name: Some("Layla Haddad".into()),
            status: "ACTIVE".into(),
        }
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
    fn upsert_keeps_what_it_knew_and_updates_apply() {
        let j = journal();
        j.upsert_token(&record("tok_a", "400555******0001", "layla@example.com")).unwrap();
        let mut partial = record("tok_a", "400555******0001", "x@example.com");
        partial.masked_card = None;
        partial.customer_email = None;
        j.upsert_token(&partial).unwrap();
        let t = &j.tokens("P", "tok_a").unwrap()[0];
        assert_eq!(t.masked_card.as_deref(), Some("400555******0001"));
        assert_eq!(t.customer_email.as_deref(), Some("layla@example.com"));
        j.update_token("P", "tok_a", Some("tok_renamed"), Some("INACTIVE"), Some("3101"), None).unwrap();
        let t = &j.tokens("P", "renamed").unwrap()[0];
        assert_eq!((t.status.as_str(), t.expiry.as_deref()), ("INACTIVE", Some("3101")));
        j.update_token("P", "never_seen", None, Some("INACTIVE"), None, None).unwrap();
        assert_eq!(j.tokens("P", "never_seen").unwrap()[0].status, "INACTIVE");
    }
    }

    on_both! {
    fn refuses_a_full_card_number() {
        let j = journal();
        assert!(j.upsert_token(&record("tok", "4005550000000001", "a@b.co")).is_err());
        let mut r = record("tok", "400555******0001", "a@b.co");
        r.holder_name = Some("4005 5500 0000 0001".into());
        assert!(j.upsert_token(&r).is_err());
    }
    }
}
