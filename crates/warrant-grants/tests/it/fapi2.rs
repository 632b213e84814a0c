//! The FAPI 2.0 Security Profile (`profile = fapi2`): one test per requirement, each
//! refusing the one thing a conforming request does otherwise, and the conforming flow.

use serde_json::{Value, json};
use time::Duration;
use warrant_generators::{SigningKeyPair, generate_signing_key};
use warrant_grants::{
    AuthorizationParams, AuthorizationRejection, ClientCredentials, GrantSettings, OAuthError,
    TokenRequest, TokenResponse,
};
use warrant_model::{
    Application, AuthMethod, ClientJwks, ClientKeys, ClientSecurity, ClientType, GrantType,
    RedirectUri, RedirectUriPolicy, Resources, Secret, SecurityProfile, SigningAlgorithm,
};

use warrant_storage::prelude::*;

use crate::dpop::DpopKey;
use crate::support::*;

const ISSUER: &str = "http://127.0.0.1:8000";

/// A FAPI 2.0 client: confidential (it has a secret too, which must not work), its
/// `private_key_jwt` key, allowed the code flow and, to be refused, the password grant.
struct Fapi {
    world: World,
    application: Application,
    key: SigningKeyPair,
    secret: Secret<String>,
}

fn signing_key(algorithm: SigningAlgorithm) -> SigningKeyPair {
    let pkcs8 = generate_signing_key(algorithm).unwrap();
    SigningKeyPair::from_pkcs8(algorithm, pkcs8.expose()).unwrap()
}

impl Fapi {
    async fn new() -> Self {
        Self::with(GrantSettings::default(), &[REDIRECT]).await
    }

    async fn with(settings: GrantSettings, redirects: &[&str]) -> Self {
        let world = World::with_settings(settings).await;
        world.user("alice").await;
        let key = signing_key(SigningAlgorithm::ES256);
        let rs256 = signing_key(SigningAlgorithm::RS256);
        let mut registration = registration(
            ClientType::Confidential,
            &[
                GrantType::AuthorizationCode,
                GrantType::RefreshToken,
                GrantType::Password,
            ],
            redirects,
        );
        registration.security = ClientSecurity {
            auth_method: Some(AuthMethod::PrivateKeyJwt),
            keys: Some(ClientKeys::Jwks(
                ClientJwks::from_value(json!({"keys": [key.public_jwk(), rs256.public_jwk()]}))
                    .unwrap(),
            )),
            profile: Some(SecurityProfile::Fapi2),
            ..ClientSecurity::default()
        };
        let (application, secret) = world
            .engine()
            .register_application(registration, now())
            .await
            .unwrap();
        Self {
            world,
            application,
            key,
            secret: secret.unwrap(),
        }
    }

    /// An assertion signed with `key` for `aud`.
    fn assertion_by(&self, key: &SigningKeyPair, jti: &str, aud: Value) -> ClientCredentials {
        let id = self.application.client_id.as_str();
        let claims = json!({
            "iss": id, "sub": id, "aud": aud, "jti": jti,
            "iat": now().unix_timestamp(), "exp": now().unix_timestamp() + 60,
        });
        ClientCredentials::Assertion {
            client_id: self.application.client_id.clone(),
            assertion: Secret::new(key.sign_jwt("JWT", &claims).unwrap()),
            endpoint: format!("{ISSUER}/o/token/"),
        }
    }

    /// A conforming assertion: ES256, `aud` the issuer as a string.
    fn assertion(&self, jti: &str) -> ClientCredentials {
        self.assertion_by(&self.key, jti, json!(ISSUER))
    }

    /// A conforming pushed request's parameters.
    fn params(&self) -> AuthorizationParams {
        AuthorizationParams {
            response_type: Some("code".into()),
            redirect_uri: Some(REDIRECT.into()),
            scope: Some("read".into()),
            state: Some("s".into()),
            code_challenge: Some(CHALLENGE.into()),
            code_challenge_method: Some("S256".into()),
            ..AuthorizationParams::default()
        }
    }

    async fn push(&self, params: AuthorizationParams) -> Result<String, OAuthError> {
        self.world
            .engine()
            .push_authorization_request(&self.application, params, None, now())
            .await
            .map(|pushed| pushed.request_uri)
    }

    /// A code for a conforming pushed request, approved by alice at `at`.
    async fn code(&self, at: time::OffsetDateTime) -> String {
        let request_uri = self.push(self.params()).await.unwrap();
        self.approve(request_uri, at).await
    }

    /// The code alice's approval at `at` of the request pushed as `request_uri` answers.
    async fn approve(&self, request_uri: String, at: time::OffsetDateTime) -> String {
        let engine = self.world.engine();
        let brought = AuthorizationParams {
            client_id: Some(self.application.client_id.to_string()),
            request_uri: Some(request_uri),
            ..AuthorizationParams::default()
        };
        let request = engine.validate_authorization(&brought, at).await.unwrap();
        let alice = self
            .world
            .store
            .user_by_username(&warrant_model::Username::parse("alice").unwrap())
            .await
            .unwrap()
            .unwrap();
        let location = engine.approve(&request, &alice, at, at).await.unwrap();
        assert!(
            location.contains("iss=http%3A%2F%2F127.0.0.1%3A8000"),
            "{location}"
        );
        url::Url::parse(&location)
            .unwrap()
            .query_pairs()
            .find(|(name, _)| name == "code")
            .unwrap()
            .1
            .into_owned()
    }

