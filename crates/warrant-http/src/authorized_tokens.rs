//! `/o/authorized-tokens/…`: the applications the logged-in user has authorized, with
//! their live tokens, and revoking them (Django OAuth Toolkit's `AuthorizedTokensListView`
//! and `AuthorizedTokenDeleteView`).

use rocket::http::uri::Origin as RequestUri;
use rocket::http::{CookieJar, Status};
use rocket::{Route, State, get, post, routes};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::AppState;
use crate::html::{Page, SeeOther, escape, hidden, table};
use crate::pages::{PageForm, PageOrRedirect, PageResult, logged_in, unavailable};
use crate::session::{CurrentUser, csrf_token};

pub(crate) fn routes() -> Vec<Route> {
    routes![list, revoke_page, revoke]
}

#[get("/o/authorized-tokens")]
async fn list(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
) -> PageResult {
    let user = logged_in(user, uri)?;
    let now = OffsetDateTime::now_utc();
    let tokens = state
        .engine()
        .authorized_tokens(user.id, now)
        .await
        .map_err(unavailable)?;
    let csrf = csrf_token(state, cookies)?;
    let rows = tokens
        .iter()
        .map(|authorized| {
            let token = &authorized.token;
            format!(
                r#"<tr><td>{name}</td><td>{scopes}</td><td>{expires}</td><td><form method="post" action="/o/authorized-tokens/{id}/delete/">{csrf}<button type="submit">Revoke</button></form></td></tr>"#,
                name = escape(&authorized.application.name),
                scopes = escape(&token.scope.to_string()),
                expires = token.expires_at.format(&Rfc3339).unwrap_or_default(),
                id = token.id,
                csrf = hidden("csrf_token", &csrf),
            )
        })
        .collect();
    let body = table(
        &["Application", "Scopes", "Expires", ""],
        rows,
        "You have not authorized any application.",
    );
    Ok(PageOrRedirect::Page(Page::new(
        Status::Ok,
        "Authorized applications",
        body,
    )))
}

#[get("/o/authorized-tokens/<id>/delete")]
async fn revoke_page(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
    id: i64,
) -> PageResult {
    let user = logged_in(user, uri)?;
    let now = OffsetDateTime::now_utc();
    let authorized = state
        .engine()
        .authorized_token(user.id, id, now)
        .await
        .map_err(unavailable)?
        .ok_or_else(no_such_token)?;
    let csrf = csrf_token(state, cookies)?;
    let body = format!(
        r#"<p>Revoke the access of <strong>{name}</strong>? It will have to ask you again.</p>
<form method="post" action="/o/authorized-tokens/{id}/delete/">{csrf}<button type="submit">Revoke</button> <a href="/o/authorized-tokens/">Cancel</a></form>"#,
        name = escape(&authorized.application.name),
        csrf = hidden("csrf_token", &csrf),
    );
    Ok(PageOrRedirect::Page(Page::new(
        Status::Ok,
        "Revoke access",
        body,
    )))
}

#[post("/o/authorized-tokens/<id>/delete", data = "<form>")]
async fn revoke(
    state: &State<AppState>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
    id: i64,
    form: Result<PageForm, Status>,
) -> PageResult {
    let user = logged_in(user, uri)?;
    form?;
    let now = OffsetDateTime::now_utc();
    let revoked = state
        .engine_as(&user)
        .revoke_authorized_token(user.id, id, now)
        .await
        .map_err(unavailable)?;
    if !revoked {
        return Err(no_such_token());
    }
    Ok(PageOrRedirect::Redirect(SeeOther(
        "/o/authorized-tokens/".to_owned(),
    )))
}

fn no_such_token() -> PageOrRedirect {
    PageOrRedirect::Page(Page::error(
        Status::NotFound,
        "There is no such authorization.",
    ))
}
