//! `/api/admin/users…`: create, read, change, (de)activate and delete users, and replace
//! their API tokens.

use rocket::http::Status;
use rocket::http::uri::Origin;
use rocket::serde::json::{Error as JsonError, Json, Value, json};
use rocket::{Route, State, delete, get, patch, post, routes};
use time::OffsetDateTime;
use warrant_grants::{AccountChanges, NewAccount};
use warrant_model::{User, UserId};
use warrant_storage::UserFilter;

use super::body::{self, NewUserBody, UserPatch};
use super::query::{self, Query};
use super::{Admin, grants_error, listed, not_found, store_error, timestamp};
use crate::AppState;
use warrant_guards::OAuthJson;

pub(super) fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        show,
        change,
        remove,
        activate,
        deactivate,
        revoke_api_token
    ]
}

/// A user as the admin API shows it (never the password hash).
fn user_json(user: &User) -> Value {
    json!({
        "id": user.id.0,
        "username": user.username.as_str(),
        "email": user.email.as_ref().map(|email| email.as_str()),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "has_password": user.password.is_some(),
        "date_joined": timestamp(user.date_joined),
        "last_login": user.last_login.map(timestamp),
    })
}

/// The user a path's `<id>` names.
pub(super) async fn find(state: &AppState, id: &str) -> Result<User, OAuthJson> {
    let id = query::id("id", id)?;
    state
        .store
        .user_by_id(UserId(id))
        .await
        .map_err(store_error)?
        .ok_or_else(not_found)
}

#[get("/api/admin/users")]
async fn list(
    _admin: Admin,
    state: &State<AppState>,
    uri: &Origin<'_>,
) -> Result<OAuthJson, OAuthJson> {
    let query = Query::parse(uri)?;
    let filter = UserFilter {
        is_active: query.boolean("is_active")?,
        is_staff: query.boolean("is_staff")?,
    };
    let page = query.page()?;
    let users = state
        .store
        .list_users(filter, page)
        .await
        .map_err(store_error)?;
    Ok(listed(&users, page, |u| u.id.0, user_json))
}

#[post("/api/admin/users", data = "<body>")]
async fn create(
    admin: Admin,
    state: &State<AppState>,
    body: Result<Json<NewUserBody>, JsonError<'_>>,
) -> Result<OAuthJson, OAuthJson> {
    let body = body::json(body)?;
    let account = NewAccount {
        username: body::username(&body.username)?,
        email: body::email(body.email.as_deref())?,
        password: body::initial_password(body.password, body.password_hash)?,
        first_name: body.first_name,
        last_name: body.last_name,
        is_staff: body.is_staff,
        is_superuser: body.is_superuser,
    };
    let now = OffsetDateTime::now_utc();
    let user = admin
        .engine(state)
        .create_user(account, now)
        .await
        .map_err(grants_error)?;
    Ok(OAuthJson::new(Status::Created, user_json(&user)))
}

#[get("/api/admin/users/<id>")]
async fn show(_admin: Admin, state: &State<AppState>, id: &str) -> Result<OAuthJson, OAuthJson> {
    Ok(OAuthJson::ok(user_json(&find(state, id).await?)))
}

async fn apply(
    admin: &Admin,
    state: &AppState,
    id: &str,
    changes: AccountChanges,
) -> Result<OAuthJson, OAuthJson> {
    let user = find(state, id).await?;
    let now = OffsetDateTime::now_utc();
    let user = admin
        .engine(state)
        .update_account(user, changes, now)
        .await
        .map_err(grants_error)?;
    Ok(OAuthJson::ok(user_json(&user)))
}

#[patch("/api/admin/users/<id>", data = "<body>")]
async fn change(
    admin: Admin,
    state: &State<AppState>,
    id: &str,
    body: Result<Json<UserPatch>, JsonError<'_>>,
) -> Result<OAuthJson, OAuthJson> {
    let patch = body::json(body)?;
    let email = match patch.email.as_deref() {
        Some(email) => Some(body::email(Some(email))?),
        None => None,
    };
    let changes = AccountChanges {
        email,
        first_name: patch.first_name,
        last_name: patch.last_name,
        password: body::password(patch.password),
        is_active: patch.is_active,
        is_staff: patch.is_staff,
        is_superuser: patch.is_superuser,
    };
    apply(&admin, state, id, changes).await
}

#[post("/api/admin/users/<id>/activate")]
async fn activate(admin: Admin, state: &State<AppState>, id: &str) -> Result<OAuthJson, OAuthJson> {
    let changes = AccountChanges {
        is_active: Some(true),
        ..AccountChanges::default()
    };
    apply(&admin, state, id, changes).await
}

/// The user can no longer log in; their sessions end and their tokens are refused.
#[post("/api/admin/users/<id>/deactivate")]
async fn deactivate(
    admin: Admin,
    state: &State<AppState>,
    id: &str,
) -> Result<OAuthJson, OAuthJson> {
    let changes = AccountChanges {
        is_active: Some(false),
        ..AccountChanges::default()
    };
    apply(&admin, state, id, changes).await
}

/// ocs-authentication's token revocation, for a staff user: the old API token stops working
/// here at once and at client apps once the new one reaches them. The new token is not
/// shown: its user reads it from their profile.
#[post("/api/admin/users/<id>/revoke_api_token")]
async fn revoke_api_token(
    admin: Admin,
    state: &State<AppState>,
    id: &str,
) -> Result<Status, OAuthJson> {
    let user = find(state, id).await?;
    let now = OffsetDateTime::now_utc();
    admin
        .engine(state)
        .replace_api_token(user.id, now)
        .await
        .map_err(grants_error)?;
    Ok(Status::NoContent)
}

#[delete("/api/admin/users/<id>")]
async fn remove(admin: Admin, state: &State<AppState>, id: &str) -> Result<Status, OAuthJson> {
    let id = query::id("id", id)?;
    let deleted = admin
        .engine(state)
        .delete_user(UserId(id))
        .await
        .map_err(grants_error)?;
    if deleted {
        Ok(Status::NoContent)
    } else {
        Err(not_found())
    }
}
