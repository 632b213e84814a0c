//! Connections between Warrant users and provider accounts, with django-oauth-login's rules:
//! a login through a connected account logs its user in; an unknown account signs up a new
//! user unless its email is already taken; a logged-in user connects accounts no one else
//! has; a user disconnects only their own connections, and never their last way to log in.
//! Provider tokens are sealed at rest.

use time::{Duration, OffsetDateTime};
use warrant_generators::SealingKey;
use warrant_model::{
    ClientAppUrl, Email, NewUpstreamConnection, NewUser, ProviderKey, Secret, UpstreamAccount,
    UpstreamConnection, User, Username,
};
use warrant_storage::{Store, StoreError, SyncTo, Unique};

use crate::UpstreamError;
use crate::http_client::HttpClient;
use crate::provider::{Provider, UpstreamTokens, UpstreamUser};

/// The sealing purpose of connections' access tokens.
pub const ACCESS_TOKEN_PURPOSE: &str = warrant_model::sealing_purpose::UPSTREAM_ACCESS_TOKEN;
/// The sealing purpose of connections' refresh tokens.
pub const REFRESH_TOKEN_PURPOSE: &str = warrant_model::sealing_purpose::UPSTREAM_REFRESH_TOKEN;

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
        let signed_up = match &email {
            Some(email) if self.store.user_by_email(email).await?.is_some() => {
                Err(UpstreamError::EmailTaken)
            }
            _ => {
                let account = self.account(provider, tokens, upstream, now)?;
                self.sign_up(&upstream.username, email, &account, now).await
            }
        };
        match signed_up {
            Ok(user) => Ok(Login::SignedUp(user)),
            // Another first login through the same account (two tabs, a double click) made
            // its user first: the user and its connection appear together, so the email or
            // the account is taken exactly when the connection can be read. Log in as that
            // user. An email that belongs to anyone else stays refused.
            Err(error @ (UpstreamError::EmailTaken | UpstreamError::ConnectedElsewhere(_))) => {
                match self.store.connection(provider, &upstream.id).await? {
                    Some(connection) => self.log_in_connected(&connection, tokens, now).await,
                    None => Err(error),
                }
            }
            Err(error) => Err(error),
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
        if let Some(connection) = self.store.connection(provider, &upstream.id).await? {
            return self.reconnect(user, connection, tokens, now).await;
        }
        match self
            .create_connection(user, provider, tokens, upstream, now)
            .await
        {
            // Connected meanwhile (the same user in two tabs, or someone else): decided
            // by whose connection it is.
            Err(UpstreamError::ConnectedElsewhere(_)) => {
                match self.store.connection(provider, &upstream.id).await? {
                    Some(connection) => self.reconnect(user, connection, tokens, now).await,
                    None => Err(UpstreamError::ConnectedElsewhere(provider.to_string())),
                }
            }
            other => other,
        }
    }

    /// `connection` again for `user` (its tokens replaced), unless it is someone else's.
    async fn reconnect(
        &self,
        user: &User,
        connection: UpstreamConnection,
        tokens: &UpstreamTokens,
        now: OffsetDateTime,
    ) -> Result<UpstreamConnection, UpstreamError> {
        if connection.user_id != user.id {
            return Err(UpstreamError::ConnectedElsewhere(
                connection.provider.to_string(),
            ));
        }
        self.store_tokens(connection.id, tokens, now).await?;
        Ok(connection)
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

    /// The account a login at `provider` delivered, its tokens sealed.
    fn account(
        &self,
        provider: &ProviderKey,
        tokens: &UpstreamTokens,
        upstream: &UpstreamUser,
        now: OffsetDateTime,
    ) -> Result<UpstreamAccount, UpstreamError> {
        let (access_token, refresh_token) = self.seal(tokens)?;
        Ok(UpstreamAccount {
            provider: provider.clone(),
            provider_user_id: upstream.id.clone(),
            access_token,
            refresh_token,
            access_token_expires_at: tokens.expires_at,
            extra_data: upstream.record.to_string(),
            created_at: now,
        })
    }

    async fn create_connection(
        &self,
        user: &User,
        provider: &ProviderKey,
        tokens: &UpstreamTokens,
        upstream: &UpstreamUser,
        now: OffsetDateTime,
    ) -> Result<UpstreamConnection, UpstreamError> {
        let connection = NewUpstreamConnection {
            user_id: user.id,
            account: self.account(provider, tokens, upstream, now)?,
        };
        match self.store.create_connection(&connection).await {
            Err(StoreError::Conflict(_)) => {
                Err(UpstreamError::ConnectedElsewhere(provider.to_string()))
            }
            other => Ok(other?),
        }
    }

    /// A new user without a password, connected to `account` in the same transaction, named
    /// after the provider's username (made valid, and numbered when taken).
    async fn sign_up(
        &self,
        suggested: &str,
        email: Option<Email>,
        account: &UpstreamAccount,
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
            let user = NewUser {
                username,
                email: email.clone(),
                first_name: String::new(),
                last_name: String::new(),
                password: None,
                is_active: true,
                is_staff: false,
                is_superuser: false,
                date_joined: now,
            };
            let sync = SyncTo {
                client_apps: self.client_apps,
                now,
            };
            match self.store.create_connected_user(&user, account, sync).await {
                Ok((user, _)) => return Ok(user),
                Err(StoreError::Conflict(Unique::Username)) => {}
                Err(StoreError::Conflict(Unique::Email)) => return Err(UpstreamError::EmailTaken),
                Err(StoreError::Conflict(Unique::UpstreamAccount)) => {
                    return Err(UpstreamError::ConnectedElsewhere(
                        account.provider.to_string(),
                    ));
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
