//! `GET /api/profile/`: the caller's profile in ocs-authentication's JSON shape, which its
//! client apps read after a password grant to create or update their local user; and
//! `POST /api/revoke_api_token/`, which replaces the caller's API token.

use rocket::serde::json::json;
use rocket::{Route, State, get, post, routes};
use time::OffsetDateTime;
use warrant_grants::{OAuthError, user_record};

use crate::AppState;
use crate::api_user::ApiUser;
use warrant_guards::OAuthJson;

pub(crate) fn routes() -> Vec<Route> {
    routes![profile, revoke_api_token]
}

#[get("/api/profile")]
async fn profile(state: &State<AppState>, caller: ApiUser) -> OAuthJson {
    let now = OffsetDateTime::now_utc();
    match state.engine().api_token_of(caller.user.id, now).await {
        Ok(api_token) => OAuthJson::ok(user_record(&caller.user, &api_token)),
        Err(error) => OAuthError::from(error).into(),
    }
}

/// ocs-authentication's `RevokeApiTokenApiView`: the old token stops working at once; the
/// answer carries the new one.
#[post("/api/revoke_api_token")]
async fn revoke_api_token(state: &State<AppState>, caller: ApiUser) -> OAuthJson {
    let now = OffsetDateTime::now_utc();
    let engine = state.engine_as(&caller.user);
    match engine.replace_api_token(caller.user.id, now).await {
        Ok(api_token) => OAuthJson::ok(json!({
            "message": "API token revoked.",
            "tokens": { "api_token": api_token.expose() },
        })),
        Err(error) => OAuthError::from(error).into(),
    }
}
