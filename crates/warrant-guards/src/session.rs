//! Warrant's session cookie, for resource servers that share Warrant's database.

use rocket::request::Request;
use time::OffsetDateTime;
use warrant_model::{OAuthError, User};
use warrant_storage::Store;

use crate::{Refusal, is_safe};

/// The name of Warrant's session cookie; its value is the session's key.
pub const SESSION_COOKIE: &str = "warrant_session";

/// The active user of the request's session; a write it authenticates must come from this
/// site.
pub(crate) async fn session_user(
    store: &dyn Store,
    request: &Request<'_>,
) -> Result<Option<User>, Refusal> {
    let Some(key) = request.cookies().get(SESSION_COOKIE) else {
        return Ok(None);
    };
    let user = warrant_grants::session_user(store, key.value(), OffsetDateTime::now_utc())
        .await
        .map_err(|error| Refusal::Token(OAuthError::from(error)))?;
    match user {
        Some(_) if !is_safe(request.method()) && !same_origin(request) => Err(Refusal::CrossSite),
        user => Ok(user.map(|(user, _)| user)),
    }
}

/// Whether a request a browser may have sent from another site came from this one, for
/// unsafe methods authenticated by the session cookie (the check of Go's
/// `CrossOriginProtection`): `Sec-Fetch-Site` when the browser sends it, else `Origin`
/// against `Host`. A request with neither did not come from a current browser's cross-site
/// form, and older browsers do not send the SameSite=Lax cookie on cross-site POSTs.
fn same_origin(request: &Request<'_>) -> bool {
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
}
