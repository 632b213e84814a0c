//! `[upstream.<key>]` tables: what an operator writes, parsed into [`Provider`]s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use url::Url;
use warrant_model::{ProviderKey, Secret};

use crate::UpstreamError;
use crate::provider::{Endpoints, FieldMap, Kind, Provider, UserApi};

/// One provider as configured. Which keys apply depends on `preset`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// `oidc`, `github`, `gitlab`, `bitbucket` or `oauth2`.
    pub preset: String,
    /// The label of the button ("Log in with …"); defaults to the preset's name.
    pub name: Option<String>,
    /// This server's client id at the provider.
    pub client_id: String,
    /// This server's client secret at the provider.
    pub client_secret: Secret<String>,
    /// The scopes to ask for; each preset has a default.
    pub scope: Option<String>,
    /// `oidc`: the issuer (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer: Option<String>,
    /// `oidc`: take the provider's `email` as verified even when its `email_verified` says
    /// otherwise or nothing (Keycloak's "Trust Email"), for issuers that check addresses
    /// without saying so. Default `false`.
    pub trust_email: Option<bool>,
    /// `github`, `gitlab`: a self-hosted instance's base URL.
    pub base_url: Option<String>,
    /// `oauth2`: the authorization endpoint.
    pub authorize_url: Option<String>,
    /// `oauth2`: the token endpoint.
    pub token_url: Option<String>,
    /// `oauth2`: where the user's JSON record is read with the access token.
    pub userinfo_url: Option<String>,
    /// `oauth2`: which fields of that record hold the id, username and email (dotted paths
    /// for nested fields).
    pub fields: Option<FieldMapConfig>,
}

/// `fields` of an `oauth2` provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMapConfig {
    /// The user's stable id (default `id`).
    #[serde(default = "default_id_field")]
    pub id: String,
    /// The user's name (default `username`).
    #[serde(default = "default_username_field")]
    pub username: String,
    /// The user's email (default `email`); without `email_verified` it must be one the
    /// provider has verified.
    #[serde(default = "default_email_field")]
    pub email: String,
    /// A boolean field saying whether the provider verified the email (such as
    /// `email_verified`); when set, the email is used only when it is `true`.
    pub email_verified: Option<String>,
}

fn default_id_field() -> String {
    "id".into()
}

fn default_username_field() -> String {
    "username".into()
}

fn default_email_field() -> String {
    "email".into()
}

/// Every configured provider, parsed; errors name the key (`upstream.<key>.<field>`).
pub fn providers(
    configs: &BTreeMap<String, ProviderConfig>,
) -> Result<Vec<Provider>, UpstreamError> {
    configs
        .iter()
        .map(|(key, config)| parse_provider(key, config))
        .collect()
}

