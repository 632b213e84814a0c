//! [`ApiUser`]: who calls Warrant's own JSON API (`/api/…`): a bearer token's user, the user
//! of an API token (`Authorization: Token <key>`, as Django REST framework's
//! `TokenAuthentication` reads it), or the logged-in user of the session.

use rocket::request::{FromRequest, Outcome, Request};
use warrant_grants::OAuthError;
use warrant_model::{Secret, User};

use crate::AppState;
use warrant_guards::{Refusal, authorization_credentials, checked_bearer, refuse, resource_server};

/// An active user calling Warrant's API.
pub(crate) struct ApiUser {
    pub(crate) user: User,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiUser {
    type Error = Refusal;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Refusal> {
        match api_user(request).await {
            Ok(user) => Outcome::Success(Self { user }),
            Err(refusal) => refuse(request, refusal),
        }
    }
}

async fn api_user(request: &Request<'_>) -> Result<User, Refusal> {
    if let Some(token) = checked_bearer(request).await? {
        return token.user.ok_or_else(|| {
            Refusal::Token(OAuthError::InsufficientScope {
                description: "this token was issued to a client, not granted by a user".into(),
                required: Vec::new(),
            })
        });
    }
    if let Some(key) = api_token(request)? {
        let state = request
            .rocket()
            .state::<AppState>()
            .ok_or(Refusal::Token(OAuthError::ServerError))?;
        return state
            .engine()
            .user_of_api_token(&key)
            .await
            .map_err(Refusal::Token);
    }
    resource_server(request)?
        .session_user(request)
        .await?
        .ok_or(Refusal::CredentialsRequired)
}

/// The key of an `Authorization: Token <key>` header.
fn api_token(request: &Request<'_>) -> Result<Option<Secret<String>>, Refusal> {
    match request.headers().get_one("Authorization") {
        Some(value) => authorization_credentials(value, "Token").map_err(Refusal::Token),
        None => Ok(None),
    }
}
