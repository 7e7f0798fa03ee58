//! Recurring agreements and payment links: the two things the terminal must remember between
//! charges. Their charges themselves are ordinary orders.

use super::db::{DbRow, params};
use super::{
    Agreement, AgreementLimit, AgreementUpdate, Cycle, Journal, JournalError, LinkRow, LinkStatus,
    NewAgreement, NewLink, bad, col, col_amount, parse_currency, parse_ts, refuse_card_numbers, require,
    sql_amount, ts,
};
use crate::aps::field::Field;
use chrono::{DateTime, Datelike, NaiveDate, Utc};

const AGREEMENT_COLUMNS: &str =
    "id, profile, token_name, agreement_id, customer_email, customer_name, amount_minor,
    currency, interval_days, next_due, active, last_charge_reference, created_at, cycle, anchor_day, cancelled_at,
    payments_left, ends_on";

const LINK_COLUMNS: &str =
    "profile, merchant_reference, payment_link_id, url, amount_minor, currency, customer_email,
    notification, expires_at, status, created_at, unpaid_seen_at";

impl Journal {
    /// Stores a new recurring agreement, active, first due on `next_due`. Returns its id.
    ///
    /// # Errors
    /// Empty profile, token or email, a zero interval, or a database failure.
    pub fn add_agreement(&self, a: &NewAgreement) -> Result<i64, JournalError> {
        require(Field::Profile, &a.profile)?;
        super::card_guard::check_token_name(&a.token_name)?;
        require(Field::CustomerEmail, &a.customer_email)?;
        refuse_card_numbers("customer email", &a.customer_email)?;
        refuse_card_numbers("customer name", a.customer_name.as_deref().unwrap_or_default())?;
        if let Some(id) = &a.agreement_id {
            super::card_guard::check_agreement_id(id)?;
        }
        check_cycle(a.cycle)?;
        let held = self.hold_write()?;
        let conn = held.db();
        conn.query_one("INSERT INTO agreements (profile, token_name, agreement_id, customer_email, customer_name, amount_minor,
                currency, interval_days, next_due, active, created_at, cycle, anchor_day, payments_left, ends_on)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?12, ?13, ?14) RETURNING id", params![
            a.profile,
            a.token_name,
            a.agreement_id,
            a.customer_email,
            a.customer_name,
            sql_amount(Field::Amount, a.amount.minor_units())?,
            a.amount.currency().code(),
            a.cycle.approx_days(),
            a.next_due.to_string(),
            ts(&a.created_at),
            a.cycle.stored(),
            a.next_due.day(),
            match a.limit {
                Some(AgreementLimit::PaymentsLeft(n)) => Some(n),
                _ => None,
            },
            match a.limit {
                Some(AgreementLimit::Until(date)) => Some(date.to_string()),
                _ => None,
            },
        ], |r| r.get(0))
    }

    /// One agreement by id.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn agreement(&self, id: i64) -> Result<Option<Agreement>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = ?1");
        conn.query_opt(&sql, params![id], agreement_from_row)
    }

    /// Every agreement (active or not) of one profile or of all, by next due date.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn agreements(&self, profile: Option<&str>) -> Result<Vec<Agreement>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE (CAST(?1 AS TEXT) IS NULL OR profile = ?1) ORDER BY next_due, id"
        );
        let rows = conn.query_map(&sql, params![profile], agreement_from_row)?;
        Ok(rows)
    }

    /// Active agreements due on or before `today`, oldest due first.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn due_agreements(
        &self,
        profile: Option<&str>,
        today: NaiveDate,
    ) -> Result<Vec<Agreement>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements
             WHERE active = 1 AND next_due <= ?2 AND (CAST(?1 AS TEXT) IS NULL OR profile = ?1)
               AND (payments_left IS NULL OR payments_left > 0) AND (ends_on IS NULL OR next_due <= ends_on)
             ORDER BY next_due, id"
        );
        let rows = conn.query_map(&sql, params![profile, today.to_string()], agreement_from_row)?;
        Ok(rows)
    }

    /// Changes an agreement.
    ///
    /// # Errors
    /// No such agreement, bad input, or a database failure.
    pub fn update_agreement(&self, id: i64, u: &AgreementUpdate) -> Result<(), JournalError> {
        if let Some(token) = &u.token_name {
            super::card_guard::check_token_name(token)?;
        }
        if let Some(email) = &u.customer_email {
            require(Field::CustomerEmail, email)?;
            refuse_card_numbers("customer email", email)?;
        }
        if let Some(Some(name)) = &u.customer_name {
            refuse_card_numbers("customer name", name)?;
        }
        if let Some(Some(agreement_id)) = &u.agreement_id {
            super::card_guard::check_agreement_id(agreement_id)?;
        }
        if let Some(cycle) = u.cycle {
            check_cycle(cycle)?;
        }
        let (id_set, agreement_id) = split(&u.agreement_id);
        let (name_set, name) = split(&u.customer_name);
        let held = self.hold_write()?;
        let conn = held.db();
        let changed = conn.execute(
            "UPDATE agreements SET
                    token_name = COALESCE(?2, token_name),
                    agreement_id = CASE WHEN ?3 THEN ?4 ELSE agreement_id END,
                    customer_email = COALESCE(?5, customer_email),
                    customer_name = CASE WHEN ?6 THEN ?7 ELSE customer_name END,
                    amount_minor = COALESCE(?8, amount_minor),
                    currency = COALESCE(?9, currency),
                    interval_days = COALESCE(?10, interval_days),
                    next_due = COALESCE(?11, next_due),
                    active = COALESCE(?12, active),
                    cycle = CASE WHEN ?13 THEN ?14 ELSE cycle END,
                    anchor_day = CASE WHEN ?13
                        THEN CAST(substr(COALESCE(?11, next_due), 9, 2) AS INTEGER) ELSE anchor_day END
                 WHERE id = ?1",
            params![
                id,
                u.token_name,
                id_set,
                agreement_id,
                u.customer_email,
                name_set,
                name,
                u.amount.map(|m| sql_amount(Field::Amount, m.minor_units())).transpose()?,
                u.amount.map(|m| m.currency().code()),
                u.cycle.map(Cycle::approx_days),
                u.next_due.map(|d| d.to_string()),
                u.active,
                u.cycle.is_some(),
                u.cycle.and_then(Cycle::stored),
            ],
        )?;
        if changed == 0 {
            return Err(agreement_missing(id));
        }
        Ok(())
    }

    /// Cancels an agreement for good: it is never charged again and cannot be resumed.
    /// Cancelling one already cancelled changes nothing.
    ///
    /// # Errors
    /// No such agreement or a database failure.
    pub fn cancel_agreement(&self, id: i64, at: DateTime<Utc>) -> Result<(), JournalError> {
        let held = self.hold_write()?;
        let conn = held.db();
        let changed = conn.execute(
            "UPDATE agreements SET active = 0, cancelled_at = COALESCE(cancelled_at, ?2) WHERE id = ?1",
            params![id, ts(&at)],
        )?;
        if changed == 0 {
            return Err(agreement_missing(id));
        }
        Ok(())
    }

    /// Notes the order that paid this period and moves the agreement to its next due date.
    ///
    /// # Errors
    /// No such agreement or a database failure.
    pub fn mark_charged(&self, id: i64, reference: &str, next_due: NaiveDate) -> Result<(), JournalError> {
        require(Field::MerchantReference, reference)?;
        let held = self.hold_write()?;
        let conn = held.db();
        // A period already noted (a run that read back the order another desk or run charged)
        // is one payment, not two.
        let changed = conn.execute(
            "UPDATE agreements SET last_charge_reference = ?2, next_due = ?3,
                    payments_left = CASE WHEN payments_left > 0 AND COALESCE(last_charge_reference, '') <> ?2
                                         THEN payments_left - 1 ELSE payments_left END
                 WHERE id = ?1",
            params![id, reference, next_due.to_string()],
        )?;
        if changed == 0 {
            return Err(agreement_missing(id));
        }
        Ok(())
    }

    /// Moves the agreement to `next_due` without a payment: its period's charge was refused
    /// (the order stays in the journal; a period unpaid is no payment of a limited agreement).
    ///
    /// # Errors
    /// No such agreement or a database failure.
    pub fn skip_period(&self, id: i64, next_due: NaiveDate) -> Result<(), JournalError> {
        let held = self.hold_write()?;
        let sql = "UPDATE agreements SET next_due = ?2 WHERE id = ?1";
        if held.db().execute(sql, params![id, next_due.to_string()])? == 0 {
            return Err(agreement_missing(id));
        }
        Ok(())
    }

    /// Stores the payment link APS created for the payment link order of the same reference
    /// (record that order with `record_order_intent` first). The link starts `Open`.
    ///
    /// # Errors
    /// [`JournalError::OrderNotFound`] when no such order exists; a link already recorded for
    /// that order; bad input.
    pub fn record_link(&self, link: &NewLink) -> Result<(), JournalError> {
        require(Field::Profile, &link.profile)?;
        require(Field::MerchantReference, &link.merchant_reference)?;
        require(Field::CustomerEmail, &link.customer_email)?;
        refuse_card_numbers("customer email", &link.customer_email)?;
        require(Field::NotificationType, &link.notification)?;
        let held = self.hold_write()?;
        let conn = held.db();
        let result = conn
            .execute("INSERT INTO payment_links (profile, merchant_reference, payment_link_id, url, amount_minor, currency,
                    customer_email, notification, expires_at, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10)", params![
                link.profile,
                link.merchant_reference,
                link.payment_link_id,
                link.url,
                sql_amount(Field::Amount, link.amount.minor_units())?,
                link.amount.currency().code(),
                link.customer_email,
                link.notification,
                ts(&link.expires_at),
                ts(&link.created_at),
            ]);
        match result {
            Ok(_) => Ok(()),
            Err(e) if super::db::is_foreign_key_violation(&e) => Err(JournalError::OrderNotFound {
                profile: link.profile.clone(),
                reference: link.merchant_reference.clone(),
            }),
            Err(e) if super::is_unique_violation(&e) => Err(JournalError::DuplicateReference {
                profile: link.profile.clone(),
                reference: link.merchant_reference.clone(),
            }),
            Err(e) => Err(e),
        }
    }

    /// The link of one order.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn link(&self, profile: &str, reference: &str) -> Result<Option<LinkRow>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM payment_links WHERE profile = ?1 AND merchant_reference = ?2"
        );
        conn.query_opt(&sql, params![profile, reference], link_from_row)
    }

    /// Links of one profile or all, optionally in one status, newest first.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn links(
        &self,
        profile: Option<&str>,
        status: Option<LinkStatus>,
    ) -> Result<Vec<LinkRow>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM payment_links
             WHERE (CAST(?1 AS TEXT) IS NULL OR profile = ?1) AND (CAST(?2 AS TEXT) IS NULL OR status = ?2) ORDER BY created_at DESC, id DESC"
        );
        let rows = conn.query_map(&sql, params![profile, status.map(LinkStatus::as_str)], link_from_row)?;
        Ok(rows)
    }

    /// Sets a link's status (paid when CHECK_STATUS shows the payment, expired after its date).
    ///
    /// # Errors
    /// [`JournalError::OrderNotFound`] when no link exists for the order, or a database failure.
    pub fn update_link_status(
        &self,
        profile: &str,
        reference: &str,
        status: LinkStatus,
    ) -> Result<(), JournalError> {
        let held = self.hold_write()?;
        let conn = held.db();
        let changed = conn.execute(
            "UPDATE payment_links SET status = ?3 WHERE profile = ?1 AND merchant_reference = ?2",
            params![profile, reference, status.as_str()],
        )?;
        if changed == 0 {
            return Err(JournalError::OrderNotFound {
                profile: profile.to_owned(),
                reference: reference.to_owned(),
            });
        }
        Ok(())
    }
}

