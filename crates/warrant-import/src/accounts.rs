//! Django REST framework's `authtoken_token` → users' API tokens (the same key still
//! authenticates as `Token` and is what client apps hold), and django-oauth-login's
//! `oauthlogin_oauthconnection` → upstream connections; both hashed or sealed as Warrant
//! keeps them.

use warrant_generators::hash_token;
use warrant_model::{ApiToken, ProviderKey, Secret, UpstreamAccount, UserId, sealing_purpose};
use warrant_storage::{ImportTransaction, ImportedConnection};

use crate::source::Source;
use crate::{ImportError, Options, PAGE, Tally, required_time, time_of};

pub(crate) const API_TOKEN_TABLE: &str = "authtoken_token";
pub(crate) const API_TOKEN_COLUMNS: &[&str] = &["key", "created", "user_id"];
pub(crate) const CONNECTION_TABLE: &str = "oauthlogin_oauthconnection";
pub(crate) const CONNECTION_COLUMNS: &[&str] = &[
    "id",
    "user_id",
    "provider_key",
    "provider_user_id",
    "access_token",
    "refresh_token",
    "access_token_expires_at",
    "created_at",
    "updated_at",
];

#[derive(sqlx::FromRow)]
struct ApiTokenRow {
    key: String,
    user_id: i64,
    created: Option<i64>,
}

pub(crate) async fn import_api_tokens(
    source: &mut Source,
    tx: &mut ImportTransaction,
    options: &Options<'_>,
    tally: &mut Tally,
) -> Result<(), ImportError> {
    let sql = format!(
        "SELECT key, CAST(user_id AS BIGINT) AS user_id, {} AS created FROM {API_TOKEN_TABLE}
         WHERE user_id > $1 ORDER BY user_id LIMIT $2",
        source.dialect().epoch("created"),
    );
    let mut after = 0;
    loop {
        let rows: Vec<ApiTokenRow> = source.rows(&sql, &[after, PAGE]).await?;
        let Some(last) = rows.last() else { break };
        after = last.user_id;
        for row in rows {
            let name = format!("API token of user {}", row.user_id);
            let key = Secret::new(row.key);
            let token = ApiToken {
                user_id: UserId(row.user_id),
                token_hash: hash_token(key.expose()),
                sealed_token: options
                    .sealing
                    .seal_str(sealing_purpose::API_TOKEN, &key)
                    .map_err(ImportError::Seal)?,
                created_at: match required_time(row.created, "created") {
                    Ok(created) => created,
                    Err(reason) => {
                        tally.refuse(name, reason);
                        continue;
                    }
                },
            };
            let outcome = tx.api_token(&token).await?;
            tally.record(name, outcome);
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ConnectionRow {
    id: i64,
    user_id: i64,
    provider_key: String,
    provider_user_id: String,
    access_token: String,
    refresh_token: String,
    access_token_expires_at: Option<i64>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
}

pub(crate) async fn import_connections(
    source: &mut Source,
    tx: &mut ImportTransaction,
    options: &Options<'_>,
    tally: &mut Tally,
) -> Result<(), ImportError> {
    let epoch = |column| source.dialect().epoch(column);
    let sql = format!(
        "SELECT CAST(id AS BIGINT) AS id, CAST(user_id AS BIGINT) AS user_id, provider_key,
         provider_user_id, access_token, refresh_token, {} AS access_token_expires_at,
         {} AS created_at, {} AS updated_at FROM {CONNECTION_TABLE}
         WHERE id > $1 ORDER BY id LIMIT $2",
        epoch("access_token_expires_at"),
        epoch("created_at"),
        epoch("updated_at"),
    );
    let mut unconfigured: Vec<String> = Vec::new();
    let mut after = 0;
    loop {
        let rows: Vec<ConnectionRow> = source.rows(&sql, &[after, PAGE]).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in rows {
            let name = format!(
                "connection {} ({} of user {})",
                row.id, row.provider_key, row.user_id
            );
            let connection = match connection(row, options) {
                Ok(connection) => connection,
                Err(reason) => {
                    tally.refuse(name, reason);
                    continue;
                }
            };
            let provider = &connection.account.provider;
            if !options.providers.contains(provider)
                && !unconfigured.contains(&provider.to_string())
            {
                unconfigured.push(provider.to_string());
            }
            let outcome = tx.connection(&connection).await?;
            tally.record(name, outcome);
        }
    }
    for provider in unconfigured {
        tally.adjust(
            format!("connections to {provider}"),
            format!(
                "no [upstream.{provider}] is configured: these users cannot log in through \
                 {provider} until one is"
            ),
        );
    }
    Ok(())
}

fn connection(row: ConnectionRow, options: &Options<'_>) -> Result<ImportedConnection, String> {
    let seal = |purpose, value: String| {
        options
            .sealing
            .seal_str(purpose, &Secret::new(value))
            .map_err(|e| e.to_string())
    };
    let refresh_token = match row.refresh_token.as_str() {
        "" => None,
        _ => Some(seal(
            sealing_purpose::UPSTREAM_REFRESH_TOKEN,
            row.refresh_token,
        )?),
    };
    Ok(ImportedConnection {
        user_id: UserId(row.user_id),
        account: UpstreamAccount {
            provider: ProviderKey::parse(&row.provider_key).map_err(|e| e.to_string())?,
            provider_user_id: row.provider_user_id,
            access_token: seal(sealing_purpose::UPSTREAM_ACCESS_TOKEN, row.access_token)?,
            refresh_token,
            access_token_expires_at: row.access_token_expires_at.map(time_of).transpose()?,
            extra_data: "{}".to_owned(),
            created_at: required_time(row.created_at, "created_at")?,
        },
        updated_at: required_time(row.updated_at, "updated_at")?,
    })
}
