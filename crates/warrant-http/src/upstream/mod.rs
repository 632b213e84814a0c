//! Logging in with upstream providers, django-oauth-login's URLs: `POST /oauth/<key>/login/`
//! and `…/connect/` send the browser to the provider, `GET …/callback/` brings it back
//! (log in, sign up or connect), `POST …/disconnect/` removes a connection, and
//! `/accounts/connections/` lists them. The rules are `warrant_upstream::Accounts`'; this
//! module keeps the flow between redirect and callback and renders the outcomes.

mod connections;
mod flow;

use rocket::http::{CookieJar, Status};
use rocket::{Route, State, get, post, routes};
use time::OffsetDateTime;
use url::Url;
use warrant_model::ProviderKey;
use warrant_upstream::{Accounts, HttpClient, Login, Prompt, Provider, UpstreamError};

use crate::AppState;
use crate::accounts::HOME;
use crate::authorize::RawQuery;
use crate::form::FormParams;
use crate::html::{Page, SeeOther, button_form};
use crate::metrics::UpstreamOutcome;
use crate::pages::{PageForm, PageOrRedirect, PageResult, login_redirect, unavailable};
use crate::session::{CurrentUser, log_in, safe_next};
use flow::{Flow, Intent};

pub(crate) use connections::CONNECTIONS;

pub(crate) fn routes() -> Vec<Route> {
    routes![
        login,
        connect,
        callback,
        disconnect,
        connections::connections
    ]
}

/// The configured providers and the client that reaches them.
pub struct Upstream {
    providers: Vec<Provider>,
    http: Box<dyn HttpClient>,
}

impl Upstream {
    /// `providers` (from `[upstream.<key>]`), reached through `http`.
    pub fn new(providers: Vec<Provider>, http: Box<dyn HttpClient>) -> Self {
        Self { providers, http }
    }

    /// Every configured provider, in configuration order.
    pub(crate) fn providers(&self) -> &[Provider] {
        &self.providers
    }

    fn provider(&self, key: &str) -> Result<&Provider, PageOrRedirect> {
        self.providers
            .iter()
            .find(|provider| provider.key().as_str() == key)
            .ok_or_else(|| error_page(Status::NotFound, "There is no such login provider."))
    }
}

/// The login page's buttons: one POST form per provider, with the CSRF token and `next`.
/// `again` marks a login the user must repeat although they are logged in (OpenID
/// Connect's `prompt=login`).
pub(crate) fn login_buttons(
    upstream: &Upstream,
    csrf: &str,
    next: Option<&str>,
    again: bool,
) -> String {
    upstream
        .providers()
        .iter()
        .map(|provider| {
            let mut fields = vec![("csrf_token", csrf)];
            fields.extend(next.map(|next| ("next", next)));
            if again {
                fields.push(("again", "1"));
            }
            let action = format!("/oauth/{}/login/", provider.key());
            button_form(
                &action,
                &fields,
                &format!("Log in with {}", provider.name()),
            )
        })
        .collect()
}

/// Logs in or signs up at the provider; a logged-in user goes straight on, unless they are
/// asked to log in again.
#[post("/oauth/<key>/login", data = "<form>")]
async fn login(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    key: &str,
    form: Result<PageForm, Status>,
) -> PageResult {
    let PageForm(form) = form?;
    let provider = state.upstream.provider(key)?;
    let next = safe_next(form.get("next"));
    let prompt = match (user.0.is_some(), form.get("again").is_some()) {
        (true, false) => return Ok(go_to(next.unwrap_or(HOME))),
        (_, true) => Prompt::LogInAgain,
        (false, false) => Prompt::AsUsual,
    };
    start(state, cookies, provider, Intent::LogIn, prompt, next).await
}

/// Connects an account at the provider to the logged-in user.
#[post("/oauth/<key>/connect", data = "<form>")]
async fn connect(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    key: &str,
    form: Result<PageForm, Status>,
) -> PageResult {
    let PageForm(form) = form?;
    let Some((user, _)) = user.0 else {
        return Err(login_redirect(CONNECTIONS, None));
    };
    let provider = state.upstream.provider(key)?;
    let intent = Intent::Connect(user.id);
    start(
        state,
        cookies,
        provider,
        intent,
        Prompt::AsUsual,
        safe_next(form.get("next")),
    )
    .await
}

