//! Client metadata (RFC 7591 §2) as a client sends it, read into Warrant's terms under the
//! registration policy, and written back as registered.

use serde_json::{Map, Value, json};
use warrant_model::{
    ClientType, GrantType, GrantTypes, OAuthError, RedirectUri, RedirectUriPolicy, ScopeSet,
};

use super::RegistrationPolicy;

/// How a client authenticates at the token endpoint (RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

impl AuthMethod {
    fn parse(name: &str) -> Result<Self, OAuthError> {
        match name {
            "none" => Ok(Self::None),
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            other => Err(OAuthError::InvalidClientMetadata(format!(
                "token_endpoint_auth_method {other:?} is not supported: use none, \
                 client_secret_basic or client_secret_post"
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
        }
    }

    pub(super) fn client_type(self) -> ClientType {
        match self {
            Self::None => ClientType::Public,
            Self::ClientSecretBasic | Self::ClientSecretPost => ClientType::Confidential,
        }
    }
}

/// Descriptive metadata kept and given back as registered: strings, or lists of strings.
const DESCRIPTIVE: [&str; 8] = [
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "contacts",
    "software_id",
    "software_version",
    "jwks_uri",
];

/// Client metadata as a client sent it (RFC 7591 §2), read into Warrant's terms.
#[derive(Debug)]
pub(super) struct ClientMetadata {
    pub(super) redirect_uris: Vec<RedirectUri>,
    pub(super) post_logout_redirect_uris: Vec<RedirectUri>,
    pub(super) auth_method: AuthMethod,
    pub(super) grant_types: GrantTypes,
    pub(super) client_name: Option<String>,
    pub(super) scope: Option<ScopeSet>,
    pub(super) descriptive: Map<String, Value>,
}

impl ClientMetadata {
    /// Reads `document` under `policy`; anything malformed or not allowed is
    /// `invalid_redirect_uri` or `invalid_client_metadata`, naming the field.
    pub(super) fn read(document: &Value, policy: &RegistrationPolicy) -> Result<Self, OAuthError> {
        let invalid = |text: String| OAuthError::InvalidClientMetadata(text);
        let fields = document
            .as_object()
            .ok_or_else(|| invalid("the body must be a JSON object".into()))?;
        if fields.contains_key("software_statement") {
            return Err(OAuthError::InvalidSoftwareStatement(
                "software statements are not accepted".into(),
            ));
        }
        if fields.contains_key("jwks") {
            return Err(invalid(
                "jwks: keys are not accepted; private_key_jwt is not supported yet".into(),
            ));
        }
        let redirect_uris = uris(fields, "redirect_uris")?;
        let post_logout_redirect_uris = uris(fields, "post_logout_redirect_uris")?;
        let auth_method = match fields.get("token_endpoint_auth_method") {
            None => AuthMethod::ClientSecretBasic,
            Some(Value::String(name)) => AuthMethod::parse(name)?,
            Some(_) => {
                return Err(invalid(
                    "token_endpoint_auth_method must be a string".into(),
                ));
            }
        };
        let grant_names = strings(fields, "grant_types")?
            .unwrap_or_else(|| vec![GrantType::AuthorizationCode.as_str().to_owned()]);
        let mut grants = Vec::new();
        for name in &grant_names {
            let grant = GrantType::parse(name)
                .map_err(|_| invalid(format!("grant_types: {name:?} is not a grant type")))?;
            if !policy.grant_types.allows(grant) {
                return Err(invalid(format!(
                    "grant_types: {name} may not be registered here"
                )));
            }
            grants.push(grant);
        }
        let grant_types = GrantTypes::new(grants)
            .map_err(|_| invalid("grant_types must name at least one grant".into()))?;
        let redirects = grant_types.allows(GrantType::AuthorizationCode)
            || grant_types.allows(GrantType::Implicit);
        if redirects && redirect_uris.is_empty() {
            return Err(OAuthError::InvalidRedirectUri(
                "redirect_uris: the authorization_code and implicit grants need one".into(),
            ));
        }
        if let Some(response_types) = strings(fields, "response_types")? {
            for response_type in &response_types {
                let allowed = match response_type.as_str() {
                    "code" => grant_types.allows(GrantType::AuthorizationCode),
                    "token" => grant_types.allows(GrantType::Implicit),
                    _ => false,
                };
                if !allowed {
                    return Err(invalid(format!(
                        "response_types: {response_type:?} does not go with grant_types"
                    )));
                }
            }
        }
        if auth_method == AuthMethod::None && grant_types.allows(GrantType::ClientCredentials) {
            return Err(invalid(
                "client_credentials needs a client that authenticates (not none)".into(),
            ));
        }
        let client_name = match fields.get("client_name") {
            None => None,
            Some(Value::String(name)) if !name.trim().is_empty() && name.chars().count() <= 255 => {
                Some(name.clone())
            }
            Some(_) => return Err(invalid("client_name must be 1 to 255 characters".into())),
        };
        let scope = match fields.get("scope") {
            None => None,
            Some(Value::String(text)) => {
                Some(ScopeSet::parse(text).map_err(|_| invalid("scope is malformed".into()))?)
            }
            Some(_) => return Err(invalid("scope must be a string".into())),
        };
        let mut descriptive = Map::new();
        for name in DESCRIPTIVE {
            match fields.get(name) {
                None => {}
                Some(value @ Value::String(_)) => {
                    descriptive.insert(name.to_owned(), value.clone());
                }
                Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                    descriptive.insert(name.to_owned(), Value::Array(items.clone()));
                }
                Some(_) => return Err(invalid(format!("{name} must be a string"))),
            }
        }
        Ok(Self {
            redirect_uris,
            post_logout_redirect_uris,
            auth_method,
            grant_types,
            client_name,
            scope,
            descriptive,
        })
    }

    /// The name the consent page shows: the client's, or its first redirect URI's host.
    pub(super) fn name(&self) -> String {
        self.client_name.clone().unwrap_or_else(|| {
            let host = self
                .redirect_uris
                .first()
                .and_then(|uri| url::Url::parse(uri.as_str()).ok())
                .and_then(|url| url.host_str().map(str::to_owned));
            match host {
                Some(host) => format!("{host} (registered dynamically)"),
                None => "A dynamically registered client".to_owned(),
            }
        })
    }

    /// The metadata as kept and given back (RFC 7591 §3.2.1).
    pub(super) fn to_json(&self, name: &str) -> Value {
        let mut document = self.descriptive.clone();
        let response_types: Vec<&str> = [
            (GrantType::AuthorizationCode, "code"),
            (GrantType::Implicit, "token"),
        ]
        .into_iter()
        .filter(|(grant, _)| self.grant_types.allows(*grant))
        .map(|(_, response_type)| response_type)
        .collect();
        let fields = json!({
            "client_name": name,
            "redirect_uris": self.redirect_uris,
            "post_logout_redirect_uris": self.post_logout_redirect_uris,
            "token_endpoint_auth_method": self.auth_method.as_str(),
            "grant_types": self.grant_types.iter().map(GrantType::as_str).collect::<Vec<_>>(),
            "response_types": response_types,
        });
        if let Value::Object(fields) = fields {
            document.extend(fields);
        }
        if let Some(scope) = &self.scope {
            document.insert("scope".into(), Value::from(scope.to_string()));
        }
        Value::Object(document)
    }
}

/// The URIs of list `name`, under the redirect rules (https, loopback http or a custom
/// scheme for native apps).
fn uris(fields: &Map<String, Value>, name: &str) -> Result<Vec<RedirectUri>, OAuthError> {
    let Some(values) = strings(fields, name)? else {
        return Ok(Vec::new());
    };
    values
        .iter()
        .map(|value| {
            RedirectUri::parse(value, RedirectUriPolicy::default())
                .map_err(|error| OAuthError::InvalidRedirectUri(format!("{name}: {error}")))
        })
        .collect()
}

/// The list of strings `name`, if given.
fn strings(fields: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, OAuthError> {
    match fields.get(name) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| {
                OAuthError::InvalidClientMetadata(format!("{name} must be a list of strings"))
            }),
        Some(_) => Err(OAuthError::InvalidClientMetadata(format!(
            "{name} must be a list of strings"
        ))),
    }
}
