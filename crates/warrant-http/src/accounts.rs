//! `/accounts/login/` (username or email) and `/accounts/logout/`.

use rocket::data::Data;
use rocket::http::{ContentType, CookieJar, Status};
use rocket::response::Responder;
use rocket::{Route, State, get, post, routes};

use crate::AppState;
use crate::form::{BodyError, FormParams};
use crate::html::{Page, SeeOther, escape, hidden};
use crate::session::{CurrentUser, csrf_token, csrf_valid, log_in, log_out, safe_next};

pub(crate) fn routes() -> Vec<Route> {
    routes![login_page, login, logout_page, logout]
}

/// Where to go after logging in or out when `next` is absent or unsafe.
const HOME: &str = "/accounts/login/";

/// A page or a redirect.
#[derive(Responder)]
pub enum PageOrRedirect {
    /// HTML.
    Page(Page),
    /// 303.
    Redirect(SeeOther),
}

impl From<Status> for PageOrRedirect {
    fn from(status: Status) -> Self {
        let message = match status.code {
            403 => {
                "The form expired or was not sent by this site. Go back, reload the page and try again."
            }
            413 => "The request is too large.",
            503 => "The service is temporarily unavailable. Try again shortly.",
            _ => "The request could not be processed.",
        };
        Self::Page(Page::error(status, message))
    }
}

fn login_form(csrf: &str, next: Option<&str>, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e)))
        .unwrap_or_default();
    format!(
        r#"{error}<form method="post" action="/accounts/login/">{csrf}{next}
<label for="username">Username or email</label><input type="text" id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Log in</button></form>"#,
        csrf = hidden("csrf_token", csrf),
        next = next.map(|n| hidden("next", n)).unwrap_or_default(),
    )
}

#[get("/accounts/login?<next>")]
fn login_page(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    next: Option<&str>,
) -> PageOrRedirect {
    let csrf = match csrf_token(state, cookies) {
        Ok(csrf) => csrf,
        Err(status) => return status.into(),
    };
    if let Some((user, _)) = user.0 {
        let body = format!(
            r#"<p>You are logged in as <strong>{}</strong>.</p><form method="post" action="/accounts/logout/">{}<button type="submit">Log out</button></form>"#,
            escape(user.username.as_str()),
            hidden("csrf_token", &csrf),
        );
        return PageOrRedirect::Page(Page::new(Status::Ok, "Logged in", body));
    }
    PageOrRedirect::Page(Page::new(
        Status::Ok,
        "Log in",
        login_form(&csrf, safe_next(next), None),
    ))
}

/// Reads a page's form and checks its CSRF token: 413, 400 or 403 otherwise.
pub(crate) async fn read_page_form(
    state: &AppState,
    cookies: &CookieJar<'_>,
    content_type: Option<&ContentType>,
    data: Data<'_>,
) -> Result<FormParams, Status> {
    let form = FormParams::read(content_type, data, state.max_body_bytes)
        .await
        .map_err(|error| match error {
            BodyError::TooLarge => Status::PayloadTooLarge,
            BodyError::Invalid(_) => Status::BadRequest,
        })?;
    if csrf_valid(cookies, form.get("csrf_token")) {
        Ok(form)
    } else {
        Err(Status::Forbidden)
    }
}

#[post("/accounts/login", data = "<data>")]
async fn login(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    content_type: Option<&ContentType>,
    data: Data<'_>,
) -> PageOrRedirect {
    let form = match read_page_form(state, cookies, content_type, data).await {
        Ok(form) => form,
        Err(status) => return status.into(),
    };
    let next = safe_next(form.get("next"));
    let (Some(login), Some(password)) = (form.get("username"), form.secret("password")) else {
        return retry(state, cookies, next);
    };
    match state.engine().authenticate_user(login, &password).await {
        Ok(Some(user)) => match log_in(state, cookies, &user).await {
            Ok(()) => PageOrRedirect::Redirect(SeeOther(next.unwrap_or(HOME).to_owned())),
            Err(status) => status.into(),
        },
        Ok(None) => retry(state, cookies, next),
        Err(error) => {
            tracing::warn!(%error, "login failed on storage");
            Status::ServiceUnavailable.into()
        }
    }
}

fn retry(state: &AppState, cookies: &CookieJar<'_>, next: Option<&str>) -> PageOrRedirect {
    match csrf_token(state, cookies) {
        Ok(csrf) => {
            let message = "Please enter a correct username or email and password.";
            PageOrRedirect::Page(Page::new(
                Status::Ok,
                "Log in",
                login_form(&csrf, next, Some(message)),
            ))
        }
        Err(status) => status.into(),
    }
}

#[get("/accounts/logout")]
fn logout_page(state: &State<AppState>, cookies: &CookieJar<'_>) -> PageOrRedirect {
    match csrf_token(state, cookies) {
        Ok(csrf) => {
            let body = format!(
                r#"<form method="post" action="/accounts/logout/">{}<button type="submit">Log out</button></form>"#,
                hidden("csrf_token", &csrf)
            );
            PageOrRedirect::Page(Page::new(Status::Ok, "Log out", body))
        }
        Err(status) => status.into(),
    }
}

#[post("/accounts/logout", data = "<data>")]
async fn logout(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    content_type: Option<&ContentType>,
    data: Data<'_>,
) -> PageOrRedirect {
    let form = match read_page_form(state, cookies, content_type, data).await {
        Ok(form) => form,
        Err(status) => return status.into(),
    };
    log_out(state, cookies).await;
    PageOrRedirect::Redirect(SeeOther(
        safe_next(form.get("next")).unwrap_or(HOME).to_owned(),
    ))
}
