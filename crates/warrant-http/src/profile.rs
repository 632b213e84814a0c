//! `GET /api/profile/`: the bearer token's user in ocs-authentication's JSON shape, which
//! its client apps read after a password grant to create or update their local user.

use rocket::serde::json::{Value, json};
use rocket::{Route, State, get, routes};
use time::OffsetDateTime;
use warrant_grants::{OAuthError, api_token_of};
use warrant_model::{Secret, User};

use crate::AppState;
use crate::form::AuthorizationHeader;
use crate::oauth_response::OAuthJson;

pub(crate) fn routes() -> Vec<Route> {
    routes![profile]
}

#[get("/api/profile")]
async fn profile(state: &State<AppState>, auth: AuthorizationHeader) -> OAuthJson {
    let Some(token) = (match bearer_token(&auth) {
        Ok(token) => token,
        Err(error) => return error.into(),
    }) else {
        return OAuthJson::bearer_token_required();
    };
    let now = OffsetDateTime::now_utc();
    let bearer = match state.engine().authenticate_bearer(&token, now).await {
        Ok(bearer) => bearer,
        Err(error) => return error.into(),
    };
    let Some(user) = bearer.user else {
        return OAuthError::InsufficientScope(
            "this token was issued to a client, not granted by a user".into(),
        )
        .into();
    };
    match api_token_of(&*state.store, &state.sealing, user.id, now).await {
        Ok(api_token) => OAuthJson::ok(profile_json(&user, &api_token)),
        Err(error) => OAuthError::from(error).into(),
    }
}

/// The token of `Authorization: Bearer <token>` (RFC 6750 §2.1); `None` when the request
/// carries no bearer credentials at all.
fn bearer_token(auth: &AuthorizationHeader) -> Result<Option<Secret<String>>, OAuthError> {
    let Some(value) = auth.0.as_deref() else {
        return Ok(None);
    };
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = token.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(OAuthError::InvalidRequest(
            "the Authorization header must be `Bearer <token>`".into(),
        ));
    }
    Ok(Some(Secret::new(token.to_owned())))
}

/// The fields ocs-authentication's `get_profile` reads, named as it names them.
fn profile_json(user: &User, api_token: &Secret<String>) -> Value {
    json!({
        "username": user.username.as_str(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email.as_ref().map_or("", |email| email.as_str()),
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "tokens": { "api_token": api_token.expose() },
        "profile": { "staff_view": false },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: Option<&str>) -> Result<Option<String>, OAuthError> {
        bearer_token(&AuthorizationHeader(value.map(str::to_owned)))
            .map(|token| token.map(|t| t.expose().clone()))
    }

    #[test]
    fn bearer_credentials_are_read_from_the_authorization_header() {
        assert_eq!(parsed(None), Ok(None));
        assert_eq!(parsed(Some("Basic abc")), Ok(None));
        assert_eq!(parsed(Some("Bearer abc")), Ok(Some("abc".into())));
        assert_eq!(parsed(Some("bearer abc")), Ok(Some("abc".into())));
        for malformed in ["Bearer", "Bearer ", "Bearer a b"] {
            assert!(
                matches!(parsed(Some(malformed)), Err(OAuthError::InvalidRequest(_))),
                "{malformed}"
            );
        }
    }
}