fn parse_provider(key: &str, config: &ProviderConfig) -> Result<Provider, UpstreamError> {
    let invalid = |field: &str, reason: String| {
        UpstreamError::Config(format!("upstream.{key}.{field}: {reason}"))
    };
    let provider_key = ProviderKey::parse(key).map_err(|_| {
        UpstreamError::Config(format!(
            "upstream.{key}: a provider key is 1 to 64 lower-case letters, digits, - and _"
        ))
    })?;
    let url = |field: &str, value: Option<&String>| -> Result<Url, UpstreamError> {
        let value = value
            .ok_or_else(|| invalid(field, format!("required with preset {:?}", config.preset)))?;
        let parsed = Url::parse(value).map_err(|error| invalid(field, error.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(invalid(field, "must be an http(s) URL".into()));
        }
        // URLs appear in logs and errors: credentials belong in client_id/client_secret.
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid(field, "must not carry credentials".into()));
        }
        Ok(parsed)
    };
    let base = |default: &str| -> Result<Url, UpstreamError> {
        match &config.base_url {
            Some(_) => url("base_url", config.base_url.as_ref()),
            None => Url::parse(default).map_err(|error| invalid("base_url", error.to_string())),
        }
    };
    let join = |base: &Url, path: &str| -> Result<Url, UpstreamError> {
        let root = format!("{}/", base.as_str().trim_end_matches('/'));
        Url::parse(&root)
            .and_then(|root| root.join(path))
            .map_err(|error| invalid("base_url", error.to_string()))
    };
    let unused = |fields: &[(&str, bool)]| -> Result<(), UpstreamError> {
        match fields.iter().find(|(_, given)| *given) {
            Some((field, _)) => Err(invalid(
                field,
                format!("does not apply to preset {:?}", config.preset),
            )),
            None => Ok(()),
        }
    };
    let oauth2_only = [
        ("authorize_url", config.authorize_url.is_some()),
        ("token_url", config.token_url.is_some()),
        ("userinfo_url", config.userinfo_url.is_some()),
        ("fields", config.fields.is_some()),
    ];
    let oidc_only = [
        ("issuer", config.issuer.is_some()),
        ("trust_email", config.trust_email.is_some()),
    ];
    let (kind, default_name, default_scope) = match config.preset.as_str() {
        "oidc" => {
            unused(&oauth2_only)?;
            unused(&[("base_url", config.base_url.is_some())])?;
            let issuer = url("issuer", config.issuer.as_ref())?;
            let trust_email = config.trust_email.unwrap_or(false);
            (
                Kind::oidc(issuer, trust_email),
                "OpenID Connect",
                "openid email profile",
            )
        }
        "github" => {
            unused(&oauth2_only)?;
            unused(&oidc_only)?;
            let (web, api) = match &config.base_url {
                None => (base("https://github.com")?, base("https://api.github.com")?),
                // GitHub Enterprise Server: the API lives under /api/v3.
                Some(_) => {
                    let web = base("https://github.com")?;
                    let api = join(&web, "api/v3")?;
                    (web, api)
                }
            };
            let endpoints = Endpoints {
                authorize: join(&web, "login/oauth/authorize")?,
                token: join(&web, "login/oauth/access_token")?,
            };
            (
                Kind::OAuth2 {
                    endpoints,
                    user: UserApi::GitHub { api },
                },
                "GitHub",
                "read:user user:email",
            )
        }
        "gitlab" => {
            unused(&oauth2_only)?;
            unused(&oidc_only)?;
            let web = base("https://gitlab.com")?;
            let endpoints = Endpoints {
                authorize: join(&web, "oauth/authorize")?,
                token: join(&web, "oauth/token")?,
            };
            let api = join(&web, "api/v4")?;
            (
                Kind::OAuth2 {
                    endpoints,
                    user: UserApi::GitLab { api },
                },
                "GitLab",
                "read_user",
            )
        }
        "bitbucket" => {
            unused(&oauth2_only)?;
            unused(&oidc_only)?;
            unused(&[("base_url", config.base_url.is_some())])?;
            let endpoints = Endpoints {
                authorize: join(&base("https://bitbucket.org")?, "site/oauth2/authorize")?,
                token: join(&base("https://bitbucket.org")?, "site/oauth2/access_token")?,
            };
            let api = base("https://api.bitbucket.org/2.0")?;
            (
                Kind::OAuth2 {
                    endpoints,
                    user: UserApi::Bitbucket { api },
                },
                "Bitbucket",
                "account email",
            )
        }
        "oauth2" => {
            unused(&oidc_only)?;
            unused(&[("base_url", config.base_url.is_some())])?;
            let endpoints = Endpoints {
                authorize: url("authorize_url", config.authorize_url.as_ref())?,
                token: url("token_url", config.token_url.as_ref())?,
            };
            let fields = config.fields.clone().unwrap_or(FieldMapConfig {
                id: default_id_field(),
                username: default_username_field(),
                email: default_email_field(),
                email_verified: None,
            });
            let user = UserApi::Mapped {
                url: url("userinfo_url", config.userinfo_url.as_ref())?,
                fields: FieldMap {
                    id: fields.id,
                    username: fields.username,
                    email: fields.email,
                    email_verified: fields.email_verified,
                },
            };
            (Kind::OAuth2 { endpoints, user }, key, "")
        }
        other => {
            return Err(invalid(
                "preset",
                format!("{other:?}: expected oidc, github, gitlab, bitbucket or oauth2"),
            ));
        }
    };
    if config.client_id.is_empty() {
        return Err(invalid("client_id", "must not be empty".into()));
    }
    Ok(Provider {
        key: provider_key,
        name: config
            .name
            .clone()
            .unwrap_or_else(|| default_name.to_owned()),
        client_id: config.client_id.clone(),
        client_secret: config.client_secret.clone(),
        scope: config
            .scope
            .clone()
            .unwrap_or_else(|| default_scope.to_owned()),
        kind,
    })
}
