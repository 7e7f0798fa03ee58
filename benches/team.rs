//! The team journal on PostgreSQL, measured from one desk.
//!
//! 1. The client's own work per charge on the team journal (the intent, committed before a
//!    request may leave, and the outcome): this process's CPU time, journal alone, with 8 and
//!    32 callers at once, threads calling the journal and tokio tasks committing prepared
//!    writes (the service's path, whose outcome also brings the token book up to date, as the
//!    service's does for a token's approval). The server's work is its own process and not
//!    counted.
//! 2. Searching a team journal of 1,000,000 orders (loaded with SQL on the server): by
//!    reference and email substring, last four digits, the first page, and the start-up scan
//!    for orders in doubt.
//!
//! Needs a PostgreSQL it may create databases on:
//! `scripts/postgres-test-env cargo bench --bench team` (optionally `-- 1000000` orders, or
//! `-- charges` for the charges alone, `-- tasks` for the service's path alone). With
//! `-- sqlite` the same charges run on a durable SQLite journal instead, and nothing else.
mod common;

use common::{approved, cpu_time};

use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::journal::{
    Channel, Extra, Filter, Journal, JournalError, NewOrder, OpId, OrderKind, OrderRow, OrderState,
    PaymentMethod, TokenCustomer, TokenRecord,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn server() -> String {
    std::env::var("MOTO_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("MOTO_TEST_POSTGRES_URL is not set: run scripts/postgres-test-env cargo bench --bench team")
    })
}

/// A new database on the server; its URL.
fn fresh(runtime: &tokio::runtime::Runtime, name: &str) -> String {
    let server = server();
    runtime.block_on(async {
        let admin =
            moto_terminal::journal::postgres::connect(&server).await.unwrap_or_else(|e| panic!("{e}"));
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap_or_else(|e| panic!("{e}"));
    });
    format!("{}/{name}", server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base))
}

fn order(caller: usize, i: usize) -> NewOrder {
    NewOrder {
        profile: "Bench merchant".into(),
        merchant_reference: format!("TB-{caller}-{i}"),
        kind: OrderKind::Sale,
        channel: Channel::Phone,
        amount: Money::from_minor(1_000 + i as u64, Currency::parse("AED").unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}")),
        method: PaymentMethod::Token { token_name: format!("TOKEN-{caller}"), masked_card: None },
        customer_email: Some("caller@example.com".into()),
        customer_name: Some("Layla Haddad".into()),
        description: None,
        operator: "amal".into(),
        terminal: "desk-1".into(),
        created_at: chrono::Utc::now(),
        extra: Extra::new(),
        lease: None,
        batch_row: None,
    }
}

/// What APS's approval says of the token an order charged, as the service reads it: the
/// masked card, its expiry, and the customer echoed from the request.
fn charged_token(new: &NewOrder) -> TokenRecord {
    let PaymentMethod::Token { token_name, .. } = &new.method else { panic!("a token charge") };
    TokenRecord {
        profile: new.profile.clone(),
        token_name: token_name.clone(),
        masked_card: Some("400555******0001".into()),
        expiry: Some("2705".into()),
        brand: Some("VISA".into()),
        holder_name: None,
        customers: vec![TokenCustomer::new(
            new.customer_name.as_deref(),
            new.customer_email.as_deref(),
            None,
        )],
        status: "ACTIVE".into(),
    }
}

/// The new order's intent, which the duplicate guard let through.
fn recorded(intent: Result<Result<OpId, OrderRow>, JournalError>) -> OpId {
    match intent {
        Ok(Ok(id)) => id,
        Ok(Err(shown)) => panic!("the guard showed {}", shown.merchant_reference),
        Err(e) => panic!("{e}"),
    }
}

