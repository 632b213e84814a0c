//! The permission guards: Django OAuth Toolkit's `TokenHasScope`,
//! `TokenHasReadWriteScope`, `TokenHasResourceScope`, `IsAuthenticatedOrTokenHasScope`, and
//! ocs-authentication's `IsAdminOrReadOnly`. Required scopes are a type parameter (see
//! [`required_scopes!`](crate::required_scopes)), so a handler's signature says what it
//! needs.

use std::marker::PhantomData;

use rocket::http::Method;
use rocket::request::{FromRequest, Outcome, Request};
use warrant_model::{OAuthError, User};

use crate::{BearerToken, Refusal, checked_bearer, is_safe, refuse, resource_server};

/// Scopes a guard requires, named by a type: write them with
/// [`required_scopes!`](crate::required_scopes).
pub trait RequiredScopes: Send + Sync + 'static {
    /// The scope names.
    const SCOPES: &'static [&'static str];
}

/// Declares a type naming required scopes, for the permission guards:
/// `required_scopes!(pub Reports = ["read", "reports"]);`.
#[macro_export]
macro_rules! required_scopes {
    ($(#[$meta:meta])* $vis:vis $name:ident = [$($scope:literal),* $(,)?]) => {
        $(#[$meta])*
        $vis struct $name;
        impl $crate::RequiredScopes for $name {
            const SCOPES: &'static [&'static str] = &[$($scope),*];
        }
    };
}

/// No scopes beyond the guard's own (the default of [`TokenHasReadWriteScope`]).
pub struct NoScopes;

impl RequiredScopes for NoScopes {
    const SCOPES: &'static [&'static str] = &[];
}

/// A live bearer token granted every scope of `S` (Django OAuth Toolkit's `TokenHasScope`).
pub struct TokenHasScope<S: RequiredScopes> {
    /// The token; `None` only for `OPTIONS` requests, which pass unauthenticated.
    pub token: Option<BearerToken>,
    scopes: PhantomData<fn() -> S>,
}

/// A live bearer token with the read scope for `GET`, `HEAD` and `OPTIONS` and the write
/// scope for other methods (see [`ResourceServer::with_read_write_scopes`]), plus every
/// scope of `S` (Django OAuth Toolkit's `TokenHasReadWriteScope`).
///
/// [`ResourceServer::with_read_write_scopes`]: crate::ResourceServer::with_read_write_scopes
pub struct TokenHasReadWriteScope<S: RequiredScopes = NoScopes> {
    /// The token; `None` only for `OPTIONS` requests, which pass unauthenticated.
    pub token: Option<BearerToken>,
    scopes: PhantomData<fn() -> S>,
}

/// A live bearer token with `<resource>:read` for safe methods and `<resource>:write`
/// otherwise, for each resource named in `S` (Django OAuth Toolkit's
/// `TokenHasResourceScope`: `S = ["music"]` asks for `music:read` or `music:write`).
pub struct TokenHasResourceScope<S: RequiredScopes> {
    /// The token; `None` only for `OPTIONS` requests, which pass unauthenticated.
    pub token: Option<BearerToken>,
    scopes: PhantomData<fn() -> S>,
}

/// A user logged in to Warrant (its session cookie, when the resource server shares
/// Warrant's database), or else a live bearer token granted every scope of `S` (Django
/// OAuth Toolkit's `IsAuthenticatedOrTokenHasScope`). A bearer token, when sent, decides.
pub struct IsAuthenticatedOrTokenHasScope<S: RequiredScopes> {
    /// The user: the session's, or the token's resource owner.
    pub user: Option<User>,
    /// The token, when the request was authenticated by one.
    pub token: Option<BearerToken>,
    scopes: PhantomData<fn() -> S>,
}

/// Safe methods for anyone; other methods only for a staff user, by session or bearer
/// token (ocs-authentication's `IsAdminOrReadOnly`). Credentials that are sent are
/// checked even on safe methods, so a bad token is refused rather than ignored.
pub struct IsAdminOrReadOnly {
    /// The user, when the request was authenticated.
    pub user: Option<User>,
    /// The token, when the request was authenticated by one.
    pub token: Option<BearerToken>,
}

/// Checks a live bearer token for `required` scopes; `OPTIONS` passes without one.
async fn token_with_scopes(
    request: &Request<'_>,
    required: &[String],
) -> Outcome<Option<BearerToken>, Refusal> {
    if request.method() == Method::Options {
        return Outcome::Success(None);
    }
    match checked_bearer(request).await {
        Ok(Some(token)) => match lacking_scopes(&token, required) {
            None => Outcome::Success(Some(token)),
            Some(refusal) => refuse(request, refusal),
        },
        Ok(None) => refuse(request, Refusal::CredentialsRequired),
        Err(refusal) => refuse(request, refusal),
    }
}

