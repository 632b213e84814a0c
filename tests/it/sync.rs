//! Client sync from the server's side: user changes made through the CLI, the admin API
//! and `/api/revoke_api_token/` reach every client app as ocs-authentication's JSON, with
//! `Authorization: Server <key>`; a client app that is down catches up with the latest
//! record; deliveries given up are reported and retried; instances share the work.

use std::time::Duration;

use serde_json::{Value, json};

use crate::admin::Api;
use crate::receiver::Receiver;
use crate::support::{Reply, Server, TestEnv, assert_one_line_error};
use crate::tls::Certificates;
use crate::token_endpoint::Setup;

const PASSWORD: &str = "correct-horse-battery";
const SERVER_KEY: &str = "the-shared-server-key";

/// Writes the config naming `apps` as client apps, `admin` as a scope, and fast retries.
fn configure(env: &TestEnv, apps: &[&Receiver], extra: &str) {
    let urls: Vec<String> = apps
        .iter()
        .map(|app| format!("{:?}", app.base_url))
        .collect();
    std::fs::write(
        env.dir.join("warrant.toml"),
        format!(
            "[oauth2.scopes]\nread = \"Read\"\nadmin = \"Administer\"\n\n\
             [sync]\nclient_apps = [{}]\nserver_key = \"{SERVER_KEY}\"\n\
             timeout_seconds = 2\nretry_first_delay_seconds = 1\nretry_max_delay_seconds = 2\n{extra}",
            urls.join(", ")
        ),
    )
    .unwrap();
}

