//! What the management pages share: the logged-in user or a login redirect, and storage
//! failures as a page.

use rocket::http::Status;
use rocket::http::uri::Origin as RequestUri;
use warrant_model::User;

use crate::accounts::PageOrRedirect;
use crate::html::SeeOther;
use crate::session::CurrentUser;

/// A page handler's result: `?` turns a status or a login redirect into the answer.
pub(crate) type Answer = Result<PageOrRedirect, PageOrRedirect>;

pub(crate) fn answer(result: Answer) -> PageOrRedirect {
    result.unwrap_or_else(|early| early)
}

/// The logged-in user, or a redirect to the login page that comes back here.
pub(crate) fn logged_in(user: CurrentUser, uri: &RequestUri<'_>) -> Result<User, PageOrRedirect> {
    match user.0 {
        Some((user, _)) => Ok(user),
        None => Err(login_redirect(&uri.to_string(), None)),
    }
}

/// A redirect to the login page, which sends the user on to `next` afterwards and
/// suggests `login_hint` as the username.
pub(crate) fn login_redirect(next: &str, login_hint: Option<&str>) -> PageOrRedirect {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("next", next);
    if let Some(hint) = login_hint {
        query.append_pair("login_hint", hint);
    }
    let query = query.finish();
    PageOrRedirect::Redirect(SeeOther(format!("/accounts/login/?{query}")))
}

/// A storage failure as the page the user sees.
pub(crate) fn unavailable(error: impl std::fmt::Display) -> PageOrRedirect {
    tracing::warn!(%error, "a management page failed on storage");
    Status::ServiceUnavailable.into()
}
