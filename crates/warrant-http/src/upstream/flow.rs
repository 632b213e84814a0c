//! The login a browser started at a provider, kept until the provider sends the browser
//! back: state, PKCE verifier, nonce, what the login is for and where to go after it.
//!
//! It travels sealed (AES-256-GCM under `secret_key`) in a cookie named after the provider
//! and scoped to its `/oauth/<key>/` paths, so any instance behind a load balancer can
//! read it without a shared store, and the browser can neither read nor forge it. The
//! callback takes it out before anything else: whatever the outcome, a state is used once.
//! SameSite=Lax, because the provider sends the browser back with a cross-site GET.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use warrant_generators::{SealingKey, constant_time_eq};
use warrant_model::{ProviderKey, Sealed, Secret, UserId};
use warrant_upstream::Authorization;

/// The sealing purpose of flow cookies.
const PURPOSE: &str = "upstream_login_flow";

/// How long a browser may take at the provider (signing in there, approving).
const LIFETIME: Duration = Duration::minutes(10);

/// What a login at a provider is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intent {
    /// Log in (or sign up) with the provider's account.
    LogIn,
    /// Connect the provider's account to this logged-in user.
    Connect(UserId),
}

/// A started login.
pub(crate) struct Flow {
    pub(crate) intent: Intent,
    pub(crate) state: Secret<String>,
    pub(crate) verifier: Secret<String>,
    pub(crate) nonce: Option<Secret<String>>,
    /// A same-origin path to go to afterwards.
    pub(crate) next: Option<String>,
}

/// The cookie's sealed content.
#[derive(Serialize, Deserialize)]
struct Stored {
    provider: String,
    connect: Option<i64>,
    state: String,
    verifier: String,
    nonce: Option<String>,
    next: Option<String>,
    expires_at: i64,
}

impl Flow {
    /// The flow of `authorization`, just started.
    pub(crate) fn started(
        authorization: Authorization,
        intent: Intent,
        next: Option<&str>,
    ) -> Self {
        Self {
            intent,
            state: authorization.state,
            verifier: authorization.verifier,
            nonce: authorization.nonce,
            next: next.map(str::to_owned),
        }
    }

    /// Sets the browser's cookie for this flow at `provider`, replacing one it had.
    pub(crate) fn keep(
        &self,
        sealing: &SealingKey,
        cookies: &CookieJar<'_>,
        provider: &ProviderKey,
        secure: bool,
        now: OffsetDateTime,
    ) -> Result<(), Status> {
        let stored = Stored {
            provider: provider.as_str().to_owned(),
            connect: match self.intent {
                Intent::LogIn => None,
                Intent::Connect(user) => Some(user.0),
            },
            state: self.state.expose().clone(),
            verifier: self.verifier.expose().clone(),
            nonce: self.nonce.as_ref().map(|nonce| nonce.expose().clone()),
            next: self.next.clone(),
            expires_at: (now + LIFETIME).unix_timestamp(),
        };
        let json = serde_json::to_vec(&stored).map_err(|_| Status::InternalServerError)?;
        let sealed = sealing
            .seal(PURPOSE, &json)
            .map_err(|_| Status::InternalServerError)?;
        let cookie = Cookie::build((
            cookie_name(provider),
            URL_SAFE_NO_PAD.encode(sealed.as_bytes()),
        ))
        .path(cookie_path(provider))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(LIFETIME);
        cookies.add(cookie);
        Ok(())
    }

