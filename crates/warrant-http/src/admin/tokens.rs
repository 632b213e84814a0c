//! `/api/admin/tokens…`: live access tokens by user and application, and revoking them.

use rocket::http::Status;
use rocket::http::uri::Origin;
use rocket::serde::json::{Value, json};
use rocket::{Route, State, delete, get, routes};
use time::OffsetDateTime;
use warrant_model::{AccessToken, ApplicationId, UserId};
use warrant_storage::AccessTokenFilter;

use super::query::{self, Query};
use super::{Admin, grants_error, listed, not_found, store_error, timestamp};
use crate::AppState;
use warrant_guards::OAuthJson;

pub(super) fn routes() -> Vec<Route> {
    routes![list, revoke]
}

/// A token as the admin API shows it (its hash never leaves the database).
fn token_json(token: &AccessToken) -> Value {
    json!({
        "id": token.id,
        "application": token.application_id.0,
        "user": token.user_id.map(|user| user.0),
        "scope": token.scope,
        "created_at": timestamp(token.created_at),
        "expires_at": timestamp(token.expires_at),
    })
}

#[get("/api/admin/tokens")]
async fn list(
    _admin: Admin,
    state: &State<AppState>,
    uri: &Origin<'_>,
) -> Result<OAuthJson, OAuthJson> {
    let query = Query::parse(uri)?;
    let filter = AccessTokenFilter {
        user: query.id("user")?.map(UserId),
        application: query.id("application")?.map(ApplicationId),
    };
    let page = query.page()?;
    let tokens = state
        .store
        .live_access_tokens(filter, OffsetDateTime::now_utc(), page)
        .await
        .map_err(store_error)?;
    Ok(listed(&tokens, page, |t| t.id, token_json))
}

/// Revokes the token with the rest of its grant (refresh tokens included).
#[delete("/api/admin/tokens/<id>")]
async fn revoke(admin: Admin, state: &State<AppState>, id: &str) -> Result<Status, OAuthJson> {
    let id = query::id("id", id)?;
    let now = OffsetDateTime::now_utc();
    match admin.engine(state).revoke_token_grant(id, now).await {
        Ok(Some(_)) => Ok(Status::NoContent),
        Ok(None) => Err(not_found()),
        Err(error) => Err(grants_error(error)),
    }
}
