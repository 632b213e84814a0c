//! Brute-force protection, as Keycloak users know it: after a run of failures against an
//! account (or a client, or a device user), and against the address they come from, each
//! further attempt is refused for a wait that doubles with every failure, without checking
//! anything (no password is hashed). A success starts the account's count over; a quiet
//! spell forgets it. Counts live in the database, so every instance sees the same ones.

use std::net::IpAddr;

use time::{Duration, OffsetDateTime};
use warrant_model::{AuditAction, Throttle, ThrottleKey, ThrottleKind, User};
use warrant_storage::StoreError;

use crate::audit::Audited;
use crate::{Engine, Event, GrantsError};

/// How failures are counted and answered. Keycloak's names are beside each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BruteForce {
    /// Whether failures are counted at all (`bruteForceProtected`).
    pub enabled: bool,
    /// Failures against an account, a client or a device user before attempts are refused
    /// (`failureFactor`).
    pub max_failures: u32,
    /// Failures from one address before its attempts are refused; higher, since one
    /// address may be a whole office behind a NAT (Keycloak has no equivalent).
    pub address_max_failures: u32,
    /// The first wait; each further failure doubles it (`waitIncrementSeconds`).
    pub first_wait: Duration,
    /// The longest wait (`maxFailureWaitSeconds`).
    pub max_wait: Duration,
    /// A count is forgotten this long after its last failure (`maxDeltaTimeSeconds`).
    pub forget_after: Duration,
    /// After this many failures the lock is permanent until staff clear it
    /// (`permanentLockout`); `None` never.
    pub permanent_after: Option<u32>,
}

impl Default for BruteForce {
    fn default() -> Self {
        Self {
            enabled: true,
            max_failures: 5,
            address_max_failures: 50,
            first_wait: Duration::seconds(1),
            max_wait: Duration::minutes(15),
            forget_after: Duration::hours(12),
            permanent_after: None,
        }
    }
}

/// An attempt refused unchecked: its account, client or address is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// When attempts are checked again; `None` until staff clear the lock.
    pub until: Option<OffsetDateTime>,
}

impl Locked {
    /// How long to wait before trying again (at least a second), for `Retry-After`.
    pub fn retry_after(&self, now: OffsetDateTime) -> Option<std::time::Duration> {
        let until = self.until?;
        let left = (until - now).whole_seconds().max(1);
        Some(std::time::Duration::from_secs(left.unsigned_abs()))
    }
}

impl BruteForce {
    /// The wait earned by the `failures`-th failure against a key of `kind`: none below
    /// the threshold, then the first wait doubled for each failure past it.
    fn wait(&self, kind: ThrottleKind, failures: u32) -> Option<Duration> {
        let threshold = if kind.is_address() {
            self.address_max_failures
        } else {
            self.max_failures
        };
        let past = failures.checked_sub(threshold)?;
        let doubled = self.first_wait * 2_i32.saturating_pow(past.min(30));
        Some(doubled.min(self.max_wait))
    }
}

/// The counters one attempt counts against: its subject's (a login name, a client id, a
/// user) and, when known, its address's.
pub(crate) struct Keys {
    pub(crate) subject: ThrottleKey,
    address: Option<ThrottleKey>,
}

