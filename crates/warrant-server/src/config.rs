//! The configuration: one typed struct, defaults in code, then `warrant.toml` (or
//! `--config PATH`), then `WARRANT_*` environment variables (`__` separates nested keys:
//! `WARRANT_SERVER__PORT=8080`). Every key is documented in docs/configuration.md.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;
use figment::providers::{Env, Format, Toml};
use figment::{Figment, Provider};
use serde::{Deserialize, Serialize};
use time::Duration;
use warrant_client_sync::{PushSettings, RetryPolicy};
use warrant_generators::{GeneratorsConfig, HashingLimits, PasswordHasher, PasswordPool, Registry};
use warrant_grants::{
    ADMIN_SCOPE, ApprovalPrompt, ClientDocuments, DocumentPolicy, DpopPolicy, GrantSettings,
    PushedRequestPolicy, RegistrationAccess, RegistrationPolicy, ResourceCatalog, ScopeCatalog,
};
use warrant_model::{
    ClientAppUrl, GrantType, GrantTypes, ResourceUri, Scope, ScopeSet, Secret, SecurityProfile,
};

mod brute_force;
mod metrics;
mod outgoing;

pub use brute_force::BruteForceConfig;
pub use metrics::MetricsConfig;
pub use outgoing::{OutgoingConfig, check_url};

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "warrant.toml";

/// Warrant's configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Development mode: a missing `secret_key` is generated into a file next to the
    /// database (with a warning). Never in production. Also the `--dev` flag.
    pub dev: bool,
    /// Key material for sealing stored values that must be read back (API tokens,
    /// upstream tokens, signing keys); at least 32 characters. Django's
    /// `SECRET_KEY`.
    pub secret_key: Option<Secret<String>>,
    /// The HTTP listener.
    pub server: ServerConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// User password hashing.
    pub passwords: PasswordsConfig,
    /// Brute-force protection of passwords, client secrets and device codes.
    pub brute_force: BruteForceConfig,
    /// Redirect URI rules beyond RFC 6749.
    pub redirect_uris: RedirectUrisConfig,
    /// Grant behaviour: lifetimes, rotation, PKCE, scopes.
    pub oauth2: OAuth2Config,
    /// OpenID Connect: ID tokens and signing keys.
    pub oidc: OidcConfig,
    /// Dynamic client registration (RFC 7591).
    pub registration: RegistrationConfig,
    /// Client ID metadata documents.
    pub cimd: CimdConfig,
    /// Client sync: the client apps that mirror users (ocs-authentication).
    pub sync: SyncConfig,
    /// Upstream login providers, by key (`[upstream.github]`, …).
    pub upstream: BTreeMap<String, warrant_upstream::ProviderConfig>,
    /// How upstream providers are reached.
    pub upstream_client: UpstreamClientConfig,
    /// The certificates every outgoing call trusts, and whether plain http may leave this
    /// machine.
    pub outgoing: OutgoingConfig,
    /// Which generator makes client ids, secrets and tokens.
    pub generators: GeneratorsConfig,
    /// Logging.
    pub log: LogConfig,
    /// Who may scrape `/metrics`.
    pub metrics: MetricsConfig,
    /// The audit log.
    pub audit: AuditConfig,
    /// `WARRANT_UPSTREAM__<KEY>__*` variables of providers configured nowhere else, left
    /// out of the configuration (see [`Config::warnings`]).
    #[serde(skip)]
    pub ignored_variables: Vec<String>,
    /// What a program built on this library added (`crate::Warrant`).
    #[serde(skip)]
    pub extensions: Extensions,
}

/// Changes the Rocket application before it starts.
pub type CustomizeRocket =
    dyn Fn(rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build> + Send + Sync;

/// What a program built on this library adds to `warrant`.
#[derive(Clone)]
pub struct Extensions {
    /// The generator kinds `[generators.<slot>] kind` may name.
    pub generator_kinds: Arc<Registry>,
    /// Applied to the application `serve` builds.
    pub rocket: Option<Arc<CustomizeRocket>>,
}

impl Default for Extensions {
    fn default() -> Self {
        Self {
            generator_kinds: Arc::new(Registry::with_builtins()),
            rocket: None,
        }
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions")
            .field("rocket", &self.rocket.is_some())
            .finish_non_exhaustive()
    }
}

/// `[server]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub address: IpAddr,
    /// Port to listen on.
    pub port: u16,
    /// The public base URL clients reach Warrant at (OIDC `iss`); defaults to
    /// `http://<address>:<port>` on a loopback address, and is required on any other.
    pub issuer: Option<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: u64,
    /// Seconds from a new connection, or a request's first byte, until its headers are
    /// complete; a slower connection is closed.
    pub header_read_timeout_seconds: u64,
    /// Seconds a keep-alive connection may wait for its next request.
    pub keep_alive_timeout_seconds: u64,
    /// Seconds from a request's headers until its answer is ready (reading the body
    /// included); a slow body is answered 408, a slow answer 503.
    pub request_timeout_seconds: u64,
    /// Connections open at once; by default the process's open-file limit less a reserve
    /// for the database pool, outgoing calls and files.
    pub max_connections: Option<usize>,
    /// The header a reverse proxy puts the client's address in (such as `X-Real-IP`), for
    /// brute-force counting per address; unset, the connection's peer address counts.
    /// Set it only behind a proxy that always overwrites it: clients can send it too.
    pub client_ip_header: Option<String>,
    /// Addresses and ranges of reverse proxies whose `Forwarded` / `X-Forwarded-For` name
    /// the client (for brute-force counting, logs and the audit log).
    pub trusted_proxies: Vec<String>,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<TlsConfig>,
}

/// `[server.tls]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, PEM, leaf first.
    pub certificate: PathBuf,
    /// Its private key, PEM (PKCS#8, SEC1 or PKCS#1).
    pub key: PathBuf,
}

