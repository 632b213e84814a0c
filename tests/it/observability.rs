//! Running it in production (issue 21): `/metrics` counts exactly what a realistic flow did
//! and passes `promtool check metrics`; JSON logs parse line by line, carry the request id
//! the answers echo, and hold none of the flow's secrets; `/metrics` is served only to
//! whom `[metrics]` allows.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::admin::{Api, root_api, setup_with};
use crate::browser::{Browser, CHALLENGE, VERIFIER, location, query_of};
use crate::receiver::Receiver;
use crate::support::{Reply, Server, TestEnv, assert_one_line_error, basic_header};

const PASSWORD: &str = "correct-horse-battery";
const REDIRECT: &str = "http://127.0.0.1:9000/callback";
const SERVER_KEY: &str = "the-shared-server-key";

/// Series → value, from Prometheus' text format.
type Scrape = BTreeMap<String, f64>;

fn parse_scrape(text: &str) -> Scrape {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            (series.to_owned(), value.parse().unwrap())
        })
        .collect()
}

async fn scrape(server: &Server) -> (String, Scrape) {
    let reply = server.request("GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let parsed = parse_scrape(&reply.body);
    (reply.body, parsed)
}

/// What each series gained from `before` to `after`, for those that changed.
fn gained(before: &Scrape, after: &Scrape) -> BTreeMap<String, f64> {
    after
        .iter()
        .filter(|(series, _)| !series.contains("_bucket{") && !series.contains("_sum{"))
        .filter_map(|(series, value)| {
            let gain = value - before.get(series).copied().unwrap_or(0.0);
            (gain != 0.0).then(|| (series.clone(), gain))
        })
        .collect()
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

struct Flow<'a> {
    server: &'a Server,
    client_id: String,
    secret: String,
}

impl Flow<'_> {
    async fn token(&self, pairs: &[(&str, &str)], secret: &str) -> Reply {
        let headers = [
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("Authorization", basic_header(&self.client_id, secret)),
        ];
        self.server
            .request("POST", "/o/token/", &headers, form(pairs))
            .await
    }

    async fn introspect(&self, token: &str) -> Value {
        let headers = [
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("Authorization", basic_header(&self.client_id, &self.secret)),
        ];
        let reply = self
            .server
            .request(
                "POST",
                "/o/introspect/",
                &headers,
                form(&[("token", token)]),
            )
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json()
    }
}

/// The secrets a flow used, to look for in logs.
#[derive(Default)]
struct Secrets(Vec<String>);

impl Secrets {
    fn keep(&mut self, secret: &str) {
        assert!(secret.len() >= 8, "too short to look for: {secret}");
        self.0.push(secret.to_owned());
    }

    fn keep_tokens(&mut self, reply: &Reply) {
        let json = reply.json();
        for field in ["access_token", "refresh_token", "id_token"] {
            if let Some(token) = json[field].as_str() {
                self.keep(token);
            }
        }
    }
}