    async fn token(
        &self,
        credentials: &ClientCredentials,
        request: TokenRequest,
        dpop: Option<&DpopKey>,
        jti: &str,
        at: time::OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let proof = dpop.map(|key| key.proof(jti, json!({})));
        self.world
            .engine()
            .token_with(
                credentials,
                request,
                Resources::default(),
                proof.as_ref(),
                at,
            )
            .await
    }
}

fn exchange(code: &str) -> TokenRequest {
    TokenRequest::AuthorizationCode {
        code: secret(code),
        redirect_uri: Some(RedirectUri::parse(REDIRECT, RedirectUriPolicy::default()).unwrap()),
        code_verifier: Some(secret(VERIFIER)),
    }
}

fn code_of(error: Result<impl std::fmt::Debug, OAuthError>) -> String {
    error.unwrap_err().code().to_owned()
}

#[tokio::test]
async fn a_conforming_flow_gets_sender_constrained_tokens_that_refresh_without_rotation() {
    let fapi = Fapi::new().await;
    let key = DpopKey::new();
    let code = fapi.code(now()).await;
    let tokens = fapi
        .token(
            &fapi.assertion("a1"),
            exchange(&code),
            Some(&key),
            "p1",
            now(),
        )
        .await
        .unwrap();
    assert_eq!(tokens.token_type, "DPoP");
    let refresh = tokens.refresh_token.clone().unwrap();
    let refreshed = fapi
        .token(
            &fapi.assertion("a2"),
            TokenRequest::RefreshToken {
                refresh_token: refresh.clone(),
                scope: None,
            },
            Some(&key),
            "p2",
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        refreshed.refresh_token.as_ref().map(|t| t.expose().clone()),
        Some(refresh.expose().clone()),
        "no rotation: the client keeps its refresh token"
    );
    assert_eq!(refreshed.token_type, "DPoP");
}

