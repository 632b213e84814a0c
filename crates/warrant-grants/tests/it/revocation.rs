//! Revocation (RFC 7009).

use warrant_grants::{ClientCredentials, OAuthError, TokenTypeHint};
use warrant_model::ClientId;

use crate::support::*;

async fn tokens(world: &World, client: &Client) -> (String, String) {
    world.user("alice").await;
    let response = world.alices_password_grant(client, None, now()).await;
    (
        response.access_token.expose().clone(),
        response.refresh_token.unwrap().expose().clone(),
    )
}

#[tokio::test]
async fn revoking_an_access_token_leaves_the_refresh_token() {
    let world = World::new().await;
    let client = world.confidential().await;
    let (access, refresh) = tokens(&world, &client).await;
    world
        .engine()
        .revoke(&client.credentials, &secret(&access), None, now())
        .await
        .unwrap();
    assert!(!world.is_active(&access).await);
    assert!(world.is_active(&refresh).await);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_grant() {
    let world = World::new().await;
    let client = world.confidential().await;
    let (access, refresh) = tokens(&world, &client).await;
    // A wrong hint is only a hint.
    let hint = Some(TokenTypeHint::AccessToken);
    world
        .engine()
        .revoke(&client.credentials, &secret(&refresh), hint, now())
        .await
        .unwrap();
    assert!(!world.is_active(&refresh).await);
    assert!(
        !world.is_active(&access).await,
        "the access token of the same grant goes too"
    );
}

#[tokio::test]
async fn unknown_tokens_revoke_successfully() {
    let world = World::new().await;
    let client = world.confidential().await;
    let outcome = world
        .engine()
        .revoke(&client.credentials, &secret("never-issued"), None, now())
        .await;
    assert_eq!(outcome, Ok(()));
}

#[tokio::test]
async fn another_clients_token_is_refused_and_stays_active() {
    let world = World::new().await;
    let client = world.confidential().await;
    let other = world.confidential().await;
    let (access, _) = tokens(&world, &client).await;
    let outcome = world
        .engine()
        .revoke(&other.credentials, &secret(&access), None, now())
        .await;
    assert!(matches!(outcome, Err(OAuthError::UnauthorizedClient(_))));
    assert!(world.is_active(&access).await);
}

#[tokio::test]
async fn revocation_needs_client_authentication() {
    let world = World::new().await;
    let client = world.confidential().await;
    let (access, _) = tokens(&world, &client).await;
    let wrong = ClientCredentials::Secret {
        client_id: client.application.client_id.clone(),
        secret: secret("nope"),
    };
    let outcome = world
        .engine()
        .revoke(&wrong, &secret(&access), None, now())
        .await;
    assert!(matches!(outcome, Err(OAuthError::InvalidClient(_))));
    let unknown = ClientCredentials::IdOnly {
        client_id: ClientId::parse("ghost").unwrap(),
    };
    assert!(matches!(
        world
            .engine()
            .revoke(&unknown, &secret(&access), None, now())
            .await,
        Err(OAuthError::InvalidClient(_))
    ));
    assert!(world.is_active(&access).await);
}

#[test]
fn hints_parse_and_unknown_hints_are_ignored() {
    assert_eq!(
        TokenTypeHint::parse("access_token"),
        Some(TokenTypeHint::AccessToken)
    );
    assert_eq!(
        TokenTypeHint::parse("refresh_token"),
        Some(TokenTypeHint::RefreshToken)
    );
    assert_eq!(TokenTypeHint::parse("id_token"), None);
}
