//! Pushed authorization requests (RFC 9126): an authorization request a client sent to the
//! server directly, kept until the browser brings its `request_uri`.

use crate::{ApplicationId, Sealed, Timestamp, TokenHash};

/// A pushed authorization request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRequest {
    /// SHA-256 of the `request_uri` handed to the client (the URI itself is not kept).
    pub request_uri_hash: TokenHash,
    /// The client that pushed it; only that client may use it.
    pub application_id: ApplicationId,
    /// The request's parameters, sealed (they may carry what only the server should read).
    pub params: Sealed,
    /// When it was pushed.
    pub created_at: Timestamp,
    /// Until when it may first be used at the authorization endpoint.
    pub expires_at: Timestamp,
    /// When a browser first brought it to the authorization endpoint: from then on it lasts
    /// while the user logs in and decides, and a login after this time satisfies the
    /// request's `prompt=login` and `max_age`.
    pub opened_at: Option<Timestamp>,
}
