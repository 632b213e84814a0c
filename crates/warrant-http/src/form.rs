//! Strict `application/x-www-form-urlencoded` bodies and client credentials, as the OAuth
//! endpoints need them: a repeated parameter is an error (RFC 6749 §3.1, §3.2), and so is
//! authenticating a client two ways at once (§2.3).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rocket::data::{Data, ToByteUnit};
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use warrant_grants::{ClientCredentials, OAuthError};
use warrant_model::{ClientId, Secret};

/// A parsed form body: each parameter at most once. Empty values count as absent (RFC 6749
/// §3.1).
#[derive(Default)]
pub struct FormParams(BTreeMap<String, String>);

/// Names only: the values include passwords, client secrets and tokens.
impl std::fmt::Debug for FormParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Why a body could not be read.
pub enum BodyError {
    /// Larger than the configured limit: 413.
    TooLarge,
    /// Anything else: `invalid_request`.
    Invalid(OAuthError),
}

impl FormParams {
    /// Reads and parses a form body of at most `limit` bytes.
    pub async fn read(
        content_type: Option<&ContentType>,
        data: Data<'_>,
        limit: u64,
    ) -> Result<Self, BodyError> {
        if content_type.is_none_or(|ct| !ct.is_form()) {
            return Err(invalid(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let body = data
            .open(limit.bytes())
            .into_bytes()
            .await
            .map_err(|_| invalid("the body could not be read"))?;
        if !body.is_complete() {
            return Err(BodyError::TooLarge);
        }
        Self::parse(&body.into_inner()).map_err(BodyError::Invalid)
    }

    /// Parses a form body.
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        if std::str::from_utf8(body).is_err() {
            return Err(OAuthError::InvalidRequest("the body is not UTF-8".into()));
        }
        let mut params = BTreeMap::new();
        for (key, value) in url::form_urlencoded::parse(body) {
            if params.insert(key.to_string(), value.to_string()).is_some() {
                return Err(OAuthError::InvalidRequest(format!(
                    "parameter {key} is repeated"
                )));
            }
        }
        params.retain(|_, value| !value.is_empty());
        Ok(Self(params))
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Every parameter, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A required parameter's value.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::InvalidRequest(format!("{name} is missing")))
    }

    /// A parameter that must not appear in logs.
    pub fn secret(&self, name: &str) -> Option<Secret<String>> {
        self.get(name).map(|value| Secret::new(value.to_owned()))
    }

    /// A required parameter that must not appear in logs.
    pub fn require_secret(&self, name: &str) -> Result<Secret<String>, OAuthError> {
        self.require(name)
            .map(|value| Secret::new(value.to_owned()))
    }
}

fn invalid(description: &str) -> BodyError {
    BodyError::Invalid(OAuthError::InvalidRequest(description.to_owned()))
}

/// The raw `Authorization` header, if any.
pub struct AuthorizationHeader(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthorizationHeader {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let mut values = request.headers().get("Authorization");
        let first = values.next().map(str::to_owned);
        if values.next().is_some() {
            // Two Authorization headers: ambiguous, refuse rather than pick one.
            return Outcome::Error((Status::BadRequest, ()));
        }
        Outcome::Success(Self(first))
    }
}

/// The client's credentials from `Authorization: Basic` (`client_secret_basic`) or from the
/// body (`client_secret_post`, or `client_id` alone for public clients).
pub fn client_credentials(
    header: &AuthorizationHeader,
    form: &FormParams,
) -> Result<ClientCredentials, OAuthError> {
    let from_body = form.get("client_secret").is_some();
    match header.0.as_deref() {
        Some(value) => {
            if from_body {
                return Err(OAuthError::InvalidRequest(
                    "use one client authentication method, not two".into(),
                ));
            }
            let (client_id, secret) = basic(value)?;
            if form
                .get("client_id")
                .is_some_and(|id| id != client_id.as_str())
            {
                return Err(OAuthError::InvalidRequest(
                    "client_id differs from the authenticated client".into(),
                ));
            }
            Ok(ClientCredentials::Secret { client_id, secret })
        }
        None => {
            let client_id = ClientId::parse(form.require("client_id").map_err(|_| no_client())?)
                .map_err(|_| bad_client())?;
            Ok(match form.secret("client_secret") {
                Some(secret) => ClientCredentials::Secret { client_id, secret },
                None => ClientCredentials::IdOnly { client_id },
            })
        }
    }
}

fn no_client() -> OAuthError {
    OAuthError::InvalidClient("client authentication is required".into())
}

fn bad_client() -> OAuthError {
    OAuthError::InvalidClient("client authentication failed".into())
}

/// Decodes `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn basic(header: &str) -> Result<(ClientId, Secret<String>), OAuthError> {
    let (scheme, encoded) = header.split_once(' ').ok_or_else(bad_client)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::InvalidClient(
            "only HTTP Basic client authentication is supported".into(),
        ));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad_client())?;
    let text = String::from_utf8(decoded).map_err(|_| bad_client())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad_client)?;
    let decode = |part: &str| -> Result<String, OAuthError> {
        let spaced = part.replace('+', " ");
        let decoded = percent_encoding::percent_decode_str(&spaced)
            .decode_utf8()
            .map_err(|_| bad_client())?;
        Ok(decoded.into_owned())
    };
    let client_id = ClientId::parse(&decode(id)?).map_err(|_| bad_client())?;
    Ok((client_id, Secret::new(decode(secret)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(value: &str) -> AuthorizationHeader {
        AuthorizationHeader(Some(value.to_owned()))
    }

    fn basic_of(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_ignored() {
        assert!(matches!(
            FormParams::parse(b"a=1&a=2"),
            Err(OAuthError::InvalidRequest(_))
        ));
        let form = FormParams::parse(b"grant_type=password&scope=&x=%20y").unwrap();
        assert_eq!(
            (form.get("grant_type"), form.get("scope"), form.get("x")),
            (Some("password"), None, Some(" y"))
        );
        assert!(FormParams::parse(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn debug_shows_parameter_names_only() {
        let form =
            FormParams::parse(b"username=alice&password=hunter2&client_secret=s3cr3t").unwrap();
        let printed = format!("{form:?}");
        assert!(
            printed.contains("password")
                && !printed.contains("hunter2")
                && !printed.contains("s3cr3t"),
            "{printed}"
        );
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let form = FormParams::default();
        let Ok(ClientCredentials::Secret { client_id, secret }) =
            client_credentials(&header(&basic_of("my%2Did", "s%3Acret+x")), &form)
        else {
            panic!("expected secret credentials")
        };
        assert_eq!(
            (client_id.as_str(), secret.expose().as_str()),
            ("my-id", "s:cret x")
        );
    }

    #[test]
    fn malformed_or_doubled_authentication_is_refused() {
        let body_secret = FormParams::parse(b"client_id=a&client_secret=b").unwrap();
        assert!(matches!(
            client_credentials(&header(&basic_of("a", "b")), &body_secret),
            Err(OAuthError::InvalidRequest(_))
        ));
        let empty = FormParams::default();
        for bad in [
            "Basic",
            "Basic !!!",
            "Bearer abc",
            &format!("Basic {}", STANDARD.encode("no-colon")),
        ] {
            assert!(
                matches!(
                    client_credentials(&header(bad), &empty),
                    Err(OAuthError::InvalidClient(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            client_credentials(&AuthorizationHeader(None), &empty),
            Err(OAuthError::InvalidClient(_))
        ));
        let other_id = FormParams::parse(b"client_id=z").unwrap();
        assert!(matches!(
            client_credentials(&header(&basic_of("a", "b")), &other_id),
            Err(OAuthError::InvalidRequest(_))
        ));
    }

    #[test]
    fn body_credentials_and_public_clients() {
        let post = FormParams::parse(b"client_id=a&client_secret=b").unwrap();
        assert!(matches!(
            client_credentials(&AuthorizationHeader(None), &post),
            Ok(ClientCredentials::Secret { .. })
        ));
        let public = FormParams::parse(b"client_id=a").unwrap();
        assert!(matches!(
            client_credentials(&AuthorizationHeader(None), &public),
            Ok(ClientCredentials::IdOnly { .. })
        ));
    }
}