async fn bearer(setup: &Setup, username: &str, scope: &str) -> String {
    let reply = setup
        .token(&format!(
            "grant_type=password&username={username}&password={PASSWORD}&scope={scope}"
        ))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

async fn profile(setup: &Setup, token: &str) -> Value {
    let reply = setup.server.get_with_bearer("/api/profile/", token).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()
}

/// ocs-authentication's `POST /api/revoke_api_token/`, as the user.
pub async fn revoke_own_api_token(setup: &Setup, token: &str) -> Reply {
    let reply = setup
        .server
        .request(
            "POST",
            "/api/revoke_api_token/",
            &[("Authorization", format!("Bearer {token}"))],
            Vec::new(),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply
}

fn sync_status(env: &TestEnv) -> Vec<Value> {
    let output = env.run(&["sync", "status", "--json"], None);
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

pub async fn user_changes_reach_every_client_app(env: &TestEnv) {
    let (one, two) = (Receiver::start(), Receiver::start());
    configure(env, &[&one, &two], "");
    let setup = Setup::start(env).await;

    // alice was created by the CLI before the server started: she is delivered on start.
    let token = bearer(&setup, "alice", "read").await;
    let api_token = profile(&setup, &token).await["tokens"]["api_token"].clone();
    for app in [&one, &two] {
        let record = app.wait_for("alice", |_| true).await;
        assert_eq!(
            record,
            json!({
                "username": "alice", "first_name": "", "last_name": "", "email": "alice@example.com",
                "is_staff": false, "is_superuser": false, "is_active": true,
                "tokens": { "api_token": api_token }, "profile": { "staff_view": false },
            })
        );
        let received = &app.received()[0];
        assert_eq!(received.path, "/addupdateuser/");
        assert_eq!(
            received.authorization.as_deref(),
            Some(format!("Server {SERVER_KEY}").as_str())
        );
    }

    // Replacing the token by ocs-authentication's endpoint sends the new one.
    let reply = revoke_own_api_token(&setup, &token).await;
    let replaced = reply.json()["tokens"]["api_token"].clone();
    assert_ne!(replaced, api_token);
    for app in [&one, &two] {
        app.wait_for("alice", |r| r["tokens"]["api_token"] == replaced)
            .await;
    }

    // The admin API: a new user, a change, a deactivation, a token replacement.
    env.create_user("root", PASSWORD, &["--staff"]);
    let admin = Api {
        token: bearer(&setup, "root", "admin").await,
        setup: &setup,
    };
    let created = admin
        .call(
            "POST",
            "/api/admin/users",
            Some(json!({ "username": "bob", "email": "bob@example.com", "is_staff": true })),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let bob = created.json()["id"].as_i64().unwrap();
    let bob_record = two
        .wait_for("bob", |r| {
            r["is_staff"] == true && r["tokens"]["api_token"].is_string()
        })
        .await;
    let changed = admin
        .call(
            "PATCH",
            &format!("/api/admin/users/{bob}"),
            Some(json!({ "first_name": "Robert" })),
        )
        .await;
    assert_eq!(changed.status, 200, "{changed:?}");
    one.wait_for("bob", |r| r["first_name"] == "Robert").await;
    let deactivated = admin
        .call("POST", &format!("/api/admin/users/{bob}/deactivate"), None)
        .await;
    assert_eq!(deactivated.status, 200, "{deactivated:?}");
    two.wait_for("bob", |r| r["is_active"] == false).await;
    let revoked = admin
        .call(
            "POST",
            &format!("/api/admin/users/{bob}/revoke_api_token"),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    let nobody = admin
        .call("POST", "/api/admin/users/999999/revoke_api_token", None)
        .await;
    nobody.assert_oauth_error(404, "not_found");
    one.wait_for("bob", |r| {
        r["tokens"]["api_token"] != bob_record["tokens"]["api_token"]
    })
    .await;

    // And the CLI.
    let output = env.run(&["user", "revoke-api-token", "alice"], None);
    assert!(output.status.success(), "{output:?}");
    two.wait_for("alice", |r| r["tokens"]["api_token"] != replaced)
        .await;

    let status = admin.call("GET", "/api/admin/sync", None).await;
    assert_eq!(status.status, 200, "{status:?}");
    let apps = status.json()["client_apps"].as_array().unwrap().clone();
    assert_eq!(apps.len(), 2);
    for app in apps {
        assert_eq!(
            (
                app["configured"].clone(),
                app["pending"].clone(),
                app["dead"].clone()
            ),
            (json!(true), json!(0), json!(0)),
            "{app}"
        );
        assert!(app["last_delivered_at"].is_string());
    }
    assert_eq!(one.overlaps() + two.overlaps(), 0);
}

pub async fn a_client_app_that_was_down_gets_the_latest_record(env: &TestEnv) {
    let (up, down) = (Receiver::start(), Receiver::start());
    down.set_down(true);
    configure(env, &[&up, &down], "");
    let setup = Setup::start(env).await;
    let token = bearer(&setup, "alice", "read").await;
    up.wait_for("alice", |_| true).await;

    // While one client app is down, and the other slower than the timeout, the server
    // keeps answering OAuth requests.
    up.answer(200, Duration::from_secs(3));
    for _ in 0..3 {
        revoke_own_api_token(&setup, &token).await;
        let cc = setup.token("grant_type=client_credentials").await;
        assert_eq!(cc.status, 200, "{cc:?}");
    }
    let latest = profile(&setup, &token).await["tokens"]["api_token"].clone();
    // Long enough for a claim (polled each second) to time out after 2 s.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let status = sync_status(env);
    let down_status = status
        .iter()
        .find(|s| s["target"] == down.base_url)
        .unwrap();
    assert_eq!(down_status["pending"], 1, "{status:?}");
    assert!(
        down_status["last_error"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{down_status}"
    );
    let up_status = status.iter().find(|s| s["target"] == up.base_url).unwrap();
    assert_eq!(up_status["pending"], 1, "{up_status}");
    assert!(
        up_status["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("no answer within 2 s"),
        "{up_status}"
    );

    // Back up: the next retry sends the record as it is now, never an older one after it.
    down.set_down(false);
    up.answer(200, Duration::ZERO);
    let output = env.run(&["sync", "retry"], None);
    assert!(output.status.success(), "{output:?}");
    for app in [&up, &down] {
        app.wait_for("alice", |r| r["tokens"]["api_token"] == latest)
            .await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for app in [&up, &down] {
        assert_eq!(
            app.last_record_of("alice").unwrap()["tokens"]["api_token"],
            latest
        );
    }
    assert_eq!(
        down.received().len(),
        1,
        "only the latest record reached it"
    );
}

pub async fn deliveries_given_up_are_reported_and_retried(env: &TestEnv) {
    let app = Receiver::start();
    app.answer(503, Duration::ZERO);
    configure(env, &[&app], "retry_max_age_seconds = 1\n");
    let _setup = Setup::start(env).await;
    let mut dead = false;
    for _ in 0..100 {
        let status = sync_status(env);
        if status[0]["dead"] == 1 {
            assert_eq!(status[0]["pending"], 0);
            assert_eq!(status[0]["last_error"], "answered HTTP 503");
            dead = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(dead, "the delivery never died: {:?}", sync_status(env));
    assert!(app.refused() >= 1);

    app.answer(200, Duration::ZERO);
    let output = env.run(&["sync", "retry", "--dead"], None);
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 dead deliveries are due now"),
        "{output:?}"
    );
    app.wait_for("alice", |_| true).await;
    let status = sync_status(env);
    assert_eq!(
        (status[0]["pending"].clone(), status[0]["dead"].clone()),
        (json!(0), json!(0))
    );
}

pub async fn sync_configuration_errors_name_their_key(env: &TestEnv) {
    for (config, expected) in [
        (
            "[sync]\nclient_apps = [\"http://127.0.0.1:9/\"]\n",
            "sync.server_key: required when sync.client_apps is set",
        ),
        (
            "[sync]\nclient_apps = [\"http://127.0.0.1:9/\"]\nserver_key = \"short\"\n",
            "sync.server_key: must be at least 16 characters",
        ),
        (
            "[sync]\nclient_apps = [\"ftp://127.0.0.1:9/\"]\nserver_key = \"0123456789abcdef\"\n",
            "sync.client_apps: invalid client app URL",
        ),
        (
            "[sync]\nclient_apps = [\"http://app.internal/\"]\nserver_key = \"0123456789abcdef\"\n",
            "sync.client_apps: http://app.internal/addupdateuser/: plain http to a host other than loopback: use https, or allow insecure http explicitly (outgoing.allow_insecure_http = true)",
        ),
        (
            "[upstream.corp]\npreset = \"oidc\"\nissuer = \"http://idp.internal\"\nclient_id = \"w\"\nclient_secret = \"s\"\n",
            "upstream.corp: http://idp.internal/: plain http to a host other than loopback",
        ),
        (
            "[upstream_client]\nca_file = \"ca.pem\"\n",
            "upstream_client.ca_file: moved to outgoing.ca_file",
        ),
    ] {
        std::fs::write(env.dir.join("warrant.toml"), config).unwrap();
        assert_one_line_error(&env.run(&["sync", "status"], None), expected);
    }
    // Allowed explicitly, and https anywhere, they are accepted.
    std::fs::write(
        env.dir.join("warrant.toml"),
        "[sync]\nclient_apps = [\"http://app.internal/\", \"https://app.example/\"]\n\
         server_key = \"0123456789abcdef\"\n[outgoing]\nallow_insecure_http = true\n",
    )
    .unwrap();
    let accepted = env.run(&["sync", "status"], None);
    assert!(accepted.status.success(), "{accepted:?}");
}

/// User records reach a client app over https, its certificate signed by a private CA
/// that `outgoing.ca_file` names.
pub async fn client_apps_are_reached_over_https(env: &TestEnv) {
    let app = Receiver::start();
    let certificates = Certificates::make();
    let plain: std::net::SocketAddr = app
        .base_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let mut over_tls = app.clone();
    over_tls.base_url = certificates.proxy(plain).await;
    let ca = certificates.write_ca(&env.dir);
    configure(
        env,
        &[&over_tls],
        &format!("\n[outgoing]\nca_file = {:?}\n", ca.display().to_string()),
    );
    let _setup = Setup::start(env).await;
    let record = app.wait_for("alice", |_| true).await;
    assert_eq!(record["email"], "alice@example.com");
}

/// Two instances on one PostgreSQL database share the outbox: every user arrives once,
/// and no two requests for one user are ever in flight together.
pub async fn two_instances_share_the_outbox(env: &TestEnv) {
    let app = Receiver::start();
    app.answer(200, Duration::from_millis(150));
    configure(env, &[&app], "batch_size = 4\n");
    let migrate = env.run(&["migrate"], None);
    assert!(migrate.status.success(), "{migrate:?}");
    for i in 0..24 {
        let output = env.run(&["user", "create", "--username", &format!("user{i}")], None);
        assert!(output.status.success(), "{output:?}");
    }
    let _first = Server::start(env.command(&["serve"])).await;
    let _second = Server::start(env.command(&["serve"])).await;
    for i in 0..24 {
        app.wait_for(&format!("user{i}"), |_| true).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = app.received();
    let mut names: Vec<&str> = received
        .iter()
        .map(|r| r.record["username"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!((count, names.len()), (24, 24), "each user exactly once");
    assert_eq!(app.overlaps(), 0);
}

/// Users made before a client app was configured reach it after `sync push-all`.
pub async fn a_client_app_added_later_catches_up(env: &TestEnv) {
    for name in ["carol", "dave"] {
        let output = env.run(&["user", "create", "--username", name], None);
        assert!(output.status.success(), "{output:?}");
    }
    assert_one_line_error(
        &env.run(&["sync", "push-all"], None),
        "sync.client_apps is empty",
    );
    let app = Receiver::start();
    configure(env, &[&app], "");
    assert_one_line_error(
        &env.run(
            &["sync", "push-all", "--target", "http://127.0.0.1:9/"],
            None,
        ),
        "http://127.0.0.1:9/ is not one of sync.client_apps",
    );
    let output = env.run(&["sync", "push-all", "--target", &app.base_url], None);
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("2 users queued for 1 client app(s)"),
        "{output:?}"
    );
    assert_eq!(sync_status(env)[0]["pending"], 2);
    let _server = Server::start(env.command(&["serve"])).await;
    for name in ["carol", "dave"] {
        app.wait_for(name, |r| r["tokens"]["api_token"].is_string())
            .await;
    }
}
