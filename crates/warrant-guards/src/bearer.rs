//! [`BearerToken`]: the live access token a request carries (RFC 6750 §2.1).

use rocket::request::{FromRequest, Outcome, Request};
use time::OffsetDateTime;
use warrant_model::{ClientId, OAuthError, ScopeSet, Secret, User, Username};

use crate::dpop::Scheme;
use crate::{Refusal, refuse, resource_server};

/// A live access token from `Authorization: Bearer`, and whom it speaks for.
///
/// As a guard it refuses requests without one (401). The token is checked once per request
/// however many guards ask for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerToken {
    /// The client the token was issued to.
    pub client_id: ClientId,
    /// The granted scopes.
    pub scopes: ScopeSet,
    /// When the token expires.
    pub expires_at: OffsetDateTime,
    /// Its audience (`aud`): the resources it was issued for (RFC 8707), as issued; empty
    /// when it names none.
    pub audience: Vec<String>,
    /// The resource owner's username; `None` for `client_credentials` tokens.
    pub username: Option<Username>,
    /// The resource owner's record, when the token was checked against Warrant's database
    /// (introspection tells the username only).
    pub user: Option<User>,
    /// The thumbprint of the DPoP key it is bound to (`cnf.jkt`), if it is.
    pub dpop_jkt: Option<String>,
}

impl BearerToken {
    /// Whether the token was granted every scope of `required`.
    pub fn has_scopes<'s>(&self, required: impl IntoIterator<Item = &'s str>) -> bool {
        required
            .into_iter()
            .all(|wanted| self.scopes.contains_name(wanted))
    }

    /// Whether the token speaks for a staff user (known only in database mode).
    pub fn is_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|user| user.is_staff)
    }
}

#[cfg(feature = "database")]
impl From<warrant_grants::Bearer> for BearerToken {
    fn from(bearer: warrant_grants::Bearer) -> Self {
        Self {
            client_id: bearer.client_id,
            scopes: bearer.token.scope,
            expires_at: bearer.token.expires_at,
            audience: bearer
                .token
                .resources
                .iter()
                .map(|uri| uri.as_str().to_owned())
                .collect(),
            username: bearer.user.as_ref().map(|user| user.username.clone()),
            user: bearer.user,
            dpop_jkt: bearer.token.dpop_jkt,
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for BearerToken {
    type Error = Refusal;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Refusal> {
        match checked_bearer(request).await {
            Ok(Some(token)) => Outcome::Success(token),
            Ok(None) => refuse(request, Refusal::CredentialsRequired),
            Err(refusal) => refuse(request, refusal),
        }
    }
}

/// The request's access token (`Bearer`, or `DPoP` with its proof), checked (once per
/// request, however many guards ask); `None` when it sends none. For guards of one's own.
pub async fn checked_bearer(request: &Request<'_>) -> Result<Option<BearerToken>, Refusal> {
    struct Checked(Result<Option<BearerToken>, Refusal>);
    let checked = request
        .local_cache_async(async {
            Checked(match bearer_credentials(request) {
                Ok(Some((scheme, token))) => match resource_server(request) {
                    Ok(server) => server
                        .check_presented(request, scheme, &token)
                        .await
                        .map(Some),
                    Err(refusal) => Err(refusal),
                },
                Ok(None) => Ok(None),
                Err(error) => Err(Refusal::Token(error)),
            })
        })
        .await;
    checked.0.clone()
}

/// The scheme and token of the request's `Authorization: Bearer <token>` or `DPoP <token>`
/// header; `None` when the request carries neither (no header, or another scheme).
fn bearer_credentials(
    request: &Request<'_>,
) -> Result<Option<(Scheme, Secret<String>)>, OAuthError> {
    let mut values = request.headers().get("Authorization");
    let value = values.next();
    if values.next().is_some() {
        return Err(OAuthError::InvalidRequest(
            "send one Authorization header, not several".into(),
        ));
    }
    let Some(value) = value else {
        return Ok(None);
    };
    if let Some(token) = bearer_token(value)? {
        return Ok(Some((Scheme::Bearer, token)));
    }
    Ok(authorization_credentials(value, "DPoP")?.map(|token| (Scheme::Dpop, token)))
}

/// The token of an `Authorization` header value `Bearer <token>` (RFC 6750 §2.1).
fn bearer_token(value: &str) -> Result<Option<Secret<String>>, OAuthError> {
    authorization_credentials(value, "Bearer")
}

/// The credentials of an `Authorization` header value `<scheme> <credentials>`; `None`
/// for another scheme. The scheme is case-insensitive (RFC 9110 §11.1).
pub fn authorization_credentials(
    value: &str,
    scheme: &str,
) -> Result<Option<Secret<String>>, OAuthError> {
    let (sent_scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !sent_scheme.eq_ignore_ascii_case(scheme) {
        return Ok(None);
    }
    let token = token.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(OAuthError::InvalidRequest(format!(
            "the Authorization header must be `{scheme} <credentials>`"
        )));
    }
    Ok(Some(Secret::new(token.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: &str) -> Result<Option<String>, OAuthError> {
        bearer_token(value).map(|token| token.map(|t| t.expose().clone()))
    }

    #[test]
    fn bearer_credentials_are_read_from_the_authorization_header() {
        assert_eq!(parsed("Basic abc"), Ok(None));
        assert_eq!(parsed("Token abc"), Ok(None));
        assert_eq!(parsed("Bearer abc"), Ok(Some("abc".into())));
        assert_eq!(parsed("bearer abc"), Ok(Some("abc".into())));
        for malformed in ["Bearer", "Bearer ", "Bearer a b"] {
            assert!(
                matches!(parsed(malformed), Err(OAuthError::InvalidRequest(_))),
                "{malformed}"
            );
        }
    }
}
