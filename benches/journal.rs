//! The journal at a year of a busy call centre: 1,000,000 orders.
//!
//! Builds (once, then reuses) a journal in the temporary folder with realistic orders: four
//! profiles (two Saudi desks, a Dubai desk, a membership desk charging stored tokens every
//! month), 200,000 returning customers with their emails, names and one or two cards, service-made
//! and typed references, sales, authorizations captured or voided later, refunds, declines,
//! answers lost and settled by CHECK_STATUS, and a handful of orders still pending or unknown.
//! The rows are written by `Journal::bulk_load`, which uses the statements of the public calls
//! in large transactions.
//!
//! Prints the median of several runs (after one warm-up) of what an agent and start-up do:
//! history search by part of a reference, part of an email and a card's last 4 (on the CLI,
//! across profiles, and on the history screen, within one profile, 200 rows), the reconciliation
//! scan at start-up, and the file's size; then what a charge's journal writes cost at this size.
//!
//! `cargo bench --bench journal` (optionally `-- 200000` for fewer orders). The journal is kept
//! as `moto-terminal-bench/journal-<orders>-v<schema>.sqlite` under the temporary folder; delete
//! it to build it again.

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use moto_terminal::aps::Operation;
use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::gateway::{GatewayConfig, HttpGateway};
use moto_terminal::journal::{
    BulkLoad, CardFingerprint, Channel, Extra, Filter, Journal, JournalError, Lease, MaskedCard,
    NewOperation, NewOrder, OpId, OpResult, OpState, OrderKind, OrderState, OrderUpdate, PaymentMethod,
    SCHEMA_VERSION,
};
use moto_terminal::service::{Progress, Service, ServiceSettings};
use moto_terminal::vault::Vault;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Orders per transaction while building.
const CHUNK: usize = 100_000;
const CUSTOMERS: usize = 200_000;
const RUNS: usize = 9;
/// The profile with nothing in doubt: `reconcile` on it has nothing to do.
const QUIET: &str = "Memberships";

struct Desk {
    name: &'static str,
    prefix: &'static str,
    currency: &'static str,
    /// Out of 100 orders.
    share: u64,
}

const DESKS: [Desk; 4] = [
    Desk { name: "Riyadh desk", prefix: "KQZT", currency: "SAR", share: 40 },
    Desk { name: "Jeddah desk", prefix: "HBNM", currency: "SAR", share: 25 },
    Desk { name: "Dubai MOTO", prefix: "PWXA", currency: "AED", share: 25 },
    Desk { name: QUIET, prefix: "RCRM", currency: "SAR", share: 10 },
];

const FIRST: [&str; 40] = [
    "fatima", "mohammed", "aisha", "omar", "sara", "ali", "noura", "khalid", "john", "emma", "li", "priya",
    "ahmed", "layla", "yusuf", "hana", "david", "maria", "chen", "ravi", "abdullah", "reem", "faisal",
    "mariam", "tariq", "lina", "hassan", "dana", "sultan", "huda", "james", "olivia", "wei", "anika", "saad",
    "jana", "majed", "rania", "ibrahim", "salma",
];
const LAST: [&str; 40] = [
    "alzahrani",
    "alqahtani",
    "smith",
    "khan",
    "haddad",
    "nasser",
    "alotaibi",
    "brown",
    "wang",
    "patel",
    "mansour",
    "saleh",
    "hassan",
    "jones",
    "ibrahim",
    "alghamdi",
    "alharbi",
    "aldosari",
    "almutairi",
    "alshehri",
    "baker",
    "fernandes",
    "kumar",
    "said",
    "yousef",
    "alamri",
    "alsubaie",
    "hamdan",
    "farouk",
    "rahman",
    "odeh",
    "khoury",
    "wilson",
    "taylor",
    "sharma",
    "nguyen",
    "alkhaldi",
    "bukhari",
    "jaber",
    "qasim",
];
const MAILS: [&str; 6] = ["gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "live.com"];
const SYLLABLES: [&str; 16] = [
    "al", "ra", "ma", "noor", "dar", "sa", "fa", "ka", "tech", "med", "gulf", "star", "bay", "oasis", "zen",
    "pro",
];
const OPERATORS: [&str; 12] =
    ["sara", "omar", "layla", "khalid", "reem", "faisal", "hana", "majed", "dana", "tariq", "huda", "saad"];
const BINS: [&str; 5] = ["400555", "512345", "345678", "529741", "411111"];

/// A small deterministic generator (splitmix64): the same journal on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn letters(&mut self, n: usize, set: &[u8]) -> String {
        (0..n).map(|_| char::from(set[self.below(set.len() as u64) as usize])).collect()
    }
}

