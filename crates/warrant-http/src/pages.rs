//! What every HTML page handler shares: its answer (a page or a redirect, a status as an
//! error page), the CSRF-checked form, the logged-in user or a login redirect, and storage
//! failures as a page.

use rocket::Request;
use rocket::data::{self, Data, FromData};
use rocket::http::Status;
use rocket::http::uri::Origin as RequestUri;
use rocket::response::Responder;
use warrant_grants::{GrantSettings, OAuthError};
use warrant_model::{ScopeSet, User};

use crate::AppState;
use crate::form::{BodyError, FormParams};
use crate::html::{Page, SeeOther, escape};
use crate::session::{CurrentUser, csrf_valid};

/// A page handler's result: `?` turns a status or a login redirect into the answer
/// (Rocket answers either side).
pub(crate) type PageResult = Result<PageOrRedirect, PageOrRedirect>;

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
