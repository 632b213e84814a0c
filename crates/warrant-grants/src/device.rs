//! The device authorization grant (RFC 8628): a device without a browser gets a device
//! code and a user code; the user enters the user code on another screen and decides; the
//! device polls the token endpoint until then.

use time::OffsetDateTime;
use warrant_generators::{hash_token, random_urlsafe, user_code};
use warrant_model::{
    Application, DeviceAuthorization, DeviceStatus, GrantType, NewDeviceAuthorization, Resources,
    ScopeSet, Secret, ThrottleKind, User, UserCode,
};
use warrant_storage::DeviceDecision;

use crate::issue::{Authentication, Issue};
use crate::throttle::{Keys, Standing};
use crate::{ClientCredentials, Engine, Locked, OAuthError, TokenResponse};

/// The answer of the device authorization endpoint (RFC 8628 §3.2), before the frontend
/// adds the verification URIs.
#[derive(Debug)]
pub struct DeviceCodes {
    /// The device's secret for polling.
    pub device_code: Secret<String>,
    /// What the user types on the verification page.
    pub user_code: UserCode,
    /// Seconds until both expire.
    pub expires_in: i64,
    /// Seconds the device must wait between polls.
    pub interval: i64,
}

/// A pending device authorization the user is asked about, with its client.
#[derive(Debug, Clone)]
pub struct PendingDevice {
    /// The code the user typed, normalised: the page shows it, so the user can compare it
    /// with the device's (RFC 8628 §5.4).
    pub user_code: UserCode,
    /// The authorization.
    pub device: DeviceAuthorization,
    /// The client that asked.
    pub application: Application,
}

/// Why a user code was not accepted on the verification page. One answer for all of them,
/// so the page does not tell which codes exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceCodeRejection {
    /// Malformed, unknown, expired, or already decided.
    UnknownOrExpired,
    /// Too many wrong codes from this user or address (RFC 8628 §5.1): not checked.
    Locked(Locked),
    /// The store failed.
    Unavailable(OAuthError),
}

impl From<OAuthError> for DeviceCodeRejection {
    fn from(error: OAuthError) -> Self {
        Self::Unavailable(error)
    }
}