impl TlsConfig {
    /// The rustls configuration; errors name the key and the file.
    fn server_config(&self) -> anyhow::Result<Arc<warrant_http::serve::TlsServerConfig>> {
        let read = |key: &str, path: &Path| {
            std::fs::read(path).map_err(|error| {
                anyhow::anyhow!("server.tls.{key}: cannot read {} ({error})", path.display())
            })
        };
        let certificate = read("certificate", &self.certificate)?;
        let key = read("key", &self.key)?;
        warrant_http::serve::tls_config(&certificate, &key).map_err(|reason| {
            anyhow::anyhow!(
                "server.tls: {} and {}: {reason}",
                self.certificate.display(),
                self.key.display()
            )
        })
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8000,
            issuer: None,
            max_body_bytes: 64 * 1024,
            header_read_timeout_seconds: 10,
            keep_alive_timeout_seconds: 30,
            request_timeout_seconds: 60,
            max_connections: None,
            client_ip_header: None,
            trusted_proxies: Vec::new(),
            tls: None,
        }
    }
}

/// File descriptors kept out of the connection cap besides the database pool's: outgoing
/// calls (providers, client apps), the listener, logs and files.
const RESERVED_FILES: u64 = 128;

/// The cap when the file limit cannot be read.
const DEFAULT_MAX_CONNECTIONS: usize = 4096;

impl Config {
    /// How the listener bounds connections and requests; errors name the key.
    pub fn serve_settings(&self) -> anyhow::Result<warrant_http::serve::ServeSettings> {
        let seconds = |key: &str, value: u64| {
            if value == 0 {
                bail!("server.{key}: must be at least 1");
            }
            Ok(std::time::Duration::from_secs(value))
        };
        let max_connections = match self.server.max_connections {
            Some(0) => bail!("server.max_connections: must be at least 1"),
            Some(cap) => cap,
            None => match warrant_http::serve::file_limit() {
                Some(limit) => {
                    let reserved = RESERVED_FILES + u64::from(self.database.max_connections);
                    let cap = limit.saturating_sub(reserved).max(16);
                    usize::try_from(cap).unwrap_or(DEFAULT_MAX_CONNECTIONS)
                }
                None => DEFAULT_MAX_CONNECTIONS,
            },
        };
        Ok(warrant_http::serve::ServeSettings {
            header_read_timeout: seconds(
                "header_read_timeout_seconds",
                self.server.header_read_timeout_seconds,
            )?,
            keep_alive_timeout: seconds(
                "keep_alive_timeout_seconds",
                self.server.keep_alive_timeout_seconds,
            )?,
            request_timeout: seconds(
                "request_timeout_seconds",
                self.server.request_timeout_seconds,
            )?,
            max_connections,
            max_body_bytes: self.server.max_body_bytes,
            trusted_proxies: self
                .server
                .trusted_proxies
                .iter()
                .map(|entry| metrics::parse_range("server.trusted_proxies", entry))
                .collect::<anyhow::Result<_>>()?,
            tls: self
                .server
                .tls
                .as_ref()
                .map(TlsConfig::server_config)
                .transpose()?,
        })
    }
}

/// `[database]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (created if missing) or `postgres://user@host/db`.
    pub url: String,
    /// Most open connections per instance (default: twice the CPU cores).
    pub max_connections: u32,
    /// Seconds a request waits for a free connection before answering 503.
    pub acquire_timeout_seconds: u64,
    /// Seconds one statement may take before it is abandoned and the request answered 503
    /// (on PostgreSQL also each connection's `statement_timeout`).
    pub query_timeout_seconds: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://warrant.db".into(),
            max_connections: warrant_storage::default_max_connections(),
            acquire_timeout_seconds: 5,
            query_timeout_seconds: 5,
        }
    }
}

/// `[passwords]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordsConfig {
    /// PBKDF2-SHA256 iterations for new hashes (Django 5: 600000).
    pub iterations: u32,
    /// Password hashes computed at once, off the request threads (default: the CPU cores).
    pub workers: usize,
    /// Password hashes that may wait for a worker; beyond them logins and password grants
    /// answer 503 with `Retry-After` at once (default: 32 per worker).
    pub max_waiting: usize,
}

impl Default for PasswordsConfig {
    fn default() -> Self {
        let limits = HashingLimits::default();
        Self {
            iterations: warrant_generators::PasswordHasher::DEFAULT_ITERATIONS,
            workers: limits.workers,
            max_waiting: limits.waiting,
        }
    }
}

impl PasswordsConfig {
    /// The hashing pool every command and the server use; errors name the key.
    pub fn pool(&self) -> anyhow::Result<PasswordPool> {
        let hasher = PasswordHasher::new(self.iterations)
            .map_err(|_| anyhow::anyhow!("passwords.iterations: must be at least 1"))?;
        if self.workers == 0 {
            bail!("passwords.workers: must be at least 1");
        }
        let limits = HashingLimits {
            workers: self.workers,
            waiting: self.max_waiting,
        };
        Ok(PasswordPool::new(hasher, limits))
    }
}

/// `[redirect_uris]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedirectUrisConfig {
    /// Allow plain `http` redirect URIs on non-loopback hosts (DOT: `http` in
    /// `ALLOWED_REDIRECT_URI_SCHEMES`).
    pub allow_insecure_http: bool,
}

