//! Browser sessions and CSRF protection.
//!
//! The session cookie holds 256 random bits; the database keeps only their SHA-256 and the
//! session's user, so the cookie can neither be forged nor read back from a database dump.
//! (Encrypting it, as Rocket's "private" cookies do, would protect nothing more.) It is
//! HttpOnly, SameSite=Lax, and Secure when the issuer is https.
//!
//! CSRF uses the double-submit pattern: a random token in a SameSite=Strict cookie that
//! every form repeats in a hidden field, compared in constant time. It needs no session, so
//! the login form is protected too.

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use time::OffsetDateTime;
use warrant_generators::{constant_time_eq, random_urlsafe};
use warrant_grants::{GrantsError, SESSION_LIFETIME, session_user};
use warrant_guards::SESSION_COOKIE;
use warrant_model::{Secret, User};

use crate::AppState;

const CSRF_COOKIE: &str = "warrant_csrf";

/// The logged-in user of this request, if any, and when they authenticated.
pub struct CurrentUser(pub Option<(User, OffsetDateTime)>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = request.rocket().state::<AppState>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let Some(cookie) = request.cookies().get(SESSION_COOKIE) else {
            return Outcome::Success(Self(None));
        };
        match session_user(&*state.store, cookie.value(), OffsetDateTime::now_utc()).await {
            Ok(found) => Outcome::Success(Self(found)),
            Err(error) => {
                tracing::warn!(%error, "session lookup failed");
                Outcome::Error((Status::ServiceUnavailable, ()))
            }
        }
    }
}

/// Starts a session for `user` and sets its cookie.
pub(crate) async fn log_in(
    state: &AppState,
    cookies: &CookieJar<'_>,
    user: &User,
) -> Result<(), Status> {
    // Logging in again (OpenID Connect's prompt=login, max_age) replaces the browser's
    // session instead of leaving the old one valid.
    log_out(state, cookies).await;
    let key = state
        .engine()
        .start_session(user, OffsetDateTime::now_utc())
        .await
        .map_err(|error| {
            tracing::warn!(%error, "could not start a session");
            match error {
                GrantsError::Store(_) => Status::ServiceUnavailable,
                _ => Status::InternalServerError,
            }
        })?;
    let cookie = Cookie::build((SESSION_COOKIE, key.expose().clone()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.secure_cookies)
        .path("/")
        .max_age(SESSION_LIFETIME);
    cookies.add(cookie);
    Ok(())
}

/// Ends the request's session, if any.
pub(crate) async fn log_out(state: &AppState, cookies: &CookieJar<'_>) {
    if let Some(cookie) = cookies.get(SESSION_COOKIE) {
        if let Err(error) = state.engine().end_session(cookie.value()).await {
            tracing::warn!(%error, "could not delete a session");
        }
        cookies.remove(Cookie::build(SESSION_COOKIE).path("/"));
    }
}

/// The CSRF token for this browser, set as a cookie when it has none yet.
pub(crate) fn csrf_token(state: &AppState, cookies: &CookieJar<'_>) -> Result<String, Status> {
    if let Some(existing) = cookies.get(CSRF_COOKIE) {
        return Ok(existing.value().to_owned());
    }
    let token: Secret<String> = random_urlsafe(32).map_err(|_| Status::InternalServerError)?;
    let cookie = Cookie::build((CSRF_COOKIE, token.expose().clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.secure_cookies)
        .path("/");
    cookies.add(cookie);
    Ok(token.expose().clone())
}

/// Whether a submitted form's `csrf_token` matches the browser's cookie.
pub(crate) fn csrf_valid(cookies: &CookieJar<'_>, submitted: Option<&str>) -> bool {
    match (cookies.get(CSRF_COOKIE), submitted) {
        (Some(cookie), Some(submitted)) => {
            constant_time_eq(cookie.value().as_bytes(), submitted.as_bytes())
        }
        _ => false,
    }
}

/// Whether `next` may be followed after login: a path on this server only (`/…`, not
/// `//host` or `/\host`, which browsers treat as another origin).
pub(crate) fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.starts_with("/\\")
            && !n.chars().any(|c| c.is_control())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_followed_only_to_local_paths() {
        for good in [
            "/",
            "/o/authorize/?client_id=a&x=%2F%2F",
            "/accounts/connections/",
        ] {
            assert_eq!(safe_next(Some(good)), Some(good));
        }
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "evil",
            "",
            "/\r\nSet-Cookie:x",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
    }
}
