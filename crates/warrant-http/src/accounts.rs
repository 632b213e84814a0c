//! `/accounts/login/` (username or email, or a button per upstream provider) and
//! `/accounts/logout/`.

use rocket::http::{CookieJar, Status};
use rocket::{Route, State, get, post, routes};
use time::OffsetDateTime;
use warrant_generators::GeneratorError;
use warrant_grants::{GrantsError, Locked, PasswordCheck};

use crate::AppState;
use crate::address::{ClientAddress, locked_message};
use crate::html::{Page, SeeOther, button_form, escape, hidden};
use crate::pages::{PageForm, PageOrRedirect, PageResult};
use crate::session::{CurrentUser, csrf_token, log_in, log_out, safe_next};
use crate::upstream::{CONNECTIONS, login_buttons};

pub(crate) fn routes() -> Vec<Route> {
    routes![login_page, login, logout_page, logout]
}

/// Where to go after logging in or out when `next` is absent or unsafe.
pub(crate) const HOME: &str = "/accounts/login/";

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
) -> PageResult {
    let csrf = csrf_token(state, cookies)?;
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
        return Ok(PageOrRedirect::Page(Page::new(Status::Ok, "Log in", form)));
    }
    if let Some((user, _)) = user.0 {
        let body = format!(
            r#"<p>You are logged in as <strong>{}</strong>.</p><p><a href="{}">Connected accounts</a></p>{}"#,
            escape(user.username.as_str()),
            CONNECTIONS,
            logout_form(&csrf),
        );
        return Ok(PageOrRedirect::Page(Page::new(
            Status::Ok,
            "Logged in",
            body,
        )));
    }
    Ok(PageOrRedirect::Page(Page::new(
        Status::Ok,
        "Log in",
        login_form(state, &csrf, next, None, login_hint, false),
    )))
}

#[post("/accounts/login", data = "<form>")]
async fn login(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    address: ClientAddress,
    form: Result<PageForm, Status>,
) -> PageResult {
    let PageForm(form) = form?;
    let next = safe_next(form.get("next"));
    let (Some(login), Some(password)) = (form.get("username"), form.secret("password")) else {
        return retry(state, cookies, next, form.get("username"));
    };
    let engine = state.engine().from_address(address.0);
    match engine
        .authenticate_user(login, &password, OffsetDateTime::now_utc())
        .await
    {
        Ok(PasswordCheck::Valid(user)) => {
            log_in(state, cookies, &user).await?;
            Ok(PageOrRedirect::Redirect(SeeOther(
                next.unwrap_or(HOME).to_owned(),
            )))
        }
        Ok(PasswordCheck::Invalid) => retry(state, cookies, next, Some(login)),
        Ok(PasswordCheck::Locked(locked)) => locked_out(state, cookies, next, login, locked),
        Err(GrantsError::Generator(GeneratorError::Busy)) => Err(Status::ServiceUnavailable.into()),
        Err(error) => {
            tracing::warn!(%error, "login failed");
            Err(Status::ServiceUnavailable.into())
        }
    }
}

fn retry(
    state: &AppState,
    cookies: &CookieJar<'_>,
    next: Option<&str>,
    username: Option<&str>,
) -> PageResult {
    let csrf = csrf_token(state, cookies)?;
    let message = "Please enter a correct username or email and password.";
    Ok(PageOrRedirect::Page(Page::new(
        Status::Ok,
        "Log in",
        login_form(state, &csrf, next, Some(message), username, false),
    )))
}

/// The login form again, answered 429: attempts are refused for a while.
fn locked_out(
    state: &AppState,
    cookies: &CookieJar<'_>,
    next: Option<&str>,
    username: &str,
    locked: Locked,
) -> PageResult {
    let csrf = csrf_token(state, cookies)?;
    let (message, retry_after) = locked_message("failed login attempts", locked);
    let form = login_form(state, &csrf, next, Some(&message), Some(username), false);
    Ok(PageOrRedirect::Page(
        Page::new(Status::TooManyRequests, "Log in", form).retry_after(retry_after),
    ))
}

fn logout_form(csrf: &str) -> String {
    button_form("/accounts/logout/", &[("csrf_token", csrf)], "Log out")
}

#[get("/accounts/logout")]
fn logout_page(state: &State<AppState>, cookies: &CookieJar<'_>) -> PageResult {
    let csrf = csrf_token(state, cookies)?;
    Ok(PageOrRedirect::Page(Page::new(
        Status::Ok,
        "Log out",
        logout_form(&csrf),
    )))
}

#[post("/accounts/logout", data = "<form>")]
async fn logout(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    form: Result<PageForm, Status>,
) -> PageResult {
    let PageForm(form) = form?;
    log_out(state, cookies).await;
    Ok(PageOrRedirect::Redirect(SeeOther(
        safe_next(form.get("next")).unwrap_or(HOME).to_owned(),
    )))
}