struct Customer {
    email: String,
    name: String,
    cards: Vec<(String, String)>,
}

fn customers(rng: &mut Rng) -> Vec<Customer> {
    let companies: Vec<String> = (0..2_000)
        .map(|_| {
            let word = format!("{}{}", rng.pick(&SYLLABLES), rng.pick(&SYLLABLES));
            format!("{word}.{}", rng.pick(&["com.sa", "sa", "ae", "com"]))
        })
        .collect();
    (0..CUSTOMERS)
        .map(|i| {
            let (first, last) = (rng.pick(&FIRST), rng.pick(&LAST));
            let domain = if rng.below(3) == 0 {
                companies[rng.below(companies.len() as u64) as usize].clone()
            } else {
                rng.pick(&MAILS).to_owned()
            };
            let local = match rng.below(4) {
                0 => format!("{first}.{last}"),
                1 => format!("{first}.{last}{}", i % 1000),
                2 => format!("{}{last}{}", &first[..1], 70 + i % 30),
                _ => format!("{first}_{}{}", &last[..3], i % 100),
            };
            let cards = (0..1 + rng.below(2))
                .map(|_| {
                    let last4 = format!("{:04}", rng.below(10_000));
                    (
                        format!("{}******{last4}", rng.pick(&BINS)),
                        format!("{:064x}", u128::from(rng.next()) << 64 | u128::from(rng.next())),
                    )
                })
                .collect();
            let name = format!("{} {}", capital(first), capital(last));
            Customer { email: format!("{local}@{domain}"), name, cards }
        })
        .collect()
}

