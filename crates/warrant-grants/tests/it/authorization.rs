//! The authorization endpoint's logic.

use warrant_grants::{
    ApprovalPrompt, AuthorizationParams, AuthorizationRejection, GrantSettings, Introspection,
    OAuthError, ResponseType, TokenRequest,
};
use warrant_model::{ClientType, GrantType, RedirectUri, RedirectUriPolicy};

use crate::support::*;

fn params(client: &Client) -> AuthorizationParams {
    AuthorizationParams {
        client_id: Some(client.application.client_id.to_string()),
        response_type: Some("code".into()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some("read".into()),
        state: Some("xyz 1/2".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        ..AuthorizationParams::default()
    }
}

/// The query or fragment parameters of a `Location`.
fn answer(location: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(location).unwrap();
    let text = url
        .fragment()
        .map(str::to_owned)
        .or_else(|| url.query().map(str::to_owned))
        .unwrap_or_default();
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

fn get(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn redirected_error(rejection: AuthorizationRejection) -> (String, Vec<(String, String)>) {
    match rejection {
        AuthorizationRejection::Redirect { location, error } => {
            let pairs = answer(&location);
            assert_eq!(get(&pairs, "error").as_deref(), Some(error.code()));
            assert_eq!(
                get(&pairs, "state").as_deref(),
                Some("xyz 1/2"),
                "state is echoed"
            );
            (location, pairs)
        }
        other => panic!("expected a redirect, got {other:?}"),
    }
}

#[tokio::test]
async fn untrusted_client_or_redirect_uri_never_redirects() {
    let world = World::new().await;
    let client = world.confidential().await;
    let mut two = client.application.clone();
    two.redirect_uris.push(
        RedirectUri::parse("https://app.example.com/two", RedirectUriPolicy::default()).unwrap(),
    );
    let other = world.confidential().await;
    world.store_update(&two).await;
    let cases = [
        AuthorizationParams {
            client_id: None,
            ..params(&client)
        },
        AuthorizationParams {
            client_id: Some("no:such".into()),
            ..params(&client)
        },
        AuthorizationParams {
            client_id: Some("unknown".into()),
            ..params(&client)
        },
        AuthorizationParams {
            redirect_uri: Some("https://evil.example.com/cb".into()),
            ..params(&client)
        },
        AuthorizationParams {
            redirect_uri: Some("https://app.example.com/cb/".into()),
            ..params(&client)
        },
        AuthorizationParams {
            redirect_uri: None,
            ..params(&client)
        },
        AuthorizationParams {
            redirect_uri: Some("not a uri".into()),
            ..params(&other)
        },
    ];
    for case in cases {
        let outcome = world.engine().validate_authorization(&case, now()).await;
        assert!(
            matches!(outcome, Err(AuthorizationRejection::ShowError(_))),
            "{case:?}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_single_registered_redirect_uri_may_be_omitted() {
    let world = World::new().await;
    let client = world.confidential().await;
    let request = world
        .engine()
        .validate_authorization(
            &AuthorizationParams {
                redirect_uri: None,
                ..params(&client)
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(request.redirect_uri.as_str(), REDIRECT);
}

#[tokio::test]
async fn request_errors_go_back_to_the_client_with_state() {
    let world = World::new().await;
    let client = world.confidential().await;
    let public = world
        .client(ClientType::Public, &[GrantType::AuthorizationCode])
        .await;
    let cases: Vec<(AuthorizationParams, &str)> = vec![
        (
            AuthorizationParams {
                response_type: None,
                ..params(&client)
            },
            "invalid_request",
        ),
        (
            AuthorizationParams {
                response_type: Some("magic".into()),
                ..params(&client)
            },
            "unsupported_response_type",
        ),
        (
            AuthorizationParams {
                response_type: Some("token".into()),
                ..params(&client)
            },
            "unauthorized_client",
        ),
        (
            AuthorizationParams {
                scope: Some("read admin".into()),
                ..params(&client)
            },
            "invalid_scope",
        ),
        (
            AuthorizationParams {
                scope: Some("bad\"scope".into()),
                ..params(&client)
            },
            "invalid_scope",
        ),
        (
            AuthorizationParams {
                code_challenge: None,
                code_challenge_method: None,
                ..params(&public)
            },
            "invalid_request",
        ),
        (
            AuthorizationParams {
                code_challenge_method: Some("plain".into()),
                ..params(&client)
            },
            "invalid_request",
        ),
        (
            AuthorizationParams {
                code_challenge_method: None,
                ..params(&client)
            },
            "invalid_request",
        ),
        (
            AuthorizationParams {
                code_challenge_method: Some("S512".into()),
                ..params(&client)
            },
            "invalid_request",
        ),
        (
            AuthorizationParams {
                code_challenge: Some("short".into()),
                ..params(&client)
            },
            "invalid_request",
        ),
        (
            AuthorizationParams {
                approval_prompt: Some("sometimes".into()),
                ..params(&client)
            },
            "invalid_request",
        ),
    ];
    for (case, code) in cases {
        let rejection = world
            .engine()
            .validate_authorization(&case, now())
            .await
            .unwrap_err();
        let (location, pairs) = redirected_error(rejection);
        assert_eq!(get(&pairs, "error").as_deref(), Some(code), "{case:?}");
        let implicit = case.response_type.as_deref() == Some("token");
        assert_eq!(
            location.contains('#'),
            implicit,
            "implicit errors go in the fragment: {location}"
        );
    }
}

#[tokio::test]
async fn plain_pkce_only_when_enabled() {
    let world = World::with_settings(GrantSettings {
        allow_plain_pkce: true,
        ..GrantSettings::default()
    })
    .await;
    let client = world.confidential().await;
    let plain = AuthorizationParams {
        code_challenge: Some(VERIFIER.into()),
        code_challenge_method: None,
        ..params(&client)
    };
    assert!(
        world
            .engine()
            .validate_authorization(&plain, now())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn approving_answers_with_a_code_that_exchanges_once() {
    let world = World::new().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let engine = world.engine();
    let request = engine
        .validate_authorization(&params(&client), now())
        .await
        .unwrap();
    assert_eq!(request.response_type, ResponseType::Code);
    let location = engine
        .approve(&request, &alice, now(), now())
        .await
        .unwrap();
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    let pairs = answer(&location);
    assert_eq!(get(&pairs, "state").as_deref(), Some("xyz 1/2"));
    let code = get(&pairs, "code").unwrap();

    let exchange = |verifier: &str| TokenRequest::AuthorizationCode {
        code: secret(&code),
        redirect_uri: Some(RedirectUri::parse(REDIRECT, RedirectUriPolicy::default()).unwrap()),
        code_verifier: Some(secret(verifier)),
    };
    let response = engine
        .token(&client.credentials, exchange(VERIFIER), now())
        .await
        .unwrap();
    assert_eq!(response.scope, scope("read"));
    let again = engine
        .token(&client.credentials, exchange(VERIFIER), now())
        .await;
    assert!(matches!(again, Err(OAuthError::InvalidGrant(_))));
}

#[tokio::test]
async fn denying_answers_access_denied() {
    let world = World::new().await;
    let client = world.confidential().await;
    let request = world
        .engine()
        .validate_authorization(&params(&client), now())
        .await
        .unwrap();
    let pairs = answer(&world.engine().deny(&request, now()).await.unwrap());
    assert_eq!(get(&pairs, "error").as_deref(), Some("access_denied"));
    assert_eq!(get(&pairs, "state").as_deref(), Some("xyz 1/2"));
    assert_eq!(get(&pairs, "code"), None);
}

#[tokio::test]
async fn implicit_answers_with_a_token_in_the_fragment() {
    let world = World::new().await;
    let client = world
        .client(
            ClientType::Public,
            &[GrantType::Implicit, GrantType::RefreshToken],
        )
        .await;
    let alice = world.user("alice").await;
    let implicit = AuthorizationParams {
        response_type: Some("token".into()),
        code_challenge: None,
        code_challenge_method: None,
        ..params(&client)
    };
    let request = world
        .engine()
        .validate_authorization(&implicit, now())
        .await
        .unwrap();
    let location = world
        .engine()
        .approve(&request, &alice, now(), now())
        .await
        .unwrap();
    assert!(location.starts_with(&format!("{REDIRECT}#")), "{location}");
    let pairs = answer(&location);
    assert_eq!(get(&pairs, "token_type").as_deref(), Some("Bearer"));
    assert_eq!(get(&pairs, "expires_in").as_deref(), Some("36000"));
    assert_eq!(
        get(&pairs, "refresh_token"),
        None,
        "implicit never issues refresh tokens"
    );
    let token = get(&pairs, "access_token").unwrap();
    let described = world
        .engine()
        .introspect(&secret(&token), None, now())
        .await
        .unwrap();
    assert!(matches!(described, Introspection::Active(_)));
}

#[tokio::test]
async fn the_client_keeps_its_redirect_query() {
    let world = World::new().await;
    let mut registration = registration(
        ClientType::Confidential,
        &[GrantType::AuthorizationCode],
        &["https://app.example.com/cb?tenant=7"],
    );
    registration.pkce_required = false;
    let (application, _) = world
        .engine()
        .register_application(registration, now())
        .await
        .unwrap();
    let alice = world.user("alice").await;
    let request_params = AuthorizationParams {
        client_id: Some(application.client_id.to_string()),
        response_type: Some("code".into()),
        ..AuthorizationParams::default()
    };
    let request = world
        .engine()
        .validate_authorization(&request_params, now())
        .await
        .unwrap();
    let location = world
        .engine()
        .approve(&request, &alice, now(), now())
        .await
        .unwrap();
    assert!(
        location.starts_with("https://app.example.com/cb?tenant=7&code="),
        "{location}"
    );
}

#[tokio::test]
async fn a_native_app_on_a_loopback_ip_may_use_any_port() {
    let world = World::new().await;
    let (native, _) = world
        .engine()
        .register_application(
            registration(
                ClientType::Public,
                &[GrantType::AuthorizationCode],
                &["http://127.0.0.1/callback", "http://localhost/callback"],
            ),
            now(),
        )
        .await
        .unwrap();
    let client = Client {
        credentials: warrant_grants::ClientCredentials::IdOnly {
            client_id: native.client_id.clone(),
        },
        application: native,
    };
    let alice = world.user("alice").await;
    let with_redirect = |uri: &str| AuthorizationParams {
        redirect_uri: Some(uri.into()),
        ..params(&client)
    };
    for refused in [
        "http://localhost:53123/callback",
        "http://127.0.0.1:53123/other",
    ] {
        let answer = world
            .engine()
            .validate_authorization(&with_redirect(refused), now())
            .await;
        assert!(
            matches!(answer, Err(AuthorizationRejection::ShowError(_))),
            "{refused}: {answer:?}"
        );
    }
    let chosen_port = "http://127.0.0.1:53123/callback";
    let request = world
        .engine()
        .validate_authorization(&with_redirect(chosen_port), now())
        .await
        .unwrap();
    let location = world
        .engine()
        .approve(&request, &alice, now(), now())
        .await
        .unwrap();
    assert!(
        location.starts_with(&format!("{chosen_port}?")),
        "{location}"
    );
    let code = get(&answer(&location), "code").unwrap();
    let exchanged = world
        .engine()
        .token(
            &client.credentials,
            TokenRequest::AuthorizationCode {
                code: secret(&code),
                redirect_uri: Some(
                    RedirectUri::parse(chosen_port, RedirectUriPolicy::default()).unwrap(),
                ),
                code_verifier: Some(secret(VERIFIER)),
            },
            now(),
        )
        .await;
    assert!(
        exchanged.is_ok(),
        "the code is bound to the port asked for: {exchanged:?}"
    );
}

#[tokio::test]
async fn consent_is_skipped_for_trusted_clients_and_remembered_scopes() {
    let world = World::new().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let engine = world.engine();
    let forced = engine
        .validate_authorization(&params(&client), now())
        .await
        .unwrap();
    assert_eq!(
        forced.approval_prompt,
        ApprovalPrompt::Force,
        "DOT's default"
    );
    assert!(engine.needs_consent(&forced, &alice).await.unwrap());

    let auto = |scope: &str| AuthorizationParams {
        approval_prompt: Some("auto".into()),
        scope: Some(scope.into()),
        ..params(&client)
    };
    let first = engine
        .validate_authorization(&auto("read"), now())
        .await
        .unwrap();
    assert!(
        engine.needs_consent(&first, &alice).await.unwrap(),
        "nothing consented yet"
    );
    engine.approve(&first, &alice, now(), now()).await.unwrap();
    assert!(
        !engine.needs_consent(&first, &alice).await.unwrap(),
        "covered by the consent"
    );
    let wider = engine
        .validate_authorization(&auto("read write"), now())
        .await
        .unwrap();
    assert!(
        engine.needs_consent(&wider, &alice).await.unwrap(),
        "write was never granted"
    );
    assert!(
        engine.needs_consent(&forced, &alice).await.unwrap(),
        "force always asks"
    );

    let mut trusted = client.application.clone();
    trusted.skip_authorization = true;
    world.store_update(&trusted).await;
    let request = engine
        .validate_authorization(&params(&client), now())
        .await
        .unwrap();
    assert!(!engine.needs_consent(&request, &alice).await.unwrap());
}
