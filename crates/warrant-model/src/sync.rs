//! Client sync: the client apps that mirror Warrant's users, and the outbox rows that say
//! which users each of them has yet to hear about.

use std::fmt;

use url::Url;

use crate::{ModelError, Timestamp, UserId};

/// A client app's base URL, to which `addupdateuser/` is appended (ocs-authentication's
/// `OAUTH_CLIENT_APPS_BASE_URLS`): `http` or `https`, no credentials, query or fragment;
/// a missing final `/` is added.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientAppUrl(Url);

impl ClientAppUrl {
    /// Parses a base URL.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        let reject = |reason| ModelError::ClientAppUrl {
            url: value.to_owned(),
            reason,
        };
        let mut url = Url::parse(value).map_err(|_| reject("it is not an absolute URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(reject("it is not an http(s) URL with a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(reject("it carries credentials"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(reject("it has a query or fragment"));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self(url))
    }

    /// The base URL as text (the outbox's `target`).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Where the client app receives user records.
    pub fn add_update_user_url(&self) -> Url {
        let mut url = self.0.clone();
        url.set_path(&format!("{}addupdateuser/", self.0.path()));
        url
    }
}

impl fmt::Display for ClientAppUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One user to be sent to one client app. There is one row per client app and user: a
/// change bumps `version` and makes the row pending again, so a newer record supersedes an
/// undelivered older one by construction. The record itself is read when it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Database id.
    pub id: i64,
    /// The client app's base URL, as configured when the change was made.
    pub target: String,
    /// The user to send.
    pub user_id: UserId,
    /// Bumped by every change; a delivery settles the row only if no change came meanwhile.
    pub version: i64,
    /// When the oldest undelivered change was made; `None` once delivered.
    pub pending_since: Option<Timestamp>,
    /// Failed attempts since the row last became pending.
    pub attempts: i32,
    /// Earliest time of the next attempt.
    pub next_attempt_at: Timestamp,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The last successful delivery.
    pub delivered_at: Option<Timestamp>,
    /// Set when retries ran past the maximum age; cleared by a new change or a retry.
    pub dead_at: Option<Timestamp>,
}

/// Where one client app stands (`warrant sync status`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxStatus {
    /// The client app's base URL.
    pub target: String,
    /// Users waiting to be delivered.
    pub pending: u64,
    /// Users whose delivery was given up.
    pub dead: u64,
    /// The oldest undelivered change, pending or dead.
    pub oldest_pending_since: Option<Timestamp>,
    /// The last successful delivery.
    pub last_delivered_at: Option<Timestamp>,
    /// The error of the most recent failed attempt, if any row still fails.
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_get_a_final_slash_and_the_receiving_path() {
        let plain = ClientAppUrl::parse("http://127.0.0.1:9000").unwrap();
        assert_eq!(plain.as_str(), "http://127.0.0.1:9000/");
        assert_eq!(
            plain.add_update_user_url().as_str(),
            "http://127.0.0.1:9000/addupdateuser/"
        );
        let nested = ClientAppUrl::parse("https://portal.example/api").unwrap();
        assert_eq!(
            nested.add_update_user_url().as_str(),
            "https://portal.example/api/addupdateuser/"
        );
        let kept = ClientAppUrl::parse("https://portal.example/api/").unwrap();
        assert_eq!(kept, nested);
    }

    #[test]
    fn other_urls_are_refused() {
        for bad in [
            "portal.example",
            "ftp://portal.example/",
            "https://user:pw@portal.example/",
            "https://portal.example/?a=b",
            "https://portal.example/#top",
        ] {
            assert!(ClientAppUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
