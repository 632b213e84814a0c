//! Client authentication (RFC 6749 §2.3; JWT assertions, RFC 7523 and OIDC Core §9, in
//! `client_assertion.rs`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;
use warrant_generators::{decode_unverified, hash_token, verify_token};
use warrant_model::{
    Application, AuthMethod, ClientId, ClientSecretHash, ClientType, Secret, ThrottleKind,
};

use crate::throttle::{Keys, Standing};
use crate::{Engine, Event, OAuthError};

/// How a client identified itself at an endpoint that authenticates clients (token,
/// pushed request, revocation, introspection, device authorization): `Authorization:
/// Basic` (`client_secret_basic`), `client_id`/`client_secret` form fields
/// (`client_secret_post`), a JWT assertion (`private_key_jwt`, `client_secret_jwt`), or its
/// id alone; never two at once ([`ClientCredentials::from_request`]).
#[derive(Debug, Clone)]
pub enum ClientCredentials {
    /// A client id and secret (`client_secret_basic` or `client_secret_post`).
    Secret {
        /// The client id.
        client_id: ClientId,
        /// The presented secret.
        secret: Secret<String>,
    },
    /// Only a client id: authentication method `none`, for public clients.
    IdOnly {
        /// The client id.
        client_id: ClientId,
    },
    /// A JWT the client signed (RFC 7523 §2.2): `client_assertion` with
    /// `client_assertion_type` `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    Assertion {
        /// The client id: the form's `client_id`, or else the assertion's `sub`.
        client_id: ClientId,
        /// The assertion.
        assertion: Secret<String>,
        /// The URL the request was sent to: an audience the assertion may name besides the
        /// issuer.
        endpoint: String,
    },
}

/// `client_assertion_type` of a JWT assertion (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

impl ClientCredentials {
    /// The credentials of a request sent to `endpoint` (its full URL) whose
    /// `Authorization` header is `authorization` and whose form parameters `lookup` finds by
    /// name. Two methods at once, or a `client_id` that differs from Basic's or the
    /// assertion's, are `invalid_request`; anything malformed or missing is
    /// `invalid_client`.
    pub fn from_request<'a>(
        authorization: Option<&str>,
        lookup: impl Fn(&str) -> Option<&'a str>,
        endpoint: &str,
    ) -> Result<Self, OAuthError> {
        if let Some(assertion) = lookup("client_assertion") {
            if authorization.is_some() || lookup("client_secret").is_some() {
                return Err(OAuthError::InvalidRequest(
                    "use one client authentication method, not two".into(),
                ));
            }
            if lookup("client_assertion_type") != Some(JWT_BEARER_ASSERTION) {
                return Err(OAuthError::InvalidClient(format!(
                    "client_assertion_type must be {JWT_BEARER_ASSERTION}"
                )));
            }
            let subject = decode_unverified(assertion)
                .and_then(|jws| jws.claims["sub"].as_str().map(str::to_owned))
                .ok_or_else(|| {
                    OAuthError::InvalidClient("client_assertion is not a JWT with a sub".into())
                })?;
            if lookup("client_id").is_some_and(|id| id != subject) {
                return Err(OAuthError::InvalidRequest(
                    "client_id differs from the assertion's sub".into(),
                ));
            }
            return Ok(Self::Assertion {
                client_id: ClientId::parse(&subject).map_err(|_| bad_client())?,
                assertion: Secret::new(assertion.to_owned()),
                endpoint: endpoint.to_owned(),
            });
        }
        let Some(header) = authorization else {
            let client_id = lookup("client_id").ok_or_else(|| {
                OAuthError::InvalidClient("client authentication is required".into())
            })?;
            let client_id = ClientId::parse(client_id).map_err(|_| bad_client())?;
            return Ok(match lookup("client_secret") {
                Some(secret) => Self::Secret {
                    client_id,
                    secret: Secret::new(secret.to_owned()),
                },
                None => Self::IdOnly { client_id },
            });
        };
        if lookup("client_secret").is_some() {
            return Err(OAuthError::InvalidRequest(
                "use one client authentication method, not two".into(),
            ));
        }
        let (client_id, secret) = basic(header)?;
        if lookup("client_id").is_some_and(|id| id != client_id.as_str()) {
            return Err(OAuthError::InvalidRequest(
                "client_id differs from the authenticated client".into(),
            ));
        }
        Ok(Self::Secret { client_id, secret })
    }

    /// The client id, however the client authenticates.
    pub fn client_id(&self) -> &ClientId {
        match self {
            Self::Secret { client_id, .. }
            | Self::IdOnly { client_id }
            | Self::Assertion { client_id, .. } => client_id,
        }
    }
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

