//! Request guards that protect a Rocket API with Warrant's access tokens (RFC 6750): the
//! Rocket equivalents of Django OAuth Toolkit's permission classes and of
//! ocs-authentication's `IsAdminOrReadOnly`. They work in any Rocket application, not only
//! in the Warrant server.
//!
//! Attach a [`ResourceServer`] (it says how tokens are checked: against Warrant's database,
//! or remotely through its introspection endpoint) and take a guard as a handler argument:
//!
//! ```no_run
//! use rocket::{get, routes};
//! use warrant_guards::{ResourceServer, TokenHasResourceScope};
//!
//! warrant_guards::required_scopes!(Music = ["music"]);
//!
//! #[get("/songs")]
//! fn songs(_access: TokenHasResourceScope<Music>) -> &'static str {
//!     "music:read was granted"
//! }
//!
//! # fn launch(introspection: warrant_guards::IntrospectionClient) {
//! rocket::build()
//!     .attach(ResourceServer::introspection(introspection).fairing())
//!     .mount("/", routes![songs]);
//! # }
//! ```
//!
//! A refused request answers as RFC 6750 §3 says: 401 with `WWW-Authenticate: Bearer` (and
//! `error="invalid_token"` when a token was sent but is not live), 403 `insufficient_scope`
//! when the token lacks a scope, 400 `invalid_request` for a malformed `Authorization`
//! header, 503 when the token cannot be checked. The fairing registers the catchers that
//! write these answers, for statuses 400, 401, 403, 500 and 503.
//!
//! `OPTIONS` requests (CORS preflight) pass the permission guards unauthenticated.
//!
//! [`OAuthJson`] is the one place an [`OAuthError`] becomes an HTTP answer (status, body,
//! `WWW-Authenticate`), here and in the Warrant server. [`checked_bearer`], [`refuse`] and
//! [`resource_server`] are the parts to build guards of one's own from.
//!
//! Feature `database` (on by default) adds [`ResourceServer::database`]: tokens and
//! Warrant's session cookie checked in Warrant's own database. Without it only
//! introspection is compiled, and nothing of sqlx, `warrant-storage` or `warrant-grants`.
//!
//! This crate must not know about Warrant's pages, endpoints or configuration files.

#![forbid(unsafe_code)]

mod bearer;
mod dpop;
mod error;
mod introspection;
mod oauth_response;
mod permissions;
mod protected_resource;
#[cfg(feature = "database")]
mod session;

use rocket::fairing::AdHoc;
use rocket::http::{Method, Status};
use rocket::request::{Outcome, Request};
use rocket::{Catcher, catch, catchers};
use time::OffsetDateTime;
use warrant_model::{OAuthError, Secret, User};

pub use bearer::{BearerToken, authorization_credentials, checked_bearer};
pub use dpop::DPOP_PROOF_MAX_AGE;
pub use error::GuardsError;
pub use introspection::IntrospectionClient;
pub use oauth_response::{OAuthJson, retry_after, status_of};
pub use permissions::{
    IsAdminOrReadOnly, IsAuthenticatedOrTokenHasScope, NoScopes, RequiredScopes,
    TokenHasReadWriteScope, TokenHasResourceScope, TokenHasScope,
};
pub use protected_resource::{ProtectedResource, PublicDocument};
#[cfg(feature = "database")]
pub use session::SESSION_COOKIE;
/// How an [`IntrospectionClient`] reaches its endpoint (deadline, private CA, plain http).
pub use warrant_outgoing::ClientOptions;

/// How the guards of one Rocket application check tokens, and Django OAuth Toolkit's
/// `READ_SCOPE` / `WRITE_SCOPE` for [`TokenHasReadWriteScope`].
pub struct ResourceServer {
    source: TokenSource,
    read_scope: String,
    write_scope: String,
    protected_resource: Option<ProtectedResource>,
    /// The URL this API is reached at, for DPoP proofs' `htu` (see
    /// [`ResourceServer::with_public_url`]).
    public_url: Option<String>,
    /// DPoP proofs seen, when the database cannot record them (introspection mode).
    seen_proofs: warrant_cache::TtlMap<String, ()>,
}

enum TokenSource {
    /// Warrant's own database: a revoked token is refused at once, and Warrant's session
    /// cookie authenticates users for [`IsAuthenticatedOrTokenHasScope`] and
    /// [`IsAdminOrReadOnly`].
    #[cfg(feature = "database")]
    Database(std::sync::Arc<dyn warrant_storage::Store>),
    /// Warrant's introspection endpoint (RFC 7662), with a short cache.
    Introspection(Box<IntrospectionClient>),
}

