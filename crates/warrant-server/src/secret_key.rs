//! Where the `secret_key` comes from: config, or in dev mode a file generated once.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use warrant_generators::{SealingKey, random_urlsafe};
use warrant_model::Secret;

use crate::config::Config;

const DEV_KEY_FILE: &str = "warrant.secret_key";

/// Which command asks for the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsedBy {
    /// `serve`: without `secret_key` it needs `--dev`, so a production server never runs on
    /// a development key by accident.
    Server,
    /// An administration command: it also finds the development key a `serve --dev` made
    /// next to the database, as every command finds that database.
    Command,
}

/// The configured key, or in dev mode the generated one; checked by deriving the sealing
/// key from it.
pub fn resolve(config: &Config, used_by: UsedBy) -> anyhow::Result<(Secret<String>, SealingKey)> {
    let dev_file = dev_key_path(&config.database.url).filter(|path| path.exists());
    let secret = match (&config.secret_key, &dev_file) {
        (Some(secret), _) => secret.clone(),
        (None, _) if config.dev => dev_key(config)?,
        (None, Some(path)) if used_by == UsedBy::Command => read_dev_key(path)?,
        (None, Some(path)) => bail!(
            "secret_key is not set: set it in the config file or WARRANT_SECRET_KEY, \
             or pass --dev to use the development key in {}",
            path.display()
        ),
        (None, None) => bail!(
            "secret_key is not set: set it in the config file or WARRANT_SECRET_KEY (at least 32 random characters), \
             or pass --dev to generate a development key"
        ),
    };
    let sealing = SealingKey::derive(&secret).context("secret_key")?;
    Ok((secret, sealing))
}

fn read_dev_key(path: &std::path::Path) -> anyhow::Result<Secret<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Secret::new(text.trim().to_owned()))
}

fn dev_key(config: &Config) -> anyhow::Result<Secret<String>> {
    let Some(path) = dev_key_path(&config.database.url) else {
        tracing::warn!("dev mode with an in-memory database: using a throw-away secret_key");
        return Ok(random_urlsafe(48)?);
    };
    if path.exists() {
        return read_dev_key(&path);
    }
    let secret = random_urlsafe(48)?;
    let mut file = create_private(&path).with_context(|| format!("writing {}", path.display()))?;
    writeln!(file, "{}", secret.expose()).with_context(|| format!("writing {}", path.display()))?;
    tracing::warn!(path = %path.display(), "dev mode: generated a secret_key; set secret_key explicitly in production");
    Ok(secret)
}

/// Next to the SQLite file; in the working directory for PostgreSQL.
fn dev_key_path(database_url: &str) -> Option<PathBuf> {
    let Some(rest) = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    else {
        return Some(PathBuf::from(DEV_KEY_FILE));
    };
    let file = rest.split('?').next().unwrap_or_default();
    if file.is_empty() || file == ":memory:" {
        return None;
    }
    let parent = PathBuf::from(file)
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    Some(parent.join(DEV_KEY_FILE))
}

#[cfg(unix)]
fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_key_lives_next_to_the_sqlite_file() {
        assert_eq!(
            dev_key_path("sqlite://warrant.db"),
            Some(PathBuf::from("warrant.secret_key"))
        );
        assert_eq!(
            dev_key_path("sqlite:///var/lib/w/db.sqlite?mode=rwc"),
            Some(PathBuf::from("/var/lib/w/warrant.secret_key"))
        );
        assert_eq!(dev_key_path("sqlite::memory:"), None);
        assert_eq!(
            dev_key_path("postgres://localhost/w"),
            Some(PathBuf::from("warrant.secret_key"))
        );
    }
}
