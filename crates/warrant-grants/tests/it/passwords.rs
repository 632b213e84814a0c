//! Logging in with a password Django hashed, and authenticating with a client secret Django
//! OAuth Toolkit hashed: they work, and the hash is upgraded.

use warrant_generators::verify_token;
use warrant_grants::{ClientCredentials, PasswordCheck};
use warrant_model::{
    ClientSecretHash, ClientType, GrantType, NewUser, OAuthError, PasswordHash, User, Username,
};
use warrant_storage::SyncTo;
use warrant_storage::prelude::*;

use crate::support::*;

/// `correct horse battery staple`, hashed by Django 5.2's Argon2 hasher (from
/// crates/warrant-generators/tests/data/django-hashers.txt).
const ARGON2: &str = "argon2$argon2id$v=19$m=102400,t=2,p=8$bkd5bXFnTFc5UVBQcGt4OVFlY3Mweg$uj3F8TqOJOUOzEnMB3osNQjDm+MUfIiDONYKwzNCCyI";
/// The same password by Django 5.2's default hasher, with more iterations than the
/// world's hasher uses.
const PBKDF2: &str =
    "pbkdf2_sha256$1000000$NwSvBNDEmHwxji39HdOgUT$YfzMZUM4mzko1u18W4fN2kJ2REHL9dN0ySIhT5CbIIE=";
const DJANGO_PASSWORD: &str = "correct horse battery staple";

async fn imported(world: &World, name: &str, hash: &str) -> User {
    let user = NewUser {
        username: Username::parse(name).unwrap(),
        email: None,
        first_name: String::new(),
        last_name: String::new(),
        password: Some(PasswordHash::parse(hash).unwrap()),
        is_active: true,
        is_staff: false,
        is_superuser: false,
        date_joined: now(),
    };
    world
        .store
        .create_user(&user, SyncTo::NOBODY)
        .await
        .unwrap()
}

async fn stored_hash(world: &World, user: &User) -> String {
    let user = world.store.user_by_id(user.id).await.unwrap().unwrap();
    user.password.unwrap().as_str().to_owned()
}

async fn logs_in(world: &World, login: &str, password: &str) -> bool {
    let check = world
        .engine()
        .authenticate_user(login, &secret(password), now())
        .await
        .unwrap();
    matches!(check, PasswordCheck::Valid(_))
}

#[tokio::test]
async fn a_django_argon2_password_logs_in_and_is_rehashed_warrants_way() {
    let world = World::new().await;
    let user = imported(&world, "dora", ARGON2).await;

    assert!(!logs_in(&world, "dora", "not the password").await);
    assert_eq!(
        stored_hash(&world, &user).await,
        ARGON2,
        "a failure changes nothing"
    );

    assert!(logs_in(&world, "dora", DJANGO_PASSWORD).await);
    let upgraded = stored_hash(&world, &user).await;
    assert!(upgraded.starts_with("pbkdf2_sha256$1000$"), "{upgraded}");
    assert!(
        logs_in(&world, "dora", DJANGO_PASSWORD).await,
        "the new hash works"
    );
    assert_eq!(stored_hash(&world, &user).await, upgraded, "and is kept");
}

#[tokio::test]
async fn a_stronger_hash_of_warrants_own_algorithm_is_kept() {
    let world = World::new().await;
    let user = imported(&world, "ezra", PBKDF2).await;
    assert!(logs_in(&world, "ezra", DJANGO_PASSWORD).await);
    assert_eq!(stored_hash(&world, &user).await, PBKDF2);
}

/// What Django OAuth Toolkit's `hash_client_secret` keeps for this secret (Django 5.2's
/// PBKDF2PasswordHasher, 1000 iterations so the test is quick).
const DOT_HASHED_SECRET: &str =
    "pbkdf2_sha256$1000$dotsalt0123456789$pw3ZO34I6wtxeE4v3RRqSs9cKxou1sHedqVPTuq371w=";
const DOT_SECRET: &str = "a-secret-django-oauth-toolkit-hashed";

#[tokio::test]
async fn a_client_secret_dot_hashed_authenticates_and_is_kept_warrants_way() {
    let world = World::new().await;
    let client = world
        .client(ClientType::Confidential, &[GrantType::ClientCredentials])
        .await;
    let mut application = client.application.clone();
    application.client_secret = Some(ClientSecretHash::Django(
        PasswordHash::parse(DOT_HASHED_SECRET).unwrap(),
    ));
    world.store_update(&application).await;
    let client_id = application.client_id.clone();
    let presenting = |presented: &str| ClientCredentials::Secret {
        client_id: client_id.clone(),
        secret: secret(presented),
    };
    let stored = || async {
        world
            .store
            .application_by_id(application.id)
            .await
            .unwrap()
            .unwrap()
            .client_secret
            .unwrap()
    };

    let wrong = world
        .engine()
        .authenticate_client(&presenting("not-it"), now())
        .await;
    assert!(
        matches!(wrong, Err(OAuthError::InvalidClient(_))),
        "{wrong:?}"
    );
    assert!(
        matches!(stored().await, ClientSecretHash::Django(_)),
        "a failure changes nothing"
    );

    let right = world
        .engine()
        .authenticate_client(&presenting(DOT_SECRET), now())
        .await;
    assert!(right.is_ok(), "{right:?}");
    assert!(
        matches!(stored().await, ClientSecretHash::Sha256(hash) if verify_token(DOT_SECRET, &hash)),
        "kept as Warrant keeps secrets after the first success"
    );
    let again = world
        .engine()
        .authenticate_client(&presenting(DOT_SECRET), now())
        .await;
    assert!(again.is_ok(), "{again:?}");
}