impl ResourceServer {
    /// Checks tokens against Warrant's database.
    #[cfg(feature = "database")]
    pub fn database(store: std::sync::Arc<dyn warrant_storage::Store>) -> Self {
        Self::new(TokenSource::Database(store))
    }

    /// Checks tokens through an introspection endpoint.
    pub fn introspection(client: IntrospectionClient) -> Self {
        Self::new(TokenSource::Introspection(Box::new(client)))
    }

    fn new(source: TokenSource) -> Self {
        Self {
            source,
            read_scope: "read".to_owned(),
            write_scope: "write".to_owned(),
            protected_resource: None,
            public_url: None,
            seen_proofs: warrant_cache::TtlMap::new(100_000),
        }
    }

    /// The URL this API is reached at from outside (scheme, host, and any path prefix a
    /// proxy strips), which DPoP proofs name with the request's path; default: the
    /// protected resource's origin, else the request's `Host` (`http` on loopback, `https`
    /// otherwise).
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.to_owned());
        self
    }

    /// Records the first use of a DPoP proof (on the database, shared by every instance,
    /// in database mode; in this process otherwise); false if it was used before.
    async fn first_proof_use(
        &self,
        proof: &warrant_generators::DpopProof,
        expires_at: OffsetDateTime,
    ) -> Result<bool, Refusal> {
        let key = warrant_generators::hash_token(&format!("dpop {} {}", proof.jkt, proof.jti));
        match &self.source {
            #[cfg(feature = "database")]
            TokenSource::Database(store) => store
                .first_use(&key, expires_at)
                .await
                .map_err(|error| Refusal::Token(error.into())),
            TokenSource::Introspection(_) => {
                let key = key.to_hex();
                if self.seen_proofs.get(&key).is_some() {
                    return Ok(false);
                }
                let lifetime = (expires_at - OffsetDateTime::now_utc()).unsigned_abs();
                self.seen_proofs.insert(key, (), lifetime);
                Ok(true)
            }
        }
    }

    /// Publishes `resource`'s metadata (RFC 9728) at its well-known URL, names that URL in
    /// every challenge (`resource_metadata`), and takes only tokens issued for it (RFC
    /// 8707's audience; a token for another resource is `invalid_token`).
    pub fn with_protected_resource(mut self, resource: ProtectedResource) -> Self {
        self.protected_resource = Some(resource);
        self
    }

    /// The scopes [`TokenHasReadWriteScope`] requires for safe and for other methods
    /// (default `read` and `write`).
    pub fn with_read_write_scopes(mut self, read: &str, write: &str) -> Self {
        read.clone_into(&mut self.read_scope);
        write.clone_into(&mut self.write_scope);
        self
    }

    /// A fairing that makes this the application's resource server and registers the
    /// catchers that answer refusals.
    pub fn fairing(self) -> AdHoc {
        AdHoc::on_ignite("Warrant resource server", |rocket| async move {
            let rocket = match self.protected_resource {
                Some(_) => rocket.mount("/", protected_resource::routes()),
                None => rocket,
            };
            rocket.manage(self).register("/", catchers())
        })
    }

    /// Checks a token sent with `scheme`: live, for this resource, and bound to a key
    /// exactly when sent as DPoP with a proof of it.
    async fn check_presented(
        &self,
        request: &Request<'_>,
        scheme: dpop::Scheme,
        token: &Secret<String>,
    ) -> Result<BearerToken, Refusal> {
        let checked = self.check(token).await?;
        self.check_binding(request, scheme, token, &checked).await?;
        Ok(checked)
    }

    /// Checks a bearer token, and that it is for this resource.
    async fn check(&self, token: &Secret<String>) -> Result<BearerToken, Refusal> {
        let checked = self.check_token(token).await?;
        match &self.protected_resource {
            Some(resource) if !resource.admits(&checked.audience) => Err(Refusal::Token(
                OAuthError::InvalidToken("the access token is not for this resource".into()),
            )),
            _ => Ok(checked),
        }
    }

    async fn check_token(&self, token: &Secret<String>) -> Result<BearerToken, Refusal> {
        let now = OffsetDateTime::now_utc();
        match &self.source {
            #[cfg(feature = "database")]
            TokenSource::Database(store) => {
                warrant_grants::authenticate_bearer(&**store, token, now)
                    .await
                    .map(BearerToken::from)
                    .map_err(Refusal::Token)
            }
            TokenSource::Introspection(client) => client.check(token, now).await,
        }
    }

    /// The user of Warrant's session cookie (database mode only: a remote resource server
    /// cannot see Warrant's sessions). A write it authenticates must come from this site.
    pub async fn session_user(&self, request: &Request<'_>) -> Result<Option<User>, Refusal> {
        match &self.source {
            #[cfg(feature = "database")]
            TokenSource::Database(store) => session::session_user(&**store, request).await,
            TokenSource::Introspection(_) => {
                let _ = request;
                Ok(None)
            }
        }
    }
}