/// `[oauth2]`: Django OAuth Toolkit's `OAUTH2_PROVIDER` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuth2Config {
    /// `ACCESS_TOKEN_EXPIRE_SECONDS`.
    pub access_token_expire_seconds: i64,
    /// `REFRESH_TOKEN_EXPIRE_SECONDS`; unset: refresh tokens live until revoked.
    pub refresh_token_expire_seconds: Option<i64>,
    /// `AUTHORIZATION_CODE_EXPIRE_SECONDS`.
    pub authorization_code_expire_seconds: i64,
    /// `ROTATE_REFRESH_TOKEN`.
    pub rotate_refresh_token: bool,
    /// `REFRESH_TOKEN_GRACE_PERIOD_SECONDS`.
    pub refresh_token_grace_period_seconds: i64,
    /// Accept PKCE `plain` (`"plain"` in `ALLOWED_CODE_CHALLENGE_METHODS`); S256 always.
    pub allow_plain_pkce: bool,
    /// `REQUEST_APPROVAL_PROMPT`: `force` or `auto`.
    pub request_approval_prompt: String,
    /// `SCOPES`: name → description shown on the consent page.
    pub scopes: BTreeMap<String, String>,
    /// `DEFAULT_SCOPES`: granted when a request names none; unset means every scope but
    /// `admin`, which is granted only when asked for.
    pub default_scopes: Option<Vec<String>>,
    /// `CLEAR_EXPIRED_TOKENS_BATCH_SIZE`: rows per delete statement of `cleartokens`.
    pub clear_expired_tokens_batch_size: u32,
    /// How often `serve` deletes expired rows itself, in seconds; 0 turns it off.
    pub clear_expired_tokens_interval_seconds: u64,
    /// How long a device authorization (RFC 8628) waits for the user, in seconds.
    pub device_code_expire_seconds: i64,
    /// The least time between a device's polls of the token endpoint, in seconds.
    pub device_polling_interval_seconds: i64,
    /// How long a running server keeps an application it read, in seconds (no DOT
    /// equivalent); a change from outside the process (the CLI, another instance) is seen
    /// within this time. 0 reads the application on every request.
    pub client_cache_seconds: u64,
    /// The resources tokens may be requested for (RFC 8707's `resource`); none listed:
    /// any absolute URI, as Django OAuth Toolkit accepts.
    pub resources: Vec<ResourceConfig>,
    /// How long a pushed authorization request (RFC 9126) waits for its browser, in
    /// seconds (5 to 600).
    pub pushed_request_expire_seconds: i64,
    /// Every client must push its authorization requests (RFC 9126 §5); without it, only
    /// the applications that require it.
    pub require_pushed_authorization_requests: bool,
    /// How old a DPoP proof (RFC 9449) may be, in seconds.
    pub dpop_proof_max_age_seconds: i64,
    /// DPoP proofs at the token endpoint must carry a server nonce (RFC 9449 §8).
    pub dpop_require_nonce: bool,
    /// The profile of applications that name none: `standard` or `fapi2`.
    pub security_profile: String,
}

/// `[[oauth2.resources]]`: one protected resource (an API, an MCP server).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceConfig {
    /// Its identifier, what clients send as `resource` and tokens carry as `aud`.
    pub identifier: String,
    /// The scopes a token for it may carry (others asked for are left out); absent: any.
    pub scopes: Option<Vec<String>>,
}

