//! `/accounts/login/` (username or email, or a button per upstream provider) and
//! `/accounts/logout/`.

use rocket::data::{self, Data, FromData};
use rocket::http::{CookieJar, Status};
use rocket::response::Responder;
use rocket::{Request, Route, State, get, post, routes};
use time::OffsetDateTime;
use warrant_generators::GeneratorError;
use warrant_grants::{GrantsError, Locked, PasswordCheck};

use crate::AppState;
use crate::address::{ClientAddress, locked_message};
use crate::form::{BodyError, FormParams};
use crate::html::{Page, SeeOther, button_form, escape, hidden};
use crate::session::{CurrentUser, csrf_token, csrf_valid, log_in, log_out, safe_next};
use crate::upstream::{CONNECTIONS, login_buttons};

pub(crate) fn routes() -> Vec<Route> {
    routes![login_page, login, logout_page, logout]
}

/// Where to go after logging in or out when `next` is absent or unsafe.
pub(crate) const HOME: &str = "/accounts/login/";

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

/// The login form, `message` above it, `username` filled in, and a button for each
/// upstream provider. `again`: the user is logged in and must log in again.
fn login_form(
    state: &AppState,
    csrf: &str,
    next: Option<&str>,
    message: Option<&str>,
    username: Option<&str>,
    again: bool,
) -> String {
    let message = message
        .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e)))
        .unwrap_or_default();
    let username = username
        .map(|u| format!(r#" value="{}""#, escape(u)))
        .unwrap_or_default();
    format!(
        r#"{message}<form method="post" action="/accounts/login/">{csrf}{next}
<label for="username">Username or email</label><input type="text" id="username" name="username"{username} autocomplete="username" required autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Log in</button></form>{providers}"#,
        csrf = hidden("csrf_token", csrf),
        next = next.map(|n| hidden("next", n)).unwrap_or_default(),
        providers = login_buttons(&state.upstream, csrf, next, again),
    )
}

/// The login form, or who is logged in. A logged-in user sent here with somewhere to go
/// next must log in again (OpenID Connect's `prompt=login`, `max_age`).
#[get("/accounts/login?<next>&<login_hint>")]
fn login_page(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    next: Option<&str>,
    login_hint: Option<&str>,
) -> PageOrRedirect {
    let csrf = match csrf_token(state, cookies) {
        Ok(csrf) => csrf,
        Err(status) => return status.into(),
    };
    let next = safe_next(next);
    if let (Some((user, _)), Some(_)) = (&user.0, next) {
        let form = login_form(
            state,
            &csrf,
            next,
            Some("Log in again to continue."),
            Some(login_hint.unwrap_or(user.username.as_str())),
            true,
        );
        return PageOrRedirect::Page(Page::new(Status::Ok, "Log in", form));
    }
    if let Some((user, _)) = user.0 {
        let body = format!(
            r#"<p>You are logged in as <strong>{}</strong>.</p><p><a href="{}">Connected accounts</a></p>{}"#,
            escape(user.username.as_str()),
            CONNECTIONS,
            logout_form(&csrf),
        );
        return PageOrRedirect::Page(Page::new(Status::Ok, "Logged in", body));
    }
    PageOrRedirect::Page(Page::new(
        Status::Ok,
        "Log in",
        login_form(state, &csrf, next, None, login_hint, false),
    ))
}

/// A page's form whose CSRF token matches the browser's cookie. As `Result<PageForm,
/// Status>` a handler gets 413, 400 or 403 instead, to answer with an error page.
pub(crate) struct PageForm(pub(crate) FormParams);

#[rocket::async_trait]
impl<'r> FromData<'r> for PageForm {
    type Error = Status;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let refuse = |status| data::Outcome::Error((status, status));
        let Some(state) = request.rocket().state::<AppState>() else {
            return refuse(Status::InternalServerError);
        };
        let form = match FormParams::read(request.content_type(), data, state.max_body_bytes).await
        {
            Ok(form) => form,
            Err(BodyError::TooLarge) => return refuse(Status::PayloadTooLarge),
            Err(BodyError::Invalid(_)) => return refuse(Status::BadRequest),
        };
        if csrf_valid(request.cookies(), form.get("csrf_token")) {
            data::Outcome::Success(Self(form))
        } else {
            refuse(Status::Forbidden)
        }
    }
}

#[post("/accounts/login", data = "<form>")]
async fn login(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    address: ClientAddress,
    form: Result<PageForm, Status>,
) -> PageOrRedirect {
    let form = match form {
        Ok(PageForm(form)) => form,
        Err(status) => return status.into(),
    };
    let next = safe_next(form.get("next"));
    let (Some(login), Some(password)) = (form.get("username"), form.secret("password")) else {
        return retry(state, cookies, next, form.get("username"));
    };
    let engine = state.engine().from_address(address.0);
    match engine
        .authenticate_user(login, &password, OffsetDateTime::now_utc())
        .await
    {
        Ok(PasswordCheck::Valid(user)) => match log_in(state, cookies, &user).await {
            Ok(()) => PageOrRedirect::Redirect(SeeOther(next.unwrap_or(HOME).to_owned())),
            Err(status) => status.into(),
        },
        Ok(PasswordCheck::Invalid) => retry(state, cookies, next, Some(login)),
        Ok(PasswordCheck::Locked(locked)) => locked_out(state, cookies, next, login, locked),
        Err(GrantsError::Generator(GeneratorError::Busy)) => Status::ServiceUnavailable.into(),
        Err(error) => {
            tracing::warn!(%error, "login failed");
            Status::ServiceUnavailable.into()
        }
    }
}

fn retry(
    state: &AppState,
    cookies: &CookieJar<'_>,
    next: Option<&str>,
    username: Option<&str>,
) -> PageOrRedirect {
    match csrf_token(state, cookies) {
        Ok(csrf) => {
            let message = "Please enter a correct username or email and password.";
            PageOrRedirect::Page(Page::new(
                Status::Ok,
                "Log in",
                login_form(state, &csrf, next, Some(message), username, false),
            ))
        }
        Err(status) => status.into(),
    }
}

/// The login form again, answered 429: attempts are refused for a while.
fn locked_out(
    state: &AppState,
    cookies: &CookieJar<'_>,
    next: Option<&str>,
    username: &str,
    locked: Locked,
) -> PageOrRedirect {
    let csrf = match csrf_token(state, cookies) {
        Ok(csrf) => csrf,
        Err(status) => return status.into(),
    };
    let (message, retry_after) = locked_message("failed login attempts", locked);
    let form = login_form(state, &csrf, next, Some(&message), Some(username), false);
    PageOrRedirect::Page(
        Page::new(Status::TooManyRequests, "Log in", form).retry_after(retry_after),
    )
}

fn logout_form(csrf: &str) -> String {
    button_form("/accounts/logout/", &[("csrf_token", csrf)], "Log out")
}

#[get("/accounts/logout")]
fn logout_page(state: &State<AppState>, cookies: &CookieJar<'_>) -> PageOrRedirect {
    match csrf_token(state, cookies) {
        Ok(csrf) => PageOrRedirect::Page(Page::new(Status::Ok, "Log out", logout_form(&csrf))),
        Err(status) => status.into(),
    }
}

#[post("/accounts/logout", data = "<form>")]
async fn logout(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    form: Result<PageForm, Status>,
) -> PageOrRedirect {
    let form = match form {
        Ok(PageForm(form)) => form,
        Err(status) => return status.into(),
    };
    log_out(state, cookies).await;
    PageOrRedirect::Redirect(SeeOther(
        safe_next(form.get("next")).unwrap_or(HOME).to_owned(),
    ))
}
