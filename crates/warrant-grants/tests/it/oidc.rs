//! OpenID Connect: ID tokens from each grant, userinfo claims by scope, signing keys.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use warrant_grants::{
    AuthorizationParams, GrantSettings, OAuthError, ScopeCatalog, TokenRequest, TokenResponse,
    ensure_signing_keys, rotate_signing_key, userinfo,
};
use warrant_model::{RedirectUri, RedirectUriPolicy, SigningAlgorithm, User};
use warrant_storage::prelude::*;

use crate::support::*;

async fn oidc_world() -> World {
    let world = World::with_settings(GrantSettings {
        scopes: ScopeCatalog::default().with_openid_scopes(),
        ..GrantSettings::default()
    })
    .await;
    ensure_signing_keys(&world.store, &sealing(), &SigningAlgorithm::ALL, now())
        .await
        .unwrap();
    world
}

/// A JWT's header and claims (the signature is checked by the e2e tests' OIDC library).
fn decode(jwt: &str) -> (Value, Value) {
    let part = |i: usize| -> Value {
        let text = jwt.split('.').nth(i).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).unwrap()).unwrap()
    };
    assert_eq!(jwt.split('.').count(), 3);
    (part(0), part(1))
}

async fn code_flow(
    world: &World,
    client: &Client,
    alice: &User,
    scope: &str,
    nonce: Option<&str>,
) -> TokenResponse {
    let engine = world.engine();
    let params = AuthorizationParams {
        client_id: Some(client.application.client_id.to_string()),
        response_type: Some("code".into()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some(scope.into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        nonce: nonce.map(str::to_owned),
        ..AuthorizationParams::default()
    };
    let request = engine.validate_authorization(&params, now()).await.unwrap();
    let auth_time = now() - time::Duration::minutes(5);
    let location = engine
        .approve(&request, alice, auth_time, now())
        .await
        .unwrap();
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    engine
        .token(
            &client.credentials,
            TokenRequest::AuthorizationCode {
                code: secret(&code),
                redirect_uri: Some(
                    RedirectUri::parse(REDIRECT, RedirectUriPolicy::default()).unwrap(),
                ),
                code_verifier: Some(secret(VERIFIER)),
            },
            now(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn the_code_flow_with_openid_returns_a_signed_id_token() {
    let world = oidc_world().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let response = code_flow(
        &world,
        &client,
        &alice,
        "openid profile",
        Some("n-0S6_WzA2Mj"),
    )
    .await;
    let (header, claims) = decode(response.id_token.unwrap().expose());

    assert_eq!(header["alg"], "RS256", "the default algorithm");
    let keys = world.parts.keys.current(&world.store, now()).await.unwrap();
    assert_eq!(
        header["kid"],
        keys.signer(SigningAlgorithm::RS256).unwrap().kid(),
        "signed by the active key"
    );
    assert_eq!(claims["iss"], world.parts.settings.issuer);
    assert_eq!(
        claims["sub"],
        alice.id.to_string(),
        "the stable id, not the username"
    );
    assert_eq!(claims["aud"], client.application.client_id.as_str());
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 36_000);
    assert_eq!(claims["auth_time"].as_i64().unwrap(), iat - 300);
    assert_eq!(
        claims["at_hash"],
        warrant_generators::half_hash(SigningAlgorithm::RS256, response.access_token.expose())
    );
    assert_eq!(claims["preferred_username"], "alice", "profile scope");
    assert_eq!(claims.get("email"), None, "no email scope");
}

#[tokio::test]
async fn refreshed_id_tokens_keep_the_original_auth_time() {
    let world = oidc_world().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let mut response = code_flow(&world, &client, &alice, "openid", Some("n-1")).await;
    let (_, first) = decode(response.id_token.as_ref().unwrap().expose());
    let logged_in_at = first["auth_time"].as_i64().unwrap();
    // OIDC Core §12.2: every ID token of the grant says when the user logged in, through
    // each rotation of the refresh token; none repeats the nonce.
    for _ in 0..2 {
        response = world
            .engine()
            .token(
                &client.credentials,
                TokenRequest::RefreshToken {
                    refresh_token: response.refresh_token.unwrap(),
                    scope: None,
                },
                now(),
            )
            .await
            .unwrap();
        let (_, claims) = decode(response.id_token.as_ref().unwrap().expose());
        assert_eq!(claims["auth_time"].as_i64(), Some(logged_in_at), "{claims}");
        assert_eq!(claims.get("nonce"), None);
    }
}

#[tokio::test]
async fn each_application_gets_its_algorithm() {
    let world = oidc_world().await;
    let alice = world.user("alice").await;
    for algorithm in SigningAlgorithm::ALL {
        let mut client = world.confidential().await;
        client.application.algorithm = Some(algorithm);
        world.store_update(&client.application).await;
        let response = code_flow(&world, &client, &alice, "openid", None).await;
        let (header, claims) = decode(response.id_token.unwrap().expose());
        assert_eq!(header["alg"], algorithm.as_str());
        assert_eq!(claims.get("nonce"), None, "no nonce was sent");
    }
}

#[tokio::test]
async fn no_id_token_without_openid_or_without_a_user() {
    let world = oidc_world().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let response = code_flow(&world, &client, &alice, "read", None).await;
    assert!(response.id_token.is_none());

    let response = world
        .engine()
        .token(
            &client.credentials,
            TokenRequest::ClientCredentials {
                scope: Some(scope("openid")),
            },
            now(),
        )
        .await
        .unwrap();
    assert!(
        response.id_token.is_none(),
        "client credentials have no user"
    );
}

#[tokio::test]
async fn the_password_and_refresh_grants_return_id_tokens() {
    let world = oidc_world().await;
    let client = world.confidential().await;
    world.user("alice").await;
    let engine = world.engine();
    let response = engine
        .token(
            &client.credentials,
            TokenRequest::Password {
                username: "alice".into(),
                password: secret(PASSWORD),
                scope: Some(scope("openid email")),
            },
            now(),
        )
        .await
        .unwrap();
    let (_, claims) = decode(response.id_token.as_ref().unwrap().expose());
    assert_eq!(
        claims["auth_time"], claims["iat"],
        "authenticated by this request"
    );
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], false);

    let refreshed = engine
        .token(
            &client.credentials,
            TokenRequest::RefreshToken {
                refresh_token: response.refresh_token.unwrap(),
                scope: None,
            },
            now(),
        )
        .await
        .unwrap();
    let (_, claims) = decode(refreshed.id_token.unwrap().expose());
    assert_eq!(claims["aud"], client.application.client_id.as_str());
    assert_eq!(claims["email"], "alice@example.com");
}

#[tokio::test]
async fn without_a_signing_key_openid_is_a_server_error() {
    let world = World::with_settings(GrantSettings {
        scopes: ScopeCatalog::default().with_openid_scopes(),
        ..GrantSettings::default()
    })
    .await;
    world.user("alice").await;
    let client = world.confidential().await;
    let refused = world
        .engine()
        .token(
            &client.credentials,
            TokenRequest::Password {
                username: "alice".into(),
                password: secret(PASSWORD),
                scope: Some(scope("openid")),
            },
            now(),
        )
        .await;
    assert!(
        matches!(refused, Err(OAuthError::ServerError)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn userinfo_releases_claims_by_scope() {
    let world = oidc_world().await;
    let mut alice = world.user("alice").await;
    alice.first_name = "Alice".into();
    alice.last_name = "Liddell".into();

    let claims = userinfo(Some(&alice), &scope("openid")).unwrap();
    assert_eq!(claims.len(), 1, "only sub: {claims:?}");
    assert_eq!(claims["sub"], alice.id.to_string());

    let claims = userinfo(Some(&alice), &scope("openid profile email")).unwrap();
    assert_eq!(claims["name"], "Alice Liddell");
    assert_eq!(claims["given_name"], "Alice");
    assert_eq!(claims["family_name"], "Liddell");
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["email"], "alice@example.com");

    assert!(matches!(
        userinfo(Some(&alice), &scope("read profile")),
        Err(OAuthError::InsufficientScope { .. })
    ));
    assert!(matches!(
        userinfo(None, &scope("openid")),
        Err(OAuthError::InvalidToken(_))
    ));
}

#[tokio::test]
async fn rotation_signs_with_the_new_key_and_publishes_the_old_until_its_tokens_expire() {
    let world = oidc_world().await;
    let sealing = sealing();
    let created = ensure_signing_keys(&world.store, &sealing, &SigningAlgorithm::ALL, now())
        .await
        .unwrap();
    assert!(created.is_empty(), "each algorithm has a key already");
    let keys = world.parts.keys.current(&world.store, now()).await.unwrap();
    let old = keys
        .signer(SigningAlgorithm::ES256)
        .unwrap()
        .kid()
        .to_owned();
    let published = |keys: &warrant_grants::KeySet| -> Vec<String> {
        keys.jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(published(&keys).len(), 3);
    assert!(
        keys.jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("d").is_none()),
        "no private key material is published"
    );

    let new = rotate_signing_key(&world.store, &sealing, SigningAlgorithm::ES256, now())
        .await
        .unwrap();
    let keys = world.parts.keys.current(&world.store, now()).await.unwrap();
    assert_eq!(keys.signer(SigningAlgorithm::ES256).unwrap().kid(), new.kid);
    assert!(
        published(&keys).contains(&old),
        "the old key verifies its tokens"
    );
    assert_eq!(published(&keys).len(), 4);

    let after_expiry = now() + world.parts.settings.id_token_lifetime + time::Duration::seconds(1);
    let keys = world
        .parts
        .keys
        .current(&world.store, after_expiry)
        .await
        .unwrap();
    assert!(
        !published(&keys).contains(&old),
        "gone once its tokens expired"
    );
    assert_eq!(published(&keys).len(), 3);
    let stored = world.store.signing_keys().await.unwrap();
    assert!(
        stored
            .iter()
            .any(|k| k.kid == old && k.retired_at.is_some())
    );
}

#[tokio::test]
async fn keys_sealed_under_another_secret_key_do_not_open() {
    let world = oidc_world().await;
    let other = warrant_generators::SealingKey::derive(&secret(
        "another secret key that is also long enough",
    ))
    .unwrap();
    let ring =
        warrant_grants::KeyRing::new(other, std::time::Duration::ZERO, time::Duration::hours(1));
    assert!(ring.current(&world.store, now()).await.is_err());
}

/// An authorization request of `client` for `response_type`, with `openid`, a nonce and
/// PKCE.
fn oidc_params(client: &Client, response_type: &str) -> AuthorizationParams {
    AuthorizationParams {
        client_id: Some(client.application.client_id.to_string()),
        response_type: Some(response_type.into()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some("openid profile".into()),
        state: Some("af0ifjsldkj".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        ..AuthorizationParams::default()
    }
}

/// The fragment's parameters of a `Location` (and that there is no query answer).
fn fragment(location: &str) -> std::collections::BTreeMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    assert_eq!(url.query(), None, "{location}");
    url::form_urlencoded::parse(url.fragment().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

async fn front_channel_client(world: &World) -> Client {
    use warrant_model::GrantType::*;
    world
        .client(
            warrant_model::ClientType::Confidential,
            &[AuthorizationCode, Implicit],
        )
        .await
}

#[tokio::test]
async fn id_tokens_come_from_the_authorization_endpoint_for_each_oidc_response_type() {
    let world = oidc_world().await;
    let client = front_channel_client(&world).await;
    let alice = world.user("alice").await;
    let engine = world.engine();
    let auth_time = now() - time::Duration::minutes(1);
    let approve = async |response_type: &str| {
        let request = engine
            .validate_authorization(&oidc_params(&client, response_type), now())
            .await
            .unwrap();
        fragment(
            &engine
                .approve(&request, &alice, auth_time, now())
                .await
                .unwrap(),
        )
    };

    let answer = approve("id_token").await;
    assert_eq!(answer["state"], "af0ifjsldkj");
    assert!(!answer.contains_key("access_token") && !answer.contains_key("code"));
    let (_, claims) = decode(&answer["id_token"]);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["auth_time"], auth_time.unix_timestamp());
    assert_eq!(
        claims["preferred_username"], "alice",
        "no userinfo call: claims inline"
    );
    assert_eq!(claims.get("at_hash"), None);

    let answer = approve("token id_token").await;
    let (header, claims) = decode(&answer["id_token"]);
    let algorithm = SigningAlgorithm::parse(header["alg"].as_str().unwrap()).unwrap();
    assert_eq!(
        claims["at_hash"],
        warrant_generators::half_hash(algorithm, &answer["access_token"])
    );
    assert_eq!(answer["token_type"], "Bearer");
    assert!(!answer.contains_key("refresh_token"));

    let answer = approve("code id_token").await;
    let (_, claims) = decode(&answer["id_token"]);
    assert_eq!(
        claims["c_hash"],
        warrant_generators::half_hash(algorithm, &answer["code"])
    );
    assert!(!answer.contains_key("access_token"));
    let tokens = engine
        .token(
            &client.credentials,
            TokenRequest::AuthorizationCode {
                code: secret(&answer["code"]),
                redirect_uri: Some(
                    RedirectUri::parse(REDIRECT, RedirectUriPolicy::default()).unwrap(),
                ),
                code_verifier: Some(secret(VERIFIER)),
            },
            now(),
        )
        .await
        .unwrap();
    let (_, claims) = decode(tokens.id_token.unwrap().expose());
    assert_eq!(
        claims["nonce"], "n-0S6_WzA2Mj",
        "the hybrid code keeps the nonce"
    );
}

#[tokio::test]
async fn front_channel_id_tokens_need_openid_a_nonce_and_an_allowed_grant() {
    let world = oidc_world().await;
    let client = front_channel_client(&world).await;
    let code_only = world.confidential().await;
    let cases = [
        (
            AuthorizationParams {
                nonce: None,
                ..oidc_params(&client, "id_token")
            },
            "invalid_request",
        ),
        (
            AuthorizationParams {
                nonce: None,
                ..oidc_params(&client, "code id_token")
            },
            "invalid_request",
        ),
        (
            AuthorizationParams {
                scope: Some("profile".into()),
                ..oidc_params(&client, "id_token token")
            },
            "invalid_request",
        ),
        (
            oidc_params(&client, "code token"),
            "unsupported_response_type",
        ),
        (
            oidc_params(&client, "id_token id_token"),
            "unsupported_response_type",
        ),
        (oidc_params(&code_only, "id_token"), "unauthorized_client"),
    ];
    for (params, code) in cases {
        match world.engine().validate_authorization(&params, now()).await {
            Err(warrant_grants::AuthorizationRejection::Redirect { location, error }) => {
                assert_eq!(error.code(), code, "{params:?}");
                let answer = fragment(&location);
                assert_eq!(answer["error"], code, "errors go in the fragment");
                assert_eq!(answer["state"], "af0ifjsldkj");
            }
            other => panic!("{params:?}: {other:?}"),
        }
    }
    // A pure OAuth implicit request still works without a nonce.
    let plain = AuthorizationParams {
        nonce: None,
        scope: Some("read".into()),
        ..oidc_params(&client, "token")
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
async fn prompt_and_max_age_decide_whether_to_log_in_or_ask() {
    use warrant_grants::{AuthorizationRejection, NextStep};
    let world = oidc_world().await;
    let client = world.confidential().await;
    let alice = world.user("alice").await;
    let engine = world.engine();
    let step = async |params: AuthorizationParams, auth_time: Option<time::OffsetDateTime>| {
        let request = engine.validate_authorization(&params, now()).await.unwrap();
        let session = auth_time.map(|at| (&alice, at));
        engine.next_step(&request, session, now()).await
    };
    let with = |prompt: Option<&str>, max_age: Option<&str>| AuthorizationParams {
        prompt: prompt.map(str::to_owned),
        max_age: max_age.map(str::to_owned),
        ..oidc_params(&client, "code")
    };
    let just_now = Some(now());
    let two_minutes_ago = Some(now() - time::Duration::minutes(2));

    assert_eq!(step(with(None, None), None).await, Ok(NextStep::LogIn));
    assert_eq!(
        step(with(None, None), just_now).await,
        Ok(NextStep::Consent)
    );
    assert_eq!(
        step(with(Some("login"), None), just_now).await,
        Ok(NextStep::LogIn)
    );
    assert_eq!(
        step(with(None, Some("60")), two_minutes_ago).await,
        Ok(NextStep::LogIn)
    );
    assert_eq!(
        step(with(None, Some("600")), two_minutes_ago).await,
        Ok(NextStep::Consent)
    );
    let refused = |outcome: Result<NextStep, AuthorizationRejection>| match outcome {
        Err(AuthorizationRejection::Redirect { location, error }) => {
            assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
            assert!(location.contains("state=af0ifjsldkj"), "{location}");
            error.code()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        refused(step(with(Some("none"), None), None).await),
        "login_required"
    );
    assert_eq!(
        refused(step(with(Some("none"), Some("60")), two_minutes_ago).await),
        "login_required"
    );
    assert_eq!(
        refused(step(with(Some("none"), None), just_now).await),
        "consent_required"
    );

    let mut trusted = client.application.clone();
    trusted.skip_authorization = true;
    world.store_update(&trusted).await;
    assert_eq!(
        step(with(Some("none"), None), just_now).await,
        Ok(NextStep::Answer)
    );
    assert_eq!(step(with(None, None), just_now).await, Ok(NextStep::Answer));
    assert_eq!(
        step(with(Some("consent"), None), just_now).await,
        Ok(NextStep::Consent),
        "prompt=consent asks even a trusted client's user"
    );
    assert_eq!(
        step(with(Some("select_account login"), None), just_now).await,
        Ok(NextStep::LogIn)
    );

    for (prompt, max_age) in [
        (Some("none login"), None),
        (Some("sometimes"), None),
        (None, Some("-1")),
        (None, Some("soon")),
    ] {
        let outcome = engine
            .validate_authorization(&with(prompt, max_age), now())
            .await;
        match outcome {
            Err(AuthorizationRejection::Redirect { error, .. }) => {
                assert_eq!(error.code(), "invalid_request", "{prompt:?} {max_age:?}")
            }
            other => panic!("{prompt:?} {max_age:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn logout_requests_are_checked_and_the_hint_spares_its_user_a_confirmation() {
    use warrant_grants::LogoutParams;
    let world = oidc_world().await;
    let mut client = world.confidential().await;
    client.application.post_logout_redirect_uris = vec![
        RedirectUri::parse("https://app.example.com/bye", RedirectUriPolicy::default()).unwrap(),
    ];
    world.store_update(&client.application).await;
    let alice = world.user("alice").await;
    let bob = world.user("bob").await;
    let id_token = code_flow(&world, &client, &alice, "openid", None)
        .await
        .id_token
        .unwrap()
        .expose()
        .clone();
    let engine = world.engine();
    let hinted = LogoutParams {
        id_token_hint: Some(id_token.clone()),
        post_logout_redirect_uri: Some("https://app.example.com/bye".into()),
        state: Some("st 1".into()),
        ..LogoutParams::default()
    };

    let request = engine.validate_logout(&hinted, now()).await.unwrap();
    assert_eq!(
        request.redirect.as_deref(),
        Some("https://app.example.com/bye?state=st+1")
    );
    assert!(!request.needs_confirmation(&alice), "the hint names alice");
    assert!(request.needs_confirmation(&bob));
    let much_later = now() + time::Duration::days(30);
    assert!(
        engine.validate_logout(&hinted, much_later).await.is_ok(),
        "an expired ID token is still a hint"
    );

    let by_client = LogoutParams {
        client_id: Some(client.application.client_id.to_string()),
        post_logout_redirect_uri: Some("https://app.example.com/bye".into()),
        ..LogoutParams::default()
    };
    let request = engine.validate_logout(&by_client, now()).await.unwrap();
    assert!(
        request.needs_confirmation(&alice),
        "no proof of whose session it is"
    );
    let bare = engine
        .validate_logout(&LogoutParams::default(), now())
        .await
        .unwrap();
    assert_eq!(bare.redirect, None);

    let (header, claims) = {
        let mut parts = id_token.split('.');
        (
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
        )
    };
    let forged = format!("{header}.{claims}.{}", URL_SAFE_NO_PAD.encode([0u8; 64]));
    let other_client = world.confidential().await;
    let refused = [
        LogoutParams {
            post_logout_redirect_uri: Some("https://app.example.com/bye".into()),
            ..LogoutParams::default()
        },
        LogoutParams {
            post_logout_redirect_uri: Some("https://evil.example.com/".into()),
            ..hinted.clone()
        },
        LogoutParams {
            id_token_hint: Some(forged),
            ..hinted.clone()
        },
        LogoutParams {
            id_token_hint: Some("not-a-jwt".into()),
            ..hinted.clone()
        },
        LogoutParams {
            client_id: Some(other_client.application.client_id.to_string()),
            ..hinted.clone()
        },
        LogoutParams {
            client_id: Some("unknown".into()),
            ..by_client.clone()
        },
    ];
    for params in refused {
        let outcome = engine.validate_logout(&params, now()).await;
        assert!(
            matches!(outcome, Err(OAuthError::InvalidRequest(_))),
            "{params:?}: {outcome:?}"
        );
    }

    let elsewhere = GrantSettings {
        issuer: "https://another.example.com".into(),
        ..world.parts.settings.clone()
    };
    let other_issuer = warrant_grants::Engine {
        settings: &elsewhere,
        ..engine
    };
    assert!(
        other_issuer.validate_logout(&hinted, now()).await.is_err(),
        "an ID token of another issuer is no hint"
    );
}

#[tokio::test]
async fn a_logout_revokes_every_token_its_user_granted_unless_configured_not_to() {
    for revokes in [true, false] {
        let world = World::with_settings(GrantSettings {
            logout_revokes_tokens: revokes,
            ..GrantSettings::default()
        })
        .await;
        let (first, second) = (world.confidential().await, world.confidential().await);
        let alice = world.user("alice").await;
        world.user("bob").await;
        let alices = [
            world.alices_password_grant(&first, None, now()).await,
            world.alices_password_grant(&second, None, now()).await,
        ];
        let bobs = world
            .engine()
            .token(
                &first.credentials,
                TokenRequest::Password {
                    username: "bob".into(),
                    password: secret(PASSWORD),
                    scope: None,
                },
                now(),
            )
            .await
            .unwrap();

        let revoked = world
            .engine()
            .revoke_tokens_at_logout(alice.id, now())
            .await
            .unwrap();

        assert_eq!(
            revoked,
            if revokes { 4 } else { 0 },
            "two access, two refresh"
        );
        for (tokens, client) in alices.iter().zip([&first, &second]) {
            assert_eq!(
                world.is_active(tokens.access_token.expose()).await,
                !revokes
            );
            let refresh = TokenRequest::RefreshToken {
                refresh_token: tokens.refresh_token.clone().unwrap(),
                scope: None,
            };
            let refreshed = world
                .engine()
                .token(&client.credentials, refresh, now())
                .await;
            assert_eq!(refreshed.is_ok(), !revokes, "revokes: {revokes}");
        }
        assert!(
            world.is_active(bobs.access_token.expose()).await,
            "bob's token is not alice's"
        );
    }
}
