//! SQLite's write-ahead log stays bounded while reads never pause (checkpoint starvation).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use time::Duration;
use warrant_generators::{family_id, hash_token, random_urlsafe};
use warrant_model::NewAccessToken;

use crate::fixtures::{application, now, scope};
use crate::harness::TestDb;

const TOKENS: usize = 15_000;
/// Each token writes about seven pages (28 KiB) to the log, so without restarts the log
/// reaches about 400 MiB here; the store truncates it to 64 MiB each time it starts over.
const WAL_BOUND_BYTES: u64 = 200 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_starts_over_while_readers_never_pause() {
    let db = Arc::new(TestDb::sqlite().await);
    let wal = db.sqlite_wal().unwrap();
    let app = application(db.store(), "client", None).await;
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (db, stop, client_id) = (db.clone(), stop.clone(), app.client_id.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    db.store()
                        .application_by_client_id(&client_id)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();

    let mut largest = 0;
    for n in 0..TOKENS {
        let token = NewAccessToken {
            token_hash: hash_token(random_urlsafe(32).unwrap().expose()),
            application_id: app.id,
            user_id: None,
            scope: scope("read"),
            resources: Default::default(),
            family: family_id().unwrap(),
            authorization_code_id: None,
            dpop_jkt: None,
            created_at: now(),
            expires_at: now() + Duration::hours(1),
        };
        db.store().create_access_token(&token).await.unwrap();
        if n % 500 == 0 {
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    assert!(
        largest < WAL_BOUND_BYTES,
        "the write-ahead log reached {largest} bytes"
    );
}
