//! The client-app half: the mirror store on SQLite and PostgreSQL, and the password
//! authenticator against a fake Warrant server that can refuse, fail, be slow or be gone.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod authenticate;
mod fake_server;
mod mirror;

pub fn unique_name() -> String {
    let random = warrant_generators::random_urlsafe(16).unwrap();
    format!(
        "warrant_mirror_{}",
        &warrant_generators::hash_token(random.expose()).to_hex()[..16]
    )
}

/// A fresh SQLite mirror in a scratch directory.
pub async fn sqlite_mirror() -> warrant_client_sync::client_app::MirrorStore {
    let dir = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("mirror.db").display());
    let store = warrant_client_sync::client_app::MirrorStore::connect(&url)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

/// A fresh PostgreSQL mirror in a database of its own, dropped by [`PgScratch::drop`];
/// `None` without `WARRANT_TEST_POSTGRES_URL`.
pub async fn postgres_mirror() -> Option<PgScratch> {
    let Ok(admin_url) = std::env::var("WARRANT_TEST_POSTGRES_URL") else {
        eprintln!("SKIPPED: WARRANT_TEST_POSTGRES_URL is not set, PostgreSQL mirror test not run");
        return None;
    };
    let name = unique_name();
    admin_execute(&admin_url, &format!("CREATE DATABASE {name}")).await;
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    let store = warrant_client_sync::client_app::MirrorStore::connect(url.as_str())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    Some(PgScratch {
        store,
        admin_url,
        name,
    })
}

pub struct PgScratch {
    pub store: warrant_client_sync::client_app::MirrorStore,
    admin_url: String,
    name: String,
}

impl PgScratch {
    pub async fn drop(self) {
        if let warrant_client_sync::client_app::MirrorStore::Postgres(pool) = &self.store {
            pool.close().await;
        }
        admin_execute(&self.admin_url, &format!("DROP DATABASE {}", self.name)).await;
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
