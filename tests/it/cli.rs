//! The CLI forms operators' scripts rely on, and its errors.

use serde_json::Value;

use crate::support::{SECRET_KEY, TestEnv, assert_one_line_error, text};

const PASSWORD: &str = "correct-horse-battery\n";

fn json(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "failed: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&output.stdout)))
}

fn create_alice(env: &TestEnv) -> Value {
    json(&env.run(
        &[
            "user",
            "create",
            "--username",
            "alice",
            "--email",
            "alice@example.com",
            "--password-stdin",
            "--staff",
            "--json",
        ],
        Some(PASSWORD),
    ))
}

pub async fn user_create_prints_json_and_lists_the_user(env: &TestEnv) {
    let created = create_alice(env);
    assert_eq!(created["username"], "alice");
    assert!(created["id"].as_i64().unwrap() >= 1);
    let listed = json(&env.run(&["user", "list", "--json"], None));
    let users = listed.as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["email"], "alice@example.com");
    assert_eq!(users[0]["is_staff"], true);
    assert_eq!(users[0]["is_superuser"], false);
    assert!(
        users[0].get("password").is_none(),
        "list must not show password hashes"
    );
    let table = text(&env.run(&["user", "list"], None).stdout);
    assert!(
        table.contains("alice") && table.contains("staff"),
        "{table}"
    );
}

