//! The token endpoint's grants and client authentication.

use time::Duration;
use warrant_generators::hash_token;
use warrant_grants::{
    ClientCredentials, GrantSettings, Introspection, OAuthError, TokenRequest, TokenResponse,
};
use warrant_model::{
    ClientId, ClientType, CodeChallenge, CodeChallengeMethod, GrantType, NewApplication,
    NewAuthorizationCode, RedirectUri, RedirectUriPolicy, User,
};
use warrant_storage::prelude::*;

use crate::support::*;

fn password_grant(username: &str, password: &str) -> TokenRequest {
    TokenRequest::Password {
        username: username.into(),
        password: secret(password),
        scope: None,
    }
}

fn refresh_of(response: &TokenResponse) -> String {
    response.refresh_token.as_ref().unwrap().expose().clone()
}

#[tokio::test]
async fn client_authentication_failures_are_invalid_client() {
    let world = World::new().await;
    let confidential = world.confidential().await;
    let public = world
        .client(ClientType::Public, &[GrantType::Password])
        .await;
    let id = |c: &Client| c.application.client_id.clone();
    let attempts = [
        ClientCredentials::Secret {
            client_id: id(&confidential),
            secret: secret("wrong"),
        },
        ClientCredentials::Secret {
            client_id: ClientId::parse("nobody").unwrap(),
            secret: secret("x"),
        },
        ClientCredentials::IdOnly {
            client_id: id(&confidential),
        },
        ClientCredentials::Secret {
            client_id: id(&public),
            secret: secret("anything"),
        },
    ];
    for credentials in attempts {
        let outcome = world
            .engine()
            .token(
                &credentials,
                TokenRequest::ClientCredentials { scope: None },
                now(),
            )
            .await;
        assert!(
            matches!(outcome, Err(OAuthError::InvalidClient(_))),
            "{credentials:?}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn client_credentials_issues_an_access_token_only() {
    let world = World::new().await;
    let client = world.confidential().await;
    let response = world.client_credentials_token(&client).await;
    assert_eq!(
        (response.token_type, response.expires_in),
        ("Bearer", 36_000)
    );
    assert_eq!(response.scope, scope("read write"), "the default scopes");
    assert!(response.refresh_token.is_none(), "RFC 6749 §4.4.3");
    let stored = world
        .store
        .access_token_by_hash(&hash_token(response.access_token.expose()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.user_id, stored.application_id),
        (None, client.application.id)
    );

    let narrow = TokenRequest::ClientCredentials {
        scope: Some(scope("read")),
    };
    assert_eq!(
        world
            .engine()
            .token(&client.credentials, narrow, now())
            .await
            .unwrap()
            .scope,
        scope("read")
    );
    let unknown = TokenRequest::ClientCredentials {
        scope: Some(scope("read admin")),
    };
    assert!(matches!(
        world
            .engine()
            .token(&client.credentials, unknown, now())
            .await,
        Err(OAuthError::InvalidScope(_))
    ));
}

#[tokio::test]
async fn a_grant_the_client_may_not_use_is_unauthorized_client() {
    let world = World::new().await;
    let client = world
        .client(ClientType::Confidential, &[GrantType::Password])
        .await;
    let outcome = world
        .engine()
        .token(
            &client.credentials,
            TokenRequest::ClientCredentials { scope: None },
            now(),
        )
        .await;
    assert!(matches!(outcome, Err(OAuthError::UnauthorizedClient(_))));
}

#[tokio::test]
async fn client_credentials_needs_a_confidential_client() {
    let world = World::new().await;
    // Registration refuses this combination; a row written by other means must not work.
    let app = NewApplication {
        client_id: ClientId::parse("legacy-public").unwrap(),
        client_secret: None,
        client_type: ClientType::Public,
        grant_types: warrant_model::GrantTypes::new([GrantType::ClientCredentials]).unwrap(),
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        allowed_origins: vec![],
        allowed_resources: Default::default(),
        name: "legacy".into(),
        owner: None,
        skip_authorization: false,
        pkce_required: true,
        algorithm: None,
        security: Default::default(),
        sealed_secret: None,
    };
    world.store.create_application(&app, now()).await.unwrap();
    let credentials = ClientCredentials::IdOnly {
        client_id: app.client_id,
    };
    let outcome = world
        .engine()
        .token(
            &credentials,
            TokenRequest::ClientCredentials { scope: None },
            now(),
        )
        .await;
    assert!(matches!(outcome, Err(OAuthError::UnauthorizedClient(_))));
}

#[tokio::test]
async fn password_grant_accepts_username_or_email() {
    let world = World::new().await;
    let client = world.confidential().await;
    world.user("alice").await;
    for login in ["alice", "alice@example.com", "alice@EXAMPLE.com"] {
        let response = world
            .engine()
            .token(&client.credentials, password_grant(login, PASSWORD), now())
            .await
            .unwrap();
        assert!(response.refresh_token.is_some(), "the client may refresh");
        let Introspection::Active(token) = world
            .engine()
            .introspect(&response.access_token, None, now())
            .await
            .unwrap()
        else {
            panic!("issued token must be active");
        };
        assert_eq!(token.username.unwrap().as_str(), "alice");
    }
}

#[tokio::test]
async fn password_grant_refuses_bad_credentials_and_inactive_users() {
    let world = World::new().await;
    let client = world.confidential().await;
    let mut bob = world.user("bob").await;
    for (login, password) in [
        ("bob", "wrong-password"),
        ("nobody", PASSWORD),
        ("bob@example.org", PASSWORD),
        ("", ""),
    ] {
        let outcome = world
            .engine()
            .token(&client.credentials, password_grant(login, password), now())
            .await;
        assert!(
            matches!(outcome, Err(OAuthError::InvalidGrant(_))),
            "{login}/{password}: {outcome:?}"
        );
    }
    world.deactivate(&mut bob).await;
    let outcome = world
        .engine()
        .token(&client.credentials, password_grant("bob", PASSWORD), now())
        .await;
    assert!(matches!(outcome, Err(OAuthError::InvalidGrant(_))));
}

#[tokio::test]
async fn no_refresh_token_without_the_refresh_token_grant() {
    let world = World::new().await;
    let client = world
        .client(ClientType::Confidential, &[GrantType::Password])
        .await;
    world.user("alice").await;
    let response = world
        .engine()
        .token(
            &client.credentials,
            password_grant("alice", PASSWORD),
            now(),
        )
        .await
        .unwrap();
    assert!(response.refresh_token.is_none());
}

/// Stores a code for `client` and `user` as the authorization endpoint would for a request
/// that named no `redirect_uri`.
async fn code(
    world: &World,
    client: &Client,
    user: &User,
    challenge: Option<&str>,
    lifetime: Duration,
) -> String {
    code_for(world, client, user, challenge, lifetime, false).await
}

/// As [`code`], for a request that named `redirect_uri` when `redirect_uri_included`.
async fn code_for(
    world: &World,
    client: &Client,
    user: &User,
    challenge: Option<&str>,
    lifetime: Duration,
    redirect_uri_included: bool,
) -> String {
    let value = format!(
        "code-{}",
        warrant_generators::random_urlsafe(16).unwrap().expose()
    );
    world
        .store
        .create_authorization_code(&NewAuthorizationCode {
            code_hash: hash_token(&value),
            application_id: client.application.id,
            user_id: user.id,
            redirect_uri: redirect(REDIRECT),
            redirect_uri_included,
            scope: scope("read"),
            resources: Default::default(),
            code_challenge: challenge
                .map(|c| CodeChallenge::parse(CodeChallengeMethod::S256, c).unwrap()),
            nonce: None,
            dpop_jkt: None,
            auth_time: now(),
            created_at: now(),
            expires_at: now() + lifetime,
        })
        .await
        .unwrap();
    value
}

fn redirect(uri: &str) -> RedirectUri {
    RedirectUri::parse(uri, RedirectUriPolicy::default()).unwrap()
}

fn exchange(code: &str, redirect_uri: Option<&str>, verifier: Option<&str>) -> TokenRequest {
    TokenRequest::AuthorizationCode {
        code: secret(code),
        redirect_uri: redirect_uri.map(redirect),
        code_verifier: verifier.map(secret),
    }
}

#[tokio::test]
async fn authorization_code_with_pkce_is_exchanged_once() {
    let world = World::new().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let code = code(
        &world,
        &client,
        &alice,
        Some(CHALLENGE),
        Duration::seconds(60),
    )
    .await;
    let response = world
        .engine()
        .token(
            &client.credentials,
            exchange(&code, Some(REDIRECT), Some(VERIFIER)),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(response.scope, scope("read"));
    let access = response.access_token.expose().clone();
    let refresh = refresh_of(&response);
    assert!(world.is_active(&access).await && world.is_active(&refresh).await);

    let again = world
        .engine()
        .token(
            &client.credentials,
            exchange(&code, Some(REDIRECT), Some(VERIFIER)),
            now(),
        )
        .await;
    assert!(matches!(again, Err(OAuthError::InvalidGrant(_))));
    assert!(
        !world.is_active(&access).await,
        "reuse revokes the access token issued from the code"
    );
    assert!(!world.is_active(&refresh).await, "and the refresh token");
}

#[tokio::test]
async fn authorization_code_errors_are_invalid_grant() {
    let world = World::new().await;
    let client = world.confidential().await;
    let other = world.confidential().await;
    let alice = world.user("alice").await;
    let minute = Duration::seconds(60);
    let cases = [
        (
            "unknown code",
            "no-such-code".to_owned(),
            &client,
            Some(REDIRECT),
            None,
        ),
        (
            "another client's code",
            code(&world, &other, &alice, None, minute).await,
            &client,
            Some(REDIRECT),
            None,
        ),
        (
            "expired",
            code(&world, &client, &alice, None, Duration::seconds(-1)).await,
            &client,
            Some(REDIRECT),
            None,
        ),
        (
            "redirect mismatch",
            code(&world, &client, &alice, None, minute).await,
            &client,
            Some("https://app.example.com/other"),
            None,
        ),
        (
            "wrong verifier",
            code(&world, &client, &alice, Some(CHALLENGE), minute).await,
            &client,
            Some(REDIRECT),
            Some(&CHALLENGE[..43]),
        ),
        (
            "missing verifier",
            code(&world, &client, &alice, Some(CHALLENGE), minute).await,
            &client,
            Some(REDIRECT),
            None,
        ),
        (
            "verifier without challenge",
            code(&world, &client, &alice, None, minute).await,
            &client,
            Some(REDIRECT),
            Some(VERIFIER),
        ),
    ];
    for (case, code, client, redirect_uri, verifier) in cases {
        let outcome = world
            .engine()
            .token(
                &client.credentials,
                exchange(&code, redirect_uri, verifier),
                now(),
            )
            .await;
        assert!(
            matches!(outcome, Err(OAuthError::InvalidGrant(_))),
            "{case}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn redirect_uri_may_be_omitted_only_with_a_single_registered_one() {
    let world = World::new().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let code_value = code(&world, &client, &alice, None, Duration::seconds(60)).await;
    assert!(
        world
            .engine()
            .token(
                &client.credentials,
                exchange(&code_value, None, None),
                now()
            )
            .await
            .is_ok()
    );

    let mut app = client.application.clone();
    app.redirect_uris
        .push(redirect("https://app.example.com/second"));
    world.store.update_application(&app, now()).await.unwrap();
    let code_value = code(&world, &client, &alice, None, Duration::seconds(60)).await;
    let outcome = world
        .engine()
        .token(
            &client.credentials,
            exchange(&code_value, None, None),
            now(),
        )
        .await;
    assert!(matches!(outcome, Err(OAuthError::InvalidGrant(_))));
}

#[tokio::test]
async fn redirect_uri_is_required_when_the_authorization_request_included_it() {
    let world = World::new().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let minute = Duration::seconds(60);
    // RFC 6749 §4.1.3, even with a single registered redirect URI.
    let code_value = code_for(&world, &client, &alice, None, minute, true).await;
    let outcome = world
        .engine()
        .token(
            &client.credentials,
            exchange(&code_value, None, None),
            now(),
        )
        .await;
    assert!(
        matches!(&outcome, Err(OAuthError::InvalidGrant(why)) if why.contains("redirect_uri is required")),
        "{outcome:?}"
    );
    let code_value = code_for(&world, &client, &alice, None, minute, true).await;
    let outcome = world
        .engine()
        .token(
            &client.credentials,
            exchange(&code_value, Some(REDIRECT), None),
            now(),
        )
        .await;
    assert!(outcome.is_ok(), "{outcome:?}");
}

#[tokio::test]
async fn a_code_of_a_deactivated_user_is_refused() {
    let world = World::new().await;
    let client = world.confidential().await;
    let mut alice = world.user("alice").await;
    let code_value = code(&world, &client, &alice, None, Duration::seconds(60)).await;
    world.deactivate(&mut alice).await;
    let outcome = world
        .engine()
        .token(
            &client.credentials,
            exchange(&code_value, Some(REDIRECT), None),
            now(),
        )
        .await;
    assert!(matches!(outcome, Err(OAuthError::InvalidGrant(_))));
}

async fn password_tokens(world: &World, client: &Client) -> TokenResponse {
    world.user("alice").await;
    world
        .engine()
        .token(
            &client.credentials,
            password_grant("alice", PASSWORD),
            now(),
        )
        .await
        .unwrap()
}

fn refresh(token: &str, scope_text: Option<&str>) -> TokenRequest {
    TokenRequest::RefreshToken {
        refresh_token: secret(token),
        scope: scope_text.map(scope),
    }
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let world = World::new().await;
    let client = world.confidential().await;
    let first = password_tokens(&world, &client).await;
    let first_refresh = refresh_of(&first);
    let second = world
        .engine()
        .token(&client.credentials, refresh(&first_refresh, None), now())
        .await
        .unwrap();
    let second_refresh = refresh_of(&second);
    assert_ne!(
        second_refresh, first_refresh,
        "rotation issues a new refresh token"
    );
    assert_eq!(second.scope, first.scope);
    assert!(
        !world.is_active(first.access_token.expose()).await,
        "the previous access token is revoked"
    );
    assert!(
        !world.is_active(&first_refresh).await,
        "the rotated refresh token is spent"
    );
    assert!(world.is_active(second.access_token.expose()).await);

    let reuse = world
        .engine()
        .token(&client.credentials, refresh(&first_refresh, None), now())
        .await;
    assert!(matches!(reuse, Err(OAuthError::InvalidGrant(_))));
    assert!(
        !world.is_active(second.access_token.expose()).await,
        "reuse revokes the whole family"
    );
    let after = world
        .engine()
        .token(&client.credentials, refresh(&second_refresh, None), now())
        .await;
    assert!(matches!(after, Err(OAuthError::InvalidGrant(_))));
}

#[tokio::test]
async fn a_rotated_refresh_token_works_within_the_grace_period() {
    let settings = GrantSettings {
        refresh_token_grace_period: Duration::seconds(30),
        ..GrantSettings::default()
    };
    let world = World::with_settings(settings).await;
    let client = world.confidential().await;
    let first = refresh_of(&password_tokens(&world, &client).await);
    let start = now();
    world
        .engine()
        .token(&client.credentials, refresh(&first, None), start)
        .await
        .unwrap();
    let retry = world
        .engine()
        .token(
            &client.credentials,
            refresh(&first, None),
            start + Duration::seconds(10),
        )
        .await;
    assert!(retry.is_ok(), "{retry:?}");
    let late = world
        .engine()
        .token(
            &client.credentials,
            refresh(&first, None),
            start + Duration::seconds(31),
        )
        .await;
    assert!(matches!(late, Err(OAuthError::InvalidGrant(_))));
}

#[tokio::test]
async fn without_rotation_the_refresh_token_stays() {
    let world = World::with_settings(GrantSettings {
        rotate_refresh_tokens: false,
        ..GrantSettings::default()
    })
    .await;
    let client = world.confidential().await;
    let token = refresh_of(&password_tokens(&world, &client).await);
    for _ in 0..2 {
        let response = world
            .engine()
            .token(&client.credentials, refresh(&token, None), now())
            .await
            .unwrap();
        assert_eq!(refresh_of(&response), token);
    }
}

#[tokio::test]
async fn refresh_may_only_narrow_the_scope() {
    let world = World::new().await;
    let client = world.confidential().await;
    let token = refresh_of(&password_tokens(&world, &client).await);
    let wider = world
        .engine()
        .token(
            &client.credentials,
            refresh(&token, Some("read write admin")),
            now(),
        )
        .await;
    assert!(matches!(wider, Err(OAuthError::InvalidScope(_))));
    let narrower = world
        .engine()
        .token(&client.credentials, refresh(&token, Some("read")), now())
        .await
        .unwrap();
    assert_eq!(narrower.scope, scope("read"));
}

#[tokio::test]
async fn refresh_errors_are_invalid_grant() {
    let settings = GrantSettings {
        refresh_token_lifetime: Some(Duration::seconds(60)),
        ..GrantSettings::default()
    };
    let world = World::with_settings(settings).await;
    let client = world.confidential().await;
    let other = world.confidential().await;
    let token = refresh_of(&password_tokens(&world, &client).await);
    let engine = world.engine();
    let unknown = engine
        .token(&client.credentials, refresh("no-such-token", None), now())
        .await;
    let foreign = engine
        .token(&other.credentials, refresh(&token, None), now())
        .await;
    let expired = engine
        .token(
            &client.credentials,
            refresh(&token, None),
            now() + Duration::seconds(61),
        )
        .await;
    for outcome in [unknown, foreign, expired] {
        assert!(
            matches!(outcome, Err(OAuthError::InvalidGrant(_))),
            "{outcome:?}"
        );
    }
    engine
        .revoke(&client.credentials, &secret(&token), None, now())
        .await
        .unwrap();
    let revoked = engine
        .token(&client.credentials, refresh(&token, None), now())
        .await;
    assert!(matches!(revoked, Err(OAuthError::InvalidGrant(_))));
}
