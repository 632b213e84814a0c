use thiserror::Error;

/// Setting up this crate's parts failed.
#[derive(Debug, Error)]
pub enum HttpError {
    /// The introspection endpoint given to a resource server cannot be used.
    #[error("unusable introspection endpoint: {0}")]
    IntrospectionEndpoint(String),
    /// The Rocket application could not start (a fairing or a route refused).
    #[error("the HTTP application could not start: {0}")]
    Launch(String),
}
