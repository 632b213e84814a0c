//! `/o/applications/…`: the logged-in user registers and manages their own applications
//! (Django OAuth Toolkit's `ApplicationList`, `ApplicationRegistration`,
//! `ApplicationDetail`, `ApplicationUpdate` and `ApplicationDelete` views). Another user's
//! application answers 404, exactly as a missing one.

mod details;
mod form;

use rocket::http::uri::Origin as RequestUri;
use rocket::http::{CookieJar, Status};
use rocket::{Route, State, get, post, routes};
use time::OffsetDateTime;
use warrant_grants::{ApplicationRegistration, GrantsError};
use warrant_model::{Application, ApplicationId, ClientType, User};
use warrant_storage::Page as StorePage;

use crate::AppState;
use crate::html::{Page, SeeOther, escape, hidden};
use crate::pages::{PageForm, PageOrRedirect, PageResult, logged_in, unavailable};
use crate::session::{CurrentUser, csrf_token};
use details::details;
use form::ApplicationForm;

pub(crate) fn routes() -> Vec<Route> {
    routes![
        list,
        register_page,
        register,
        detail,
        update_page,
        update,
        delete_page,
        delete
    ]
}

/// Applications per list page.
const PAGE_SIZE: u32 = 50;

fn not_found() -> PageOrRedirect {
    PageOrRedirect::Page(Page::error(
        Status::NotFound,
        "There is no such application.",
    ))
}

async fn own(state: &AppState, user: &User, id: i64) -> Result<Application, PageOrRedirect> {
    state
        .engine()
        .owned_application(user.id, ApplicationId(id))
        .await
        .map_err(unavailable)?
        .ok_or_else(not_found)
}

#[get("/o/applications?<after>")]
async fn list(
    state: &State<AppState>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
    after: Option<i64>,
) -> PageResult {
    let user = logged_in(user, uri)?;
    let page = StorePage {
        after,
        limit: PAGE_SIZE,
    };
    let applications = state
        .store
        .list_applications(Some(user.id), page)
        .await
        .map_err(unavailable)?;
    let mut body = String::from(
        r#"<p><a href="/o/applications/register/">Register a new application</a></p>"#,
    );
    if applications.is_empty() {
        body.push_str("<p>You have no applications.</p>");
    } else {
        body.push_str("<ul>");
        for application in &applications {
            body.push_str(&format!(
                r#"<li><a href="/o/applications/{}/">{}</a></li>"#,
                application.id.0,
                escape(&application.name)
            ));
        }
        body.push_str("</ul>");
    }
    if let (true, Some(last)) = (
        applications.len() == PAGE_SIZE as usize,
        applications.last(),
    ) {
        body.push_str(&format!(
            r#"<p><a href="/o/applications/?after={}">Next page</a></p>"#,
            last.id.0
        ));
    }
    Ok(PageOrRedirect::Page(Page::new(
        Status::Ok,
        "Your applications",
        body,
    )))
}

/// An HTML page answering a management request.
fn form_page(title: &str, body: String, status: Status) -> PageOrRedirect {
    PageOrRedirect::Page(Page::new(status, title, body))
}

#[get("/o/applications/register")]
fn register_page(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
) -> PageResult {
    logged_in(user, uri)?;
    let csrf = csrf_token(state, cookies)?;
    let form = ApplicationForm::for_registration();
    let body = form.html("/o/applications/register/", &csrf, &[], true);
    Ok(form_page("Register an application", body, Status::Ok))
}

#[post("/o/applications/register", data = "<form>")]
async fn register(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
    form: Result<PageForm, Status>,
) -> PageResult {
    let user = logged_in(user, uri)?;
    let submitted = form?.0;
    let form = ApplicationForm::read(&submitted);
    let refuse = |errors: &[String]| -> PageResult {
        let csrf = csrf_token(state, cookies)?;
        let body = form.html("/o/applications/register/", &csrf, errors, true);
        Ok(form_page(
            "Register an application",
            body,
            Status::BadRequest,
        ))
    };
    let changes = match form.changes(state.redirect_policy) {
        Ok(changes) => changes,
        Err(errors) => return refuse(&errors),
    };
    let registration = ApplicationRegistration {
        client_id: None,
        client_secret: None,
        name: changes.name,
        client_type: form.client_type.unwrap_or(ClientType::Confidential),
        grant_types: changes.grant_types,
        redirect_uris: changes.redirect_uris,
        post_logout_redirect_uris: changes.post_logout_redirect_uris,
        allowed_origins: changes.allowed_origins,
        allowed_resources: Default::default(),
        owner: Some(user.id),
        skip_authorization: false,
        pkce_required: changes.pkce_required,
        algorithm: changes.algorithm,
        security: changes.security.unwrap_or_default(),
    };
    let now = OffsetDateTime::now_utc();
    match state
        .engine_as(&user)
        .register_application(registration, now)
        .await
    {
        Ok((application, secret)) => {
            state.application_changed(&application.client_id);
            Ok(form_page(
                "Application registered",
                details(&application, secret.as_ref()),
                Status::Created,
            ))
        }
        Err(GrantsError::Store(error)) => Err(unavailable(error)),
        Err(GrantsError::Generator(error)) => Err(unavailable(error)),
        Err(rule) => refuse(&[rule.to_string()]),
    }
}

