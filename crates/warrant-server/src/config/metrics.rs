//! `[metrics]`: who may scrape `/metrics`.

use std::net::IpAddr;

use anyhow::bail;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use warrant_http::MetricsAccess;
use warrant_model::Secret;

/// `[metrics]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `/metrics` at all.
    pub enabled: bool,
    /// A scraper presenting `Authorization: Bearer <token>` may read it (Prometheus'
    /// `authorization` / `bearer_token_file`). At least 16 characters.
    pub bearer_token: Option<Secret<String>>,
    /// Addresses and ranges (`10.0.0.0/8`, `192.0.2.7`, `::1`) whose connections may read
    /// it without a token: the connection's own address, never a forwarded one.
    pub allow: Vec<String>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            bearer_token: None,
            allow: Vec::new(),
        }
    }
}

/// The shortest bearer token accepted.
const MIN_TOKEN_LENGTH: usize = 16;

impl MetricsConfig {
    /// The rule for a server listening on `listener`: with neither a token nor a list,
    /// loopback scrapers on a loopback listener and nobody on any other; errors name the
    /// key.
    pub fn access(&self, listener: IpAddr) -> anyhow::Result<MetricsAccess> {
        if let Some(token) = &self.bearer_token
            && token.expose().chars().count() < MIN_TOKEN_LENGTH
        {
            bail!(
                "metrics.bearer_token: must be at least {MIN_TOKEN_LENGTH} characters \
                 (make one with `openssl rand -hex 32`)"
            );
        }
        let allow = self
            .allow
            .iter()
            .map(|entry| parse_range("metrics.allow", entry))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(match (self.enabled, &self.bearer_token) {
            (false, _) => MetricsAccess::Off,
            (true, None) if allow.is_empty() && listener.is_loopback() => MetricsAccess::Loopback,
            (true, None) if allow.is_empty() => MetricsAccess::Off,
            (true, token) => MetricsAccess::Configured {
                token: token.clone(),
                allow,
            },
        })
    }
}

/// An address (a range of one) or a CIDR range, from the list `key`.
pub fn parse_range(key: &str, entry: &str) -> anyhow::Result<IpNet> {
    let trimmed = entry.trim();
    if let Ok(address) = trimmed.parse::<IpAddr>() {
        return Ok(IpNet::from(address));
    }
    match trimmed.parse::<IpNet>() {
        Ok(range) => Ok(range),
        Err(_) => {
            bail!("{key}: {entry:?} is not an address or a range such as 10.0.0.0/8 or 192.0.2.7")
        }
    }
}
