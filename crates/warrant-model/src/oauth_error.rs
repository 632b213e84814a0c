use thiserror::Error;

/// An OAuth protocol error: one variant per error code of RFC 6749 §4.1.2.1 / §5.2,
/// RFC 6750 §3.1, RFC 7009 §2.2.1, RFC 8628 §3.5 and OIDC Core §3.1.2.6, each with the description sent to the client.
///
/// The HTTP status, JSON body and `WWW-Authenticate` header for each code are decided in
/// one place in `warrant-guards`. Internal failures become [`OAuthError::ServerError`] or
/// [`OAuthError::TemporarilyUnavailable`] where they happen (`warrant-storage`,
/// `warrant-generators`, `warrant-grants`), with the cause logged, never sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OAuthError {
    /// `invalid_request`: a parameter is missing, repeated, malformed or unsupported.
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// `invalid_client`: client authentication failed (unknown client, wrong secret,
    /// missing or unsupported authentication method).
    #[error("invalid_client: {0}")]
    InvalidClient(String),
    /// `invalid_grant`: the code, refresh token or resource-owner credentials are invalid,
    /// expired, revoked, used, or were issued to another client or redirect URI.
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    /// `unauthorized_client`: the client may not use this grant or response type.
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(String),
    /// `unsupported_grant_type`.
    #[error("unsupported_grant_type: {0}")]
    UnsupportedGrantType(String),
    /// `unsupported_response_type`.
    #[error("unsupported_response_type: {0}")]
    UnsupportedResponseType(String),
    /// `invalid_scope`: unknown scope, or wider than the grant allows.
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    /// `invalid_redirect_uri` (RFC 7591 §3.2.2): a registered redirect URI is refused.
    #[error("invalid_redirect_uri: {0}")]
    InvalidRedirectUri(String),
    /// `invalid_client_metadata` (RFC 7591 §3.2.2): other client metadata is refused.
    #[error("invalid_client_metadata: {0}")]
    InvalidClientMetadata(String),
    /// `invalid_software_statement` (RFC 7591 §3.2.2): Warrant takes none.
    #[error("invalid_software_statement: {0}")]
    InvalidSoftwareStatement(String),
    /// `invalid_target` (RFC 8707 §2): a `resource` that is malformed, not one the server
    /// serves, or wider than the grant allows.
    #[error("invalid_target: {0}")]
    InvalidTarget(String),
    /// `invalid_request_uri` (RFC 9101 §7, used by RFC 9126): a `request_uri` that is
    /// unknown, expired, used, or another client's.
    #[error("invalid_request_uri: {0}")]
    InvalidRequestUri(String),
    /// `invalid_dpop_proof` (RFC 9449 §5, §7.1): a DPoP proof that is missing where one is
    /// required, malformed, for another request, too old, used before, or of another key.
    #[error("invalid_dpop_proof: {0}")]
    InvalidDpopProof(String),
    /// `use_dpop_nonce` (RFC 9449 §8): the proof must carry the server's nonce, sent in the
    /// `DPoP-Nonce` header.
    #[error("use_dpop_nonce")]
    UseDpopNonce {
        /// The nonce to use.
        nonce: String,
    },
    /// `access_denied`: the resource owner refused.
    #[error("access_denied: {0}")]
    AccessDenied(String),
    /// `login_required` (OIDC Core §3.1.2.6): `prompt=none`, and the user must log in.
    #[error("login_required: {0}")]
    LoginRequired(String),
    /// `consent_required` (OIDC Core §3.1.2.6): `prompt=none`, and the user must consent.
    #[error("consent_required: {0}")]
    ConsentRequired(String),
    /// `authorization_pending` (RFC 8628 §3.5): the user has not decided yet.
    #[error("authorization_pending: {0}")]
    AuthorizationPending(String),
    /// `slow_down` (RFC 8628 §3.5): polled faster than the interval.
    #[error("slow_down: {0}")]
    SlowDown(String),
    /// `expired_token` (RFC 8628 §3.5): the device code expired.
    #[error("expired_token: {0}")]
    ExpiredToken(String),
    /// `unsupported_token_type` (RFC 7009).
    #[error("unsupported_token_type: {0}")]
    UnsupportedTokenType(String),
    /// `invalid_token` (RFC 6750): a bearer token that is unknown, expired, revoked, or
    /// does not speak for a user where one is needed.
    #[error("invalid_token: {0}")]
    InvalidToken(String),
    /// `insufficient_scope` (RFC 6750): the token lacks a scope the resource needs.
    #[error("insufficient_scope: {description}")]
    InsufficientScope {
        /// What is missing, in words.
        description: String,
        /// The scopes the resource needs (RFC 6750 §3's `scope` attribute); empty when no
        /// scope would do.
        required: Vec<String>,
    },
    /// `server_error`: an internal failure (logged, not described to the client).
    #[error("server_error")]
    ServerError,
    /// `temporarily_unavailable`: the database cannot be reached.
    #[error("temporarily_unavailable")]
    TemporarilyUnavailable,
}

impl OAuthError {
    /// The RFC error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::UnsupportedResponseType(_) => "unsupported_response_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::InvalidTarget(_) => "invalid_target",
            Self::InvalidRedirectUri(_) => "invalid_redirect_uri",
            Self::InvalidClientMetadata(_) => "invalid_client_metadata",
            Self::InvalidSoftwareStatement(_) => "invalid_software_statement",
            Self::InvalidRequestUri(_) => "invalid_request_uri",
            Self::InvalidDpopProof(_) => "invalid_dpop_proof",
            Self::UseDpopNonce { .. } => "use_dpop_nonce",
            Self::AccessDenied(_) => "access_denied",
            Self::LoginRequired(_) => "login_required",
            Self::AuthorizationPending(_) => "authorization_pending",
            Self::SlowDown(_) => "slow_down",
            Self::ExpiredToken(_) => "expired_token",
            Self::ConsentRequired(_) => "consent_required",
            Self::UnsupportedTokenType(_) => "unsupported_token_type",
            Self::InvalidToken(_) => "invalid_token",
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// The human-readable `error_description`, if any.
    pub fn description(&self) -> Option<&str> {
        match self {
            Self::InvalidRequest(d)
            | Self::InvalidClient(d)
            | Self::InvalidGrant(d)
            | Self::UnauthorizedClient(d)
            | Self::UnsupportedGrantType(d)
            | Self::UnsupportedResponseType(d)
            | Self::InvalidScope(d)
            | Self::InvalidTarget(d)
            | Self::InvalidRedirectUri(d)
            | Self::InvalidClientMetadata(d)
            | Self::InvalidSoftwareStatement(d)
            | Self::InvalidRequestUri(d)
            | Self::InvalidDpopProof(d)
            | Self::AccessDenied(d)
            | Self::LoginRequired(d)
            | Self::AuthorizationPending(d)
            | Self::SlowDown(d)
            | Self::ExpiredToken(d)
            | Self::ConsentRequired(d)
            | Self::UnsupportedTokenType(d)
            | Self::InvalidToken(d)
            | Self::InsufficientScope { description: d, .. } => Some(d),
            Self::UseDpopNonce { .. } => Some("the DPoP proof must carry the server's nonce"),
            Self::ServerError | Self::TemporarilyUnavailable => None,
        }
    }
}
