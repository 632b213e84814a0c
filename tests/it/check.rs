//! `warrant check`: what the configuration and the database disagree about, with exit
//! status 1 when they do.

use std::process::Output;

use crate::support::{TestEnv, assert_one_line_error, run_with_stdin, text};

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
