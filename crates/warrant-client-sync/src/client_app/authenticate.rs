//! Logging in with the server's password (ocs-authentication's
//! `OAuthUsernamePasswordBackend`, with `EmailOrUsernameModelBackend` as the fallback).

use serde::Deserialize;
use time::OffsetDateTime;
use warrant_model::Secret;
use warrant_outgoing::{Body, Request};

use super::record::not_a_record;
use super::{ClientSync, MirroredUser, UserRecord};
use crate::SyncError;

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Secret<String>,
}

/// What the server said of a login.
enum ServerVerdict {
    /// The password grant worked: here is an access token.
    Accepted(Secret<String>),
    /// The server answered and refused.
    Refused,
    /// No usable answer (down, timed out, a server error).
    Unavailable(SyncError),
}

impl ClientSync {
    /// The user `login` (username or email) names, if `password` is theirs.
    ///
    /// The server decides: a password grant with this app's client credentials; if the
    /// server refuses it, the login fails (and a remembered password is forgotten). If it
    /// accepts, the user's profile is read with the new access token and the local user
    /// created or updated from it; a profile that cannot be read is an error, not a failed
    /// login. Only when the server cannot be reached at all is the password checked against
    /// the one remembered from the user's last login through the server.
    pub async fn authenticate(
        &self,
        login: &str,
        password: &Secret<String>,
    ) -> Result<Option<MirroredUser>, SyncError> {
        match self.password_grant(login, password).await {
            ServerVerdict::Accepted(access_token) => {
                let record = self.profile(&access_token).await?;
                let user = self
                    .store
                    .upsert(&record, OffsetDateTime::now_utc())
                    .await?;
                self.store
                    .remember_password(user.id, &self.hasher, password)
                    .await?;
                Ok(user.is_active.then_some(user))
            }
            ServerVerdict::Refused => {
                if let Some(user) = self.store.user_by_login(login).await? {
                    self.store.forget_password(user.id).await?;
                }
                Ok(None)
            }
            ServerVerdict::Unavailable(error) => {
                tracing::warn!(%error, "client sync: the server cannot check a login; using the remembered password");
                self.remembered_login(login, password).await
            }
        }
    }

    async fn password_grant(&self, login: &str, password: &Secret<String>) -> ServerVerdict {
        let body = Body::form([
            ("grant_type", "password"),
            ("username", login),
            ("password", password.expose()),
            ("client_id", &self.settings.client_id),
            ("client_secret", self.settings.client_secret.expose()),
        ]);
        let answer = self
            .http
            .send(Request::post(self.settings.token_url.clone(), body))
            .await
            .map_err(SyncError::from);
        match answer {
            Ok(answer) if answer.is_success() => {
                match serde_json::from_slice::<TokenAnswer>(&answer.body) {
                    Ok(token) => ServerVerdict::Accepted(token.access_token),
                    Err(_) => ServerVerdict::Unavailable(SyncError::Profile(
                        "the token endpoint's answer has no access_token".into(),
                    )),
                }
            }
            Ok(answer) if answer.status >= 500 => {
                ServerVerdict::Unavailable(SyncError::Refused(answer.status))
            }
            Ok(_) => ServerVerdict::Refused,
            Err(error) => ServerVerdict::Unavailable(error),
        }
    }

    async fn profile(&self, access_token: &Secret<String>) -> Result<UserRecord, SyncError> {
        let authorization = Secret::new(format!("Bearer {}", access_token.expose()));
        let answer = self
            .http
            .send(Request::get(self.settings.profile_url.clone()).authorized(authorization))
            .await
            .map_err(|error| SyncError::Profile(error.to_string()))?;
        if !answer.is_success() {
            return Err(SyncError::Profile(format!(
                "answered HTTP {}",
                answer.status
            )));
        }
        serde_json::from_slice(&answer.body)
            .map_err(|error| SyncError::Profile(not_a_record(&error)))
    }

    async fn remembered_login(
        &self,
        login: &str,
        password: &Secret<String>,
    ) -> Result<Option<MirroredUser>, SyncError> {
        let user = self.store.user_by_login(login).await?;
        let hash = match &user {
            Some(user) => self.store.password_hash(user.id).await?,
            None => None,
        };
        let matched = self
            .hasher
            .verify(password, hash.as_ref())
            .await
            .map_err(|error| SyncError::Mirror(error.to_string()))?;
        Ok(user.filter(|user| matched && user.is_active))
    }
}
