//! Client authentication (RFC 6749 §2.3).

use time::OffsetDateTime;
use warrant_generators::verify_token;
use warrant_model::{Application, ClientId, ClientType, Secret, ThrottleKind};

use crate::throttle::{Keys, Standing};
use crate::{Engine, OAuthError};

/// How a client identified itself at the token, revocation or introspection endpoint.
/// The HTTP frontend builds it from `Authorization: Basic` (`client_secret_basic`) or
/// `client_id`/`client_secret` form fields (`client_secret_post`), refusing requests that
/// use both.
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
}

impl ClientCredentials {
    /// The client id, however the client authenticates.
    pub fn client_id(&self) -> &ClientId {
        match self {
            Self::Secret { client_id, .. } | Self::IdOnly { client_id } => client_id,
        }
    }
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
        let application = self.clients.application(self.store, client_id).await?;
        let authenticated = application.filter(|application| {
            match (
                credentials,
                application.client_type,
                &application.client_secret,
            ) {
                (
                    ClientCredentials::Secret { secret, .. },
                    ClientType::Confidential,
                    Some(stored),
                ) => verify_token(secret.expose(), stored),
                (ClientCredentials::IdOnly { .. }, ClientType::Public, _) => true,
                _ => false,
            }
        });
        match authenticated {
            Some(application) => {
                self.succeeded(&keys, &standing).await?;
                Ok(application)
            }
            None => {
                self.failed(&keys, now).await?;
                Err(failed())
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
