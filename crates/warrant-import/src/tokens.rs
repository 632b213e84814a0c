//! `oauth2_provider_accesstoken` and `…_refreshtoken` → tokens that keep working: kept by
//! the SHA-256 of their value (which DOT's `token_checksum` already is), never the value.
//! Expired and revoked ones are skipped unless asked for, and then kept as they were. DOT's
//! `revoked` becomes `revoked_at`, not `rotated_at`: a replay of an imported revoked
//! refresh token is refused, but does not revoke its family.

use warrant_generators::hash_token;
use warrant_model::{ClientId, FamilyId, ResourceUri, Resources, ScopeSet, TokenHash, UserId};
use warrant_storage::{ImportTransaction, ImportedToken};

use crate::source::Source;
use crate::{ImportError, Options, PAGE, Tally, required_time, time_of};

pub(crate) const ACCESS_TABLE: &str = "oauth2_provider_accesstoken";
pub(crate) const ACCESS_COLUMNS: &[&str] = &[
    "id",
    "token",
    "expires",
    "scope",
    "application_id",
    "user_id",
    "created",
    "source_refresh_token_id",
];
pub(crate) const REFRESH_TABLE: &str = "oauth2_provider_refreshtoken";
pub(crate) const REFRESH_COLUMNS: &[&str] = &[
    "id",
    "token",
    "access_token_id",
    "application_id",
    "user_id",
    "created",
    "revoked",
];

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    token: String,
    checksum: Option<String>,
    client_id: Option<String>,
    user_id: Option<i64>,
    scope: String,
    created: Option<i64>,
    expires: Option<i64>,
    revoked: Option<i64>,
    family: Option<String>,
    /// DOT 3.4's `resource` (RFC 8707): a JSON list of URIs, or absent.
    resource: Option<String>,
    /// The refresh token's id, for the family of one that has none.
    refresh_id: Option<i64>,
    /// A refresh token's access token: its value and checksum.
    access_token: Option<String>,
    access_checksum: Option<String>,
}

/// Which of the two tables.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Access,
    Refresh,
}

pub(crate) async fn import(
    kind: Kind,
    source: &mut Source,
    tx: &mut ImportTransaction,
    options: &Options<'_>,
    tally: &mut Tally,
) -> Result<(), ImportError> {
    let epoch = |column| source.dialect().epoch(column);
    let access_checksum = |alias| source.optional(ACCESS_TABLE, alias, "token_checksum");
    let family = |alias| source.optional(REFRESH_TABLE, alias, "token_family");
    let resource = |table| source.optional(table, "t", "resource");
    let sql = match kind {
        Kind::Access => format!(
            "SELECT CAST(t.id AS BIGINT) AS id, t.token, {} AS checksum,
             a.client_id, CAST(t.user_id AS BIGINT) AS user_id, t.scope, {} AS created,
             {} AS expires, NULL AS revoked, CAST({} AS TEXT) AS family,
             CAST({} AS TEXT) AS resource, CAST(r.id AS BIGINT) AS refresh_id, NULL AS access_token, NULL AS access_checksum
             FROM {ACCESS_TABLE} t
             LEFT JOIN oauth2_provider_application a ON a.id = t.application_id
             LEFT JOIN {REFRESH_TABLE} r ON r.access_token_id = t.id
             WHERE t.id > $1 ORDER BY t.id LIMIT $2",
            access_checksum("t"),
            epoch("t.created"),
            epoch("t.expires"),
            family("r"),
            resource(ACCESS_TABLE),
        ),
        Kind::Refresh => format!(
            "SELECT CAST(t.id AS BIGINT) AS id, t.token, {} AS checksum,
             a.client_id, CAST(t.user_id AS BIGINT) AS user_id,
             COALESCE(at.scope, later.scope, '') AS scope, {} AS created,
             NULL AS expires, {} AS revoked, CAST({} AS TEXT) AS family,
             CAST({} AS TEXT) AS resource, CAST(t.id AS BIGINT) AS refresh_id, at.token AS access_token,
             {} AS access_checksum
             FROM {REFRESH_TABLE} t
             LEFT JOIN oauth2_provider_application a ON a.id = t.application_id
             LEFT JOIN {ACCESS_TABLE} at ON at.id = t.access_token_id
             LEFT JOIN {ACCESS_TABLE} later ON later.source_refresh_token_id = t.id
             WHERE t.id > $1 ORDER BY t.id LIMIT $2",
            source.optional(REFRESH_TABLE, "t", "token_checksum"),
            epoch("t.created"),
            epoch("t.revoked"),
            family("t"),
            resource(REFRESH_TABLE),
            access_checksum("at"),
        ),
    };
    let noun = match kind {
        Kind::Access => "access token",
        Kind::Refresh => "refresh token",
    };
    let mut after = 0;
    loop {
        let rows: Vec<Row> = source.rows(&sql, &[after, PAGE]).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let mut batch = Vec::with_capacity(rows.len());
        let mut names = Vec::with_capacity(rows.len());
        for row in rows {
            let name = format!("{noun} {}", row.id);
            match token(kind, row, options) {
                Ok(Some(token)) => {
                    batch.push(token);
                    names.push(name);
                }
                Ok(None) => tally.skipped += 1,
                Err(reason) => tally.refuse(name, reason),
            }
        }
        let outcomes = match kind {
            Kind::Access => tx.access_tokens(&batch).await?,
            Kind::Refresh => tx.refresh_tokens(&batch).await?,
        };
        tally.record_all(names, outcomes);
    }
    Ok(())
}

