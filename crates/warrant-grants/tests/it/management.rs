//! Registering applications and users.

use std::sync::{Arc, Mutex};

use warrant_generators::{
    Generator, GeneratorError, Generators, GeneratorsConfig, HashingLimits, PasswordHasher,
    PasswordPool, Registry, verify_token,
};
use warrant_grants::*;
use warrant_model::{
    ClientAppUrl, ClientId, ClientType, GrantType, NewSession, Secret, TokenHash, Username,
};
use warrant_storage::prelude::*;
use warrant_storage::{StoreError, Unique};

use crate::support::*;

const CODE: &[GrantType] = &[GrantType::AuthorizationCode];

#[tokio::test]
async fn confidential_registration_returns_the_secret_whose_hash_is_stored() {
    let store = store().await;
    let (app, secret) = register_application(
        &store,
        &generators(),
        registration(ClientType::Confidential, CODE, &["https://a.example/cb"]),
        now(),
    )
    .await
    .unwrap();
    let secret = secret.unwrap();
    assert!(verify_token(secret.expose(), &app.client_secret.unwrap()));
    assert!(!app.pkce_required);
    assert_eq!(
        store
            .application_by_client_id(&app.client_id)
            .await
            .unwrap(),
        Some(app)
    );
}

#[tokio::test]
async fn public_registration_has_no_secret_and_requires_pkce() {
    let store = store().await;
    let (app, secret) = register_application(
        &store,
        &generators(),
        registration(ClientType::Public, CODE, &["com.example:/cb"]),
        now(),
    )
    .await
    .unwrap();
    assert!(secret.is_none() && app.client_secret.is_none());
    assert!(app.pkce_required);
}

#[tokio::test]
async fn registration_rules_are_enforced() {
    let store = store().await;
    let g = generators();
    let no_redirect = register_application(
        &store,
        &g,
        registration(ClientType::Confidential, CODE, &[]),
        now(),
    )
    .await;
    assert!(matches!(no_redirect, Err(GrantsError::RedirectUriRequired)));
    let implicit = registration(ClientType::Public, &[GrantType::Implicit], &[]);
    assert!(matches!(
        register_application(&store, &g, implicit, now()).await,
        Err(GrantsError::RedirectUriRequired)
    ));
    let public_cc = registration(ClientType::Public, &[GrantType::ClientCredentials], &[]);
    assert!(matches!(
        register_application(&store, &g, public_cc, now()).await,
        Err(GrantsError::PublicClientCredentials)
    ));
    let mut unnamed = registration(ClientType::Confidential, &[GrantType::Password], &[]);
    unnamed.name = "  ".into();
    assert!(matches!(
        register_application(&store, &g, unnamed, now()).await,
        Err(GrantsError::InvalidName)
    ));
    let password_only = registration(ClientType::Confidential, &[GrantType::Password], &[]);
    assert!(
        register_application(&store, &g, password_only, now())
            .await
            .is_ok(),
        "no redirect needed"
    );
    assert!(
        store
            .list_applications(None, warrant_storage::Page::first(10))
            .await
            .unwrap()
            .len()
            == 1
    );
}

