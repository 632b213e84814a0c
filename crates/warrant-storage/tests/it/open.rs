//! Opening a database: files private to their owner, and a failure said once, with the
//! database named (never its password) and what to check.

use warrant_storage::{ConnectOptions, StoreError, connect};

/// The one line a failed open reads as, after checking it is [`StoreError::Open`].
async fn open_error(url: &str) -> String {
    let options = ConnectOptions {
        acquire_timeout: std::time::Duration::from_secs(5),
        ..ConnectOptions::default()
    };
    match connect(url, &options).await {
        Err(error @ StoreError::Open { .. }) => {
            let message = error.to_string();
            assert!(std::error::Error::source(&error).is_none(), "{message}");
            assert!(!message.contains('\n'), "{message}");
            message
        }
        Err(other) => panic!("{url}: expected an open error, got {other:?}"),
        Ok(_) => panic!("{url} opened"),
    }
}

#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(crate::harness::unique_name());
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("warrant.db");
    let store = connect(&format!("sqlite://{}", file.display()), &Default::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    for name in ["warrant.db", "warrant.db-wal", "warrant.db-shm"] {
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_missing_sqlite_directory_is_named() {
    let message = open_error("sqlite:///nonexistent-warrant-dir/warrant.db").await;
    assert_eq!(
        message,
        "cannot open database sqlite:///nonexistent-warrant-dir/warrant.db: no such file or \
         directory; check that the file's directory exists and this user may write to it"
    );
}

/// `WARRANT_TEST_POSTGRES_URL` with another user, password, port or database.
fn postgres_url() -> Option<url::Url> {
    match std::env::var("WARRANT_TEST_POSTGRES_URL") {
        Ok(url) => Some(url::Url::parse(&url).unwrap()),
        Err(_) => {
            eprintln!("SKIPPED: WARRANT_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

mod postgres {
    use super::*;

    #[tokio::test]
    async fn a_refused_connection_says_so_without_the_password() {
        let Some(mut url) = postgres_url() else {
            return;
        };
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        url.set_port(Some(closed)).unwrap();
        url.set_password(Some("hunter2-secret")).unwrap();
        let message = open_error(url.as_str()).await;
        assert!(!message.contains("hunter2"), "{message}");
        assert!(
            message.contains(&format!(":redacted@127.0.0.1:{closed}/"))
                && message.contains(": connection refused; check that PostgreSQL is running"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn an_unknown_role_or_database_is_said_once() {
        let Some(base) = postgres_url() else { return };
        let mut unknown_role = base.clone();
        unknown_role.set_username("no_such_warrant_role").unwrap();
        let message = open_error(unknown_role.as_str()).await;
        assert_eq!(
            message.matches("no_such_warrant_role").count(),
            2,
            "in the URL and in the cause, once: {message}"
        );
        assert!(
            message.contains("check the user name and password") && !message.contains(" at line "),
            "{message}"
        );
        let mut unknown_database = base;
        unknown_database.set_path("/no_such_warrant_database");
        let message = open_error(unknown_database.as_str()).await;
        assert!(
            message.ends_with(
                "database \"no_such_warrant_database\" does not exist; create the database \
                 (createdb NAME) or correct its name in the URL"
            ),
            "{message}"
        );
    }
}
