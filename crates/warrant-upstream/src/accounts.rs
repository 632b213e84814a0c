//! Connections between Warrant users and provider accounts, with django-oauth-login's rules:
//! a login through a connected account logs its user in; an unknown account signs up a new
//! user unless its email is already taken; a logged-in user connects accounts no one else
//! has; a user disconnects only their own connections, and never their last way to log in.
//! Provider tokens are sealed at rest.

use time::{Duration, OffsetDateTime};
use warrant_generators::{PasswordHasher, SealingKey};
use warrant_grants::{NewAccount, create_user};
use warrant_model::{
    ClientAppUrl, Email, NewUpstreamConnection, ProviderKey, Secret, UpstreamConnection, User,
    Username,
};
use warrant_storage::{Store, StoreError, Unique};

use crate::UpstreamError;
use crate::http_client::HttpClient;
use crate::provider::{Provider, UpstreamTokens, UpstreamUser};

/// The sealing purpose of connections' access tokens.
pub const ACCESS_TOKEN_PURPOSE: &str = "upstream_access_token";
/// The sealing purpose of connections' refresh tokens.
pub const REFRESH_TOKEN_PURPOSE: &str = "upstream_refresh_token";

/// An access token this close to its expiry is refreshed before use.
const EXPIRY_MARGIN: Duration = Duration::seconds(30);

/// What a login through a provider did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// A connected account: its user.
    Existing(User),
    /// An unknown account: a new user, connected to it.
    SignedUp(User),
}

/// What the connection rules need.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    /// The database.
    pub store: &'a dyn Store,
    /// Seals provider tokens.
    pub sealing: &'a SealingKey,
    /// Hashes passwords (a new user gets none).
    pub hasher: &'a PasswordHasher,
    /// Client apps a new user is sent to.
    pub client_apps: &'a [ClientAppUrl],
}

