//! Standing consents (`approval_prompt=auto`): Django OAuth Toolkit's remembered approvals.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{ApplicationId, Consent, ScopeSet, UserId};

use crate::db::{Backed, execute, on_reader, on_writer};
use crate::error::corrupt;
use crate::time_utc::stored_time;
use crate::{Result, StoreError};

/// Standing consents (`approval_prompt=auto`).
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Records or replaces the user's consent for the application.
    async fn save_consent(&self, consent: &Consent) -> Result<Consent>;
    /// The user's consent for the application.
    async fn consent(&self, user: UserId, application: ApplicationId) -> Result<Option<Consent>>;
    /// Withdraws the consent.
    async fn delete_consent(&self, user: UserId, application: ApplicationId) -> Result<bool>;
}

#[derive(sqlx::FromRow)]
struct ConsentRow {
    user_id: i64,
    application_id: i64,
    scope: String,
    granted_at: OffsetDateTime,
}

impl TryFrom<ConsentRow> for Consent {
    type Error = StoreError;
    fn try_from(row: ConsentRow) -> Result<Self> {
        Ok(Consent {
            user_id: UserId(row.user_id),
            application_id: ApplicationId(row.application_id),
            scope: ScopeSet::parse(&row.scope).map_err(corrupt)?,
            granted_at: row.granted_at,
        })
    }
}

#[async_trait]
impl<S: Backed> ConsentStore for S {
    async fn save_consent(&self, consent: &Consent) -> Result<Consent> {
        let sql = "INSERT INTO consents (user_id, application_id, scope, granted_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, application_id)
             DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at
             RETURNING user_id, application_id, scope, granted_at";
        let row: ConsentRow = on_writer!(self, |pool| sqlx::query_as(sql)
            .bind(consent.user_id.0)
            .bind(consent.application_id.0)
            .bind(consent.scope.to_string())
            .bind(stored_time(consent.granted_at))
            .fetch_one(pool))?;
        row.try_into()
    }

    async fn consent(&self, user: UserId, application: ApplicationId) -> Result<Option<Consent>> {
        let sql = "SELECT user_id, application_id, scope, granted_at FROM consents
             WHERE user_id = $1 AND application_id = $2";
        let row: Option<ConsentRow> = on_reader!(self, |pool| sqlx::query_as(sql)
            .bind(user.0)
            .bind(application.0)
            .fetch_optional(pool))?;
        row.map(Consent::try_from).transpose()
    }

    async fn delete_consent(&self, user: UserId, application: ApplicationId) -> Result<bool> {
        let sql = "DELETE FROM consents WHERE user_id = $1 AND application_id = $2";
        let changed = execute!(self, sqlx::query(sql).bind(user.0).bind(application.0))?;
        Ok(changed == 1)
    }
}
