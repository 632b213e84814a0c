//! Registering applications and users.

use std::sync::{Arc, Mutex};

use warrant_generators::{
    Generator, GeneratorError, Generators, GeneratorsConfig, Registry, verify_token,
};
use warrant_grants::*;
use warrant_model::{
    ClientAppUrl, ClientId, ClientSecretHash, ClientType, GrantType, NewSession, Secret, TokenHash,
    Username,
};
use warrant_storage::prelude::*;
use warrant_storage::{StoreError, Unique};

use crate::support::*;

const CODE: &[GrantType] = &[GrantType::AuthorizationCode];

#[tokio::test]
async fn confidential_registration_returns_the_secret_whose_hash_is_stored() {
    let world = World::new().await;
    let store = &world.store;
    let (app, secret) = world
        .engine()
        .register_application(
            registration(ClientType::Confidential, CODE, &["https://a.example/cb"]),
            now(),
        )
        .await
        .unwrap();
    let secret = secret.unwrap();
    assert!(secret_matches(secret.expose(), app.client_secret.clone()));
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
    let world = World::new().await;
    let (app, secret) = world
        .engine()
        .register_application(
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
    let world = World::new().await;
    let store = &world.store;
    let no_redirect = world
        .engine()
        .register_application(registration(ClientType::Confidential, CODE, &[]), now())
        .await;
    assert!(matches!(no_redirect, Err(GrantsError::RedirectUriRequired)));
    let implicit = registration(ClientType::Public, &[GrantType::Implicit], &[]);
    assert!(matches!(
        world.engine().register_application(implicit, now()).await,
        Err(GrantsError::RedirectUriRequired)
    ));
    let public_cc = registration(ClientType::Public, &[GrantType::ClientCredentials], &[]);
    assert!(matches!(
        world.engine().register_application(public_cc, now()).await,
        Err(GrantsError::PublicClientCredentials)
    ));
    let mut unnamed = registration(ClientType::Confidential, &[GrantType::Password], &[]);
    unnamed.name = "  ".into();
    assert!(matches!(
        world.engine().register_application(unnamed, now()).await,
        Err(GrantsError::InvalidName)
    ));
    let password_only = registration(ClientType::Confidential, &[GrantType::Password], &[]);
    assert!(
        world
            .engine()
            .register_application(password_only, now())
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
    let mut world = World::new().await;
    let reg = || registration(ClientType::Confidential, &[GrantType::Password], &[]);
    world.parts.generators = scripted(vec!["taken"]);
    let (first, _) = world
        .engine()
        .register_application(reg(), now())
        .await
        .unwrap();
    assert_eq!(first.client_id.as_str(), "taken");
    world.parts.generators = scripted(vec!["taken", "free"]);
    let (second, _) = world
        .engine()
        .register_application(reg(), now())
        .await
        .unwrap();
    assert_eq!(second.client_id.as_str(), "free");
    world.parts.generators = scripted(vec!["taken"]);
    let stuck = world.engine().register_application(reg(), now()).await;
    assert!(matches!(
        stuck,
        Err(GrantsError::Store(StoreError::Conflict(Unique::ClientId)))
    ));
}

#[tokio::test]
async fn rotating_a_secret_invalidates_the_old_one() {
    let world = World::new().await;
    let store = &world.store;
    let (app, old) = world
        .engine()
        .register_application(
            registration(ClientType::Confidential, &[GrantType::Password], &[]),
            now(),
        )
        .await
        .unwrap();
    let new = world
        .engine()
        .rotate_client_secret(&app.client_id, now())
        .await
        .unwrap();
    let stored = store
        .application_by_id(app.id)
        .await
        .unwrap()
        .unwrap()
        .client_secret;
    assert!(secret_matches(new.expose(), stored.clone()));
    assert!(!secret_matches(old.unwrap().expose(), stored));

    let unknown = ClientId::parse("unknown").unwrap();
    assert!(matches!(
        world.engine().rotate_client_secret(&unknown, now()).await,
        Err(GrantsError::UnknownClient(_))
    ));
    let (public, _) = world
        .engine()
        .register_application(
            registration(ClientType::Public, CODE, &["com.example:/cb"]),
            now(),
        )
        .await
        .unwrap();
    let refused = world
        .engine()
        .rotate_client_secret(&public.client_id, now())
        .await;
    assert!(matches!(
        refused,
        Err(GrantsError::PublicClientHasNoSecret(_))
    ));
}

#[tokio::test]
async fn deleting_an_application() {
    let world = World::new().await;
    let store = &world.store;
    let (app, _) = world
        .engine()
        .register_application(
            registration(ClientType::Confidential, &[GrantType::Password], &[]),
            now(),
        )
        .await
        .unwrap();
    world
        .engine()
        .delete_application(&app.client_id)
        .await
        .unwrap();
    assert_eq!(store.application_by_id(app.id).await.unwrap(), None);
    assert!(matches!(
        world.engine().delete_application(&app.client_id).await,
        Err(GrantsError::UnknownClient(_))
    ));
}

fn account(name: &str, password: Option<&str>) -> NewAccount {
    NewAccount {
        username: Username::parse(name).unwrap(),
        email: None,
        password: match password {
            Some(password) => InitialPassword::Plain(Secret::new(password.to_owned())),
            None => InitialPassword::None,
        },
        first_name: String::new(),
        last_name: String::new(),
        is_staff: false,
        is_superuser: false,
    }
}

#[tokio::test]
async fn users_get_django_password_hashes_and_unique_names() {
    let world = World::new().await;
    let hasher = &world.parts.hasher;
    let user = world
        .engine()
        .create_user(account("alice", Some("long-enough")), now())
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

    let short = world
        .engine()
        .create_user(account("bob", Some("short")), now())
        .await;
    assert!(matches!(short, Err(GrantsError::PasswordTooShort(8))));
    let again = world
        .engine()
        .create_user(account("alice", None), now())
        .await;
    assert!(matches!(
        again,
        Err(GrantsError::Store(StoreError::Conflict(Unique::Username)))
    ));
    let passwordless = world
        .engine()
        .create_user(account("carol", None), now())
        .await
        .unwrap();
    assert_eq!(passwordless.password, None);
}

#[tokio::test]
async fn setting_a_password_ends_the_users_sessions() {
    let world = World::new().await;
    let store = &world.store;
    let (user, key_hash) = alice_logged_in(&world).await;
    let hasher = &world.parts.hasher;

    let changed = world
        .engine()
        .set_password(&user.username, &Secret::new("second-password".into()))
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
    let missing = world
        .engine()
        .set_password(&ghost, &Secret::new("whatever-long".into()))
        .await;
    assert!(matches!(missing, Err(GrantsError::UnknownUser(_))));
    let short = world
        .engine()
        .set_password(&user.username, &Secret::new("short".into()))
        .await;
    assert!(matches!(short, Err(GrantsError::PasswordTooShort(_))));
}

#[tokio::test]
async fn updates_follow_the_registration_rules_and_keep_pkce_for_public_clients() {
    let world = World::new().await;
    let store = &world.store;
    let (app, _) = world
        .engine()
        .register_application(
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
        allowed_resources: None,
        pkce_required: false,
        algorithm: Some(warrant_model::SigningAlgorithm::EdDSA),
        security: None,
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
        let error = world
            .engine()
            .update_application(app.clone(), change, now())
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), reason);
    }
    let unchanged = store.application_by_id(app.id).await.unwrap().unwrap();
    assert_eq!(unchanged.name, "App");

    let updated = world
        .engine()
        .update_application(app.clone(), changes(CODE, app.redirect_uris.clone()), now())
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
    let world = World::new().await;
    let store = &world.store;
    let (user, key_hash) = alice_logged_in(&world).await;

    let renamed = AccountChanges {
        first_name: Some("Alice".into()),
        email: Some(None),
        ..AccountChanges::default()
    };
    let changed = world
        .engine()
        .update_account(user.clone(), renamed, now())
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
    let changed = world
        .engine()
        .update_account(changed, deactivated, now())
        .await
        .unwrap();
    assert!(!changed.is_active);
    assert_eq!(store.live_session(&key_hash, now()).await.unwrap(), None);

    let short = AccountChanges {
        password: Some(Secret::new("short".into())),
        ..AccountChanges::default()
    };
    let refused = world.engine().update_account(changed, short, now()).await;
    assert!(matches!(refused, Err(GrantsError::PasswordTooShort(_))));
}

