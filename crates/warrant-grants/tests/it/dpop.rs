//! DPoP at the token endpoint (RFC 9449 §5).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};
use warrant_generators::{SigningKeyPair, generate_signing_key, jwk_thumbprint};
use warrant_grants::{
    DpopHeader, DpopPolicy, GrantSettings, Introspection, OAuthError, TokenRequest,
};
use warrant_model::{ClientSecurity, ClientType, GrantType, Resources, SigningAlgorithm};

use crate::support::*;

const TOKEN_URL: &str = "http://127.0.0.1:8000/o/token/";

/// A client's DPoP key: it signs proofs with its public key in the header.
pub(crate) struct DpopKey {
    pair: EcdsaKeyPair,
    jwk: Value,
}

impl DpopKey {
    pub(crate) fn new() -> Self {
        let pkcs8 = generate_signing_key(SigningAlgorithm::ES256).unwrap();
        let public = SigningKeyPair::from_pkcs8(SigningAlgorithm::ES256, pkcs8.expose())
            .unwrap()
            .public_jwk()
            .clone();
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8.expose(),
            &SystemRandom::new(),
        )
        .unwrap();
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": public["x"], "y": public["y"]});
        Self { pair, jwk }
    }

    pub(crate) fn jkt(&self) -> String {
        jwk_thumbprint(&self.jwk).unwrap()
    }

    /// A proof for a token request, with `extra` claims.
    pub(crate) fn proof(&self, jti: &str, extra: Value) -> DpopHeader {
        let mut claims =
            json!({"jti": jti, "htm": "POST", "htu": TOKEN_URL, "iat": now().unix_timestamp()});
        for (name, value) in extra.as_object().unwrap() {
            claims[name] = value.clone();
        }
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
        let input = format!(
            "{}.{}",
            encode(&json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk})),
            encode(&claims)
        );
        let signature = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        DpopHeader {
            proof: format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)),
            url: TOKEN_URL.into(),
        }
    }
}

async fn with_proof(
    world: &World,
    client: &Client,
    request: TokenRequest,
    proof: Option<&DpopHeader>,
) -> Result<warrant_grants::TokenResponse, OAuthError> {
    world
        .engine()
        .token_with(
            &client.credentials,
            request,
            Resources::default(),
            proof,
            now(),
        )
        .await
}

fn client_credentials() -> TokenRequest {
    TokenRequest::ClientCredentials { scope: None }
}

#[tokio::test]
async fn a_proof_binds_the_token_to_its_key_once() {
    let world = World::new().await;
    let client = world
        .client(ClientType::Confidential, &[GrantType::ClientCredentials])
        .await;
    let key = DpopKey::new();
    let proof = key.proof("d1", json!({}));
    let bound = with_proof(&world, &client, client_credentials(), Some(&proof))
        .await
        .unwrap();
    assert_eq!(bound.token_type, "DPoP");
    match world
        .engine()
        .introspect(&bound.access_token, None, now())
        .await
        .unwrap()
    {
        Introspection::Active(token) => {
            assert_eq!(token.dpop_jkt, Some(key.jkt()));
            assert_eq!(token.token_type, "DPoP");
        }
        Introspection::Inactive => panic!("the token is live"),
    }
    let bearer = world
        .engine()
        .authenticate_bearer(&bound.access_token, now())
        .await
        .unwrap();
    assert_eq!(bearer.token.dpop_jkt, Some(key.jkt()));

    let replayed = with_proof(&world, &client, client_credentials(), Some(&proof)).await;
    assert!(
        matches!(replayed, Err(OAuthError::InvalidDpopProof(_))),
        "{replayed:?}"
    );
    let other_url = DpopHeader {
        url: "http://127.0.0.1:8000/o/par/".into(),
        ..key.proof("d2", json!({}))
    };
    let refused = with_proof(&world, &client, client_credentials(), Some(&other_url)).await;
    assert!(
        matches!(refused, Err(OAuthError::InvalidDpopProof(_))),
        "{refused:?}"
    );
    let unbound = with_proof(&world, &client, client_credentials(), None)
        .await
        .unwrap();
    assert_eq!(unbound.token_type, "Bearer");
}

