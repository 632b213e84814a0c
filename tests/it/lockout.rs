//! Brute-force protection over HTTP (issue 16): wrong passwords, client secrets and device
//! codes lock their account, client, user or address for a doubling wait, during which
//! attempts are refused unchecked; the answers reveal nothing; staff see and lift locks
//! through the admin API and the CLI; instances on one database share the counts.

use std::time::Duration;

use serde_json::Value;

use crate::admin::{root_api, setup_with};
use crate::browser::Browser;
use crate::support::{Reply, Server, TestEnv, assert_one_line_error, basic_header, text};
use crate::token_endpoint::Setup;

const PASSWORD: &str = "correct-horse-battery";

/// Longer than the first lock (1 s).
const PAST_THE_FIRST_WAIT: Duration = Duration::from_millis(1500);

/// Longer than a server answers from the counters it last read (`brute_force.cache_seconds`,
/// 1): what another instance or the CLI changed is seen after it.
const PAST_THE_CACHE: Duration = Duration::from_millis(1200);

/// A password grant for `login`, from `address` when given (as `X-Real-IP`).
async fn password_grant(
    setup: &Setup,
    login: &str,
    password: &str,
    address: Option<&str>,
) -> Reply {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "password"),
            ("username", login),
            ("password", password),
        ])
        .finish();
    let mut headers = vec![
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
        (
            "Authorization",
            basic_header(&setup.client_id, &setup.secret),
        ),
    ];
    headers.extend(address.map(|address| ("X-Real-IP", address.to_owned())));
    setup
        .server
        .request("POST", "/o/token/", &headers, body.into_bytes())
        .await
}

/// The status and body of a password grant, for comparing answers.
async fn outcome(setup: &Setup, login: &str, password: &str) -> (u16, String) {
    let reply = password_grant(setup, login, password, None).await;
    (reply.status, reply.body)
}

/// `count` wrong passwords for `login`, each answered as a wrong password.
async fn fail(setup: &Setup, login: &str, count: usize) {
    for _ in 0..count {
        password_grant(setup, login, "not-the-password", None)
            .await
            .assert_oauth_error(400, "invalid_grant");
    }
}

pub async fn wrong_passwords_lock_the_account_and_tell_nothing(env: &TestEnv) {
    let setup = Setup::start(env).await;
    let wrong = outcome(&setup, "alice", "not-the-password").await;
    assert_eq!(wrong.0, 400, "{wrong:?}");
    fail(&setup, "alice", 4).await;
    // Five failures: the right password is refused, with the wrong password's answer.
    assert_eq!(outcome(&setup, "alice", PASSWORD).await, wrong);
    assert_eq!(outcome(&setup, "ALICE", PASSWORD).await, wrong, "any case");

    // A login name that exists nowhere is counted and answered alike.
    for _ in 0..7 {
        assert_eq!(outcome(&setup, "nobody", "not-the-password").await, wrong);
    }

    tokio::time::sleep(PAST_THE_FIRST_WAIT).await;
    assert_eq!(
        outcome(&setup, "alice", PASSWORD).await.0,
        200,
        "the wait is over"
    );
    // The success started the count over: four more failures lock nothing.
    fail(&setup, "alice", 4).await;
    assert_eq!(outcome(&setup, "alice", PASSWORD).await.0, 200);
}

