//! `oauth2_provider_application` → applications under their own client ids, with their
//! secrets as DOT kept them: a plain secret as Warrant keeps secrets, a hashed one as that
//! hash (checked with Django's hasher at its first use, then kept Warrant's way).

use warrant_generators::hash_token;
use warrant_model::{
    ClientId, ClientSecretHash, ClientType, GrantType, GrantTypes, NewApplication, Origin,
    PasswordHash, RedirectUri, SigningAlgorithm, UserId,
};
use warrant_storage::{ImportTransaction, ImportedApplication};

use crate::source::Source;
use crate::{ImportError, Options, PAGE, Tally, required_time};

pub(crate) const TABLE: &str = "oauth2_provider_application";
pub(crate) const COLUMNS: &[&str] = &[
    "id",
    "client_id",
    "user_id",
    "redirect_uris",
    "client_type",
    "authorization_grant_type",
    "client_secret",
    "name",
    "skip_authorization",
    "created",
    "updated",
    "algorithm",
];

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    client_id: String,
    user_id: Option<i64>,
    redirect_uris: String,
    post_logout_redirect_uris: Option<String>,
    allowed_origins: Option<String>,
    client_type: String,
    authorization_grant_type: String,
    client_secret: String,
    /// DOT before 2.0 kept every secret in clear.
    hash_client_secret: Option<bool>,
    name: String,
    skip_authorization: bool,
    algorithm: String,
    created: Option<i64>,
    updated: Option<i64>,
}

/// What the applications told about the site as a whole.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Some application signs ID tokens: the site had OpenID Connect on.
    pub(crate) oidc: bool,
}

pub(crate) async fn import(
    source: &mut Source,
    tx: &mut ImportTransaction,
    options: &Options<'_>,
    tally: &mut Tally,
) -> Result<Seen, ImportError> {
    let sql = format!(
        "SELECT CAST(id AS BIGINT) AS id, client_id, CAST(user_id AS BIGINT) AS user_id,
         redirect_uris, {} AS post_logout_redirect_uris, {} AS allowed_origins, client_type,
         authorization_grant_type, client_secret, {} AS hash_client_secret, name,
         skip_authorization, algorithm, {} AS created, {} AS updated
         FROM {TABLE} a WHERE id > $1 ORDER BY id LIMIT $2",
        source.optional(TABLE, "a", "post_logout_redirect_uris"),
        source.optional(TABLE, "a", "allowed_origins"),
        source.optional(TABLE, "a", "hash_client_secret"),
        source.dialect().epoch("created"),
        source.dialect().epoch("updated"),
    );
    let mut seen = Seen::default();
    let mut after = 0;
    loop {
        let rows: Vec<Row> = source.rows(&sql, &[after, PAGE]).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in rows {
            let name = format!("application {} ({})", row.id, row.client_id);
            seen.oidc |= !row.algorithm.is_empty();
            match application(row, options, tally, &name) {
                Ok(application) => {
                    let outcome = tx.application(&application).await?;
                    tally.record(name, outcome);
                }
                Err(reason) => tally.refuse(name, reason),
            }
        }
    }
    Ok(seen)
}

fn application(
    row: Row,
    options: &Options<'_>,
    tally: &mut Tally,
    name: &str,
) -> Result<ImportedApplication, String> {
    let client_type = ClientType::parse(&row.client_type).map_err(|e| e.to_string())?;
    let grant_types = grant_types(&row.authorization_grant_type, tally, name)?;
    let redirect_uris = words(&row.redirect_uris)
        .map(|uri| RedirectUri::parse(uri, options.redirect_policy))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let post_logout_redirect_uris = words(row.post_logout_redirect_uris.as_deref().unwrap_or(""))
        .map(|uri| RedirectUri::parse(uri, options.redirect_policy))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let allowed_origins = words(row.allowed_origins.as_deref().unwrap_or(""))
        .map(Origin::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let algorithm = match row.algorithm.as_str() {
        "" => None,
        "HS256" => {
            tally.adjust(
                name.to_owned(),
                "it signed ID tokens with HS256 (its client secret), which Warrant does not: \
                 its ID tokens are signed with the server's key (RS256) from now on"
                    .into(),
            );
            Some(SigningAlgorithm::RS256)
        }
        other => Some(SigningAlgorithm::parse(other).map_err(|e| e.to_string())?),
    };
    let client_secret = match client_type {
        // DOT gives public clients a secret too; they never use it.
        ClientType::Public => None,
        ClientType::Confidential => Some(secret(&row, options)?),
    };
    Ok(ImportedApplication {
        application: NewApplication {
            client_id: ClientId::parse(&row.client_id).map_err(|e| e.to_string())?,
            client_secret,
            client_type,
            grant_types,
            redirect_uris,
            post_logout_redirect_uris,
            allowed_origins,
            allowed_resources: Default::default(),
            name: row.name,
            owner: row.user_id.map(UserId),
            skip_authorization: row.skip_authorization,
            // Warrant's rule for new applications: public clients must use PKCE.
            pkce_required: client_type == ClientType::Public,
            algorithm,
            security: Default::default(),
            sealed_secret: None,
        },
        created_at: required_time(row.created, "created")?,
        updated_at: required_time(row.updated, "updated")?,
    })
}

/// DOT's one grant type, with the refresh tokens DOT issues along with it.
fn grant_types(dot: &str, tally: &mut Tally, name: &str) -> Result<GrantTypes, String> {
    let granted = match dot {
        "authorization-code" => vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        "openid-hybrid" => {
            tally.adjust(
                name.to_owned(),
                "openid-hybrid: Warrant answers its `code id_token` (with the authorization \
                 code grant); `code token` and `code id_token token`, tokens in the front \
                 channel, are not offered"
                    .into(),
            );
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        }
        "password" => vec![GrantType::Password, GrantType::RefreshToken],
        "urn:ietf:params:oauth:grant-type:device_code" => {
            vec![GrantType::DeviceCode, GrantType::RefreshToken]
        }
        other => vec![GrantType::parse(other).map_err(|e| e.to_string())?],
    };
    GrantTypes::new(granted).map_err(|e| e.to_string())
}

/// A confidential client's secret as DOT kept it.
fn secret(row: &Row, options: &Options<'_>) -> Result<ClientSecretHash, String> {
    if row.client_secret.is_empty() {
        return Err("a confidential client without a secret".into());
    }
    // DOT before 2.0 had no hash_client_secret and kept secrets in clear.
    if !row.hash_client_secret.unwrap_or(false) {
        return Ok(ClientSecretHash::Sha256(hash_token(&row.client_secret)));
    }
    match PasswordHash::parse(&row.client_secret) {
        Ok(hash) if options.hasher.recognizes(&hash) => Ok(ClientSecretHash::Django(hash)),
        _ => Err(format!(
            "its secret is hashed with {}, which Warrant does not verify",
            row.client_secret.split('$').next().unwrap_or_default()
        )),
    }
}

fn words(list: &str) -> impl Iterator<Item = &str> {
    list.split_whitespace()
}
