use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    ApplicationId, AuthMethod, ClientId, ClientKeys, ClientSecretHash, ClientType, GrantTypes,
    ModelError, Origin, RedirectUri, Resources, Sealed, Timestamp, UserId,
};

/// A JWS algorithm Warrant signs ID tokens and JWT access tokens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (required by OpenID Connect Core).
    RS256,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// Ed25519.
    EdDSA,
}

impl SigningAlgorithm {
    /// Every algorithm, RS256 (OpenID Connect's required one) first.
    pub const ALL: [SigningAlgorithm; 3] = [Self::RS256, Self::ES256, Self::EdDSA];

    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
        }
    }

    /// Parses a JWS `alg` name.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        match value {
            "RS256" => Ok(Self::RS256),
            "ES256" => Ok(Self::ES256),
            "EdDSA" => Ok(Self::EdDSA),
            other => Err(ModelError::SigningAlgorithm(other.to_owned())),
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of rules a client is held to as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityProfile {
    /// OAuth 2.0 and OpenID Connect as Django OAuth Toolkit's clients use them, with the
    /// application's own settings.
    Standard,
    /// The FAPI 2.0 Security Profile: pushed requests, the code flow with PKCE S256,
    /// `private_key_jwt`, DPoP-bound tokens, short-lived codes (docs/high-assurance.md).
    Fapi2,
}

impl SecurityProfile {
    /// The configured name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Fapi2 => "fapi2",
        }
    }

    /// Parses a configured name.
    pub fn parse(name: &str) -> Result<Self, ModelError> {
        match name {
            "standard" => Ok(Self::Standard),
            "fapi2" => Ok(Self::Fapi2),
            other => Err(ModelError::SecurityProfile(other.to_owned())),
        }
    }
}

/// What a client must do beyond OAuth's defaults, each set per application by operators
/// (the server may require some of all clients).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSecurity {
    /// Its authorization requests must be pushed first (RFC 9126 §6,
    /// `require_pushed_authorization_requests`).
    pub require_pushed_requests: bool,
    /// The one way it authenticates; `None`: as Django OAuth Toolkit's clients do, with
    /// the secret in Basic or the body when confidential, with none when public.
    pub auth_method: Option<AuthMethod>,
    /// Its public keys, for `private_key_jwt`.
    pub keys: Option<ClientKeys>,
    /// Its token requests must carry a DPoP proof, so its access tokens are always bound
    /// to a key (RFC 9449 §5.2, `dpop_bound_access_tokens`).
    pub require_dpop: bool,
    /// The profile it is held to; `None`: the server's default (`oauth2.security_profile`).
    pub profile: Option<SecurityProfile>,
}

/// A registered client (Django OAuth Toolkit's `Application`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Database id.
    pub id: ApplicationId,
    /// Public identifier sent by the client.
    pub client_id: ClientId,
    /// Hash of the client secret; `None` for public clients.
    pub client_secret: Option<ClientSecretHash>,
    /// Confidential or public.
    pub client_type: ClientType,
    /// The grants this application may use.
    pub grant_types: GrantTypes,
    /// Exact-match redirection endpoints.
    pub redirect_uris: Vec<RedirectUri>,
    /// Where RP-initiated logout may send the user afterwards.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// Browser origins allowed to call the token, revocation, introspection and userinfo
    /// endpoints (CORS).
    pub allowed_origins: Vec<Origin>,
    /// The resources (RFC 8707) its tokens may be for; empty: any the server serves.
    pub allowed_resources: Resources,
    /// Shown on the consent page.
    pub name: String,
    /// The user who registered it; `None` for applications created by operators.
    pub owner: Option<UserId>,
    /// Trusted first-party application: no consent page.
    pub skip_authorization: bool,
    /// Whether PKCE is required even for a confidential client.
    pub pkce_required: bool,
    /// ID-token signing algorithm; `None` when the application does not use OpenID Connect.
    pub algorithm: Option<SigningAlgorithm>,
    /// What it must do beyond OAuth's defaults.
    pub security: ClientSecurity,
    /// The client secret sealed under the server's key, kept only for `client_secret_jwt`
    /// (the assertion's HMAC key); otherwise only its hash is kept.
    pub sealed_secret: Option<Sealed>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// An application to register; the store assigns the id and times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApplication {
    /// Public identifier.
    pub client_id: ClientId,
    /// Hash of the client secret.
    pub client_secret: Option<ClientSecretHash>,
    /// Confidential or public.
    pub client_type: ClientType,
    /// Allowed grants.
    pub grant_types: GrantTypes,
    /// Redirection endpoints.
    pub redirect_uris: Vec<RedirectUri>,
    /// Post-logout redirection endpoints.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// CORS origins.
    pub allowed_origins: Vec<Origin>,
    /// The resources (RFC 8707) its tokens may be for; empty: any the server serves.
    pub allowed_resources: Resources,
    /// Display name.
    pub name: String,
    /// Registering user.
    pub owner: Option<UserId>,
    /// Skip the consent page.
    pub skip_authorization: bool,
    /// Require PKCE.
    pub pkce_required: bool,
    /// ID-token algorithm.
    pub algorithm: Option<SigningAlgorithm>,
    /// What it must do beyond OAuth's defaults.
    pub security: ClientSecurity,
    /// The client secret sealed, for `client_secret_jwt` only.
    pub sealed_secret: Option<Sealed>,
}
