use thiserror::Error;

/// Why a value could not become a domain type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModelError {
    /// A redirect URI broke one of RFC 6749 §3.1.2's or Warrant's rules.
    #[error("invalid redirect URI {uri:?}: {reason}")]
    RedirectUri {
        /// The rejected input.
        uri: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// A resource indicator broke RFC 8707 §2's rules.
    #[error("invalid resource {uri:?}: {reason}; expected an absolute URI without fragment")]
    Resource {
        /// The rejected input.
        uri: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// An origin was not `scheme://host[:port]`.
    #[error("invalid origin {0:?}: expected scheme://host[:port] with no path")]
    Origin(String),
    /// A scope token held characters RFC 6749 §3.3 does not allow.
    #[error(
        "invalid scope {0:?}: scopes are printable ASCII without spaces, quotes or backslashes"
    )]
    Scope(String),
    /// A client id was empty, too long or held characters that break HTTP Basic auth.
    #[error("invalid client id: 1 to 255 printable ASCII characters without spaces")]
    ClientId,
    /// A username broke Django's rules.
    #[error("invalid username {0:?}: 1 to 150 letters, digits and @ . + - _")]
    Username(String),
    /// An email address was malformed.
    #[error("invalid email address {0:?}")]
    Email(String),
    /// A grant type was not one Warrant knows.
    #[error(
        "unknown grant type {0:?}: expected authorization_code, implicit, password, client_credentials, refresh_token or device_code"
    )]
    GrantType(String),
    /// A set of grant types was empty.
    #[error("an application needs at least one grant type")]
    NoGrantTypes,
    /// A client type was neither `confidential` nor `public`.
    #[error("unknown client type {0:?}: expected confidential or public")]
    ClientType(String),
    /// A signing algorithm was not one Warrant implements.
    #[error("unknown signing algorithm {0:?}: expected RS256, ES256 or EdDSA")]
    SigningAlgorithm(String),
    /// A client authentication method was not one Warrant implements.
    #[error(
        "unknown token_endpoint_auth_method {0:?}: expected client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt or none"
    )]
    AuthMethod(String),
    /// A security profile was not one Warrant implements.
    #[error("unknown security profile {0:?}: expected standard or fapi2")]
    SecurityProfile(String),
    /// A client's JWK Set or its URL was not usable (RFC 7517).
    #[error("invalid client keys: {0}")]
    ClientKeys(String),
    /// A PKCE code challenge or method was malformed (RFC 7636 §4.2).
    #[error("invalid PKCE code challenge: {0}")]
    CodeChallenge(&'static str),
    /// A client app's base URL could not receive user records.
    #[error("invalid client app URL {url:?}: {reason}")]
    ClientAppUrl {
        /// The rejected input.
        url: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// A device flow user code was not eight letters of its alphabet.
    #[error("a user code is eight letters like BCDF-GHJK")]
    UserCode,
    /// A stored hash was not in the expected format.
    #[error("malformed {0}")]
    Hash(&'static str),
    /// A stored enumeration held a value this version does not know.
    #[error("unknown {kind} {value:?}")]
    Unknown {
        /// What was being read.
        kind: &'static str,
        /// The value found.
        value: String,
    },
}