#[tokio::test]
async fn requests_must_be_pushed() {
    let fapi = Fapi::new().await;
    let plain = AuthorizationParams {
        client_id: Some(fapi.application.client_id.to_string()),
        ..fapi.params()
    };
    match fapi
        .world
        .engine()
        .validate_authorization(&plain, now())
        .await
    {
        Err(AuthorizationRejection::Redirect { error, .. }) => {
            assert_eq!(error.code(), "invalid_request")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn only_the_code_response_type() {
    let fapi = Fapi::new().await;
    let hybrid = AuthorizationParams {
        response_type: Some("code id_token".into()),
        scope: Some("openid".into()),
        nonce: Some("n".into()),
        ..fapi.params()
    };
    assert_eq!(
        code_of(fapi.push(hybrid).await),
        "unsupported_response_type"
    );
}

#[tokio::test]
async fn pkce_with_s256_is_required() {
    let fapi = Fapi::new().await;
    let without = AuthorizationParams {
        code_challenge: None,
        code_challenge_method: None,
        ..fapi.params()
    };
    assert_eq!(code_of(fapi.push(without).await), "invalid_request");
}

#[tokio::test]
async fn the_request_names_its_redirect_uri() {
    let fapi = Fapi::new().await;
    let unnamed = AuthorizationParams {
        redirect_uri: None,
        ..fapi.params()
    };
    assert_eq!(code_of(fapi.push(unnamed).await), "invalid_request");
}

#[tokio::test]
async fn redirect_uris_are_https() {
    let fapi = Fapi::with(GrantSettings::default(), &["http://127.0.0.1:9000/cb"]).await;
    let to_http = AuthorizationParams {
        redirect_uri: Some("http://127.0.0.1:9000/cb".into()),
        ..fapi.params()
    };
    assert_eq!(code_of(fapi.push(to_http).await), "invalid_request");
}

#[tokio::test]
async fn clients_authenticate_with_private_key_jwt_only() {
    let fapi = Fapi::new().await;
    let code = fapi.code(now()).await;
    let with_secret = ClientCredentials::Secret {
        client_id: fapi.application.client_id.clone(),
        secret: fapi.secret.clone(),
    };
    let refused = fapi
        .token(
            &with_secret,
            exchange(&code),
            Some(&DpopKey::new()),
            "p1",
            now(),
        )
        .await;
    assert_eq!(code_of(refused), "invalid_client");
}

#[tokio::test]
async fn assertions_name_the_issuer_alone() {
    let fapi = Fapi::new().await;
    let key = DpopKey::new();
    for (jti, aud) in [
        ("e1", json!(format!("{ISSUER}/o/token/"))),
        ("e2", json!([ISSUER])),
    ] {
        let code = fapi.code(now()).await;
        let assertion = fapi.assertion_by(&fapi.key, jti, aud);
        let refused = fapi
            .token(&assertion, exchange(&code), Some(&key), jti, now())
            .await;
        assert_eq!(code_of(refused), "invalid_client", "{jti}");
    }
}

#[tokio::test]
async fn assertions_use_the_profiles_algorithms() {
    let fapi = Fapi::new().await;
    let code = fapi.code(now()).await;
    // The client's RS256 key is registered, but FAPI 2.0 takes PS256, ES256 and EdDSA.
    let rs256 = signing_key(SigningAlgorithm::RS256);
    let mut application = fapi.application.clone();
    application.security.keys = Some(ClientKeys::Jwks(
        ClientJwks::from_value(json!({"keys": [rs256.public_jwk()]})).unwrap(),
    ));
    fapi.world.store_update(&application).await;
    let assertion = fapi.assertion_by(&rs256, "r1", json!(ISSUER));
    let refused = fapi
        .token(
            &assertion,
            exchange(&code),
            Some(&DpopKey::new()),
            "p1",
            now(),
        )
        .await;
    assert_eq!(code_of(refused), "invalid_client");
}

#[tokio::test]
async fn tokens_are_sender_constrained() {
    let fapi = Fapi::new().await;
    let code = fapi.code(now()).await;
    let refused = fapi
        .token(&fapi.assertion("a1"), exchange(&code), None, "-", now())
        .await;
    assert_eq!(code_of(refused), "invalid_dpop_proof");
}

#[tokio::test]
async fn the_password_grant_is_refused() {
    let fapi = Fapi::new().await;
    let password = TokenRequest::Password {
        username: "alice".into(),
        password: secret(PASSWORD),
        scope: None,
    };
    let refused = fapi
        .token(
            &fapi.assertion("a1"),
            password,
            Some(&DpopKey::new()),
            "p1",
            now(),
        )
        .await;
    assert_eq!(code_of(refused), "unauthorized_client");
}

#[tokio::test]
async fn codes_live_sixty_seconds_at_most() {
    let fapi = Fapi::with(
        GrantSettings {
            authorization_code_lifetime: Duration::minutes(10),
            ..GrantSettings::default()
        },
        &[REDIRECT],
    )
    .await;
    let issued = now() - Duration::seconds(61);
    let code = fapi.code(issued).await;
    let refused = fapi
        .token(
            &fapi.assertion("a1"),
            exchange(&code),
            Some(&DpopKey::new()),
            "p1",
            now(),
        )
        .await;
    assert_eq!(code_of(refused), "invalid_grant");
}

#[tokio::test]
async fn the_server_default_holds_clients_that_name_no_profile() {
    let fapi = Fapi::with(
        GrantSettings {
            default_profile: SecurityProfile::Fapi2,
            ..GrantSettings::default()
        },
        &[REDIRECT],
    )
    .await;
    let mut standard = fapi.application.clone();
    standard.security.profile = None;
    fapi.world.store_update(&standard).await;
    let plain = AuthorizationParams {
        client_id: Some(fapi.application.client_id.to_string()),
        ..fapi.params()
    };
    assert!(
        fapi.world
            .engine()
            .validate_authorization(&plain, now())
            .await
            .is_err(),
        "held to the default fapi2: must push"
    );
    standard.security.profile = Some(SecurityProfile::Standard);
    fapi.world.store_update(&standard).await;
    assert!(
        fapi.world
            .engine()
            .validate_authorization(&plain, now())
            .await
            .is_ok(),
        "a client may be held to the standard profile explicitly"
    );
}

#[tokio::test]
async fn a_code_bound_to_a_dpop_key_needs_a_proof_of_it() {
    // RFC 9449 §10, which FAPI 2.0 asks servers to support: a proof sent with the pushed
    // request binds the code to its key.
    let fapi = Fapi::new().await;
    let key = DpopKey::new();
    let pushed = fapi
        .world
        .engine()
        .push_authorization_request(
            &fapi.application,
            fapi.params(),
            Some(&key.proof("par", json!({}))),
            now(),
        )
        .await
        .unwrap();
    let code = fapi.approve(pushed.request_uri, now()).await;
    let other_key = fapi
        .token(
            &fapi.assertion("a1"),
            exchange(&code),
            Some(&DpopKey::new()),
            "p1",
            now(),
        )
        .await;
    assert_eq!(code_of(other_key), "invalid_dpop_proof");
}

#[tokio::test]
async fn a_pushed_proof_must_match_the_dpop_jkt_named() {
    let fapi = Fapi::new().await;
    let key = DpopKey::new();
    let naming_another = AuthorizationParams {
        dpop_jkt: Some(DpopKey::new().jkt()),
        ..fapi.params()
    };
    let refused = fapi
        .world
        .engine()
        .push_authorization_request(
            &fapi.application,
            naming_another,
            Some(&key.proof("par", json!({}))),
            now(),
        )
        .await;
    assert_eq!(code_of(refused), "invalid_dpop_proof");
    let malformed = AuthorizationParams {
        dpop_jkt: Some("not a thumbprint".into()),
        ..fapi.params()
    };
    assert_eq!(code_of(fapi.push(malformed).await), "invalid_request");
}