/// Intent and outcome of `per_caller` charges by each of `callers` at once: charges per second
/// and this process's CPU per charge. The callers are threads calling the journal, or with
/// `tasks`, tokio tasks committing prepared writes, as the service does.
fn charges(
    journal: &Arc<Journal>,
    tasks: Option<&tokio::runtime::Runtime>,
    callers: usize,
    per_caller: usize,
    round: usize,
) -> (f64, Duration) {
    let (started, cpu) = (Instant::now(), cpu_time());
    let nth = move |caller: usize, i| {
        let new = order(round * 1_000 + caller, i);
        let since = Some(new.created_at - chrono::Duration::minutes(10));
        (new, since)
    };
    match tasks {
        None => {
            let threads: Vec<_> = (0..callers)
                .map(|caller| {
                    let journal = Arc::clone(journal);
                    std::thread::spawn(move || {
                        for i in 0..per_caller {
                            let (new, since) = nth(caller, i);
                            let id = recorded(journal.record_order_intent_guarded(&new, since));
                            let (result, update) = approved(new.amount.minor_units());
                            journal.record_outcome(id, &result, &update).unwrap_or_else(|e| panic!("{e}"));
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap_or_else(|_| panic!("a caller failed"));
            }
        }
        Some(runtime) => runtime.block_on(async {
            let tasks: Vec<_> = (0..callers)
                .map(|caller| {
                    let journal = Arc::clone(journal);
                    tokio::spawn(async move {
                        for i in 0..per_caller {
                            let (new, since) = nth(caller, i);
                            let intent =
                                Journal::order_intent_write(&new, since).unwrap_or_else(|e| panic!("{e}"));
                            let id = recorded(journal.commit_async(intent).await);
                            let (result, update) = approved(new.amount.minor_units());
                            // As the service records a token's approval: with the token book.
                            let outcome = Journal::outcome_write(id, &result, &update)
                                .unwrap_or_else(|e| panic!("{e}"))
                                .remembering_token(Some(&charged_token(&new)));
                            journal.commit_async(outcome).await.unwrap_or_else(|e| panic!("{e}"));
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap_or_else(|_| panic!("a caller failed"));
            }
        }),
    }
    let n = (callers * per_caller) as u32;
    (f64::from(n) / started.elapsed().as_secs_f64(), cpu_time().saturating_sub(cpu) / n)
}

/// `orders` orders written by the server itself: references, emails and names as desks make
/// them, a year of dates, one in 2,000 left unknown.
const LOAD: &str = "
INSERT INTO orders (profile, merchant_reference, kind, channel, currency, amount_minor, token_name,
    masked_card, last4, customer_email, customer_name, description, operator, terminal, created_at,
    updated_at, state, authorized_minor, captured_minor, extra)
SELECT 'Bench merchant',
       'MT-KQZT-' || to_char(t, 'YYMMDD') || '-' || lpad(to_hex(i), 6, '0') || 'X',
       'sale', 'phone', 'AED', 1000 + i % 90000, 'TOKEN-' || (i % 40000),
       '400555******' || lpad((i % 10000)::text, 4, '0'), lpad((i % 10000)::text, 4, '0'),
       'customer' || (i % 150000) || '@example.' || (ARRAY['com', 'sa', 'ae'])[1 + i % 3],
       (ARRAY['Fatima', 'Omar', 'Layla', 'Sami', 'Noor'])[1 + i % 5] || ' ' || (ARRAY['Al Zahra', 'Haddad', 'Khan', 'Said'])[1 + i % 4],
       CASE WHEN i % 4 = 0 THEN (i % 7) || ' nights, deluxe room' END,
       (ARRAY['amal', 'sara', 'omar'])[1 + i % 3], 'desk-' || (i % 12),
       to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
       CASE WHEN i % 2000 = 0 THEN 'unknown' ELSE 'captured' END, 1000 + i % 90000, 1000 + i % 90000, '{}'
FROM generate_series(1, $1::bigint) AS i,
     LATERAL (SELECT timestamptz '2025-12-01 00:00:00+00' + (i * interval '31 seconds')) AS d(t);
ANALYZE orders;
";

fn median(journal: &Journal, filter: &Filter) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..7 {
        let started = Instant::now();
        found = journal.search(filter).unwrap_or_else(|e| panic!("{e}")).len();
        times.push(started.elapsed());
    }
    times.sort();
    (times[times.len() / 2], found)
}

fn main() {
    let total: i64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let only_charges = std::env::args().any(|a| a == "charges" || a == "tasks");
    let only_tasks = std::env::args().any(|a| a == "tasks");
    // As the application's (`main.rs`): two workers.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));

    // `sqlite`: the same charges on a durable SQLite journal, to compare the two backends'
    // client CPU (and with `floor`'s bare figures).
    let sqlite = std::env::args().any(|a| a == "sqlite");
    let which = if sqlite { "SQLite journal" } else { "team journal" };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let journal = if sqlite {
        Arc::new(Journal::open(&dir.path().join("journal.sqlite3")).unwrap_or_else(|e| panic!("{e}")))
    } else {
        let url = fresh(&runtime, "bench_team_charges");
        Arc::new(Journal::open_team(&url).unwrap_or_else(|e| panic!("{e}")))
    };
    charges(&journal, None, 8, 50, 0);
    // CPU time is read in 10 ms ticks and the machine is shared with the server: each figure
    // is the median of three runs (as the batch benchmark's).
    let mut round = 1;
    for (callers, tasks) in [(1, None), (8, None), (32, None), (8, Some(&runtime)), (32, Some(&runtime))] {
        if only_tasks && tasks.is_none() {
            continue;
        }
        let rode = journal.team_rides().unwrap_or_default();
        let mut runs: Vec<(f64, Duration)> = (0..3)
            .map(|_| {
                round += 1;
                charges(&journal, tasks, callers, 4_000 / callers, round)
            })
            .collect();
        let rides = journal.team_rides().unwrap_or_default();
        let (rode, trips) = ((rides.0 - rode.0) / 3, (rides.1 - rode.1) / 3);
        runs.sort_by_key(|run| run.1);
        let cpu = runs[1].1;
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let rate = runs[1].0;
        let by = if tasks.is_some() { "tasks (the service's path)" } else { "threads" };
        println!(
            "{which}, {callers:>2} in flight, {by}: {rate:>7.0} charges/s, client CPU {cpu:>4.0?} per charge \
             (medians of three runs; per run, {rode} writes rode on {trips} round trips of others)"
        );
    }

    if only_charges || sqlite {
        return;
    }
    let url = fresh(&runtime, "bench_team_search");
    let journal = Journal::open_team(&url).unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    runtime.block_on(async {
        let client = moto_terminal::journal::postgres::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let load = LOAD.replace("$1::bigint", &total.to_string());
        client.batch_execute(&load).await.unwrap_or_else(|e| panic!("{e}"));
    });
    println!("{total} orders loaded on the server in {:.0?}", started.elapsed());
    let page = |f: Filter| Filter { profile: Some("Bench merchant".into()), limit: Some(200), ..f };
    let cases = [
        (
            "reference substring '250617-0'",
            page(Filter { reference: Some("250617-0".into()), ..Filter::default() }),
        ),
        (
            "email substring 'customer12345@'",
            page(Filter { text: Some("customer12345@".into()), ..Filter::default() }),
        ),
        ("last four digits", page(Filter { last4: Some("0042".into()), ..Filter::default() })),
        ("first page, newest first", page(Filter::default())),
        ("orders in doubt", page(Filter { states: vec![OrderState::Unknown], ..Filter::default() })),
    ];
    for (what, filter) in cases {
        let (time, found) = median(&journal, &filter);
        println!("search {total} orders, {what}: {time:.1?} median of 7 ({found} shown)");
    }
    let started = Instant::now();
    let unresolved = journal.unresolved(None).unwrap_or_else(|e| panic!("{e}")).len();
    println!("start-up scan for orders in doubt: {:.1?} ({unresolved} found)", started.elapsed());
}
