//! The user record client apps mirror: ocs-authentication's profile shape, sent to them by
//! client sync and answered by `/api/profile/`.

use serde_json::{Value, json};
use warrant_model::{ClientAppUrl, OutboxStatus, Secret, User};
use warrant_storage::{Store, StoreError};

/// The fields ocs-authentication reads (`get_profile`, `AddUpdateUserView`), named as it
/// names them, plus `is_active`, which it ignores and Warrant's client apps use to refuse a
/// deactivated user's API token.
pub fn user_record(user: &User, api_token: &Secret<String>) -> Value {
    json!({
        "username": user.username.as_str(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email.as_ref().map_or("", |email| email.as_str()),
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "is_active": user.is_active,
        "tokens": { "api_token": api_token.expose() },
        "profile": { "staff_view": false },
    })
}

/// Whether a change touched a field of [`user_record`] (the API token aside): the record
/// itself says which fields client apps mirror.
pub(crate) fn mirrored_fields_differ(before: &User, after: &User) -> bool {
    let no_token = Secret::new(String::new());
    user_record(before, &no_token) != user_record(after, &no_token)
}

/// Where one client app stands, and whether it is still configured (rows of a client app
/// removed from the configuration stay, unsent, until a retry or a new change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAppStatus {
    /// Counts and times from the outbox (zeros for a client app nothing was queued for).
    pub status: OutboxStatus,
    /// Whether `client_apps` names it.
    pub configured: bool,
}

/// Every configured client app, then every other target the outbox still holds.
pub async fn sync_status(
    store: &dyn Store,
    client_apps: &[ClientAppUrl],
) -> Result<Vec<ClientAppStatus>, StoreError> {
    let mut rows = store.outbox_status().await?;
    let mut statuses: Vec<ClientAppStatus> = client_apps
        .iter()
        .map(|app| {
            let status = match rows.iter().position(|row| row.target == app.as_str()) {
                Some(found) => rows.remove(found),
                None => OutboxStatus {
                    target: app.as_str().to_owned(),
                    ..OutboxStatus::default()
                },
            };
            ClientAppStatus {
                status,
                configured: true,
            }
        })
        .collect();
    statuses.extend(rows.into_iter().map(|status| ClientAppStatus {
        status,
        configured: false,
    }));
    Ok(statuses)
}
