//! Substring search through the trigram index `orders_search`: the same answers as reading every
//! order with LIKE, found by index when the text allows it.

use super::*;

/// 300 orders over two profiles, created in an order that is not their insertion order, with
/// references, emails, names and descriptions that mix case, accents, other scripts, quotes and
/// LIKE's own wildcards.
fn varied() -> FileJournal {
    let j = journal();
    let names = ["Fatima Al Zahra", "Émile Zola", "O\"Neil Brown", "李小龍"];
    for i in 0..300u32 {
        let reference = match i % 4 {
            0 => format!("MT-KQZT-2503{:02}-H{i:03}X", i % 28 + 1),
            1 => format!("INV-2025-{i:06}"),
            2 => format!("HTL-ÉTÉ{i}"),
            _ => format!("PH_{i}%"),
        };
        let email = match i % 3 {
            0 => format!("name{i}@gmail.com"),
            1 => format!("Fatima.AlZahra{i}@Example.SA"),
            _ => format!("o'brien+{i}@corp.ae"),
        };
        j.record_order_intent(&NewOrder {
            profile: if i % 2 == 0 { "main" } else { "second" }.into(),
            customer_email: Some(email),
            customer_name: Some(names[i as usize % 4].into()),
            description: (i % 5 != 0).then(|| format!("{} nights, \"deluxe\" \\ room", i % 7)),
            created_at: t(i64::from(i * 37 % 300)),
            ..order(&reference)
        })
        .unwrap();
    }
    j
}

/// What reading every order gives: the semantics the index must keep (a literal substring,
/// ASCII letters folded, as SQLite's LIKE folds them), worked out here from every order.
fn read_all(j: &Journal, profile: Option<&str>, column: Option<&str>, text: &str) -> Vec<String> {
    let wanted = text.trim().to_ascii_lowercase();
    let holds = |v: &Option<String>| v.as_deref().is_some_and(|v| v.to_ascii_lowercase().contains(&wanted));
    j.search(&Filter::default())
        .unwrap()
        .into_iter()
        .filter(|o| profile.is_none_or(|p| o.profile == p))
        .filter(|o| {
            let reference = Some(o.merchant_reference.clone());
            match column {
                Some(_) => holds(&reference),
                None => {
                    holds(&reference)
                        || holds(&o.customer_email)
                        || holds(&o.customer_name)
                        || holds(&o.description)
                }
            }
        })
        .map(|o| o.merchant_reference)
        .collect()
}

fn found(j: &Journal, filter: Filter) -> Vec<String> {
    j.search(&filter).unwrap().into_iter().map(|o| o.merchant_reference).collect()
}

const QUERIES: [&str; 34] = [
    "h00",
    "H00",
    "025-000",
    "2025-0001",
    "ÉTÉ",
    "été",
    "Été1",
    "gmail",
    "GMAIL.COM",
    "alzahra1",
    "ALZAHRA12@EXAMPLE",
    "example.sa",
    "o'brien",
    "+1",
    "PH_",
    "_1",
    "%",
    "1%",
    "\\",
    "\"Neil",
    "O\"N",
    "Zola",
    "zola",
    "李小",
    "李小龍",
    "nights",
    "\"deluxe\"",
    "x",
    "9",
    "zz",
    "no such order",
    "Al Z",
    "MT-KQZT-250301-H000X",
    " h12 ",
];

on_both! {
fn every_substring_search_answers_what_reading_every_order_answers() {
    let j = varied();
    for q in QUERIES {
        for profile in [None, Some("second")] {
            let p = profile.map(str::to_owned);
            let text = found(&j, Filter { profile: p.clone(), text: Some(q.into()), ..Filter::default() });
            assert_eq!(text, read_all(&j, profile, None, q), "text {q:?} in {profile:?}");
            let reference =
                found(&j, Filter { profile: p.clone(), reference: Some(q.into()), ..Filter::default() });
            assert_eq!(reference, read_all(&j, profile, Some("merchant_reference"), q), "reference {q:?}");
            let count = j.count(&Filter { profile: p, text: Some(q.into()), ..Filter::default() }).unwrap();
            assert_eq!(count as usize, text.len(), "count {q:?}");
        }
    }
}
}

on_both! {
fn substrings_match_in_the_middle_ignoring_ascii_case() {
    let j = varied();
    let refs = |f: Filter| found(&j, f);
    assert_eq!(
        refs(Filter { reference: Some("kqzt-250305-h03".into()), ..Filter::default() }),
        ["MT-KQZT-250305-H032X"]
    );
    assert_eq!(
        refs(Filter { text: Some("ALZAHRA100@exam".into()), ..Filter::default() }),
        ["MT-KQZT-250317-H100X"]
    );
    assert_eq!(
        refs(Filter { text: Some("lzahra100@".into()), ..Filter::default() }),
        ["MT-KQZT-250317-H100X"]
    );
    // LIKE folds ASCII letters only; so does the search, whatever the index folds.
    assert!(refs(Filter { reference: Some("htl-été2".into()), ..Filter::default() }).is_empty());
    assert_eq!(
        refs(Filter { reference: Some("htl-ÉTÉ2".into()), limit: Some(1), ..Filter::default() }).len(),
        1
    );
    // A reference criterion looks at references only, free text at all four columns.
    assert!(refs(Filter { reference: Some("gmail".into()), ..Filter::default() }).is_empty());
    assert_eq!(refs(Filter { text: Some("gmail".into()), ..Filter::default() }).len(), 100);
}
}