/// Sends the browser to `provider`, keeping the flow in its cookie.
async fn start(
    state: &AppState,
    cookies: &CookieJar<'_>,
    provider: &Provider,
    intent: Intent,
    prompt: Prompt,
    next: Option<&str>,
) -> PageResult {
    let redirect_uri = callback_uri(state, provider)?;
    let authorization = provider
        .authorization(&*state.upstream.http, &redirect_uri, prompt)
        .await
        .map_err(|error| refused(provider, error))?;
    let url = authorization.url.to_string();
    let flow = Flow::started(authorization, intent, next);
    let now = OffsetDateTime::now_utc();
    flow.keep(
        &state.sealing,
        cookies,
        provider.key(),
        state.secure_cookies,
        now,
    )?;
    Ok(PageOrRedirect::Redirect(SeeOther(url)))
}

/// Where the provider sends the browser back: this server's issuer, so every instance
/// behind one name agrees.
fn callback_uri(state: &AppState, provider: &Provider) -> Result<Url, PageOrRedirect> {
    let uri = format!(
        "{}/oauth/{}/callback/",
        state.grants.settings.issuer,
        provider.key()
    );
    Url::parse(&uri).map_err(|_| PageOrRedirect::from(Status::InternalServerError))
}

/// The provider's answer: the flow this browser started is taken (used once), its state
/// checked, the code exchanged; then the login, sign-up or connection. Each return is
/// counted by provider and outcome.
#[get("/oauth/<key>/callback")]
async fn callback(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    key: &str,
    query: RawQuery,
) -> PageResult {
    let provider = state.upstream.provider(key)?;
    let (page, outcome) = match returned(state, cookies, user, provider, query).await {
        Ok((page, outcome)) => (Ok(page), outcome),
        Err((page, outcome)) => (Err(page), outcome),
    };
    state
        .metrics
        .upstream_login(provider.key().as_str(), outcome);
    page
}

/// A page (or redirect), with what became of the return.
type Returned = Result<(PageOrRedirect, UpstreamOutcome), (PageOrRedirect, UpstreamOutcome)>;

async fn returned(
    state: &AppState,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    provider: &Provider,
    query: RawQuery,
) -> Returned {
    let refused = |page| (page, UpstreamOutcome::Refused);
    let now = OffsetDateTime::now_utc();
    let flow = Flow::take(&state.sealing, cookies, provider.key(), now).ok_or_else(|| {
        refused(error_page(
            Status::BadRequest,
            "This login expired or was started in another browser. Please start again.",
        ))
    })?;
    let query = FormParams::parse(query.0.as_bytes()).map_err(|_| {
        (
            error_page(Status::BadRequest, "The provider's answer is malformed."),
            UpstreamOutcome::ProviderFailed,
        )
    })?;
    if !flow.state_matches(query.get("state")) {
        return Err(refused(error_page(
            Status::BadRequest,
            "The provider's answer does not belong to the login this browser started. Please start again.",
        )));
    }
    // RFC 9207: an answer of another issuer (a mix-up attack) is not looked at.
    provider
        .check_response_issuer(&*state.upstream.http, query.get("iss"))
        .await
        .map_err(|error| failed(provider, error))?;
    if let Some(error) = query.get("error") {
        let message = format!(
            "{} did not log you in ({error}). Please try again.",
            provider.name()
        );
        return Err((
            error_page(Status::BadRequest, &message),
            UpstreamOutcome::Denied,
        ));
    }
    let code = query.get("code").ok_or_else(|| {
        (
            error_page(Status::BadRequest, "The provider's answer has no code."),
            UpstreamOutcome::ProviderFailed,
        )
    })?;
    let redirect_uri = callback_uri(state, provider).map_err(refused)?;
    let nonce = flow.nonce.as_ref();
    let (tokens, account) = provider
        .finish(
            &*state.upstream.http,
            code,
            &redirect_uri,
            &flow.verifier,
            nonce,
            now,
        )
        .await
        .map_err(|error| failed(provider, error))?;
    let accounts = accounts(state);
    match flow.intent {
        Intent::LogIn => {
            let login = accounts
                .log_in(provider.key(), &tokens, &account, now)
                .await;
            let (user, outcome) = match login.map_err(|error| failed(provider, error))? {
                Login::Existing(user) => (user, UpstreamOutcome::LoggedIn),
                Login::SignedUp(user) => {
                    let username = user.username.as_str();
                    tracing::info!(provider = %provider.key(), username, "signed up through a provider");
                    (user, UpstreamOutcome::SignedUp)
                }
            };
            log_in(state, cookies, &user)
                .await
                .map_err(|error| refused(error.into()))?;
            Ok((go_to(flow.next.as_deref().unwrap_or(HOME)), outcome))
        }
        Intent::Connect(user_id) => {
            let user = match user.0 {
                Some((user, _)) if user.id == user_id => user,
                _ => {
                    return Err(refused(error_page(
                        Status::BadRequest,
                        "You are no longer logged in as the user who started connecting this account. Please log in and try again.",
                    )));
                }
            };
            accounts
                .connect(&user, provider.key(), &tokens, &account, now)
                .await
                .map_err(|error| failed(provider, error))?;
            Ok((
                go_to(flow.next.as_deref().unwrap_or(CONNECTIONS)),
                UpstreamOutcome::Connected,
            ))
        }
    }
}

