//! `/o/device/`: where a user enters the code a device shows (RFC 8628 §3.3) and approves or
//! refuses its request. The rules are the grant engine's (`pending_device`,
//! `decide_device`).

use rocket::http::uri::Origin as RequestUri;
use rocket::http::{CookieJar, Status};
use rocket::{Route, State, get, post, routes};
use time::OffsetDateTime;
use warrant_grants::{DeviceCodeRejection, PendingDevice};
use warrant_model::User;

use crate::AppState;
use crate::address::{ClientAddress, locked_message};
use crate::html::{Page, escape, hidden};
use crate::pages::{PageForm, PageOrRedirect, PageResult, logged_in, login_redirect, scope_items};
use crate::session::{CurrentUser, csrf_token};

pub(crate) fn routes() -> Vec<Route> {
    routes![device_page, device_decision]
}

/// The form asking for the code, with `message` above it.
fn code_form(csrf: &str, message: Option<&str>) -> Page {
    let message = message
        .map(|m| format!(r#"<p class="error" role="alert">{}</p>"#, escape(m)))
        .unwrap_or_default();
    let body = format!(
        r#"{message}<p>Enter the code shown on your device.</p>
<form method="post" action="/o/device/">{csrf}
<label for="user_code">Code</label><input type="text" id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" required autofocus>
<button type="submit">Continue</button></form>"#,
        csrf = hidden("csrf_token", csrf),
    );
    Page::new(Status::Ok, "Connect a device", body)
}

/// The question about a pending request, with the code being approved so the user can
/// compare it with the one on their device (RFC 8628 §5.4: a code seen elsewhere must not
/// be approved by mistake).
fn confirmation(state: &AppState, csrf: &str, pending: &PendingDevice) -> Page {
    let scopes = scope_items(&state.grants.settings, &pending.device.scope);
    let body = format!(
        r#"<p>A device using <strong>{app}</strong> wants to access your account with these permissions:</p>
<ul>{scopes}</ul>
<p>Allow only if your device shows this code: <strong class="user-code">{shown}</strong></p>
<form method="post" action="/o/device/">{csrf}{code}
<button type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Deny</button></form>"#,
        app = escape(&pending.application.name),
        shown = escape(&pending.user_code.display()),
        csrf = hidden("csrf_token", csrf),
        code = hidden("user_code", pending.user_code.as_str()),
    );
    Page::new(Status::Ok, "Connect a device", body)
}

const UNKNOWN_CODE: &str = "That code is not valid or has expired. Check it on your device.";

/// The code form again after a rejected code: with an error, or answered 429 when codes
/// are refused for a while (RFC 8628 §5.1).
fn rejected(csrf: &str, rejection: DeviceCodeRejection) -> PageOrRedirect {
    match rejection {
        DeviceCodeRejection::UnknownOrExpired => {
            PageOrRedirect::Page(code_form(csrf, Some(UNKNOWN_CODE)))
        }
        DeviceCodeRejection::Locked(locked) => {
            let (message, retry_after) = locked_message("wrong codes", locked);
            let page = code_form(csrf, Some(&message))
                .status(Status::TooManyRequests)
                .retry_after(retry_after);
            PageOrRedirect::Page(page)
        }
        DeviceCodeRejection::Unavailable(_) => Status::ServiceUnavailable.into(),
    }
}

/// The confirmation for `typed`, or the code form again with an error.
async fn confirm(
    state: &AppState,
    address: ClientAddress,
    csrf: &str,
    user: &User,
    typed: &str,
) -> PageOrRedirect {
    match state
        .engine()
        .from_address(address.0)
        .pending_device(typed, user, OffsetDateTime::now_utc())
        .await
    {
        Ok(pending) => PageOrRedirect::Page(confirmation(state, csrf, &pending)),
        Err(rejection) => rejected(csrf, rejection),
    }
}

#[get("/o/device?<user_code>")]
async fn device_page(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    address: ClientAddress,
    uri: &RequestUri<'_>,
    user_code: Option<&str>,
) -> PageResult {
    let user = logged_in(user, uri)?;
    let csrf = csrf_token(state, cookies)?;
    Ok(match user_code {
        Some(typed) => confirm(state, address, &csrf, &user, typed).await,
        None => PageOrRedirect::Page(code_form(&csrf, None)),
    })
}

#[post("/o/device", data = "<form>")]
async fn device_decision(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    address: ClientAddress,
    uri: &RequestUri<'_>,
    form: Result<PageForm, Status>,
) -> PageResult {
    let PageForm(form) = form?;
    let Some((user, auth_time)) = user.0 else {
        return Err(login_redirect(&uri.to_string(), None));
    };
    let csrf = csrf_token(state, cookies)?;
    let typed = form.get("user_code").unwrap_or_default();
    let approve = match form.get("decision") {
        None => return Ok(confirm(state, address, &csrf, &user, typed).await),
        Some("allow") => true,
        Some("deny") => false,
        Some(_) => return Err(Status::BadRequest.into()),
    };
    let decided = state
        .engine()
        .from_address(address.0)
        .decide_device(
            typed,
            (&user, auth_time),
            approve,
            OffsetDateTime::now_utc(),
        )
        .await;
    Ok(match decided {
        Ok(pending) => {
            let text = if approve {
                format!(
                    "<p><strong>{}</strong> is connected. You can go back to your device.</p>",
                    escape(&pending.application.name)
                )
            } else {
                "<p>The request was denied. You can go back to your device.</p>".to_owned()
            };
            PageOrRedirect::Page(Page::new(Status::Ok, "Connect a device", text))
        }
        Err(rejection) => rejected(&csrf, rejection),
    })
}