impl Accounts<'_> {
    /// The user who logs in with `upstream` at `provider`: the connected user (their stored
    /// tokens replaced by `tokens`), or a new user connected to it.
    pub async fn log_in(
        &self,
        provider: &ProviderKey,
        tokens: &UpstreamTokens,
        upstream: &UpstreamUser,
        now: OffsetDateTime,
    ) -> Result<Login, UpstreamError> {
        if let Some(connection) = self.store.connection(provider, &upstream.id).await? {
            return self.log_in_connected(&connection, tokens, now).await;
        }
        let email = upstream.email.as_deref().and_then(|e| Email::parse(e).ok());
        if let Some(email) = &email
            && self.store.user_by_email(email).await?.is_some()
        {
            return Err(UpstreamError::EmailTaken);
        }
        let user = self.sign_up(&upstream.username, email, now).await?;
        match self
            .create_connection(&user, provider, tokens, upstream, now)
            .await
        {
            Ok(_) => Ok(Login::SignedUp(user)),
            Err(error) => {
                // No user without its connection: a second first login through the same
                // account (two tabs, a double click) lost the race to connect it, and
                // logs in as the winner's user instead.
                self.store.delete_user(user.id).await?;
                match (error, self.store.connection(provider, &upstream.id).await?) {
                    (UpstreamError::ConnectedElsewhere(_), Some(connection)) => {
                        self.log_in_connected(&connection, tokens, now).await
                    }
                    (error, _) => Err(error),
                }
            }
        }
    }

    /// The user of `connection`, logging in (their stored tokens replaced by `tokens`).
    async fn log_in_connected(
        &self,
        connection: &UpstreamConnection,
        tokens: &UpstreamTokens,
        now: OffsetDateTime,
    ) -> Result<Login, UpstreamError> {
        let user = self
            .store
            .user_by_id(connection.user_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if !user.is_active {
            return Err(UpstreamError::Inactive);
        }
        self.store_tokens(connection.id, tokens, now).await?;
        Ok(Login::Existing(user))
    }

    /// Connects `upstream` to the logged-in `user` (or refreshes the tokens of their
    /// existing connection to it).
    pub async fn connect(
        &self,
        user: &User,
        provider: &ProviderKey,
        tokens: &UpstreamTokens,
        upstream: &UpstreamUser,
        now: OffsetDateTime,
    ) -> Result<UpstreamConnection, UpstreamError> {
        match self.store.connection(provider, &upstream.id).await? {
            Some(connection) if connection.user_id == user.id => {
                self.store_tokens(connection.id, tokens, now).await?;
                Ok(connection)
            }
            Some(_) => Err(UpstreamError::ConnectedElsewhere(provider.to_string())),
            None => {
                self.create_connection(user, provider, tokens, upstream, now)
                    .await
            }
        }
    }

    /// Removes one of `user`'s connections, unless it is their last way to log in.
    pub async fn disconnect(&self, user: &User, connection_id: i64) -> Result<(), UpstreamError> {
        let connections = self.store.connections_of_user(user.id).await?;
        if !connections.iter().any(|c| c.id == connection_id) {
            return Err(UpstreamError::NotYours);
        }
        if user.password.is_none() && connections.len() == 1 {
            return Err(UpstreamError::LastLogin);
        }
        if self.store.delete_connection(connection_id, user.id).await? {
            Ok(())
        } else {
            Err(UpstreamError::NotYours)
        }
    }

    /// A usable access token of `connection`, refreshed at `provider` when it has expired
    /// (or is about to); the new tokens are stored.
    pub async fn fresh_access_token(
        &self,
        provider: &Provider,
        http: &dyn HttpClient,
        connection: &UpstreamConnection,
        now: OffsetDateTime,
    ) -> Result<Secret<String>, UpstreamError> {
        let expired = connection
            .access_token_expires_at
            .is_some_and(|expires| expires <= now + EXPIRY_MARGIN);
        if !expired {
            return Ok(self
                .sealing
                .open_str(ACCESS_TOKEN_PURPOSE, &connection.access_token)?);
        }
        let sealed = connection
            .refresh_token
            .as_ref()
            .ok_or(UpstreamError::NoRefreshToken)?;
        let refresh_token = self.sealing.open_str(REFRESH_TOKEN_PURPOSE, sealed)?;
        let refreshed = provider.refresh(http, &refresh_token, now).await?;
        self.store_tokens(connection.id, &refreshed, now).await?;
        Ok(refreshed.access_token)
    }

    async fn store_tokens(
        &self,
        connection_id: i64,
        tokens: &UpstreamTokens,
        now: OffsetDateTime,
    ) -> Result<(), UpstreamError> {
        let (access, refresh) = self.seal(tokens)?;
        self.store
            .update_connection_tokens(
                connection_id,
                &access,
                refresh.as_ref(),
                tokens.expires_at,
                now,
            )
            .await?;
        Ok(())
    }

    fn seal(
        &self,
        tokens: &UpstreamTokens,
    ) -> Result<(warrant_model::Sealed, Option<warrant_model::Sealed>), UpstreamError> {
        let access = self
            .sealing
            .seal_str(ACCESS_TOKEN_PURPOSE, &tokens.access_token)?;
        let refresh = tokens
            .refresh_token
            .as_ref()
            .map(|token| self.sealing.seal_str(REFRESH_TOKEN_PURPOSE, token))
            .transpose()?;
        Ok((access, refresh))
    }

    async fn create_connection(
        &self,
        user: &User,
        provider: &ProviderKey,
        tokens: &UpstreamTokens,
        upstream: &UpstreamUser,
        now: OffsetDateTime,
    ) -> Result<UpstreamConnection, UpstreamError> {
        let (access_token, refresh_token) = self.seal(tokens)?;
        let connection = NewUpstreamConnection {
            user_id: user.id,
            provider: provider.clone(),
            provider_user_id: upstream.id.clone(),
            access_token,
            refresh_token,
            access_token_expires_at: tokens.expires_at,
            extra_data: upstream.record.to_string(),
            created_at: now,
        };
        match self.store.create_connection(&connection).await {
            Err(StoreError::Conflict(_)) => {
                Err(UpstreamError::ConnectedElsewhere(provider.to_string()))
            }
            other => Ok(other?),
        }
    }

    /// A new user without a password, named after the provider's username (made valid, and
    /// numbered when taken).
    async fn sign_up(
        &self,
        suggested: &str,
        email: Option<Email>,
        now: OffsetDateTime,
    ) -> Result<User, UpstreamError> {
        let base = valid_username(suggested);
        for attempt in 1..=100 {
            let candidate = if attempt == 1 {
                base.clone()
            } else {
                format!("{base}-{attempt}")
            };
            let Ok(username) = Username::parse(&candidate) else {
                continue;
            };
            let account = NewAccount {
                username,
                email: email.clone(),
                password: None,
                first_name: String::new(),
                last_name: String::new(),
                is_staff: false,
                is_superuser: false,
            };
            match create_user(self.store, self.hasher, account, self.client_apps, now).await {
                Ok(user) => return Ok(user),
                Err(warrant_grants::GrantsError::Store(StoreError::Conflict(Unique::Username))) => {
                }
                Err(warrant_grants::GrantsError::Store(StoreError::Conflict(Unique::Email))) => {
                    return Err(UpstreamError::EmailTaken);
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(UpstreamError::Protocol {
            endpoint: "sign-up".into(),
            what: format!("no free username like {base:?}"),
        })
    }
}

/// Django's username characters (letters, digits, `@ . + - _`), at most 140 so a number
/// fits after it; `user` when nothing is left.
fn valid_username(suggested: &str) -> String {
    let kept: String = suggested
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '@' | '.' | '+' | '-' | '_'))
        .take(140)
        .collect();
    if kept.is_empty() { "user".into() } else { kept }
}
