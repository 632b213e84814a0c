//! The one place an [`OAuthError`] becomes HTTP: status, JSON body, `WWW-Authenticate`,
//! and the no-store headers every token-endpoint answer carries (RFC 6749 §5.1, §5.2).

use rocket::http::{Header, Status};
use rocket::response::{self, Responder};
use rocket::serde::json::{Json, Value, json};
use rocket::{Request, Response};
use warrant_model::{OAuthError, Origin};

/// A JSON answer of the token, revocation or introspection endpoint.
pub struct OAuthJson {
    status: Status,
    body: Value,
    www_authenticate: Option<String>,
    allow_origin: Option<Origin>,
    /// The server nonce a DPoP proof must carry (RFC 9449 §8), sent as `DPoP-Nonce`.
    dpop_nonce: Option<String>,
}

impl OAuthJson {
    /// An answer with any status.
    pub fn new(status: Status, body: Value) -> Self {
        Self {
            status,
            body,
            www_authenticate: None,
            allow_origin: None,
            dpop_nonce: None,
        }
    }

    /// A 200 answer.
    pub fn ok(body: Value) -> Self {
        Self {
            status: Status::Ok,
            body,
            www_authenticate: None,
            allow_origin: None,
            dpop_nonce: None,
        }
    }

    /// A protected resource asked for without any bearer token: 401 with a bare challenge
    /// and no error code (RFC 6750 §3.1).
    pub fn bearer_token_required() -> Self {
        Self {
            status: Status::Unauthorized,
            body: json!({
                "error": "unauthorized",
                "error_description": "a bearer access token is required",
            }),
            www_authenticate: Some(format!("Bearer realm=\"{REALM}\"")),
            allow_origin: None,
            dpop_nonce: None,
        }
    }

    /// A token refused at a resource that uses DPoP (RFC 9449 §7.1): 401 with a `DPoP`
    /// challenge naming the error and the proof algorithms accepted.
    pub fn dpop_refusal(error: &OAuthError) -> Self {
        let description = error.description().unwrap_or_default().replace('"', "'");
        let algs: Vec<&str> = warrant_generators::JwsAlgorithm::ASYMMETRIC
            .iter()
            .map(|alg| alg.as_str())
            .collect();
        Self {
            status: Status::Unauthorized,
            body: json!({ "error": error.code(), "error_description": description }),
            www_authenticate: Some(format!(
                "DPoP realm=\"{REALM}\", error=\"{}\", error_description=\"{description}\", algs=\"{}\"",
                error.code(),
                algs.join(" ")
            )),
            allow_origin: None,
            dpop_nonce: None,
        }
    }

    /// A refusal that is not about the token: 403 `forbidden` with a description.
    pub fn forbidden(description: &str) -> Self {
        Self {
            status: Status::Forbidden,
            body: json!({ "error": "forbidden", "error_description": description }),
            www_authenticate: None,
            allow_origin: None,
            dpop_nonce: None,
        }
    }

    /// A bare error answer for `status`: `{"error": "<reason in snake case>"}`.
    pub fn status(status: Status) -> Self {
        let reason = status.reason().unwrap_or("error");
        Self {
            status,
            body: json!({ "error": reason.to_lowercase().replace(' ', "_") }),
            www_authenticate: None,
            allow_origin: None,
            dpop_nonce: None,
        }
    }

    /// Adds RFC 9728's `resource_metadata` to a `Bearer` challenge: where the client finds
    /// which authorization server to ask for a token.
    pub fn with_resource_metadata(mut self, url: &str) -> Self {
        if let Some(challenge) = &mut self.www_authenticate
            && challenge.starts_with("Bearer ")
        {
            challenge.push_str(&format!(
                ", resource_metadata=\"{}\"",
                url.replace('"', "%22")
            ));
        }
        self
    }

    /// Lets a browser page of `origin` read this answer (CORS).
    pub fn allow_origin(mut self, origin: Origin) -> Self {
        self.allow_origin = Some(origin);
        self
    }
}

/// The realm of every `WWW-Authenticate` challenge.
const REALM: &str = "warrant";

impl From<OAuthError> for OAuthJson {
    fn from(error: OAuthError) -> Self {
        let status = status_of(&error);
        let mut body = json!({ "error": error.code() });
        if let Some(description) = error.description() {
            body["error_description"] = Value::from(description);
        }
        if let OAuthError::InsufficientScope { required, .. } = &error
            && !required.is_empty()
        {
            // Django OAuth Toolkit's field (ERROR_RESPONSE_WITH_SCOPES).
            body["required_scopes"] = Value::from(required.clone());
        }
        let www_authenticate = challenge(&error);
        let dpop_nonce = match error {
            OAuthError::UseDpopNonce { nonce } => Some(nonce),
            _ => None,
        };
        Self {
            status,
            body,
            www_authenticate,
            allow_origin: None,
            dpop_nonce,
        }
    }
}