pub async fn metrics_and_logs_follow_a_realistic_flow(env: &TestEnv) {
    let receiver = Receiver::start();
    std::fs::write(
        env.dir.join("warrant.toml"),
        format!(
            "[oauth2.scopes]\nread = \"Read\"\n\n\
             [brute_force]\nmax_failures = 2\n\n\
             [log]\nformat = \"json\"\n\n\
             [sync]\nclient_apps = [{:?}]\nserver_key = \"{SERVER_KEY}\"\n",
            receiver.base_url
        ),
    )
    .unwrap();
    env.create_user("alice", PASSWORD, &["--email", "alice@example.com"]);
    let app = env.create_app(&[
        "--name",
        "Backend",
        "--client-type",
        "confidential",
        "--grant",
        "password",
        "--grant",
        "client_credentials",
        "--grant",
        "authorization_code",
        "--redirect-uri",
        REDIRECT,
    ]);
    let server = Server::start(env.command(&["serve"])).await;
    let flow = Flow {
        server: &server,
        client_id: app["client_id"].as_str().unwrap().to_owned(),
        secret: app["client_secret"].as_str().unwrap().to_owned(),
    };
    let mut secrets = Secrets::default();
    secrets.keep(PASSWORD);
    secrets.keep(&flow.secret);
    secrets.keep(SERVER_KEY);

    // alice, created before the server started, is delivered first: counted before.
    receiver.wait_for("alice", |_| true).await;
    let delivered = format!(
        "warrant_sync_deliveries_total{{client_app=\"{}\",outcome=\"delivered\"}}",
        receiver.base_url
    );
    let before = wait_for_series(&server, &delivered, 1.0).await;

    // A password grant, client credentials, and a code flow through the login page.
    let password = flow
        .token(
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", PASSWORD),
                ("scope", "read"),
            ],
            &flow.secret,
        )
        .await;
    assert_eq!(password.status, 200, "{password:?}");
    secrets.keep_tokens(&password);
    let credentials = flow
        .token(&[("grant_type", "client_credentials")], &flow.secret)
        .await;
    assert_eq!(credentials.status, 200, "{credentials:?}");
    secrets.keep_tokens(&credentials);
    let code = alice_approves(&server, &flow.client_id).await;
    secrets.keep(&code);
    let exchanged = flow
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            &flow.secret,
        )
        .await;
    assert_eq!(exchanged.status, 200, "{exchanged:?}");
    secrets.keep_tokens(&exchanged);

    // Introspection: one active token, one unknown.
    let access_token = password.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(flow.introspect(&access_token).await["active"], true);
    assert_eq!(
        flow.introspect("no-such-token-at-all").await["active"],
        false
    );

    // Failures: a wrong client secret; two wrong passwords for one login lock it
    // (max_failures = 2); the third attempt is refused unchecked.
    let wrong_secret = flow
        .token(
            &[("grant_type", "client_credentials")],
            "not-the-secret-at-all",
        )
        .await;
    assert_eq!(wrong_secret.status, 401, "{wrong_secret:?}");
    for _ in 0..3 {
        let wrong = flow
            .token(
                &[
                    ("grant_type", "password"),
                    ("username", "mallory"),
                    ("password", "guessing-again"),
                ],
                &flow.secret,
            )
            .await;
        wrong.assert_oauth_error(400, "invalid_grant");
    }

    // A user created now is delivered to the client app.
    env.create_user("bob", PASSWORD, &[]);
    receiver.wait_for("bob", |_| true).await;
    wait_for_series(&server, &delivered, 2.0).await;

    let (text, after) = scrape(&server).await;
    let gained = gained(&before, &after);
    let counted = |series: &str| gained.get(series).copied().unwrap_or(0.0);
    let expected = [
        ("warrant_tokens_issued_total{grant_type=\"password\"}", 1.0),
        (
            "warrant_tokens_issued_total{grant_type=\"client_credentials\"}",
            1.0,
        ),
        (
            "warrant_tokens_issued_total{grant_type=\"authorization_code\"}",
            1.0,
        ),
        ("warrant_introspections_total{active=\"true\"}", 1.0),
        ("warrant_introspections_total{active=\"false\"}", 1.0),
        // alice's grant and her login page; mallory's two guesses.
        ("warrant_password_logins_total{result=\"success\"}", 2.0),
        ("warrant_password_logins_total{result=\"failure\"}", 2.0),
        // The wrong secret.
        ("warrant_client_authentication_failures_total", 1.0),
        (
            "warrant_lockouts_total{counter=\"account\",permanent=\"false\"}",
            1.0,
        ),
        ("warrant_attempts_refused_total{counter=\"account\"}", 1.0),
        (delivered.as_str(), 1.0),
        (
            "warrant_http_requests_total{method=\"POST\",route=\"/o/token\",status=\"200\"}",
            3.0,
        ),
        (
            "warrant_http_requests_total{method=\"POST\",route=\"/o/token\",status=\"400\"}",
            3.0,
        ),
        (
            "warrant_http_requests_total{method=\"POST\",route=\"/o/token\",status=\"401\"}",
            1.0,
        ),
        (
            "warrant_http_requests_total{method=\"POST\",route=\"/o/introspect\",status=\"200\"}",
            2.0,
        ),
        (
            "warrant_http_request_duration_seconds_count{method=\"POST\",route=\"/o/token\"}",
            7.0,
        ),
    ];
    for (series, gain) in expected {
        assert_eq!(counted(series), gain, "{series} in\n{text}");
    }
    // Nothing else of the engine's moved.
    for family in [
        "tokens_issued",
        "introspections",
        "password_logins",
        "lockouts",
        "attempts_refused",
        "sync_deliveries",
    ] {
        let moved = gained
            .keys()
            .filter(|series| series.starts_with(&format!("warrant_{family}_total")))
            .count();
        let listed = expected
            .iter()
            .filter(|(series, _)| series.starts_with(&format!("warrant_{family}_total")))
            .count();
        assert_eq!(moved, listed, "{family}: {gained:?}");
    }
    let app_label = format!("{{client_app=\"{}\"}}", receiver.base_url);
    assert_eq!(
        after[&format!("warrant_sync_outbox_pending{app_label}")],
        0.0
    );
    assert_eq!(after[&format!("warrant_sync_outbox_dead{app_label}")], 0.0);
    assert_eq!(after["warrant_database_up"], 1.0);
    // Each token request ran statements, each on a connection it waited for.
    assert!(
        gained["warrant_database_acquires_total"] >= 7.0,
        "{gained:?}"
    );
    assert!(
        after["warrant_database_acquire_wait_seconds_total"] > 0.0,
        "{text}"
    );
    assert!(
        after
            .keys()
            .any(|series| series.starts_with("warrant_database_pool_connections{")),
        "{text}"
    );
    assert!(
        after
            .keys()
            .any(|series| series.starts_with("warrant_build_info{version=")),
        "{text}"
    );
    promtool_accepts(&text);

    // The request id: a proxy's is kept and echoed, otherwise one is made.
    let named = server
        .request(
            "GET",
            "/healthz",
            &[("X-Request-Id", "edge-7f3a.42".to_owned())],
            Vec::new(),
        )
        .await;
    assert_eq!(named.header("x-request-id"), Some("edge-7f3a.42"));
    let made = server.request("GET", "/readyz", &[], Vec::new()).await;
    let made_id = made.header("x-request-id").unwrap().to_owned();
    assert!(made_id.len() >= 16, "{made_id}");
    let unsafe_id = server
        .request(
            "GET",
            "/healthz",
            &[("X-Request-Id", "two words".to_owned())],
            Vec::new(),
        )
        .await;
    assert_ne!(unsafe_id.header("x-request-id"), Some("two words"));

    let client_id = flow.client_id.clone();
    drop(flow);
    let logs = server.stop();
    let lines: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let access: Vec<&Value> = lines
        .iter()
        .filter(|line| line["target"] == "warrant::access")
        .collect();
    let line_of = |id: &str| {
        access
            .iter()
            .find(|line| line["request_id"] == id)
            .unwrap_or_else(|| panic!("no access line with request id {id}: {logs}"))
    };
    let named_line = line_of("edge-7f3a.42");
    assert_eq!(
        (
            named_line["method"].as_str(),
            named_line["path"].as_str(),
            named_line["status"].as_u64()
        ),
        (Some("GET"), Some("/healthz"), Some(200))
    );
    assert_eq!(line_of(&made_id)["route"], "/readyz");
    // Token requests name their client; paths never carry the query.
    let token_line = access
        .iter()
        .find(|line| line["route"] == "/o/token" && line["status"] == 200)
        .unwrap();
    assert_eq!(token_line["client_id"], client_id.as_str());
    assert!(token_line["latency_ms"].as_f64().is_some(), "{token_line}");
    assert!(
        access
            .iter()
            .all(|line| !line["path"].as_str().unwrap().contains('?')),
        "{logs}"
    );
    // Lines logged while a request is answered carry its id too.
    assert!(
        lines
            .iter()
            .any(|line| line["target"] != "warrant::access"
                && line["span"]["request_id"].is_string()),
        "{logs}"
    );
    for secret in &secrets.0 {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret of the flow is in the logs: {secret}"
        );
    }
}

