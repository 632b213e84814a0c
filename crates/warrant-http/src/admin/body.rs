//! The admin API's request bodies, and their parsing into domain types: each invalid field
//! is a 400 that names it.

use rocket::http::Status;
use rocket::serde::json::{Error as JsonError, Json};
use serde::Deserialize;
use serde_json::Value;
use warrant_model::{
    AuthMethod, ClientId, ClientJwks, ClientKeys, ClientType, Email, GrantType, GrantTypes, Origin,
    PasswordHash, RedirectUri, RedirectUriPolicy, ResourceUri, Resources, Secret, SecurityProfile,
    SigningAlgorithm, Username,
};

use warrant_grants::InitialPassword;

use super::invalid;
use warrant_guards::OAuthJson;

/// A JSON body, or the answer that says why it is not one: 413 past
/// `server.max_body_bytes` (Rocket stops reading there and reports an early end), else 400.
pub(super) fn json<T>(body: Result<Json<T>, JsonError<'_>>) -> Result<T, OAuthJson> {
    body.map(Json::into_inner).map_err(|error| match error {
        JsonError::Io(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            OAuthJson::status(Status::PayloadTooLarge)
        }
        JsonError::Io(_) => invalid("the body could not be read"),
        JsonError::Parse(_, error) => {
            invalid(format!("the body is not the expected JSON: {error}"))
        }
    })
}

/// `POST /api/admin/applications`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewApplicationBody {
    /// The client id to keep (an application moved from another server); absent: generated.
    #[serde(default, deserialize_with = "given")]
    pub(super) client_id: Option<String>,
    /// The client secret to keep (confidential clients); absent: generated.
    #[serde(default, deserialize_with = "given")]
    pub(super) client_secret: Option<String>,
    pub(super) name: String,
    pub(super) client_type: String,
    pub(super) grant_types: Vec<String>,
    #[serde(default)]
    pub(super) redirect_uris: Vec<String>,
    #[serde(default)]
    pub(super) post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub(super) allowed_origins: Vec<String>,
    /// RFC 8707: the resources its tokens may be for; empty: any.
    #[serde(default)]
    pub(super) allowed_resources: Vec<String>,
    pub(super) owner: Option<i64>,
    #[serde(default)]
    pub(super) skip_authorization: bool,
    #[serde(default)]
    pub(super) pkce_required: bool,
    /// ID-token signing algorithm; absent or null: RS256.
    #[serde(default)]
    pub(super) algorithm: Option<String>,
    /// RFC 9126: its authorization requests must be pushed.
    #[serde(default)]
    pub(super) require_pushed_authorization_requests: bool,
    /// The one way it authenticates; absent: a secret, or none for public clients.
    pub(super) token_endpoint_auth_method: Option<String>,
    /// Its public keys (a JWK Set), for private_key_jwt.
    pub(super) jwks: Option<Value>,
    /// Where it publishes its public keys, for private_key_jwt.
    pub(super) jwks_uri: Option<String>,
    /// RFC 9449: its token requests must carry a DPoP proof.
    #[serde(default)]
    pub(super) dpop_bound_access_tokens: bool,
    /// `standard` or `fapi2`; absent or null: the server's default.
    pub(super) security_profile: Option<String>,
}

/// `PATCH /api/admin/applications/<id>`: absent fields stay as they are; `null` is refused
/// where the field cannot be empty (it would otherwise read as "absent").
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ApplicationPatch {
    #[serde(default, deserialize_with = "given")]
    pub(super) name: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub(super) grant_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) redirect_uris: Option<Vec<String>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) post_logout_redirect_uris: Option<Vec<String>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) allowed_origins: Option<Vec<String>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) allowed_resources: Option<Vec<String>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) skip_authorization: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub(super) pkce_required: Option<bool>,
    /// Absent: unchanged; null: back to RS256.
    #[serde(default, deserialize_with = "present")]
    pub(super) algorithm: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) require_pushed_authorization_requests: Option<bool>,
    /// Absent: unchanged; null: a secret, or none for public clients.
    #[serde(default, deserialize_with = "present")]
    pub(super) token_endpoint_auth_method: Option<Option<String>>,
    /// Absent: unchanged; null: no keys given (nor `jwks_uri` when it is null too).
    #[serde(default, deserialize_with = "present")]
    pub(super) jwks: Option<Option<Value>>,
    /// Absent: unchanged; null: none.
    #[serde(default, deserialize_with = "present")]
    pub(super) jwks_uri: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) dpop_bound_access_tokens: Option<bool>,
    /// Absent: unchanged; null: the server's default.
    #[serde(default, deserialize_with = "present")]
    pub(super) security_profile: Option<Option<String>>,
}

/// A field that may be left out (`None`) but, when sent, is a value: `null` does not
/// deserialize.
fn given<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A client authentication method's name, or none (the default by client type).
pub(super) fn auth_method(value: Option<&str>) -> Result<Option<AuthMethod>, OAuthJson> {
    value
        .map(|name| {
            AuthMethod::parse(name).map_err(|e| invalid(format!("token_endpoint_auth_method: {e}")))
        })
        .transpose()
}

