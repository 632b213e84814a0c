//! The password authenticator: the server decides, the remembered password stands in only
//! while the server cannot be reached, and every call has a deadline.

use std::time::Duration;

use warrant_client_sync::SyncError;
use warrant_client_sync::client_app::{ClientAppSettings, ClientSync};
use warrant_generators::PasswordHasher;
use warrant_model::Secret;

use crate::fake_server::FakeServer;

const PROFILE: &str = r#"{"username": "alice", "first_name": "Alice", "last_name": "", "email": "alice@example.com",
  "is_staff": false, "is_superuser": false, "tokens": {"api_token": "alices-api-token"}, "profile": {"staff_view": true}}"#;

async fn client(server_url: &str) -> ClientSync {
    let mut settings = ClientAppSettings::from_server(
        server_url,
        "portal",
        Secret::new("portal-secret".into()),
        Secret::new("the-shared-server-key".into()),
    )
    .unwrap();
    settings.requests_timeout = Duration::from_millis(500);
    ClientSync::start(settings, crate::sqlite_mirror().await)
        .await
        .unwrap()
        .with_password_hasher(PasswordHasher::new(1000).unwrap())
}

fn password(value: &str) -> Secret<String> {
    Secret::new(value.into())
}

/// Who `login` and `password` log in as, if anyone.
async fn logs_in(sync: &ClientSync, login: &str, password: &str) -> Option<String> {
    let user = sync
        .authenticate(login, &Secret::new(password.into()))
        .await
        .unwrap();
    user.map(|user| user.username)
}

fn server_accepting(access_token: &str) -> FakeServer {
    let server = FakeServer::start();
    server.answer(
        "/o/token/",
        200,
        &format!(r#"{{"access_token": "{access_token}", "token_type": "Bearer"}}"#),
        Duration::ZERO,
    );
    server.answer("/api/profile/", 200, PROFILE, Duration::ZERO);
    server
}

#[tokio::test]
async fn an_accepted_login_creates_the_local_user_from_the_profile() {
    let server = server_accepting("an-access-token");
    let sync = client(&server.base_url).await;
    let user = sync
        .authenticate("alice@example.com", &password("her-password"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (user.username.as_str(), user.first_name.as_str()),
        ("alice", "Alice")
    );
    assert!(user.staff_view);
    let requests = server.requests();
    assert_eq!(requests[0].path, "/o/token/");
    for field in [
        "grant_type=password",
        "username=alice%40example.com",
        "password=her-password",
        "client_id=portal",
        "client_secret=portal-secret",
    ] {
        assert!(
            requests[0].body.contains(field),
            "{field} in {}",
            requests[0].body
        );
    }
    assert_eq!(requests[1].path, "/api/profile/");
    assert_eq!(
        requests[1].authorization.as_deref(),
        Some("Bearer an-access-token")
    );
    assert!(
        sync.store()
            .user_by_api_token(&warrant_generators::hash_token("alices-api-token"))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_refused_token_call_is_no_login_and_a_failed_profile_is_an_error() {
    let server = FakeServer::start();
    server.answer(
        "/o/token/",
        400,
        r#"{"error": "invalid_grant"}"#,
        Duration::ZERO,
    );
    let sync = client(&server.base_url).await;
    assert_eq!(logs_in(&sync, "alice", "wrong").await, None);

    server.answer("/o/token/", 200, r#"{"access_token": "t"}"#, Duration::ZERO);
    server.answer("/api/profile/", 500, "{}", Duration::ZERO);
    let failed = sync.authenticate("alice", &password("right")).await;
    assert!(matches!(failed, Err(SyncError::Profile(_))), "{failed:?}");
    server.answer("/api/profile/", 200, "not json", Duration::ZERO);
    let garbled = sync.authenticate("alice", &password("right")).await;
    assert!(matches!(garbled, Err(SyncError::Profile(_))), "{garbled:?}");

    // A deactivated user is no login even when the server lets the password through.
    let inactive = PROFILE.replace(
        r#""is_staff": false"#,
        r#""is_staff": false, "is_active": false"#,
    );
    server.answer("/api/profile/", 200, &inactive, Duration::ZERO);
    assert_eq!(logs_in(&sync, "alice", "right").await, None);
}

#[tokio::test]
async fn the_remembered_password_stands_in_only_while_the_server_is_unreachable() {
    let server = server_accepting("t");
    let sync = client(&server.base_url).await;
    assert!(logs_in(&sync, "alice", "her-password").await.is_some());

    // Too slow: the deadline holds, and the remembered password is used.
    server.answer(
        "/o/token/",
        200,
        r#"{"access_token": "t"}"#,
        Duration::from_secs(2),
    );
    let offline = logs_in(&sync, "alice@example.com", "her-password").await;
    assert_eq!(offline.as_deref(), Some("alice"));
    assert_eq!(logs_in(&sync, "alice", "not-hers").await, None);
    assert_eq!(logs_in(&sync, "nobody", "her-password").await, None);
    server.answer("/o/token/", 503, "{}", Duration::ZERO);
    assert!(logs_in(&sync, "alice", "her-password").await.is_some());

    // Once the server refuses the password, it is forgotten: offline it no longer works.
    server.answer(
        "/o/token/",
        400,
        r#"{"error": "invalid_grant"}"#,
        Duration::ZERO,
    );
    assert_eq!(logs_in(&sync, "alice", "her-password").await, None);
    server.answer("/o/token/", 503, "{}", Duration::ZERO);
    assert_eq!(logs_in(&sync, "alice", "her-password").await, None);

    // A server that is gone altogether counts as unreachable too.
    let gone = client("http://127.0.0.1:9").await;
    assert_eq!(logs_in(&gone, "alice", "x").await, None);
}
