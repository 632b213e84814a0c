//! `[brute_force]`: how failed logins, client secrets and device codes are counted and
//! answered, with Keycloak's name beside each key.

use anyhow::bail;
use serde::{Deserialize, Serialize};
use time::Duration;
use warrant_grants::BruteForce;

/// `[brute_force]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BruteForceConfig {
    /// Count failures and refuse attempts past the limits (`bruteForceProtected`).
    pub enabled: bool,
    /// Failures against one login name, client id or device user before attempts are
    /// refused (`failureFactor`).
    pub max_failures: u32,
    /// Failures from one address before its attempts are refused (no Keycloak equivalent).
    pub address_max_failures: u32,
    /// The first wait, doubled by each further failure (`waitIncrementSeconds`).
    pub wait_increment_seconds: u32,
    /// The longest wait (`maxFailureWaitSeconds`).
    pub max_wait_seconds: u32,
    /// A count is forgotten this long after its last failure (`maxDeltaTimeSeconds`).
    pub failure_reset_seconds: u32,
    /// Failures after which a login name, client id or device user stays locked until
    /// staff clear it (`permanentLockout`); unset: never.
    pub permanent_lockout_after: Option<u32>,
    /// How long an instance answers from the counters it last read (0: it reads them on
    /// every attempt). Other instances' failures and locks, and lockouts cleared with
    /// `warrant lockout`, take effect within it.
    pub cache_seconds: u64,
}

impl Default for BruteForceConfig {
    fn default() -> Self {
        let defaults = BruteForce::default();
        let seconds = |d: Duration| u32::try_from(d.whole_seconds()).unwrap_or(u32::MAX);
        Self {
            enabled: defaults.enabled,
            max_failures: defaults.max_failures,
            address_max_failures: defaults.address_max_failures,
            wait_increment_seconds: seconds(defaults.first_wait),
            max_wait_seconds: seconds(defaults.max_wait),
            failure_reset_seconds: seconds(defaults.forget_after),
            permanent_lockout_after: defaults.permanent_after,
            cache_seconds: 1,
        }
    }
}

impl BruteForceConfig {
    /// The grant engine's settings; errors name the key.
    pub fn settings(&self) -> anyhow::Result<BruteForce> {
        for (key, value) in [
            ("max_failures", self.max_failures),
            ("address_max_failures", self.address_max_failures),
            ("wait_increment_seconds", self.wait_increment_seconds),
            ("failure_reset_seconds", self.failure_reset_seconds),
            (
                "permanent_lockout_after",
                self.permanent_lockout_after.unwrap_or(1),
            ),
        ] {
            if value == 0 {
                bail!("brute_force.{key}: must be at least 1");
            }
        }
        if self.max_wait_seconds < self.wait_increment_seconds {
            bail!(
                "brute_force.max_wait_seconds: must be at least brute_force.wait_increment_seconds"
            );
        }
        Ok(BruteForce {
            enabled: self.enabled,
            max_failures: self.max_failures,
            address_max_failures: self.address_max_failures,
            first_wait: Duration::seconds(self.wait_increment_seconds.into()),
            max_wait: Duration::seconds(self.max_wait_seconds.into()),
            forget_after: Duration::seconds(self.failure_reset_seconds.into()),
            permanent_after: self.permanent_lockout_after,
        })
    }
}
