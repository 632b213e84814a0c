//! The mirror store, on SQLite and PostgreSQL.

use time::OffsetDateTime;
use warrant_client_sync::client_app::{MirrorStore, UserRecord};
use warrant_generators::hash_token;

fn record(value: serde_json::Value) -> UserRecord {
    serde_json::from_value(value).unwrap()
}

async fn upserts_are_idempotent_and_keep_only_hashes(store: MirrorStore) {
    let now = OffsetDateTime::now_utc();
    let alice = record(serde_json::json!({
        "username": "alice", "email": "alice@example.com", "first_name": "Alice",
        "is_staff": true, "tokens": { "api_token": "first-api-token" },
    }));
    let first = store.upsert(&alice, now).await.unwrap();
    let again = store.upsert(&alice, now).await.unwrap();
    assert_eq!(first, again, "the same record twice leaves the same row");
    assert!(first.is_active && first.is_staff && !first.is_superuser);

    let by_token = store
        .user_by_api_token(&hash_token("first-api-token"))
        .await
        .unwrap();
    assert_eq!(by_token.as_ref().map(|u| u.id), Some(first.id));

    // A record without a token keeps the mirrored one; a new token replaces it.
    let renamed = record(serde_json::json!({ "username": "alice", "first_name": "Alicia" }));
    let changed = store.upsert(&renamed, now).await.unwrap();
    assert_eq!(
        (
            changed.id,
            changed.first_name.as_str(),
            changed.email.as_str()
        ),
        (first.id, "Alicia", "")
    );
    assert!(
        store
            .user_by_api_token(&hash_token("first-api-token"))
            .await
            .unwrap()
            .is_some()
    );
    let replaced = record(serde_json::json!({
        "username": "alice", "is_active": false, "tokens": { "api_token": "second-api-token" },
    }));
    assert!(!store.upsert(&replaced, now).await.unwrap().is_active);
    assert_eq!(
        store
            .user_by_api_token(&hash_token("first-api-token"))
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .user_by_api_token(&hash_token("second-api-token"))
            .await
            .unwrap()
            .is_some()
    );
}

async fn users_are_found_by_username_or_email(store: MirrorStore) {
    let now = OffsetDateTime::now_utc();
    let bob = store
        .upsert(
            &record(serde_json::json!({ "username": "bob", "email": "bob@example.com" })),
            now,
        )
        .await
        .unwrap();
    // carol's username is bob's email: a username wins over an email.
    let carol = store
        .upsert(
            &record(serde_json::json!({ "username": "bob@example.com" })),
            now,
        )
        .await
        .unwrap();
    assert_eq!(store.user_by_login("bob").await.unwrap(), Some(bob.clone()));
    assert_eq!(
        store.user_by_login("bob@example.com").await.unwrap(),
        Some(carol.clone())
    );
    assert_eq!(
        store.user_by_login("").await.unwrap().map(|u| u.id),
        None,
        "no empty email match"
    );
    assert_eq!(store.user_by_login("nobody").await.unwrap(), None);

    let token = store.create_app_token(bob.id, now).await.unwrap();
    assert_eq!(
        store
            .user_by_app_token(&hash_token(token.expose()))
            .await
            .unwrap(),
        Some(bob)
    );
    assert_eq!(
        store.user_by_app_token(&hash_token("other")).await.unwrap(),
        None
    );
    // Migrating again changes nothing.
    store.migrate().await.unwrap();
}

macro_rules! on_both {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::$name(crate::sqlite_mirror().await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                let Some(scratch) = crate::postgres_mirror().await else { return };
                super::$name(scratch.store.clone()).await;
                scratch.drop().await;
            })*
        }
    };
}

on_both!(
    upserts_are_idempotent_and_keep_only_hashes,
    users_are_found_by_username_or_email
);

#[cfg(unix)]
#[tokio::test]
async fn an_sqlite_mirror_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(crate::unique_name());
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mirror.db");
    let store = MirrorStore::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let _ = std::fs::remove_dir_all(dir);
}