/// alice, with the password `first-password` and a live session (its key's hash).
async fn alice_logged_in(world: &World) -> (warrant_model::User, TokenHash) {
    let user = world
        .engine()
        .create_user(account("alice", Some("first-password")), now())
        .await
        .unwrap();
    let key_hash = log_in(&world.store, &user).await;
    (user, key_hash)
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
    let mut world = World::new().await;
    world.parts.client_apps = vec![ClientAppUrl::parse("http://app.example/").unwrap()];
    let store = &world.store;
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
    let user = world
        .engine()
        .create_user(account("alice", None), now())
        .await
        .unwrap();
    assert_eq!(version(user.id).await, Some(1));

    let password_only = AccountChanges {
        password: Some(Secret::new("a-new-password".into())),
        ..AccountChanges::default()
    };
    let user = world
        .engine()
        .update_account(user, password_only, now())
        .await
        .unwrap();
    assert_eq!(
        version(user.id).await,
        Some(1),
        "passwords are not mirrored"
    );
    world
        .engine()
        .set_password(&user.username, &Secret::new("yet-another-one".into()))
        .await
        .unwrap();
    assert_eq!(version(user.id).await, Some(1));

    let deactivated = AccountChanges {
        is_active: Some(false),
        ..AccountChanges::default()
    };
    let user = world
        .engine()
        .update_account(user, deactivated, now())
        .await
        .unwrap();
    assert_eq!(version(user.id).await, Some(2));
    world
        .engine()
        .replace_api_token(user.id, now())
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

#[tokio::test]
async fn an_engine_without_secret_key_manages_but_never_seals() {
    let mut world = World::new().await;
    world.parts.keys = KeyRing::without_secret_key();
    let engine = world.engine();
    let (app, _) = engine
        .register_application(
            registration(ClientType::Confidential, &[GrantType::Password], &[]),
            now(),
        )
        .await
        .unwrap();
    let user = engine
        .create_user(account("alice", Some("long-enough")), now())
        .await
        .unwrap();
    assert!(matches!(
        engine.replace_api_token(user.id, now()).await,
        Err(GrantsError::NoSecretKey)
    ));
    assert!(matches!(
        engine.api_token_of(user.id, now()).await,
        Err(GrantsError::NoSecretKey)
    ));
    assert_eq!(
        world.store.api_token_of_user(user.id).await.unwrap(),
        None,
        "nothing was stored under no key"
    );
    assert!(matches!(
        world.parts.keys.current(&world.store, now()).await,
        Err(GrantsError::NoSecretKey)
    ));
    engine.delete_application(&app.client_id).await.unwrap();
}

#[tokio::test]
async fn given_credentials_are_kept_and_checked() {
    let world = World::new().await;
    let engine = world.engine();
    let moved = |client_type, secret: Option<&str>| ApplicationRegistration {
        client_id: Some(ClientId::parse("moved-from-dot").unwrap()),
        client_secret: secret.map(|secret| Secret::new(secret.to_owned())),
        ..registration(client_type, &[GrantType::Password], &[])
    };
    let (app, secret) = engine
        .register_application(moved(ClientType::Confidential, Some("kept-secret")), now())
        .await
        .unwrap();
    assert_eq!(app.client_id.as_str(), "moved-from-dot");
    assert_eq!(secret.unwrap().expose(), "kept-secret");
    assert!(secret_matches("kept-secret", app.client_secret.clone()));
    let taken = engine
        .register_application(moved(ClientType::Confidential, None), now())
        .await;
    assert!(matches!(
        taken,
        Err(GrantsError::Store(StoreError::Conflict(Unique::ClientId)))
    ));
    let mut public = moved(ClientType::Public, Some("a-secret"));
    public.redirect_uris = Vec::new();
    assert!(matches!(
        engine.register_application(public, now()).await,
        Err(GrantsError::PublicClientSecret)
    ));
    assert!(matches!(
        engine
            .register_application(moved(ClientType::Confidential, Some("")), now())
            .await,
        Err(GrantsError::EmptyClientSecret)
    ));

    let hashed = |hash: &str| NewAccount {
        password: InitialPassword::Hashed(warrant_model::PasswordHash::parse(hash).unwrap()),
        ..account("dora", None)
    };
    assert!(matches!(
        engine.create_user(hashed("md5$salt$0123abcd"), now()).await,
        Err(GrantsError::UnrecognizedPasswordHash)
    ));
    let unusable = engine.create_user(hashed("!no-password"), now()).await;
    assert_eq!(
        unusable.unwrap().password.unwrap().as_str(),
        "!no-password",
        "kept as it is"
    );
}

/// Whether `secret` is the one kept, as Warrant keeps secrets.
fn secret_matches(secret: &str, stored: Option<ClientSecretHash>) -> bool {
    matches!(stored, Some(ClientSecretHash::Sha256(hash)) if verify_token(secret, &hash))
}