/// The `WWW-Authenticate` challenge an error carries: a failed client authentication asks
/// for Basic credentials (RFC 6749 §5.2); a refused bearer token names its error, and a
/// token lacking scopes the scopes it needs (RFC 6750 §3). Descriptions are ours and never
/// contain a quote; scope names cannot (RFC 6749 §3.3).
fn challenge(error: &OAuthError) -> Option<String> {
    let bearer = |description: &str| {
        format!(
            "Bearer realm=\"{REALM}\", error=\"{}\", error_description=\"{}\"",
            error.code(),
            description.replace('"', "'")
        )
    };
    match error {
        OAuthError::InvalidClient(_) => Some(format!("Basic realm=\"{REALM}\"")),
        OAuthError::InvalidToken(description) => Some(bearer(description)),
        OAuthError::InsufficientScope {
            description,
            required,
        } if required.is_empty() => Some(bearer(description)),
        OAuthError::InsufficientScope {
            description,
            required,
        } => Some(format!(
            "{}, scope=\"{}\"",
            bearer(description),
            required.join(" ")
        )),
        _ => None,
    }
}

/// `Retry-After` of every 503 (RFC 9110 §10.2.3): overload and database outages are
/// usually over within seconds.
pub fn retry_after() -> Header<'static> {
    Header::new("Retry-After", "1")
}

/// The HTTP status of each OAuth error.
pub fn status_of(error: &OAuthError) -> Status {
    match error {
        OAuthError::InvalidClient(_) | OAuthError::InvalidToken(_) => Status::Unauthorized,
        OAuthError::InsufficientScope { .. } => Status::Forbidden,
        OAuthError::ServerError => Status::InternalServerError,
        OAuthError::TemporarilyUnavailable => Status::ServiceUnavailable,
        OAuthError::InvalidRequest(_)
        | OAuthError::InvalidGrant(_)
        | OAuthError::UnauthorizedClient(_)
        | OAuthError::UnsupportedGrantType(_)
        | OAuthError::UnsupportedResponseType(_)
        | OAuthError::InvalidScope(_)
        | OAuthError::InvalidTarget(_)
        | OAuthError::InvalidRedirectUri(_)
        | OAuthError::InvalidClientMetadata(_)
        | OAuthError::InvalidSoftwareStatement(_)
        | OAuthError::InvalidRequestUri(_)
        | OAuthError::InvalidDpopProof(_)
        | OAuthError::UseDpopNonce { .. }
        | OAuthError::AccessDenied(_)
        | OAuthError::LoginRequired(_)
        | OAuthError::AuthorizationPending(_)
        | OAuthError::SlowDown(_)
        | OAuthError::ExpiredToken(_)
        | OAuthError::ConsentRequired(_)
        | OAuthError::UnsupportedTokenType(_) => Status::BadRequest,
    }
}

impl<'r> Responder<'r, 'static> for OAuthJson {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build_from(Json(self.body).respond_to(request)?);
        response
            .status(self.status)
            .header(Header::new("Cache-Control", "no-store"))
            .header(Header::new("Pragma", "no-cache"));
        if let Some(challenge) = self.www_authenticate {
            response.header(Header::new("WWW-Authenticate", challenge));
        }
        if let Some(nonce) = self.dpop_nonce {
            response.header(Header::new("DPoP-Nonce", nonce));
        }
        if self.status == Status::ServiceUnavailable {
            response.header(retry_after());
        }
        if let Some(origin) = self.allow_origin {
            response
                .header(Header::new(
                    "Access-Control-Allow-Origin",
                    origin.as_str().to_owned(),
                ))
                .header(Header::new("Vary", "Origin"));
        }
        response.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status_and_only_authentication_failures_challenge() {
        let cases = [
            (
                OAuthError::InvalidClient(String::new()),
                Status::Unauthorized,
            ),
            (
                OAuthError::TemporarilyUnavailable,
                Status::ServiceUnavailable,
            ),
            (OAuthError::ServerError, Status::InternalServerError),
            (OAuthError::InvalidGrant(String::new()), Status::BadRequest),
            (
                OAuthError::InvalidRequest(String::new()),
                Status::BadRequest,
            ),
            (
                OAuthError::UnsupportedGrantType(String::new()),
                Status::BadRequest,
            ),
            (
                OAuthError::InvalidToken(String::new()),
                Status::Unauthorized,
            ),
            (
                OAuthError::InsufficientScope {
                    description: String::new(),
                    required: Vec::new(),
                },
                Status::Forbidden,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(status_of(&error), status, "{error:?}");
            let answer = OAuthJson::from(error.clone());
            assert_eq!(
                answer.www_authenticate.is_some(),
                matches!(status, Status::Unauthorized | Status::Forbidden),
                "{error:?}"
            );
            assert_eq!(answer.body["error"], error.code());
        }
    }
}