pub async fn the_login_page_asks_to_try_again_later(env: &TestEnv) {
    let setup = Setup::start(env).await;
    let mut browser = Browser::new(&setup.server);
    let mut page = browser.get("/accounts/login/").await;
    for _ in 0..5 {
        page = browser
            .submit(
                &page,
                "/accounts/login/",
                &[("username", "alice"), ("password", "wrong")],
            )
            .await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("Please enter a correct username"),
            "{}",
            page.body
        );
    }
    let locked = browser
        .submit(
            &page,
            "/accounts/login/",
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(locked.status, 429, "{locked:?}");
    assert_eq!(locked.header("retry-after"), Some("1"));
    assert!(
        locked
            .body
            .contains("Too many failed login attempts. Try again in 1 second."),
        "{}",
        locked.body
    );
    assert!(
        locked.body.contains(r#"name="password""#),
        "the form is still there"
    );

    tokio::time::sleep(PAST_THE_FIRST_WAIT).await;
    let logged_in = browser
        .submit(
            &locked,
            "/accounts/login/",
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(logged_in.status, 303, "{logged_in:?}");
}

/// One address failing against many accounts is locked; the address is the peer's unless
/// `server.client_ip_header` names a proxy's header, so a client cannot pick its own.
pub async fn addresses_are_counted_and_only_a_configured_header_names_them(env: &TestEnv) {
    let limits = [
        ("WARRANT_BRUTE_FORCE__MAX_FAILURES", "100"),
        ("WARRANT_BRUTE_FORCE__ADDRESS_MAX_FAILURES", "3"),
    ];
    let direct = Setup::start_with(env, &limits).await;
    for (n, spoofed) in ["192.0.2.1", "192.0.2.2", "192.0.2.3"].iter().enumerate() {
        password_grant(&direct, &format!("user{n}"), "wrong", Some(spoofed))
            .await
            .assert_oauth_error(400, "invalid_grant");
    }
    password_grant(&direct, "alice", PASSWORD, Some("198.51.100.9"))
        .await
        .assert_oauth_error(400, "invalid_grant");
    drop(direct.server);

    let mut command = env.command(&["serve"]);
    command
        .envs(limits)
        .env("WARRANT_SERVER__CLIENT_IP_HEADER", "X-Real-IP");
    let proxied = Setup {
        server: Server::start(command).await,
        ..direct
    };
    for n in 0..3 {
        password_grant(&proxied, &format!("user{n}"), "wrong", Some("192.0.2.1"))
            .await
            .assert_oauth_error(400, "invalid_grant");
    }
    password_grant(&proxied, "alice", PASSWORD, Some("192.0.2.1"))
        .await
        .assert_oauth_error(400, "invalid_grant");
    let elsewhere = password_grant(&proxied, "alice", PASSWORD, Some("192.0.2.2")).await;
    assert_eq!(elsewhere.status, 200, "{elsewhere:?}");
}

pub async fn client_secrets_are_locked_at_every_endpoint(env: &TestEnv) {
    let setup = Setup::start(env).await;
    let wrong = Some((setup.client_id.as_str(), "not-the-secret"));
    let right = Some((setup.client_id.as_str(), setup.secret.as_str()));
    let mut refused = None;
    for _ in 0..5 {
        let reply = setup
            .server
            .post_form("/o/token/", "grant_type=client_credentials", wrong)
            .await;
        reply.assert_oauth_error(401, "invalid_client");
        refused = Some(reply.body);
    }
    for (path, body) in [
        ("/o/token/", "grant_type=client_credentials"),
        ("/o/revoke_token/", "token=anything"),
        ("/o/introspect/", "token=anything"),
    ] {
        let reply = setup.server.post_form(path, body, right).await;
        reply.assert_oauth_error(401, "invalid_client");
        assert_eq!(
            Some(&reply.body),
            refused.as_ref(),
            "{path}: the same answer"
        );
    }
    tokio::time::sleep(PAST_THE_FIRST_WAIT).await;
    let token = setup
        .server
        .post_form("/o/token/", "grant_type=client_credentials", right)
        .await;
    assert_eq!(token.status, 200, "{token:?}");
}

/// RFC 8628 §5.1: user codes are short enough to guess, so guesses are limited.
pub async fn device_code_guesses_are_refused_for_a_while(env: &TestEnv) {
    env.create_user("bob", PASSWORD, &[]);
    let server = Server::start(env.command(&["serve"])).await;
    let mut browser = Browser::new(&server);
    browser.log_in("bob", PASSWORD).await;
    for guess in [
        "BCDF-GHJK",
        "BCDF-GHJL",
        "BCDF-GHJM",
        "BCDF-GHJN",
        "BCDF-GHJP",
    ] {
        let page = browser.get(&format!("/o/device/?user_code={guess}")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("That code is not valid"),
            "{}",
            page.body
        );
    }
    let locked = browser.get("/o/device/?user_code=BCDF-GHJQ").await;
    assert_eq!(locked.status, 429, "{locked:?}");
    assert_eq!(locked.header("retry-after"), Some("1"));
    assert!(
        locked
            .body
            .contains("Too many wrong codes. Try again in 1 second."),
        "{}",
        locked.body
    );
    let posted = browser
        .post_with_csrf("/o/device/", &[("user_code", "BCDF-GHJR")])
        .await;
    assert_eq!(posted.status, 429, "the form is refused alike: {posted:?}");
}

/// The lockouts the admin API lists, as `(kind, subject, failures, locked, permanent)`.
fn lockouts(listed: &Value) -> Vec<(String, String, u64, bool, bool)> {
    listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["kind"].as_str().unwrap().to_owned(),
                item["subject"].as_str().unwrap().to_owned(),
                item["failures"].as_u64().unwrap(),
                item["locked"].as_bool().unwrap(),
                item["permanent"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Past `brute_force.permanent_lockout_after` only staff lift a lock: by user, or by
/// counter, through the admin API or the CLI.
pub async fn staff_see_and_lift_lockouts(env: &TestEnv) {
    let setup = setup_with(
        env,
        &[("WARRANT_BRUTE_FORCE__PERMANENT_LOCKOUT_AFTER", "5")],
    )
    .await;
    let api = root_api(&setup).await;
    fail(&setup, "alice", 5).await;
    tokio::time::sleep(PAST_THE_FIRST_WAIT).await;
    password_grant(&setup, "alice", PASSWORD, None)
        .await
        .assert_oauth_error(400, "invalid_grant");

    let all = api.ok("GET", "/api/admin/lockouts", None, 200).await;
    let row = |kind: &str, subject: &str, failures, locked, permanent| {
        (
            kind.to_owned(),
            subject.to_owned(),
            failures,
            locked,
            permanent,
        )
    };
    assert_eq!(
        lockouts(&all),
        [
            row("account", "alice", 5, true, true),
            row("login_address", "127.0.0.1", 5, false, false)
        ]
    );
    let accounts = api
        .ok(
            "GET",
            "/api/admin/lockouts?kind=account&subject=ALICE",
            None,
            200,
        )
        .await;
    assert_eq!(
        lockouts(&accounts),
        [row("account", "alice", 5, true, true)]
    );
    let alice = api.user_id("alice").await;
    api.ok(
        "DELETE",
        &format!("/api/admin/users/{alice}/lockouts"),
        None,
        204,
    )
    .await;
    assert_eq!(
        password_grant(&setup, "alice", PASSWORD, None).await.status,
        200
    );

    // By email address as the login name, lifted by counter.
    fail(&setup, "Alice@Example.com", 5).await;
    let path = "/api/admin/lockouts/account/alice@example.com";
    api.ok("DELETE", path, None, 204).await;
    assert_eq!(api.call("DELETE", path, None).await.status, 404);
    assert_eq!(
        password_grant(&setup, "alice@example.com", PASSWORD, None)
            .await
            .status,
        200
    );
    api.call("DELETE", "/api/admin/lockouts/nonsense/x", None)
        .await
        .assert_oauth_error(400, "invalid_request");

    // The CLI, on the same database.
    fail(&setup, "bob", 5).await;
    let listed = env.run(&["lockout", "list", "--kind", "account", "--json"], None);
    assert!(listed.status.success(), "{listed:?}");
    let rows: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        lockouts(&serde_json::json!({ "items": rows })),
        [row("account", "bob", 5, true, true)]
    );
    let listed = text(&env.run(&["lockout", "list"], None).stdout);
    assert!(
        listed.contains("account bob: 5 failures, the last at "),
        "{listed}"
    );
    assert!(listed.contains("locked until cleared"), "{listed}");
    let cleared = env.run(&["lockout", "clear", "account", "bob"], None);
    assert_eq!(text(&cleared.stdout), "cleared account bob\n");
    assert_one_line_error(
        &env.run(&["lockout", "clear", "account", "bob"], None),
        "no failures counted against account \"bob\"",
    );
    assert_one_line_error(
        &env.run(&["lockout", "list", "--kind", "accounts"], None),
        "unknown kind \"accounts\": expected one of account, login_address",
    );
    fail(&setup, "alice", 5).await;
    let unlocked = env.run(&["lockout", "unlock-user", "alice"], None);
    assert_eq!(
        text(&unlocked.stdout),
        "unlocked alice: 1 counter cleared\n"
    );
    tokio::time::sleep(PAST_THE_CACHE).await;
    assert_eq!(
        password_grant(&setup, "alice", PASSWORD, None).await.status,
        200
    );
}

/// Two servers on one database: failures on either count towards one lock, seen by both
/// within a second.
pub async fn instances_on_one_database_share_the_count(env: &TestEnv) {
    const WAIT: (&str, &str) = ("WARRANT_BRUTE_FORCE__WAIT_INCREMENT_SECONDS", "4");
    let first = Setup::start_with(env, &[WAIT]).await;
    let mut second_server = env.command(&["serve"]);
    second_server.env(WAIT.0, WAIT.1);
    let second = Setup {
        server: Server::start(second_server).await,
        client_id: first.client_id.clone(),
        secret: first.secret.clone(),
    };
    fail(&first, "alice", 3).await;
    fail(&second, "alice", 2).await;
    tokio::time::sleep(PAST_THE_CACHE).await;
    for setup in [&first, &second] {
        password_grant(setup, "alice", PASSWORD, None)
            .await
            .assert_oauth_error(400, "invalid_grant");
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        password_grant(&second, "alice", PASSWORD, None)
            .await
            .status,
        200
    );
}