fn capital(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// What happens to one order after its intent.
#[derive(Clone, Copy, PartialEq)]
enum Fate {
    Approved,
    Declined,
    Rejected,
    Refunded,
    Captured,
    Voided,
    LeftAuthorized,
    SettledByCheck,
    LostCheck,
    Pending,
    Unknown,
    RefundInDoubt,
}

fn fate(rng: &mut Rng, kind: OrderKind, index: usize, total: usize, quiet: bool) -> Fate {
    // A handful in doubt, near the end of the year, never on the quiet profile.
    if !quiet && index + 5_000 > total && index.is_multiple_of(997) {
        let doubt = [Fate::Pending, Fate::Unknown, Fate::RefundInDoubt][index % 3];
        // Only a captured order has something to refund.
        return if kind == OrderKind::AuthorizeOnly && doubt == Fate::RefundInDoubt {
            Fate::Unknown
        } else {
            doubt
        };
    }
    let roll = rng.below(1_000);
    match kind {
        OrderKind::AuthorizeOnly => match roll {
            0..=849 => Fate::Captured,
            850..=929 => Fate::Voided,
            930..=979 => Fate::LeftAuthorized,
            _ => Fate::Declined,
        },
        _ => match roll {
            0..=19 => Fate::SettledByCheck,
            20..=69 => Fate::Declined,
            70..=79 => Fate::Rejected,
            80..=89 => Fate::Refunded,
            90 if index.is_multiple_of(10) => Fate::LostCheck,
            _ => Fate::Approved,
        },
    }
}

struct Builder {
    rng: Rng,
    customers: Vec<Customer>,
    invoices: u64,
    bookings: u64,
    start: DateTime<Utc>,
    fort_id: u64,
}

impl Builder {
    fn order(&mut self, index: usize, total: usize) -> (NewOrder, Fate) {
        let roll = self.rng.below(100);
        let mut acc = 0;
        let desk = DESKS.iter().find(|d| {
            acc += d.share;
            roll < acc
        });
        let desk = desk.unwrap_or(&DESKS[0]);
        let quiet = desk.name == QUIET;
        let at = self.start + Span::milliseconds((index as f64 * 31_536_000_000.0 / total as f64) as i64);
        // Returning customers: a few are seen often, most now and then.
        let who =
            (self.rng.below(CUSTOMERS as u64) * self.rng.below(CUSTOMERS as u64) / CUSTOMERS as u64) as usize;
        let customer = &self.customers[who];
        let (email, name, cards) = (customer.email.clone(), customer.name.clone(), customer.cards.len());
        let (masked, fingerprint) = customer.cards[index % cards].clone();
        let masked = MaskedCard::parse(&masked).unwrap_or_else(|e| panic!("{e}"));
        let kind = match (quiet, self.rng.below(100)) {
            (true, _) => OrderKind::Recurring,
            (false, 0..=79) => OrderKind::Sale,
            _ => OrderKind::AuthorizeOnly,
        };
        let method = if quiet || self.rng.below(3) == 0 {
            PaymentMethod::Token {
                token_name: format!("TK{who:06}{}", index % cards),
                masked_card: Some(masked),
            }
        } else {
            PaymentMethod::Card {
                masked_card: masked,
                fingerprint: CardFingerprint::parse(&fingerprint).unwrap_or_else(|e| panic!("{e}")),
            }
        };
        let channel = match (quiet, self.rng.below(100)) {
            (true, _) => Channel::Recurring,
            (false, 0..=79) => Channel::Phone,
            (false, 80..=91) => Channel::Mail,
            (false, 92..=97) => Channel::Batch,
            _ => Channel::Cli,
        };
        let reference = self.reference(desk, at);
        let mut extra = Extra::new();
        if channel == Channel::Mail {
            extra.insert("slip".into(), format!("MS-{:05}", self.rng.below(100_000)).into());
        }
        let description = match self.rng.below(8) {
            0 => Some(format!("Hotel booking, {} nights", 1 + self.rng.below(9))),
            1 => Some(format!("Invoice {}", 10_000 + self.rng.below(90_000))),
            2 => Some("Phone order".to_owned()),
            3 => Some(format!("Deposit for order {}", self.rng.below(100_000))),
            4 if quiet => Some(format!("Membership {}", at.format("%B %Y"))),
            5 => Some("Balance payment".to_owned()),
            _ => None,
        };
        let currency = Currency::parse(desk.currency).unwrap_or_else(|e| panic!("{e}"));
        let minor = 1_000 + self.rng.below(500_000);
        let order = NewOrder {
            profile: desk.name.to_owned(),
            merchant_reference: reference,
            kind,
            channel,
            amount: Money::from_minor(minor, currency).unwrap_or_else(|e| panic!("{e}")),
            method,
            customer_email: Some(email),
            customer_name: Some(name),
            description,
            operator: self.rng.pick(&OPERATORS).to_owned(),
            terminal: "desk-1".into(),
            created_at: at,
            extra,
            lease: Some(Lease {
                owner: format!("desk-{}:1:{}:1", index % 7, 4000 + index % 50),
                deadline: at + Span::seconds(45),
            }),
            batch_row: None,
        };
        let fate = fate(&mut self.rng, kind, index, total, quiet);
        (order, fate)
    }

    /// Most references are made by the terminal (`MT-prefix-date-8 characters`); some are typed
    /// from an invoice or a hotel booking.
    fn reference(&mut self, desk: &Desk, at: DateTime<Utc>) -> String {
        const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        match self.rng.below(10) {
            0 => {
                self.invoices += 1;
                format!("INV-{}-{:06}", at.format("%Y"), self.invoices)
            }
            1 => {
                self.bookings += 1;
                format!("HTL-{}{:06}", self.rng.letters(3, LETTERS), self.bookings)
            }
            _ => format!(
                "MT-{}-{}-{}{}",
                desk.prefix,
                at.format("%y%m%d"),
                self.rng.letters(1, LETTERS),
                self.rng.letters(7, ALPHABET)
            ),
        }
    }

    fn next_fort_id(&mut self) -> String {
        self.fort_id += 1 + self.rng.below(7);
        self.fort_id.to_string()
    }

    /// The order's life after its intent, as the service records it.
    fn live(
        &mut self,
        bulk: &BulkLoad<'_>,
        order: &NewOrder,
        first: OpId,
        fate: Fate,
    ) -> Result<(), JournalError> {
        let amount = order.amount.minor_units();
        let at = order.created_at + Span::seconds(2);
        let approved = |this: &mut Self, state: OrderState, captured: u64| OrderUpdate {
            state: Some(state),
            authorized_minor: Some(amount),
            captured_minor: Some(captured),
            refunded_minor: Some(0),
            fort_id: Some(this.next_fort_id()),
            last_response_code: Some(if captured > 0 { "14000" } else { "02000" }.to_owned()),
            last_message: Some("Success".to_owned()),
            ..Default::default()
        };
        let purchase = order.kind != OrderKind::AuthorizeOnly;
        let (state, captured, code) = if purchase {
            (OrderState::Captured, amount, "14000")
        } else {
            (OrderState::Authorized, 0, "02000")
        };
        match fate {
            Fate::Pending => return Ok(()),
            Fate::Unknown => {
                let result = OpResult {
                    state: OpState::Unknown,
                    response_code: None,
                    response_message: None,
                    note: Some("the answer did not arrive within 30 s".into()),
                    at,
                };
                return bulk.outcome(
                    first,
                    &result,
                    &OrderUpdate { state: Some(OrderState::Unknown), ..Default::default() },
                );
            }
            Fate::Declined | Fate::Rejected => {
                let (op_state, order_state, code, message) = if fate == Fate::Declined {
                    (OpState::Declined, OrderState::Declined, "14666", "Transaction declined")
                } else {
                    (OpState::Rejected, OrderState::Rejected, "00016", "Invalid amount")
                };
                let update = OrderUpdate {
                    state: Some(order_state),
                    last_response_code: Some(code.into()),
                    last_message: Some(message.into()),
                    ..Default::default()
                };
                return bulk.outcome(first, &answer(op_state, code, message, at), &update);
            }
            Fate::SettledByCheck => {
                let lost = OpResult {
                    state: OpState::Unknown,
                    response_code: None,
                    response_message: None,
                    note: Some("connection reset".into()),
                    at,
                };
                bulk.outcome(
                    first,
                    &lost,
                    &OrderUpdate { state: Some(OrderState::Unknown), ..Default::default() },
                )?;
                let check =
                    bulk.operation_intent(&self.operation(order, Operation::CheckStatus, None, at))?;
                bulk.finish(check, &answer(OpState::Approved, "12000", "Success", at + Span::seconds(5)))?;
                let settled = OpResult {
                    state: OpState::Resolved,
                    response_code: Some(code.into()),
                    response_message: Some("Success".into()),
                    note: Some("settled by CHECK_STATUS".into()),
                    at: at + Span::seconds(5),
                };
                let update = approved(self, state, captured);
                return bulk.outcome(first, &settled, &update);
            }
            _ => {}
        }
        let update = approved(self, state, captured);
        bulk.outcome(first, &answer(OpState::Approved, code, "Success", at), &update)?;
        let later = at + Span::hours(1 + self.rng.below(72) as i64);
        let money = Some(order.amount);
        let (op, after, op_state) = match fate {
            Fate::Captured => (Operation::Capture, OrderState::Captured, OpState::Approved),
            Fate::Voided => (Operation::VoidAuthorization, OrderState::Voided, OpState::Approved),
            Fate::Refunded => (Operation::Refund, OrderState::Refunded, OpState::Approved),
            Fate::RefundInDoubt => (Operation::Refund, OrderState::Captured, OpState::Unknown),
            Fate::LostCheck => (Operation::CheckStatus, OrderState::Captured, OpState::Intent),
            _ => return Ok(()),
        };
        let amount_of =
            if op == Operation::VoidAuthorization || op == Operation::CheckStatus { None } else { money };
        let id = bulk.operation_intent(&self.operation(order, op, amount_of, later))?;
        match op_state {
            OpState::Intent => Ok(()),
            OpState::Unknown => {
                let result = OpResult {
                    state: OpState::Unknown,
                    response_code: None,
                    response_message: None,
                    note: Some("timed out".into()),
                    at: later,
                };
                bulk.finish(id, &result)
            }
            _ => {
                let update = OrderUpdate {
                    state: Some(after),
                    captured_minor: Some(if after == OrderState::Voided { 0 } else { amount }),
                    refunded_minor: Some(if after == OrderState::Refunded { amount } else { 0 }),
                    last_response_code: Some("14000".into()),
                    last_message: Some("Success".into()),
                    ..Default::default()
                };
                bulk.outcome(id, &answer(op_state, "14000", "Success", later), &update)
            }
        }
    }

    fn operation(
        &mut self,
        order: &NewOrder,
        operation: Operation,
        amount: Option<Money>,
        at: DateTime<Utc>,
    ) -> NewOperation {
        NewOperation {
            profile: order.profile.clone(),
            merchant_reference: order.merchant_reference.clone(),
            operation,
            maintenance_reference: (operation == Operation::Refund)
                .then(|| format!("RF-{}", self.rng.letters(8, b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))),
            amount,
            operator: self.rng.pick(&OPERATORS).to_owned(),
            at,
            note: None,
            lease: Some(Lease { owner: "desk-1:1:4001:1".into(), deadline: at + Span::seconds(45) }),
            batch_row: None,
            approved_by: None,
        }
    }
}

fn answer(state: OpState, code: &str, message: &str, at: DateTime<Utc>) -> OpResult {
    OpResult {
        state,
        response_code: Some(code.to_owned()),
        response_message: Some(message.to_owned()),
        note: None,
        at,
    }
}

/// What the searches look for: one order's reference and customer, picked from the built data.
struct Targets {
    reference: String,
    email: String,
    last4: String,
    profile: String,
}

fn build(path: &Path, total: usize) -> Result<(), Error> {
    let journal = Journal::open(path)?;
    let mut rng = Rng(0x6d6f_746f_2d74_6572);
    let customers = customers(&mut rng);
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 6, 0, 0).single().ok_or("bad start date")?;
    let mut builder =
        Builder { rng, customers, invoices: 0, bookings: 0, start, fort_id: 169_000_000_000_000_000 };
    let started = Instant::now();
    let mut index = 0;
    while index < total {
        let end = (index + CHUNK).min(total);
        journal.bulk_load(|bulk| {
            for i in index..end {
                let (order, fate) = builder.order(i, total);
                let first = bulk.order_intent(&order)?;
                builder.live(bulk, &order, first, fate)?;
            }
            Ok(())
        })?;
        index = end;
        eprintln!("  {index} orders written ({:.0} s)", started.elapsed().as_secs_f64());
    }
    Ok(())
}