#[test]
fn short_texts_are_found_by_reading_the_orders() {
    let j = varied();
    let (sql, _) = search::search_sql(
        crate::journal::db::Db::Lite(&j.lock()),
        &Filter { text: Some("H0".into()), ..Filter::default() },
    )
    .unwrap();
    assert!(!sql.contains("orders_search"), "{sql}");
    assert_eq!(found(&j, Filter { reference: Some("H0".into()), ..Filter::default() }).len(), 25);
    assert_eq!(found(&j, Filter { text: Some("%".into()), ..Filter::default() }).len(), 75);
    assert_eq!(found(&j, Filter { text: Some("李".into()), ..Filter::default() }).len(), 75);
}

fn plan(j: &Journal, filter: &Filter) -> String {
    let conn = j.lock();
    let (sql, args) = search::search_sql(crate::journal::db::Db::Lite(&conn), filter).unwrap();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows: Vec<String> = stmt
        .query_map(rusqlite::params_from_iter(args), |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.join("; ")
}

#[test]
fn searches_read_only_what_their_index_names() {
    let j = varied();
    let main = || Some("main".to_owned());
    let rare = plan(&j, &Filter { profile: main(), text: Some("alzahra12".into()), ..Filter::default() });
    assert!(rare.contains("orders_search") && rare.contains("INTEGER PRIMARY KEY"), "{rare}");
    assert!(!rare.contains("sqlite_autoindex_orders_1") && !rare.contains("SCAN orders "), "{rare}");
    let reference = plan(&j, &Filter { reference: Some("250305-H0".into()), ..Filter::default() });
    assert!(reference.contains("orders_search") && reference.contains("INTEGER PRIMARY KEY"), "{reference}");
    // So common that the newest-first scan fills a page sooner.
    let common = plan(&j, &Filter { profile: main(), text: Some("gmail".into()), ..Filter::default() });
    assert!(!common.contains("orders_search") && common.contains("orders_profile_created"), "{common}");
    let last4 = plan(&j, &Filter { profile: main(), last4: Some("0001".into()), ..Filter::default() });
    assert!(last4.contains("orders_last4") && !last4.contains("autoindex"), "{last4}");
    let opening = plan(&j, &Filter { profile: main(), limit: Some(200), ..Filter::default() });
    assert!(opening.contains("orders_profile_created") && !opening.contains("TEMP B-TREE"), "{opening}");
    let everything = plan(&j, &Filter { limit: Some(200), ..Filter::default() });
    assert!(everything.contains("orders_created_at") && !everything.contains("TEMP B-TREE"), "{everything}");
}

/// The index's own check that it holds exactly the orders' text, once the orders newer than
/// it are added.
fn index_is_consistent(j: &Journal) {
    let mut conn = j.lock();
    // In a write transaction, as the group writer does: it may be adding the same orders.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    substring::index_new_orders(crate::journal::db::Db::Lite(&tx), 1).unwrap();
    tx.commit().unwrap();
    conn.execute("INSERT INTO orders_search (orders_search, rank) VALUES ('integrity-check', 1)", [])
        .unwrap();
}

fn not_indexed(j: &Journal) -> i64 {
    let sql = "SELECT count(*) FROM orders
               WHERE id > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_indexed_upto')";
    j.lock().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn new_orders_are_found_before_and_after_they_are_indexed() {
    let j = journal();
    let text = |t: &str| Filter { text: Some(t.into()), ..Filter::default() };
    j.record_order_intent(&order("TAIL-ZQX-1")).unwrap();
    assert_eq!(not_indexed(&j), 1, "one order is not worth indexing yet");
    assert_eq!(found(&j, text("zqx-1")), ["TAIL-ZQX-1"], "read directly");
    let mut last = None;
    for i in 2..=substring::INDEX_EVERY {
        last = Some(j.record_order_intent(&order(&format!("TAIL-ZQX-{i}"))).unwrap());
    }
    // The writer adds them after answering; its next write comes after that.
    j.finish_operation(last.unwrap(), &result(OpState::Declined, "14060")).unwrap();
    assert_eq!(not_indexed(&j), 0, "indexed together after a commit");
    assert_eq!(found(&j, text("zqx-1")), ["TAIL-ZQX-1"], "found through the index");
    index_is_consistent(&j);

    // The newest order removed, the next one takes its id: it is not taken for indexed.
    let newest: i64 = j.lock().query_row("SELECT max(id) FROM orders", [], |r| r.get(0)).unwrap();
    {
        let conn = j.lock();
        conn.execute("DELETE FROM operations WHERE order_id = ?1", [newest]).unwrap();
        conn.execute("DELETE FROM orders WHERE id = ?1", [newest]).unwrap();
    }
    j.record_order_intent(&order("AGAIN-WVY-1")).unwrap();
    let again: i64 = j.lock().query_row("SELECT max(id) FROM orders", [], |r| r.get(0)).unwrap();
    assert_eq!(again, newest, "SQLite gives the id again");
    assert_eq!(found(&j, text("wvy-1")), ["AGAIN-WVY-1"]);
    index_is_consistent(&j);
}

#[test]
fn the_index_follows_every_insert_change_and_removal() {
    let j = varied();
    index_is_consistent(&j);
    j.record_order_intent(&order("NEW-QWERTY-1")).unwrap();
    assert_eq!(found(&j, Filter { text: Some("werty".into()), ..Filter::default() }), ["NEW-QWERTY-1"]);
    {
        let conn = j.lock();
        conn.execute("UPDATE orders SET customer_email = 'renamed.zxq@example.com' WHERE merchant_reference = 'NEW-QWERTY-1'", [])
            .unwrap();
        conn.execute("UPDATE orders SET state = 'captured' WHERE merchant_reference = 'INV-2025-000001'", [])
            .unwrap();
    }
    assert_eq!(found(&j, Filter { text: Some("ed.zxq@".into()), ..Filter::default() }), ["NEW-QWERTY-1"]);
    assert!(
        found(
            &j,
            Filter {
                text: Some("fatima@example.com".into()),
                reference: Some("QWERTY".into()),
                ..Filter::default()
            }
        )
        .is_empty()
    );
    {
        let conn = j.lock();
        conn.execute("DELETE FROM operations WHERE merchant_reference = 'NEW-QWERTY-1'", []).unwrap();
        conn.execute("DELETE FROM orders WHERE merchant_reference = 'NEW-QWERTY-1'", []).unwrap();
    }
    assert!(found(&j, Filter { text: Some("werty".into()), ..Filter::default() }).is_empty());
    index_is_consistent(&j);
}

#[test]
fn a_journal_from_before_the_index_with_orders_is_indexed_when_opened() {
    // The step that creates the index, wherever it stands in the list.
    let step = schema::MIGRATIONS.iter().position(|m| m.contains("USING fts5")).unwrap() as u32;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    {
        let old = Journal::open_at_version(&path, step).unwrap();
        assert_eq!(old.schema_version().unwrap(), step);
        // Written as that version wrote them: today's writer knows columns it did not have.
        for i in 0..40 {
            old.lock()
                .execute(
                    "INSERT INTO orders (profile, merchant_reference, kind, channel, currency, amount_minor,
                        token_name, customer_email, operator, created_at, updated_at, state)
                     VALUES ('main', ?1, 'sale', 'phone', 'AED', 1250, 'tok_1', ?2, 'sara',
                        '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z', 'pending')",
                    [format!("MT-OLDX-250101-K{i:03}Z"), format!("layla.haddad{i}@example.com")],
                )
                .unwrap();
        }
    }
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.schema_version().unwrap(), SCHEMA_VERSION);
    index_is_consistent(&j);
    let filter = Filter { text: Some("HADDAD17@".into()), ..Filter::default() };
    assert!(plan(&j, &filter).contains("orders_search"));
    assert_eq!(found(&j, filter), ["MT-OLDX-250101-K017Z"]);
    assert_eq!(found(&j, Filter { reference: Some("0101-k03".into()), ..Filter::default() }).len(), 10);
    // New orders join the index the migration filled.
    j.record_order_intent(&order("MT-NEWX-260101-K999Z")).unwrap();
    assert_eq!(
        found(&j, Filter { reference: Some("newx".into()), ..Filter::default() }),
        ["MT-NEWX-260101-K999Z"]
    );
}