impl Default for OAuth2Config {
    fn default() -> Self {
        Self {
            access_token_expire_seconds: 36_000,
            refresh_token_expire_seconds: None,
            authorization_code_expire_seconds: 60,
            rotate_refresh_token: true,
            refresh_token_grace_period_seconds: 0,
            allow_plain_pkce: false,
            request_approval_prompt: "force".into(),
            scopes: [("read", "Reading scope"), ("write", "Writing scope")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            default_scopes: None,
            clear_expired_tokens_batch_size: 10_000,
            clear_expired_tokens_interval_seconds: 3_600,
            client_cache_seconds: 5,
            device_code_expire_seconds: 600,
            device_polling_interval_seconds: 5,
            resources: Vec::new(),
            pushed_request_expire_seconds: 60,
            require_pushed_authorization_requests: false,
            dpop_proof_max_age_seconds: 60,
            dpop_require_nonce: false,
            security_profile: "standard".into(),
        }
    }
}

impl OAuth2Config {
    /// The grant engine's settings, with the `[oidc]` ones and `issuer`; errors name the key.
    fn grant_settings(
        &self,
        oidc: &OidcConfig,
        brute_force: &BruteForceConfig,
        issuer: String,
    ) -> anyhow::Result<GrantSettings> {
        // `key` is the whole config key: `[oidc]` settings are checked here too.
        let positive = |key: &str, seconds: i64| {
            if seconds > 0 {
                Ok(Duration::seconds(seconds))
            } else {
                bail!("{key}: must be a positive number of seconds")
            }
        };
        let mut descriptions = BTreeMap::new();
        for (name, description) in &self.scopes {
            let scope = Scope::parse(name).map_err(|e| anyhow::anyhow!("oauth2.scopes: {e}"))?;
            descriptions.insert(scope, description.clone());
        }
        let scopes = match &self.default_scopes {
            Some(names) => {
                let defaults: ScopeSet = names
                    .iter()
                    .map(|name| match Scope::parse(name) {
                        Ok(scope) if descriptions.contains_key(&scope) => Ok(scope),
                        _ => Err(anyhow::anyhow!(
                            "oauth2.default_scopes: {name:?} is not one of oauth2.scopes"
                        )),
                    })
                    .collect::<anyhow::Result<_>>()?;
                ScopeCatalog::new(descriptions, defaults)
            }
            None => ScopeCatalog::granting_all_but_admin(descriptions),
        };
        let approval_prompt = match self.request_approval_prompt.as_str() {
            "force" => ApprovalPrompt::Force,
            "auto" => ApprovalPrompt::Auto,
            other => bail!("oauth2.request_approval_prompt: expected force or auto, got {other:?}"),
        };
        let resources = self.resource_catalog(&scopes)?;
        if self.clear_expired_tokens_batch_size == 0 {
            bail!("oauth2.clear_expired_tokens_batch_size: must be at least 1");
        }
        if !(5..=600).contains(&self.pushed_request_expire_seconds) {
            bail!("oauth2.pushed_request_expire_seconds: must be 5 to 600 seconds (RFC 9126)");
        }
        if self.refresh_token_grace_period_seconds < 0 {
            bail!("oauth2.refresh_token_grace_period_seconds: must not be negative");
        }
        Ok(GrantSettings {
            access_token_lifetime: positive(
                "oauth2.access_token_expire_seconds",
                self.access_token_expire_seconds,
            )?,
            refresh_token_lifetime: self
                .refresh_token_expire_seconds
                .map(|s| positive("oauth2.refresh_token_expire_seconds", s))
                .transpose()?,
            authorization_code_lifetime: positive(
                "oauth2.authorization_code_expire_seconds",
                self.authorization_code_expire_seconds,
            )?,
            rotate_refresh_tokens: self.rotate_refresh_token,
            refresh_token_grace_period: Duration::seconds(self.refresh_token_grace_period_seconds),
            allow_plain_pkce: self.allow_plain_pkce,
            scopes: scopes.with_openid_scopes(),
            resources,
            default_profile: SecurityProfile::parse(&self.security_profile)
                .map_err(|e| anyhow::anyhow!("oauth2.security_profile: {e}"))?,
            dpop: DpopPolicy {
                proof_max_age: positive(
                    "oauth2.dpop_proof_max_age_seconds",
                    self.dpop_proof_max_age_seconds,
                )?,
                require_nonce: self.dpop_require_nonce,
            },
            pushed_requests: PushedRequestPolicy {
                lifetime: Duration::seconds(self.pushed_request_expire_seconds),
                required: self.require_pushed_authorization_requests,
            },
            // Set by Config::grant_settings from [registration].
            registration: RegistrationPolicy::default(),
            approval_prompt,
            issuer,
            device_code_lifetime: positive(
                "oauth2.device_code_expire_seconds",
                self.device_code_expire_seconds,
            )?,
            device_poll_interval: positive(
                "oauth2.device_polling_interval_seconds",
                self.device_polling_interval_seconds,
            )?,
            id_token_lifetime: positive(
                "oidc.id_token_expire_seconds",
                oidc.id_token_expire_seconds,
            )?,
            brute_force: brute_force.settings()?,
            logout_revokes_tokens: oidc.logout_revokes_tokens,
            audit: warrant_grants::AuditPolicy::default(),
        })
    }
}

impl OAuth2Config {
    /// `[[oauth2.resources]]` as the grant engine checks them; errors name the entry.
    fn resource_catalog(&self, scopes: &ScopeCatalog) -> anyhow::Result<ResourceCatalog> {
        let mut served = BTreeMap::new();
        for (index, resource) in self.resources.iter().enumerate() {
            let key = format!("oauth2.resources[{index}]");
            let identifier = ResourceUri::parse(&resource.identifier)
                .map_err(|e| anyhow::anyhow!("{key}.identifier: {e}"))?;
            let offered = match &resource.scopes {
                Some(names) => Some(
                    names
                        .iter()
                        .map(|name| match Scope::parse(name) {
                            Ok(scope) if scopes.description(&scope).is_some() => Ok(scope),
                            _ => Err(anyhow::anyhow!(
                                "{key}.scopes: {name:?} is not one of oauth2.scopes"
                            )),
                        })
                        .collect::<anyhow::Result<ScopeSet>>()?,
                ),
                None => None,
            };
            if served.insert(identifier, offered).is_some() {
                bail!("{key}.identifier: {} is listed twice", resource.identifier);
            }
        }
        Ok(ResourceCatalog::new(served))
    }
}

/// `[cimd]`: client ID metadata documents, Django OAuth Toolkit's `CIMD_*` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CimdConfig {
    /// Whether a `client_id` that is an https URL names a client ID metadata document.
    pub enabled: bool,
    /// Hosts whose documents are used (`client.example.com`, or `.example.com` with its
    /// subdomains); empty: any.
    pub allowed_hosts: Vec<String>,
    /// Fetch documents from loopback and private addresses too (tests, an intranet).
    pub allow_private_addresses: bool,
    /// Deadline of one fetch, in seconds.
    pub fetch_timeout_seconds: u64,
    /// The largest document read, in bytes.
    pub max_document_bytes: usize,
    /// The least time a fetched document is used before it is fetched again, in seconds.
    pub min_age_seconds: u64,
    /// The most time, whatever its `Cache-Control` says, in seconds.
    pub max_age_seconds: u64,
}

impl Default for CimdConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            allowed_hosts: Vec::new(),
            allow_private_addresses: false,
            fetch_timeout_seconds: 5,
            max_document_bytes: 16 * 1024,
            min_age_seconds: 300,
            max_age_seconds: 86_400,
        }
    }
}

impl CimdConfig {
    /// The engine's document fetcher (off unless enabled), reaching hosts as `outgoing`
    /// says; errors name the key.
    pub fn documents(&self, outgoing: &OutgoingConfig) -> anyhow::Result<ClientDocuments> {
        if !self.enabled {
            return Ok(ClientDocuments::disabled());
        }
        if self.fetch_timeout_seconds == 0 {
            bail!("cimd.fetch_timeout_seconds: must be at least 1");
        }
        if self.min_age_seconds > self.max_age_seconds {
            bail!("cimd.min_age_seconds: must not be more than cimd.max_age_seconds");
        }
        let client = outgoing.client(std::time::Duration::from_secs(self.fetch_timeout_seconds))?;
        Ok(ClientDocuments::new(
            client,
            DocumentPolicy {
                allowed_hosts: self.allowed_hosts.clone(),
                allow_private_addresses: self.allow_private_addresses,
                max_bytes: self.max_document_bytes,
                min_age: std::time::Duration::from_secs(self.min_age_seconds),
                max_age: std::time::Duration::from_secs(self.max_age_seconds),
            },
        ))
    }
}

