//! Introspection (RFC 7662).

use time::Duration;
use warrant_grants::{Introspection, TokenTypeHint};

use crate::support::*;

#[tokio::test]
async fn an_access_token_describes_its_grant() {
    let world = World::new().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let issued_at = now();
    let response = world
        .alices_password_grant(&client, Some(scope("read")), issued_at)
        .await;
    let Introspection::Active(token) = world
        .engine()
        .introspect(&response.access_token, None, issued_at)
        .await
        .unwrap()
    else {
        panic!("expected active");
    };
    assert_eq!(token.scope, scope("read"));
    assert_eq!(token.client_id, client.application.client_id);
    assert_eq!(token.username, Some(alice.username.clone()));
    assert_eq!(token.sub, Some(alice.id));
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.iat, issued_at.unix_timestamp());
    assert_eq!(token.exp, Some(issued_at.unix_timestamp() + 36_000));

    let refresh = response.refresh_token.unwrap();
    let hint = Some(TokenTypeHint::RefreshToken);
    let Introspection::Active(described) = world
        .engine()
        .introspect(&refresh, hint, issued_at)
        .await
        .unwrap()
    else {
        panic!("expected active refresh token");
    };
    assert_eq!(
        (described.token_type, described.exp),
        ("refresh_token", None)
    );
}

#[tokio::test]
async fn client_credentials_tokens_have_no_user() {
    let world = World::new().await;
    let client = world.confidential().await;
    let response = world.client_credentials_token(&client).await;
    let Introspection::Active(token) = world
        .engine()
        .introspect(&response.access_token, None, now())
        .await
        .unwrap()
    else {
        panic!("expected active");
    };
    assert_eq!((token.username, token.sub), (None, None));
}

#[tokio::test]
async fn expired_unknown_and_orphaned_tokens_are_inactive() {
    let world = World::new().await;
    let client = world.confidential().await;
    let mut alice = world.user("alice").await;
    let response = world.alices_password_grant(&client, None, now()).await;
    let engine = world.engine();
    let later = now() + Duration::seconds(36_000);
    assert_eq!(
        engine
            .introspect(&response.access_token, None, later)
            .await
            .unwrap(),
        Introspection::Inactive
    );
    assert_eq!(
        engine
            .introspect(&secret("never-issued"), None, now())
            .await
            .unwrap(),
        Introspection::Inactive
    );
    world.deactivate(&mut alice).await;
    assert_eq!(
        engine
            .introspect(&response.access_token, None, now())
            .await
            .unwrap(),
        Introspection::Inactive
    );
}

#[tokio::test]
async fn only_confidential_clients_may_introspect() {
    use warrant_grants::OAuthError;
    use warrant_model::{ClientType, GrantType};
    let world = World::new().await;
    let confidential = world.confidential().await;
    let public = world
        .client(ClientType::Public, &[GrantType::AuthorizationCode])
        .await;
    assert!(
        world
            .engine()
            .authenticate_resource_server(&confidential.credentials, now())
            .await
            .is_ok()
    );
    let refused = world
        .engine()
        .authenticate_resource_server(&public.credentials, now())
        .await;
    assert!(matches!(refused, Err(OAuthError::InvalidClient(_))));
}
