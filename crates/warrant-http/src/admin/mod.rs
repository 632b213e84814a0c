//! The admin JSON API under `/api/admin/`: applications, users, tokens and lockouts, for staff users
//! (by session) or a staff user's bearer token with the `admin` scope. Its OpenAPI 3.1
//! document (`GET /api/admin/openapi.json`) is built from the operation table in
//! [`openapi`], which a test holds equal to the mounted routes.

mod applications;
mod audit;
mod body;
mod lockouts;
mod openapi;
mod query;
mod sync;
mod tokens;
mod users;

use rocket::Route;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::serde::json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use warrant_grants::{ADMIN_SCOPE, GrantsError, OAuthError};
use warrant_model::User;

use crate::AppState;
use warrant_storage::{Page, StoreError};

use warrant_guards::OAuthJson;
use warrant_guards::{Refusal, checked_bearer, is_safe, refuse, resource_server};

/// Every admin route, the OpenAPI document's included.
pub(crate) fn routes() -> Vec<Route> {
    let mut routes = applications::routes();
    routes.extend(users::routes());
    routes.extend(tokens::routes());
    routes.extend(sync::routes());
    routes.extend(lockouts::routes());
    routes.extend(audit::routes());
    routes.extend(openapi::routes());
    routes
}

/// A staff user is calling the admin API; changes they make are logged with their name and
/// kept in the audit log as theirs.
pub(crate) struct Admin(pub(crate) User);

impl Admin {
    /// The grant engine, acting as this staff user.
    pub(crate) fn engine<'a>(&'a self, state: &'a AppState) -> warrant_grants::Engine<'a> {
        state
            .engine()
            .acting_as(warrant_grants::Actor::User(&self.0))
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Admin {
    type Error = Refusal;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Refusal> {
        match admin(request).await {
            Ok(user) => {
                if !is_safe(request.method()) {
                    tracing::info!(admin = %user.username.as_str(), method = %request.method(), uri = %request.uri(), "admin API change");
                }
                Outcome::Success(Self(user))
            }
            Err(refusal) => refuse(request, refusal),
        }
    }
}

async fn admin(request: &Request<'_>) -> Result<User, Refusal> {
    let user = if let Some(token) = checked_bearer(request).await? {
        if !token.has_scopes([ADMIN_SCOPE]) {
            return Err(Refusal::Token(OAuthError::InsufficientScope {
                description: format!("the admin API needs the scope {ADMIN_SCOPE}"),
                required: vec![ADMIN_SCOPE.to_owned()],
            }));
        }
        token.user.ok_or(Refusal::NotStaff)?
    } else {
        resource_server(request)?
            .session_user(request)
            .await?
            .ok_or(Refusal::CredentialsRequired)?
    };
    if !user.is_staff {
        return Err(Refusal::NotStaff);
    }
    unknown_query_parameter(request)?;
    Ok(user)
}

/// Refuses a query parameter the operation does not take (the OpenAPI document lists
/// those it does): ignored, a misspelt filter would widen the answer.
fn unknown_query_parameter(request: &Request<'_>) -> Result<(), Refusal> {
    let (Some(route), Some(query)) = (request.route(), request.uri().query()) else {
        return Ok(());
    };
    let taken = openapi::query_parameters(route.method.as_str(), route.uri.path());
    let unknown = url::form_urlencoded::parse(query.as_str().as_bytes())
        .map(|(name, _)| name)
        .find(|name| !taken.contains(&name.as_ref()));
    match unknown {
        Some(name) => Err(Refusal::Token(OAuthError::InvalidRequest(
            match taken.as_slice() {
                [] => format!("unknown query parameter {name:?}: this operation takes none"),
                taken => format!(
                    "unknown query parameter {name:?}: this operation takes {}",
                    taken.join(", ")
                ),
            },
        ))),
        None => Ok(()),
    }
}

/// A page of `items` in the API's list shape: `next_after` is the `after` of the next
/// page, or `null` on the last one.
fn listed<T>(
    items: &[T],
    page: Page,
    id: impl Fn(&T) -> i64,
    json: impl Fn(&T) -> Value,
) -> OAuthJson {
    let next_after = (items.len() == page.limit as usize)
        .then(|| items.last().map(&id))
        .flatten();
    OAuthJson::ok(json!({
        "items": items.iter().map(json).collect::<Vec<_>>(),
        "next_after": next_after,
    }))
}

/// A time as the admin API writes it (RFC 3339, UTC).
fn timestamp(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

/// 404 with a JSON body.
fn not_found() -> OAuthJson {
    OAuthJson::new(Status::NotFound, json!({ "error": "not_found" }))
}

/// 400 `invalid_request` naming what is wrong.
fn invalid(description: impl Into<String>) -> OAuthJson {
    OAuthError::InvalidRequest(description.into()).into()
}

/// A store failure: 409 for a taken unique value, otherwise 503/500 (logged).
fn store_error(error: StoreError) -> OAuthJson {
    match error {
        StoreError::Conflict(unique) => OAuthJson::new(
            Status::Conflict,
            json!({ "error": "conflict", "error_description": format!("{unique} is already taken") }),
        ),
        other => OAuthError::from(other).into(),
    }
}

/// A grants failure: a broken rule is 400, the rest as [`store_error`].
fn grants_error(error: GrantsError) -> OAuthJson {
    match error {
        GrantsError::Store(error) => store_error(error),
        GrantsError::Generator(error) => OAuthError::from(error).into(),
        rule => invalid(rule.to_string()),
    }
}
