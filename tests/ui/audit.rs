//! A desk whose audit trail was changed outside moto-terminal: its next actions go ahead (the
//! journal has them), their entries are not appended over the change, and the banner says the
//! trail is not being written until an entry is again.

use super::{FakeDialogs, UiRig, shows};
use moto_terminal::aps::response::Kind;
use moto_terminal::service::Progress;

fn charge(ui: &UiRig, amount: &str) {
    let sale = ui.rig.token_sale("DEMO-VISA-0001", amount);
    let outcome = ui.rt.block_on(ui.rig.service.charge(sale, &Progress::none())).unwrap();
    assert_eq!(outcome.verdict.kind, Kind::Approved);
}

#[test]
fn a_trail_cut_back_from_its_end_is_named_in_the_banner_and_not_appended_to() {
    let ui = UiRig::new();
    charge(&ui, "5.00");
    charge(&ui, "6.00");
    assert_eq!(ui.rig.service.audit_failure(), None, "the trail is written");
    let harness = ui.app(FakeDialogs::default());
    assert!(!shows(&harness, "Audit trail not written"));

    // Someone with the journal file removes the last entry, the append-only guard taken off.
    let file = ui.rig.dir.path().join("journal.sqlite3");
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;").unwrap();
    let entries = || conn.query_row("SELECT count(*) FROM audit", [], |r| r.get::<_, i64>(0)).unwrap();
    conn.execute_batch("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit);").unwrap();
    let left = entries();

    // The next sale is charged and journaled; its entry would hide the removal, so it is not
    // appended, and the desk is told.
    charge(&ui, "7.00");
    assert_eq!(entries(), left, "nothing appended after the cut");
    let why = ui.rig.service.audit_failure().expect("the failure is kept");
    assert!(why.contains("changed outside moto-terminal"), "{why}");
    let mut harness = ui.app(FakeDialogs::default());
    harness.run();
    assert!(shows(&harness, "Audit trail not written: tell a supervisor"), "the banner says so");
}