#[get("/o/applications/<id>")]
async fn detail(
    state: &State<AppState>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
    id: i64,
) -> PageResult {
    let user = logged_in(user, uri)?;
    let application = own(state, &user, id).await?;
    Ok(form_page(
        &application.name,
        details(&application, None),
        Status::Ok,
    ))
}

#[get("/o/applications/<id>/update")]
async fn update_page(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
    id: i64,
) -> PageResult {
    let user = logged_in(user, uri)?;
    let application = own(state, &user, id).await?;
    let csrf = csrf_token(state, cookies)?;
    let action = format!("/o/applications/{id}/update/");
    let body = ApplicationForm::of(&application).html(&action, &csrf, &[], false);
    Ok(form_page(
        &format!("Edit {}", application.name),
        body,
        Status::Ok,
    ))
}

#[post("/o/applications/<id>/update", data = "<form>")]
async fn update(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
    id: i64,
    form: Result<PageForm, Status>,
) -> PageResult {
    let user = logged_in(user, uri)?;
    let submitted = form?.0;
    let application = own(state, &user, id).await?;
    let form = ApplicationForm::read(&submitted);
    let title = format!("Edit {}", application.name);
    let refuse = |errors: &[String]| -> PageResult {
        let csrf = csrf_token(state, cookies)?;
        let action = format!("/o/applications/{id}/update/");
        Ok(form_page(
            &title,
            form.html(&action, &csrf, errors, false),
            Status::BadRequest,
        ))
    };
    let changes = match form.changes(state.redirect_policy) {
        Ok(changes) => changes,
        Err(errors) => return refuse(&errors),
    };
    let client_id = application.client_id.clone();
    let now = OffsetDateTime::now_utc();
    match state
        .engine_as(&user)
        .update_application(application, changes, now)
        .await
    {
        Ok(_) => {
            state.application_changed(&client_id);
            Ok(PageOrRedirect::Redirect(SeeOther(format!(
                "/o/applications/{id}/"
            ))))
        }
        Err(GrantsError::Store(error)) => Err(unavailable(error)),
        Err(rule) => refuse(&[rule.to_string()]),
    }
}

#[get("/o/applications/<id>/delete")]
async fn delete_page(
    state: &State<AppState>,
    cookies: &CookieJar<'_>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
    id: i64,
) -> PageResult {
    let user = logged_in(user, uri)?;
    let application = own(state, &user, id).await?;
    let csrf = csrf_token(state, cookies)?;
    let body = format!(
        r#"<p>Delete <strong>{name}</strong>? Its tokens stop working at once and users must authorize it again.</p>
<form method="post" action="/o/applications/{id}/delete/">{csrf}<button type="submit">Delete</button> <a href="/o/applications/{id}/">Cancel</a></form>"#,
        name = escape(&application.name),
        csrf = hidden("csrf_token", &csrf),
    );
    Ok(form_page("Delete application", body, Status::Ok))
}

#[post("/o/applications/<id>/delete", data = "<form>")]
async fn delete(
    state: &State<AppState>,
    user: CurrentUser,
    uri: &RequestUri<'_>,
    id: i64,
    form: Result<PageForm, Status>,
) -> PageResult {
    let user = logged_in(user, uri)?;
    form?;
    let application = own(state, &user, id).await?;
    state
        .engine_as(&user)
        .delete_application(&application.client_id)
        .await
        .map_err(unavailable)?;
    state.application_changed(&application.client_id);
    Ok(PageOrRedirect::Redirect(SeeOther(
        "/o/applications/".to_owned(),
    )))
}
