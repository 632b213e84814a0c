use std::collections::BTreeMap;

use time::Duration;
use warrant_model::{Scope, ScopeSet};

/// The scopes an operator offers: name → description (shown on the consent page), with
/// the set granted when a request names none. Django OAuth Toolkit's `SCOPES` and
/// `DEFAULT_SCOPES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeCatalog {
    descriptions: BTreeMap<Scope, String>,
    defaults: ScopeSet,
}

/// The scope of Warrant's admin API (`/api/admin/`). It is never among the scopes granted
/// by default: a token carries it only when the request named it.
pub const ADMIN_SCOPE: &str = "admin";

impl ScopeCatalog {
    /// A catalog that grants every scope it offers when a request names none, except
    /// [`ADMIN_SCOPE`] (Django OAuth Toolkit's `DEFAULT_SCOPES = ["__all__"]`, made safe).
    pub fn granting_all_but_admin(descriptions: BTreeMap<Scope, String>) -> Self {
        let defaults = descriptions
            .keys()
            .filter(|scope| scope.as_str() != ADMIN_SCOPE)
            .cloned()
            .collect();
        Self::new(descriptions, defaults)
    }

    /// Whether a request that names no scope gets [`ADMIN_SCOPE`]: only when an operator
    /// listed it in `default_scopes`, which `serve` and `warrant check` warn about.
    pub fn grants_admin_by_default(&self) -> bool {
        self.defaults.contains_name(ADMIN_SCOPE)
    }

    /// A catalog; default scopes outside it are dropped.
    pub fn new(descriptions: BTreeMap<Scope, String>, defaults: ScopeSet) -> Self {
        let defaults = defaults
            .iter()
            .filter(|s| descriptions.contains_key(*s))
            .cloned()
            .collect();
        Self {
            descriptions,
            defaults,
        }
    }

    /// The first scope of `set` that is not offered, if any.
    pub fn first_unknown<'a>(&self, set: &'a ScopeSet) -> Option<&'a Scope> {
        set.iter()
            .find(|scope| !self.descriptions.contains_key(*scope))
    }

    /// The scopes granted when a request names none.
    pub fn defaults(&self) -> &ScopeSet {
        &self.defaults
    }

    /// The catalog with OpenID Connect's scopes (`openid`, `profile`, `email`) added where
    /// the operator did not describe them; they are never granted by default.
    pub fn with_openid_scopes(mut self) -> Self {
        for (name, description) in crate::oidc::OIDC_SCOPES {
            if let Ok(scope) = Scope::parse(name) {
                self.descriptions
                    .entry(scope)
                    .or_insert_with(|| description.to_owned());
            }
        }
        self
    }

    /// Every scope on offer, in name order.
    pub fn names(&self) -> impl Iterator<Item = &Scope> {
        self.descriptions.keys()
    }

    /// The description of `scope`.
    pub fn description(&self, scope: &Scope) -> Option<&str> {
        self.descriptions.get(scope).map(String::as_str)
    }
}

impl Default for ScopeCatalog {
    /// Django OAuth Toolkit's defaults: `read` and `write`, both granted by default.
    fn default() -> Self {
        let mut descriptions = BTreeMap::new();
        let read = Scope::parse("read");
        let write = Scope::parse("write");
        if let (Ok(read), Ok(write)) = (read, write) {
            descriptions.insert(read.clone(), "Reading scope".to_owned());
            descriptions.insert(write.clone(), "Writing scope".to_owned());
            let defaults = [read, write].into_iter().collect();
            return Self {
                descriptions,
                defaults,
            };
        }
        Self {
            descriptions,
            defaults: ScopeSet::empty(),
        }
    }
}

/// How grants behave; each field is a Django OAuth Toolkit setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantSettings {
    /// `ACCESS_TOKEN_EXPIRE_SECONDS` (default 36000).
    pub access_token_lifetime: Duration,
    /// `REFRESH_TOKEN_EXPIRE_SECONDS`; `None` lives until revoked (default).
    pub refresh_token_lifetime: Option<Duration>,
    /// `AUTHORIZATION_CODE_EXPIRE_SECONDS` (default 60).
    pub authorization_code_lifetime: Duration,
    /// `ROTATE_REFRESH_TOKEN` (default on): each refresh issues a new refresh token and
    /// retires the old one.
    pub rotate_refresh_tokens: bool,
    /// `REFRESH_TOKEN_GRACE_PERIOD_SECONDS` (default 0): how long a rotated refresh token
    /// may still be used (for clients that retry) before reuse revokes its family.
    pub refresh_token_grace_period: Duration,
    /// Accept PKCE's `plain` method (off: only `S256`).
    pub allow_plain_pkce: bool,
    /// The scopes on offer.
    pub scopes: ScopeCatalog,
    /// The resources tokens may be requested for (RFC 8707), with their scopes.
    pub resources: crate::ResourceCatalog,
    /// The profile clients that name none are held to (`standard`, or `fapi2`).
    pub default_profile: warrant_model::SecurityProfile,
    /// DPoP (RFC 9449): how old proofs may be, whether they need server nonces.
    pub dpop: crate::DpopPolicy,
    /// Pushed authorization requests (RFC 9126): their lifetime, whether all clients must.
    pub pushed_requests: crate::PushedRequestPolicy,
    /// Dynamic client registration (RFC 7591): `DCR_ENABLED` and its permissions.
    pub registration: crate::RegistrationPolicy,
    /// `REQUEST_APPROVAL_PROMPT` (default `force`): consent-page behaviour when the request
    /// does not say.
    pub approval_prompt: crate::ApprovalPrompt,
    /// The issuer identifier (`iss` of ID tokens and JWT access tokens, the discovery
    /// document's `issuer`): an https URL without query or fragment.
    pub issuer: String,
    /// `ID_TOKEN_EXPIRE_SECONDS` (default 36000).
    pub id_token_lifetime: Duration,
    /// How long a device authorization waits for the user (RFC 8628 `expires_in`, default
    /// 600 s).
    pub device_code_lifetime: Duration,
    /// The least time between a device's polls (RFC 8628 `interval`, default 5 s).
    pub device_poll_interval: Duration,
    /// Brute-force protection of passwords, client secrets and device codes.
    pub brute_force: crate::BruteForce,
    /// `OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS` (default on): a relying-party logout that
    /// ends a user's session revokes every token the user granted, to any application.
    pub logout_revokes_tokens: bool,
    /// The audit log's settings.
    pub audit: crate::AuditPolicy,
}

impl Default for GrantSettings {
    fn default() -> Self {
        Self {
            access_token_lifetime: Duration::seconds(36_000),
            refresh_token_lifetime: None,
            authorization_code_lifetime: Duration::seconds(60),
            rotate_refresh_tokens: true,
            refresh_token_grace_period: Duration::ZERO,
            allow_plain_pkce: false,
            scopes: ScopeCatalog::default(),
            resources: crate::ResourceCatalog::default(),
            default_profile: warrant_model::SecurityProfile::Standard,
            dpop: crate::DpopPolicy::default(),
            pushed_requests: crate::PushedRequestPolicy::default(),
            registration: crate::RegistrationPolicy::default(),
            approval_prompt: crate::ApprovalPrompt::Force,
            issuer: "http://127.0.0.1:8000".to_owned(),
            id_token_lifetime: Duration::seconds(36_000),
            device_code_lifetime: Duration::seconds(600),
            device_poll_interval: Duration::seconds(5),
            brute_force: crate::BruteForce::default(),
            logout_revokes_tokens: true,
            audit: crate::AuditPolicy::default(),
        }
    }
}
