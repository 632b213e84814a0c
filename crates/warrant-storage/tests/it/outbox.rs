//! The client-sync outbox's contract: marks written with user changes, exclusive claims,
//! settling, backoff, death and revival.

use std::collections::HashSet;

use time::Duration;
use warrant_model::{ClientAppUrl, OutboxEntry, UserId};
use warrant_storage::prelude::*;
use warrant_storage::{StoreError, SyncTo};

use crate::contract::{api_token, sealing_key};
use crate::fixtures::*;
use crate::harness::TestDb;

/// Two client apps and the time of the first change.
struct Fixture {
    apps: Vec<ClientAppUrl>,
    t0: time::OffsetDateTime,
}

impl Fixture {
    fn new() -> Self {
        Self {
            apps: [A, B]
                .iter()
                .map(|url| ClientAppUrl::parse(url).unwrap())
                .collect(),
            t0: now(),
        }
    }

    fn sync(&self) -> SyncTo<'_> {
        SyncTo {
            client_apps: &self.apps,
            now: self.t0,
        }
    }
}

const A: &str = "http://a.example/";
const B: &str = "http://b.example/sync/";

async fn entry(s: &dyn Store, target: &str, user: UserId) -> OutboxEntry {
    s.outbox_entry(target, user).await.unwrap().unwrap()
}

async fn claim(s: &dyn Store, target: &str, at: time::OffsetDateTime) -> Vec<OutboxEntry> {
    s.claim_outbox_entries(target, at, at + Duration::seconds(30), 10)
        .await
        .unwrap()
}

pub async fn user_writes_mark_every_client_app(db: &TestDb) {
    let s = db.store();
    let fixture = Fixture::new();
    let (t0, sync) = (fixture.t0, fixture.sync());
    let alice = s.create_user(&new_user("alice"), sync).await.unwrap();
    for target in [A, B] {
        let row = entry(s, target, alice.id).await;
        assert_eq!(
            (row.version, row.pending_since, row.next_attempt_at),
            (1, Some(t0), t0)
        );
    }

    let mut renamed = alice.clone();
    renamed.first_name = "Alicia".into();
    s.update_user(&renamed, sync).await.unwrap();
    let key = sealing_key();
    s.replace_api_token(&api_token(&key, alice.id, "a-token-value"), sync)
        .await
        .unwrap();
    assert_eq!(entry(s, A, alice.id).await.version, 3);
    // Writes client apps need not hear of leave the rows alone.
    renamed.last_login = Some(t0);
    s.update_user(&renamed, SyncTo::NOBODY).await.unwrap();
    assert_eq!(entry(s, B, alice.id).await.version, 3);

    // A write that fails marks nobody.
    let taken = s.create_user(&new_user("alice"), sync).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))));
    let bob = s
        .create_user(&new_user("bob"), SyncTo::NOBODY)
        .await
        .unwrap();
    let stolen = s
        .replace_api_token(&api_token(&key, bob.id, "a-token-value"), sync)
        .await;
    assert!(matches!(stolen, Err(StoreError::Conflict(_))));
    assert_eq!(s.outbox_entry(A, bob.id).await.unwrap(), None);

    // A client app added later catches up with everyone.
    assert_eq!(s.mark_all_users_for_sync(sync).await.unwrap(), 2);
    assert_eq!(entry(s, A, bob.id).await.version, 1);
    let status = s.outbox_status().await.unwrap();
    assert_eq!(
        status
            .iter()
            .map(|t| (t.target.as_str(), t.pending, t.dead))
            .collect::<Vec<_>>(),
        vec![(A, 2, 0), (B, 2, 0)]
    );

    assert!(s.delete_user(alice.id).await.unwrap());
    assert_eq!(s.outbox_entry(A, alice.id).await.unwrap(), None);
}

pub async fn claims_are_exclusive_until_settled_or_expired(db: &TestDb) {
    let s = db.store();
    let fixture = Fixture::new();
    let (t0, sync) = (fixture.t0, fixture.sync());
    let alice = s.create_user(&new_user("alice"), sync).await.unwrap();

    let claimed = claim(s, A, t0).await;
    assert_eq!(claimed.len(), 1);
    assert!(claim(s, A, t0).await.is_empty(), "claimed twice");
    assert_eq!(claim(s, B, t0).await.len(), 1, "targets are independent");
    // A sender that died releases its rows when the claim runs out.
    let later = t0 + Duration::seconds(30);
    assert_eq!(claim(s, A, later).await.len(), 1);

    assert!(
        s.settle_outbox_delivery(claimed[0].id, 1, later)
            .await
            .unwrap()
    );
    let settled = entry(s, A, alice.id).await;
    assert_eq!(
        (settled.pending_since, settled.delivered_at),
        (None, Some(later))
    );
    assert!(claim(s, A, later + Duration::days(1)).await.is_empty());
}

