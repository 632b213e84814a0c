//! How the flows talk to providers: the [`HttpClient`] trait, so tests can answer for a
//! provider; [`warrant_outgoing::Client`] is the real one.

use async_trait::async_trait;
use warrant_outgoing::{OutgoingError, Request, Response};

use crate::UpstreamError;

/// Sends requests to providers.
#[async_trait]
pub trait HttpClient: Send + Sync {
    /// Sends `request`; an error when no answer came.
    async fn send(&self, request: Request) -> Result<Response, UpstreamError>;
}

#[async_trait]
impl HttpClient for warrant_outgoing::Client {
    async fn send(&self, request: Request) -> Result<Response, UpstreamError> {
        let provider = request.url.to_string();
        warrant_outgoing::Client::send(self, request)
            .await
            .map_err(|error| UpstreamError::Unreachable {
                provider,
                reason: match error {
                    OutgoingError::Unreachable { reason, .. } => reason,
                    other => other.to_string(),
                },
            })
    }
}