/// The refusal of a token that lacks one of `required`.
fn lacking_scopes(token: &BearerToken, required: &[String]) -> Option<Refusal> {
    let missing: Vec<&str> = required
        .iter()
        .map(String::as_str)
        .filter(|scope| !token.has_scopes([*scope]))
        .collect();
    (!missing.is_empty()).then(|| {
        Refusal::Token(OAuthError::InsufficientScope {
            description: format!("the token needs the scope {}", missing.join(" ")),
            required: required.to_vec(),
        })
    })
}

fn owned(scopes: &[&str]) -> Vec<String> {
    scopes.iter().map(|scope| (*scope).to_owned()).collect()
}

#[rocket::async_trait]
impl<'r, S: RequiredScopes> FromRequest<'r> for TokenHasScope<S> {
    type Error = Refusal;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Refusal> {
        token_with_scopes(request, &owned(S::SCOPES))
            .await
            .map(|token| Self {
                token,
                scopes: PhantomData,
            })
    }
}

#[rocket::async_trait]
impl<'r, S: RequiredScopes> FromRequest<'r> for TokenHasReadWriteScope<S> {
    type Error = Refusal;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Refusal> {
        let server = match resource_server(request) {
            Ok(server) => server,
            Err(refusal) => return refuse(request, refusal),
        };
        let mut required = owned(S::SCOPES);
        required.push(if is_safe(request.method()) {
            server.read_scope.clone()
        } else {
            server.write_scope.clone()
        });
        token_with_scopes(request, &required)
            .await
            .map(|token| Self {
                token,
                scopes: PhantomData,
            })
    }
}

#[rocket::async_trait]
impl<'r, S: RequiredScopes> FromRequest<'r> for TokenHasResourceScope<S> {
    type Error = Refusal;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Refusal> {
        let access = if is_safe(request.method()) {
            "read"
        } else {
            "write"
        };
        let required: Vec<String> = S::SCOPES
            .iter()
            .map(|resource| format!("{resource}:{access}"))
            .collect();
        token_with_scopes(request, &required)
            .await
            .map(|token| Self {
                token,
                scopes: PhantomData,
            })
    }
}

/// Who made the request: the bearer token when one is sent, else the session's user.
enum Caller {
    Token(BearerToken),
    Session(User),
}

async fn caller(request: &Request<'_>) -> Result<Option<Caller>, Refusal> {
    if let Some(token) = checked_bearer(request).await? {
        return Ok(Some(Caller::Token(token)));
    }
    let user = resource_server(request)?.session_user(request).await?;
    Ok(user.map(Caller::Session))
}

#[rocket::async_trait]
impl<'r, S: RequiredScopes> FromRequest<'r> for IsAuthenticatedOrTokenHasScope<S> {
    type Error = Refusal;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Refusal> {
        let passed = |user, token| {
            Outcome::Success(Self {
                user,
                token,
                scopes: PhantomData,
            })
        };
        if request.method() == Method::Options {
            return passed(None, None);
        }
        match caller(request).await {
            Ok(Some(Caller::Session(user))) => passed(Some(user), None),
            Ok(Some(Caller::Token(token))) => match lacking_scopes(&token, &owned(S::SCOPES)) {
                None => passed(token.user.clone(), Some(token)),
                Some(refusal) => refuse(request, refusal),
            },
            Ok(None) => refuse(request, Refusal::CredentialsRequired),
            Err(refusal) => refuse(request, refusal),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IsAdminOrReadOnly {
    type Error = Refusal;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Refusal> {
        if request.method() == Method::Options {
            return Outcome::Success(Self {
                user: None,
                token: None,
            });
        }
        let (user, token) = match caller(request).await {
            Ok(Some(Caller::Session(user))) => (Some(user), None),
            Ok(Some(Caller::Token(token))) => (token.user.clone(), Some(token)),
            Ok(None) => (None, None),
            Err(refusal) => return refuse(request, refusal),
        };
        let staff = user.as_ref().is_some_and(|user| user.is_staff);
        if is_safe(request.method()) || staff {
            return Outcome::Success(Self { user, token });
        }
        let refusal = if user.is_none() && token.is_none() {
            Refusal::CredentialsRequired
        } else {
            Refusal::NotStaff
        };
        refuse(request, refusal)
    }
}
