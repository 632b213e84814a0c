//! `warrant serve`: health, readiness, secret-key handling, durability.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::support::{Server, TestEnv, assert_one_line_error};

pub async fn serve_answers_health_and_readiness(env: &TestEnv) {
    let server = Server::start(env.command(&["serve"])).await;
    let (status, body) = server.get("/healthz").await;
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        (200, serde_json::json!({"status": "ok"}))
    );
    let (status, body) = server.get("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["database"],
        "ok"
    );
}

/// `kill -9` while clients are being issued tokens loses none that was answered: every token
/// whose 200 arrived is active when a new server opens the same database. (Access tokens
/// are written in batches; each caller must be answered only after its batch commits.)
pub async fn kill_9_loses_no_token_that_was_answered(env: &TestEnv) {
    let setup = Arc::new(crate::token_endpoint::Setup::start(env).await);
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let setup = setup.clone();
        clients.spawn(async move {
            let mut answered = Vec::new();
            while let Ok(reply) = setup
                .server
                .try_post_form("/o/token/", "grant_type=client_credentials", setup.basic())
                .await
            {
                assert_eq!(reply.status, 200, "{reply:?}");
                answered.push(reply.json()["access_token"].as_str().unwrap().to_owned());
            }
            answered
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed = std::process::Command::new("kill")
        .args(["-9", &setup.server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut answered = Vec::new();
    while let Some(done) = clients.join_next().await {
        answered.extend(done.unwrap());
    }
    assert!(
        answered.len() >= 100,
        "under load: {} tokens",
        answered.len()
    );

    let restarted = Server::start(env.command(&["serve"])).await;
    for token in &answered {
        let reply = restarted
            .post_form("/o/introspect/", &format!("token={token}"), setup.basic())
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(
            reply.json()["active"],
            true,
            "a token answered before the kill"
        );
    }
}

pub async fn unknown_paths_get_a_json_404(env: &TestEnv) {
    let server = Server::start(env.command(&["serve"])).await;
    let (status, body) = server.get("/no/such/page").await;
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        serde_json::json!({"error": "not_found"})
    );
}

pub async fn readiness_fails_with_503_when_the_database_is_gone(env: &TestEnv) {
    let server = Server::start(env.command(&["serve"])).await;
    assert_eq!(server.get("/readyz").await.0, 200);
    env.drop_postgres_database().await;
    let (status, body) = server.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["database"],
        "unreachable"
    );
    let token = server
        .post_form(
            "/o/token/",
            "grant_type=client_credentials&client_id=any&client_secret=x",
            None,
        )
        .await;
    token.assert_oauth_error(503, "temporarily_unavailable");
    let jwks = server
        .request("GET", "/o/.well-known/jwks.json", &[], vec![])
        .await;
    jwks.assert_oauth_error(503, "temporarily_unavailable");
    assert_eq!(
        server.get("/healthz").await.0,
        200,
        "liveness does not depend on the database"
    );
    // Metrics still answer, saying the database did not.
    let (status, metrics) = server.get("/metrics").await;
    assert_eq!(status, 200, "{metrics}");
    assert!(
        metrics.lines().any(|line| line == "warrant_database_up 0"),
        "{metrics}"
    );
}

/// After PostgreSQL drops every connection (a restart), each broken pooled connection
/// fails one request with 503 and is replaced; then every request succeeds again.
pub async fn the_pool_recovers_after_postgresql_drops_its_connections(env: &TestEnv) {
    let pool_size = 3;
    let mut command = env.command(&["serve"]);
    command.env("WARRANT_DATABASE__MAX_CONNECTIONS", pool_size.to_string());
    // Once the unknown client is locked out, its attempts are refused from the lockout's
    // memory without a database read; this test needs every request to read.
    command.env("WARRANT_BRUTE_FORCE__ENABLED", "false");
    let server = Server::start(command).await;
    let ask = || {
        server.post_form(
            "/o/token/",
            "grant_type=client_credentials&client_id=nobody&client_secret=x",
            None,
        )
    };
    for _ in 0..pool_size * 2 {
        assert_eq!(ask().await.status, 401);
    }
    env.terminate_postgres_connections().await;
    let mut unavailable = 0;
    for _ in 0..pool_size * 4 {
        match ask().await.status {
            503 => unavailable += 1,
            status => assert_eq!(status, 401),
        }
    }
    assert!(
        (1..=pool_size).contains(&unavailable),
        "{unavailable} requests failed"
    );
    for _ in 0..pool_size * 2 {
        assert_eq!(ask().await.status, 401, "the pool did not recover");
    }
}

pub async fn serve_without_secret_key_fails_unless_dev_mode(env: &TestEnv) {
    let mut command = env.command(&["serve"]);
    command.env_remove("WARRANT_SECRET_KEY");
    assert_one_line_error(
        &crate::support::run_with_stdin(command, None),
        "secret_key is not set",
    );
    let mut short = env.command(&["serve"]);
    short.env("WARRANT_SECRET_KEY", "too-short");
    assert_one_line_error(
        &crate::support::run_with_stdin(short, None),
        "at least 32 characters",
    );
}

pub async fn dev_mode_generates_the_secret_key_once(env: &TestEnv) {
    let key_file = env.dir.join("warrant.secret_key");
    let dev = || {
        let mut command = env.command(&["serve", "--dev"]);
        command.env_remove("WARRANT_SECRET_KEY");
        command
    };
    let server = Server::start(dev()).await;
    let first = std::fs::read_to_string(&key_file).unwrap();
    assert!(first.trim().len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Secrets at rest: readable by the owner only (the database holds sealed keys).
        for name in [
            "warrant.secret_key",
            "warrant.db",
            "warrant.db-wal",
            "warrant.db-shm",
        ] {
            let mode = std::fs::metadata(env.dir.join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
        }
    }
    drop(server);
    drop(Server::start(dev()).await);
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        first,
        "the key is generated once"
    );
}

pub async fn demo_prints_commands_that_work_as_pasted(env: &TestEnv) {
    let printed = env.dir.join("demo.out");
    let mut command = env.command(&["serve", "--demo"]);
    command
        .env_remove("WARRANT_SECRET_KEY")
        .stdout(std::fs::File::create(&printed).unwrap());
    let server = Server::start_with_stdout(command).await;
    let text = std::fs::read_to_string(&printed).unwrap();
    assert!(text.contains("user:                demo / "), "{text}");
    let (pasteable, browser) = text.split_once("In a browser").unwrap();
    let script: Vec<&str> = pasteable
        .lines()
        .filter(|l| l.starts_with("curl ") || l.starts_with("TOKEN="))
        .collect();
    assert_eq!(script.len(), 7, "{text}");
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(script.join("\n"))
        .output()
        .unwrap();
    let out = crate::support::text(&output.stdout);
    assert!(
        output.status.success(),
        "{out} {}",
        crate::support::text(&output.stderr)
    );
    let replies: Vec<Value> = serde_json::Deserializer::from_str(&out)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(replies.len(), 6, "{out}");
    assert_eq!(replies[0]["token_type"], "Bearer", "client credentials");
    assert!(replies[1]["refresh_token"].is_string(), "password grant");
    assert_eq!(
        (
            replies[2]["active"].as_bool(),
            replies[2]["username"].as_str()
        ),
        (Some(true), Some("demo"))
    );
    assert_eq!(replies[3]["username"], "demo", "profile");
    assert!(replies[3]["tokens"]["api_token"].is_string(), "profile");
    assert_eq!(replies[4], serde_json::json!({}), "revocation");
    assert_eq!(replies[5], serde_json::json!({"active": false}));

    // The printed authorize URL starts the browser flow: first the login page.
    let authorize = browser
        .lines()
        .find(|l| l.contains("/o/authorize/?"))
        .unwrap();
    let path = &authorize[authorize.find("/o/authorize/").unwrap()..];
    let (status, body) = server.get(path).await;
    assert_eq!(status, 303, "{body}");
}

/// What stops `serve` is checked before anything is made: a port in use is named, and
/// neither a database nor a development key is left behind.
pub async fn a_busy_port_fails_before_anything_is_made(env: &TestEnv) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut command = env.command(&["serve", "--dev"]);
    command
        .env_remove("WARRANT_SECRET_KEY")
        .env("WARRANT_SERVER__PORT", port.to_string());
    assert_one_line_error(
        &crate::support::run_with_stdin(command, None),
        &format!("server.port: cannot listen on 127.0.0.1:{port}"),
    );
    let left: Vec<_> = std::fs::read_dir(&env.dir).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// After `serve --dev` made its key, the other commands find it as they find the database;
/// only `serve` needs `--dev` to run on it.
pub async fn commands_find_the_development_key(env: &TestEnv) {
    let without_key = |args: &[&str]| {
        let mut command = env.command(args);
        command.env_remove("WARRANT_SECRET_KEY");
        crate::support::run_with_stdin(command, None)
    };
    let listed = without_key(&["keys", "list"]);
    assert!(listed.status.success(), "listing needs no key: {listed:?}");
    let mut dev = env.command(&["serve", "--dev"]);
    dev.env_remove("WARRANT_SECRET_KEY");
    drop(Server::start(dev).await);
    for args in [
        &["keys", "rotate", "--algorithm", "ES256"][..],
        &["keys", "list"],
        &["check"],
    ] {
        let output = without_key(args);
        assert!(output.status.success(), "{args:?}: {output:?}");
    }
    let key_file = env.dir.join("warrant.secret_key");
    assert_one_line_error(
        &without_key(&["serve"]),
        &format!(
            "pass --dev to use the development key in {}",
            key_file.display()
        ),
    );
}
