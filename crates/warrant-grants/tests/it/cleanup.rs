//! `clear_expired`: what it deletes, and that it does so in small statements.

use time::Duration;
use warrant_grants::{AuditPolicy, clear_expired};
use warrant_storage::Expired;

use crate::support::{World, now};

/// Every expired token goes, but the first statement deletes at most 100 of them however
/// large the batch size: on SQLite a statement holds the one writer, and a 10,000-row one
/// stalled token issuance for about a second (docs/benchmarks.md).
#[tokio::test]
async fn expired_tokens_are_deleted_in_statements_that_start_small() {
    let world = World::new().await;
    let client = world.confidential().await;
    for _ in 0..250 {
        world.client_credentials_token(&client).await;
    }
    let mut seen = Vec::new();
    let later = now() + Duration::days(2);
    let cleared = clear_expired(
        &world.store,
        later,
        10_000,
        AuditPolicy::default(),
        |kind, so_far| {
            if kind == Expired::AccessTokens {
                seen.push(so_far);
            }
        },
    )
    .await
    .unwrap();

    assert!(
        cleared.0.contains(&(Expired::AccessTokens, 250)),
        "{cleared:?}"
    );
    assert_eq!(seen.last(), Some(&250));
    assert!(seen[0] <= 100, "the first statement deleted {}", seen[0]);
    let again = clear_expired(
        &world.store,
        later,
        10_000,
        AuditPolicy::default(),
        |_, _| {},
    );
    assert_eq!(again.await.unwrap().total(), 0);
}
