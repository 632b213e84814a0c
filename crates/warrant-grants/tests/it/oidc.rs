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

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const ALL: [SigningAlgorithm; 3] = [
    SigningAlgorithm::RS256,
    SigningAlgorithm::ES256,
    SigningAlgorithm::EdDSA,
];

async fn oidc_world() -> World {
    let world = World::with_settings(GrantSettings {
        scopes: ScopeCatalog::default().with_openid_scopes(),
        ..GrantSettings::default()
    })
    .await;
    ensure_signing_keys(&world.store, &sealing(), &ALL, now())
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
    let request = engine.validate_authorization(&params).await.unwrap();
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
    let keys = world.keys.current(&world.store, now()).await.unwrap();
    assert_eq!(
        header["kid"],
        keys.signer(SigningAlgorithm::RS256).unwrap().kid(),
        "signed by the active key"
    );
    assert_eq!(claims["iss"], world.settings.issuer);
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
async fn each_application_gets_its_algorithm() {
    let world = oidc_world().await;
    let alice = world.user("alice").await;
    for algorithm in ALL {
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
        Err(OAuthError::InsufficientScope(_))
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
    let created = ensure_signing_keys(&world.store, &sealing, &ALL, now())
        .await
        .unwrap();
    assert!(created.is_empty(), "each algorithm has a key already");
    let keys = world.keys.current(&world.store, now()).await.unwrap();
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
    let keys = world.keys.current(&world.store, now()).await.unwrap();
    assert_eq!(keys.signer(SigningAlgorithm::ES256).unwrap().kid(), new.kid);
    assert!(
        published(&keys).contains(&old),
        "the old key verifies its tokens"
    );
    assert_eq!(published(&keys).len(), 4);

    let after_expiry = now() + world.settings.id_token_lifetime + time::Duration::seconds(1);
    let keys = world
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