/// Why a guard refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No credentials at all: 401 with a bare `Bearer` challenge (RFC 6750 §3.1).
    CredentialsRequired,
    /// The token, or the attempt to check it, failed: `invalid_request`, `invalid_token`,
    /// `insufficient_scope` or `temporarily_unavailable`.
    Token(OAuthError),
    /// A write authenticated by the session cookie came from another site (403).
    CrossSite,
    /// A write that only staff users may make (403).
    NotStaff,
    /// A token sent as `DPoP`, or a DPoP-bound one sent as `Bearer`, refused: 401 with a
    /// `DPoP` challenge (RFC 9449 §7.1).
    Dpop(OAuthError),
}

impl Refusal {
    fn status(&self) -> Status {
        match self {
            Self::CredentialsRequired | Self::Dpop(_) => Status::Unauthorized,
            Self::Token(error) => status_of(error),
            Self::CrossSite | Self::NotStaff => Status::Forbidden,
        }
    }

    fn into_answer(self) -> OAuthJson {
        match self {
            Self::CredentialsRequired => OAuthJson::bearer_token_required(),
            Self::Token(error) => error.into(),
            Self::CrossSite => OAuthJson::forbidden("a cross-site request may not use the session"),
            Self::NotStaff => OAuthJson::forbidden("only staff users may do this"),
            Self::Dpop(error) => OAuthJson::dpop_refusal(&error),
        }
    }
}

/// The refusal of this request, kept for the catcher that answers it.
struct RequestRefusal(Option<Refusal>);

/// Fails the guard with `refusal`, which the catchers then write out.
pub fn refuse<T>(request: &Request<'_>, refusal: Refusal) -> Outcome<T, Refusal> {
    request.local_cache(|| RequestRefusal(Some(refusal.clone())));
    Outcome::Error((refusal.status(), refusal))
}

/// The resource server attached to this application.
pub fn resource_server<'r>(request: &'r Request<'_>) -> Result<&'r ResourceServer, Refusal> {
    request.rocket().state::<ResourceServer>().ok_or_else(|| {
        tracing::error!("a Warrant guard is used but ResourceServer::fairing() is not attached");
        Refusal::Token(OAuthError::ServerError)
    })
}

/// Whether the method cannot change anything (RFC 9110 §9.2.1, as Django REST framework's
/// `SAFE_METHODS`).
pub fn is_safe(method: Method) -> bool {
    matches!(method, Method::Get | Method::Head | Method::Options)
}

/// The catchers that write guard refusals; statuses without a refusal get a small JSON body.
pub fn catchers() -> Vec<Catcher> {
    catchers![
        bad_request,
        unauthorized,
        forbidden,
        internal_error,
        unavailable
    ]
}

fn answer(status: Status, request: &Request<'_>) -> OAuthJson {
    match &request.local_cache(|| RequestRefusal(None)).0 {
        Some(refusal) => {
            let answer = refusal.clone().into_answer();
            let metadata = request
                .rocket()
                .state::<ResourceServer>()
                .and_then(|server| server.protected_resource.as_ref());
            match metadata {
                Some(resource) => answer.with_resource_metadata(&resource.metadata_url()),
                None => answer,
            }
        }
        None => OAuthJson::status(status),
    }
}

#[catch(400)]
fn bad_request(request: &Request<'_>) -> OAuthJson {
    answer(Status::BadRequest, request)
}

#[catch(401)]
fn unauthorized(request: &Request<'_>) -> OAuthJson {
    answer(Status::Unauthorized, request)
}

#[catch(403)]
fn forbidden(request: &Request<'_>) -> OAuthJson {
    answer(Status::Forbidden, request)
}

#[catch(503)]
fn unavailable(request: &Request<'_>) -> OAuthJson {
    answer(Status::ServiceUnavailable, request)
}

#[catch(500)]
fn internal_error(request: &Request<'_>) -> OAuthJson {
    answer(Status::InternalServerError, request)
}
