//! Applications, API tokens and upstream connections: few enough per site to write one
//! at a time.

use time::OffsetDateTime;
use warrant_model::{ApiToken, ClientSecretHash, Origin, RedirectUri, Sealed, SigningAlgorithm};

use super::{ImportTransaction, ImportedApplication, ImportedConnection, Outcome, Tx};
use crate::Result;
use crate::applications::join;
use crate::deadline::Within;
use crate::time_utc::{stored_opt, stored_time};
use crate::upstream::{INSERT_CONNECTION, bind_account};

impl ImportTransaction {
    /// Writes an application under its own client id, owned by `owner` if that user is
    /// here. One already here is updated unless it changed here after the other site last
    /// changed it.
    pub async fn application(&mut self, imported: &ImportedApplication) -> Result<Outcome> {
        let app = &imported.application;
        let held: Option<(OffsetDateTime,)> = on_tx!(self, |conn| sqlx::query_as(
            "SELECT updated_at FROM applications WHERE client_id = $1"
        )
        .bind(app.client_id.as_str())
        .fetch_optional(conn))?;
        let updated_at = stored_time(imported.updated_at);
        let exists = match held {
            Some((held_updated_at,)) if held_updated_at >= updated_at => {
                return Ok(Outcome::Unchanged);
            }
            held => held.is_some(),
        };
        let sql = if exists {
            "UPDATE applications SET client_secret_hash = $2, client_type = $3, grant_types = $4,
             redirect_uris = $5, post_logout_redirect_uris = $6, allowed_origins = $7, name = $8,
             owner_id = (SELECT id FROM users WHERE id = $9), skip_authorization = $10,
             pkce_required = $11, algorithm = $12, created_at = $13, updated_at = $14
             WHERE client_id = $1"
        } else {
            "INSERT INTO applications (client_id, client_secret_hash, client_type, grant_types,
             redirect_uris, post_logout_redirect_uris, allowed_origins, name, owner_id,
             skip_authorization, pkce_required, algorithm, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT id FROM users WHERE id = $9), $10,
             $11, $12, $13, $14)"
        };
        tx_execute!(
            self,
            sql,
            app.client_id.as_str(),
            app.client_secret.as_ref().map(ClientSecretHash::to_stored),
            app.client_type.as_str(),
            app.grant_types.to_string(),
            join(app.redirect_uris.iter().map(RedirectUri::as_str)),
            join(
                app.post_logout_redirect_uris
                    .iter()
                    .map(RedirectUri::as_str)
            ),
            join(app.allowed_origins.iter().map(Origin::as_str)),
            &app.name,
            app.owner.map(|owner| owner.0),
            app.skip_authorization,
            app.pkce_required,
            app.algorithm.map(SigningAlgorithm::as_str),
            stored_time(imported.created_at),
            updated_at,
        )?;
        Ok(if exists {
            Outcome::Updated
        } else {
            Outcome::Imported
        })
    }

    /// Writes a user's API token if the user is here. A user's token here that is newer
    /// than the imported one (replaced here since) is kept.
    pub async fn api_token(&mut self, token: &ApiToken) -> Result<Outcome> {
        let held: Option<(String, OffsetDateTime)> = on_tx!(self, |conn| sqlx::query_as(
            "SELECT token_hash, created_at FROM api_tokens WHERE user_id = $1"
        )
        .bind(token.user_id.0)
        .fetch_optional(conn))?;
        let created_at = stored_time(token.created_at);
        match held {
            Some((hash, _)) if hash == token.token_hash.to_hex() => Ok(Outcome::Unchanged),
            Some((_, held_created_at)) if held_created_at >= created_at => Ok(Outcome::Unchanged),
            held => {
                let sql = "INSERT INTO api_tokens (user_id, token_hash, sealed_token, created_at)
                     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)
                     ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash,
                     sealed_token = excluded.sealed_token, created_at = excluded.created_at";
                let written = tx_execute!(
                    self,
                    sql,
                    token.user_id.0,
                    token.token_hash.to_hex(),
                    token.sealed_token.as_bytes(),
                    created_at,
                )?;
                Ok(match (written, held) {
                    (0, _) => Outcome::Refused(format!(
                        "its user (id {}) was not imported",
                        token.user_id.0
                    )),
                    (_, Some(_)) => Outcome::Updated,
                    (_, None) => Outcome::Imported,
                })
            }
        }
    }

    /// Writes a user's connection to an upstream provider if the user is here. One already
    /// here (the same provider and user there) gets the imported tokens if the other site
    /// changed it after it was last changed here.
    pub async fn connection(&mut self, imported: &ImportedConnection) -> Result<Outcome> {
        let account = &imported.account;
        let held: Option<(i64, OffsetDateTime)> = on_tx!(self, |conn| sqlx::query_as(
            "SELECT user_id, updated_at FROM upstream_connections
             WHERE provider = $1 AND provider_user_id = $2"
        )
        .bind(account.provider.as_str())
        .bind(&account.provider_user_id)
        .fetch_optional(conn))?;
        let updated_at = stored_time(imported.updated_at);
        match held {
            Some((user, _)) if user != imported.user_id.0 => Ok(Outcome::Refused(format!(
                "{} account {} is connected to another user here (id {user})",
                account.provider.as_str(),
                account.provider_user_id
            ))),
            Some((_, held_updated_at)) if held_updated_at >= updated_at => Ok(Outcome::Unchanged),
            Some(_) => {
                let sql = "UPDATE upstream_connections SET access_token = $1, refresh_token = $2,
                     access_token_expires_at = $3, updated_at = $4
                     WHERE provider = $5 AND provider_user_id = $6";
                tx_execute!(
                    self,
                    sql,
                    account.access_token.as_bytes(),
                    account.refresh_token.as_ref().map(Sealed::as_bytes),
                    stored_opt(account.access_token_expires_at),
                    updated_at,
                    account.provider.as_str(),
                    &account.provider_user_id,
                )?;
                Ok(Outcome::Updated)
            }
            None => {
                let user_here: Option<(i64,)> = on_tx!(self, |conn| sqlx::query_as(
                    "SELECT id FROM users WHERE id = $1"
                )
                .bind(imported.user_id.0)
                .fetch_optional(conn))?;
                if user_here.is_none() {
                    return Ok(Outcome::Refused(format!(
                        "its user (id {}) was not imported",
                        imported.user_id.0
                    )));
                }
                on_tx!(self, |conn| async {
                    let insert = sqlx::query(INSERT_CONNECTION).bind(imported.user_id.0);
                    bind_account!(insert, account).execute(conn).await.map(drop)
                })?;
                tx_execute!(
                    self,
                    "UPDATE upstream_connections SET updated_at = $1
                     WHERE provider = $2 AND provider_user_id = $3",
                    updated_at,
                    account.provider.as_str(),
                    &account.provider_user_id,
                )?;
                Ok(Outcome::Imported)
            }
        }
    }
}