/// `[registration]`: Django OAuth Toolkit's `DCR_*` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationConfig {
    /// `off` (no `/o/register/`), `open` (anyone may register, as MCP clients expect) or
    /// `initial_access_token` (only with `initial_access_token` as bearer token).
    pub mode: String,
    /// The bearer token `initial_access_token` mode asks for; at least 32 characters. Also
    /// `WARRANT_REGISTRATION__INITIAL_ACCESS_TOKEN`.
    pub initial_access_token: Option<Secret<String>>,
    /// The grants a registered client may ask for.
    pub grant_types: Vec<String>,
    /// Registrations one address may make within an hour.
    pub per_address_per_hour: u32,
    /// A registered client of which no code or token is kept this long after it registered
    /// is deleted by the periodic clean-up, in seconds.
    pub unused_client_seconds: i64,
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self {
            mode: "off".into(),
            initial_access_token: None,
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            per_address_per_hour: 20,
            unused_client_seconds: 7 * 24 * 3600,
        }
    }
}

impl RegistrationConfig {
    /// The engine's policy; errors name the key.
    fn policy(&self) -> anyhow::Result<RegistrationPolicy> {
        let access = match (self.mode.as_str(), &self.initial_access_token) {
            ("off", _) => RegistrationAccess::Off,
            ("open", _) => RegistrationAccess::Open,
            ("initial_access_token", Some(token)) if token.expose().chars().count() >= 32 => {
                RegistrationAccess::InitialAccessToken(token.clone())
            }
            ("initial_access_token", _) => bail!(
                "registration.initial_access_token: needs at least 32 characters in \
                 initial_access_token mode (or WARRANT_REGISTRATION__INITIAL_ACCESS_TOKEN)"
            ),
            (other, _) => bail!(
                "registration.mode: expected off, open or initial_access_token, got {other:?}"
            ),
        };
        let grants = self
            .grant_types
            .iter()
            .map(|name| {
                GrantType::parse(name).map_err(|e| anyhow::anyhow!("registration.grant_types: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let grant_types = GrantTypes::new(grants)
            .map_err(|_| anyhow::anyhow!("registration.grant_types: name at least one grant"))?;
        if self.unused_client_seconds <= 0 {
            bail!("registration.unused_client_seconds: must be a positive number of seconds");
        }
        Ok(RegistrationPolicy {
            access,
            grant_types,
            per_address_per_hour: self.per_address_per_hour,
            unused_client_lifetime: Duration::seconds(self.unused_client_seconds),
        })
    }
}

/// `[oidc]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    /// `ID_TOKEN_EXPIRE_SECONDS`.
    pub id_token_expire_seconds: i64,
    /// How long a running server keeps the signing keys it read, in seconds; a rotation
    /// from outside the process (`warrant keys rotate`, another instance) is used within
    /// this time.
    pub keys_cache_seconds: u64,
    /// `OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS`: whether a logout at `/o/logout/` that ends
    /// a user's session revokes every token the user granted.
    pub logout_revokes_tokens: bool,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            id_token_expire_seconds: 36_000,
            keys_cache_seconds: 60,
            logout_revokes_tokens: true,
        }
    }
}

/// `[sync]`: an OCS server's `OAUTH_CLIENT_APPS_BASE_URLS` and `OAUTH_SERVER_KEY`, with
/// retries it does not have.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Base URLs of the client apps (`addupdateuser/` is appended).
    pub client_apps: Vec<String>,
    /// Sent as `Authorization: Server <key>`; the client apps' `OAUTH_SERVER_KEY`. Required
    /// with client apps; at least 16 characters.
    pub server_key: Option<Secret<String>>,
    /// The deadline of one delivery, in seconds.
    pub timeout_seconds: u64,
    /// The wait after a first failed delivery, in seconds; it doubles with each further one.
    pub retry_first_delay_seconds: u64,
    /// The longest wait between two attempts, in seconds.
    pub retry_max_delay_seconds: u64,
    /// How long a change may stay undelivered before it is marked dead, in seconds.
    pub retry_max_age_seconds: u64,
    /// How often each client app's due deliveries are looked for, in seconds.
    pub poll_interval_seconds: u64,
    /// Most deliveries in flight per client app and instance.
    pub batch_size: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            client_apps: Vec::new(),
            server_key: None,
            timeout_seconds: 10,
            retry_first_delay_seconds: 5,
            retry_max_delay_seconds: 600,
            retry_max_age_seconds: 3 * 24 * 3600,
            poll_interval_seconds: 1,
            batch_size: 16,
        }
    }
}

/// `[upstream_client]`: how Warrant reaches upstream login providers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamClientConfig {
    /// Longest wait for one request to a provider, in seconds.
    pub timeout_seconds: u64,
    /// Moved to `outgoing.ca_file`; kept only to say so.
    #[serde(skip_serializing)]
    pub ca_file: Option<PathBuf>,
}

impl Default for UpstreamClientConfig {
    fn default() -> Self {
        Self {
            timeout_seconds: 10,
            ca_file: None,
        }
    }
}

impl UpstreamClientConfig {
    /// The client the login routes use; errors name the key.
    pub fn http_client(
        &self,
        outgoing: &OutgoingConfig,
    ) -> anyhow::Result<warrant_outgoing::Client> {
        if self.ca_file.is_some() {
            bail!(
                "upstream_client.ca_file: moved to outgoing.ca_file, which every outgoing call trusts"
            );
        }
        if self.timeout_seconds == 0 {
            bail!("upstream_client.timeout_seconds: must be at least 1");
        }
        outgoing.client(std::time::Duration::from_secs(self.timeout_seconds))
    }
}

/// The shortest `sync.server_key` accepted: whoever has it can write users into every
/// client app.
const MIN_SERVER_KEY_CHARS: usize = 16;