#[test]
fn the_reconciliation_scan_reads_only_orders_in_doubt() {
    let j = varied();
    let conn = j.lock();
    let sql =
        format!("EXPLAIN QUERY PLAN SELECT id FROM orders WHERE {}", super::super::reads::UNRESOLVED_WHERE);
    let plan: Vec<String> = conn
        .prepare(&sql)
        .unwrap()
        .query_map([None::<String>], |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let plan = plan.join("; ");
    // Both halves are answered from their index alone, without reading a row of either table.
    assert!(
        plan.contains("COVERING INDEX orders_state") && plan.contains("COVERING INDEX operations_unsettled"),
        "{plan}"
    );
    assert!(!plan.contains("SCAN orders") && !plan.contains("SCAN operations"), "{plan}");
}

#[test]
fn the_duplicate_guard_reads_only_its_card_or_tokens_orders() {
    let j = varied();
    let conn = j.lock();
    for (column, index) in [("token_name", "orders_same_token"), ("card_fingerprint", "orders_same_card")] {
        let sql = format!("EXPLAIN QUERY PLAN {}", super::super::write::duplicate_sql(column));
        let args = rusqlite::params!["main", "T", 100, "AED", "2025-01-01"];
        let plan: Vec<String> = conn
            .prepare(&sql)
            .unwrap()
            .query_map(args, |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("; ");
        assert!(plan.contains(&format!("USING INDEX {index}")), "{plan}");
    }
}
