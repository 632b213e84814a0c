//! JWT client assertions (RFC 7523): `private_key_jwt` and `client_secret_jwt`.

use serde_json::{Value, json};
use time::OffsetDateTime;
use warrant_generators::{SigningKeyPair, generate_signing_key};
use warrant_grants::{ClientCredentials, GrantsError, TokenRequest};
use warrant_model::{
    Application, AuthMethod, ClientJwks, ClientKeys, ClientSecurity, ClientType, GrantType, Secret,
    SigningAlgorithm,
};

use crate::support::*;

const ISSUER: &str = "http://127.0.0.1:8000";
const TOKEN_ENDPOINT: &str = "http://127.0.0.1:8000/o/token/";

fn key() -> SigningKeyPair {
    let pkcs8 = generate_signing_key(SigningAlgorithm::ES256).unwrap();
    SigningKeyPair::from_pkcs8(SigningAlgorithm::ES256, pkcs8.expose()).unwrap()
}

fn jwks_of(key: &SigningKeyPair) -> ClientKeys {
    ClientKeys::Jwks(ClientJwks::from_value(json!({"keys": [key.public_jwk()]})).unwrap())
}

fn claims(client: &Application, jti: &str, aud: &str, now: OffsetDateTime) -> Value {
    let id = client.client_id.as_str();
    json!({
        "iss": id, "sub": id, "aud": aud, "jti": jti,
        "iat": now.unix_timestamp(), "exp": now.unix_timestamp() + 60,
    })
}

fn assertion(client: &Application, jwt: String) -> ClientCredentials {
    ClientCredentials::Assertion {
        client_id: client.client_id.clone(),
        assertion: Secret::new(jwt),
        endpoint: TOKEN_ENDPOINT.into(),
    }
}

/// A `client_credentials` client that authenticates with `method`.
async fn client(world: &World, security: ClientSecurity) -> (Application, Option<Secret<String>>) {
    let mut registration = registration(
        ClientType::Confidential,
        &[GrantType::ClientCredentials],
        &[],
    );
    registration.security = security;
    world
        .engine()
        .register_application(registration, now())
        .await
        .unwrap()
}

async fn token_with(world: &World, credentials: &ClientCredentials) -> Result<(), String> {
    world
        .engine()
        .token(
            credentials,
            TokenRequest::ClientCredentials { scope: None },
            now(),
        )
        .await
        .map(|_| ())
        .map_err(|error| error.code().to_owned())
}

#[tokio::test]
async fn private_key_jwt_authenticates_once_per_assertion() {
    let world = World::new().await;
    let key = key();
    let (client, _) = client(
        &world,
        ClientSecurity {
            auth_method: Some(AuthMethod::PrivateKeyJwt),
            keys: Some(jwks_of(&key)),
            ..ClientSecurity::default()
        },
    )
    .await;
    let sign = |claims: &Value| key.sign_jwt("JWT", claims).unwrap();

    let first = assertion(&client, sign(&claims(&client, "j1", ISSUER, now())));
    assert_eq!(token_with(&world, &first).await, Ok(()));
    assert_eq!(
        token_with(&world, &first).await,
        Err("invalid_client".into()),
        "a replayed jti"
    );
    let to_endpoint = assertion(&client, sign(&claims(&client, "j2", TOKEN_ENDPOINT, now())));
    assert_eq!(token_with(&world, &to_endpoint).await, Ok(()));

    let refused = [
        sign(&claims(&client, "j3", "https://other.example", now())),
        sign(&claims(
            &client,
            "j4",
            ISSUER,
            now() - time::Duration::minutes(10),
        )),
        self::key()
            .sign_jwt("JWT", &claims(&client, "j5", ISSUER, now()))
            .unwrap(),
    ];
    for jwt in refused {
        assert_eq!(
            token_with(&world, &assertion(&client, jwt)).await,
            Err("invalid_client".into())
        );
    }
    // Its method is the only one: a secret would not do even if it had one.
    let secret = ClientCredentials::Secret {
        client_id: client.client_id.clone(),
        secret: secret("anything"),
    };
    assert_eq!(
        token_with(&world, &secret).await,
        Err("invalid_client".into())
    );
}

/// A compact JWS of `claims`, HS256 keyed with `secret`, as a `client_secret_jwt` client
/// makes it.
fn hs256_jwt(secret: &Secret<String>, claims: &Value) -> String {
    use base64::Engine as _;
    let base64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input = format!(
        "{}.{}",
        base64.encode(serde_json::to_vec(&json!({"alg": "HS256", "typ": "JWT"})).unwrap()),
        base64.encode(serde_json::to_vec(claims).unwrap())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.expose().as_bytes());
    format!(
        "{input}.{}",
        base64.encode(ring::hmac::sign(&key, input.as_bytes()))
    )
}

#[tokio::test]
async fn client_secret_jwt_is_keyed_with_the_current_secret() {
    let world = World::new().await;
    let (client, secret) = client(
        &world,
        ClientSecurity {
            auth_method: Some(AuthMethod::ClientSecretJwt),
            ..ClientSecurity::default()
        },
    )
    .await;
    let hs256 = |secret: &Secret<String>, jti: &str| {
        hs256_jwt(secret, &claims(&client, jti, ISSUER, now()))
    };
    let secret = secret.unwrap();
    assert!(client.sealed_secret.is_some(), "kept sealed for its HMAC");
    assert_eq!(
        token_with(&world, &assertion(&client, hs256(&secret, "h1"))).await,
        Ok(())
    );
    let rotated = world
        .engine()
        .rotate_client_secret(&client.client_id, now())
        .await
        .unwrap();
    assert_eq!(
        token_with(&world, &assertion(&client, hs256(&secret, "h2"))).await,
        Err("invalid_client".into()),
        "the old secret"
    );
    assert_eq!(
        token_with(&world, &assertion(&client, hs256(&rotated, "h3"))).await,
        Ok(())
    );
}

#[tokio::test]
async fn assertions_are_for_clients_that_use_them_and_methods_fit_the_client() {
    let world = World::new().await;
    let key = key();
    let plain = world
        .client(ClientType::Confidential, &[GrantType::ClientCredentials])
        .await;
    let jwt = key
        .sign_jwt("JWT", &claims(&plain.application, "p1", ISSUER, now()))
        .unwrap();
    assert_eq!(
        token_with(&world, &assertion(&plain.application, jwt)).await,
        Err("invalid_client".into()),
        "a client of the default method sends its secret"
    );

    let mut keyless = registration(
        ClientType::Confidential,
        &[GrantType::ClientCredentials],
        &[],
    );
    keyless.security.auth_method = Some(AuthMethod::PrivateKeyJwt);
    assert!(matches!(
        world.engine().register_application(keyless, now()).await,
        Err(GrantsError::KeysRequired)
    ));
    let mut public_with_secret_method = registration(
        ClientType::Public,
        &[GrantType::AuthorizationCode],
        &[REDIRECT],
    );
    public_with_secret_method.security.auth_method = Some(AuthMethod::ClientSecretBasic);
    assert!(matches!(
        world
            .engine()
            .register_application(public_with_secret_method, now())
            .await,
        Err(GrantsError::AuthMethodOfOtherType { .. })
    ));
}