/// [`refused`]'s page, with whether the provider or Warrant was the one that failed.
fn failed(provider: &Provider, error: UpstreamError) -> (PageOrRedirect, UpstreamOutcome) {
    let outcome = match error {
        UpstreamError::Unreachable { .. }
        | UpstreamError::Refused { .. }
        | UpstreamError::Protocol { .. }
        | UpstreamError::IdToken(_) => UpstreamOutcome::ProviderFailed,
        _ => UpstreamOutcome::Refused,
    };
    (refused(provider, error), outcome)
}

/// Removes one of the logged-in user's connections (`provider_user_id` names it, as in
/// django-oauth-login), also of a provider no longer configured.
#[post("/oauth/<key>/disconnect", data = "<form>")]
async fn disconnect(
    state: &State<AppState>,
    user: CurrentUser,
    key: &str,
    form: Result<PageForm, Status>,
) -> PageResult {
    let PageForm(form) = form?;
    let Some((user, _)) = user.0 else {
        return Err(login_redirect(CONNECTIONS, None));
    };
    let no_such = || error_page(Status::NotFound, "There is no such connection.");
    let provider = ProviderKey::parse(key).map_err(|_| no_such())?;
    let account = form.get("provider_user_id").ok_or_else(no_such)?;
    let connection = state
        .store
        .connection(&provider, account)
        .await
        .map_err(unavailable)?
        .filter(|connection| connection.user_id == user.id)
        .ok_or_else(no_such)?;
    accounts(state)
        .disconnect(&user, connection.id)
        .await
        .map_err(rule_refused)?;
    Ok(go_to(safe_next(form.get("next")).unwrap_or(CONNECTIONS)))
}

fn accounts(state: &AppState) -> Accounts<'_> {
    Accounts {
        store: &*state.store,
        sealing: &state.sealing,
        client_apps: &state.grants.client_apps,
    }
}

fn go_to(path: &str) -> PageOrRedirect {
    PageOrRedirect::Redirect(SeeOther(path.to_owned()))
}

fn error_page(status: Status, message: &str) -> PageOrRedirect {
    PageOrRedirect::Page(Page::error(status, message))
}

/// A failure at or with `provider` as the page the user sees; what went wrong with the
/// provider itself is logged, not shown.
fn refused(provider: &Provider, error: UpstreamError) -> PageOrRedirect {
    match error {
        UpstreamError::Unreachable { .. }
        | UpstreamError::Refused { .. }
        | UpstreamError::Protocol { .. }
        | UpstreamError::IdToken(_) => {
            tracing::warn!(provider = %provider.key(), %error, "upstream login failed");
            let message = format!(
                "Logging in with {} failed: the provider could not be reached or its answer could not be used. Please try again later.",
                provider.name()
            );
            error_page(Status::BadGateway, &message)
        }
        UpstreamError::WrongIssuer(_) => {
            tracing::warn!(provider = %provider.key(), %error, "upstream login refused");
            let message = format!(
                "This answer did not come from {}. Please start again.",
                provider.name()
            );
            error_page(Status::BadRequest, &message)
        }
        // Named as the button names the provider, not by its key.
        UpstreamError::ConnectedElsewhere(_) => {
            let message = format!(
                "This {} account is already connected to another user.",
                provider.name()
            );
            error_page(Status::BadRequest, &message)
        }
        other => rule_refused(other),
    }
}

/// A connection rule that refused, or a failure of ours.
fn rule_refused(error: UpstreamError) -> PageOrRedirect {
    match error {
        // django-oauth-login's sentence, word for word.
        UpstreamError::EmailTaken => error_page(Status::BadRequest, &error.to_string()),
        UpstreamError::LastLogin => error_page(
            Status::BadRequest,
            "This is your only way to log in: set a password or connect another account first.",
        ),
        UpstreamError::NotYours => error_page(Status::NotFound, "There is no such connection."),
        UpstreamError::Inactive => error_page(Status::Forbidden, "This account is inactive."),
        UpstreamError::Store(error) => unavailable(error),
        UpstreamError::Grants(error) => unavailable(error),
        other => {
            tracing::error!(error = %other, "upstream login failed");
            Status::InternalServerError.into()
        }
    }
}