fn targets(journal: &Journal) -> Result<Targets, Error> {
    // An order three quarters into the year, of the busiest desk.
    let desk = Filter { profile: Some(DESKS[0].name.into()), ..Filter::default() };
    let offset = u32::try_from(journal.count(&desk)? / 4)?;
    let found = journal.search(&Filter { limit: Some(1), offset, ..desk })?;
    let order = found.first().ok_or("the journal has too few orders for the searches")?;
    Ok(Targets {
        reference: order.merchant_reference.clone(),
        email: order.customer_email.clone().ok_or("no email")?,
        last4: order.last4.clone().ok_or("no last 4")?,
        profile: order.profile.clone(),
    })
}

/// First run and median of [`RUNS`] more, and what the last run returned.
fn time<T>(mut run: impl FnMut() -> Result<T, Error>) -> Result<(Duration, Duration, T), Error> {
    let t0 = Instant::now();
    let mut out = run()?;
    let first = t0.elapsed();
    let mut took = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        out = run()?;
        took.push(t.elapsed());
    }
    took.sort();
    Ok((first, took[RUNS / 2], out))
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn report(label: &str, target: &str, (first, median, found): (Duration, Duration, usize)) {
    println!("  {label:<52} {target:>8} {:>10} {:>10} {found:>8}", ms(first), ms(median));
}