    /// Removes the browser's flow at `provider` and returns it, unless it is missing,
    /// expired, forged or another provider's.
    pub(crate) fn take(
        sealing: &SealingKey,
        cookies: &CookieJar<'_>,
        provider: &ProviderKey,
        now: OffsetDateTime,
    ) -> Option<Self> {
        let value = cookies.get(&cookie_name(provider))?.value().to_owned();
        cookies.remove(Cookie::build(cookie_name(provider)).path(cookie_path(provider)));
        let sealed = Sealed::from_bytes(URL_SAFE_NO_PAD.decode(value).ok()?);
        let json = sealing.open(PURPOSE, &sealed).ok()?;
        let stored: Stored = serde_json::from_slice(json.expose()).ok()?;
        if stored.provider != provider.as_str() || stored.expires_at <= now.unix_timestamp() {
            return None;
        }
        Some(Self {
            intent: match stored.connect {
                None => Intent::LogIn,
                Some(user) => Intent::Connect(UserId(user)),
            },
            state: Secret::new(stored.state),
            verifier: Secret::new(stored.verifier),
            nonce: stored.nonce.map(Secret::new),
            next: stored.next,
        })
    }

    /// Whether the callback's `state` is the one this flow sent, compared in constant time.
    pub(crate) fn state_matches(&self, returned: Option<&str>) -> bool {
        returned.is_some_and(|returned| {
            constant_time_eq(self.state.expose().as_bytes(), returned.as_bytes())
        })
    }
}

fn cookie_name(provider: &ProviderKey) -> String {
    format!("warrant_upstream_{}", provider.as_str())
}

fn cookie_path(provider: &ProviderKey) -> String {
    format!("/oauth/{}/", provider.as_str())
}

#[cfg(test)]
mod tests {
    use rocket::local::blocking::Client;

    use super::*;

    fn sealing() -> SealingKey {
        SealingKey::derive(&Secret::new("k".repeat(40))).unwrap()
    }

    fn flow(intent: Intent) -> Flow {
        Flow {
            intent,
            state: Secret::new("the-state".into()),
            verifier: Secret::new("the-verifier".into()),
            nonce: Some(Secret::new("the-nonce".into())),
            next: Some("/somewhere/".into()),
        }
    }

    /// Keeps `kept` for `provider` in a fresh jar, moves the cookie's value under
    /// `taken_as`'s name, and takes it back `later`.
    fn round_trip(
        kept: &Flow,
        provider: &str,
        taken_as: &str,
        later: Duration,
    ) -> (Option<Flow>, String) {
        let client = Client::untracked(rocket::build()).unwrap();
        let request = client.get("/oauth/x/callback/");
        let jar = request.inner().cookies();
        let provider = ProviderKey::parse(provider).unwrap();
        let now = OffsetDateTime::now_utc();
        kept.keep(&sealing(), jar, &provider, false, now).unwrap();
        let value = jar
            .get_pending(&cookie_name(&provider))
            .unwrap()
            .value()
            .to_owned();
        let taken_as = ProviderKey::parse(taken_as).unwrap();
        let request = client
            .get("/oauth/x/callback/")
            .cookie(Cookie::new(cookie_name(&taken_as), value.clone()));
        let jar = request.inner().cookies();
        (Flow::take(&sealing(), jar, &taken_as, now + later), value)
    }

    #[test]
    fn a_kept_flow_comes_back_unreadable_to_the_browser() {
        let kept = flow(Intent::Connect(UserId(7)));
        let (taken, cookie) = round_trip(&kept, "corp", "corp", Duration::minutes(9));
        let taken = taken.unwrap();
        assert_eq!(taken.intent, Intent::Connect(UserId(7)));
        assert!(taken.state_matches(Some("the-state")));
        assert!(!taken.state_matches(Some("the-statf")));
        assert!(!taken.state_matches(None));
        assert_eq!(taken.verifier.expose(), "the-verifier");
        assert_eq!(taken.nonce.unwrap().expose(), "the-nonce");
        assert_eq!(taken.next.as_deref(), Some("/somewhere/"));
        for secret in ["the-state", "the-verifier", "the-nonce", "somewhere"] {
            assert!(!cookie.contains(secret), "{cookie}");
        }
    }

    #[test]
    fn expired_or_moved_flows_are_refused() {
        let kept = flow(Intent::LogIn);
        let (late, _) = round_trip(&kept, "corp", "corp", Duration::minutes(11));
        assert!(late.is_none());
        let (moved, _) = round_trip(&kept, "corp", "other", Duration::ZERO);
        assert!(moved.is_none());
    }
}
