//! Pushed authorization requests (RFC 9126).

use time::Duration;
use warrant_grants::{
    AuthorizationParams, AuthorizationRejection, GrantSettings, NextStep, OAuthError,
    PushedRequestPolicy, REQUEST_URI_PREFIX,
};
use warrant_model::{ClientSecurity, ClientType, GrantType};

use crate::support::*;

fn pushed_params() -> AuthorizationParams {
    AuthorizationParams {
        response_type: Some("code".into()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some("read".into()),
        state: Some("pushed-state".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        prompt: Some("login".into()),
        ..AuthorizationParams::default()
    }
}

/// What the browser brings: the client id and the request URI only.
fn by_reference(client: &Client, request_uri: &str) -> AuthorizationParams {
    AuthorizationParams {
        client_id: Some(client.application.client_id.to_string()),
        request_uri: Some(request_uri.into()),
        ..AuthorizationParams::default()
    }
}

fn shown(outcome: Result<impl std::fmt::Debug, AuthorizationRejection>) -> OAuthError {
    match outcome {
        Err(AuthorizationRejection::ShowError(error)) => error,
        other => panic!("expected an error page, got {other:?}"),
    }
}

#[tokio::test]
async fn a_pushed_request_is_what_the_browser_brings_and_is_used_once() {
    let world = World::new().await;
    let client = world
        .client(ClientType::Confidential, &[GrantType::AuthorizationCode])
        .await;
    let alice = world.user("alice").await;
    let engine = world.engine();
    let pushed = engine
        .push_authorization_request(&client.application, pushed_params(), None, now())
        .await
        .unwrap();
    assert!(pushed.request_uri.starts_with(REQUEST_URI_PREFIX));
    assert_eq!(pushed.expires_in, 60);

    // Parameters beside the request_uri do not count: only what was pushed.
    let mut brought = by_reference(&client, &pushed.request_uri);
    brought.scope = Some("write".into());
    brought.redirect_uri = Some("https://attacker.example/cb".into());
    let request = engine
        .validate_authorization(&brought, now())
        .await
        .unwrap();
    assert_eq!(request.scope.to_string(), "read");
    assert_eq!(request.redirect_uri.as_str(), REDIRECT);
    assert_eq!(request.state.as_deref(), Some("pushed-state"));

    // prompt=login: an earlier login does not do; one since the browser brought it does.
    let earlier = now() - Duration::minutes(5);
    assert_eq!(
        engine
            .next_step(&request, Some((&alice, earlier)), now())
            .await
            .unwrap(),
        NextStep::LogIn
    );
    let after_login = engine
        .validate_authorization(&brought, now())
        .await
        .unwrap();
    assert_eq!(
        engine
            .next_step(&after_login, Some((&alice, now())), now())
            .await
            .unwrap(),
        NextStep::Consent
    );
    let location = engine
        .approve(&after_login, &alice, now(), now())
        .await
        .unwrap();
    assert!(location.contains("code="), "{location}");

    // Decided: the request URI is used up, for a new visit and for a second decision.
    let reused = shown(engine.validate_authorization(&brought, now()).await);
    assert_eq!(reused.code(), "invalid_request_uri");
    let again = engine.approve(&after_login, &alice, now(), now()).await;
    assert_eq!(again.unwrap_err().code(), "invalid_request_uri");
}

#[tokio::test]
async fn refusals_of_the_push_and_of_the_request_uri() {
    let world = World::new().await;
    let client = world
        .client(ClientType::Confidential, &[GrantType::AuthorizationCode])
        .await;
    let other = world
        .client(ClientType::Confidential, &[GrantType::AuthorizationCode])
        .await;
    let engine = world.engine();
    let push = |params: AuthorizationParams| {
        let application = client.application.clone();
        async move {
            engine
                .push_authorization_request(&application, params, None, now())
                .await
        }
    };
    // The pushed request is checked as the authorization endpoint would, answered directly.
    let bad_redirect = push(AuthorizationParams {
        redirect_uri: Some("https://elsewhere.example/cb".into()),
        ..pushed_params()
    })
    .await;
    assert_eq!(bad_redirect.unwrap_err().code(), "invalid_request");
    let bad_scope = push(AuthorizationParams {
        scope: Some("nonsense".into()),
        ..pushed_params()
    })
    .await;
    assert_eq!(bad_scope.unwrap_err().code(), "invalid_scope");
    let nested = push(AuthorizationParams {
        request_uri: Some(format!("{REQUEST_URI_PREFIX}x")),
        ..pushed_params()
    })
    .await;
    assert_eq!(nested.unwrap_err().code(), "invalid_request");
    let someone_else = push(AuthorizationParams {
        client_id: Some(other.application.client_id.to_string()),
        ..pushed_params()
    })
    .await;
    assert_eq!(someone_else.unwrap_err().code(), "invalid_request");

    let pushed = push(pushed_params()).await.unwrap();
    // Another client cannot use it, nor can anyone use a request URI never handed out.
    let stolen = shown(
        engine
            .validate_authorization(&by_reference(&other, &pushed.request_uri), now())
            .await,
    );
    assert_eq!(stolen.code(), "invalid_request_uri");
    let made_up = shown(
        engine
            .validate_authorization(
                &by_reference(&client, &format!("{REQUEST_URI_PREFIX}made-up")),
                now(),
            )
            .await,
    );
    assert_eq!(made_up.code(), "invalid_request_uri");
    // Unopened past its lifetime: expired.
    let expired = shown(
        engine
            .validate_authorization(
                &by_reference(&client, &pushed.request_uri),
                now() + Duration::seconds(61),
            )
            .await,
    );
    assert_eq!(expired.code(), "invalid_request_uri");
}

#[tokio::test]
async fn a_denial_uses_the_request_up_too() {
    let world = World::new().await;
    let client = world
        .client(ClientType::Confidential, &[GrantType::AuthorizationCode])
        .await;
    let engine = world.engine();
    let pushed = engine
        .push_authorization_request(&client.application, pushed_params(), None, now())
        .await
        .unwrap();
    let brought = by_reference(&client, &pushed.request_uri);
    let request = engine
        .validate_authorization(&brought, now())
        .await
        .unwrap();
    let denied = engine.deny(&request, now()).await.unwrap();
    assert!(denied.contains("error=access_denied"), "{denied}");
    let reused = shown(engine.validate_authorization(&brought, now()).await);
    assert_eq!(reused.code(), "invalid_request_uri");
}

#[tokio::test]
async fn a_client_or_server_that_requires_pushing_refuses_plain_requests() {
    let plain = |client: &Client| AuthorizationParams {
        client_id: Some(client.application.client_id.to_string()),
        ..pushed_params()
    };
    let world = World::new().await;
    let mut client = world
        .client(ClientType::Confidential, &[GrantType::AuthorizationCode])
        .await;
    assert!(
        world
            .engine()
            .validate_authorization(&plain(&client), now())
            .await
            .is_ok()
    );
    client.application.security = ClientSecurity {
        require_pushed_requests: true,
        ..ClientSecurity::default()
    };
    world.store_update(&client.application).await;
    let refused = world
        .engine()
        .validate_authorization(&plain(&client), now())
        .await;
    match refused {
        Err(AuthorizationRejection::Redirect { error, location }) => {
            assert_eq!(error.code(), "invalid_request");
            assert!(location.starts_with(REDIRECT), "{location}");
        }
        other => panic!("expected a redirect, got {other:?}"),
    }
    let pushed = world
        .engine()
        .push_authorization_request(&client.application, pushed_params(), None, now())
        .await
        .unwrap();
    assert!(
        world
            .engine()
            .validate_authorization(&by_reference(&client, &pushed.request_uri), now())
            .await
            .is_ok()
    );

    let strict = World::with_settings(GrantSettings {
        pushed_requests: PushedRequestPolicy {
            required: true,
            ..PushedRequestPolicy::default()
        },
        ..GrantSettings::default()
    })
    .await;
    let client = strict
        .client(ClientType::Public, &[GrantType::AuthorizationCode])
        .await;
    assert!(matches!(
        strict
            .engine()
            .validate_authorization(&plain(&client), now())
            .await,
        Err(AuthorizationRejection::Redirect { .. })
    ));
}