fn searches(journal: &Journal, t: &Targets) -> Result<(), Error> {
    let n = |f: Filter| -> Result<(Duration, Duration, usize), Error> {
        let (a, b, rows) = time(|| Ok(journal.search(&f)?.len()))?;
        Ok((a, b, rows))
    };
    let chars: Vec<char> = t.reference.chars().collect();
    let middle: String = chars[chars.len() / 2..(chars.len() / 2 + 8).min(chars.len())].iter().collect();
    let tail: String = chars[chars.len() - 6..].iter().collect();
    let at = t.email.find('@').unwrap_or(t.email.len());
    let email_part = t.email[2..(at + 4).min(t.email.len())].to_owned();
    let profile = Some(t.profile.clone());
    let page = Some(200);
    println!("  {:<52} {:>8} {:>10} {:>10} {:>8}", "query", "target", "first ms", "median ms", "rows");
    let cli =
        |reference: &str| Filter { reference: Some(reference.into()), limit: page, ..Filter::default() };
    report(&format!("journal --reference {middle} (middle, all profiles)"), "20 ms", n(cli(&middle))?);
    report(&format!("journal --reference {tail} (end, all profiles)"), "20 ms", n(cli(&tail))?);
    let screen = |text: &str| Filter {
        profile: profile.clone(),
        text: Some(text.into()),
        limit: page,
        ..Filter::default()
    };
    report(&format!("history: {middle} (reference, one profile)"), "20 ms", n(screen(&middle))?);
    report(&format!("history: {email_part} (email)"), "20 ms", n(screen(&email_part))?);
    let anywhere = Filter { text: Some(email_part.clone()), limit: page, ..Filter::default() };
    report(&format!("search {email_part} (email, all profiles)"), "20 ms", n(anywhere)?);
    let last4 =
        Filter { profile: profile.clone(), last4: Some(t.last4.clone()), limit: page, ..Filter::default() };
    report(&format!("history: card last 4 {}", t.last4), "20 ms", n(last4)?);
    let last4_all = Filter { last4: Some(t.last4.clone()), limit: page, ..Filter::default() };
    report(&format!("card last 4 {} (all profiles)", t.last4), "20 ms", n(last4_all)?);
    report(
        "history: opening (newest 200 of one profile)",
        "-",
        n(Filter { profile: profile.clone(), limit: page, ..Filter::default() })?,
    );
    report("history: gmail (a very common text)", "-", n(screen("gmail"))?);
    report("history: 7X (two characters, read in full)", "-", n(screen("7X"))?);
    Ok(())
}