impl Keys {
    /// The counters of an attempt of `kind` against `subject` from `address`.
    pub(crate) fn new(kind: ThrottleKind, subject: &str, address: Option<IpAddr>) -> Self {
        let address_kind = match kind {
            ThrottleKind::Account | ThrottleKind::LoginAddress => ThrottleKind::LoginAddress,
            ThrottleKind::Client | ThrottleKind::ClientAddress => ThrottleKind::ClientAddress,
            ThrottleKind::DeviceUser | ThrottleKind::DeviceAddress => ThrottleKind::DeviceAddress,
        };
        Self {
            subject: ThrottleKey::new(kind, subject),
            address: address.map(|address| ThrottleKey::address(address_kind, address)),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &ThrottleKey> {
        std::iter::once(&self.subject).chain(&self.address)
    }
}

/// What the counters said before an attempt.
pub(crate) enum Standing {
    /// Refused unchecked.
    Locked(Locked),
    /// Checked; `counted` if the subject has failures a success should forget.
    Open { counted: bool },
}

impl Engine<'_> {
    /// The counters' say on an attempt at `now`, read in one statement.
    pub(crate) async fn standing(
        &self,
        keys: &Keys,
        now: OffsetDateTime,
    ) -> Result<Standing, StoreError> {
        if !self.settings.brute_force.enabled {
            return Ok(Standing::Open { counted: false });
        }
        let throttles = self
            .throttles
            .counters(self.store, &keys.subject, keys.address.as_ref(), now)
            .await?;
        // The longest lock of the two is the one to wait for.
        let locks = throttles.iter().filter(|throttle| throttle.is_locked(now));
        if let Some(longest) =
            locks.max_by_key(|throttle| (throttle.permanent, throttle.locked_until))
        {
            let until = (!longest.permanent)
                .then_some(longest.locked_until)
                .flatten();
            self.events.record(Event::AttemptRefused {
                kind: keys.subject.kind,
            });
            return Ok(Standing::Locked(Locked { until }));
        }
        let counted = throttles
            .iter()
            .any(|throttle| throttle.key == keys.subject);
        Ok(Standing::Open { counted })
    }

    /// Counts a failed attempt against every one of `keys`, locking each that is past its
    /// threshold.
    pub(crate) async fn failed(&self, keys: &Keys, now: OffsetDateTime) -> Result<(), StoreError> {
        let settings = &self.settings.brute_force;
        if !settings.enabled {
            return Ok(());
        }
        for key in keys.iter() {
            let failures = self
                .store
                .record_failure(key, now, settings.forget_after)
                .await?;
            let permanent = !key.kind.is_address()
                && settings
                    .permanent_after
                    .is_some_and(|after| failures >= after);
            let wait = settings.wait(key.kind, failures);
            let mut locked_until = None;
            if wait.is_some() || permanent {
                let wait = wait.unwrap_or(settings.max_wait);
                tracing::warn!(kind = %key.kind, failures, locked_for = %wait, permanent, "repeated failures: attempts are refused");
                self.store.lock(key, now + wait, permanent).await?;
                self.events.record(Event::LockedOut {
                    kind: key.kind,
                    permanent,
                });
                let until = if permanent {
                    "until staff clear it".to_owned()
                } else {
                    format!("for {wait}")
                };
                let audited = Audited::target(format!("{}:{}", key.kind.as_str(), key.subject))
                    .with_detail(format!("{failures} failures; refused {until}"));
                self.audit(AuditAction::LockedOut, audited, now).await;
                locked_until = Some(now + wait);
            }
            self.throttles.keep(Throttle {
                key: key.clone(),
                failures,
                last_failure_at: now,
                locked_until,
                permanent,
            });
        }
        Ok(())
    }

    /// A successful attempt after failures: the subject's count starts over (the
    /// address's does not: one good login must not reset a guesser's count).
    pub(crate) async fn succeeded(
        &self,
        keys: &Keys,
        standing: &Standing,
    ) -> Result<(), StoreError> {
        if let Standing::Open { counted: true } = standing {
            self.store.clear_throttle(&keys.subject).await?;
            self.throttles.forget(&keys.subject);
        }
        Ok(())
    }
}

/// The counters that concern `user`: their username and email address as login names, and
/// their device-code guesses.
fn user_throttle_keys(user: &User) -> Vec<ThrottleKey> {
    let mut keys = vec![ThrottleKey::new(
        ThrottleKind::Account,
        user.username.as_str(),
    )];
    keys.extend(
        user.email
            .as_ref()
            .map(|email| ThrottleKey::new(ThrottleKind::Account, email.as_str())),
    );
    keys.push(ThrottleKey::new(
        ThrottleKind::DeviceUser,
        &user.id.to_string(),
    ));
    keys
}

impl crate::Engine<'_> {
    /// Forgets one counter and the lock it earned, in the database and in this instance's
    /// cache; `false` if nothing was counted.
    pub async fn clear_throttle(&self, key: &ThrottleKey) -> Result<bool, GrantsError> {
        let cleared = self.store.clear_throttle(key).await;
        // Even when the database failed: the cache must not outlive what it might hold.
        self.throttles.forget(key);
        let cleared = cleared?;
        if cleared {
            let audited = Audited::target(format!("{}:{}", key.kind.as_str(), key.subject));
            self.audit(AuditAction::Unlocked, audited, OffsetDateTime::now_utc())
                .await;
        }
        Ok(cleared)
    }

    /// Forgets every count and lock that concerns `user` (Keycloak's "unlock user"), in the
    /// database and in this instance's cache; how many counters there were.
    pub async fn unlock_user(&self, user: &User) -> Result<usize, GrantsError> {
        let mut cleared = 0;
        for key in user_throttle_keys(user) {
            cleared += usize::from(self.clear_throttle(&key).await?);
        }
        Ok(cleared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_past_the_threshold_up_to_the_longest() {
        let settings = BruteForce::default();
        let waits: Vec<Option<Duration>> = (3..=9)
            .map(|failures| settings.wait(ThrottleKind::Account, failures))
            .collect();
        let seconds = |s| Some(Duration::seconds(s));
        assert_eq!(
            waits,
            [
                None,
                None,
                seconds(1),
                seconds(2),
                seconds(4),
                seconds(8),
                seconds(16)
            ]
        );
        assert_eq!(settings.wait(ThrottleKind::Account, 100), seconds(900));
        assert_eq!(settings.wait(ThrottleKind::LoginAddress, 49), None);
        assert_eq!(settings.wait(ThrottleKind::LoginAddress, 50), seconds(1));
    }
}
