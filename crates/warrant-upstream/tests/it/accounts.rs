//! The connection rules over a real store: sign up, log in, email collisions, connect,
//! disconnect, and a fresh access token.

use std::sync::Arc;

use serde_json::json;
use time::{Duration, OffsetDateTime};
use warrant_generators::{HashingLimits, PasswordHasher, PasswordPool, SealingKey};
use warrant_model::{ProviderKey, Secret, User};
use warrant_storage::{ConnectOptions, SqliteStore, Store, SyncTo};
use warrant_upstream::{
    ACCESS_TOKEN_PURPOSE, Accounts, Login, UpstreamError, UpstreamTokens, UpstreamUser,
};

use crate::fake::FakeProvider;

struct World {
    store: Arc<dyn Store>,
    sealing: SealingKey,
    hasher: PasswordPool,
    _database: Option<Scratch>,
}

/// A database made for one test, removed when it ends.
enum Scratch {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match self {
            Self::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Self::Postgres { admin_url, name } => {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let admin_url = admin_url.clone();
                let _ = std::thread::spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap()
                        .block_on(admin_execute(&admin_url, &sql));
                })
                .join();
            }
        }
    }
}

async fn admin_execute(admin_url: &str, sql: &str) {
    let admin = sqlx::PgPool::connect(admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
}

impl World {
    /// One in-memory SQLite connection: enough where nothing runs at once.
    async fn new() -> Self {
        let store = SqliteStore::in_memory().await.unwrap();
        Self::with(Arc::new(store), None).await
    }

    /// An SQLite file with a pool of connections, as a server has.
    async fn sqlite_file() -> Self {
        let dir = std::env::temp_dir().join(crate::unique("accounts"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("warrant.db").display());
        let store = warrant_storage::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        Self::with(store, Some(Scratch::Sqlite(dir))).await
    }

    /// A database of its own on the server `WARRANT_TEST_POSTGRES_URL` names, or `None`.
    async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var("WARRANT_TEST_POSTGRES_URL") else {
            eprintln!("SKIPPED: WARRANT_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = crate::unique("accounts");
        admin_execute(&admin_url, &format!("CREATE DATABASE {name}")).await;
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&format!("/{name}"));
        let store = warrant_storage::connect(url.as_str(), &ConnectOptions::default())
            .await
            .unwrap();
        Some(Self::with(store, Some(Scratch::Postgres { admin_url, name })).await)
    }

    async fn with(store: Arc<dyn Store>, database: Option<Scratch>) -> Self {
        store.migrate().await.unwrap();
        Self {
            store,
            sealing: SealingKey::derive(&Secret::new("k".repeat(40))).unwrap(),
            hasher: PasswordPool::new(PasswordHasher::new(1000).unwrap(), HashingLimits::default()),
            _database: database,
        }
    }

    fn accounts(&self) -> Accounts<'_> {
        Accounts {
            store: &*self.store,
            sealing: &self.sealing,
            client_apps: &[],
        }
    }

    /// Logs in through the GitHub account `octocat` (with `email`), receiving `access`.
    async fn octocat_logs_in(
        &self,
        access: &str,
        email: Option<&str>,
    ) -> Result<Login, UpstreamError> {
        self.accounts()
            .log_in(&github(), &tokens(access, None), &octocat(email), now())
            .await
    }

    async fn user(&self, username: &str, email: Option<&str>, password: bool) -> User {
        let password = match password {
            true => {
                let password = Secret::new("long-enough-password".into());
                Some(self.hasher.hash(&password).await.unwrap())
            }
            false => None,
        };
        let user = warrant_model::NewUser {
            username: warrant_model::Username::parse(username).unwrap(),
            email: email.map(|e| warrant_model::Email::parse(e).unwrap()),
            password,
            first_name: String::new(),
            last_name: String::new(),
            is_active: true,
            is_staff: false,
            is_superuser: false,
            date_joined: now(),
        };
        self.store
            .create_user(&user, warrant_storage::SyncTo::NOBODY)
            .await
            .unwrap()
    }
}

fn now() -> OffsetDateTime {
    warrant_storage::stored_time(OffsetDateTime::now_utc())
}

fn github() -> ProviderKey {
    ProviderKey::parse("github").unwrap()
}

fn tokens(access: &str, expires_at: Option<OffsetDateTime>) -> UpstreamTokens {
    UpstreamTokens {
        access_token: Secret::new(access.into()),
        refresh_token: Some(Secret::new(format!("refresh-of-{access}"))),
        expires_at,
    }
}

fn octocat(email: Option<&str>) -> UpstreamUser {
    UpstreamUser {
        id: "42".into(),
        username: "octo cat!".into(),
        email: email.map(str::to_owned),
        record: json!({ "id": 42, "login": "octo cat!" }),
    }
}

#[tokio::test]
async fn an_unknown_account_signs_up_and_then_logs_in() {
    let world = World::new().await;
    world.user("octocat", None, true).await;
    let signed_up = world
        .octocat_logs_in("first", Some("octo@example.com"))
        .await
        .unwrap();
    let Login::SignedUp(user) = signed_up else {
        panic!("{signed_up:?}")
    };
    // The provider's name made valid, numbered because "octocat" was taken.
    assert_eq!(user.username.as_str(), "octocat-2");
    assert_eq!(
        user.email.as_ref().map(|e| e.as_str()),
        Some("octo@example.com")
    );
    assert!(user.password.is_none());
    let connection = world
        .store
        .connection(&github(), "42")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(connection.user_id, user.id);
    assert_ne!(
        connection.access_token.as_bytes(),
        b"first",
        "sealed at rest"
    );
    assert_eq!(
        world
            .sealing
            .open_str(ACCESS_TOKEN_PURPOSE, &connection.access_token)
            .unwrap()
            .expose(),
        "first"
    );

    // The next login through the same account is that user, with the new tokens stored.
    let again = world
        .octocat_logs_in("second", Some("octo@example.com"))
        .await
        .unwrap();
    assert_eq!(again, Login::Existing(user.clone()));
    let connection = world
        .store
        .connection(&github(), "42")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        world
            .sealing
            .open_str(ACCESS_TOKEN_PURPOSE, &connection.access_token)
            .unwrap()
            .expose(),
        "second"
    );

    // A deactivated user cannot come in this way either.
    let mut inactive = user;
    inactive.is_active = false;
    world
        .store
        .update_user(&inactive, SyncTo::NOBODY)
        .await
        .unwrap();
    let refused = world.octocat_logs_in("third", None).await;
    assert!(
        matches!(refused, Err(UpstreamError::Inactive)),
        "{refused:?}"
    );
}

