//! The one place an [`OAuthError`] becomes HTTP: status, JSON body, `WWW-Authenticate`,
//! and the no-store headers every token-endpoint answer carries (RFC 6749 §5.1, §5.2).

use rocket::http::{Header, Status};
use rocket::response::{self, Responder};
use rocket::serde::json::{Json, Value, json};
use rocket::{Request, Response};
use warrant_grants::OAuthError;

/// A JSON answer of the token, revocation or introspection endpoint.
pub struct OAuthJson {
    status: Status,
    body: Value,
    www_authenticate: Option<&'static str>,
}

impl OAuthJson {
    /// A 200 answer.
    pub fn ok(body: Value) -> Self {
        Self {
            status: Status::Ok,
            body,
            www_authenticate: None,
        }
    }
}

impl From<OAuthError> for OAuthJson {
    fn from(error: OAuthError) -> Self {
        let status = status_of(&error);
        let mut body = json!({ "error": error.code() });
        if let Some(description) = error.description() {
            body["error_description"] = Value::from(description);
        }
        // RFC 6749 §5.2: a failed client authentication is a 401 with a challenge.
        let www_authenticate =
            (status == Status::Unauthorized).then_some(r#"Basic realm="warrant""#);
        Self {
            status,
            body,
            www_authenticate,
        }
    }
}

/// The HTTP status of each OAuth error.
pub fn status_of(error: &OAuthError) -> Status {
    match error {
        OAuthError::InvalidClient(_) => Status::Unauthorized,
        OAuthError::ServerError => Status::InternalServerError,
        OAuthError::TemporarilyUnavailable => Status::ServiceUnavailable,
        OAuthError::InvalidRequest(_)
        | OAuthError::InvalidGrant(_)
        | OAuthError::UnauthorizedClient(_)
        | OAuthError::UnsupportedGrantType(_)
        | OAuthError::UnsupportedResponseType(_)
        | OAuthError::InvalidScope(_)
        | OAuthError::AccessDenied(_)
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
        response.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status_and_only_client_failures_challenge() {
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
        ];
        for (error, status) in cases {
            assert_eq!(status_of(&error), status, "{error:?}");
            let answer = OAuthJson::from(error.clone());
            assert_eq!(
                answer.www_authenticate.is_some(),
                status == Status::Unauthorized,
                "{error:?}"
            );
            assert_eq!(answer.body["error"], error.code());
        }
    }
}
