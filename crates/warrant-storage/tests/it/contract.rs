//! The behaviours every `Store` implementation must have.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use warrant_generators::{SealingKey, hash_token};
use warrant_model::{
    ApiToken, ClientAppUrl, ClientSecretHash, Consent, DeviceStatus, Email, NewAccessToken,
    NewAuthorizationCode, NewDeviceAuthorization, NewSession, NewUpstreamConnection, Origin,
    PasswordHash, ProviderKey, Sealed, Secret, SigningAlgorithm, SigningKey, Throttle, ThrottleKey,
    ThrottleKind, UpstreamAccount, UserId, Username,
};
use warrant_storage::prelude::*;
use warrant_storage::{
    AccessTokenFilter, CodeRedemption, DeviceDecision, Expired, Page, StoreError, SyncTo, Unique,
    UserFilter, stored_time,
};

use crate::fixtures::*;
use crate::harness::TestDb;
pub use crate::outbox::*;

fn conflict(result: Result<impl std::fmt::Debug, StoreError>) -> Unique {
    match result {
        Err(StoreError::Conflict(rule)) => rule,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

pub async fn migrations_can_run_twice(db: &TestDb) {
    db.store().migrate().await.unwrap();
    db.store().ping().await.unwrap();
}

pub async fn timestamps_round_trip_at_whole_seconds(db: &TestDb) {
    let s = db.store();
    let precise = OffsetDateTime::now_utc().to_offset(time::macros::offset!(+2));
    let mut new = new_user("timely");
    new.date_joined = precise;
    let user = s.create_user(&new, SyncTo::NOBODY).await.unwrap();
    assert_eq!(user.date_joined, stored_time(precise));
    assert_eq!(user.date_joined.offset(), time::UtcOffset::UTC);
    assert_eq!(user.date_joined.nanosecond(), 0);
}

pub async fn users_crud(db: &TestDb) {
    let s = db.store();
    let alice = user(s, "alice").await;
    let bob = user(s, "bob").await;
    assert_eq!(s.user_by_id(alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(
        s.user_by_username(&Username::parse("bob").unwrap())
            .await
            .unwrap(),
        Some(bob.clone())
    );
    let email = Email::parse("alice@example.com").unwrap();
    assert_eq!(s.user_by_email(&email).await.unwrap(), Some(alice.clone()));
    assert_eq!(
        s.user_by_username(&Username::parse("carol").unwrap())
            .await
            .unwrap(),
        None
    );

    let everyone = UserFilter::default();
    assert_eq!(
        s.list_users(everyone, Page::first(10)).await.unwrap(),
        vec![alice.clone(), bob.clone()]
    );
    let second_page = s
        .list_users(
            everyone,
            Page {
                after: Some(alice.id.0),
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(second_page, vec![bob.clone()]);

    let mut changed = alice.clone();
    changed.first_name = "Alicia".into();
    changed.is_staff = true;
    changed.email = None;
    changed.last_login = Some(now());
    changed.password =
        Some(warrant_model::PasswordHash::parse("pbkdf2_sha256$1$salt$aGFzaA==").unwrap());
    assert_eq!(
        s.update_user(&changed, SyncTo::NOBODY).await.unwrap(),
        changed
    );
    assert_eq!(s.user_by_id(alice.id).await.unwrap(), Some(changed.clone()));
    let staff = UserFilter {
        is_staff: Some(true),
        ..UserFilter::default()
    };
    assert_eq!(
        s.list_users(staff, Page::first(10)).await.unwrap(),
        vec![changed.clone()]
    );
    let inactive = UserFilter {
        is_active: Some(false),
        ..UserFilter::default()
    };
    assert_eq!(
        s.list_users(inactive, Page::first(10)).await.unwrap(),
        Vec::new()
    );

    assert!(s.delete_user(alice.id).await.unwrap());
    assert!(!s.delete_user(alice.id).await.unwrap());
    assert_eq!(s.user_by_id(alice.id).await.unwrap(), None);
    assert!(matches!(
        s.update_user(&changed, SyncTo::NOBODY).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn usernames_and_emails_are_unique(db: &TestDb) {
    let s = db.store();
    user(s, "alice").await;
    let mut same_username = new_user("alice");
    same_username.email = Some(Email::parse("other@example.com").unwrap());
    assert_eq!(
        conflict(s.create_user(&same_username, SyncTo::NOBODY).await),
        Unique::Username
    );
    let mut same_email = new_user("alice2");
    same_email.email = Some(Email::parse("alice@example.com").unwrap());
    assert_eq!(
        conflict(s.create_user(&same_email, SyncTo::NOBODY).await),
        Unique::Email
    );
    for name in ["no-email-1", "no-email-2"] {
        let mut without = new_user(name);
        without.email = None;
        s.create_user(&without, SyncTo::NOBODY).await.unwrap();
    }
}

pub async fn applications_crud(db: &TestDb) {
    let s = db.store();
    let owner = user(s, "owner").await;
    let other = user(s, "other").await;
    let mine = application(s, "client-mine", Some(&owner)).await;
    let theirs = application(s, "client-theirs", Some(&other)).await;
    let operators = application(s, "client-ops", None).await;
    assert_eq!(mine.redirect_uris.len(), 2);
    assert_eq!(mine.grant_types, new_application("x", None).grant_types);
    assert_eq!(
        s.application_by_id(mine.id).await.unwrap(),
        Some(mine.clone())
    );
    assert_eq!(
        s.application_by_client_id(&theirs.client_id).await.unwrap(),
        Some(theirs.clone())
    );

    let all = s.list_applications(None, Page::first(10)).await.unwrap();
    assert_eq!(all, vec![mine.clone(), theirs.clone(), operators.clone()]);
    assert_eq!(
        s.list_applications(Some(owner.id), Page::first(10))
            .await
            .unwrap(),
        vec![mine.clone()]
    );
    assert_eq!(
        s.list_applications(None, Page::first(1)).await.unwrap(),
        vec![mine.clone()]
    );

    let mut changed = mine.clone();
    changed.name = "Renamed".into();
    changed.client_secret = Some(ClientSecretHash::Django(
        PasswordHash::parse("pbkdf2_sha256$1000$salt$aGFzaA==").unwrap(),
    ));
    changed.redirect_uris = vec![redirect("http://127.0.0.1:9000/cb")];
    changed.allowed_origins.clear();
    changed.skip_authorization = true;
    changed.algorithm = None;
    let later = now() + Duration::seconds(5);
    let updated = s.update_application(&changed, later).await.unwrap();
    assert_eq!(updated.updated_at, later);
    assert_eq!(updated.created_at, mine.created_at);
    changed.updated_at = later;
    assert_eq!(updated, changed);

    assert!(s.delete_application(mine.id).await.unwrap());
    assert_eq!(s.application_by_id(mine.id).await.unwrap(), None);
    assert!(!s.delete_application(mine.id).await.unwrap());
}

pub async fn client_ids_are_unique(db: &TestDb) {
    let s = db.store();
    application(s, "same-id", None).await;
    let again = s
        .create_application(&new_application("same-id", None), now())
        .await;
    assert_eq!(conflict(again), Unique::ClientId);
}

pub async fn token_hashes_are_unique(db: &TestDb) {
    let s = db.store();
    let app = application(s, "client", None).await;
    let (access, refresh) = token_pair(s, &app, None, None).await;
    let duplicate = NewAccessToken {
        token_hash: access.token_hash,
        application_id: app.id,
        user_id: None,
        scope: scope("read"),
        resources: Default::default(),
        family: access.family.clone(),
        authorization_code_id: None,
        dpop_jkt: None,
        created_at: now(),
        expires_at: now(),
    };
    assert_eq!(
        conflict(s.create_access_token(&duplicate).await),
        Unique::TokenHash
    );
    let refresh_again = s
        .create_refresh_token(&warrant_model::NewRefreshToken {
            token_hash: refresh.token_hash,
            application_id: app.id,
            user_id: None,
            scope: scope("read"),
            resources: Default::default(),
            family: refresh.family.clone(),
            access_token_id: None,
            auth_time: None,
            dpop_jkt: None,
            created_at: now(),
            expires_at: None,
        })
        .await;
    assert_eq!(conflict(refresh_again), Unique::TokenHash);
    let u = user(s, "u").await;
    let (_, code_hash) = secret();
    s.create_authorization_code(&new_code(&app, &u, code_hash))
        .await
        .unwrap();
    assert_eq!(
        conflict(
            s.create_authorization_code(&new_code(&app, &u, code_hash))
                .await
        ),
        Unique::TokenHash
    );
}

pub async fn authorization_code_is_redeemed_once(db: &TestDb) {
    let s = db.store();
    let u = user(s, "u").await;
    let app = application(s, "client", None).await;
    let (_, hash) = secret();
    let created = s
        .create_authorization_code(&new_code(&app, &u, hash))
        .await
        .unwrap();
    assert_eq!(created.consumed_at, None);
    assert_eq!(created.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    assert!(created.redirect_uri_included);
    let (_, other_hash) = secret();
    let omitted = NewAuthorizationCode {
        redirect_uri_included: false,
        ..new_code(&app, &u, other_hash)
    };
    let omitted = s.create_authorization_code(&omitted).await.unwrap();
    assert!(!omitted.redirect_uri_included);
    assert_eq!(
        created.code_challenge,
        new_code(&app, &u, hash).code_challenge
    );

    let at = now();
    let CodeRedemption::Redeemed(redeemed) = s.redeem_authorization_code(&hash, at).await.unwrap()
    else {
        panic!("first redemption must win");
    };
    assert_eq!(redeemed.consumed_at, Some(at));
    assert_eq!(redeemed.id, created.id);
    assert_eq!(redeemed.resources, new_code(&app, &u, hash).resources);
    let CodeRedemption::AlreadyUsed(used) = s.redeem_authorization_code(&hash, at).await.unwrap()
    else {
        panic!("second redemption must see the code used");
    };
    assert_eq!(used.id, created.id);
    assert_eq!(
        s.redeem_authorization_code(&secret().1, at).await.unwrap(),
        CodeRedemption::Unknown
    );
}

pub async fn racing_redemptions_have_exactly_one_winner(db: &TestDb) {
    let u = user(db.store(), "u").await;
    let app = application(db.store(), "client", None).await;
    for _ in 0..10 {
        let (_, hash) = secret();
        db.store()
            .create_authorization_code(&new_code(&app, &u, hash))
            .await
            .unwrap();
        let race = |store: Arc<dyn Store>| {
            tokio::spawn(async move { store.redeem_authorization_code(&hash, now()).await })
        };
        let (a, b) = (race(db.store.clone()), race(db.store.clone()));
        let outcomes = [a.await.unwrap().unwrap(), b.await.unwrap().unwrap()];
        let winners = outcomes
            .iter()
            .filter(|o| matches!(o, CodeRedemption::Redeemed(_)))
            .count();
        let losers = outcomes
            .iter()
            .filter(|o| matches!(o, CodeRedemption::AlreadyUsed(_)))
            .count();
        assert_eq!((winners, losers), (1, 1), "{outcomes:?}");
    }
}

pub async fn racing_refresh_rotations_have_exactly_one_winner(db: &TestDb) {
    let app = application(db.store(), "client", None).await;
    for _ in 0..10 {
        let (_, refresh) = token_pair(db.store(), &app, None, None).await;
        let race = |store: Arc<dyn Store>| {
            tokio::spawn(async move { store.rotate_refresh_token(refresh.id, now()).await })
        };
        let (a, b) = (race(db.store.clone()), race(db.store.clone()));
        let wins = [a.await.unwrap().unwrap(), b.await.unwrap().unwrap()];
        assert_eq!(wins.iter().filter(|w| **w).count(), 1);
    }
}

pub async fn revoking_a_family_revokes_its_tokens_once(db: &TestDb) {
    let s = db.store();
    let app = application(s, "client", None).await;
    let (access, refresh) = token_pair(s, &app, None, None).await;
    let (other_access, _) = token_pair(s, &app, None, None).await;
    let at = now();
    assert_eq!(s.revoke_family(&refresh.family, at).await.unwrap(), 2);
    assert_eq!(s.revoke_family(&refresh.family, at).await.unwrap(), 0);
    let refresh = s
        .refresh_token_by_hash(&refresh.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refresh.revoked_at, Some(at));
    assert_eq!(refresh.resources, resources("https://api.example.com/"));
    assert!(
        !s.rotate_refresh_token(refresh.id, at).await.unwrap(),
        "a revoked token cannot rotate"
    );
    let access = s
        .access_token_by_hash(&access.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.revoked_at, Some(at));
    assert_eq!(access.resources, resources("https://api.example.com/"));
    let other = s
        .access_token_by_hash(&other_access.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.revoked_at, None);
    assert!(s.revoke_access_token(other.id, at).await.unwrap());
    assert!(!s.revoke_access_token(other.id, at).await.unwrap());
}

pub async fn code_reuse_revokes_the_whole_family(db: &TestDb) {
    let s = db.store();
    let u = user(s, "u").await;
    let app = application(s, "client", Some(&u)).await;
    let (_, hash) = secret();
    let code = s
        .create_authorization_code(&new_code(&app, &u, hash))
        .await
        .unwrap();
    let (first_access, first_refresh) = token_pair(s, &app, Some(&u), Some(code.id)).await;
    // A refresh later in the same family, as rotation would issue it.
    let rotated_access = s
        .create_access_token(&NewAccessToken {
            token_hash: secret().1,
            authorization_code_id: None,
            ..new_access_like(&first_access)
        })
        .await
        .unwrap();
    let rotated_refresh = refresh_in_family(s, &rotated_access, None).await;
    assert_eq!(
        s.refresh_token_by_hash(&rotated_refresh.token_hash)
            .await
            .unwrap()
            .map(|token| token.auth_time),
        Some(Some(rotated_access.created_at)),
        "the authentication time is kept for the grant's ID tokens"
    );
    let (unrelated, _) = token_pair(s, &app, Some(&u), None).await;

    assert_eq!(s.revoke_tokens_from_code(code.id, now()).await.unwrap(), 4);
    for hash in [first_access.token_hash, rotated_access.token_hash] {
        assert!(
            s.access_token_by_hash(&hash)
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
    }
    for hash in [first_refresh.token_hash, rotated_refresh.token_hash] {
        assert!(
            s.refresh_token_by_hash(&hash)
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
    }
    assert!(
        s.access_token_by_hash(&unrelated.token_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none()
    );
    let of_user = AccessTokenFilter {
        user: Some(u.id),
        application: None,
    };
    assert_eq!(
        s.live_access_tokens(of_user, now(), Page::first(10))
            .await
            .unwrap(),
        vec![unrelated.clone()]
    );
    assert_eq!(
        s.access_token_by_id(unrelated.id).await.unwrap(),
        Some(unrelated.clone())
    );
    assert_eq!(s.revoke_family(&unrelated.family, now()).await.unwrap(), 2);
    assert!(
        s.live_access_tokens(of_user, now(), Page::first(10))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.access_token_by_id(i64::MAX).await.unwrap(), None);
}

fn new_access_like(token: &warrant_model::AccessToken) -> NewAccessToken {
    NewAccessToken {
        token_hash: token.token_hash,
        application_id: token.application_id,
        user_id: token.user_id,
        scope: token.scope.clone(),
        resources: Default::default(),
        family: token.family.clone(),
        authorization_code_id: token.authorization_code_id,
        dpop_jkt: None,
        created_at: token.created_at,
        expires_at: token.expires_at,
    }
}

pub fn sealing_key() -> SealingKey {
    SealingKey::derive(&Secret::new("contract-test-secret-key-0123456789".into())).unwrap()
}

/// An API token for `user_id` with the raw `value`, hashed and sealed under `key`.
pub fn api_token(key: &SealingKey, user_id: UserId, value: &str) -> ApiToken {
    ApiToken {
        user_id,
        token_hash: hash_token(value),
        sealed_token: key
            .seal_str("api_token", &Secret::new(value.to_owned()))
            .unwrap(),
        created_at: now(),
    }
}

pub async fn deleting_a_user_cascades_to_everything_they_own(db: &TestDb) {
    let s = db.store();
    let u = user(s, "leaving").await;
    let stays = user(s, "staying").await;
    let owned = application(s, "owned", Some(&u)).await;
    let shared = application(s, "shared", Some(&stays)).await;
    let (_, code_hash) = secret();
    s.create_authorization_code(&new_code(&shared, &u, code_hash))
        .await
        .unwrap();
    let (access, refresh) = token_pair(s, &shared, Some(&u), None).await;
    let (kept_access, _) = token_pair(s, &shared, Some(&stays), None).await;
    s.save_consent(&Consent {
        user_id: u.id,
        application_id: shared.id,
        scope: scope("read"),
        granted_at: now(),
    })
    .await
    .unwrap();
    let (_, session_hash) = secret();
    let session = NewSession {
        key_hash: session_hash,
        user_id: u.id,
        auth_time: now(),
        created_at: now(),
        expires_at: now() + Duration::hours(1),
    };
    s.create_session(&session).await.unwrap();
    let key = sealing_key();
    let (api_value, api_hash) = secret();
    let api = ApiToken {
        user_id: u.id,
        token_hash: api_hash,
        sealed_token: key.seal_str("api_token", &Secret::new(api_value)).unwrap(),
        created_at: now(),
    };
    s.replace_api_token(&api, SyncTo::NOBODY).await.unwrap();
    s.create_connection(&new_connection(u.id, "github", "1"))
        .await
        .unwrap();

    assert!(s.delete_user(u.id).await.unwrap());

    assert_eq!(s.application_by_id(owned.id).await.unwrap(), None);
    assert!(s.application_by_id(shared.id).await.unwrap().is_some());
    assert_eq!(
        s.redeem_authorization_code(&code_hash, now())
            .await
            .unwrap(),
        CodeRedemption::Unknown
    );
    assert_eq!(
        s.access_token_by_hash(&access.token_hash).await.unwrap(),
        None
    );
    assert_eq!(
        s.refresh_token_by_hash(&refresh.token_hash).await.unwrap(),
        None
    );
    assert!(
        s.access_token_by_hash(&kept_access.token_hash)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(s.consent(u.id, shared.id).await.unwrap(), None);
    assert_eq!(s.live_session(&session_hash, now()).await.unwrap(), None);
    assert_eq!(s.api_token_by_hash(&api_hash).await.unwrap(), None);
    assert!(s.connections_of_user(u.id).await.unwrap().is_empty());
}

pub async fn consents_crud(db: &TestDb) {
    let s = db.store();
    let u = user(s, "u").await;
    let app = application(s, "client", None).await;
    assert_eq!(s.consent(u.id, app.id).await.unwrap(), None);
    let first = Consent {
        user_id: u.id,
        application_id: app.id,
        scope: scope("read"),
        granted_at: now(),
    };
    assert_eq!(s.save_consent(&first).await.unwrap(), first);
    let wider = Consent {
        scope: scope("read write"),
        granted_at: now() + Duration::seconds(1),
        ..first.clone()
    };
    s.save_consent(&wider).await.unwrap();
    assert_eq!(s.consent(u.id, app.id).await.unwrap(), Some(wider));
    assert!(s.delete_consent(u.id, app.id).await.unwrap());
    assert_eq!(s.consent(u.id, app.id).await.unwrap(), None);
    let missing_user = Consent {
        user_id: UserId(999_999),
        ..first
    };
    assert!(matches!(
        s.save_consent(&missing_user).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn sessions_expire_and_end(db: &TestDb) {
    let s = db.store();
    let u = user(s, "u").await;
    let start = now();
    let make = |hash, ttl: i64| NewSession {
        key_hash: hash,
        user_id: u.id,
        auth_time: start,
        created_at: start,
        expires_at: start + Duration::seconds(ttl),
    };
    let (live, short) = (secret().1, secret().1);
    assert_eq!(
        s.create_session(&make(live, 3600)).await.unwrap(),
        make(live, 3600)
    );
    s.create_session(&make(short, 10)).await.unwrap();
    assert!(s.live_session(&short, start).await.unwrap().is_some());
    assert_eq!(
        s.live_session(&short, start + Duration::seconds(10))
            .await
            .unwrap(),
        None
    );
    assert!(s.delete_session(&live).await.unwrap());
    assert_eq!(s.live_session(&live, start).await.unwrap(), None);
    s.create_session(&make(secret().1, 60)).await.unwrap();
    assert_eq!(s.delete_sessions_of_user(u.id).await.unwrap(), 2);
}

pub async fn api_tokens_are_replaced_and_unique(db: &TestDb) {
    let s = db.store();
    let (alice, bob) = (user(s, "alice").await, user(s, "bob").await);
    let key = sealing_key();
    let token = |user_id, value: &str| api_token(&key, user_id, value);
    let first = s
        .replace_api_token(&token(alice.id, "first-token-value"), SyncTo::NOBODY)
        .await
        .unwrap();
    let second = s
        .replace_api_token(&token(alice.id, "second-token-value"), SyncTo::NOBODY)
        .await
        .unwrap();
    assert_eq!(
        s.api_token_of_user(alice.id).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(s.api_token_by_hash(&first.token_hash).await.unwrap(), None);
    let found = s
        .api_token_by_hash(&second.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        key.open_str("api_token", &found.sealed_token)
            .unwrap()
            .expose(),
        "second-token-value"
    );
    assert_eq!(
        conflict(
            s.replace_api_token(&token(bob.id, "second-token-value"), SyncTo::NOBODY)
                .await
        ),
        Unique::TokenHash
    );
}

fn new_connection(user: UserId, provider: &str, id: &str) -> NewUpstreamConnection {
    let key = sealing_key();
    NewUpstreamConnection {
        user_id: user,
        account: UpstreamAccount {
            provider: ProviderKey::parse(provider).unwrap(),
            provider_user_id: id.into(),
            access_token: key
                .seal_str("upstream_access_token", &Secret::new("gho_abc".into()))
                .unwrap(),
            refresh_token: None,
            access_token_expires_at: None,
            extra_data: r#"{"login":"octocat"}"#.into(),
            created_at: now(),
        },
    }
}

pub async fn upstream_connections_crud(db: &TestDb) {
    let s = db.store();
    let (u, other) = (user(s, "u").await, user(s, "other").await);
    let github = s
        .create_connection(&new_connection(u.id, "github", "42"))
        .await
        .unwrap();
    s.create_connection(&new_connection(u.id, "gitlab", "42"))
        .await
        .unwrap();
    let taken = s
        .create_connection(&new_connection(other.id, "github", "42"))
        .await;
    assert_eq!(conflict(taken), Unique::UpstreamAccount);
    let key = ProviderKey::parse("github").unwrap();
    assert_eq!(
        s.connection(&key, "42").await.unwrap(),
        Some(github.clone())
    );
    assert_eq!(s.connection(&key, "43").await.unwrap(), None);
    assert_eq!(s.connections_of_user(u.id).await.unwrap().len(), 2);

    let new_access = Sealed::from_bytes(vec![1, 2, 3]);
    let refresh = Sealed::from_bytes(vec![4]);
    let expires = now() + Duration::hours(8);
    assert!(
        s.update_connection_tokens(github.id, &new_access, Some(&refresh), Some(expires), now())
            .await
            .unwrap()
    );
    let updated = s.connection(&key, "42").await.unwrap().unwrap();
    assert_eq!(
        (
            updated.access_token,
            updated.refresh_token,
            updated.access_token_expires_at
        ),
        (new_access, Some(refresh), Some(expires))
    );

    let names: Vec<String> = s
        .providers_in_use()
        .await
        .unwrap()
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(names, ["github", "gitlab"]);
    assert!(
        !s.delete_connection(github.id, other.id).await.unwrap(),
        "only the owner may disconnect"
    );
    assert!(s.delete_connection(github.id, u.id).await.unwrap());
    assert_eq!(s.connection(&key, "42").await.unwrap(), None);
}

pub async fn connected_users_are_created_with_their_connection_or_not_at_all(db: &TestDb) {
    let s = db.store();
    let app = ClientAppUrl::parse("http://app.example/").unwrap();
    let sync = SyncTo {
        client_apps: std::slice::from_ref(&app),
        now: now(),
    };
    let account = new_connection(UserId(0), "github", "42").account;
    let (user, connection) = s
        .create_connected_user(&new_user("octocat"), &account, sync)
        .await
        .unwrap();
    assert_eq!(connection.user_id, user.id);
    assert_eq!(
        s.connection(&account.provider, "42").await.unwrap(),
        Some(connection)
    );
    assert!(
        s.outbox_entry(app.as_str(), user.id)
            .await
            .unwrap()
            .is_some(),
        "queued for client apps in the same transaction"
    );

    // Each broken rule leaves neither a user nor a connection behind.
    let other_account = new_connection(UserId(0), "github", "43").account;
    let mut same_email = new_user("other");
    same_email.email = user.email.clone();
    let mut same_username = new_user("octocat");
    same_username.email = None;
    for (new, account, rule) in [
        (same_username, &other_account, Unique::Username),
        (same_email, &other_account, Unique::Email),
        (new_user("third"), &account, Unique::UpstreamAccount),
    ] {
        let refused = s.create_connected_user(&new, account, SyncTo::NOBODY).await;
        assert_eq!(conflict(refused.map(|(user, _)| user)), rule);
    }
    assert_eq!(
        s.connection(&other_account.provider, "43").await.unwrap(),
        None
    );
    let users = s
        .list_users(UserFilter::default(), Page::first(10))
        .await
        .unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
}

pub async fn signing_keys_crud(db: &TestDb) {
    let s = db.store();
    let key = |kid: &str, age: i64| SigningKey {
        kid: kid.into(),
        algorithm: SigningAlgorithm::ES256,
        private_key: Sealed::from_bytes(vec![7; 32]),
        public_jwk: format!(r#"{{"kid":"{kid}","kty":"EC"}}"#),
        created_at: now() - Duration::days(age),
        retired_at: None,
    };
    s.create_signing_key(&key("old", 10)).await.unwrap();
    let new = s.create_signing_key(&key("new", 0)).await.unwrap();
    assert_eq!(new, key("new", 0));
    assert_eq!(
        conflict(s.create_signing_key(&key("new", 0)).await),
        Unique::KeyId
    );
    let kids: Vec<String> = s
        .signing_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kids, ["new", "old"]);
    assert!(s.retire_signing_key("old", now()).await.unwrap());
    assert!(!s.retire_signing_key("old", now()).await.unwrap());
    assert!(s.signing_keys().await.unwrap()[1].retired_at.is_some());
}

pub async fn device_authorizations_are_decided_and_consumed_once(db: &TestDb) {
    let s = db.store();
    let u = user(s, "u").await;
    let app = application(s, "tv", None).await;
    let new = |device, user_code| NewDeviceAuthorization {
        device_code_hash: device,
        user_code_hash: user_code,
        application_id: app.id,
        scope: scope("read"),
        interval_seconds: 5,
        created_at: now(),
        expires_at: now() + Duration::minutes(10),
    };
    let (device_hash, user_code_hash) = (secret().1, hash_token("WDJB-MJHT"));
    let created = s
        .create_device_authorization(&new(device_hash, user_code_hash))
        .await
        .unwrap();
    assert_eq!(created.status, DeviceStatus::Pending);
    assert_eq!(
        s.device_by_user_code(&user_code_hash).await.unwrap(),
        Some(created.clone())
    );
    assert!(
        !s.consume_device(created.id).await.unwrap(),
        "pending cannot be consumed"
    );
    let logged_in_at = now() - Duration::minutes(5);
    assert!(
        s.decide_device(
            created.id,
            DeviceDecision::Approve {
                user: u.id,
                auth_time: logged_in_at
            }
        )
        .await
        .unwrap()
    );
    assert!(
        !s.decide_device(created.id, DeviceDecision::Deny)
            .await
            .unwrap(),
        "decided once"
    );
    let polled_at = now();
    s.record_device_poll(created.id, polled_at).await.unwrap();
    let approved = s
        .device_by_device_code(&device_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            approved.status,
            approved.user_id,
            approved.last_polled_at,
            approved.auth_time
        ),
        (
            DeviceStatus::Approved,
            Some(u.id),
            Some(polled_at),
            Some(logged_in_at)
        )
    );
    assert!(s.consume_device(created.id).await.unwrap());
    assert!(!s.consume_device(created.id).await.unwrap());
    assert_eq!(
        s.device_by_device_code(&device_hash)
            .await
            .unwrap()
            .unwrap()
            .status,
        DeviceStatus::Consumed
    );
    let taken = s
        .create_device_authorization(&new(secret().1, user_code_hash))
        .await;
    assert_eq!(conflict(taken), Unique::TokenHash);
}

pub async fn no_raw_secret_reaches_the_database(db: &TestDb) {
    let s = db.store();
    let u = user(s, "u").await;
    let key = sealing_key();
    let (client_secret, client_secret_hash) = secret();
    let mut new_app = new_application("client", Some(&u));
    new_app.client_secret = Some(ClientSecretHash::Sha256(client_secret_hash));
    let app = s.create_application(&new_app, now()).await.unwrap();
    let (code, code_hash) = secret();
    let code_row = s
        .create_authorization_code(&new_code(&app, &u, code_hash))
        .await
        .unwrap();
    let (access, access_hash) = secret();
    let issued = s
        .create_access_token(&NewAccessToken {
            token_hash: access_hash,
            application_id: app.id,
            user_id: Some(u.id),
            scope: scope("read"),
            resources: Default::default(),
            family: warrant_generators::family_id().unwrap(),
            authorization_code_id: Some(code_row.id),
            dpop_jkt: None,
            created_at: now(),
            expires_at: now() + Duration::hours(1),
        })
        .await
        .unwrap();
    let (refresh, refresh_hash) = secret();
    refresh_in_family(s, &issued, Some(refresh_hash)).await;
    let (api, api_hash) = secret();
    let sealed_api = key
        .seal_str("api_token", &Secret::new(api.clone()))
        .unwrap();
    s.replace_api_token(
        &ApiToken {
            user_id: u.id,
            token_hash: api_hash,
            sealed_token: sealed_api,
            created_at: now(),
        },
        SyncTo::NOBODY,
    )
    .await
    .unwrap();
    let (session, session_hash) = secret();
    s.create_session(&NewSession {
        key_hash: session_hash,
        user_id: u.id,
        auth_time: now(),
        created_at: now(),
        expires_at: now() + Duration::hours(1),
    })
    .await
    .unwrap();
    let (upstream, _) = secret();
    let mut connection = new_connection(u.id, "github", "7");
    connection.account.access_token = key
        .seal_str("upstream_access_token", &Secret::new(upstream.clone()))
        .unwrap();
    s.create_connection(&connection).await.unwrap();

    let dump = db.dump().await;
    let contains = |needle: &str| dump.windows(needle.len()).any(|w| w == needle.as_bytes());
    // The dump is real: the hashes are in it.
    assert!(
        contains(&access_hash.to_hex()),
        "dump does not show stored rows"
    );
    for (what, value) in [
        ("client secret", client_secret),
        ("authorization code", code),
        ("access token", access),
        ("refresh token", refresh),
        ("API token", api),
        ("session key", session),
        ("upstream token", upstream),
    ] {
        assert!(!contains(&value), "raw {what} found in the database");
    }
}

pub async fn closed_store_reports_unavailable(db: &TestDb) {
    let s = db.store();
    s.close().await;
    assert!(matches!(s.ping().await, Err(StoreError::Unavailable(_))));
    let lookup = s
        .user_by_username(&Username::parse("anyone").unwrap())
        .await;
    assert!(matches!(lookup, Err(StoreError::Unavailable(_))));
}

pub async fn expired_rows_are_deleted_in_batches(db: &TestDb) {
    use warrant_storage::Expired;
    let s = db.store();
    let u = user(s, "u").await;
    let app = application(s, "client", None).await;
    let start = now();
    let past = start - Duration::seconds(10);
    let mut expired_code = new_code(&app, &u, secret().1);
    expired_code.expires_at = past;
    s.create_authorization_code(&expired_code).await.unwrap();
    let live_code = secret().1;
    s.create_authorization_code(&new_code(&app, &u, live_code))
        .await
        .unwrap();

    let (expired_access, kept_refresh) = token_pair(s, &app, Some(&u), None).await;
    let expired = NewAccessToken {
        token_hash: secret().1,
        expires_at: past,
        ..new_access_like(&expired_access)
    };
    let expired_access = s.create_access_token(&expired).await.unwrap();
    let (live_access, revoked_refresh) = token_pair(s, &app, Some(&u), None).await;
    s.revoke_family(&revoked_refresh.family, start)
        .await
        .unwrap();
    s.rotate_refresh_token(kept_refresh.id, start)
        .await
        .unwrap();
    let session = |hash, expires_at| NewSession {
        key_hash: hash,
        user_id: u.id,
        auth_time: start,
        created_at: start,
        expires_at,
    };
    let live_session = secret().1;
    s.create_session(&session(secret().1, past)).await.unwrap();
    s.create_session(&session(live_session, start + Duration::hours(1)))
        .await
        .unwrap();

    assert_eq!(
        s.delete_expired(Expired::Sessions, start, 1).await.unwrap(),
        1
    );
    assert_eq!(
        s.delete_expired(Expired::Sessions, start, 1).await.unwrap(),
        0
    );
    assert!(
        s.live_session(&live_session, start)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        s.delete_expired(Expired::AuthorizationCodes, start, 100)
            .await
            .unwrap(),
        1
    );
    assert!(matches!(
        s.redeem_authorization_code(&live_code, start)
            .await
            .unwrap(),
        CodeRedemption::Redeemed(_)
    ));
    assert_eq!(
        s.delete_expired(Expired::RefreshTokens, start, 100)
            .await
            .unwrap(),
        1,
        "only the revoked one"
    );
    assert_eq!(
        s.refresh_token_by_hash(&revoked_refresh.token_hash)
            .await
            .unwrap(),
        None
    );
    assert!(
        s.refresh_token_by_hash(&kept_refresh.token_hash)
            .await
            .unwrap()
            .is_some(),
        "rotated tokens stay for reuse detection"
    );
    // The revoked refresh token's access token was revoked with it but has not expired: it stays.
    assert_eq!(
        s.delete_expired(Expired::AccessTokens, start, 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.access_token_by_hash(&expired_access.token_hash)
            .await
            .unwrap(),
        None
    );
    assert!(
        s.access_token_by_hash(&live_access.token_hash)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        s.delete_expired(Expired::DeviceAuthorizations, start, 100)
            .await
            .unwrap(),
        0
    );
}

pub async fn access_tokens_are_described_in_one_query(db: &TestDb) {
    let s = db.store();
    let mut u = user(s, "described").await;
    let app = application(s, "client", None).await;
    let (with_user, _) = token_pair(s, &app, Some(&u), None).await;
    let (without_user, _) = token_pair(s, &app, None, None).await;
    let described = s
        .describe_access_token(&with_user.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(described.token, with_user);
    assert_eq!(described.client_id, app.client_id);
    assert_eq!(described.user, Some((u.username.clone(), true)));
    assert_eq!(
        s.describe_access_token(&without_user.token_hash)
            .await
            .unwrap()
            .unwrap()
            .user,
        None
    );
    u.is_active = false;
    s.update_user(&u, SyncTo::NOBODY).await.unwrap();
    let deactivated = s
        .describe_access_token(&with_user.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deactivated.user, Some((u.username.clone(), false)));
    assert_eq!(s.describe_access_token(&secret().1).await.unwrap(), None);
}

pub async fn concurrent_access_tokens_each_get_their_own_answer(db: &TestDb) {
    let first = application(db.store(), "first", None).await;
    let second = application(db.store(), "second", None).await;
    let new_token = |application_id| NewAccessToken {
        token_hash: secret().1,
        application_id,
        user_id: None,
        scope: scope("read"),
        resources: Default::default(),
        family: warrant_generators::family_id().unwrap(),
        authorization_code_id: None,
        dpop_jkt: None,
        created_at: now(),
        expires_at: now() + Duration::hours(1),
    };
    let taken = new_token(first.id);
    db.store().create_access_token(&taken).await.unwrap();

    // Written at once, so that SQLite's writer batches them; one repeats a taken hash.
    let mut tokens: Vec<NewAccessToken> = (0..120)
        .map(|n| new_token(if n % 2 == 0 { first.id } else { second.id }))
        .collect();
    tokens[60] = NewAccessToken {
        family: warrant_generators::family_id().unwrap(),
        ..taken.clone()
    };
    let writes: Vec<_> = tokens
        .iter()
        .cloned()
        .map(|token| {
            let store = db.store.clone();
            tokio::spawn(async move { store.create_access_token(&token).await })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for (n, (token, write)) in tokens.iter().zip(writes).enumerate() {
        let written = write.await.unwrap();
        if n == 60 {
            assert_eq!(conflict(written), Unique::TokenHash);
            continue;
        }
        let written = written.unwrap();
        assert_eq!(
            (written.token_hash, written.application_id, &written.family),
            (token.token_hash, token.application_id, &token.family)
        );
        assert!(ids.insert(written.id));
        let stored = db
            .store()
            .access_token_by_hash(&token.token_hash)
            .await
            .unwrap();
        assert_eq!(stored, Some(written));
    }
}

pub async fn the_first_api_token_is_kept(db: &TestDb) {
    let s = db.store();
    let alice = user(s, "alice").await;
    let key = sealing_key();
    let token = |value: &str| api_token(&key, alice.id, value);
    let first = s
        .keep_first_api_token(&token("first-token-value"))
        .await
        .unwrap();
    assert_eq!(first.token_hash, hash_token("first-token-value"));
    let again = s
        .keep_first_api_token(&token("later-token-value"))
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(
        s.api_token_by_hash(&hash_token("later-token-value"))
            .await
            .unwrap(),
        None
    );
}

pub async fn allowed_origins_are_listed_once_each(db: &TestDb) {
    let s = db.store();
    assert_eq!(s.allowed_origins().await.unwrap(), Vec::new());
    let first = application(s, "client-one", None).await;
    application(s, "client-two", None).await;
    let mut without = new_application("client-none", None);
    without.allowed_origins = Vec::new();
    s.create_application(&without, now()).await.unwrap();
    let mut several = first.clone();
    several
        .allowed_origins
        .push(Origin::parse("http://127.0.0.1:3000").unwrap());
    s.update_application(&several, now()).await.unwrap();
    assert_eq!(
        s.allowed_origins().await.unwrap(),
        vec![
            Origin::parse("http://127.0.0.1:3000").unwrap(),
            Origin::parse("https://app.example.com").unwrap(),
        ]
    );
}

pub async fn throttles_count_lock_forget_and_clear(db: &TestDb) {
    let s = db.store();
    let t0 = now();
    let at = |seconds| t0 + Duration::seconds(seconds);
    let hour = Duration::hours(1);
    let alice = ThrottleKey::new(ThrottleKind::Account, "Alice");
    assert_eq!(
        alice.subject, "alice",
        "login names are compared lower-cased"
    );
    let address = ThrottleKey::new(ThrottleKind::LoginAddress, "192.0.2.7");
    async fn one(s: &dyn Store, key: &ThrottleKey, at: OffsetDateTime) -> Option<Throttle> {
        let mut found = s.throttles(key, None, at).await.unwrap();
        assert!(found.len() <= 1);
        found.pop()
    }
    assert_eq!(one(s, &alice, t0).await, None);
    for expected in 1..=3 {
        assert_eq!(
            s.record_failure(&alice, at(expected), hour).await.unwrap(),
            expected as u32
        );
    }
    assert_eq!(
        s.record_failure(&address, at(3), hour).await.unwrap(),
        1,
        "counted apart"
    );
    s.lock(&alice, at(60), false).await.unwrap();
    let both = s.throttles(&alice, Some(&address), at(10)).await.unwrap();
    assert_eq!(both.len(), 2, "both keys read at once");
    let locked = one(s, &alice, at(10)).await.unwrap();
    assert_eq!(
        (locked.failures, locked.locked_until, locked.permanent),
        (3, Some(at(60)), false)
    );
    // A quiet spell longer than the window forgets the count and the lock.
    assert_eq!(one(s, &alice, at(3 + 3600)).await, None);
    assert_eq!(
        s.record_failure(&alice, at(3 + 3600), hour).await.unwrap(),
        1
    );
    assert_eq!(
        one(s, &alice, at(3 + 3600)).await.unwrap().locked_until,
        None
    );

    // A permanent lock outlives the window until it is cleared.
    s.lock(&alice, at(3700), true).await.unwrap();
    let far = at(100_000);
    assert!(one(s, &alice, far).await.unwrap().permanent);
    assert_eq!(
        s.delete_expired(Expired::Throttles, far, 10).await.unwrap(),
        1,
        "the address's count goes"
    );
    let listed = s.list_throttles(None, None, far, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, alice);
    let by_subject = |subject| s.list_throttles(None, Some(subject), far, 10);
    assert_eq!(by_subject("ALICE").await.unwrap(), listed, "as typed");
    assert!(by_subject("bob").await.unwrap().is_empty());
    assert!(s.clear_throttle(&alice).await.unwrap());
    assert!(!s.clear_throttle(&alice).await.unwrap());
    assert!(
        s.list_throttles(Some(ThrottleKind::Account), None, far, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn racing_failures_all_count(db: &TestDb) {
    let store = db.store.clone();
    let key = ThrottleKey::new(ThrottleKind::Client, "client-id");
    let at = now();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, key) = (store.clone(), key.clone());
            tokio::spawn(async move {
                store
                    .record_failure(&key, at, Duration::hours(1))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.unwrap());
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<u32>>());
}

pub async fn imports_keep_ids_refuse_conflicts_and_change_nothing_twice(db: &TestDb) {
    use warrant_model::{ClientId, User};
    use warrant_storage::{ImportedApplication, ImportedToken, ImportedUser, Outcome};
    let s = db.store();
    let here = user(s, "here").await;
    let imported_user = |id: i64, name: &str, hash: &str| ImportedUser {
        user: User {
            id: UserId(id),
            username: Username::parse(name).unwrap(),
            email: None,
            first_name: String::new(),
            last_name: String::new(),
            password: Some(PasswordHash::parse(hash).unwrap()),
            is_active: true,
            is_staff: false,
            is_superuser: false,
            date_joined: now(),
            last_login: None,
        },
        password_digest: Some(hash_token(hash)),
    };
    let dora = imported_user(here.id.0 + 40, "dora", "argon2$old");
    let application = ImportedApplication {
        application: new_application("moved", Some(&dora.user)),
        created_at: now(),
        updated_at: now(),
    };
    let (_, token_hash) = secret();
    let token = ImportedToken {
        token_hash,
        client_id: application.application.client_id.clone(),
        user_id: Some(dora.user.id),
        scope: scope("read"),
        family: warrant_model::FamilyId::new("dot-family".into()),
        created_at: now(),
        expires_at: Some(now() + Duration::hours(1)),
        revoked_at: None,
        resources: resources("https://api.example.com/"),
        access_token_hash: None,
    };
    let write_all = || async {
        let mut tx = s.begin_import().await.unwrap();
        let users = [
            dora.clone(),
            imported_user(here.id.0, "not-here", "x$y"),
            imported_user(here.id.0 + 41, "here", "x$y"),
        ];
        let mut outcomes = tx.users(&users).await.unwrap();
        outcomes.push(tx.application(&application).await.unwrap());
        outcomes.extend(
            tx.access_tokens(std::slice::from_ref(&token))
                .await
                .unwrap(),
        );
        tx.commit().await.unwrap();
        outcomes
    };

    let rolled_back = {
        let mut tx = s.begin_import().await.unwrap();
        let outcomes = tx.users(std::slice::from_ref(&dora)).await.unwrap();
        tx.roll_back().await.unwrap();
        outcomes
    };
    assert_eq!(rolled_back, [Outcome::Imported]);
    assert_eq!(
        s.user_by_id(dora.user.id).await.unwrap(),
        None,
        "rolled back"
    );

    let first = write_all().await;
    assert_eq!(first[0], Outcome::Imported);
    assert!(matches!(&first[1], Outcome::Refused(why) if why.contains("belongs to another user")));
    assert!(matches!(&first[2], Outcome::Refused(why) if why.contains("username here")));
    assert_eq!(&first[3..], [Outcome::Imported, Outcome::Imported]);
    let kept = s.user_by_id(dora.user.id).await.unwrap().unwrap();
    assert_eq!(kept.username.as_str(), "dora", "the id is kept");
    let app = s
        .application_by_client_id(&application.application.client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.owner, Some(dora.user.id));
    let imported = s.access_token_by_hash(&token_hash).await.unwrap().unwrap();
    assert_eq!(imported.user_id, Some(dora.user.id));
    assert_eq!(imported.resources, token.resources, "its audience is kept");
    let later = user(s, "later").await;
    assert!(later.id > dora.user.id, "new ids come after imported ones");

    // Re-hashed here: a second import keeps it, and changes nothing else.
    let mut rehashed = kept.clone();
    rehashed.password = Some(PasswordHash::parse("pbkdf2_sha256$1000$s$h").unwrap());
    s.update_user(&rehashed, warrant_storage::SyncTo::NOBODY)
        .await
        .unwrap();
    let second = write_all().await;
    assert_eq!(second[0], Outcome::Unchanged);
    assert_eq!(&second[3..], [Outcome::Unchanged, Outcome::Unchanged]);
    assert_eq!(
        s.user_by_id(dora.user.id).await.unwrap().unwrap().password,
        rehashed.password
    );

    // Changed on the other site since: the other site's password wins, a revocation lands.
    let changed = imported_user(dora.user.id.0, "dora", "argon2$new");
    let revoked = ImportedToken {
        revoked_at: Some(now()),
        ..token.clone()
    };
    let mut tx = s.begin_import().await.unwrap();
    assert_eq!(
        tx.users(std::slice::from_ref(&changed)).await.unwrap(),
        [Outcome::Updated]
    );
    let orphan = ImportedToken {
        token_hash: secret().1,
        client_id: ClientId::parse("never-imported").unwrap(),
        ..token.clone()
    };
    let outcomes = tx.access_tokens(&[revoked, orphan]).await.unwrap();
    assert_eq!(outcomes[0], Outcome::Updated);
    assert!(matches!(outcomes[1], Outcome::Refused(_)));
    tx.commit().await.unwrap();
    assert_eq!(
        s.user_by_id(dora.user.id).await.unwrap().unwrap().password,
        changed.user.password
    );
    assert!(
        s.access_token_by_hash(&token_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
}

pub async fn client_registrations_are_managed_by_their_token_and_unused_ones_removed(db: &TestDb) {
    let s = db.store();
    let registered = application(s, "registered", None).await;
    let used = application(s, "used", None).await;
    let by_hand = application(s, "by-hand", None).await;
    let (_, token_hash) = secret();
    let registration = warrant_model::ClientRegistration {
        application_id: registered.id,
        token_hash,
        metadata: r#"{"client_name":"MCP client"}"#.into(),
        registered_from: "192.0.2.7".into(),
        created_at: now(),
    };
    assert_eq!(
        s.create_registration(&registration).await.unwrap(),
        registration
    );
    let again = warrant_model::ClientRegistration {
        application_id: used.id,
        ..registration.clone()
    };
    assert_eq!(
        conflict(s.create_registration(&again).await),
        Unique::TokenHash
    );
    let (_, used_hash) = secret();
    s.create_registration(&warrant_model::ClientRegistration {
        application_id: used.id,
        token_hash: used_hash,
        ..registration.clone()
    })
    .await
    .unwrap();
    token_pair(s, &used, None, None).await;

    assert_eq!(
        s.registration_by_token(&token_hash).await.unwrap(),
        Some(registration.clone())
    );
    assert_eq!(s.registration_of(by_hand.id).await.unwrap(), None);
    let mut listed = s
        .registered_between(registered.id, by_hand.id)
        .await
        .unwrap();
    listed.sort();
    assert_eq!(
        listed,
        vec![registered.id, used.id],
        "not the one made by hand"
    );
    let (_, rotated) = secret();
    assert!(
        s.update_registration(registered.id, r#"{"client_name":"renamed"}"#, &rotated)
            .await
            .unwrap()
    );
    assert_eq!(s.registration_by_token(&token_hash).await.unwrap(), None);
    let updated = s.registration_by_token(&rotated).await.unwrap().unwrap();
    assert_eq!(updated.metadata, r#"{"client_name":"renamed"}"#);

    assert_eq!(
        s.registrations_from("192.0.2.7", now() - Duration::hours(1))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        s.registrations_from("192.0.2.8", now() - Duration::hours(1))
            .await
            .unwrap(),
        0
    );

    // Registered within the last seconds (times are kept to the second, so `now()` itself
    // may already be past them): none before that.
    assert_eq!(
        s.delete_unused_registrations(now() - Duration::seconds(5))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.delete_unused_registrations(now() + Duration::seconds(1))
            .await
            .unwrap(),
        1,
        "only the registered application without tokens"
    );
    assert!(s.application_by_id(registered.id).await.unwrap().is_none());
    assert!(s.application_by_id(used.id).await.unwrap().is_some());
    assert!(s.application_by_id(by_hand.id).await.unwrap().is_some());
}

pub async fn pushed_requests_are_opened_by_their_client_and_used_once(db: &TestDb) {
    let s = db.store();
    let client = application(s, "pusher", None).await;
    let other = application(s, "other", None).await;
    let (_, request_uri_hash) = secret();
    let pushed = warrant_model::PushedRequest {
        request_uri_hash,
        application_id: client.id,
        params: warrant_model::Sealed::from_bytes(vec![1, 2, 3]),
        created_at: now(),
        expires_at: now() + Duration::seconds(60),
        opened_at: None,
    };
    s.create_pushed_request(&pushed).await.unwrap();
    let until = now() + Duration::minutes(10);
    assert_eq!(
        s.open_pushed_request(&request_uri_hash, other.id, now(), until)
            .await
            .unwrap(),
        None,
        "another client's"
    );
    let late = now() + Duration::seconds(61);
    assert_eq!(
        s.open_pushed_request(
            &request_uri_hash,
            client.id,
            late,
            late + Duration::minutes(10)
        )
        .await
        .unwrap(),
        None,
        "unopened past its expiry"
    );
    let opened = s
        .open_pushed_request(&request_uri_hash, client.id, now(), until)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(opened.opened_at, Some(now()));
    assert_eq!(opened.expires_at, until);
    assert_eq!(opened.params, pushed.params);
    // Opened again later: the first opening stays, and so does its lifetime.
    let again = s
        .open_pushed_request(
            &request_uri_hash,
            client.id,
            late,
            late + Duration::hours(1),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.opened_at, again.expires_at), (Some(now()), until));

    assert!(
        s.use_pushed_request(&request_uri_hash, now())
            .await
            .unwrap()
    );
    assert!(
        !s.use_pushed_request(&request_uri_hash, now())
            .await
            .unwrap()
    );
    assert_eq!(
        s.open_pushed_request(&request_uri_hash, client.id, now(), until)
            .await
            .unwrap(),
        None,
        "used"
    );
    let deleted = s
        .delete_expired(Expired::PushedRequests, until + Duration::seconds(1), 100)
        .await
        .unwrap();
    assert_eq!(deleted, 1);
}

pub async fn client_assertion_settings_round_trip_and_jtis_are_used_once(db: &TestDb) {
    let s = db.store();
    let jwks = warrant_model::ClientJwks::parse(
        r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1"}]}"#,
    )
    .unwrap();
    let mut new = new_application("asserting", None);
    new.security = warrant_model::ClientSecurity {
        require_pushed_requests: true,
        auth_method: Some(warrant_model::AuthMethod::PrivateKeyJwt),
        keys: Some(warrant_model::ClientKeys::Jwks(jwks)),
        require_dpop: true,
        profile: Some(warrant_model::SecurityProfile::Fapi2),
    };
    let mut app = s.create_application(&new, now()).await.unwrap();
    assert_eq!(app.security, new.security);
    app.security.auth_method = Some(warrant_model::AuthMethod::ClientSecretJwt);
    app.security.keys =
        Some(warrant_model::ClientKeys::uri("https://client.example/jwks").unwrap());
    app.sealed_secret = Some(warrant_model::Sealed::from_bytes(vec![9, 8, 7]));
    s.update_application(&app, now()).await.unwrap();
    let read = s.application_by_id(app.id).await.unwrap().unwrap();
    assert_eq!(
        (read.security, read.sealed_secret),
        (app.security, app.sealed_secret)
    );

    let (_, jti) = secret();
    let expires_at = now() + Duration::seconds(60);
    assert!(s.first_use(&jti, expires_at).await.unwrap());
    assert!(!s.first_use(&jti, expires_at).await.unwrap(), "a replay");
    let deleted = s
        .delete_expired(
            Expired::UsedAssertions,
            expires_at + Duration::seconds(1),
            100,
        )
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    assert!(
        s.first_use(&jti, expires_at).await.unwrap(),
        "forgotten once expired"
    );
}
