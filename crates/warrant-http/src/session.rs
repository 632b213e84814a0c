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
use time::{Duration, OffsetDateTime};
use warrant_generators::{constant_time_eq, hash_token, random_urlsafe};
use warrant_model::{NewSession, Secret, User};
use warrant_storage::{Store, StoreError, SyncTo};

use crate::AppState;

const SESSION_COOKIE: &str = "warrant_session";
const CSRF_COOKIE: &str = "warrant_csrf";

/// How long a login lasts (Django's `SESSION_COOKIE_AGE`: two weeks).
pub(crate) const SESSION_LIFETIME: Duration = Duration::weeks(2);

/// The logged-in user of this request, if any, and when they authenticated.
pub struct CurrentUser(pub Option<(User, OffsetDateTime)>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = request.rocket().state::<AppState>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let Some(key) = session_key(request.cookies()) else {
            return Outcome::Success(Self(None));
        };
        match session_user(&*state.store, key, OffsetDateTime::now_utc()).await {
            Ok(found) => Outcome::Success(Self(found)),
            Err(error) => {
                tracing::warn!(%error, "session lookup failed");
                Outcome::Error((Status::ServiceUnavailable, ()))
            }
        }
    }
}

/// The active user of the live session whose cookie value is `key`, and when they
/// authenticated.
pub(crate) async fn session_user(
    store: &dyn Store,
    key: &str,
    now: OffsetDateTime,
) -> Result<Option<(User, OffsetDateTime)>, StoreError> {
    let Some(session) = store.live_session(&hash_token(key), now).await? else {
        return Ok(None);
    };
    Ok(store
        .user_by_id(session.user_id)
        .await?
        .filter(|user| user.is_active)
        .map(|user| (user, session.auth_time)))
}

/// The session cookie's value, if the request has one.
pub(crate) fn session_key<'a>(cookies: &'a CookieJar<'_>) -> Option<&'a str> {
    cookies.get(SESSION_COOKIE).map(|cookie| cookie.value())
}

/// Whether a request a browser may have sent from another site came from this one, for
/// unsafe methods authenticated by the session cookie (the check of Go's
/// `CrossOriginProtection`): `Sec-Fetch-Site` when the browser sends it, else `Origin`
/// against `Host`. A request with neither did not come from a current browser's cross-site
/// form, and older browsers do not send the SameSite=Lax cookie on cross-site POSTs.
pub(crate) fn same_origin(request: &Request<'_>) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get_one("Sec-Fetch-Site") {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get_one("Origin") else {
        return true;
    };
    let host = headers.get_one("Host");
    let origin_host = origin.split_once("://").map(|(_, authority)| authority);
    origin_host.is_some() && origin_host == host
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
    let key = random_urlsafe(32).map_err(|_| Status::InternalServerError)?;
    let now = OffsetDateTime::now_utc();
    let session = NewSession {
        key_hash: hash_token(key.expose()),
        user_id: user.id,
        auth_time: now,
        created_at: now,
        expires_at: now + SESSION_LIFETIME,
    };
    state
        .store
        .create_session(&session)
        .await
        .map_err(|_| Status::ServiceUnavailable)?;
    let mut last_login = user.clone();
    last_login.last_login = Some(now);
    state
        .store
        .update_user(&last_login, SyncTo::NOBODY)
        .await
        .map_err(|_| Status::ServiceUnavailable)?;
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
        if let Err(error) = state
            .store
            .delete_session(&hash_token(cookie.value()))
            .await
        {
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
    use rocket::http::Header;
    use rocket::local::blocking::Client;

    use super::*;

    #[test]
    fn session_writes_must_come_from_this_site() {
        let client = Client::untracked(rocket::build()).unwrap();
        let judged = |headers: &[(&'static str, &'static str)]| {
            let mut request = client.post("/api/revoke_api_token/");
            for (name, value) in headers {
                request.add_header(Header::new(*name, *value));
            }
            same_origin(request.inner())
        };
        let host = ("Host", "warrant.example");
        for allowed in [
            vec![host],
            vec![host, ("Sec-Fetch-Site", "same-origin")],
            vec![host, ("Sec-Fetch-Site", "none")],
            vec![host, ("Origin", "https://warrant.example")],
        ] {
            assert!(judged(&allowed), "{allowed:?}");
        }
        for refused in [
            vec![host, ("Sec-Fetch-Site", "cross-site")],
            vec![host, ("Sec-Fetch-Site", "same-site")],
            // Sec-Fetch-Site decides when sent, whatever Origin says.
            vec![
                host,
                ("Sec-Fetch-Site", "cross-site"),
                ("Origin", "https://warrant.example"),
            ],
            vec![host, ("Origin", "https://evil.example")],
            vec![host, ("Origin", "null")],
            vec![("Origin", "https://warrant.example")],
        ] {
            assert!(!judged(&refused), "{refused:?}");
        }
    }

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
