//! `GET/POST /o/logout/`: OpenID Connect RP-initiated logout. The checks are the grant
//! engine's (`validate_logout`); this module asks for confirmation when needed, ends the
//! session and sends the browser on.

use rocket::http::{CookieJar, Status};
use rocket::{Route, State, get, post, routes};
use time::OffsetDateTime;
use warrant_grants::{LogoutParams, LogoutRequest};
use warrant_model::User;

use crate::AppState;
use crate::authorize::RawQuery;
use crate::form::FormParams;
use crate::html::{Page, SeeOther, escape, form_action_source, hidden};
use crate::pages::{PageForm, PageOrRedirect, PageResult, oauth_error_page};
use crate::session::{CurrentUser, csrf_token, log_out};

pub(crate) fn routes() -> Vec<Route> {
    routes![logout_page, logout_confirmed]
}

const PARAMS: [&str; 4] = [
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
];

async fn validate(state: &AppState, form: &FormParams) -> Result<LogoutRequest, PageOrRedirect> {
    let get = |name: &str| form.get(name).map(str::to_owned);
    let params = LogoutParams {
        id_token_hint: get("id_token_hint"),
        client_id: get("client_id"),
        post_logout_redirect_uri: get("post_logout_redirect_uri"),
        state: get("state"),
    };
    state
        .engine()
        .validate_logout(&params, OffsetDateTime::now_utc())
        .await
        .map_err(|error| oauth_error_page(&error))
}

/// Ends the session (and the tokens of `user`, its user, when so configured), then goes
/// where the relying party asked, or says it is done.
async fn logged_out(
    state: &AppState,
    cookies: &CookieJar<'_>,
    request: LogoutRequest,
    user: Option<&User>,
) -> PageResult {
    if let Some(user) = user {
        state
            .engine()
            .revoke_tokens_at_logout(user.id, OffsetDateTime::now_utc())
            .await
            .map_err(|error| oauth_error_page(&error))?;
    }
    log_out(state, cookies).await;
    Ok(match request.redirect {
        Some(location) => PageOrRedirect::Redirect(SeeOther(location)),
        None => PageOrRedirect::Page(Page::new(
            Status::Ok,
            "Logged out",
            "<p>You are logged out.</p>".into(),
        )),
    })
}

#[get("/o/logout")]
async fn logout_page(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    query: RawQuery,
) -> PageResult {
    let form = FormParams::parse(query.0.as_bytes()).map_err(|error| oauth_error_page(&error))?;
    let request = validate(state, &form).await?;
    let user = match user.0 {
        Some((user, _)) if request.needs_confirmation(&user) => user,
        other => return logged_out(state, cookies, request, other.as_ref().map(|(u, _)| u)).await,
    };
    let csrf = csrf_token(state, cookies)?;
    let fields: String = PARAMS
        .iter()
        .filter_map(|name| form.get(name).map(|value| hidden(name, value)))
        .collect();
    let from = request
        .application
        .as_ref()
        .map(|app| format!(" from <strong>{}</strong>", escape(&app.name)))
        .unwrap_or_default();
    let body = format!(
        r#"<p>You are logged in as <strong>{user}</strong>. Log out{from}?</p>
<form method="post" action="/o/logout/">{csrf}{fields}<button type="submit">Log out</button></form>"#,
        user = escape(user.username.as_str()),
        csrf = hidden("csrf_token", &csrf),
    );
    let mut page = Page::new(Status::Ok, "Log out", body);
    if let Some(location) = &request.redirect {
        page = page.allow_form_action(form_action_source(location));
    }
    Ok(PageOrRedirect::Page(page))
}

#[post("/o/logout", data = "<form>")]
async fn logout_confirmed(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    form: Result<PageForm, Status>,
) -> PageResult {
    let PageForm(form) = form?;
    let request = validate(state, &form).await?;
    let user = user.0.map(|(user, _)| user);
    logged_out(state, cookies, request, user.as_ref()).await
}
