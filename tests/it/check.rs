//! `warrant check`: what the configuration and the database disagree about, with exit
//! status 1 when they do.

use std::process::Output;

use crate::support::{Server, TestEnv, assert_one_line_error, run_with_stdin, text};

fn check(env: &TestEnv) -> Output {
    env.run(&["check"], None)
}

fn assert_problem(output: &Output, expected: &str) {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        text(&output.stdout).contains(&format!("problem: {expected}")),
        "{output:?}"
    );
    assert_eq!(text(&output.stderr).lines().count(), 1, "{output:?}");
}

const GITHUB: &str =
    "[upstream.github]\npreset = \"github\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";

pub async fn check_reports_what_config_and_database_disagree_about(env: &TestEnv) {
    let clean = check(env);
    assert!(clean.status.success(), "{clean:?}");
    assert_eq!(text(&clean.stdout), "no problems found\n");

    // Connections of a provider that is not (or no longer) configured.
    env.create_user("alice", "correct-horse-battery", &[]);
    env.connect_upstream("alice", "github").await;
    assert_problem(
        &check(env),
        "the database has upstream connections for providers that are not configured: github",
    );
    std::fs::write(env.dir.join("warrant.toml"), GITHUB).unwrap();
    assert!(check(env).status.success());

    // Users queued for a client app that was then removed from the configuration.
    std::fs::write(
        env.dir.join("warrant.toml"),
        format!("{GITHUB}[sync]\nclient_apps = [\"http://127.0.0.1:9/\"]\nserver_key = \"0123456789abcdef\"\n"),
    )
    .unwrap();
    env.create_user("bob", "correct-horse-battery", &[]);
    assert!(
        check(env).status.success(),
        "queued for a configured app is fine"
    );
    std::fs::write(env.dir.join("warrant.toml"), GITHUB).unwrap();
    assert_problem(
        &check(env),
        "client sync: 1 user queued for http://127.0.0.1:9/, which is not in sync.client_apps",
    );
    std::fs::write(
        env.dir.join("warrant.toml"),
        format!("{GITHUB}[sync]\nclient_apps = [\"http://127.0.0.1:9/\"]\nserver_key = \"0123456789abcdef\"\n"),
    )
    .unwrap();

    // A signing key sealed under another secret_key.
    let rotated = env.run(&["keys", "rotate", "--algorithm", "ES256"], None);
    assert!(rotated.status.success(), "{rotated:?}");
    assert!(check(env).status.success());
    let mut other_key = env.command(&["check"]);
    other_key.env(
        "WARRANT_SECRET_KEY",
        "a-different-secret-key-of-forty-characters!",
    );
    let output = run_with_stdin(other_key, None);
    assert_problem(&output, "signing keys ");
    assert!(text(&output.stdout).contains("cannot be opened with this secret_key"));

    // A provider configured wrongly stops every command with one line naming the key.
    std::fs::write(
        env.dir.join("warrant.toml"),
        "[upstream.corp]\npreset = \"oidc\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
    )
    .unwrap();
    assert_one_line_error(
        &check(env),
        "upstream.corp.issuer: required with preset \"oidc\"",
    );
}

/// `warrant check` reads each OpenID Connect provider's discovery document, and reports a
/// listener no client could use and settings that are allowed but dangerous.
pub async fn check_reports_providers_issuer_and_footguns(env: &TestEnv) {
    // Another Warrant plays the provider; like Django OAuth Toolkit it also serves its
    // metadata under /o/, which names the issuer without /o.
    let provider_env = TestEnv::sqlite();
    let provider = Server::start(provider_env.command(&["serve"])).await;
    let base = &provider.base_url;
    let closed = crate::support::free_port();
    let oidc = |key: &str, issuer: &str| {
        format!(
            "[upstream.{key}]\npreset = \"oidc\"\nissuer = \"{issuer}\"\nclient_id = \"c\"\nclient_secret = \"s\"\n"
        )
    };
    let config = [
        oidc("good", base),
        oidc("dot", &format!("{base}/o")),
        oidc("missing", &format!("{base}/nothing")),
        oidc("down", &format!("http://127.0.0.1:{closed}")),
        "[server]\naddress = \"0.0.0.0\"\n".to_owned(),
        "[oauth2]\ndefault_scopes = [\"read\", \"admin\"]\n[oauth2.scopes]\nread = \"Read\"\nadmin = \"Admin API\"\n".to_owned(),
    ]
    .concat();
    std::fs::write(env.dir.join("warrant.toml"), config).unwrap();
    let mut command = env.command(&["check"]);
    command.env("WARRANT_UPSTREAM__GITHUB__CLIENT_SECRET", "left-over");
    let output = run_with_stdin(command, None);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let lines: Vec<&str> = stdout.lines().collect();
    let has = |prefix: &str, needle: &str| {
        lines
            .iter()
            .any(|line| line.starts_with(prefix) && line.contains(needle))
    };
    for expected in [
        "server.issuer: required when server.address is 0.0.0.0",
        &format!(
            "upstream.dot: discovery failed: unexpected answer from {base}/o/.well-known/openid-configuration: it names the issuer \"{base}\", not the configured \"{base}/o\""
        ),
        &format!(
            "upstream.missing: discovery failed: {base}/nothing/.well-known/openid-configuration answered HTTP 404"
        ),
        "(is the issuer right? A Django OAuth Toolkit issuer ends in /o)",
        "upstream.down: discovery failed:",
    ] {
        assert!(has("problem: ", expected), "{expected:?} not in {stdout}");
    }
    assert!(!has("problem: ", "upstream.good"), "{stdout}");
    assert!(
        has("warning: ", "oauth2.default_scopes includes admin"),
        "{stdout}"
    );
    assert!(
        has(
            "warning: ",
            "WARRANT_UPSTREAM__GITHUB__CLIENT_SECRET is ignored: no [upstream.github] is configured"
        ),
        "{stdout}"
    );
    assert!(
        text(&output.stderr).starts_with("error: 4 problems found"),
        "{output:?}"
    );

    // The left-over variable is a warning for every other command, never a stop.
    let mut command = env.command(&["user", "list"]);
    command.env("WARRANT_UPSTREAM__GITHUB__CLIENT_SECRET", "left-over");
    let listed = run_with_stdin(command, None);
    assert!(listed.status.success(), "{listed:?}");
    assert!(
        text(&listed.stderr).contains("WARRANT_UPSTREAM__GITHUB__CLIENT_SECRET is ignored"),
        "{listed:?}"
    );
    // serve refuses a listener without an issuer (after the warnings).
    let refused = env.run(&["serve"], None);
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("error: server.issuer: required when server.address is 0.0.0.0"),
        "{stderr}"
    );
}
