//! A store, generators and settings for engine tests, and builders for the usual cast.

use time::OffsetDateTime;
use warrant_generators::{
    Generators, GeneratorsConfig, HashingLimits, PasswordHasher, PasswordPool, Registry, SealingKey,
};
use warrant_grants::{
    ApplicationRegistration, ClientCache, ClientCredentials, Engine, EngineParts, GrantSettings,
    InitialPassword, Introspection, KeyRing, NewAccount, ThrottleCache, TokenRequest,
    TokenResponse,
};
use warrant_model::{
    Application, ClientType, GrantType, GrantTypes, RedirectUri, RedirectUriPolicy, ScopeSet,
    Secret, User, Username,
};
use warrant_storage::SqliteStore;
use warrant_storage::prelude::*;

pub async fn store() -> SqliteStore {
    SqliteStore::in_memory().await.unwrap()
}

pub fn generators() -> Generators {
    Registry::with_builtins()
        .build(&GeneratorsConfig::default())
        .unwrap()
}

pub fn now() -> OffsetDateTime {
    warrant_storage::stored_time(OffsetDateTime::now_utc())
}

pub fn registration(
    client_type: ClientType,
    grants: &[GrantType],
    redirects: &[&str],
) -> ApplicationRegistration {
    ApplicationRegistration {
        client_id: None,
        client_secret: None,
        name: "App".into(),
        client_type,
        grant_types: GrantTypes::new(grants.iter().copied()).unwrap(),
        redirect_uris: redirects
            .iter()
            .map(|u| RedirectUri::parse(u, RedirectUriPolicy::default()).unwrap())
            .collect(),
        post_logout_redirect_uris: vec![],
        allowed_origins: vec![],
        allowed_resources: Default::default(),
        owner: None,
        skip_authorization: false,
        pkce_required: false,
        algorithm: None,
        security: Default::default(),
    }
}

pub fn secret(value: &str) -> Secret<String> {
    Secret::new(value.to_owned())
}

pub fn scope(text: &str) -> ScopeSet {
    ScopeSet::parse(text).unwrap()
}

/// A world to run flows in: store, generators, a cheap password hasher, settings.
pub struct World {
    pub store: SqliteStore,
    /// No client apps unless a test sets them.
    pub parts: EngineParts,
}

/// The sealing key of test worlds.
pub fn sealing() -> SealingKey {
    SealingKey::derive(&secret(
        "a test secret key of at least thirty-two characters",
    ))
    .unwrap()
}

pub const PASSWORD: &str = "correct-horse-battery";
pub const REDIRECT: &str = "https://app.example.com/cb";
/// RFC 7636 Appendix B's PKCE verifier and its S256 challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A registered client and how it authenticates.
pub struct Client {
    pub application: Application,
    pub credentials: ClientCredentials,
}

impl World {
    pub async fn new() -> Self {
        Self::with_settings(GrantSettings::default()).await
    }

    pub async fn with_settings(settings: GrantSettings) -> Self {
        let parts = EngineParts {
            // Off: tests change applications between requests and must see it at once.
            clients: ClientCache::new(std::time::Duration::ZERO),
            documents: warrant_grants::ClientDocuments::disabled(),
            key_sets: warrant_grants::ClientKeySets::without_fetching(),
            throttles: ThrottleCache::new(std::time::Duration::ZERO),
            generators: generators(),
            hasher: PasswordPool::new(PasswordHasher::new(1000).unwrap(), HashingLimits::default()),
            // Off, like the client cache: rotations must be seen at once.
            keys: KeyRing::new(
                sealing(),
                std::time::Duration::ZERO,
                settings.id_token_lifetime,
            ),
            settings,
            client_apps: Vec::new(),
            events: std::sync::Arc::new(warrant_grants::NoEvents),
        };
        Self {
            store: store().await,
            parts,
        }
    }

    pub fn engine(&self) -> Engine<'_> {
        self.parts.engine(&self.store)
    }

    pub async fn user(&self, name: &str) -> User {
        let account = NewAccount {
            username: Username::parse(name).unwrap(),
            email: Some(warrant_model::Email::parse(&format!("{name}@example.com")).unwrap()),
            password: InitialPassword::Plain(secret(PASSWORD)),
            first_name: String::new(),
            last_name: String::new(),
            is_staff: false,
            is_superuser: false,
        };
        self.engine().create_user(account, now()).await.unwrap()
    }

    /// A client of `client_type` allowed `grants`, with one redirect URI.
    pub async fn client(&self, client_type: ClientType, grants: &[GrantType]) -> Client {
        let (application, secret) = self
            .engine()
            .register_application(registration(client_type, grants, &[REDIRECT]), now())
            .await
            .unwrap();
        let client_id = application.client_id.clone();
        let credentials = match secret {
            Some(secret) => ClientCredentials::Secret { client_id, secret },
            None => ClientCredentials::IdOnly { client_id },
        };
        Client {
            application,
            credentials,
        }
    }

    /// Writes a changed application.
    pub async fn store_update(&self, application: &Application) {
        self.store
            .update_application(application, now())
            .await
            .unwrap();
    }

    /// A `client_credentials` token for `client`, with the default scopes.
    pub async fn client_credentials_token(&self, client: &Client) -> TokenResponse {
        self.engine()
            .token(
                &client.credentials,
                TokenRequest::ClientCredentials { scope: None },
                now(),
            )
            .await
            .unwrap()
    }

    /// alice's password grant to `client` at `at`, for `scope` (`None`: the default scopes).
    pub async fn alices_password_grant(
        &self,
        client: &Client,
        scope: Option<ScopeSet>,
        at: OffsetDateTime,
    ) -> TokenResponse {
        let request = TokenRequest::Password {
            username: "alice".into(),
            password: secret(PASSWORD),
            scope,
        };
        self.engine()
            .token(&client.credentials, request, at)
            .await
            .unwrap()
    }

    /// Whether introspection calls `token` active now.
    pub async fn is_active(&self, token: &str) -> bool {
        matches!(
            self.engine()
                .introspect(&secret(token), None, now())
                .await
                .unwrap(),
            Introspection::Active(_)
        )
    }

    /// Deactivates `user` (only in the store: the engine must notice).
    pub async fn deactivate(&self, user: &mut User) {
        user.is_active = false;
        self.store
            .update_user(user, warrant_storage::SyncTo::NOBODY)
            .await
            .unwrap();
    }

    /// A confidential client allowed every token-endpoint grant.
    pub async fn confidential(&self) -> Client {
        use GrantType::*;
        self.client(
            ClientType::Confidential,
            &[AuthorizationCode, Password, ClientCredentials, RefreshToken],
        )
        .await
    }
}