fn start_up(journal: &Arc<Journal>, dir: &Path) -> Result<(), Error> {
    report("unresolved scan, all profiles", "100 ms", time(|| Ok(journal.unresolved(None)?.len()))?);
    report(
        &format!("unresolved scan, {QUIET}"),
        "100 ms",
        time(|| Ok(journal.unresolved(Some(QUIET))?.len()))?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let store = keyring_core::mock::Store::new()?;
    let vault = Vault::open(dir, store)?;
    let gateway = HttpGateway::new(&GatewayConfig::default())?;
    let service = Service::new(Arc::new(vault), Arc::clone(journal), gateway, ServiceSettings::default());
    let reconcile = time(|| Ok(runtime.block_on(service.reconcile(Some(QUIET), &Progress::none()))?.len()))?;
    report(&format!("reconcile {QUIET} (nothing to do)"), "100 ms", reconcile);
    Ok(())
}

/// A charge's journal writes at this size: the intent (synced) and its outcome.
fn writes(journal: &Journal) -> Result<(), Error> {
    let n = 200;
    // Letters: a run of digits this long would be refused as a possible card number.
    let mut clock = Utc::now().timestamp_micros().unsigned_abs();
    let run: String = (0..10)
        .map(|_| {
            let letter = char::from(b'A' + (clock % 26) as u8);
            clock /= 26;
            letter
        })
        .collect();
    let currency = Currency::parse("SAR")?;
    let started = Instant::now();
    for i in 0..n {
        let order = NewOrder {
            profile: DESKS[0].name.into(),
            merchant_reference: format!("BENCH-W{run}-{i}"),
            kind: OrderKind::Sale,
            channel: Channel::Phone,
            amount: Money::from_minor(12_500, currency)?,
            method: PaymentMethod::Token { token_name: "TK-BENCH".into(), masked_card: None },
            customer_email: Some("bench.writer@example.com".into()),
            customer_name: Some("Bench Writer".into()),
            description: Some("write cost".into()),
            operator: "bench".into(),
            terminal: "desk-1".into(),
            created_at: Utc::now(),
            extra: Extra::new(),
            lease: None,
            batch_row: None,
        };
        let id = journal.record_order_intent(&order)?;
        let result = OpResult {
            state: OpState::Approved,
            response_code: Some("14000".into()),
            response_message: Some("Success".into()),
            note: None,
            at: Utc::now(),
        };
        let update = OrderUpdate {
            state: Some(OrderState::Captured),
            captured_minor: Some(12_500),
            authorized_minor: Some(12_500),
            ..Default::default()
        };
        journal.record_outcome(id, &result, &update)?;
    }
    let each = started.elapsed() / n;
    println!(
        "  journal writes per charge (intent synced + outcome): {:.0} µs ({n} charges)",
        each.as_secs_f64() * 1e6
    );
    Ok(())
}

fn file_size(path: &Path) -> u64 {
    let side = |suffix: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        std::fs::metadata(PathBuf::from(p)).map(|m| m.len()).unwrap_or(0)
    };
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) + side("-wal")
}

fn main() -> Result<(), Error> {
    let total: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join("moto-terminal-bench");
    let path = dir.join(format!("journal-{total}-v{SCHEMA_VERSION}.sqlite"));
    println!("moto-terminal journal benchmark: {total} orders, schema {SCHEMA_VERSION}, {}", path.display());
    if path.exists() {
        println!("  reusing the journal built earlier (delete it to build it again)");
    } else {
        let started = Instant::now();
        build(&path, total)?;
        println!("  built in {:.1} s", started.elapsed().as_secs_f64());
    }
    let opened = Instant::now();
    let journal = Arc::new(Journal::open(&path)?);
    println!("  opened in {} ms; file {:.0} MB", ms(opened.elapsed()), file_size(&path) as f64 / 1e6);
    let t = targets(&journal)?;
    searches(&journal, &t)?;
    let vault_dir = tempfile::tempdir()?;
    start_up(&journal, vault_dir.path())?;
    writes(&journal)?;
    println!("  file after the run: {:.0} MB", file_size(&path) as f64 / 1e6);
    Ok(())
}
