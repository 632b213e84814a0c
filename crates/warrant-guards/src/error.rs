use thiserror::Error;

/// Setting up a resource server failed.
#[derive(Debug, Error)]
pub enum GuardsError {
    /// The introspection endpoint given to a resource server cannot be used.
    #[error("unusable introspection endpoint: {0}")]
    IntrospectionEndpoint(String),
}