/// First logins through one provider account at once (two tabs, a double click), each on a
/// thread of its own: all log in, as one new user.
async fn first_logins_at_once_make_one_user(world: World, email: Option<&'static str>) {
    let world = Arc::new(world);
    let logins: Vec<_> = (0..8)
        .map(|n| {
            let world = world.clone();
            tokio::spawn(async move {
                world
                    .accounts()
                    .log_in(
                        &github(),
                        &tokens(&format!("t{n}"), None),
                        &octocat(email),
                        now(),
                    )
                    .await
            })
        })
        .collect();
    let mut signed_up = 0;
    let mut user_ids = Vec::new();
    for login in logins {
        match login.await.unwrap() {
            Ok(Login::SignedUp(user)) => {
                signed_up += 1;
                user_ids.push(user.id);
            }
            Ok(Login::Existing(user)) => user_ids.push(user.id),
            Err(error) => panic!("a login was refused ({email:?}): {error}"),
        }
    }
    assert_eq!(signed_up, 1, "{user_ids:?}");
    assert!(user_ids.iter().all(|id| *id == user_ids[0]), "{user_ids:?}");
    let users = world
        .store
        .list_users(Default::default(), warrant_storage::Page::first(10))
        .await
        .unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0].email.as_ref().map(|e| e.as_str()), email);
}

