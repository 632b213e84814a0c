//! The device authorization grant (RFC 8628): codes, polling answers, the user's decision.

use time::Duration;
use warrant_grants::{DeviceCodeRejection, DeviceCodes, OAuthError, TokenRequest, TokenResponse};
use warrant_model::{ClientType, GrantType, Secret};
use warrant_storage::prelude::*;

use crate::support::*;

async fn device_client(world: &World) -> Client {
    world
        .client(
            ClientType::Public,
            &[GrantType::DeviceCode, GrantType::RefreshToken],
        )
        .await
}

/// The token endpoint's answer to `client` polling with `device_code` at `at`: the
/// error code, or `"tokens"`.
async fn poll_code(
    world: &World,
    client: &Client,
    device_code: &Secret<String>,
    at: time::OffsetDateTime,
) -> &'static str {
    match poll(world, client, device_code, at).await {
        Ok(_) => "tokens",
        Err(error) => error.code(),
    }
}

async fn poll(
    world: &World,
    client: &Client,
    device_code: &Secret<String>,
    at: time::OffsetDateTime,
) -> Result<TokenResponse, OAuthError> {
    world
        .engine()
        .token(
            &client.credentials,
            TokenRequest::DeviceCode {
                device_code: device_code.clone(),
            },
            at,
        )
        .await
}

async fn codes(world: &World, client: &Client, start: time::OffsetDateTime) -> DeviceCodes {
    world
        .engine()
        .device_authorization(&client.credentials, Some(&scope("read")), start)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_device_polls_until_the_user_approves_then_gets_tokens_once() {
    let world = World::new().await;
    let client = device_client(&world).await;
    let alice = world.user("alice").await;
    let start = now();
    let codes = codes(&world, &client, start).await;
    assert_eq!((codes.expires_in, codes.interval), (600, 5));
    let shown = codes.user_code.display();
    assert_eq!(shown.len(), 9, "XXXX-XXXX: {shown}");

    assert_eq!(
        poll_code(&world, &client, &codes.device_code, start).await,
        "authorization_pending"
    );
    assert_eq!(
        poll_code(
            &world,
            &client,
            &codes.device_code,
            start + Duration::seconds(1)
        )
        .await,
        "slow_down",
        "polled within the interval"
    );
    assert_eq!(
        poll_code(
            &world,
            &client,
            &codes.device_code,
            start + Duration::seconds(7)
        )
        .await,
        "authorization_pending"
    );

    // The user types the code in lower case, with the hyphen or without.
    let typed = shown.to_lowercase();
    let engine = world.engine();
    let pending = engine.pending_device(&typed, &alice, start).await.unwrap();
    assert_eq!(pending.application.id, client.application.id);
    assert_eq!(pending.device.scope, scope("read"));
    assert_eq!(
        pending.user_code.display(),
        shown,
        "the page shows the code"
    );
    engine
        .decide_device(&typed.replace('-', ""), (&alice, start), true, start)
        .await
        .unwrap();
    assert_eq!(
        engine
            .decide_device(&typed, (&alice, start), false, start)
            .await
            .map(|_| ()),
        Err(DeviceCodeRejection::UnknownOrExpired),
        "decided once"
    );

    let tokens = poll(
        &world,
        &client,
        &codes.device_code,
        start + Duration::seconds(13),
    )
    .await
    .unwrap();
    assert_eq!(tokens.scope, scope("read"));
    assert!(tokens.refresh_token.is_some());
    let bearer = engine
        .authenticate_bearer(&tokens.access_token, now())
        .await
        .unwrap();
    assert_eq!(bearer.user.map(|u| u.id), Some(alice.id));
    let consent = world
        .store
        .consent(alice.id, client.application.id)
        .await
        .unwrap();
    assert_eq!(consent.map(|c| c.scope), Some(scope("read")));
    assert_eq!(
        poll_code(
            &world,
            &client,
            &codes.device_code,
            start + Duration::seconds(20)
        )
        .await,
        "invalid_grant",
        "a device code gives tokens once"
    );
}

#[tokio::test]
async fn a_refusal_an_expiry_and_foreign_codes_end_the_polling() {
    let world = World::new().await;
    let client = device_client(&world).await;
    let other = device_client(&world).await;
    let alice = world.user("alice").await;
    let start = now();
    let engine = world.engine();

    let refused = codes(&world, &client, start).await;
    engine
        .decide_device(refused.user_code.as_str(), (&alice, start), false, start)
        .await
        .unwrap();
    assert_eq!(
        poll_code(&world, &client, &refused.device_code, start).await,
        "access_denied"
    );

    let late = codes(&world, &client, start).await;
    let after_expiry = start + Duration::seconds(601);
    assert_eq!(
        poll_code(&world, &client, &late.device_code, after_expiry).await,
        "expired_token"
    );
    assert_eq!(
        engine
            .pending_device(late.user_code.as_str(), &alice, after_expiry)
            .await
            .map(|_| ()),
        Err(DeviceCodeRejection::UnknownOrExpired)
    );

    let theirs = codes(&world, &other, start).await;
    assert_eq!(
        poll_code(&world, &client, &theirs.device_code, start).await,
        "invalid_grant",
        "another client's device code"
    );
    assert_eq!(
        poll_code(&world, &client, &secret("made-up"), start).await,
        "invalid_grant"
    );
    for typed in ["BCDF-GHJK", "not a code", ""] {
        assert_eq!(
            engine
                .pending_device(typed, &alice, start)
                .await
                .map(|_| ()),
            Err(DeviceCodeRejection::UnknownOrExpired),
            "{typed}"
        );
    }

    let confidential = world.confidential().await;
    let refused = engine
        .device_authorization(&confidential.credentials, None, start)
        .await;
    assert!(
        matches!(refused, Err(OAuthError::UnauthorizedClient(_))),
        "{refused:?}"
    );
    let unknown_scope = engine
        .device_authorization(&client.credentials, Some(&scope("admin")), start)
        .await;
    assert!(matches!(unknown_scope, Err(OAuthError::InvalidScope(_))));
}