impl Journal {
    /// Keeps the id APS gave a link, when the journal did not have it yet (a link made by a
    /// batch file learns it from a status check). An id already kept is never changed.
    ///
    /// # Errors
    /// Database failure.
    pub fn learn_link_id(&self, profile: &str, reference: &str, id: &str) -> Result<(), JournalError> {
        refuse_card_numbers("payment link id", id)?;
        let held = self.hold_write()?;
        let conn = held.db();
        conn.execute(
            "UPDATE payment_links SET payment_link_id = ?3
             WHERE profile = ?1 AND merchant_reference = ?2 AND payment_link_id IS NULL",
            params![profile, reference, id],
        )?;
        Ok(())
    }

    /// Notes that APS showed a link unpaid after its expiry, at `at`, and returns when that was
    /// first seen: a link is declared expired only when two such answers lie far enough apart.
    ///
    /// # Errors
    /// [`JournalError::OrderNotFound`] when no link exists for the order, or a database failure.
    pub fn note_link_unpaid(
        &self,
        profile: &str,
        reference: &str,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, JournalError> {
        let held = self.hold_write()?;
        let conn = held.db();
        let first: Option<String> = conn
            .query_opt(
                "UPDATE payment_links SET unpaid_seen_at = COALESCE(unpaid_seen_at, ?3)
                 WHERE profile = ?1 AND merchant_reference = ?2 RETURNING unpaid_seen_at",
                params![profile, reference, ts(&at)],
                |r| r.get(0),
            )?
            .flatten();
        let first = first.ok_or_else(|| JournalError::OrderNotFound {
            profile: profile.to_owned(),
            reference: reference.to_owned(),
        })?;
        parse_ts(&first).map_err(JournalError::Corrupt)
    }
}

fn split(v: &Option<Option<String>>) -> (bool, Option<String>) {
    match v {
        Some(inner) => (true, inner.clone()),
        None => (false, None),
    }
}

fn check_cycle(cycle: Cycle) -> Result<(), JournalError> {
    if let Cycle::Days(days) = cycle
        && (days == 0 || days > 3660)
    {
        return Err(JournalError::Invalid {
            field: Field::IntervalDays,
            problem: "must be between 1 and 3660 days".to_owned(),
        });
    }
    Ok(())
}

/// The cycle as stored: a calendar word, or (older rows, or a number of days) the days.
fn cycle_of(row: &DbRow<'_>) -> Result<Cycle, JournalError> {
    let days: u32 = row.get(8)?;
    let stored: Option<String> = row.get(13)?;
    match stored.as_deref() {
        None => Ok(Cycle::Days(days)),
        Some(word) => Cycle::parse(word).map_err(|e| bad(13, e)),
    }
}

fn agreement_missing(id: i64) -> JournalError {
    JournalError::Invalid {
        field: Field::Agreement,
        problem: format!("no recurring agreement #{id} in the journal"),
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    text.parse().map_err(|_| format!("\"{text}\" is not a date"))
}

fn agreement_from_row(row: &DbRow<'_>) -> Result<Agreement, JournalError> {
    Ok(Agreement {
        id: row.get(0)?,
        profile: row.get(1)?,
        token_name: row.get(2)?,
        agreement_id: row.get(3)?,
        customer_email: row.get(4)?,
        customer_name: row.get(5)?,
        amount_minor: col_amount(row, 6)?,
        currency: col(row, 7, parse_currency)?,
        cycle: cycle_of(row)?,
        anchor_day: match row.get::<Option<u32>>(14)? {
            Some(day) => day,
            None => col(row, 9, parse_date)?.day(),
        },
        next_due: col(row, 9, parse_date)?,
        active: row.get(10)?,
        last_charge_reference: row.get(11)?,
        created_at: col(row, 12, parse_ts)?,
        cancelled_at: row
            .get::<Option<String>>(15)?
            .map(|t| parse_ts(&t).map_err(|e| bad(15, e)))
            .transpose()?,
        limit: match (row.get::<Option<u32>>(16)?, row.get::<Option<String>>(17)?) {
            (Some(left), _) => Some(AgreementLimit::PaymentsLeft(left)),
            (None, Some(date)) => Some(AgreementLimit::Until(parse_date(&date).map_err(|e| bad(17, e))?)),
            (None, None) => None,
        },
    })
}

fn link_from_row(row: &DbRow<'_>) -> Result<LinkRow, JournalError> {
    Ok(LinkRow {
        profile: row.get(0)?,
        merchant_reference: row.get(1)?,
        payment_link_id: row.get(2)?,
        url: row.get(3)?,
        amount_minor: col_amount(row, 4)?,
        currency: col(row, 5, parse_currency)?,
        customer_email: row.get(6)?,
        notification: row.get(7)?,
        expires_at: col(row, 8, parse_ts)?,
        status: col(row, 9, |t| {
            LinkStatus::ALL
                .into_iter()
                .find(|s| s.as_str() == t)
                .ok_or_else(|| format!("unknown link status \"{t}\""))
        })?,
        created_at: col(row, 10, parse_ts)?,
        unpaid_seen_at: row
            .get::<Option<String>>(11)?
            .map(|t| parse_ts(&t).map_err(|e| bad(11, e)))
            .transpose()?,
    })
}
