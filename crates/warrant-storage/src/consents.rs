//! Standing consents (`approval_prompt=auto`): Django OAuth Toolkit's remembered approvals.

use async_trait::async_trait;
use warrant_model::{ApplicationId, Consent, UserId};

use crate::Result;
use crate::db::{Backed, execute, fetch_one, fetch_optional};
use crate::rows::ConsentRow;
use crate::time_utc::stored_time;

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

#[async_trait]
impl<S: Backed> ConsentStore for S {
    async fn save_consent(&self, consent: &Consent) -> Result<Consent> {
        let sql = "INSERT INTO consents (user_id, application_id, scope, granted_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, application_id)
             DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at
             RETURNING user_id, application_id, scope, granted_at";
        fetch_one!(
            self,
            writer,
            ConsentRow,
            sql,
            consent.user_id.0,
            consent.application_id.0,
            consent.scope.to_string(),
            stored_time(consent.granted_at)
        )
    }

    async fn consent(&self, user: UserId, application: ApplicationId) -> Result<Option<Consent>> {
        let sql = "SELECT user_id, application_id, scope, granted_at FROM consents
             WHERE user_id = $1 AND application_id = $2";
        fetch_optional!(self, reader, ConsentRow, sql, user.0, application.0)
    }

    async fn delete_consent(&self, user: UserId, application: ApplicationId) -> Result<bool> {
        let sql = "DELETE FROM consents WHERE user_id = $1 AND application_id = $2";
        let changed = execute!(self, sql, user.0, application.0)?;
        Ok(changed == 1)
    }
}
