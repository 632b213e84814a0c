use thiserror::Error;

/// Setting up this crate's parts failed.
#[derive(Debug, Error)]
pub enum HttpError {
    /// The Rocket application could not start (a fairing or a route refused).
    #[error("the HTTP application could not start: {0}")]
    Launch(String),
}
