//! Strict `application/x-www-form-urlencoded` bodies, as the OAuth endpoints need them: a
//! repeated parameter is an error (RFC 6749 §3.1, §3.2), except `resource` (RFC 8707 §2),
//! whose values are joined with spaces (a resource URI holds none); and the one `Authorization`
//! header the endpoints read client credentials from (`ClientCredentials::from_request`).

use std::collections::BTreeMap;

use rocket::data::{Data, ToByteUnit};
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use warrant_grants::OAuthError;
use warrant_model::Secret;

/// The one parameter that may be repeated (RFC 8707 §2).
const REPEATABLE: &str = "resource";

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
        let mut params: BTreeMap<String, String> = BTreeMap::new();
        for (key, value) in url::form_urlencoded::parse(body) {
            if key == REPEATABLE {
                if value.chars().any(char::is_whitespace) {
                    return Err(OAuthError::InvalidTarget(format!(
                        "resource {value:?} is not a URI"
                    )));
                }
                let joined = params.entry(key.into_owned()).or_default();
                if !joined.is_empty() && !value.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(&value);
                continue;
            }
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

    /// Every parameter, by name, as sent: each `resource` on its own.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().flat_map(|(name, value)| {
            let values: Vec<&str> = if name == REPEATABLE {
                value.split(' ').collect()
            } else {
                vec![value.as_str()]
            };
            values.into_iter().map(move |value| (name.as_str(), value))
        })
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn resource_may_be_repeated_and_holds_no_space() {
        let form = FormParams::parse(
            b"resource=https%3A%2F%2Fa.example%2F&resource=https%3A%2F%2Fb.example%2F",
        )
        .unwrap();
        assert_eq!(
            form.get("resource"),
            Some("https://a.example/ https://b.example/")
        );
        assert!(matches!(
            FormParams::parse(b"resource=https%3A%2F%2Fa.example%2F%20https%3A%2F%2Fb.example%2F"),
            Err(OAuthError::InvalidTarget(_))
        ));
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
}
