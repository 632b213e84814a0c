//! What the management pages share: the logged-in user or a login redirect, and storage
//! failures as a page.

use rocket::http::Status;
use rocket::http::uri::Origin as RequestUri;
use warrant_grants::{GrantSettings, OAuthError};
use warrant_model::{ScopeSet, User};

use crate::accounts::PageOrRedirect;
use crate::html::{Page, SeeOther, escape};
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

/// An OAuth error shown to the user instead of being redirected to a client: 503 or 500
/// for failures of ours, 400 for the request.
pub(crate) fn oauth_error_page(error: &OAuthError) -> PageOrRedirect {
    let status = match error {
        OAuthError::TemporarilyUnavailable => Status::ServiceUnavailable,
        OAuthError::ServerError => Status::InternalServerError,
        _ => Status::BadRequest,
    };
    let message = error.description().unwrap_or("The request is invalid.");
    PageOrRedirect::Page(Page::error(status, &format!("{}: {message}", error.code())))
}

/// The consent-style list of `scope`: each scope's description (its name when it has
/// none), as `<li>` items.
pub(crate) fn scope_items(settings: &GrantSettings, scope: &ScopeSet) -> String {
    scope
        .iter()
        .map(|scope| {
            let description = settings.scopes.description(scope).unwrap_or(scope.as_str());
            format!("<li>{}</li>", escape(description))
        })
        .collect()
}

/// A storage failure as the page the user sees.
pub(crate) fn unavailable(error: impl std::fmt::Display) -> PageOrRedirect {
    tracing::warn!(%error, "a management page failed on storage");
    Status::ServiceUnavailable.into()
}