impl Engine<'_> {
    /// The device authorization endpoint: a client allowed the device grant gets a device
    /// code and a user code for `scope` (the defaults when absent).
    pub async fn device_authorization(
        &self,
        client: &ClientCredentials,
        scope: Option<&ScopeSet>,
        now: OffsetDateTime,
    ) -> Result<DeviceCodes, OAuthError> {
        let application = self.authenticate_client(client, now).await?;
        if !application.grant_types.allows(GrantType::DeviceCode) {
            return Err(OAuthError::UnauthorizedClient(
                "this client may not use the device authorization grant".into(),
            ));
        }
        let scope = self.grantable_scope(scope)?;
        let device_code = random_urlsafe(32)?;
        let user_code = user_code()?;
        let lifetime = self.settings.device_code_lifetime;
        let interval = self.settings.device_poll_interval;
        self.store
            .create_device_authorization(&NewDeviceAuthorization {
                device_code_hash: hash_token(device_code.expose()),
                user_code_hash: hash_token(user_code.as_str()),
                application_id: application.id,
                scope,
                interval_seconds: i32::try_from(interval.whole_seconds()).unwrap_or(i32::MAX),
                created_at: now,
                expires_at: now + lifetime,
            })
            .await?;
        Ok(DeviceCodes {
            device_code,
            user_code,
            expires_in: lifetime.whole_seconds(),
            interval: interval.whole_seconds(),
        })
    }

    /// The pending authorization `user` typed the code of, for the confirmation page. Wrong
    /// codes count against the user and the address (RFC 8628 §5.1: user codes are short
    /// enough to guess), and past their thresholds codes are refused unchecked.
    pub async fn pending_device(
        &self,
        typed: &str,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<PendingDevice, DeviceCodeRejection> {
        let keys = Keys::new(
            ThrottleKind::DeviceUser,
            &user.id.to_string(),
            self.client_address,
        );
        let standing = self.standing(&keys, now).await.map_err(OAuthError::from)?;
        if let Standing::Locked(locked) = standing {
            return Err(DeviceCodeRejection::Locked(locked));
        }
        let device = match UserCode::parse(typed) {
            Ok(code) => self
                .store
                .device_by_user_code(&hash_token(code.as_str()))
                .await
                .map_err(OAuthError::from)?
                .filter(|device| device.status == DeviceStatus::Pending && device.expires_at > now)
                .map(|device| (code, device)),
            Err(_) => None,
        };
        let Some((code, device)) = device else {
            self.failed(&keys, now).await.map_err(OAuthError::from)?;
            return Err(DeviceCodeRejection::UnknownOrExpired);
        };
        let application = self
            .store
            .application_by_id(device.application_id)
            .await
            .map_err(OAuthError::from)?
            .ok_or(DeviceCodeRejection::UnknownOrExpired)?;
        Ok(PendingDevice {
            user_code: code,
            device,
            application,
        })
    }

    /// Records the user's decision on the authorization with the code they typed; `true`
    /// approves (and remembers the consent), `false` refuses. `auth_time` is when the user
    /// logged in, for the device's ID tokens.
    pub async fn decide_device(
        &self,
        typed: &str,
        (user, auth_time): (&User, OffsetDateTime),
        approve: bool,
        now: OffsetDateTime,
    ) -> Result<PendingDevice, DeviceCodeRejection> {
        let pending = self.pending_device(typed, user, now).await?;
        let decision = if approve {
            DeviceDecision::Approve {
                user: user.id,
                auth_time,
            }
        } else {
            DeviceDecision::Deny
        };
        let decided = self
            .store
            .decide_device(pending.device.id, decision)
            .await
            .map_err(OAuthError::from)?;
        if !decided {
            // Decided in another tab meanwhile.
            return Err(DeviceCodeRejection::UnknownOrExpired);
        }
        if approve {
            self.add_consent(user, &pending.application, &pending.device.scope, now)
                .await?;
        }
        Ok(pending)
    }

    /// The token endpoint's device-code grant (RFC 8628 §3.4, §3.5).
    pub(crate) async fn redeem_device_code(
        &self,
        application: &Application,
        device_code: &Secret<String>,
        resources: Resources,
        dpop_jkt: Option<String>,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let device = self
            .store
            .device_by_device_code(&hash_token(device_code.expose()))
            .await?
            .filter(|device| device.application_id == application.id)
            .ok_or_else(|| OAuthError::InvalidGrant("unknown device code".into()))?;
        if device.expires_at <= now {
            return Err(OAuthError::ExpiredToken(
                "the device code expired; start again".into(),
            ));
        }
        match device.status {
            DeviceStatus::Pending => {
                let interval = time::Duration::seconds(i64::from(device.interval_seconds));
                // The last poll is stored to the second; comparing it with the exact time
                // never slows down a device that keeps the interval.
                let too_soon = device
                    .last_polled_at
                    .is_some_and(|last| now - last < interval);
                self.store.record_device_poll(device.id, now).await?;
                Err(if too_soon {
                    OAuthError::SlowDown(format!(
                        "poll at most every {} seconds",
                        device.interval_seconds
                    ))
                } else {
                    OAuthError::AuthorizationPending("the user has not entered the code yet".into())
                })
            }
            DeviceStatus::Denied => Err(OAuthError::AccessDenied(
                "the user refused the request".into(),
            )),
            DeviceStatus::Consumed => {
                Err(OAuthError::InvalidGrant("device code already used".into()))
            }
            DeviceStatus::Approved => {
                // Of concurrent polls exactly one gets the tokens.
                if !self.store.consume_device(device.id).await? {
                    return Err(OAuthError::InvalidGrant("device code already used".into()));
                }
                let user = self.active_user(device.user_id).await?;
                let issue = Issue {
                    application,
                    user: user.as_ref(),
                    scope: device.scope.clone(),
                    grant_resources: resources.clone(),
                    resources,
                    family: None,
                    authorization_code_id: None,
                    refresh: true,
                    openid: Some(Authentication {
                        nonce: None,
                        auth_time: device.auth_time,
                    }),
                    dpop_jkt,
                };
                self.issue_tokens(issue, now).await
            }
        }
    }
}