impl SyncConfig {
    /// The client apps, parsed; errors name the key.
    pub fn client_apps(&self) -> anyhow::Result<Vec<ClientAppUrl>> {
        self.client_apps
            .iter()
            .map(|url| {
                ClientAppUrl::parse(url).map_err(|e| anyhow::anyhow!("sync.client_apps: {e}"))
            })
            .collect()
    }

    /// What the pusher needs, reaching client apps as `outgoing` says; `None` without
    /// client apps.
    pub fn push_settings(&self, outgoing: &OutgoingConfig) -> anyhow::Result<Option<PushSettings>> {
        let client_apps = self.client_apps()?;
        if client_apps.is_empty() {
            return Ok(None);
        }
        let server_key = match &self.server_key {
            Some(key) if key.expose().chars().count() >= MIN_SERVER_KEY_CHARS => key.clone(),
            Some(_) => bail!("sync.server_key: must be at least {MIN_SERVER_KEY_CHARS} characters"),
            None => bail!("sync.server_key: required when sync.client_apps is set"),
        };
        let seconds = |key: &str, value: u64| {
            if value == 0 {
                bail!("sync.{key}: must be at least 1")
            }
            Ok(std::time::Duration::from_secs(value))
        };
        let batch_size = match self.batch_size {
            0 => bail!("sync.batch_size: must be at least 1"),
            n => n,
        };
        let http = outgoing.client(seconds("timeout_seconds", self.timeout_seconds)?)?;
        for app in &client_apps {
            check_url(&http, "sync.client_apps", &app.add_update_user_url())?;
        }
        Ok(Some(PushSettings {
            client_apps,
            server_key,
            http,
            retry: RetryPolicy {
                first_delay: seconds("retry_first_delay_seconds", self.retry_first_delay_seconds)?,
                max_delay: seconds("retry_max_delay_seconds", self.retry_max_delay_seconds)?,
                max_age: seconds("retry_max_age_seconds", self.retry_max_age_seconds)?,
            },
            poll_interval: seconds("poll_interval_seconds", self.poll_interval_seconds)?,
            batch_size,
        }))
    }
}

/// `[audit]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Days an event is kept before the periodic clean-up deletes it; 0 keeps them all.
    pub retention_days: u32,
    /// Each event is also a log line (target `warrant::audit`, at info).
    pub log_events: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retention_days: 365,
            log_events: false,
        }
    }
}

impl AuditConfig {
    fn policy(&self) -> warrant_grants::AuditPolicy {
        warrant_grants::AuditPolicy {
            retention: (self.retention_days > 0)
                .then(|| Duration::days(i64::from(self.retention_days))),
            log_events: self.log_events,
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter: `info`, `warrant=debug,sqlx=warn`, …; `RUST_LOG` overrides it.
    pub level: String,
    /// `text` for people, `json` (one object per line) for log collectors.
    pub format: LogFormat,
    /// One line per answered request (target `warrant::access`, at info).
    pub access: bool,
}

/// `log.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message`, the event's
    /// fields, and `span` (the request's `request_id`).
    Json,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
            access: true,
        }
    }
}

