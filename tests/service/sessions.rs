//! Signed-in sessions in one process (the desktop's case): a change made on another desk
//! applies at the next action, and PIN tries made at once are counted before they are checked.

use super::rig::{PROFILE, Rig};
use moto_terminal::aps::secret::Secret;
use moto_terminal::service::Progress;
use moto_terminal::service::access::Role;

async fn team_of_two(rig: &Rig) {
    let s = &rig.service;
    s.add_operator("root", Role::Admin, &Secret::from("root-pin-1")).await.unwrap();
    s.sign_in("root", &Secret::from("root-pin-1")).await.unwrap();
    s.add_operator("amal", Role::Agent, &Secret::from("amal-pin-3")).await.unwrap();
}

#[tokio::test]
async fn an_operator_disabled_on_another_desk_is_refused_at_the_next_action() {
    let rig = Rig::new().await;
    team_of_two(&rig).await;
    let desk = rig.restart();
    desk.sign_in("amal", &Secret::from("amal-pin-3")).await.unwrap();
    let sale = rig.token_sale("DEMO-VISA-0001", "41.00");
    desk.charge(sale.clone(), &Progress::none()).await.unwrap();
    rig.service.set_operator_disabled("amal", true).await.unwrap();
    let refused =
        desk.charge(rig.token_sale("DEMO-VISA-0001", "42.00"), &Progress::none()).await.unwrap_err();
    assert!(refused.to_string().contains("amal can no longer sign in"), "{refused}");
    assert!(desk.signed_in().is_none(), "signed out");
    let order = rig.journal.search(&Default::default()).unwrap();
    assert_eq!(order.len(), 1, "only the first sale");
    assert_eq!(order[0].profile, PROFILE);
}

#[tokio::test]
async fn pin_tries_made_at_once_count_before_they_are_checked() {
    let rig = Rig::new().await;
    team_of_two(&rig).await;
    let tries: Vec<_> = (0..12)
        .map(|_| {
            let s = rig.restart();
            tokio::spawn(async move { s.sign_in("amal", &Secret::from("guess-guess")).await })
        })
        .collect();
    for t in tries {
        assert!(t.await.unwrap().is_err());
    }
    let checked = rig.service.audit_entries(None, Some("amal".into())).await.unwrap();
    let wrong = checked.iter().filter(|e| e.result == "wrong-pin" || e.action == "lockout").count();
    assert!(wrong <= 5, "at most 5 PINs were checked, not {wrong}: {checked:?}");
    let right = rig.restart().sign_in("amal", &Secret::from("amal-pin-3")).await.unwrap_err();
    assert!(right.to_string().contains("amal is locked"), "{right}");
}