impl Engine<'_> {
    /// Authenticates the client: a confidential client must present its secret, a public
    /// client must not (it has none). Every failure is `invalid_client`, worded alike so
    /// that it does not tell which client ids exist; failures count against the client id
    /// and the address, and past their thresholds attempts are refused unchecked, with the
    /// same answer.
    pub async fn authenticate_client(
        &self,
        credentials: &ClientCredentials,
        now: OffsetDateTime,
    ) -> Result<Application, OAuthError> {
        let failed = || OAuthError::InvalidClient("client authentication failed".into());
        let client_id = credentials.client_id();
        let keys = Keys::new(
            ThrottleKind::Client,
            client_id.as_str(),
            self.client_address,
        );
        let standing = self.standing(&keys, now).await?;
        if let Standing::Locked(_) = standing {
            return Err(failed());
        }
        let application = self.client(client_id).await?;
        let authenticated = match application {
            Some(application) => self.check_secret(credentials, application, now).await?,
            None => None,
        };
        match authenticated {
            Some(application) => {
                self.succeeded(&keys, &standing).await?;
                Ok(application)
            }
            None => {
                self.events.record(Event::ClientAuthenticationFailed);
                self.failed(&keys, now).await?;
                Err(failed())
            }
        }
    }

    /// The application if `credentials` authenticate it by the method it must use: a
    /// confidential client's secret matches, a public client sent none, an assertion
    /// verifies. A secret still kept as Django hashed it (imported) is checked on the
    /// hashing threads and, once it matches, kept as Warrant keeps secrets.
    async fn check_secret(
        &self,
        credentials: &ClientCredentials,
        mut application: Application,
        now: OffsetDateTime,
    ) -> Result<Option<Application>, OAuthError> {
        let method_allowed = match (self.auth_method_of(&application), credentials) {
            (None, ClientCredentials::Assertion { .. }) => false,
            (None, _) => true,
            (
                Some(AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost),
                ClientCredentials::Secret { .. },
            )
            | (Some(AuthMethod::None), ClientCredentials::IdOnly { .. })
            | (
                Some(AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt),
                ClientCredentials::Assertion { .. },
            ) => true,
            _ => false,
        };
        if !method_allowed {
            return Ok(None);
        }
        if let ClientCredentials::Assertion {
            assertion,
            endpoint,
            ..
        } = credentials
        {
            let verified = self
                .verify_client_assertion(&application, assertion, endpoint, now)
                .await?;
            return Ok(verified.then_some(application));
        }
        let matched = match (
            credentials,
            application.client_type,
            &application.client_secret,
        ) {
            (
                ClientCredentials::Secret { secret, .. },
                ClientType::Confidential,
                Some(ClientSecretHash::Sha256(stored)),
            ) => verify_token(secret.expose(), stored),
            (
                ClientCredentials::Secret { secret, .. },
                ClientType::Confidential,
                Some(ClientSecretHash::Django(stored)),
            ) => {
                let matched = self.hasher.verify(secret, Some(stored)).await?;
                if matched {
                    application = self
                        .keep_secret_warrants_way(application, secret, now)
                        .await;
                }
                matched
            }
            (ClientCredentials::IdOnly { .. }, ClientType::Public, _) => true,
            _ => false,
        };
        Ok(matched.then_some(application))
    }

    /// `application` with its secret kept as SHA-256, as Warrant keeps secrets; if that
    /// cannot be written now, as it was (the next use tries again).
    async fn keep_secret_warrants_way(
        &self,
        mut application: Application,
        secret: &Secret<String>,
        now: OffsetDateTime,
    ) -> Application {
        let django_hashed = application.client_secret.clone();
        application.client_secret = Some(ClientSecretHash::Sha256(hash_token(secret.expose())));
        match self.store.update_application(&application, now).await {
            Ok(updated) => {
                self.clients.forget(&updated.client_id);
                updated
            }
            Err(error) => {
                tracing::warn!(client_id = %application.client_id.as_str(), %error, "client secret not re-hashed; the next use tries again");
                application.client_secret = django_hashed;
                application
            }
        }
    }

    /// Authenticates a caller of the introspection endpoint: only confidential clients
    /// (resource servers), since a public client's id proves nothing (RFC 7662 §2.1).
    pub async fn authenticate_resource_server(
        &self,
        credentials: &ClientCredentials,
        now: OffsetDateTime,
    ) -> Result<Application, OAuthError> {
        let application = self.authenticate_client(credentials, now).await?;
        if application.client_type == ClientType::Public {
            return Err(OAuthError::InvalidClient(
                "introspection needs a confidential client".into(),
            ));
        }
        Ok(application)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic_of(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    fn credentials(
        header: Option<&str>,
        form: &[(&'static str, &'static str)],
    ) -> Result<ClientCredentials, OAuthError> {
        ClientCredentials::from_request(
            header,
            |name| {
                form.iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| *value)
            },
            "https://as.example/o/token/",
        )
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let Ok(ClientCredentials::Secret { client_id, secret }) =
            credentials(Some(&basic_of("my%2Did", "s%3Acret+x")), &[])
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
        let body_secret = [("client_id", "a"), ("client_secret", "b")];
        assert!(matches!(
            credentials(Some(&basic_of("a", "b")), &body_secret),
            Err(OAuthError::InvalidRequest(_))
        ));
        for bad in [
            "Basic",
            "Basic !!!",
            "Bearer abc",
            &format!("Basic {}", STANDARD.encode("no-colon")),
        ] {
            assert!(
                matches!(
                    credentials(Some(bad), &[]),
                    Err(OAuthError::InvalidClient(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            credentials(None, &[]),
            Err(OAuthError::InvalidClient(_))
        ));
        assert!(matches!(
            credentials(Some(&basic_of("a", "b")), &[("client_id", "z")]),
            Err(OAuthError::InvalidRequest(_))
        ));
    }

    #[test]
    fn body_credentials_and_public_clients() {
        assert!(matches!(
            credentials(None, &[("client_id", "a"), ("client_secret", "b")]),
            Ok(ClientCredentials::Secret { .. })
        ));
        assert!(matches!(
            credentials(None, &[("client_id", "a")]),
            Ok(ClientCredentials::IdOnly { .. })
        ));
    }

    #[test]
    fn assertions_are_read_with_their_type_and_client() {
        // {"alg":"none"}.{"sub":"app-1"}: the parser reads whom it claims to be; the
        // signature is checked later, against that client's keys.
        const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhcHAtMSJ9.c2ln";
        let typed = ("client_assertion_type", JWT_BEARER_ASSERTION);
        let Ok(ClientCredentials::Assertion { client_id, .. }) =
            credentials(None, &[("client_assertion", JWT), typed])
        else {
            panic!("expected an assertion")
        };
        assert_eq!(
            client_id.as_str(),
            "app-1",
            "the client is the assertion's sub"
        );
        let refused = [
            (None, vec![("client_assertion", JWT)], "invalid_client"),
            (
                None,
                vec![
                    ("client_assertion", JWT),
                    ("client_assertion_type", "other"),
                ],
                "invalid_client",
            ),
            (
                None,
                vec![("client_assertion", "not-a-jwt"), typed],
                "invalid_client",
            ),
            (
                None,
                vec![("client_assertion", JWT), typed, ("client_id", "app-2")],
                "invalid_request",
            ),
            (
                None,
                vec![("client_assertion", JWT), typed, ("client_secret", "s")],
                "invalid_request",
            ),
            (
                Some(basic_of("app-1", "s")),
                vec![("client_assertion", JWT), typed],
                "invalid_request",
            ),
        ];
        for (header, form, code) in refused {
            let result = credentials(header.as_deref(), &form);
            assert_eq!(result.map(|_| ()).unwrap_err().code(), code, "{form:?}");
        }
    }
}
