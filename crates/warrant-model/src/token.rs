use std::fmt;

use crate::{
    ApplicationId, ModelError, RedirectUri, Resources, ScopeSet, Timestamp, TokenHash, UserId,
};

/// Groups every token issued from one original grant, so that reuse of a rotated refresh
/// token or of an authorization code revokes them all together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FamilyId(String);

impl FamilyId {
    /// Wraps a random identifier (see `warrant_generators::family_id`).
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FamilyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// PKCE transformation (RFC 7636 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeChallengeMethod {
    /// `S256`: BASE64URL(SHA256(verifier)).
    S256,
    /// `plain`: the verifier itself; accepted only when configured.
    Plain,
}

impl CodeChallengeMethod {
    /// The RFC 7636 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S256 => "S256",
            Self::Plain => "plain",
        }
    }

    /// Parses the RFC 7636 name.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        match value {
            "S256" => Ok(Self::S256),
            "plain" => Ok(Self::Plain),
            _ => Err(ModelError::CodeChallenge("unknown code_challenge_method")),
        }
    }
}

/// A PKCE code challenge: 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge {
    method: CodeChallengeMethod,
    value: String,
}

impl CodeChallenge {
    /// Parses a challenge sent with `method`.
    pub fn parse(method: CodeChallengeMethod, value: &str) -> Result<Self, ModelError> {
        let valid = (43..=128).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if valid {
            Ok(Self {
                method,
                value: value.to_owned(),
            })
        } else {
            Err(ModelError::CodeChallenge(
                "expected 43 to 128 unreserved characters",
            ))
        }
    }

    /// The transformation.
    pub fn method(&self) -> CodeChallengeMethod {
        self.method
    }

    /// The challenge text.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// An issued authorization code (RFC 6749 §4.1.2); only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    /// Database id.
    pub id: i64,
    /// SHA-256 of the code.
    pub code_hash: TokenHash,
    /// The client it was issued to.
    pub application_id: ApplicationId,
    /// The resource owner who approved it.
    pub user_id: UserId,
    /// The redirect URI the answer went to.
    pub redirect_uri: RedirectUri,
    /// Whether the authorization request named `redirect_uri`; the token request must
    /// then repeat it (RFC 6749 §4.1.3).
    pub redirect_uri_included: bool,
    /// Granted scopes.
    pub scope: ScopeSet,
    /// The resources it is for (RFC 8707), its audience; empty when none was named.
    pub resources: Resources,
    /// PKCE challenge, if the request carried one.
    pub code_challenge: Option<CodeChallenge>,
    /// OpenID Connect nonce to put into the ID token.
    pub nonce: Option<String>,
    /// The DPoP key the code is bound to (RFC 9449 §10): its exchange must prove it.
    pub dpop_jkt: Option<String>,
    /// When the user authenticated (OIDC `auth_time`).
    pub auth_time: Timestamp,
    /// Issue time.
    pub created_at: Timestamp,
    /// Expiry (RFC 6749 recommends at most ten minutes; default 60 s).
    pub expires_at: Timestamp,
    /// Set by the one token request that redeemed it.
    pub consumed_at: Option<Timestamp>,
}

/// An authorization code to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuthorizationCode {
    /// SHA-256 of the code.
    pub code_hash: TokenHash,
    /// Client.
    pub application_id: ApplicationId,
    /// Resource owner.
    pub user_id: UserId,
    /// Redirect URI the answer goes to.
    pub redirect_uri: RedirectUri,
    /// Whether the authorization request named it.
    pub redirect_uri_included: bool,
    /// Granted scopes.
    pub scope: ScopeSet,
    /// The resources it is for (RFC 8707), its audience; empty when none was named.
    pub resources: Resources,
    /// PKCE challenge.
    pub code_challenge: Option<CodeChallenge>,
    /// OIDC nonce.
    pub nonce: Option<String>,
    /// The DPoP key it is bound to.
    pub dpop_jkt: Option<String>,
    /// Authentication time.
    pub auth_time: Timestamp,
    /// Issue time.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// An issued access token; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// Database id.
    pub id: i64,
    /// SHA-256 of the token.
    pub token_hash: TokenHash,
    /// Client.
    pub application_id: ApplicationId,
    /// Resource owner; `None` for client credentials.
    pub user_id: Option<UserId>,
    /// Granted scopes.
    pub scope: ScopeSet,
    /// The resources it is for (RFC 8707), its audience; empty when none was named.
    pub resources: Resources,
    /// The grant family this token belongs to.
    pub family: FamilyId,
    /// The authorization code it was issued from, if any.
    pub authorization_code_id: Option<i64>,
    /// The thumbprint of the key it is bound to (DPoP, RFC 9449 `cnf.jkt`): only requests
    /// with a proof of that key may use it.
    pub dpop_jkt: Option<String>,
    /// Issue time.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Set when revoked.
    pub revoked_at: Option<Timestamp>,
}

/// An access token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessToken {
    /// SHA-256 of the token.
    pub token_hash: TokenHash,
    /// Client.
    pub application_id: ApplicationId,
    /// Resource owner.
    pub user_id: Option<UserId>,
    /// Granted scopes.
    pub scope: ScopeSet,
    /// The resources it is for (RFC 8707), its audience; empty when none was named.
    pub resources: Resources,
    /// Grant family.
    pub family: FamilyId,
    /// Source authorization code.
    pub authorization_code_id: Option<i64>,
    /// The DPoP key it is bound to.
    pub dpop_jkt: Option<String>,
    /// Issue time.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// An issued refresh token; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// Database id.
    pub id: i64,
    /// SHA-256 of the token.
    pub token_hash: TokenHash,
    /// Client.
    pub application_id: ApplicationId,
    /// Resource owner.
    pub user_id: Option<UserId>,
    /// Scopes it may request again (a refresh may only narrow them).
    pub scope: ScopeSet,
    /// The resources it is for (RFC 8707), its audience; empty when none was named.
    pub resources: Resources,
    /// Grant family.
    pub family: FamilyId,
    /// The access token issued together with it.
    pub access_token_id: Option<i64>,
    /// When the user authenticated for the grant it continues (OIDC `auth_time`), if known.
    pub auth_time: Option<Timestamp>,
    /// The DPoP key it is bound to (a public client's; RFC 9449 §5): a refresh must prove it.
    pub dpop_jkt: Option<String>,
    /// Issue time.
    pub created_at: Timestamp,
    /// Expiry; `None` lives until revoked (Django OAuth Toolkit's default).
    pub expires_at: Option<Timestamp>,
    /// Set when it was exchanged for a new pair (rotation).
    pub rotated_at: Option<Timestamp>,
    /// Set when revoked.
    pub revoked_at: Option<Timestamp>,
}

/// A refresh token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    /// SHA-256 of the token.
    pub token_hash: TokenHash,
    /// Client.
    pub application_id: ApplicationId,
    /// Resource owner.
    pub user_id: Option<UserId>,
    /// Scopes.
    pub scope: ScopeSet,
    /// The resources it is for (RFC 8707), its audience; empty when none was named.
    pub resources: Resources,
    /// Grant family.
    pub family: FamilyId,
    /// The access token issued with it.
    pub access_token_id: Option<i64>,
    /// When the user authenticated for the grant, if known.
    pub auth_time: Option<Timestamp>,
    /// The DPoP key it is bound to.
    pub dpop_jkt: Option<String>,
    /// Issue time.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Option<Timestamp>,
}