/// Hands out client ids from a script, so collisions can be staged.
struct Scripted(Mutex<Vec<&'static str>>);

impl Generator for Scripted {
    fn generate(&self) -> Result<String, GeneratorError> {
        let mut ids = self.0.lock().unwrap();
        Ok(if ids.len() > 1 { ids.remove(0) } else { ids[0] }.to_owned())
    }
}

fn scripted(ids: Vec<&'static str>) -> Generators {
    let mut registry = Registry::with_builtins();
    let script = Arc::new(Scripted(Mutex::new(ids)));
    registry.register("scripted", move |_| Ok(script.clone()));
    let config: GeneratorsConfig =
        serde_json::from_str(r#"{"client_id": {"kind": "scripted"}}"#).unwrap();
    registry.build(&config).unwrap()
}

#[tokio::test]
async fn a_colliding_client_id_is_replaced_then_reported() {
    let store = store().await;
    let reg = || registration(ClientType::Confidential, &[GrantType::Password], &[]);
    let (first, _) = register_application(&store, &scripted(vec!["taken"]), reg(), now())
        .await
        .unwrap();
    assert_eq!(first.client_id.as_str(), "taken");
    let (second, _) = register_application(&store, &scripted(vec!["taken", "free"]), reg(), now())
        .await
        .unwrap();
    assert_eq!(second.client_id.as_str(), "free");
    let stuck = register_application(&store, &scripted(vec!["taken"]), reg(), now()).await;
    assert!(matches!(
        stuck,
        Err(GrantsError::Store(StoreError::Conflict(Unique::ClientId)))
    ));
}

#[tokio::test]
async fn rotating_a_secret_invalidates_the_old_one() {
    let store = store().await;
    let g = generators();
    let (app, old) = register_application(
        &store,
        &g,
        registration(ClientType::Confidential, &[GrantType::Password], &[]),
        now(),
    )
    .await
    .unwrap();
    let new = rotate_client_secret(&store, &g, &app.client_id, now())
        .await
        .unwrap();
    let stored = store
        .application_by_id(app.id)
        .await
        .unwrap()
        .unwrap()
        .client_secret
        .unwrap();
    assert!(verify_token(new.expose(), &stored));
    assert!(!verify_token(old.unwrap().expose(), &stored));

    let unknown = ClientId::parse("unknown").unwrap();
    assert!(matches!(
        rotate_client_secret(&store, &g, &unknown, now()).await,
        Err(GrantsError::UnknownClient(_))
    ));
    let (public, _) = register_application(
        &store,
        &g,
        registration(ClientType::Public, CODE, &["com.example:/cb"]),
        now(),
    )
    .await
    .unwrap();
    let refused = rotate_client_secret(&store, &g, &public.client_id, now()).await;
    assert!(matches!(
        refused,
        Err(GrantsError::PublicClientHasNoSecret(_))
    ));
}

#[tokio::test]
async fn deleting_an_application() {
    let store = store().await;
    let (app, _) = register_application(
        &store,
        &generators(),
        registration(ClientType::Confidential, &[GrantType::Password], &[]),
        now(),
    )
    .await
    .unwrap();
    delete_application(&store, &app.client_id).await.unwrap();
    assert_eq!(store.application_by_id(app.id).await.unwrap(), None);
    assert!(matches!(
        delete_application(&store, &app.client_id).await,
        Err(GrantsError::UnknownClient(_))
    ));
}

fn account(name: &str, password: Option<&str>) -> NewAccount {
    NewAccount {
        username: Username::parse(name).unwrap(),
        email: None,
        password: password.map(|p| Secret::new(p.to_owned())),
        first_name: String::new(),
        last_name: String::new(),
        is_staff: false,
        is_superuser: false,
    }
}

#[tokio::test]
async fn users_get_django_password_hashes_and_unique_names() {
    let store = store().await;
    let hasher = pool();
    let user = create_user(
        &store,
        &hasher,
        account("alice", Some("long-enough")),
        &[],
        now(),
    )
    .await
    .unwrap();
    let hash = user.password.unwrap();
    assert!(hash.as_str().starts_with("pbkdf2_sha256$1000$"));
    assert!(
        hasher
            .hasher()
            .verify(&Secret::new("long-enough".into()), &hash)
    );
    assert!(user.is_active);

    let short = create_user(&store, &hasher, account("bob", Some("short")), &[], now()).await;
    assert!(matches!(short, Err(GrantsError::PasswordTooShort(8))));
    let again = create_user(&store, &hasher, account("alice", None), &[], now()).await;
    assert!(matches!(
        again,
        Err(GrantsError::Store(StoreError::Conflict(Unique::Username)))
    ));
    let passwordless = create_user(&store, &hasher, account("carol", None), &[], now())
        .await
        .unwrap();
    assert_eq!(passwordless.password, None);
}

#[tokio::test]
async fn setting_a_password_ends_the_users_sessions() {
    let store = store().await;
    let (hasher, user, key_hash) = alice_logged_in(&store).await;

    let changed = set_password(
        &store,
        &hasher,
        &user.username,
        &Secret::new("second-password".into()),
    )
    .await
    .unwrap();
    assert!(hasher.hasher().verify(
        &Secret::new("second-password".into()),
        changed.password.as_ref().unwrap()
    ));
    assert!(!hasher.hasher().verify(
        &Secret::new("first-password".into()),
        changed.password.as_ref().unwrap()
    ));
    assert_eq!(store.live_session(&key_hash, now()).await.unwrap(), None);

    let ghost = Username::parse("ghost").unwrap();
    let missing = set_password(
        &store,
        &hasher,
        &ghost,
        &Secret::new("whatever-long".into()),
    )
    .await;
    assert!(matches!(missing, Err(GrantsError::UnknownUser(_))));
    let short = set_password(
        &store,
        &hasher,
        &user.username,
        &Secret::new("short".into()),
    )
    .await;
    assert!(matches!(short, Err(GrantsError::PasswordTooShort(_))));
}

#[tokio::test]
async fn updates_follow_the_registration_rules_and_keep_pkce_for_public_clients() {
    let store = store().await;
    let (app, _) = register_application(
        &store,
        &generators(),
        registration(ClientType::Public, CODE, &["com.example:/cb"]),
        now(),
    )
    .await
    .unwrap();
    let changes = |grants: &[GrantType], redirects: Vec<_>| ApplicationChanges {
        name: "Renamed".into(),
        grant_types: warrant_model::GrantTypes::new(grants.iter().copied()).unwrap(),
        redirect_uris: redirects,
        post_logout_redirect_uris: Vec::new(),
        allowed_origins: Vec::new(),
        pkce_required: false,
        algorithm: Some(warrant_model::SigningAlgorithm::EdDSA),
    };
    let refused = [
        (
            changes(CODE, Vec::new()),
            "the authorization_code and implicit grants need at least one redirect URI",
        ),
        (
            changes(&[GrantType::ClientCredentials], Vec::new()),
            "a public client cannot use the client_credentials grant",
        ),
    ];
    for (change, reason) in refused {
        let error = update_application(&store, app.clone(), change, now())
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), reason);
    }
    let unchanged = store.application_by_id(app.id).await.unwrap().unwrap();
    assert_eq!(unchanged.name, "App");

    let updated = update_application(
        &store,
        app.clone(),
        changes(CODE, app.redirect_uris.clone()),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(updated.name, "Renamed");
    assert!(updated.pkce_required, "public clients always need PKCE");
    assert_eq!(
        updated.algorithm,
        Some(warrant_model::SigningAlgorithm::EdDSA)
    );
    assert_eq!(
        store.application_by_id(app.id).await.unwrap(),
        Some(updated)
    );
}

#[tokio::test]
async fn account_changes_end_sessions_only_for_a_new_password_or_a_deactivation() {
    let store = store().await;
    let (hasher, user, key_hash) = alice_logged_in(&store).await;

    let renamed = AccountChanges {
        first_name: Some("Alice".into()),
        email: Some(None),
        ..AccountChanges::default()
    };
    let changed = update_account(&store, &hasher, user.clone(), renamed, &[], now())
        .await
        .unwrap();
    assert_eq!(
        (changed.first_name.as_str(), changed.email.clone()),
        ("Alice", None)
    );
    assert!(
        store
            .live_session(&key_hash, now())
            .await
            .unwrap()
            .is_some()
    );

    let deactivated = AccountChanges {
        is_active: Some(false),
        ..AccountChanges::default()
    };
    let changed = update_account(&store, &hasher, changed, deactivated, &[], now())
        .await
        .unwrap();
    assert!(!changed.is_active);
    assert_eq!(store.live_session(&key_hash, now()).await.unwrap(), None);

    let short = AccountChanges {
        password: Some(Secret::new("short".into())),
        ..AccountChanges::default()
    };
    let refused = update_account(&store, &hasher, changed, short, &[], now()).await;
    assert!(matches!(refused, Err(GrantsError::PasswordTooShort(_))));
}

/// alice, with the password `first-password` and a live session (its key's hash).
async fn alice_logged_in(
    store: &warrant_storage::SqliteStore,
) -> (PasswordPool, warrant_model::User, TokenHash) {
    let hasher = pool();
    let user = create_user(
        store,
        &hasher,
        account("alice", Some("first-password")),
        &[],
        now(),
    )
    .await
    .unwrap();
    let key_hash = log_in(store, &user).await;
    (hasher, user, key_hash)
}

/// Starts an hour-long session for `user`; returns its key's hash.
async fn log_in(store: &warrant_storage::SqliteStore, user: &warrant_model::User) -> TokenHash {
    let key_hash = warrant_generators::hash_token("session-key");
    let session = NewSession {
        key_hash,
        user_id: user.id,
        auth_time: now(),
        created_at: now(),
        expires_at: now() + time::Duration::hours(1),
    };
    store.create_session(&session).await.unwrap();
    key_hash
}

#[tokio::test]
async fn client_apps_hear_of_what_they_mirror_and_nothing_else() {
    let store = store().await;
    let hasher = pool();
    let apps = [ClientAppUrl::parse("http://app.example/").unwrap()];
    let version = |user| {
        let store = &store;
        async move {
            store
                .outbox_entry("http://app.example/", user)
                .await
                .unwrap()
                .map(|entry| entry.version)
        }
    };
    let user = create_user(&store, &hasher, account("alice", None), &apps, now())
        .await
        .unwrap();
    assert_eq!(version(user.id).await, Some(1));

    let password_only = AccountChanges {
        password: Some(Secret::new("a-new-password".into())),
        ..AccountChanges::default()
    };
    let user = update_account(&store, &hasher, user, password_only, &apps, now())
        .await
        .unwrap();
    assert_eq!(
        version(user.id).await,
        Some(1),
        "passwords are not mirrored"
    );
    set_password(
        &store,
        &hasher,
        &user.username,
        &Secret::new("yet-another-one".into()),
    )
    .await
    .unwrap();
    assert_eq!(version(user.id).await, Some(1));

    let deactivated = AccountChanges {
        is_active: Some(false),
        ..AccountChanges::default()
    };
    let user = update_account(&store, &hasher, user, deactivated, &apps, now())
        .await
        .unwrap();
    assert_eq!(version(user.id).await, Some(2));
    let sealing = warrant_generators::SealingKey::derive(&Secret::new("k".repeat(40))).unwrap();
    replace_api_token(&store, &sealing, user.id, &apps, now())
        .await
        .unwrap();
    assert_eq!(version(user.id).await, Some(3));
}

#[test]
fn the_user_record_has_ocs_authentication_s_shape() {
    let user = warrant_model::User {
        id: warrant_model::UserId(7),
        username: Username::parse("alice").unwrap(),
        email: None,
        first_name: "Alice".into(),
        last_name: "Liddell".into(),
        password: None,
        is_active: false,
        is_staff: true,
        is_superuser: false,
        date_joined: now(),
        last_login: None,
    };
    assert_eq!(
        user_record(&user, &Secret::new("tok".into())),
        serde_json::json!({
            "username": "alice", "first_name": "Alice", "last_name": "Liddell", "email": "",
            "is_staff": true, "is_superuser": false, "is_active": false,
            "tokens": { "api_token": "tok" }, "profile": { "staff_view": false },
        })
    );
}

/// Password hashing as the server runs it, with few iterations.
fn pool() -> PasswordPool {
    PasswordPool::new(PasswordHasher::new(1000).unwrap(), HashingLimits::default())
}