#[tokio::test]
async fn a_client_that_must_use_dpop_is_refused_without_a_proof() {
    let world = World::new().await;
    let mut client = world
        .client(ClientType::Confidential, &[GrantType::ClientCredentials])
        .await;
    client.application.security = ClientSecurity {
        require_dpop: true,
        ..ClientSecurity::default()
    };
    world.store_update(&client.application).await;
    let refused = with_proof(&world, &client, client_credentials(), None).await;
    assert!(
        matches!(refused, Err(OAuthError::InvalidDpopProof(_))),
        "{refused:?}"
    );
    let key = DpopKey::new();
    assert!(
        with_proof(
            &world,
            &client,
            client_credentials(),
            Some(&key.proof("r1", json!({})))
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn server_nonces_are_asked_for_and_accepted() {
    let world = World::with_settings(GrantSettings {
        dpop: DpopPolicy {
            require_nonce: true,
            ..DpopPolicy::default()
        },
        ..GrantSettings::default()
    })
    .await;
    let client = world
        .client(ClientType::Confidential, &[GrantType::ClientCredentials])
        .await;
    let key = DpopKey::new();
    let nonce = match with_proof(
        &world,
        &client,
        client_credentials(),
        Some(&key.proof("n1", json!({}))),
    )
    .await
    {
        Err(OAuthError::UseDpopNonce { nonce }) => nonce,
        other => panic!("expected use_dpop_nonce, got {other:?}"),
    };
    let stale = key.proof("n2", json!({"nonce": "not-ours"}));
    assert!(matches!(
        with_proof(&world, &client, client_credentials(), Some(&stale)).await,
        Err(OAuthError::UseDpopNonce { .. })
    ));
    let fresh = key.proof("n3", json!({"nonce": nonce}));
    let token = with_proof(&world, &client, client_credentials(), Some(&fresh))
        .await
        .unwrap();
    assert_eq!(token.token_type, "DPoP");
}

#[tokio::test]
async fn a_public_clients_refresh_token_needs_a_proof_of_its_key() {
    let world = World::new().await;
    world.user("alice").await;
    let client = world
        .client(
            ClientType::Public,
            &[GrantType::Password, GrantType::RefreshToken],
        )
        .await;
    let key = DpopKey::new();
    let password = TokenRequest::Password {
        username: "alice".into(),
        password: secret(PASSWORD),
        scope: None,
    };
    let first = with_proof(&world, &client, password, Some(&key.proof("p1", json!({}))))
        .await
        .unwrap();
    let refresh = |token: &warrant_grants::TokenResponse| TokenRequest::RefreshToken {
        refresh_token: token.refresh_token.clone().unwrap(),
        scope: None,
    };
    let without = with_proof(&world, &client, refresh(&first), None).await;
    assert!(
        matches!(without, Err(OAuthError::InvalidDpopProof(_))),
        "{without:?}"
    );
    let other_key = with_proof(
        &world,
        &client,
        refresh(&first),
        Some(&DpopKey::new().proof("p2", json!({}))),
    )
    .await;
    assert!(
        matches!(other_key, Err(OAuthError::InvalidDpopProof(_))),
        "{other_key:?}"
    );
    let second = with_proof(
        &world,
        &client,
        refresh(&first),
        Some(&key.proof("p3", json!({}))),
    )
    .await
    .unwrap();
    assert_eq!(second.token_type, "DPoP");
    // The new refresh token is bound too.
    let unproved = with_proof(&world, &client, refresh(&second), None).await;
    assert!(matches!(unproved, Err(OAuthError::InvalidDpopProof(_))));
}