pub async fn duplicate_username_is_a_one_line_error(env: &TestEnv) {
    create_alice(env);
    let again = env.run(
        &[
            "user",
            "create",
            "--username",
            "alice",
            "--email",
            "other@example.com",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    assert_one_line_error(&again, "username is already taken");
    let same_email = env.run(
        &[
            "user",
            "create",
            "--username",
            "alice2",
            "--email",
            "alice@example.com",
        ],
        None,
    );
    assert_one_line_error(&same_email, "email is already taken");
    let bad_name = env.run(&["user", "create", "--username", "no spaces"], None);
    assert_one_line_error(&bad_name, "invalid username");
    let bad_email = env.run(
        &[
            "user",
            "create",
            "--username",
            "bob",
            "--email",
            "not-an-email",
        ],
        None,
    );
    assert_one_line_error(&bad_email, "invalid email");
    let no_password = env.run(
        &["user", "create", "--username", "carol", "--password-stdin"],
        Some(""),
    );
    assert_one_line_error(&no_password, "no password on standard input");
    assert_eq!(
        json(&env.run(&["user", "list", "--json"], None))
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

pub async fn user_passwd_checks_user_and_length(env: &TestEnv) {
    create_alice(env);
    assert_one_line_error(
        &env.run(
            &["user", "passwd", "nobody", "--password-stdin"],
            Some(PASSWORD),
        ),
        "no user named nobody",
    );
    assert_one_line_error(
        &env.run(
            &["user", "passwd", "alice", "--password-stdin"],
            Some("short\n"),
        ),
        "at least 8 characters",
    );
    let changed = env.run(
        &["user", "passwd", "alice", "--password-stdin"],
        Some("a-new-long-password\n"),
    );
    assert!(changed.status.success(), "{}", text(&changed.stderr));
}

fn create_app(env: &TestEnv, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["app", "create", "--name", "Demo", "--json"];
    args.extend_from_slice(extra);
    env.run(&args, None)
}

/// Every byte of the scratch directory (the SQLite files) or nothing for PostgreSQL,
/// whose contents the storage contract tests inspect.
fn sqlite_bytes(env: &TestEnv) -> Vec<u8> {
    std::fs::read_dir(&env.dir)
        .unwrap()
        .flat_map(|entry| std::fs::read(entry.unwrap().path()).unwrap_or_default())
        .collect()
}

pub async fn confidential_app_secret_is_printed_once_and_stored_hashed(env: &TestEnv) {
    let created = json(&create_app(
        env,
        &[
            "--client-type",
            "confidential",
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            "--grant",
            "client-credentials",
            "--redirect-uri",
            "https://app.example.com/cb",
            "--redirect-uri",
            "http://127.0.0.1:9000/cb",
            "--skip-authorization",
        ],
    ));
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(client_id.len(), 40);
    assert!(client_id.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(secret.len(), 128);

    let shown = json(&env.run(&["app", "show", &client_id, "--json"], None));
    assert_eq!(
        shown["grant_types"],
        serde_json::json!(["authorization_code", "client_credentials", "refresh_token"])
    );
    assert_eq!(shown["redirect_uris"][1], "http://127.0.0.1:9000/cb");
    assert_eq!(shown["skip_authorization"], true);
    assert_eq!(shown["has_client_secret"], true);
    let everything_shown = format!(
        "{}{}",
        text(&env.run(&["app", "show", &client_id], None).stdout),
        text(&env.run(&["app", "list", "--json"], None).stdout)
    );
    assert!(
        !everything_shown.contains(&secret),
        "the secret is shown only at creation"
    );
    let db = sqlite_bytes(env);
    assert!(
        !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "raw client secret stored"
    );

    let rotated = json(&env.run(&["app", "rotate-secret", &client_id, "--json"], None));
    assert_eq!(rotated["client_id"], client_id.as_str());
    assert_ne!(rotated["client_secret"], secret.as_str());

    let deleted = env.run(&["app", "delete", &client_id], None);
    assert!(deleted.status.success());
    assert_one_line_error(
        &env.run(&["app", "show", &client_id], None),
        "no application with client_id",
    );
}

pub async fn public_app_has_no_secret(env: &TestEnv) {
    let created = json(&create_app(
        env,
        &[
            "--client-type",
            "public",
            "--grant",
            "authorization_code",
            "--redirect-uri",
            "com.example.app:/cb",
        ],
    ));
    assert!(created["client_secret"].is_null());
    let client_id = created["client_id"].as_str().unwrap();
    let shown = json(&env.run(&["app", "show", client_id, "--json"], None));
    assert_eq!(
        shown["pkce_required"], true,
        "public clients always need PKCE"
    );
    assert_one_line_error(
        &env.run(&["app", "rotate-secret", client_id], None),
        "is public and has no client secret",
    );
}

pub async fn bad_application_input_is_a_one_line_error(env: &TestEnv) {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--client-type",
                "confidential",
                "--grant",
                "authorization_code",
                "--redirect-uri",
                "http://evil.example.com/cb",
            ],
            "plain http is allowed only for loopback hosts",
        ),
        (
            &[
                "--client-type",
                "confidential",
                "--grant",
                "authorization_code",
                "--redirect-uri",
                "https://a.example/cb#x",
            ],
            "has a fragment",
        ),
        (
            &[
                "--client-type",
                "confidential",
                "--grant",
                "authorization_code",
                "--redirect-uri",
                "not a uri",
            ],
            "invalid redirect URI",
        ),
        (
            &[
                "--client-type",
                "confidential",
                "--grant",
                "authorization_code",
            ],
            "need at least one redirect URI",
        ),
        (
            &["--client-type", "confidential", "--grant", "magic"],
            "unknown grant type \"magic\": expected authorization_code, implicit, password, client_credentials, refresh_token or device_code",
        ),
        (
            &["--client-type", "public", "--grant", "client_credentials"],
            "public client cannot use the client_credentials grant",
        ),
        (
            &[
                "--client-type",
                "confidential",
                "--grant",
                "password",
                "--owner",
                "ghost",
            ],
            "no user named ghost",
        ),
        (
            &[
                "--client-type",
                "confidential",
                "--grant",
                "password",
                "--allowed-origin",
                "https://a.example/path",
            ],
            "invalid origin",
        ),
    ];
    for (args, expected) in cases {
        assert_one_line_error(&create_app(env, args), expected);
    }
    assert_eq!(
        json(&env.run(&["app", "list", "--json"], None)),
        serde_json::json!([])
    );
}

pub async fn unknown_application_is_a_one_line_error(env: &TestEnv) {
    for command in [
        &["app", "show", "nope"][..],
        &["app", "delete", "nope"],
        &["app", "rotate-secret", "nope"],
    ] {
        assert_one_line_error(
            &env.run(command, None),
            "no application with client_id nope",
        );
    }
    assert_one_line_error(
        &env.run(&["app", "show", "bad id"], None),
        "invalid client id",
    );
}

pub async fn bad_config_values_name_the_key_and_the_file(env: &TestEnv) {
    let mut bad_env = env.command(&["app", "list"]);
    bad_env.env("WARRANT_DATABASE__MAX_CONNECTIONS", "many");
    assert_one_line_error(
        &crate::support::run_with_stdin(bad_env, None),
        "database.max_connections: invalid type: found string \"many\", expected u32 (set by WARRANT_DATABASE__MAX_CONNECTIONS)",
    );

    // A syntax error keeps its place in the file, on one line.
    std::fs::write(env.dir.join("warrant.toml"), "[server]\nport = 80x\n").unwrap();
    let output = env.run(&["app", "list"], None);
    assert_one_line_error(
        &output,
        "invalid configuration: warrant.toml, line 2, column 10: ",
    );
    assert!(!text(&output.stderr).contains('|'), "{output:?}");

    std::fs::write(
        env.dir.join("warrant.toml"),
        "[server]\nport = \"eighty\"\n",
    )
    .unwrap();
    let output = env.run(&["app", "list"], None);
    assert_one_line_error(&output, "server.port");
    assert!(text(&output.stderr).contains("warrant.toml"));

    std::fs::write(
        env.dir.join("custom.toml"),
        "[generators.client_id]\nkind = \"nope\"\n",
    )
    .unwrap();
    let output = env.run(&["--config", "custom.toml", "app", "list"], None);
    assert_one_line_error(
        &output,
        "generators.client_id.kind: unknown generator kind \"nope\"",
    );

    std::fs::write(env.dir.join("typo.toml"), "[sever]\nport = 1\n").unwrap();
    assert_one_line_error(
        &env.run(&["--config", "typo.toml", "config", "show"], None),
        "unknown field",
    );
    assert_one_line_error(
        &env.run(&["--config", "missing.toml", "config", "show"], None),
        "does not exist",
    );
    for (section, value, expected) in [
        (
            "outgoing",
            "ca_file = \"absent.pem\"",
            "outgoing.ca_file: absent.pem",
        ),
        (
            "outgoing",
            "ca_file = \"typo.toml\"",
            "outgoing.ca_file: typo.toml: no PEM certificate in it",
        ),
        (
            "upstream_client",
            "timeout_seconds = 0",
            "upstream_client.timeout_seconds: must be at least 1",
        ),
    ] {
        std::fs::write(
            env.dir.join("warrant.toml"),
            format!("[{section}]\n{value}\n"),
        )
        .unwrap();
        assert_one_line_error(&env.run(&["app", "list"], None), expected);
    }
    for (section, value, expected) in [
        (
            "brute_force",
            "max_failures = 0",
            "brute_force.max_failures: must be at least 1 (in warrant.toml)",
        ),
        (
            "brute_force",
            "wait_increment_seconds = 60\nmax_wait_seconds = 30",
            "brute_force.max_wait_seconds: must be at least brute_force.wait_increment_seconds",
        ),
        (
            "server",
            "client_ip_header = \"X Real IP\"",
            "server.client_ip_header: \"X Real IP\" is not a header name (such as X-Real-IP)",
        ),
    ] {
        std::fs::write(
            env.dir.join("warrant.toml"),
            format!("[{section}]\n{value}\n"),
        )
        .unwrap();
        assert_one_line_error(&env.run(&["app", "list"], None), expected);
    }
    // A value from the environment names its variable, not the file.
    std::fs::write(env.dir.join("warrant.toml"), "[server]\nport = 8000\n").unwrap();
    let mut bad_url = env.command(&["migrate"]);
    bad_url.env("WARRANT_DATABASE__URL", "mysql://x");
    let output = crate::support::run_with_stdin(bad_url, None);
    assert_one_line_error(
        &output,
        "database.url: expected sqlite://PATH or postgres://…, got \"mysql://x\" (set by WARRANT_DATABASE__URL)",
    );
    assert!(!text(&output.stderr).contains("warrant.toml"), "{output:?}");
    std::fs::write(
        env.dir.join("warrant.toml"),
        "[sync]\nserver_key = \"short\"\nclient_apps = [\"http://127.0.0.1:9/\"]\n",
    )
    .unwrap();
    assert_one_line_error(
        &env.run(&["app", "list"], None),
        "sync.server_key: must be at least 16 characters (in warrant.toml)",
    );
    std::fs::remove_file(env.dir.join("warrant.toml")).unwrap();
}

/// A database that cannot be opened is one line: the database (never its password), the
/// cause once, and what to check.
pub async fn database_errors_name_the_database_and_what_to_check(env: &TestEnv) {
    let closed = crate::support::free_port();
    let mut refused = env.command(&["user", "list"]);
    refused.env(
        "WARRANT_DATABASE__URL",
        format!("postgres://warrant:hunter2@127.0.0.1:{closed}/warrant"),
    );
    let output = crate::support::run_with_stdin(refused, None);
    assert_one_line_error(
        &output,
        &format!(
            "error: cannot open database postgres://warrant:redacted@127.0.0.1:{closed}/warrant: \
             connection refused; check that PostgreSQL is running and listens at the host and port of the URL"
        ),
    );
    assert!(!text(&output.stderr).contains("hunter2"));
    let mut missing = env.command(&["user", "list"]);
    missing.env(
        "WARRANT_DATABASE__URL",
        "sqlite:///no-such-warrant-dir/warrant.db",
    );
    assert_one_line_error(
        &crate::support::run_with_stdin(missing, None),
        "error: cannot open database sqlite:///no-such-warrant-dir/warrant.db: no such file or directory; \
         check that the file's directory exists and this user may write to it",
    );
}

pub async fn config_show_redacts_the_secret_key(env: &TestEnv) {
    let output = env.run(&["config", "show"], None);
    let shown = text(&output.stdout);
    assert!(output.status.success());
    assert!(shown.contains("secret_key = \"[redacted]\""), "{shown}");
    assert!(!shown.contains(SECRET_KEY));
    assert!(
        shown.contains("iterations = 1000"),
        "environment overrides are shown: {shown}"
    );
}

pub async fn usage_errors_are_one_line_with_status_2(env: &TestEnv) {
    for args in [
        &["app", "create", "--client-type", "public"][..],
        &["user", "frobnicate"],
        &["--no-such-flag"],
        &[
            "app",
            "create",
            "--name",
            "x",
            "--client-type",
            "other",
            "--grant",
            "password",
        ],
    ] {
        let output = env.run(args, None);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(
            stderr.starts_with("error: ") && stderr.trim_end().ends_with("(see --help)"),
            "{stderr:?}"
        );
        assert_eq!(stderr.matches("help").count(), 1, "said once: {stderr:?}");
    }
    let missing = text(
        &env.run(&["app", "create", "--client-type", "public"], None)
            .stderr,
    );
    assert!(
        missing.contains("--name") && missing.contains("--grant"),
        "names the missing arguments: {missing}"
    );
    let help = env.run(&["app", "create", "--help"], None);
    assert!(help.status.success() && text(&help.stdout).contains("--redirect-uri"));
}

pub async fn cleartokens_reports_what_it_deleted(env: &TestEnv) {
    let nothing = env.run(&["cleartokens"], None);
    assert!(nothing.status.success(), "{}", text(&nothing.stderr));
    assert!(
        text(&nothing.stdout).starts_with("deleted 0 rows: 0 authorization codes,"),
        "{}",
        text(&nothing.stdout)
    );

    // Tokens that live one second, issued over HTTP, then cleared.
    let setup = crate::token_endpoint::Setup::start_with(
        env,
        &[("WARRANT_OAUTH2__ACCESS_TOKEN_EXPIRE_SECONDS", "1")],
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            setup.token("grant_type=client_credentials").await.status,
            200
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let mut command = env.command(&["cleartokens", "--batch-size", "2"]);
    command.env("WARRANT_OAUTH2__ACCESS_TOKEN_EXPIRE_SECONDS", "1");
    let cleared = crate::support::run_with_stdin(command, None);
    assert!(cleared.status.success(), "{}", text(&cleared.stderr));
    assert!(
        text(&cleared.stdout).contains(" 3 access tokens"),
        "{}",
        text(&cleared.stdout)
    );
    assert!(
        text(&cleared.stderr).contains("deleted so far"),
        "batches show progress: {}",
        text(&cleared.stderr)
    );
}

/// `user update`, `deactivate`, `activate` and `unlock`: changes as `user list` shows them,
/// what is not given kept, and bad input one line (a bad flag value a usage error).
pub async fn users_are_updated_deactivated_and_activated(env: &TestEnv) {
    create_alice(env);
    let updated = env.run(
        &[
            "user",
            "update",
            "alice",
            "--email",
            "alice@example.org",
            "--first-name",
            "Alice",
            "--staff",
            "false",
            "--superuser",
            "true",
        ],
        None,
    );
    assert!(updated.status.success(), "{}", text(&updated.stderr));
    let alice = |env: &TestEnv| json(&env.run(&["user", "list", "--json"], None))[0].clone();
    let listed = alice(env);
    assert_eq!(listed["email"], "alice@example.org");
    assert_eq!(listed["first_name"], "Alice");
    assert_eq!(listed["last_name"], "", "not given: kept");
    assert_eq!(
        (&listed["is_staff"], &listed["is_superuser"]),
        (&Value::Bool(false), &Value::Bool(true))
    );
    let removed = env.run(&["user", "update", "alice", "--email", ""], None);
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    assert_eq!(alice(env)["email"], Value::Null);

    let deactivated = env.run(&["user", "deactivate", "alice"], None);
    assert!(
        deactivated.status.success(),
        "{}",
        text(&deactivated.stderr)
    );
    assert_eq!(alice(env)["is_active"], false);
    let activated = env.run(&["user", "activate", "alice"], None);
    assert!(activated.status.success(), "{}", text(&activated.stderr));
    assert_eq!(alice(env)["is_active"], true);
    let unlocked = env.run(&["user", "unlock", "alice"], None);
    assert!(
        text(&unlocked.stdout).contains("unlocked alice"),
        "{}",
        text(&unlocked.stderr)
    );

    for command in [
        &["user", "update", "nobody", "--first-name", "x"][..],
        &["user", "deactivate", "nobody"],
        &["user", "activate", "nobody"],
    ] {
        assert_one_line_error(&env.run(command, None), "no user nobody");
    }
    assert_one_line_error(
        &env.run(
            &["user", "update", "alice", "--email", "not-an-email"],
            None,
        ),
        "--email",
    );
    let bad_flag = env.run(&["user", "update", "alice", "--staff", "maybe"], None);
    assert_eq!(
        bad_flag.status.code(),
        Some(2),
        "{}",
        text(&bad_flag.stderr)
    );

    // Deleting asks for --yes, and then there is no alice any more.
    assert_one_line_error(
        &env.run(&["user", "delete", "alice"], None),
        "user delete: deleting alice cannot be undone and client apps are not told; add --yes",
    );
    assert_eq!(alice(env)["username"], "alice", "still there");
    let deleted = env.run(&["user", "delete", "alice", "--yes"], None);
    assert!(deleted.status.success(), "{}", text(&deleted.stderr));
    assert_eq!(text(&deleted.stdout).trim(), "deleted user alice");
    assert_eq!(
        json(&env.run(&["user", "list", "--json"], None)),
        serde_json::json!([])
    );
    assert_one_line_error(
        &env.run(&["user", "delete", "alice", "--yes"], None),
        "no user alice",
    );
}

/// `app update`: what is given changes (lists replaced), the rest stays; bad input is one
/// line naming the value.
pub async fn apps_are_updated(env: &TestEnv) {
    let created = json(&env.run(
        &[
            "app",
            "create",
            "--name",
            "Billing",
            "--client-type",
            "confidential",
            "--grant",
            "authorization-code",
            "--redirect-uri",
            "https://billing.example/cb",
            "--json",
        ],
        None,
    ));
    let client_id = created["client_id"].as_str().unwrap();
    let updated = json(&env.run(
        &[
            "app",
            "update",
            client_id,
            "--name",
            "Billing v2",
            "--grant",
            "authorization-code",
            "--grant",
            "refresh-token",
            "--redirect-uri",
            "https://billing.example/v2/cb",
            "--allowed-origin",
            "https://billing.example",
            "--skip-authorization",
            "true",
            "--algorithm",
            "ES256",
            "--json",
        ],
        None,
    ));
    assert_eq!(updated["name"], "Billing v2");
    assert_eq!(
        updated["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        updated["redirect_uris"],
        serde_json::json!(["https://billing.example/v2/cb"])
    );
    assert_eq!(updated["skip_authorization"], true);
    assert_eq!(updated["algorithm"], "ES256");
    let renamed_only = json(&env.run(
        &["app", "update", client_id, "--name", "Billing v3", "--json"],
        None,
    ));
    assert_eq!(
        renamed_only["redirect_uris"], updated["redirect_uris"],
        "kept"
    );
    assert_eq!(renamed_only["allowed_origins"], updated["allowed_origins"]);

    assert_one_line_error(
        &env.run(&["app", "update", "nope", "--name", "x"], None),
        "no application with client_id nope",
    );
    assert_one_line_error(
        &env.run(
            &["app", "update", client_id, "--redirect-uri", "not a uri"],
            None,
        ),
        "not a uri",
    );
    assert_one_line_error(
        &env.run(&["app", "update", client_id, "--grant", "magic"], None),
        "magic",
    );
    assert_one_line_error(
        &env.run(&["app", "update", client_id, "--algorithm", "HS256"], None),
        "HS256",
    );
}

pub async fn config_show_prints_json_too(env: &TestEnv) {
    let shown = json(&env.run(&["config", "show", "--json"], None));
    assert_eq!(shown["secret_key"], "[redacted]");
    assert_eq!(shown["oauth2"]["security_profile"], "standard");
    let version = env.run(&["--version"], None);
    assert!(
        text(&version.stdout).starts_with("warrant "),
        "{}",
        text(&version.stdout)
    );
}

/// Completions for each shell and the man page describe the command line, without a
/// configuration; an unknown shell is a usage error.
pub async fn completions_and_the_man_page_describe_the_commands(env: &TestEnv) {
    for (shell, marker) in [
        ("bash", "_warrant()"),
        ("zsh", "#compdef warrant"),
        ("fish", "complete -c warrant"),
    ] {
        let output = env.run(&["completions", shell], None);
        let script = text(&output.stdout);
        assert!(output.status.success(), "{shell}: {}", text(&output.stderr));
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("rotate-secret"),
            "{shell}: the subcommands are there"
        );
    }
    let unknown = env.run(&["completions", "tcsh"], None);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown.stderr));
    let man = env.run(&["manpage"], None);
    let page = text(&man.stdout);
    assert!(man.status.success(), "{}", text(&man.stderr));
    assert!(
        page.starts_with(".ie") || page.contains(".TH warrant"),
        "{page}"
    );
    assert!(page.contains("OAuth 2.0"), "the description: {page}");
    // A broken configuration does not stand in the way.
    std::fs::write(env.dir.join("warrant.toml"), "not = [valid").unwrap();
    assert!(env.run(&["completions", "bash"], None).status.success());
}
