//! `/accounts/connections/`: the logged-in user's provider accounts, each with a button to
//! disconnect it, and a button to connect each configured provider.

use rocket::http::uri::Origin as RequestUri;
use rocket::http::{CookieJar, Status};
use rocket::{State, get};
use serde_json::Value;
use warrant_model::UpstreamConnection;

use crate::AppState;
use crate::html::{Page, button_form, escape, table};
use crate::pages::{PageOrRedirect, PageResult, logged_in, unavailable};
use crate::session::{CurrentUser, csrf_token};

/// The page's path, where connecting and disconnecting end.
pub(crate) const CONNECTIONS: &str = "/accounts/connections/";

#[get("/accounts/connections")]
pub(super) async fn connections(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
) -> PageResult {
    let user = logged_in(user, uri)?;
    let csrf = csrf_token(state, cookies)?;
    let connections = state
        .store
        .connections_of_user(user.id)
        .await
        .map_err(unavailable)?;
    let rows = connections
        .iter()
        .map(|connection| row(state, connection, &csrf))
        .collect();
    let mut body = table(
        &["Provider", "Account", "Connected", ""],
        rows,
        "No accounts of other providers are connected.",
    );
    let providers = state.upstream.providers();
    if !providers.is_empty() {
        body.push_str("<h2>Connect an account</h2>");
    }
    for provider in providers {
        body.push_str(&button_form(
            &format!("/oauth/{}/connect/", provider.key()),
            &[("csrf_token", &csrf)],
            &format!("Connect {}", provider.name()),
        ));
    }
    Ok(PageOrRedirect::Page(Page::new(
        Status::Ok,
        "Connected accounts",
        body,
    )))
}

/// One connection: the provider's name (its key when no longer configured), the account as
/// the provider names it, and the disconnect button.
fn row(state: &AppState, connection: &UpstreamConnection, csrf: &str) -> String {
    let provider = state
        .upstream
        .providers()
        .iter()
        .find(|provider| provider.key() == &connection.provider)
        .map_or_else(
            || format!("{} (no longer configured)", connection.provider),
            |provider| provider.name().to_owned(),
        );
    let disconnect = button_form(
        &format!("/oauth/{}/disconnect/", connection.provider),
        &[
            ("csrf_token", csrf),
            ("provider_user_id", &connection.provider_user_id),
        ],
        "Disconnect",
    );
    format!(
        "<tr><td>{provider}</td><td>{account}</td><td>{date}</td><td>{disconnect}</td></tr>",
        provider = escape(&provider),
        account = escape(&account_label(connection)),
        date = connection.created_at.date(),
    )
}

/// How the provider names the account: its email, login or name as the provider's record
/// has them, else the provider's id for it.
fn account_label(connection: &UpstreamConnection) -> String {
    let record: Value = serde_json::from_str(&connection.extra_data).unwrap_or(Value::Null);
    [
        "email",
        "preferred_username",
        "login",
        "username",
        "nickname",
        "name",
    ]
    .iter()
    .find_map(|field| record[field].as_str().filter(|value| !value.is_empty()))
    .unwrap_or(&connection.provider_user_id)
    .to_owned()
}
