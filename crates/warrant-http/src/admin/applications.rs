//! `/api/admin/applications…`: every application, whoever owns it.

use rocket::http::Status;
use rocket::http::uri::Origin as RequestUri;
use rocket::serde::json::{Error as JsonError, Json, Value, json};
use rocket::{Route, State, delete, get, patch, post, routes};
use time::OffsetDateTime;
use warrant_grants::{ApplicationChanges, ApplicationRegistration, id_token_algorithm};
use warrant_model::{
    Application, ApplicationId, AuthMethod, ClientKeys, ClientSecurity, GrantType, Origin,
    RedirectUri, Secret, SecurityProfile, UserId,
};

use super::body::{self, ApplicationPatch, NewApplicationBody};
use super::query::{self, Query};
use super::{Admin, grants_error, invalid, listed, not_found, store_error, timestamp};
use crate::AppState;
use warrant_guards::OAuthJson;

pub(super) fn routes() -> Vec<Route> {
    routes![list, create, show, change, remove, rotate_secret]
}

/// An application as the admin API shows it (never its secret); `registered`: a client
/// registered itself (RFC 7591).
pub(super) fn application_json(application: &Application, registered: bool) -> Value {
    json!({
        "dynamically_registered": registered,
        "id": application.id.0,
        "client_id": application.client_id.as_str(),
        "name": application.name,
        "client_type": application.client_type.as_str(),
        "grant_types": application.grant_types.iter().map(GrantType::as_str).collect::<Vec<_>>(),
        "redirect_uris": application.redirect_uris.iter().map(RedirectUri::as_str).collect::<Vec<_>>(),
        "post_logout_redirect_uris": application.post_logout_redirect_uris.iter().map(RedirectUri::as_str).collect::<Vec<_>>(),
        "allowed_origins": application.allowed_origins.iter().map(Origin::as_str).collect::<Vec<_>>(),
        "allowed_resources": application.allowed_resources.iter().map(|uri| uri.as_str()).collect::<Vec<_>>(),
        "owner": application.owner.map(|owner| owner.0),
        "skip_authorization": application.skip_authorization,
        "pkce_required": application.pkce_required,
        "algorithm": id_token_algorithm(application).as_str(),
        "require_pushed_authorization_requests": application.security.require_pushed_requests,
        "token_endpoint_auth_method": application.security.auth_method.map(AuthMethod::as_str),
        "jwks": match &application.security.keys {
            Some(ClientKeys::Jwks(jwks)) => Some(jwks.as_json()),
            _ => None,
        },
        "jwks_uri": match &application.security.keys {
            Some(ClientKeys::Uri(uri)) => Some(uri.as_str()),
            _ => None,
        },
        "dpop_bound_access_tokens": application.security.require_dpop,
        "security_profile": application.security.profile.map(SecurityProfile::as_str),
        "created_at": timestamp(application.created_at),
        "updated_at": timestamp(application.updated_at),
    })
}

/// The application a path's `<id>` names.
async fn find(state: &AppState, id: &str) -> Result<Application, OAuthJson> {
    let id = query::id("id", id)?;
    state
        .store
        .application_by_id(ApplicationId(id))
        .await
        .map_err(store_error)?
        .ok_or_else(not_found)
}

#[get("/api/admin/applications")]
async fn list(
    _admin: Admin,
    state: &State<AppState>,
    uri: &RequestUri<'_>,
) -> Result<OAuthJson, OAuthJson> {
    let query = Query::parse(uri)?;
    let owner = query.id("owner")?;
    let page = query.page()?;
    let applications = state
        .store
        .list_applications(owner.map(UserId), page)
        .await
        .map_err(store_error)?;
    let registered: std::collections::HashSet<ApplicationId> =
        match (applications.first(), applications.last()) {
            (Some(first), Some(last)) => state
                .store
                .registered_between(first.id, last.id)
                .await
                .map_err(store_error)?
                .into_iter()
                .collect(),
            _ => std::collections::HashSet::new(),
        };
    Ok(listed(
        &applications,
        page,
        |a| a.id.0,
        |a| application_json(a, registered.contains(&a.id)),
    ))
}

/// Whether the application registered itself (RFC 7591).
async fn is_registered(state: &AppState, application: &Application) -> Result<bool, OAuthJson> {
    Ok(state
        .store
        .registration_of(application.id)
        .await
        .map_err(store_error)?
        .is_some())
}

