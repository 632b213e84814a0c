use thiserror::Error;
use warrant_generators::GeneratorError;
use warrant_model::{ClientId, Username};
use warrant_storage::StoreError;

/// What can go wrong in the grant engine.
#[derive(Debug, Error)]
pub enum GrantsError {
    /// No application has this client id.
    #[error("no application with client_id {0}")]
    UnknownClient(ClientId),
    /// No user has this username.
    #[error("no user named {0}")]
    UnknownUser(Username),
    /// A grant that redirects needs a registered redirect URI.
    #[error("the authorization_code and implicit grants need at least one redirect URI")]
    RedirectUriRequired,
    /// A public client has no secret, so it cannot authenticate for client credentials.
    #[error("a public client cannot use the client_credentials grant")]
    PublicClientCredentials,
    /// A public client was given a client secret.
    #[error("a public client has no client secret: leave client_secret out")]
    PublicClientSecret,
    /// A client secret was given empty.
    #[error("client_secret: must not be empty")]
    EmptyClientSecret,
    /// A client authentication method that does not fit the client's type.
    #[error(
        "token_endpoint_auth_method {method} is for {} clients, and this one is {client_type}",
        method.client_type()
    )]
    AuthMethodOfOtherType {
        /// The method.
        method: warrant_model::AuthMethod,
        /// The application's type.
        client_type: warrant_model::ClientType,
    },
    /// `private_key_jwt` without keys to check assertions with.
    #[error("private_key_jwt needs the client's public keys: give jwks or jwks_uri")]
    KeysRequired,
    /// Public clients have no secret to rotate.
    #[error("application {0} is public and has no client secret")]
    PublicClientHasNoSecret(ClientId),
    /// An application name was empty or too long.
    #[error("an application name must be 1 to 255 characters")]
    InvalidName,
    /// A password hash given for a new user is not one Warrant verifies.
    #[error(
        "password_hash: not a hash Warrant verifies (a well-formed pbkdf2_sha256, pbkdf2_sha1, argon2, bcrypt_sha256, bcrypt or scrypt hash in Django's format, or ! for an unusable password)"
    )]
    UnrecognizedPasswordHash,
    /// A new password was too short.
    #[error("passwords must be at least {0} characters long")]
    PasswordTooShort(usize),
    /// The engine was made without `secret_key` ([`KeyRing::without_secret_key`](crate::KeyRing::without_secret_key)) and was asked to sign, seal or open.
    #[error(
        "this needs secret_key, which is not set: set it in the config file or WARRANT_SECRET_KEY"
    )]
    NoSecretKey,
    /// The store failed or refused the change.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A generator or crypto helper failed.
    #[error(transparent)]
    Generator(#[from] GeneratorError),
}