/// One user connecting one account from several tabs at once: every tab succeeds, with one
/// connection; another user is still refused.
async fn connects_at_once_by_one_user_all_succeed(world: World) {
    let world = Arc::new(world);
    let ada = world.user("ada", None, true).await;
    let connects: Vec<_> = (0..8)
        .map(|n| {
            let (world, ada) = (world.clone(), ada.clone());
            tokio::spawn(async move {
                world
                    .accounts()
                    .connect(
                        &ada,
                        &github(),
                        &tokens(&format!("t{n}"), None),
                        &octocat(None),
                        now(),
                    )
                    .await
            })
        })
        .collect();
    for connect in connects {
        let connection = connect.await.unwrap().unwrap();
        assert_eq!(connection.user_id, ada.id);
    }
    assert_eq!(
        world.store.connections_of_user(ada.id).await.unwrap().len(),
        1
    );
    let bob = world.user("bob", None, true).await;
    let refused = world
        .accounts()
        .connect(&bob, &github(), &tokens("b", None), &octocat(None), now())
        .await;
    assert!(
        matches!(refused, Err(UpstreamError::ConnectedElsewhere(_))),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connects_at_once_by_one_user_make_one_connection() {
    connects_at_once_by_one_user_all_succeed(World::sqlite_file().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn first_logins_at_once_through_one_account_make_one_user() {
    first_logins_at_once_make_one_user(World::sqlite_file().await, None).await;
    first_logins_at_once_make_one_user(World::sqlite_file().await, Some("octo@example.com")).await;
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn connects_at_once_by_one_user_make_one_connection() {
        if let Some(world) = World::postgres().await {
            connects_at_once_by_one_user_all_succeed(world).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn first_logins_at_once_through_one_account_make_one_user() {
        for email in [None, Some("octo@example.com")] {
            let Some(world) = World::postgres().await else {
                return;
            };
            first_logins_at_once_make_one_user(world, email).await;
        }
    }
}

#[tokio::test]
async fn an_email_in_use_asks_to_log_in_and_connect() {
    let world = World::new().await;
    world.user("ada", Some("octo@example.com"), true).await;
    let refused = world.octocat_logs_in("t", Some("octo@example.com")).await;
    let Err(error) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(
        error.to_string(),
        "A user already exists with this email address. Please log in first and then connect this provider to the existing account."
    );
    assert_eq!(world.store.connection(&github(), "42").await.unwrap(), None);
    assert_eq!(
        world
            .store
            .user_by_username(&warrant_model::Username::parse("octocat").unwrap())
            .await
            .unwrap(),
        None,
        "no user was made"
    );
}

#[tokio::test]
async fn users_connect_and_disconnect_only_their_own_accounts() {
    let world = World::new().await;
    let accounts = world.accounts();
    let ada = world.user("ada", None, true).await;
    let bob = world.user("bob", None, true).await;
    let connection = accounts
        .connect(&ada, &github(), &tokens("t", None), &octocat(None), now())
        .await
        .unwrap();
    // Connecting again refreshes; someone else cannot take the account.
    accounts
        .connect(&ada, &github(), &tokens("t2", None), &octocat(None), now())
        .await
        .unwrap();
    let taken = accounts
        .connect(&bob, &github(), &tokens("t", None), &octocat(None), now())
        .await;
    assert!(
        matches!(taken, Err(UpstreamError::ConnectedElsewhere(_))),
        "{taken:?}"
    );

    let not_bobs = accounts.disconnect(&bob, connection.id).await;
    assert!(
        matches!(not_bobs, Err(UpstreamError::NotYours)),
        "{not_bobs:?}"
    );
    accounts.disconnect(&ada, connection.id).await.unwrap();
    assert!(
        world
            .store
            .connections_of_user(ada.id)
            .await
            .unwrap()
            .is_empty()
    );

    // A user without a password keeps their last connection.
    let Login::SignedUp(carol) = world.octocat_logs_in("t", None).await.unwrap() else {
        panic!("expected a sign-up")
    };
    let only = world
        .store
        .connection(&github(), "42")
        .await
        .unwrap()
        .unwrap();
    let last = accounts.disconnect(&carol, only.id).await;
    assert!(matches!(last, Err(UpstreamError::LastLogin)), "{last:?}");
    let gitlab = ProviderKey::parse("gitlab").unwrap();
    let other = UpstreamUser {
        id: "7".into(),
        ..octocat(None)
    };
    accounts
        .connect(&carol, &gitlab, &tokens("g", None), &other, now())
        .await
        .unwrap();
    accounts.disconnect(&carol, only.id).await.unwrap();
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_and_stored() {
    let world = World::new().await;
    let accounts = world.accounts();
    let ada = world.user("ada", None, true).await;
    let provider = crate::config::parse(
        "[corp]\npreset = \"oauth2\"\nauthorize_url = \"http://sso.example/a\"\ntoken_url = \"http://sso.example/token\"\nuserinfo_url = \"http://sso.example/me\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
    )
    .unwrap()
    .remove(0);
    let corp = ProviderKey::parse("corp").unwrap();
    let start = now();
    let connection = accounts
        .connect(
            &ada,
            &corp,
            &tokens("live", Some(start + Duration::hours(1))),
            &octocat(None),
            start,
        )
        .await
        .unwrap();
    let fake = FakeProvider::default();
    let live = accounts
        .fresh_access_token(&provider, &fake, &connection, start)
        .await
        .unwrap();
    assert_eq!(live.expose(), "live");
    assert!(fake.seen().is_empty(), "no refresh while it is valid");

    fake.answer(
        "http://sso.example/token",
        200,
        json!({ "access_token": "renewed", "expires_in": 3600 }),
    );
    let later = start + Duration::hours(2);
    let renewed = accounts
        .fresh_access_token(&provider, &fake, &connection, later)
        .await
        .unwrap();
    assert_eq!(renewed.expose(), "renewed");
    assert_eq!(fake.seen()[0].form["refresh_token"], "refresh-of-live");
    let stored = world.store.connection(&corp, "42").await.unwrap().unwrap();
    assert_eq!(
        stored.access_token_expires_at,
        Some(later + Duration::hours(1))
    );
    assert_eq!(
        world
            .sealing
            .open_str(ACCESS_TOKEN_PURPOSE, &stored.access_token)
            .unwrap()
            .expose(),
        "renewed"
    );

    // Expired without a refresh token: nothing to do but connect again.
    let bare = UpstreamTokens {
        refresh_token: None,
        ..tokens("old", Some(start))
    };
    let gone_user = UpstreamUser {
        id: "9".into(),
        ..octocat(None)
    };
    let bare_connection = accounts
        .connect(&ada, &corp, &bare, &gone_user, start)
        .await
        .unwrap();
    let stale = accounts
        .fresh_access_token(&provider, &fake, &bare_connection, later)
        .await;
    assert!(
        matches!(stale, Err(UpstreamError::NoRefreshToken)),
        "{stale:?}"
    );
}
