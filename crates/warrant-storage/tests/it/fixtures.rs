//! Small builders for contract tests.

use time::{Duration, OffsetDateTime};
use warrant_generators::{family_id, hash_token, random_urlsafe};
use warrant_model::{
    AccessToken, Application, ClientId, ClientSecretHash, ClientType, Email, GrantType, GrantTypes,
    NewAccessToken, NewApplication, NewAuthorizationCode, NewRefreshToken, NewUser, RedirectUri,
    RedirectUriPolicy, RefreshToken, ScopeSet, TokenHash, User, Username,
};
use warrant_storage::prelude::*;
use warrant_storage::stored_time;

/// Now, as the store keeps it.
pub fn now() -> OffsetDateTime {
    stored_time(OffsetDateTime::now_utc())
}

/// A fresh random value and its hash, as the grant engine would make them.
pub fn secret() -> (String, TokenHash) {
    let value = random_urlsafe(32).unwrap().expose().clone();
    let hash = hash_token(&value);
    (value, hash)
}

pub fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        email: Some(Email::parse(&format!("{name}@example.com")).unwrap()),
        first_name: "First".into(),
        last_name: "Last".into(),
        password: None,
        is_active: true,
        is_staff: false,
        is_superuser: false,
        date_joined: now(),
    }
}

pub async fn user(store: &dyn Store, name: &str) -> User {
    store
        .create_user(&new_user(name), warrant_storage::SyncTo::NOBODY)
        .await
        .unwrap()
}

pub fn redirect(uri: &str) -> RedirectUri {
    RedirectUri::parse(uri, RedirectUriPolicy::default()).unwrap()
}

pub fn new_application(client_id: &str, owner: Option<&User>) -> NewApplication {
    NewApplication {
        client_id: ClientId::parse(client_id).unwrap(),
        client_secret: Some(ClientSecretHash::Sha256(secret().1)),
        client_type: ClientType::Confidential,
        grant_types: GrantTypes::new([GrantType::AuthorizationCode, GrantType::RefreshToken])
            .unwrap(),
        redirect_uris: vec![
            redirect("https://app.example.com/cb"),
            redirect("com.example.app:/cb"),
        ],
        post_logout_redirect_uris: vec![redirect("https://app.example.com/bye")],
        allowed_origins: vec![warrant_model::Origin::parse("https://app.example.com").unwrap()],
        allowed_resources: resources("https://api.example.com/"),
        name: "Example app".into(),
        owner: owner.map(|u| u.id),
        skip_authorization: false,
        pkce_required: true,
        algorithm: Some(warrant_model::SigningAlgorithm::RS256),
        security: Default::default(),
        sealed_secret: None,
    }
}

pub async fn application(store: &dyn Store, client_id: &str, owner: Option<&User>) -> Application {
    store
        .create_application(&new_application(client_id, owner), now())
        .await
        .unwrap()
}

pub fn scope(text: &str) -> ScopeSet {
    ScopeSet::parse(text).unwrap()
}

pub fn resources(text: &str) -> warrant_model::Resources {
    warrant_model::Resources::parse(text).unwrap()
}

pub fn new_code(app: &Application, user: &User, hash: TokenHash) -> NewAuthorizationCode {
    NewAuthorizationCode {
        code_hash: hash,
        application_id: app.id,
        user_id: user.id,
        redirect_uri: redirect("https://app.example.com/cb"),
        redirect_uri_included: true,
        scope: scope("openid read"),
        resources: resources("https://api.example.com/ https://mcp.example.com/mcp"),
        code_challenge: Some(
            warrant_model::CodeChallenge::parse(
                warrant_model::CodeChallengeMethod::S256,
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            )
            .unwrap(),
        ),
        nonce: Some("n-0S6_WzA2Mj".into()),
        dpop_jkt: None,
        auth_time: now(),
        created_at: now(),
        expires_at: now() + Duration::seconds(60),
    }
}

/// An access token and a refresh token of one new family.
pub async fn token_pair(
    store: &dyn Store,
    app: &Application,
    user: Option<&User>,
    code_id: Option<i64>,
) -> (AccessToken, RefreshToken) {
    let family = family_id().unwrap();
    let access = store
        .create_access_token(&NewAccessToken {
            token_hash: secret().1,
            application_id: app.id,
            user_id: user.map(|u| u.id),
            scope: scope("read write"),
            resources: resources("https://api.example.com/"),
            family: family.clone(),
            authorization_code_id: code_id,
            dpop_jkt: None,
            created_at: now(),
            expires_at: now() + Duration::hours(1),
        })
        .await
        .unwrap();
    let refresh = refresh_in_family(store, &access, None).await;
    (access, refresh)
}

/// A refresh token in `access`'s family, issued with it.
pub async fn refresh_in_family(
    store: &dyn Store,
    access: &AccessToken,
    hash: Option<TokenHash>,
) -> RefreshToken {
    store
        .create_refresh_token(&NewRefreshToken {
            token_hash: hash.unwrap_or_else(|| secret().1),
            application_id: access.application_id,
            user_id: access.user_id,
            scope: access.scope.clone(),
            resources: access.resources.clone(),
            family: access.family.clone(),
            access_token_id: Some(access.id),
            auth_time: Some(access.created_at),
            dpop_jkt: None,
            created_at: now(),
            expires_at: None,
        })
        .await
        .unwrap()
}