/// The token to write, or `None` for one not live and not asked for.
fn token(kind: Kind, row: Row, options: &Options<'_>) -> Result<Option<ImportedToken>, String> {
    let expires_at = row.expires.map(time_of).transpose()?;
    let revoked_at = row.revoked.map(time_of).transpose()?;
    if kind == Kind::Access && expires_at.is_none() {
        return Err("it has no expiry".into());
    }
    let live = expires_at.is_none_or(|expires| expires > options.now) && revoked_at.is_none();
    if !live && !options.keep_inactive {
        return Ok(None);
    }
    let token_hash = value_hash(&row.token, row.checksum.as_deref())
        .ok_or("it has neither a value nor a checksum")?;
    let client_id = row.client_id.ok_or("it has no application")?;
    // DOT's refresh tokens keep no scope: theirs is their access token's (or, once that is
    // gone, the one they were exchanged for), as DOT's get_original_scopes reads it.
    let scope = ScopeSet::parse(&row.scope).map_err(|e| e.to_string())?;
    Ok(Some(ImportedToken {
        token_hash,
        client_id: ClientId::parse(&client_id).map_err(|e| e.to_string())?,
        user_id: row.user_id.map(UserId),
        scope,
        family: family(row.family.as_deref(), row.refresh_id, row.id),
        created_at: required_time(row.created, "created")?,
        expires_at,
        revoked_at,
        resources: resources(row.resource.as_deref())?,
        access_token_hash: row
            .access_token
            .as_deref()
            .and_then(|value| value_hash(value, row.access_checksum.as_deref())),
    }))
}

/// DOT's `resource`, a JSON list of resource URIs (absent, `null` or `[]`: none), as
/// Warrant keeps them: a token restricted to resources there stays restricted here.
fn resources(json: Option<&str>) -> Result<Resources, String> {
    let uris: Vec<String> = match json {
        None | Some("" | "null") => return Ok(Resources::default()),
        Some(text) => serde_json::from_str(text)
            .map_err(|_| format!("resource {text:?} is not a JSON list of URIs"))?,
    };
    uris.iter()
        .map(|uri| ResourceUri::parse(uri).map_err(|e| format!("resource: {e}")))
        .collect()
}

/// The SHA-256 of a token: of its value if DOT kept it, else DOT's checksum (the same
/// digest, which is all DOT keeps when `COMPLIANT_BCP_RFC9700_TOKEN_STORAGE` is on).
fn value_hash(value: &str, checksum: Option<&str>) -> Option<TokenHash> {
    if !value.is_empty() {
        return Some(hash_token(value));
    }
    checksum.and_then(|checksum| TokenHash::from_hex(checksum).ok())
}

/// The refresh chain: DOT's `token_family` (a UUID), else one per refresh token, else one
/// per access token.
fn family(token_family: Option<&str>, refresh_id: Option<i64>, access_id: i64) -> FamilyId {
    FamilyId::new(match (token_family, refresh_id) {
        (Some(uuid), _) => uuid.replace('-', ""),
        (None, Some(refresh)) => format!("dot-refresh-{refresh}"),
        (None, None) => format!("dot-access-{access_id}"),
    })
}