/// A security profile's name, or none (the server's default).
pub(super) fn profile(value: Option<&str>) -> Result<Option<SecurityProfile>, OAuthJson> {
    value
        .map(|name| {
            SecurityProfile::parse(name).map_err(|e| invalid(format!("security_profile: {e}")))
        })
        .transpose()
}

/// A client's keys: a JWK Set or the URL it is published at, not both.
pub(super) fn client_keys(
    jwks: Option<&Value>,
    jwks_uri: Option<&str>,
) -> Result<Option<ClientKeys>, OAuthJson> {
    match (jwks, jwks_uri) {
        (Some(_), Some(_)) => Err(invalid("jwks: give jwks or jwks_uri, not both")),
        (Some(jwks), None) => ClientJwks::from_value(jwks.clone())
            .map(|jwks| Some(ClientKeys::Jwks(jwks)))
            .map_err(|e| invalid(format!("jwks: {e}"))),
        (None, Some(uri)) => ClientKeys::uri(uri)
            .map(Some)
            .map_err(|e| invalid(format!("jwks_uri: {e}"))),
        (None, None) => Ok(None),
    }
}

/// An ID-token algorithm name, or none (RS256).
pub(super) fn algorithm(value: Option<&str>) -> Result<Option<SigningAlgorithm>, OAuthJson> {
    value
        .map(|name| SigningAlgorithm::parse(name).map_err(|e| invalid(format!("algorithm: {e}"))))
        .transpose()
}

/// `POST /api/admin/users`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewUserBody {
    pub(super) username: String,
    pub(super) email: Option<String>,
    pub(super) password: Option<String>,
    /// A hash made elsewhere (Django's format), instead of a password.
    #[serde(default, deserialize_with = "given")]
    pub(super) password_hash: Option<String>,
    #[serde(default)]
    pub(super) first_name: String,
    #[serde(default)]
    pub(super) last_name: String,
    #[serde(default)]
    pub(super) is_staff: bool,
    #[serde(default)]
    pub(super) is_superuser: bool,
}

/// `PATCH /api/admin/users/<id>`: absent fields stay; `"email": ""` removes the email;
/// `null` is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserPatch {
    #[serde(default, deserialize_with = "given")]
    pub(super) email: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub(super) first_name: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub(super) last_name: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub(super) password: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub(super) is_active: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub(super) is_staff: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    pub(super) is_superuser: Option<bool>,
}

pub(super) fn client_type(value: &str) -> Result<ClientType, OAuthJson> {
    ClientType::parse(value).map_err(|error| invalid(format!("client_type: {error}")))
}

pub(super) fn grant_types(values: &[String]) -> Result<GrantTypes, OAuthJson> {
    let grants = values
        .iter()
        .map(|value| GrantType::parse(value))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| invalid(format!("grant_types: {error}")))?;
    GrantTypes::new(grants).map_err(|error| invalid(format!("grant_types: {error}")))
}

pub(super) fn redirect_uris(
    field: &str,
    values: &[String],
    policy: RedirectUriPolicy,
) -> Result<Vec<RedirectUri>, OAuthJson> {
    values
        .iter()
        .map(|value| RedirectUri::parse(value, policy))
        .collect::<Result<_, _>>()
        .map_err(|error| invalid(format!("{field}: {error}")))
}

pub(super) fn origins(values: &[String]) -> Result<Vec<Origin>, OAuthJson> {
    values
        .iter()
        .map(|value| Origin::parse(value))
        .collect::<Result<_, _>>()
        .map_err(|error| invalid(format!("allowed_origins: {error}")))
}

pub(super) fn resources(values: &[String]) -> Result<Resources, OAuthJson> {
    values
        .iter()
        .map(|value| ResourceUri::parse(value))
        .collect::<Result<_, _>>()
        .map_err(|error| invalid(format!("allowed_resources: {error}")))
}

pub(super) fn username(value: &str) -> Result<Username, OAuthJson> {
    Username::parse(value).map_err(|error| invalid(format!("username: {error}")))
}

/// An email, `""` meaning none.
pub(super) fn email(value: Option<&str>) -> Result<Option<Email>, OAuthJson> {
    match value {
        None | Some("") => Ok(None),
        Some(value) => Email::parse(value)
            .map(Some)
            .map_err(|error| invalid(format!("email: {error}"))),
    }
}

pub(super) fn password(value: Option<String>) -> Option<Secret<String>> {
    value.map(Secret::new)
}

/// A new user's `password` or `password_hash`, at most one of them.
pub(super) fn initial_password(
    password: Option<String>,
    password_hash: Option<String>,
) -> Result<InitialPassword, OAuthJson> {
    match (password, password_hash) {
        (None, None) => Ok(InitialPassword::None),
        (Some(password), None) => Ok(InitialPassword::Plain(Secret::new(password))),
        (None, Some(hash)) => PasswordHash::parse(&hash)
            .map(InitialPassword::Hashed)
            .map_err(|error| invalid(format!("password_hash: {error}"))),
        (Some(_), Some(_)) => Err(invalid(
            "password, password_hash: give one of them, not both",
        )),
    }
}

/// A client id to keep, if given.
pub(super) fn client_id(value: Option<&str>) -> Result<Option<ClientId>, OAuthJson> {
    value
        .map(|id| ClientId::parse(id).map_err(|error| invalid(format!("client_id: {error}"))))
        .transpose()
}