impl Config {
    /// Loads defaults, then the config file, then `WARRANT_*` variables. An explicit
    /// `path` must exist; the default file is optional. Errors are one line naming the key
    /// and where its value came from (the file, with line and column for a syntax error,
    /// or the variable).
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let file = match path {
            Some(path) if !path.is_file() => bail!("config file {} does not exist", path.display()),
            Some(path) => path.to_path_buf(),
            None => PathBuf::from(DEFAULT_CONFIG_FILE),
        };
        let table = read_toml(&file)?;
        let configured_providers: BTreeSet<String> = table
            .get("upstream")
            .and_then(toml::Value::as_table)
            .map(|providers| providers.keys().cloned().collect())
            .unwrap_or_default();
        let ignored = stray_upstream_variables(
            std::env::vars().map(|(name, _)| name),
            &configured_providers,
        );
        let ignored_providers: BTreeSet<String> = ignored
            .iter()
            .map(|(_, provider)| provider.clone())
            .collect();
        // Only variables naming a top-level key are configuration; others with the prefix
        // (such as WARRANT_TEST_POSTGRES_URL) are not. The keys come from `Config` itself.
        let sections = top_level_keys();
        let env = Env::prefixed(ENV_PREFIX)
            .filter(move |key| {
                let key = key.as_str().to_ascii_lowercase();
                let mut parts = key.split("__");
                match (parts.next(), parts.next()) {
                    (Some("upstream"), Some(provider)) => !ignored_providers.contains(provider),
                    (Some(section), _) => sections.contains(section),
                    (None, _) => false,
                }
            })
            .split("__");
        let env_name = env.metadata().name.to_string();
        let figment = Figment::new().merge(Toml::file(&file)).merge(env);
        let mut config: Config = figment
            .extract()
            .map_err(|error| anyhow::anyhow!(one_line(&error, &env_name)))?;
        config.ignored_variables = ignored.into_iter().map(|(name, _)| name).collect();
        if let Err(error) = config.check() {
            let message = format!("{error:#}");
            let source = message
                .split(':')
                .next()
                .map(|key| source_of(&figment, key, &env_name))
                .unwrap_or_default();
            bail!("invalid configuration: {message}{source}");
        }
        Ok(config)
    }

    /// Rules serde cannot express; each error starts with its key.
    fn check(&self) -> anyhow::Result<()> {
        if !(self.database.url.starts_with("sqlite:")
            || self.database.url.starts_with("postgres://")
            || self.database.url.starts_with("postgresql://"))
        {
            bail!(
                "database.url: expected sqlite://PATH or postgres://…, got {:?}",
                warrant_storage::redact_url(&self.database.url)
            );
        }
        if self.database.max_connections == 0 {
            bail!("database.max_connections: must be at least 1");
        }
        if self.database.query_timeout_seconds == 0 {
            bail!("database.query_timeout_seconds: must be at least 1");
        }
        self.passwords.pool()?;
        self.grant_settings()?;
        self.serve_settings()?;
        self.sync.push_settings(&self.outgoing)?;
        let upstream_client = self.upstream_client.http_client(&self.outgoing)?;
        for provider in warrant_upstream::providers(&self.upstream)? {
            for url in provider.called_urls() {
                check_url(
                    &upstream_client,
                    &format!("upstream.{}", provider.key()),
                    url,
                )?;
            }
        }
        if let Some(header) = &self.server.client_ip_header
            && (header.is_empty()
                || !header
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            bail!("server.client_ip_header: {header:?} is not a header name (such as X-Real-IP)");
        }
        if let Some(issuer) = &self.server.issuer {
            let parsed =
                url::Url::parse(issuer).map_err(|e| anyhow::anyhow!("server.issuer: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https")
                || parsed.query().is_some()
                || parsed.fragment().is_some()
            {
                bail!("server.issuer: must be an http(s) URL without query or fragment");
            }
        }
        Ok(())
    }

    /// The grant engine's settings; errors name the key.
    pub fn grant_settings(&self) -> anyhow::Result<GrantSettings> {
        let mut settings =
            self.oauth2
                .grant_settings(&self.oidc, &self.brute_force, self.issuer())?;
        settings.registration = self.registration.policy()?;
        settings.audit = self.audit.policy();
        Ok(settings)
    }

    /// The issuer identifier: configured, or derived from the listener.
    pub fn issuer(&self) -> String {
        match &self.server.issuer {
            Some(issuer) => issuer.trim_end_matches('/').to_owned(),
            None => {
                let scheme = if self.server.tls.is_some() {
                    "https"
                } else {
                    "http"
                };
                match self.server.address {
                    IpAddr::V6(ip) => format!("{scheme}://[{ip}]:{}", self.server.port),
                    IpAddr::V4(ip) => format!("{scheme}://{ip}:{}", self.server.port),
                }
            }
        }
    }

    /// The issuer a server may advertise: one derived from the listener only on a loopback
    /// address (on any other, such as `0.0.0.0`, no client could use it).
    pub fn public_issuer(&self) -> anyhow::Result<String> {
        if self.server.issuer.is_none() && !self.server.address.is_loopback() {
            bail!(
                "server.issuer: required when server.address is {} (not a loopback address): \
                 set it to the URL clients reach Warrant at, such as https://auth.example.com",
                self.server.address
            );
        }
        Ok(self.issuer())
    }

    /// What is allowed but probably a mistake, one line each: `serve` logs them at start,
    /// `warrant check` lists them, other commands log them.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings: Vec<String> = self
            .ignored_variables
            .iter()
            .map(|name| {
                let provider = name
                    .split("__")
                    .nth(1)
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                format!(
                    "{name} is ignored: no [upstream.{provider}] is configured (remove the variable, \
                     or configure the provider with its preset)"
                )
            })
            .collect();
        if self
            .grant_settings()
            .is_ok_and(|settings| settings.scopes.grants_admin_by_default())
        {
            warnings.push(format!(
                "oauth2.default_scopes includes {ADMIN_SCOPE}: a staff user's token asked for \
                 without a scope can call the admin API (leave it out; clients that need it ask \
                 for it by name)"
            ));
        }
        if let Some(issuer) = &self.server.issuer
            && let Ok(url) = url::Url::parse(issuer)
            && url.scheme() == "http"
            && !is_loopback_host(&url)
        {
            warnings.push(format!(
                "server.issuer {issuer} is plain http on a host other than this machine: \
                 passwords, codes and tokens would cross the network readable (use https)"
            ));
        }
        warnings
    }
}

/// The prefix of configuration variables.
const ENV_PREFIX: &str = "WARRANT_";

/// Whether `url`'s host is this machine (`localhost` or a loopback address).
fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The config file as a TOML table (empty when there is none); a syntax error names the
/// file, line and column.
fn read_toml(file: &Path) -> anyhow::Result<toml::Table> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(toml::Table::new()),
        Err(error) => bail!("config file {}: {error}", file.display()),
    };
    toml::from_str(&text).map_err(|error| {
        let place = match error.span() {
            Some(span) => {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
                format!(", line {line}, column {column}")
            }
            None => String::new(),
        };
        anyhow::anyhow!(
            "invalid configuration: {}{place}: {}",
            file.display(),
            error.message().trim()
        )
    })
}

/// The `WARRANT_UPSTREAM__<KEY>__*` variables among `names` whose provider is configured
/// neither in the file (`configured`) nor by a `WARRANT_UPSTREAM__<KEY>__PRESET` variable,
/// with that provider's key: leftovers of a provider removed from the file.
fn stray_upstream_variables(
    names: impl Iterator<Item = String>,
    configured: &BTreeSet<String>,
) -> Vec<(String, String)> {
    let prefix = format!("{ENV_PREFIX}UPSTREAM__");
    let upstream: Vec<(String, String, String)> = names
        .filter_map(|name| {
            if !name.get(..prefix.len())?.eq_ignore_ascii_case(&prefix) {
                return None;
            }
            let rest = name.get(prefix.len()..)?;
            let (provider, field) = rest.split_once("__")?;
            Some((
                name.clone(),
                provider.to_ascii_lowercase(),
                field.to_ascii_lowercase(),
            ))
        })
        .collect();
    let by_variable: BTreeSet<&str> = upstream
        .iter()
        .filter(|(_, _, field)| field == "preset")
        .map(|(_, provider, _)| provider.as_str())
        .collect();
    let mut stray: Vec<(String, String)> = upstream
        .iter()
        .filter(|(_, provider, _)| {
            !configured.contains(provider) && !by_variable.contains(provider.as_str())
        })
        .map(|(name, provider, _)| (name.clone(), provider.clone()))
        .collect();
    stray.sort();
    stray
}

