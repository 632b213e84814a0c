//! `[outgoing]`: how Warrant reaches what it calls (upstream login providers, client apps):
//! the certificates it trusts and whether plain http may leave this machine.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use url::Url;
use warrant_outgoing::{Client, ClientOptions};

/// `[outgoing]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutgoingConfig {
    /// PEM certificates to trust besides the public roots (peers behind a private CA).
    pub ca_file: Option<PathBuf>,
    /// Allow plain `http` to hosts other than loopback: user records, API tokens and
    /// client secrets then cross the network in clear.
    pub allow_insecure_http: bool,
}

impl OutgoingConfig {
    /// A client with these rules and `timeout`; errors name the key.
    pub fn client(&self, timeout: Duration) -> anyhow::Result<Client> {
        let trusted_pem = match &self.ca_file {
            Some(path) => {
                let pem = std::fs::read(path)
                    .with_context(|| format!("outgoing.ca_file: {}", path.display()))?;
                if !pem.windows(11).any(|window| window == b"CERTIFICATE") {
                    bail!(
                        "outgoing.ca_file: {}: no PEM certificate in it",
                        path.display()
                    );
                }
                pem
            }
            None => Vec::new(),
        };
        Client::new(&ClientOptions {
            timeout,
            trusted_pem,
            allow_insecure_http: self.allow_insecure_http,
        })
        .map_err(|error| anyhow::anyhow!("outgoing.ca_file: {error}"))
    }
}

/// Refuses `url`, configured at `key`, unless `client` may reach it: the error says how to
/// allow plain http.
pub fn check_url(client: &Client, key: &str, url: &Url) -> anyhow::Result<()> {
    client
        .check_url(url)
        .map_err(|error| anyhow::anyhow!("{key}: {error} (outgoing.allow_insecure_http = true)"))
}