#[post("/api/admin/applications", data = "<body>")]
async fn create(
    admin: Admin,
    state: &State<AppState>,
    body: Result<Json<NewApplicationBody>, JsonError<'_>>,
) -> Result<OAuthJson, OAuthJson> {
    let body = body::json(body)?;
    let policy = state.redirect_policy;
    let owner = match body.owner {
        Some(id) => Some(
            state
                .store
                .user_by_id(UserId(id))
                .await
                .map_err(store_error)?
                .ok_or_else(|| invalid(format!("owner: no user has id {id}")))?
                .id,
        ),
        None => None,
    };
    let registration = ApplicationRegistration {
        client_id: body::client_id(body.client_id.as_deref())?,
        client_secret: body.client_secret.map(Secret::new),
        name: body.name,
        client_type: body::client_type(&body.client_type)?,
        grant_types: body::grant_types(&body.grant_types)?,
        redirect_uris: body::redirect_uris("redirect_uris", &body.redirect_uris, policy)?,
        post_logout_redirect_uris: body::redirect_uris(
            "post_logout_redirect_uris",
            &body.post_logout_redirect_uris,
            policy,
        )?,
        allowed_origins: body::origins(&body.allowed_origins)?,
        allowed_resources: body::resources(&body.allowed_resources)?,
        owner,
        skip_authorization: body.skip_authorization,
        pkce_required: body.pkce_required,
        algorithm: body::algorithm(body.algorithm.as_deref())?,
        security: ClientSecurity {
            require_pushed_requests: body.require_pushed_authorization_requests,
            auth_method: body::auth_method(body.token_endpoint_auth_method.as_deref())?,
            keys: body::client_keys(body.jwks.as_ref(), body.jwks_uri.as_deref())?,
            require_dpop: body.dpop_bound_access_tokens,
            profile: body::profile(body.security_profile.as_deref())?,
        },
    };
    let now = OffsetDateTime::now_utc();
    let (application, secret) = admin
        .engine(state)
        .register_application(registration, now)
        .await
        .map_err(grants_error)?;
    state.application_changed(&application.client_id);
    let mut created = application_json(&application, false);
    created["client_secret"] = json!(secret.as_ref().map(|secret| secret.expose()));
    Ok(OAuthJson::new(Status::Created, created))
}

#[get("/api/admin/applications/<id>")]
async fn show(_admin: Admin, state: &State<AppState>, id: &str) -> Result<OAuthJson, OAuthJson> {
    let application = find(state, id).await?;
    let registered = is_registered(state, &application).await?;
    Ok(OAuthJson::ok(application_json(&application, registered)))
}

#[patch("/api/admin/applications/<id>", data = "<body>")]
async fn change(
    admin: Admin,
    state: &State<AppState>,
    id: &str,
    body: Result<Json<ApplicationPatch>, JsonError<'_>>,
) -> Result<OAuthJson, OAuthJson> {
    let patch = body::json(body)?;
    let mut application = find(state, id).await?;
    let policy = state.redirect_policy;
    let changes = ApplicationChanges {
        name: patch.name.unwrap_or_else(|| application.name.clone()),
        grant_types: match &patch.grant_types {
            Some(grants) => body::grant_types(grants)?,
            None => application.grant_types.clone(),
        },
        redirect_uris: match &patch.redirect_uris {
            Some(uris) => body::redirect_uris("redirect_uris", uris, policy)?,
            None => application.redirect_uris.clone(),
        },
        post_logout_redirect_uris: match &patch.post_logout_redirect_uris {
            Some(uris) => body::redirect_uris("post_logout_redirect_uris", uris, policy)?,
            None => application.post_logout_redirect_uris.clone(),
        },
        allowed_resources: patch
            .allowed_resources
            .as_deref()
            .map(body::resources)
            .transpose()?,
        allowed_origins: match &patch.allowed_origins {
            Some(origins) => body::origins(origins)?,
            None => application.allowed_origins.clone(),
        },
        pkce_required: patch.pkce_required.unwrap_or(application.pkce_required),
        algorithm: match &patch.algorithm {
            Some(name) => body::algorithm(name.as_deref())?,
            None => application.algorithm,
        },
        security: Some(ClientSecurity {
            require_pushed_requests: patch
                .require_pushed_authorization_requests
                .unwrap_or(application.security.require_pushed_requests),
            auth_method: match &patch.token_endpoint_auth_method {
                Some(name) => body::auth_method(name.as_deref())?,
                None => application.security.auth_method,
            },
            keys: match (&patch.jwks, &patch.jwks_uri) {
                (None, None) => application.security.keys.clone(),
                (jwks, uri) => body::client_keys(
                    jwks.as_ref().and_then(Option::as_ref),
                    uri.as_ref().and_then(Option::as_deref),
                )?,
            },
            require_dpop: patch
                .dpop_bound_access_tokens
                .unwrap_or(application.security.require_dpop),
            profile: match &patch.security_profile {
                Some(name) => body::profile(name.as_deref())?,
                None => application.security.profile,
            },
        }),
    };
    if let Some(skip) = patch.skip_authorization {
        application.skip_authorization = skip;
    }
    let now = OffsetDateTime::now_utc();
    let updated = admin
        .engine(state)
        .update_application(application, changes, now)
        .await
        .map_err(grants_error)?;
    state.application_changed(&updated.client_id);
    let registered = is_registered(state, &updated).await?;
    Ok(OAuthJson::ok(application_json(&updated, registered)))
}

#[delete("/api/admin/applications/<id>")]
async fn remove(admin: Admin, state: &State<AppState>, id: &str) -> Result<Status, OAuthJson> {
    let application = find(state, id).await?;
    admin
        .engine(state)
        .delete_application(&application.client_id)
        .await
        .map_err(grants_error)?;
    state.application_changed(&application.client_id);
    Ok(Status::NoContent)
}

#[post("/api/admin/applications/<id>/rotate_secret")]
async fn rotate_secret(
    admin: Admin,
    state: &State<AppState>,
    id: &str,
) -> Result<OAuthJson, OAuthJson> {
    let application = find(state, id).await?;
    let now = OffsetDateTime::now_utc();
    let secret = admin
        .engine(state)
        .rotate_client_secret(&application.client_id, now)
        .await
        .map_err(grants_error)?;
    state.application_changed(&application.client_id);
    Ok(OAuthJson::ok(json!({ "client_secret": secret.expose() })))
}
