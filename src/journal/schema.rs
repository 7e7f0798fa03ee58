//! Schema versions. `PRAGMA user_version` holds the number of steps applied; opening a journal
//! applies the missing ones, each in its own transaction, so a journal written by an older
//! moto-terminal is upgraded in place and one from a newer version is refused untouched.
//!
//! Never edit a released step: append a new one.

use super::JournalError;
use rusqlite::{Connection, TransactionBehavior};

/// Step `i` takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: orders and their timeline of operations.
    "
    CREATE TABLE orders (
        id                 INTEGER PRIMARY KEY,
        profile            TEXT NOT NULL,
        merchant_reference TEXT NOT NULL,
        kind               TEXT NOT NULL,
        channel            TEXT NOT NULL,
        currency           TEXT NOT NULL,
        amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
        token_name         TEXT,
        masked_card        TEXT,
        last4              TEXT,
        card_fingerprint   TEXT,
        customer_email     TEXT,
        customer_name      TEXT,
        description        TEXT,
        operator           TEXT NOT NULL,
        created_at         TEXT NOT NULL,
        updated_at         TEXT NOT NULL,
        state              TEXT NOT NULL,
        authorized_minor   INTEGER NOT NULL DEFAULT 0,
        captured_minor     INTEGER NOT NULL DEFAULT 0,
        refunded_minor     INTEGER NOT NULL DEFAULT 0,
        fort_id            TEXT,
        last_response_code TEXT,
        last_message       TEXT,
        attention          TEXT,
        extra              TEXT NOT NULL DEFAULT '{}',
        UNIQUE (profile, merchant_reference)
    );
    CREATE INDEX orders_reference  ON orders (merchant_reference);
    CREATE INDEX orders_fort_id    ON orders (fort_id);
    CREATE INDEX orders_last4      ON orders (last4);
    CREATE INDEX orders_created_at ON orders (created_at);
    CREATE INDEX orders_state      ON orders (state);

    CREATE TABLE operations (
        id                    INTEGER PRIMARY KEY,
        order_id              INTEGER REFERENCES orders (id),
        profile               TEXT NOT NULL,
        merchant_reference    TEXT NOT NULL,
        operation             TEXT NOT NULL,
        maintenance_reference TEXT,
        amount_minor          INTEGER,
        currency              TEXT,
        state                 TEXT NOT NULL,
        response_code         TEXT,
        response_message      TEXT,
        operator              TEXT NOT NULL,
        at                    TEXT NOT NULL,
        finished_at           TEXT,
        note                  TEXT
    );
    CREATE INDEX operations_order ON operations (order_id);
    CREATE INDEX operations_reference ON operations (profile, merchant_reference);
    CREATE INDEX operations_open ON operations (state) WHERE state IN ('intent', 'unknown');
    ",
    // 2: recurring agreements and payment links.
    "
    CREATE TABLE agreements (
        id                    INTEGER PRIMARY KEY,
        profile               TEXT NOT NULL,
        token_name            TEXT NOT NULL,
        agreement_id          TEXT,
        customer_email        TEXT NOT NULL,
        customer_name         TEXT,
        amount_minor          INTEGER NOT NULL CHECK (amount_minor > 0),
        currency              TEXT NOT NULL,
        interval_days         INTEGER NOT NULL CHECK (interval_days > 0),
        next_due              TEXT NOT NULL,
        active                INTEGER NOT NULL DEFAULT 1,
        last_charge_reference TEXT,
        created_at            TEXT NOT NULL
    );
    CREATE INDEX agreements_due ON agreements (profile, active, next_due);

    CREATE TABLE payment_links (
        id                 INTEGER PRIMARY KEY,
        profile            TEXT NOT NULL,
        merchant_reference TEXT NOT NULL,
        payment_link_id    TEXT,
        url                TEXT,
        amount_minor       INTEGER NOT NULL,
        currency           TEXT NOT NULL,
        customer_email     TEXT NOT NULL,
        notification       TEXT NOT NULL,
        expires_at         TEXT NOT NULL,
        status             TEXT NOT NULL,
        created_at         TEXT NOT NULL,
        UNIQUE (profile, merchant_reference),
        FOREIGN KEY (profile, merchant_reference) REFERENCES orders (profile, merchant_reference)
    );
    CREATE INDEX payment_links_status ON payment_links (status);
    ",
    // 3: the token book: stored cards the terminal has created, charged or updated.
    "
    CREATE TABLE tokens (
        id             INTEGER PRIMARY KEY,
        profile        TEXT NOT NULL,
        token_name     TEXT NOT NULL,
        masked_card    TEXT,
        last4          TEXT,
        expiry         TEXT,
        brand          TEXT,
        holder_name    TEXT,
        customer_email TEXT,
        customer_name  TEXT,
        status         TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        UNIQUE (profile, token_name)
    );
    CREATE INDEX tokens_last4 ON tokens (profile, last4);
    ",
    // 4: leases on operations in flight, the installation's reference prefix, and when a payment
    // link was first seen unpaid after its expiry.
    //
    // `owner` names the process sending (or settling) an operation; `deadline` is the moment after
    // which its request can no longer be on its way to APS (its own timeout plus a margin). No
    // other process reconciles an operation whose owner is alive, and "APS has no record" counts
    // only after the deadline. The prefix is random per journal, so two installations on one
    // merchant account never generate the same reference; letters only, so it never adds to a
    // run of digits.
    "
    ALTER TABLE operations ADD COLUMN owner TEXT;
    ALTER TABLE operations ADD COLUMN deadline TEXT;
    ALTER TABLE payment_links ADD COLUMN unpaid_seen_at TEXT;
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO meta (key, value)
    SELECT 'reference_prefix', group_concat(letter, '') FROM (
        SELECT substr('ABCDEFGHJKLMNPQRSTUVWXYZ', 1 + abs(random()) % 24, 1) AS letter
        FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4)
    );
    ",
    // 5: batch files. A batch is one file run on one profile; its rows are kept in file order
    // with what was checked. An operation sent for a batch row names it (`batch_row` is
    // "batch id:row"), in the same transaction as its intent, so a batch run again after a crash
    // finds what each row already did instead of sending it twice.
    "
    CREATE TABLE batches (
        id          INTEGER PRIMARY KEY,
        profile     TEXT NOT NULL,
        file_name   TEXT NOT NULL,
        file_hash   TEXT NOT NULL,
        operator    TEXT NOT NULL,
        via         TEXT NOT NULL,
        row_count   INTEGER NOT NULL,
        state       TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE UNIQUE INDEX batches_unfinished ON batches (profile, file_hash) WHERE state <> 'finished';
    CREATE TABLE batch_rows (
        batch_id           INTEGER NOT NULL REFERENCES batches (id),
        row                INTEGER NOT NULL,
        operation          TEXT NOT NULL,
        merchant_reference TEXT NOT NULL,
        amount_minor       INTEGER,
        currency           TEXT,
        problem            TEXT,
        PRIMARY KEY (batch_id, row)
    );
    ALTER TABLE operations ADD COLUMN batch_row TEXT;
    CREATE INDEX operations_batch_row ON operations (batch_row) WHERE batch_row IS NOT NULL;
    ",
    // 6: where a batch's file lives, so an unfinished batch can be offered for resuming at
    // start-up without asking for the file again (the path only: the file stays the clerk's).
    "
    ALTER TABLE batches ADD COLUMN file_path TEXT;
    ",
    // 7: batches sent through the APS batch service. `aps_reference` is the batch reference,
    // derived from the file and the merchant account and written before the upload, so a run
    // after a crash finds it and never uploads the file under a second one; `aps_stage` is the
    // step the batch is about to take or has taken (recorded first, at `aps_stage_at`);
    // `aps_batch_id` is APS's id from the upload's answer; `aps_code` and `aps_note` APS's last
    // word on the batch as a whole (its response code, and what it means).
    "
    ALTER TABLE batches ADD COLUMN aps_reference TEXT;
    ALTER TABLE batches ADD COLUMN aps_batch_id TEXT;
    ALTER TABLE batches ADD COLUMN aps_stage TEXT;
    ALTER TABLE batches ADD COLUMN aps_stage_at TEXT;
    ALTER TABLE batches ADD COLUMN aps_code TEXT;
    ALTER TABLE batches ADD COLUMN aps_note TEXT;
    CREATE UNIQUE INDEX batches_aps_reference ON batches (profile, aps_reference) WHERE aps_reference IS NOT NULL;
    ",
    // 8: indexes for a year of a busy call centre (a million orders).
    //
    // `orders_search` is a trigram index of the four columns history searches by substring: any
    // three characters of a reference, an email, a name or a description find their orders
    // without reading every row. It holds no text of its own (`content = 'orders'`): only the
    // trigrams, with the columns they occur in (`detail = column`, enough for the AND of trigrams
    // that `journal::substring` asks; each hit is then checked by the same LIKE as before). The
    // triggers keep it in step with `orders`; `rebuild` fills it from the orders already there.
    //
    // `orders_profile_created` lists one profile's newest orders (the history screen) by reading
    // only those; `operations_unsettled` holds just the operations start-up reconciliation looks
    // for, with every column that scan reads, so it never reads the settled ones, nor any
    // operation row (`orders_state` already covers the orders' half).
    "
    CREATE VIRTUAL TABLE orders_search USING fts5 (
        merchant_reference, customer_email, customer_name, description,
        content = 'orders', content_rowid = 'id',
        tokenize = 'trigram case_sensitive 0', detail = column, columnsize = 0
    );
    INSERT INTO orders_search (orders_search) VALUES ('rebuild');
    CREATE TRIGGER orders_search_insert AFTER INSERT ON orders BEGIN
        INSERT INTO orders_search (rowid, merchant_reference, customer_email, customer_name, description)
        VALUES (new.id, new.merchant_reference, new.customer_email, new.customer_name, new.description);
    END;
    CREATE TRIGGER orders_search_delete AFTER DELETE ON orders BEGIN
        INSERT INTO orders_search (orders_search, rowid, merchant_reference, customer_email, customer_name, description)
        VALUES ('delete', old.id, old.merchant_reference, old.customer_email, old.customer_name, old.description);
    END;
    CREATE TRIGGER orders_search_update
    AFTER UPDATE OF merchant_reference, customer_email, customer_name, description ON orders BEGIN
        INSERT INTO orders_search (orders_search, rowid, merchant_reference, customer_email, customer_name, description)
        VALUES ('delete', old.id, old.merchant_reference, old.customer_email, old.customer_name, old.description);
        INSERT INTO orders_search (rowid, merchant_reference, customer_email, customer_name, description)
        VALUES (new.id, new.merchant_reference, new.customer_email, new.customer_name, new.description);
    END;
    CREATE INDEX orders_profile_created ON orders (profile, created_at);
    CREATE INDEX operations_unsettled ON operations (state, operation, order_id)
        WHERE state IN ('intent', 'unknown') AND operation <> 'CHECK_STATUS';
    ",
    // 9: the duplicate guard (same card or token, same amount, ten minutes) reads only the
    // orders of that card or token and amount. Through `orders_profile_created` it read every
    // order of the last ten minutes, for each new one: nothing at a desk's pace, but a batch
    // file of 100,000 rows runs inside those ten minutes and slowed to a crawl.
    "
    CREATE INDEX orders_same_token ON orders (profile, token_name, amount_minor, created_at) WHERE token_name IS NOT NULL;
    CREATE INDEX orders_same_card ON orders (profile, card_fingerprint, amount_minor, created_at)
        WHERE card_fingerprint IS NOT NULL;
    ",
    // 10: calendar cycles for recurring agreements. `cycle` is `weekly`, `monthly` or `annual`
    // (NULL: every `interval_days` days, as before); `anchor_day` is the day of the month a
    // monthly or annual agreement keeps to, so one started on the 31st returns to the 31st
    // after a shorter month. `interval_days` stays filled (7, 30, 365) for older versions.
    // `cancelled_at`: when the agreement was cancelled (it is then inactive for good; a paused
    // one is only inactive).
    "
    ALTER TABLE agreements ADD COLUMN cycle TEXT;
    ALTER TABLE agreements ADD COLUMN anchor_day INTEGER;
    ALTER TABLE agreements ADD COLUMN cancelled_at TEXT;
    ",
    // 11: where an agreement ends, as the customer agreed with APS on the first payment:
    // `payments_left` (counting down with each charge) or `ends_on` (the last date a charge may
    // fall due). NULL: no end recorded.
    "
    ALTER TABLE agreements ADD COLUMN payments_left INTEGER CHECK (payments_left >= 0);
    ALTER TABLE agreements ADD COLUMN ends_on TEXT;
    ",
    // 12: the desk an order was keyed at, and a way to list one operator's orders. Orders of
    // older versions have no terminal recorded ('').
    "
    ALTER TABLE orders ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
    CREATE INDEX orders_operator_created ON orders (operator COLLATE NOCASE, created_at);
    ",
    // 13: operators and the audit trail (see `journal::people`). `approved_by` names the
    // supervisor who approved an agent's refund or void. `journal_id` names this journal, so its
    // audit key has its own keychain entry. The triggers make the audit table append-only for
    // anything that does not first drop them; the HMAC chain shows whatever does.
    "
    ALTER TABLE operations ADD COLUMN approved_by TEXT;
    CREATE TABLE operators (
        name         TEXT PRIMARY KEY,
        role         TEXT NOT NULL,
        pin_hash     TEXT NOT NULL,
        disabled     INTEGER NOT NULL DEFAULT 0,
        failed_pins  INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
    );
    CREATE TABLE audit (
        seq          INTEGER PRIMARY KEY,
        happened_at  TEXT NOT NULL,
        operator     TEXT NOT NULL,
        terminal     TEXT NOT NULL,
        action       TEXT NOT NULL,
        profile      TEXT,
        reference    TEXT,
        amount_minor INTEGER,
        currency     TEXT,
        result       TEXT NOT NULL,
        detail       TEXT NOT NULL,
        mac          TEXT NOT NULL
    );
    CREATE INDEX audit_happened_at ON audit (happened_at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    INSERT INTO meta (key, value) VALUES ('journal_id', lower(hex(randomblob(16))));
    ",
    // 14: every customer seen with a token (see `journal::token_customers`). With APS's unique
    // tokens one card, and so one token, can belong to several customers, so a token's
    // customers are rows of their own, keyed by the customer's folded email, name and phone.
    // `tokens.customer_email` and `customer_name` (the first customer the book saw) are copied
    // here and no longer used; so is every customer of an approved order charged to a token
    // the book knows. The keys are computed as `token_customers` computes them: trimmed, ASCII
    // letters in lower case; orders kept no phone.
    "
    CREATE TABLE token_customers (
        id             INTEGER PRIMARY KEY,
        profile        TEXT NOT NULL,
        token_name     TEXT NOT NULL,
        email_key      TEXT NOT NULL,
        name_key       TEXT NOT NULL,
        phone_key      TEXT NOT NULL,
        customer_email TEXT,
        customer_name  TEXT,
        phone          TEXT,
        first_seen     TEXT NOT NULL,
        last_seen      TEXT NOT NULL,
        UNIQUE (profile, token_name, email_key, name_key, phone_key)
    );
    INSERT INTO token_customers (profile, token_name, email_key, name_key, phone_key, customer_email,
        customer_name, phone, first_seen, last_seen)
    SELECT profile, token_name, lower(trim(COALESCE(email, ''))), lower(trim(COALESCE(name, ''))), '',
        max(trim(email)), max(trim(name)), NULL, min(seen), max(seen)
    FROM (
        SELECT profile, token_name, customer_email AS email, customer_name AS name, updated_at AS seen FROM tokens
        UNION ALL
        SELECT o.profile, o.token_name, o.customer_email, o.customer_name, o.created_at FROM orders o
        JOIN tokens t ON t.profile = o.profile AND t.token_name = o.token_name
        WHERE o.state IN ('authorized', 'captured', 'partially_refunded', 'refunded', 'voided')
    ) seen_with
    WHERE trim(COALESCE(email, '')) <> '' OR trim(COALESCE(name, '')) <> ''
    GROUP BY 1, 2, 3, 4;
    ",
    // 15: the search index is filled in bulk instead of order by order. Its trigger wrote every
    // new order's trigrams at once, and the full-text index writes what it holds at each
    // savepoint (one per write of a group commit): a batch row cost a small index segment of
    // its own and the merges of them. Now `search_indexed_upto` in `meta` says which orders
    // are in the index (the ones up to that id); the group writer adds the newer ones in one
    // go once there are enough of them (`substring::index_new_orders`), and a search reads the
    // few newer ones directly. Changes and deletions of indexed orders keep the index in step
    // as before; the mark never exceeds the newest order, so an id used again after a
    // deletion is never taken for indexed. `orders_reference` goes too: every lookup by
    // reference names the profile (the unique index), and a search by part of a reference uses
    // the search index; it only cost each new order a page write of its own.
    "
    DROP INDEX orders_reference;
    DROP TRIGGER orders_search_insert;
    DROP TRIGGER orders_search_update;
    DROP TRIGGER orders_search_delete;
    INSERT INTO meta (key, value) SELECT 'search_indexed_upto', COALESCE(max(id), 0) FROM orders;
    CREATE TRIGGER orders_search_update
    AFTER UPDATE OF merchant_reference, customer_email, customer_name, description ON orders
    WHEN old.id <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_indexed_upto') BEGIN
        INSERT INTO orders_search (orders_search, rowid, merchant_reference, customer_email, customer_name, description)
        VALUES ('delete', old.id, old.merchant_reference, old.customer_email, old.customer_name, old.description);
        INSERT INTO orders_search (rowid, merchant_reference, customer_email, customer_name, description)
        VALUES (new.id, new.merchant_reference, new.customer_email, new.customer_name, new.description);
    END;
    CREATE TRIGGER orders_search_delete AFTER DELETE ON orders BEGIN
        INSERT INTO orders_search (orders_search, rowid, merchant_reference, customer_email, customer_name, description)
        SELECT 'delete', old.id, old.merchant_reference, old.customer_email, old.customer_name, old.description
        WHERE old.id <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_indexed_upto');
        UPDATE meta SET value = (SELECT COALESCE(max(id), 0) FROM orders)
        WHERE key = 'search_indexed_upto' AND CAST(value AS INTEGER) > (SELECT COALESCE(max(id), 0) FROM orders);
    END;
    ",
    // 16: index entries a new order never needed. An order has no `fort_id` until APS answers,
    // and an order charged to a token no `last4` until then either: both indexes held an entry
    // for its empty value, written with the intent and moved at the outcome, and each commit of
    // a batch wrote the page of empty values again. Searches ask for a given `fort_id` or
    // `last4`, which an index of the filled ones answers. `operations_open` goes: the queries
    // for open operations leave out CHECK_STATUS and read `operations_unsettled` (step 8), and
    // ending an APS batch's leases reads its own range of `operations_batch_row`; it only cost
    // each operation an entry added and removed again.
    "
    DROP INDEX operations_open;
    DROP INDEX orders_fort_id;
    DROP INDEX orders_last4;
    CREATE INDEX orders_fort_id ON orders (fort_id) WHERE fort_id IS NOT NULL;
    CREATE INDEX orders_last4 ON orders (last4) WHERE last4 IS NOT NULL;
    ",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(crate) fn user_version(conn: &Connection) -> Result<u32, JournalError> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get::<_, u32>(0))?)
}

/// Applies the steps from the current version up to `target`. Each step reads the version
/// inside a write-locked transaction, so two processes opening a new file at the same moment
/// cannot both apply it.
pub(crate) fn migrate_to(conn: &mut Connection, target: u32, path: &str) -> Result<(), JournalError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = user_version(&tx)?;
        if found > SCHEMA_VERSION {
            return Err(JournalError::TooNew { path: path.to_owned(), found, supported: SCHEMA_VERSION });
        }
        if found >= target.min(SCHEMA_VERSION) {
            return Ok(());
        }
        let step = MIGRATIONS
            .get(found as usize)
            .ok_or_else(|| JournalError::Corrupt(format!("no migration {found}")))?;
        tx.execute_batch(step)?;
        // user_version lives in the database header, so it commits with the step or not at all.
        tx.pragma_update(None, "user_version", found + 1)?;
        tx.commit()?;
    }
}