/// The names of `Config`'s fields.
fn top_level_keys() -> BTreeSet<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

/// Where the value at `key` (or, when it has none, its nearest parent) came from:
/// ` (set by WARRANT_…)` or ` (in <file>)`; nothing for a default.
fn source_of(figment: &Figment, key: &str, env_name: &str) -> String {
    let mut path: Vec<&str> = key.trim().split('.').collect();
    while !path.is_empty() {
        if let Some(metadata) = figment.find_metadata(&path.join(".")) {
            let keys: Vec<String> = path.iter().map(|k| (*k).to_owned()).collect();
            return describe_source(metadata, &keys, env_name);
        }
        path.pop();
    }
    String::new()
}

/// ` (set by WARRANT_…)` for the variable holding `keys`, ` (in <file>)`, or nothing.
fn describe_source(metadata: &figment::Metadata, keys: &[String], env_name: &str) -> String {
    if metadata.name == env_name {
        let variable = keys.join("__").to_ascii_uppercase();
        return format!(" (set by {ENV_PREFIX}{variable})");
    }
    match &metadata.source {
        Some(source) => format!(" (in {source})"),
        None => String::new(),
    }
}

/// Figment's error for every failed key, on one line, naming key and source.
fn one_line(error: &figment::Error, env_name: &str) -> String {
    let messages: Vec<String> = error
        .clone()
        .into_iter()
        .map(|e| {
            let keys: Vec<String> = e.path.iter().map(|k| k.to_ascii_lowercase()).collect();
            let source = e
                .metadata
                .as_ref()
                .map(|metadata| describe_source(metadata, &keys, env_name))
                .unwrap_or_default();
            format!("{}: {}{source}", keys.join("."), e.kind)
        })
        .collect();
    format!("invalid configuration: {}", messages.join("; ")).replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_must_be_positive_and_errors_name_the_key() {
        let mut config = Config::default();
        config.oidc.id_token_expire_seconds = 0;
        let error = config.grant_settings().unwrap_err().to_string();
        assert!(
            error.starts_with("oidc.id_token_expire_seconds:"),
            "{error}"
        );
        let mut config = Config::default();
        config.oauth2.device_polling_interval_seconds = -5;
        let error = config.grant_settings().unwrap_err().to_string();
        assert!(
            error.starts_with("oauth2.device_polling_interval_seconds:"),
            "{error}"
        );
        assert!(Config::default().grant_settings().is_ok());
    }

    #[test]
    fn variables_of_providers_configured_nowhere_are_stray() {
        let names = [
            "WARRANT_UPSTREAM__GITHUB__CLIENT_SECRET",
            "WARRANT_UPSTREAM__CORP__CLIENT_SECRET",
            "WARRANT_UPSTREAM__ENVONLY__PRESET",
            "WARRANT_UPSTREAM__ENVONLY__CLIENT_ID",
            "WARRANT_SERVER__PORT",
        ]
        .map(str::to_owned);
        let configured: BTreeSet<String> = ["corp".to_owned()].into();
        assert_eq!(
            stray_upstream_variables(names.into_iter(), &configured),
            [(
                "WARRANT_UPSTREAM__GITHUB__CLIENT_SECRET".to_owned(),
                "github".to_owned()
            )]
        );
    }

    #[test]
    fn admin_is_granted_by_default_only_when_listed() {
        let mut config = Config::default();
        config
            .oauth2
            .scopes
            .insert("admin".into(), "Admin API".into());
        let settings = config.grant_settings().unwrap();
        assert!(!settings.scopes.grants_admin_by_default());
        assert!(settings.scopes.defaults().contains_name("read"));
        assert!(config.warnings().is_empty(), "{:?}", config.warnings());
        // The README's old hint: a table of `admin` alone grants nothing by default.
        let mut admin_only = Config::default();
        admin_only.oauth2.scopes = [("admin".to_owned(), "Admin API".to_owned())].into();
        assert!(
            admin_only
                .grant_settings()
                .unwrap()
                .scopes
                .defaults()
                .is_empty()
        );

        config.oauth2.default_scopes = Some(vec!["read".into(), "admin".into()]);
        let warnings = config.warnings();
        assert!(
            warnings.len() == 1 && warnings[0].starts_with("oauth2.default_scopes includes admin"),
            "{warnings:?}"
        );
    }

    #[test]
    fn an_issuer_is_required_off_loopback_and_http_is_warned_about() {
        let mut config = Config::default();
        assert_eq!(config.public_issuer().unwrap(), "http://127.0.0.1:8000");
        config.server.address = "0.0.0.0".parse().unwrap();
        let error = config.public_issuer().unwrap_err().to_string();
        assert!(error.starts_with("server.issuer: required"), "{error}");
        config.server.issuer = Some("http://auth.example.com/".into());
        assert_eq!(config.public_issuer().unwrap(), "http://auth.example.com");
        assert!(
            config.warnings()[0]
                .starts_with("server.issuer http://auth.example.com/ is plain http")
        );
        for quiet in [
            "https://auth.example.com",
            "http://localhost:8000",
            "http://[::1]:8000",
        ] {
            config.server.issuer = Some(quiet.into());
            assert!(config.warnings().is_empty(), "{quiet}");
        }
    }

    #[test]
    fn every_section_can_be_set_from_the_environment() {
        let keys = top_level_keys();
        for section in [
            "dev",
            "secret_key",
            "server",
            "database",
            "passwords",
            "redirect_uris",
            "oauth2",
            "oidc",
            "generators",
            "log",
        ] {
            assert!(keys.contains(section), "{section}");
        }
    }
}
