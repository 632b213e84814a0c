//! Bearer tokens at a protected resource (RFC 6750) and users' API tokens.

use time::Duration;
use warrant_generators::SealingKey;
use warrant_grants::{OAuthError, api_token_of};
use warrant_model::Secret;
use warrant_storage::prelude::*;

use crate::support::*;

async fn password_token(world: &World, client: &Client) -> Secret<String> {
    world
        .alices_password_grant(client, None, now())
        .await
        .access_token
}

fn is_invalid_token<T: std::fmt::Debug>(result: Result<T, OAuthError>) -> bool {
    matches!(result, Err(OAuthError::InvalidToken(_)))
}

#[tokio::test]
async fn a_live_token_speaks_for_its_user_and_client() {
    let world = World::new().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let token = password_token(&world, &client).await;
    let bearer = world
        .engine()
        .authenticate_bearer(&token, now())
        .await
        .unwrap();
    assert_eq!(bearer.user, Some(alice.clone()));
    assert_eq!(bearer.client_id, client.application.client_id);
    assert_eq!(bearer.token.user_id, Some(alice.id));

    let machine = world.client_credentials_token(&client).await;
    let bearer = world
        .engine()
        .authenticate_bearer(&machine.access_token, now())
        .await
        .unwrap();
    assert_eq!(bearer.user, None);
}

#[tokio::test]
async fn unknown_expired_revoked_and_inactive_user_tokens_are_invalid() {
    let world = World::new().await;
    let client = world.confidential().await;
    let mut alice = world.user("alice").await;
    let engine = world.engine();
    assert!(is_invalid_token(
        engine
            .authenticate_bearer(&secret("never-issued"), now())
            .await
    ));

    let token = password_token(&world, &client).await;
    let expired_at = now() + Duration::seconds(36_000);
    assert!(is_invalid_token(
        engine.authenticate_bearer(&token, expired_at).await
    ));

    engine
        .revoke(&client.credentials, &token, None, now())
        .await
        .unwrap();
    assert!(is_invalid_token(
        engine.authenticate_bearer(&token, now()).await
    ));

    let token = password_token(&world, &client).await;
    world.deactivate(&mut alice).await;
    assert!(is_invalid_token(
        engine.authenticate_bearer(&token, now()).await
    ));
}

#[tokio::test]
async fn a_users_api_token_is_made_once_and_sealed() {
    let world = World::new().await;
    let alice = world.user("alice").await;
    let first = world.engine().api_token_of(alice.id, now()).await.unwrap();
    assert_eq!(first.expose().len(), 40);
    let again = world.engine().api_token_of(alice.id, now()).await.unwrap();
    assert_eq!(again.expose(), first.expose());
    let stored = world
        .store
        .api_token_of_user(alice.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.token_hash,
        warrant_generators::hash_token(first.expose())
    );

    let other_key = SealingKey::derive(&secret("another-secret-key-of-32-characters")).unwrap();
    assert!(
        api_token_of(&world.store, &other_key, alice.id, now())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_api_token_speaks_for_its_active_user_until_replaced() {
    let world = World::new().await;
    let mut alice = world.user("alice").await;
    let engine = world.engine();
    let first = engine.api_token_of(alice.id, now()).await.unwrap();
    let user = engine.user_of_api_token(&first).await.unwrap();
    assert_eq!(user.id, alice.id);

    let second = engine.replace_api_token(alice.id, now()).await.unwrap();
    assert_ne!(second.expose(), first.expose());
    assert!(is_invalid_token(engine.user_of_api_token(&first).await));
    assert_eq!(
        engine.api_token_of(alice.id, now()).await.unwrap().expose(),
        second.expose()
    );

    world.deactivate(&mut alice).await;
    assert!(is_invalid_token(engine.user_of_api_token(&second).await));
    assert!(is_invalid_token(
        engine.user_of_api_token(&secret("never-issued")).await
    ));
}