pub async fn a_change_during_delivery_is_sent_again(db: &TestDb) {
    let s = db.store();
    let fixture = Fixture::new();
    let (t0, sync) = (fixture.t0, fixture.sync());
    let alice = s.create_user(&new_user("alice"), sync).await.unwrap();
    let in_flight = claim(s, A, t0).await.remove(0);

    let mut renamed = alice.clone();
    renamed.last_name = "Changed".into();
    s.update_user(&renamed, sync).await.unwrap();
    // Delivering version 1 does not settle version 2: the row is due again at once.
    let t1 = t0 + Duration::seconds(1);
    assert!(
        !s.settle_outbox_delivery(in_flight.id, in_flight.version, t1)
            .await
            .unwrap()
    );
    let again = claim(s, A, t1).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].version, 2);
    assert!(s.settle_outbox_delivery(again[0].id, 2, t1).await.unwrap());
    assert!(matches!(
        s.settle_outbox_delivery(-1, 1, t1).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn failures_back_off_then_die_until_retried(db: &TestDb) {
    let s = db.store();
    let fixture = Fixture::new();
    let (t0, sync) = (fixture.t0, fixture.sync());
    let alice = s.create_user(&new_user("alice"), sync).await.unwrap();
    let row = claim(s, A, t0).await.remove(0);

    let retry_at = t0 + Duration::seconds(60);
    assert!(
        s.record_outbox_failure(row.id, "503 Service Unavailable", Some(retry_at), t0)
            .await
            .unwrap()
    );
    assert!(claim(s, A, t0 + Duration::seconds(59)).await.is_empty());
    let status = s.outbox_status().await.unwrap();
    assert_eq!(
        (status[0].pending, status[0].last_error.as_deref()),
        (1, Some("503 Service Unavailable"))
    );
    // `sync retry` skips the wait.
    assert_eq!(s.retry_outbox(false, Some(A), t0).await.unwrap(), 1);
    let row = claim(s, A, t0).await.remove(0);
    assert_eq!(row.attempts, 1);

    assert!(
        s.record_outbox_failure(row.id, "connection refused", None, t0)
            .await
            .unwrap()
    );
    let dead = entry(s, A, alice.id).await;
    assert_eq!((dead.dead_at, dead.attempts), (Some(t0), 2));
    assert!(claim(s, A, t0 + Duration::days(30)).await.is_empty());
    let status = s.outbox_status().await.unwrap();
    assert_eq!((status[0].pending, status[0].dead), (0, 1));
    assert_eq!(s.retry_outbox(false, None, t0).await.unwrap(), 1, "only B");

    // A new change revives a dead row; so does `sync retry --dead`.
    let t1 = t0 + Duration::seconds(5);
    s.update_user(
        &alice,
        SyncTo {
            client_apps: &fixture.apps,
            now: t1,
        },
    )
    .await
    .unwrap();
    let revived = entry(s, A, alice.id).await;
    assert_eq!(
        (revived.dead_at, revived.attempts, revived.pending_since),
        (None, 0, Some(t1))
    );
    let row = claim(s, A, t1).await.remove(0);
    s.record_outbox_failure(row.id, "gave up", None, t1)
        .await
        .unwrap();
    assert_eq!(s.retry_outbox(true, Some(B), t1).await.unwrap(), 0);
    let t2 = t1 + Duration::seconds(5);
    assert_eq!(s.retry_outbox(true, None, t2).await.unwrap(), 1);
    let row = claim(s, A, t2).await.remove(0);
    assert_eq!((row.attempts, row.pending_since), (0, Some(t2)));
}

pub async fn racing_claims_never_share_a_row(db: &TestDb) {
    let s = db.store();
    let fixture = Fixture::new();
    let (t0, sync) = (fixture.t0, fixture.sync());
    for i in 0..40 {
        s.create_user(&new_user(&format!("user{i}")), sync)
            .await
            .unwrap();
    }
    let claim_some = || s.claim_outbox_entries(A, t0, t0 + Duration::seconds(30), 7);
    let (a, b, c, d) = tokio::join!(claim_some(), claim_some(), claim_some(), claim_some());
    let mut seen = HashSet::new();
    let mut total = 0;
    for batch in [a, b, c, d] {
        for row in batch.unwrap() {
            total += 1;
            assert!(seen.insert(row.id), "row {} claimed twice", row.id);
        }
    }
    assert_eq!(total, 28);
}