/// alice logs in on the login page and lets `client_id` read (with PKCE, to `REDIRECT`);
/// the code.
async fn alice_approves(server: &Server, client_id: &str) -> String {
    let mut browser = Browser::new(server);
    browser.log_in("alice", PASSWORD).await;
    let authorize = format!(
        "/o/authorize/?client_id={client_id}&response_type=code&scope=read&state=s1&redirect_uri={}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
    );
    let consent = browser.get(&authorize).await;
    assert_eq!(consent.status, 200, "{consent:?}");
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    query_of(location(&approved))["code"].clone()
}

/// Scrapes until `series` reaches `value` (a delivery is counted just after the client app
/// took it), within 10 s; the scrape then.
async fn wait_for_series(server: &Server, series: &str, value: f64) -> Scrape {
    for _ in 0..100 {
        let (_, parsed) = scrape(server).await;
        if parsed.get(series).copied() == Some(value) {
            return parsed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (text, _) = scrape(server).await;
    panic!("{series} never reached {value}:\n{text}");
}

/// `promtool check metrics` (Debian's `prometheus`), named by `WARRANT_TEST_PROMTOOL`,
/// lints the scrape; CI sets it.
fn promtool_accepts(text: &str) {
    let Some(promtool) = std::env::var_os("WARRANT_TEST_PROMTOOL") else {
        eprintln!("WARRANT_TEST_PROMTOOL is not set: the scrape is not linted");
        return;
    };
    let output = crate::support::run_with_stdin(
        {
            let mut command = std::process::Command::new(promtool);
            command.args(["check", "metrics"]);
            command
        },
        Some(text),
    );
    assert!(
        output.status.success(),
        "promtool check metrics refused the scrape: {}{}\n{text}",
        crate::support::text(&output.stdout),
        crate::support::text(&output.stderr)
    );
}

pub async fn metrics_are_served_only_to_whom_the_config_allows(env: &TestEnv) {
    // Loopback, nothing configured: local scrapers, not through a proxy.
    let server = Server::start(env.command(&["serve"])).await;
    let forwarded = server
        .request(
            "GET",
            "/metrics",
            &[("X-Forwarded-For", "203.0.113.9".to_owned())],
            Vec::new(),
        )
        .await;
    assert_eq!(forwarded.status, 404, "{forwarded:?}");
    assert_eq!(server.get("/metrics").await.0, 200);
    let logs = server.stop();
    assert!(
        logs.contains("warrant::access: request answered method=\"GET\" route=\"/metrics\""),
        "access lines are on by default: {logs}"
    );

    // Turned off, and the access lines with it.
    let mut off = env.command(&["serve"]);
    off.env("WARRANT_METRICS__ENABLED", "false")
        .env("WARRANT_LOG__ACCESS", "false");
    let server = Server::start(off).await;
    assert_eq!(server.get("/metrics").await.0, 404);
    let logs = server.stop();
    assert!(!logs.contains("warrant::access"), "{logs}");

    // A token: asked for, then accepted; a wrong one is refused.
    let token = "a-scraper-token-of-some-length";
    let mut with_token = env.command(&["serve"]);
    with_token.env("WARRANT_METRICS__BEARER_TOKEN", token);
    let server = Server::start(with_token).await;
    let asked = server.request("GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(
        (asked.status, asked.header("www-authenticate")),
        (401, Some("Bearer realm=\"metrics\""))
    );
    let wrong = server
        .get_with_bearer("/metrics", "not-the-scraper-token-at-all")
        .await;
    assert_eq!(wrong.status, 401);
    let right = server.get_with_bearer("/metrics", token).await;
    assert_eq!(right.status, 200, "{right:?}");
    assert!(right.body.contains("warrant_build_info"), "{}", right.body);
    drop(server);

    // An address list that leaves this machine out.
    let mut listed = env.command(&["serve"]);
    listed.env("WARRANT_METRICS__ALLOW", "[\"192.0.2.0/24\"]");
    let server = Server::start(listed).await;
    assert_eq!(server.get("/metrics").await.0, 403);
    drop(server);

    // Misconfigurations stop the server with the key named.
    let mut bad = env.command(&["serve"]);
    bad.env("WARRANT_METRICS__ALLOW", "[\"10.0.0.0/33\"]");
    assert_one_line_error(
        &crate::support::run_with_stdin(bad, None),
        "metrics.allow: \"10.0.0.0/33\" is not an address or a range such as 10.0.0.0/8 or 192.0.2.7",
    );
    let mut short = env.command(&["serve"]);
    short.env("WARRANT_METRICS__BEARER_TOKEN", "short");
    assert_one_line_error(
        &crate::support::run_with_stdin(short, None),
        "metrics.bearer_token: must be at least 16 characters (make one with `openssl rand -hex 32`)",
    );
}

/// Every audit event the admin API lists, walking its pages.
async fn audit_log(api: &Api<'_>, filter: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = String::new();
    loop {
        let page = api
            .ok(
                "GET",
                &format!("/api/admin/audit-events?limit=4{filter}{after}"),
                None,
                200,
            )
            .await;
        events.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_after"].as_i64() {
            Some(next) => after = format!("&after={next}"),
            None => return events,
        }
    }
}

pub async fn audit_events_record_who_did_what(env: &TestEnv) {
    let setup = setup_with(env, &[("WARRANT_BRUTE_FORCE__MAX_FAILURES", "2")]).await;
    let rotated = env.run(&["keys", "rotate", "--algorithm", "ES256"], None);
    assert!(rotated.status.success(), "{rotated:?}");
    let api = root_api(&setup).await;
    let root_id = api.user_id("root").await;

    // Users, by staff through the admin API.
    let bob = api
        .ok(
            "POST",
            "/api/admin/users",
            Some(json!({ "username": "bob", "password": PASSWORD })),
            201,
        )
        .await;
    let bob_path = format!("/api/admin/users/{}", bob["id"]);
    api.ok(
        "PATCH",
        &bob_path,
        Some(json!({ "email": "bob@example.com", "is_staff": true })),
        200,
    )
    .await;
    api.ok("POST", &format!("{bob_path}/deactivate"), None, 200)
        .await;
    api.ok("POST", &format!("{bob_path}/activate"), None, 200)
        .await;
    api.ok("POST", &format!("{bob_path}/revoke_api_token"), None, 204)
        .await;
    api.ok("DELETE", &bob_path, None, 204).await;

    // Applications, by staff.
    let photos = api
        .ok(
            "POST",
            "/api/admin/applications",
            Some(json!({
                "name": "Photos", "client_type": "confidential",
                "grant_types": ["authorization_code"], "redirect_uris": [REDIRECT],
            })),
            201,
        )
        .await;
    let photos_id = photos["client_id"].as_str().unwrap().to_owned();
    let photos_path = format!("/api/admin/applications/{}", photos["id"]);
    api.ok(
        "PATCH",
        &photos_path,
        Some(json!({ "name": "Photo Album" })),
        200,
    )
    .await;
    let rotated = api
        .ok("POST", &format!("{photos_path}/rotate_secret"), None, 200)
        .await;
    let photos_secret = rotated["client_secret"].as_str().unwrap().to_owned();

    // alice consents; the client exchanges the code and revokes the refresh token.
    let code = alice_approves(&setup.server, &photos_id).await;
    let body = format!(
        "grant_type=authorization_code&code={code}&code_verifier={VERIFIER}&redirect_uri={}",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let tokens = setup
        .server
        .post_form("/o/token/", &body, Some((&photos_id, &photos_secret)))
        .await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
    let access_token = tokens.json()["access_token"].as_str().unwrap().to_owned();
    let revoked = setup
        .server
        .post_form(
            "/o/revoke_token/",
            &format!("token={access_token}"),
            Some((&photos_id, &photos_secret)),
        )
        .await;
    assert_eq!(revoked.status, 200, "{revoked:?}");

    // Staff take a grant away: alice's token from the password grant.
    let alice_token = setup.password_tokens().await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let alice_id = api.user_id("alice").await;
    let live = api
        .ok(
            "GET",
            &format!("/api/admin/tokens?user={alice_id}"),
            None,
            200,
        )
        .await;
    let token_id = live["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|token| token["application"] != photos["id"])
        .unwrap()["id"]
        .clone();
    api.ok(
        "DELETE",
        &format!("/api/admin/tokens/{token_id}"),
        None,
        204,
    )
    .await;
    assert_eq!(setup.introspect(&alice_token).await["active"], false);

    // Two wrong passwords lock the login name; staff clear it.
    for _ in 0..2 {
        setup
            .token("grant_type=password&username=mallory&password=guessing-again")
            .await
            .assert_oauth_error(400, "invalid_grant");
    }
    api.ok("DELETE", "/api/admin/lockouts/account/mallory", None, 204)
        .await;
    api.ok("DELETE", &photos_path, None, 204).await;

    let events = audit_log(&api, "").await;
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "oldest first, each once: {ids:?}"
    );
    let has = |action: &str, actor: Option<&str>, target: &str| {
        events.iter().any(|event| {
            event["action"] == action
                && event["actor"].as_str() == actor
                && event["target"] == target
        })
    };
    let backend = format!("application:{}", setup.client_id);
    let photos_target = format!("application:{photos_id}");
    let photos_actor = format!("client:{photos_id}");
    let expected: Vec<(&str, Option<&str>, String)> = vec![
        ("user.created", Some("command line"), "user:root".into()),
        ("user.created", Some("command line"), "user:alice".into()),
        ("application.created", Some("command line"), backend),
        ("login.succeeded", Some("root"), "user:root".into()),
        ("user.created", Some("root"), "user:bob".into()),
        ("user.changed", Some("root"), "user:bob".into()),
        ("user.deactivated", Some("root"), "user:bob".into()),
        ("user.activated", Some("root"), "user:bob".into()),
        (
            "user.api_token_replaced",
            Some("root"),
            format!("user_id:{}", bob["id"]),
        ),
        ("user.deleted", Some("root"), "user:bob".into()),
        ("application.created", Some("root"), photos_target.clone()),
        ("application.changed", Some("root"), photos_target.clone()),
        (
            "application.secret_rotated",
            Some("root"),
            photos_target.clone(),
        ),
        ("login.succeeded", Some("alice"), "user:alice".into()),
        ("consent.given", Some("alice"), photos_target.clone()),
        (
            "token.revoked",
            Some(photos_actor.as_str()),
            photos_target.clone(),
        ),
        (
            "consent.revoked",
            Some("root"),
            format!("application:{}", setup.client_id),
        ),
        ("login.failed", None, "account:mallory".into()),
        ("lockout.locked", None, "account:mallory".into()),
        ("lockout.cleared", Some("root"), "account:mallory".into()),
        ("application.deleted", Some("root"), photos_target.clone()),
    ];
    for (action, actor, target) in &expected {
        assert!(
            has(action, *actor, target),
            "no {action} by {actor:?} on {target} in {events:#?}"
        );
    }
    let key = events
        .iter()
        .find(|event| event["action"] == "signing_key.rotated")
        .unwrap();
    assert_eq!(
        (key["actor"].as_str(), key["detail"].as_str()),
        (Some("command line"), Some("ES256"))
    );
    let changed = events
        .iter()
        .find(|event| event["action"] == "user.changed")
        .unwrap();
    assert_eq!(changed["detail"], "email, is_staff");
    assert_eq!(changed["actor_user_id"], root_id);
    let failed = events
        .iter()
        .find(|event| event["action"] == "login.failed")
        .unwrap();
    assert_eq!(failed["client_address"], "127.0.0.1");

    // Filters: by action, by target, by actor, by time; what does not parse is refused.
    let failures = audit_log(&api, "&action=login.failed").await;
    assert_eq!(failures.len(), 2, "{failures:?}");
    let on_bob = audit_log(&api, "&target=user:bob").await;
    assert_eq!(on_bob.len(), 5, "{on_bob:?}");
    let by_root = audit_log(&api, &format!("&actor_user_id={root_id}")).await;
    assert!(
        by_root.iter().all(|event| event["actor"] == "root"),
        "{by_root:?}"
    );
    assert!(
        audit_log(&api, "&since=2999-01-01T00:00:00Z")
            .await
            .is_empty()
    );
    assert_eq!(
        audit_log(&api, "&until=2999-01-01T00:00:00Z").await.len(),
        events.len()
    );
    api.call("GET", "/api/admin/audit-events?action=login.maybe", None)
        .await
        .assert_oauth_error(400, "invalid_request");
    api.call("GET", "/api/admin/audit-events?since=yesterday", None)
        .await
        .assert_oauth_error(400, "invalid_request");

    // The clean-up deletes events past audit.retention_days, and only those.
    let store = env.store().await;
    let old = warrant_model::Timestamp::now_utc() - Duration::from_secs(400 * 24 * 3600);
    store
        .record_audit_event(&warrant_model::NewAuditEvent {
            occurred_at: old,
            action: warrant_model::AuditAction::LoginFailed,
            actor_user_id: None,
            actor: None,
            target: Some("account:long-ago".into()),
            client_address: None,
            detail: None,
        })
        .await
        .unwrap();
    store.close().await;
    assert_eq!(audit_log(&api, "&target=account:long-ago").await.len(), 1);
    let cleared = env.run(&["cleartokens"], None);
    assert!(cleared.status.success(), "{cleared:?}");
    assert!(
        crate::support::text(&cleared.stdout).contains("1 audit events"),
        "{cleared:?}"
    );
    assert!(audit_log(&api, "&target=account:long-ago").await.is_empty());
    assert_eq!(
        audit_log(&api, "").await.len(),
        events.len(),
        "recent events stay"
    );
}
