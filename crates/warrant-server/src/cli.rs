//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Warrant: an OAuth 2.0 / OpenID Connect authorization server.
#[derive(Debug, Parser)]
#[command(
    name = "warrant",
    version,
    about = "Warrant: an OAuth 2.0 / OpenID Connect authorization server"
)]
pub struct Cli {
    /// Config file (default: ./warrant.toml if it exists). WARRANT_* variables override it.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Development mode: generate a secret_key next to the database if none is set.
    #[arg(long, global = true)]
    pub dev: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (applies migrations first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Delete expired codes, tokens, sessions and device authorizations (cron-friendly).
    Cleartokens {
        /// Rows per delete statement (default: oauth2.clear_expired_tokens_batch_size).
        #[arg(long)]
        batch_size: Option<u32>,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage applications (OAuth clients).
    #[command(subcommand)]
    App(AppCommand),
    /// Manage the keys that sign ID tokens (published at /o/.well-known/jwks.json).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Client sync: deliveries of users to client apps (sync.client_apps).
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Brute-force protection: failures counted per login name, address, client and device
    /// user, and the locks they earned.
    #[command(subcommand)]
    Lockout(LockoutCommand),
    /// Move a site to Warrant: import its users, applications, tokens, API tokens and
    /// upstream connections, so nobody has to log in again.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print the shell completion script for bash, zsh or fish (for example
    /// `warrant completions bash > /etc/bash_completion.d/warrant`).
    Completions {
        /// The shell.
        shell: ShellArg,
    },
    /// Print the man page (roff), for `man -l` or /usr/share/man/man1/warrant.1.
    Manpage,
    /// Compare the configuration with the database and the providers: exit status 1 when
    /// they disagree (connections of providers no longer configured, client-sync rows for
    /// client apps no longer configured, signing keys another secret_key sealed, OpenID
    /// Connect providers whose discovery fails or names another issuer, a listener without
    /// an issuer); warnings for allowed but dangerous settings.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a Django site running Django OAuth Toolkit (with Django REST framework's
    /// tokens and django-oauth-login's connections, if it has them) from its database,
    /// which is only read. Running it again changes nothing it already did and brings what
    /// is new. Exit status 1 if any row was refused.
    Django(ImportDjangoArgs),
}

#[derive(Debug, Args)]
pub struct ImportDjangoArgs {
    /// The Django site's database: sqlite:PATH or postgres://…
    #[arg(long, value_name = "URL")]
    pub database_url: String,
    /// Write nothing; report what an import would do.
    #[arg(long)]
    pub dry_run: bool,
    /// Import expired and revoked tokens too, kept expired and revoked (a record of them;
    /// they authorize nothing).
    #[arg(long)]
    pub keep_inactive: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Per client app: users pending and dead, the oldest undelivered change, the last error.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send pending users now instead of after their backoff; with --dead, try again the
    /// users given up on.
    Retry {
        /// Revive dead deliveries instead.
        #[arg(long)]
        dead: bool,
        /// Only this client app (its base URL as `sync status` shows it).
        #[arg(long, value_name = "URL")]
        target: Option<String>,
    },
    /// Queue every user for the client apps (after adding one, so it catches up).
    PushAll {
        /// Only this configured client app.
        #[arg(long, value_name = "URL")]
        target: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LockoutCommand {
    /// Counters that count now, locked ones first.
    List {
        /// Only this kind: account, login_address, client, client_address, device_user,
        /// device_address.
        #[arg(long)]
        kind: Option<String>,
        /// Only this login name, address, client id or user id.
        #[arg(long)]
        subject: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Forget one counter and lift its lock.
    Clear {
        /// Its kind (as `lockout list` shows it).
        kind: String,
        /// Its login name, address, client id or user id.
        subject: String,
    },
    /// Unlock a user: forget failed logins against their username and email address and
    /// their device-code guesses.
    UnlockUser {
        /// The user.
        username: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys, newest first.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a new signing key for an algorithm and retire the previous one (it stays
    /// published until every token it signed has expired).
    Rotate {
        /// RS256, ES256 or EdDSA.
        #[arg(long, default_value = "RS256")]
        algorithm: String,
    },
    /// Sign with a private key you bring (PEM: PKCS#8, or PKCS#1 for RSA), e.g. the
    /// OIDC_RSA_PRIVATE_KEY of a Django OAuth Toolkit server; the previous key is retired
    /// as by rotate.
    Import {
        /// RS256, ES256 or EdDSA.
        #[arg(long, default_value = "RS256")]
        algorithm: String,
        /// The PEM file.
        #[arg(long, value_name = "PATH")]
        pem_file: std::path::PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Do not apply migrations on start.
    #[arg(long)]
    pub no_migrate: bool,
    /// Seed a demo user and clients and print commands to try them (implies --dev).
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Create(UserCreateArgs),
    /// Set a user's password (read from standard input) and end their sessions.
    Passwd {
        /// The user.
        username: String,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List users.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replace a user's API token: the old one stops working at once, here and at client
    /// apps as soon as the new one reaches them.
    RevokeApiToken {
        /// The user.
        username: String,
    },
    /// Change a user's email, names or flags (what is not given stays); client apps get
    /// the change.
    Update(UserUpdateArgs),
    /// Deactivate a user: they cannot log in, their sessions end and their tokens stop
    /// working; client apps get the change.
    Deactivate {
        /// The user.
        username: String,
    },
    /// Activate a deactivated user again.
    Activate {
        /// The user.
        username: String,
    },
    /// Unlock a user locked by failed logins (as `lockout unlock-user`).
    Unlock {
        /// The user.
        username: String,
    },
    /// Delete a user for good, with their tokens, consents, sessions, API token and
    /// upstream connections. Client apps are not told (ocs-authentication has no such
    /// message): deactivate first if their copy must stop working.
    Delete {
        /// The user.
        username: String,
        /// Yes, delete (there is no undo).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct UserUpdateArgs {
    /// The user.
    pub username: String,
    /// A new email address; "" removes it.
    #[arg(long)]
    pub email: Option<String>,
    /// Given name.
    #[arg(long)]
    pub first_name: Option<String>,
    /// Family name.
    #[arg(long)]
    pub last_name: Option<String>,
    /// May use staff pages and the admin API.
    #[arg(long, value_name = "true|false")]
    pub staff: Option<bool>,
    /// Has every permission.
    #[arg(long, value_name = "true|false")]
    pub superuser: Option<bool>,
}

#[derive(Debug, Args)]
pub struct UserCreateArgs {
    /// Login name.
    #[arg(long)]
    pub username: String,
    /// Email address (users may log in with it too).
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from standard input; without it (or --password-hash) the user has
    /// no password.
    #[arg(long, conflicts_with = "password_hash")]
    pub password_stdin: bool,
    /// A password hash made elsewhere, in Django's format (pbkdf2_sha256, pbkdf2_sha1,
    /// argon2, bcrypt_sha256, bcrypt, scrypt), kept as it is: the user logs in with their old
    /// password, which is then re-hashed.
    #[arg(long, value_name = "HASH")]
    pub password_hash: Option<String>,
    /// Given name.
    #[arg(long, default_value = "")]
    pub first_name: String,
    /// Family name.
    #[arg(long, default_value = "")]
    pub last_name: String,
    /// May use staff pages and the admin API.
    #[arg(long)]
    pub staff: bool,
    /// Has every permission.
    #[arg(long)]
    pub superuser: bool,
    /// Print `{"id": …, "username": …}`.
    #[arg(long)]
    pub json: bool,
}

/// The shells `warrant completions` writes for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ClientTypeArg {
    Confidential,
    Public,
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an application; prints its client secret once.
    Create(Box<AppCreateArgs>),
    /// List applications.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one application.
    Show {
        /// Its client id.
        client_id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete an application with its tokens.
    Delete {
        /// Its client id.
        client_id: String,
    },
    /// Replace a confidential application's secret; prints the new one once.
    RotateSecret {
        /// Its client id.
        client_id: String,
        /// Print `{"client_id": …, "client_secret": …}`.
        #[arg(long)]
        json: bool,
    },
    /// Change an application (what is not given stays; a list given replaces the list);
    /// the client id, type and secret stay.
    Update(Box<AppUpdateArgs>),
}

#[derive(Debug, Args)]
pub struct AppUpdateArgs {
    /// Its client id.
    pub client_id: String,
    /// Shown on the consent page.
    #[arg(long)]
    pub name: Option<String>,
    /// The grants it may use (repeatable), replacing its grants.
    #[arg(long = "grant", value_name = "GRANT")]
    pub grants: Vec<String>,
    /// Its redirect URIs (repeatable), replacing them.
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Its post-logout redirect URIs (repeatable), replacing them.
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Its CORS origins (repeatable), replacing them.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// Trusted application: no consent page.
    #[arg(long, value_name = "true|false")]
    pub skip_authorization: Option<bool>,
    /// Require PKCE from this confidential client too.
    #[arg(long, value_name = "true|false")]
    pub require_pkce: Option<bool>,
    /// ID-token signing algorithm: RS256, ES256 or EdDSA.
    #[arg(long)]
    pub algorithm: Option<String>,
    /// Print the application as `app show --json` does.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AppCreateArgs {
    /// Keep this client id (an application moved from another server) instead of
    /// generating one.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Read the client secret to keep from standard input instead of generating one
    /// (confidential clients).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// Name shown on the consent page.
    #[arg(long)]
    pub name: String,
    /// Whether the client can keep a secret.
    #[arg(long, value_enum)]
    pub client_type: ClientTypeArg,
    /// Allowed grant (repeatable): authorization_code, implicit, password,
    /// client_credentials, refresh_token, device_code (DOT's hyphenated names work too).
    #[arg(long = "grant", required = true, value_name = "GRANT")]
    pub grants: Vec<String>,
    /// Redirect URI (repeatable), matched exactly.
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Browser origin allowed to call the token endpoints (repeatable).
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// A resource (RFC 8707) its tokens may be for (repeatable); none: any.
    #[arg(long = "resource", value_name = "URI")]
    pub resources: Vec<String>,
    /// Username of the owning user.
    #[arg(long)]
    pub owner: Option<String>,
    /// Trusted application: no consent page.
    #[arg(long)]
    pub skip_authorization: bool,
    /// Require PKCE from this confidential client too (always on for public clients).
    #[arg(long)]
    pub require_pkce: bool,
    /// ID-token signing algorithm (RS256, ES256, EdDSA) for OpenID Connect clients.
    #[arg(long)]
    pub algorithm: Option<String>,
    /// Its authorization requests must be pushed first (RFC 9126, `/o/par/`).
    #[arg(long)]
    pub require_par: bool,
    /// The one way it authenticates: client_secret_basic, client_secret_post,
    /// client_secret_jwt, private_key_jwt or none; absent: a secret, or none when public.
    #[arg(long, value_name = "METHOD")]
    pub auth_method: Option<String>,
    /// A file holding its public keys as a JWK Set, for private_key_jwt.
    #[arg(long, value_name = "PATH", conflicts_with = "jwks_uri")]
    pub jwks_file: Option<std::path::PathBuf>,
    /// Where it publishes its public keys (https), for private_key_jwt.
    #[arg(long, value_name = "URL")]
    pub jwks_uri: Option<String>,
    /// Its token requests must carry a DPoP proof (RFC 9449), so its tokens are bound to
    /// its key.
    #[arg(long)]
    pub require_dpop: bool,
    /// The security profile it is held to: standard or fapi2 (the FAPI 2.0 Security
    /// Profile); absent: oauth2.security_profile.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Print `{"client_id": …, "client_secret": …}`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration, secrets redacted.
    Show {
        /// Print JSON instead of TOML.
        #[arg(long)]
        json: bool,
    },
}
