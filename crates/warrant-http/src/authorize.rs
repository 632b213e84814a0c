//! `GET/POST /o/authorize/`: login if needed, the consent page, and the answer to the
//! client. Every decision is the grant engine's; this module renders it.

use rocket::http::{CookieJar, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Route, State, get, post, routes};
use time::OffsetDateTime;
use warrant_grants::{AuthorizationParams, AuthorizationRejection, AuthorizationRequest, NextStep};
use warrant_model::User;

use crate::AppState;
use crate::form::FormParams;
use crate::html::{Page, SeeOther, escape, form_action_source, hidden};
use crate::pages::{
    PageForm, PageOrRedirect, PageResult, login_redirect, oauth_error_page, scope_items,
};
use crate::session::{CurrentUser, csrf_token};

pub(crate) fn routes() -> Vec<Route> {
    routes![authorize_page, authorize_decision]
}

/// The request's raw query string.
pub struct RawQuery(pub(crate) String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RawQuery {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(Self(
            request
                .uri()
                .query()
                .map(|q| q.as_str().to_owned())
                .unwrap_or_default(),
        ))
    }
}

fn params(form: &FormParams) -> AuthorizationParams {
    AuthorizationParams::from_lookup(|name| form.get(name))
}

/// Validates the request; errors become a page (untrusted client or redirect URI) or a
/// redirect back to the client.
async fn validate(
    state: &AppState,
    form: &FormParams,
) -> Result<AuthorizationRequest, PageOrRedirect> {
    state
        .engine()
        .validate_authorization(&params(form), OffsetDateTime::now_utc())
        .await
        .map_err(|rejection| match rejection {
            AuthorizationRejection::ShowError(error) => oauth_error_page(&error),
            AuthorizationRejection::Redirect { location, .. } => {
                PageOrRedirect::Redirect(SeeOther(location))
            }
        })
}

#[get("/o/authorize")]
async fn authorize_page(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    query: RawQuery,
) -> PageResult {
    // Repeated parameters (RFC 6749 §3.1) make the request ambiguous: refuse, never redirect.
    let form = FormParams::parse(query.0.as_bytes()).map_err(|error| oauth_error_page(&error))?;
    let request = validate(state, &form).await?;
    let session = user.0.as_ref().map(|(user, auth_time)| (user, *auth_time));
    let step = state
        .engine()
        .next_step(&request, session, OffsetDateTime::now_utc())
        .await;
    Ok(match (step, session) {
        (Err(AuthorizationRejection::Redirect { location, .. }), _) => {
            PageOrRedirect::Redirect(SeeOther(location))
        }
        (Err(AuthorizationRejection::ShowError(error)), _) => oauth_error_page(&error),
        (Ok(NextStep::Answer), Some((user, auth_time))) => {
            redirect_decision(state, &request, user, auth_time, true).await
        }
        (Ok(NextStep::Consent), Some((user, _))) => {
            let csrf = csrf_token(state, cookies)?;
            consent_page(state, &request, user, &form, &csrf)
        }
        _ => login_redirect(&after_login(&query.0, &form), request.login_hint.as_deref()),
    })
}

/// The authorization request to come back to after logging in: the same parameters, less
/// what the login satisfies (`AuthorizationParams::after_login`).
fn after_login(raw_query: &str, form: &FormParams) -> String {
    let changed = form.iter().any(|(name, value)| {
        AuthorizationParams::after_login(name, value).as_deref() != Some(value)
    });
    if !changed {
        return format!("/o/authorize/?{raw_query}");
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in form.iter() {
        if let Some(kept) = AuthorizationParams::after_login(name, value) {
            query.append_pair(name, &kept);
        }
    }
    format!("/o/authorize/?{}", query.finish())
}

/// The user's decision sent back to the client: a redirect with the code or tokens, or
/// with `access_denied`.
async fn redirect_decision(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &User,
    auth_time: OffsetDateTime,
    allow: bool,
) -> PageOrRedirect {
    let engine = state.engine();
    let now = OffsetDateTime::now_utc();
    let decided = if allow {
        engine.approve(request, user, auth_time, now).await
    } else {
        engine.deny(request, now).await
    };
    match decided {
        Ok(location) => PageOrRedirect::Redirect(SeeOther(location)),
        Err(error) => oauth_error_page(&error),
    }
}

fn consent_page(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &User,
    form: &FormParams,
    csrf: &str,
) -> PageOrRedirect {
    let scopes = scope_items(&state.grants.settings, &request.scope);
    let fields: String = form
        .iter()
        .filter(|(name, _)| AuthorizationParams::NAMES.contains(name))
        .map(|(name, value)| hidden(name, value))
        .collect();
    let resources: Vec<String> = request
        .resources
        .iter()
        .map(|uri| format!("<strong>{}</strong>", escape(uri.as_str())))
        .collect();
    let at = if resources.is_empty() {
        String::new()
    } else {
        format!("<p>at {}</p>", resources.join(", "))
    };
    // A client known only by its metadata document's URL: say plainly whose it is.
    let described = url::Url::parse(request.application.client_id.as_str())
        .ok()
        .filter(|url| url.scheme() == "https")
        .and_then(|url| url.host_str().map(str::to_owned))
        .map(|host| {
            format!(
                "<p>This application describes itself at <strong>{}</strong>; only continue if you trust that site.</p>",
                escape(&host)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"{described}<p><strong>{app}</strong> wants to access your account (<strong>{user}</strong>) with these permissions:</p>
<ul>{scopes}</ul>{at}
<form method="post" action="/o/authorize/">{csrf}{fields}
<button type="submit" name="allow" value="yes">Authorize</button><button type="submit" name="allow" value="no">Cancel</button></form>"#,
        app = escape(&request.application.name),
        user = escape(user.username.as_str()),
        csrf = hidden("csrf_token", csrf),
    );
    let page = Page::new(Status::Ok, "Authorize", body)
        .allow_form_action(form_action_source(request.redirect_uri.as_str()));
    PageOrRedirect::Page(page)
}

#[post("/o/authorize", data = "<form>")]
async fn authorize_decision(
    state: &State<AppState>,
    user: CurrentUser,
    form: Result<PageForm, Status>,
) -> PageResult {
    let PageForm(form) = form?;
    let request = validate(state, &form).await?;
    let Some((user, auth_time)) = user.0 else {
        return Err(PageOrRedirect::Page(Page::error(
            Status::Unauthorized,
            "Your session ended. Start again from the application.",
        )));
    };
    Ok(redirect_decision(
        state,
        &request,
        &user,
        auth_time,
        form.get("allow") == Some("yes"),
    )
    .await)
}
