//! `warrant import django` against a real Django site: tests/django/site.py builds one
//! with the released django-oauth-toolkit, djangorestframework and django-oauth-login (in
//! the venv .ci/run makes; `WARRANT_TEST_DJANGO_PYTHON` names its python), fills it through
//! Django itself and says what its clients and users hold. After the import, all of that
//! works against the real `warrant` binary.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::support::{Server, TestEnv, assert_one_line_error, text};

/// The venv's python, or `None` (the test is skipped) when none is named.
fn django_python() -> Option<PathBuf> {
    match std::env::var_os("WARRANT_TEST_DJANGO_PYTHON") {
        Some(python) => Some(PathBuf::from(python)),
        None => {
            eprintln!(
                "SKIPPED: WARRANT_TEST_DJANGO_PYTHON is not set (.ci/run sets it), Django import \
                 test not run"
            );
            None
        }
    }
}

/// Runs site.py on `database` with `extra` arguments: what it printed.
fn site_py(python: &PathBuf, database: &str, extra: &[&str]) -> Value {
    let output = Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/django/site.py"))
        .arg(database)
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "site.py: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The import's JSON report, and whether it exited successfully (1 when a row was refused).
fn import_with_status(env: &TestEnv, url: &str, extra: &[&str]) -> (Value, bool) {
    let mut args = vec!["import", "django", "--database-url", url, "--json"];
    args.extend_from_slice(extra);
    let output = env.run(&args, None);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("no JSON report: {output:?}"));
    (report, output.status.success())
}

/// The report of an import that refused nothing.
fn import(env: &TestEnv, url: &str, extra: &[&str]) -> Value {
    let (report, succeeded) = import_with_status(env, url, extra);
    assert!(succeeded, "{report}");
    report
}

/// `(imported, updated, skipped, refused)` of one kind.
fn counts(report: &Value, kind: &str) -> (u64, u64, u64, usize) {
    let tally = &report[kind];
    (
        tally["imported"].as_u64().unwrap(),
        tally["updated"].as_u64().unwrap(),
        tally["skipped"].as_u64().unwrap(),
        tally["refused"].as_array().unwrap().len(),
    )
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub async fn a_django_site_moves_with_its_users_clients_and_tokens(env: &TestEnv) {
    let Some(python) = django_python() else {
        return;
    };
    let (django_database, url) = env.sibling_database("django").await;
    let site = site_py(&python, &django_database, &[]);

    let dry = import(env, &url, &["--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(counts(&dry, "users"), (7, 0, 0, 0), "{dry}");
    let listed = env.run(&["user", "list", "--json"], None);
    assert_eq!(
        text(&listed.stdout).trim(),
        "[]",
        "a dry run writes nothing"
    );

    let report = import(env, &url, &[]);
    assert_eq!(counts(&report, "users"), (7, 0, 0, 0), "{report}");
    // One of each of DOT's grant types.
    assert_eq!(counts(&report, "applications"), (7, 0, 0, 0), "{report}");
    assert!(
        report["applications"]["adjusted"]
            .to_string()
            .contains("openid-hybrid"),
        "{report}"
    );
    // The expired access token and the revoked refresh token stay behind.
    assert_eq!(counts(&report, "access_tokens"), (3, 0, 1, 0), "{report}");
    assert_eq!(counts(&report, "refresh_tokens"), (3, 0, 1, 0), "{report}");
    assert_eq!(counts(&report, "api_tokens"), (2, 0, 0, 0), "{report}");
    assert_eq!(counts(&report, "connections"), (2, 0, 0, 0), "{report}");
    assert_eq!(
        report,
        dry.as_object()
            .map(|dry| {
                let mut real = Value::Object(dry.clone());
                real["dry_run"] = Value::Bool(false);
                real
            })
            .unwrap(),
        "the dry run said what the import did"
    );
    let adjusted = report["users"]["adjusted"].to_string();
    assert!(
        adjusted.contains("user 7 (frank)") && adjusted.contains("also user 2's"),
        "frank's email is alice's (in other case): {adjusted}"
    );
    assert!(
        report["connections"]["adjusted"]
            .to_string()
            .contains("no [upstream.bitbucket] is configured"),
        "{report}"
    );

    let server = Server::start(env.command(&["serve"])).await;
    let password = site["password"].as_str().unwrap();
    let app = |name: &str| {
        let app = &site["applications"][name];
        (
            app["client_id"].as_str().unwrap().to_owned(),
            app["client_secret"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let (password_app, password_secret) = app("password");
    let (service_app, service_secret) = app("service");
    let (web_app, web_secret) = app("web");
    let (hybrid_app, hybrid_secret) = app("hybrid");
    let (tv_app, _) = app("tv");

    // Every user logs in with the password they had, whichever hasher made it.
    for user in site["users"].as_array().unwrap() {
        let username = user["username"].as_str().unwrap();
        let login = form(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ]);
        let reply = server
            .post_form("/o/token/", &login, Some((&password_app, &password_secret)))
            .await;
        let expected = if username == "grace" { 400 } else { 200 };
        assert_eq!(reply.status, expected, "{username}: {reply:?}");
    }
    // The hashes older Django releases made are replaced by Warrant's at the login.
    let store = env.store().await;
    for username in ["bob", "carol", "dave", "erin"] {
        let user = store
            .user_by_username(&warrant_model::Username::parse(username).unwrap())
            .await
            .unwrap()
            .unwrap();
        let hash = user.password.unwrap();
        assert!(
            hash.as_str().starts_with("pbkdf2_sha256$1000$"),
            "{username}: {hash:?}"
        );
        assert_eq!(
            user.id.0,
            site["users"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["username"] == username)
                .unwrap()["id"]
        );
    }
    store.close().await;

    // A plain secret and hashed ones (the password app's above, the web app's here) work.
    let service = server
        .post_form(
            "/o/token/",
            "grant_type=client_credentials",
            Some((&service_app, &service_secret)),
        )
        .await;
    assert_eq!(service.status, 200, "{service:?}");
    let device = server
        .post_form(
            "/o/device_authorization/",
            &form(&[("client_id", &tv_app)]),
            None,
        )
        .await;
    assert_eq!(
        device.status, 200,
        "the device app, a public client: {device:?}"
    );
    let hybrid = server
        .post_form(
            "/o/revoke_token/",
            &form(&[("token", "not-a-token")]),
            Some((&hybrid_app, &hybrid_secret)),
        )
        .await;
    assert_eq!(
        hybrid.status, 200,
        "the hybrid app authenticates: {hybrid:?}"
    );

    // Tokens DOT issued keep working.
    let alices = &site["tokens"]["alice"];
    let access = alices["access_token"].as_str().unwrap();
    let introspected = server
        .post_form(
            "/o/introspect/",
            &form(&[("token", access)]),
            Some((&web_app, &web_secret)),
        )
        .await;
    assert_eq!(introspected.status, 200, "{introspected:?}");
    assert_eq!(introspected.json()["active"], true, "{introspected:?}");
    assert_eq!(introspected.json()["scope"], "read write");
    assert_eq!(
        introspected.json()["sub"],
        site["users"][0]["id"].to_string(),
        "relying parties see the sub DOT gave"
    );
    let profile = server.get_with_bearer("/api/profile/", access).await;
    assert_eq!(profile.status, 200, "{profile:?}");
    assert_eq!(profile.json()["username"], "alice");
    assert_eq!(
        profile.json()["tokens"]["api_token"],
        site["drf_tokens"]["alice"],
        "client apps keep the API token they hold"
    );
    let stale = site["tokens"]["stale"]["access_token"].as_str().unwrap();
    let stale = server.get_with_bearer("/api/profile/", stale).await;
    assert_eq!(
        stale.status, 401,
        "an expired token was not imported: {stale:?}"
    );

    let refreshed = server
        .post_form(
            "/o/token/",
            &form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", alices["refresh_token"].as_str().unwrap()),
            ]),
            Some((&password_app, &password_secret)),
        )
        .await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    assert_eq!(refreshed.json()["scope"], "read write");
    let revoked = site["tokens"]["revoked"]["refresh_token"].as_str().unwrap();
    let revoked = server
        .post_form(
            "/o/token/",
            &form(&[("grant_type", "refresh_token"), ("refresh_token", revoked)]),
            Some((&password_app, &password_secret)),
        )
        .await;
    revoked.assert_oauth_error(400, "invalid_grant");

    // A token DOT issued for a resource (RFC 8707) keeps it as its audience, and so does
    // not open Warrant's own API.
    let bobs = site["tokens"]["bob"]["access_token"].as_str().unwrap();
    let described = server
        .post_form(
            "/o/introspect/",
            &form(&[("token", bobs)]),
            Some((&web_app, &web_secret)),
        )
        .await
        .json();
    assert_eq!(
        described["aud"],
        serde_json::json!(["https://api.example.com/"])
    );
    let restricted = server.get_with_bearer("/api/profile/", bobs).await;
    restricted.assert_oauth_error(401, "invalid_token");

    let bobs_key = site["drf_tokens"]["bob"].as_str().unwrap();
    let bob = server
        .request(
            "GET",
            "/api/profile/",
            &[("Authorization", format!("Token {bobs_key}"))],
            vec![],
        )
        .await;
    assert_eq!(bob.status, 200, "{bob:?}");
    assert_eq!(bob.json()["username"], "bob");
    drop(server);

    // A second import changes nothing, logins and refreshes here notwithstanding.
    let again = import(env, &url, &[]);
    for kind in [
        "users",
        "applications",
        "access_tokens",
        "refresh_tokens",
        "api_tokens",
        "connections",
    ] {
        let (imported, updated, _, refused) = counts(&again, kind);
        assert_eq!((imported, updated, refused), (0, 0, 0), "{kind}: {again}");
    }

    // --keep-inactive brings the expired and revoked rows as a record; they open nothing.
    let kept_inactive = import(env, &url, &["--keep-inactive"]);
    assert_eq!(
        counts(&kept_inactive, "access_tokens").0,
        1,
        "{kept_inactive}"
    );
    assert_eq!(
        counts(&kept_inactive, "refresh_tokens").0,
        1,
        "{kept_inactive}"
    );
    let server = Server::start(env.command(&["serve"])).await;
    let stale = site["tokens"]["stale"]["access_token"].as_str().unwrap();
    let stale = server.get_with_bearer("/api/profile/", stale).await;
    assert_eq!(stale.status, 401, "{stale:?}");
    let revoked = site["tokens"]["revoked"]["refresh_token"].as_str().unwrap();
    server
        .post_form(
            "/o/token/",
            &form(&[("grant_type", "refresh_token"), ("refresh_token", revoked)]),
            Some((&password_app, &password_secret)),
        )
        .await
        .assert_oauth_error(400, "invalid_grant");
    drop(server);

    // The site lives on; the next import brings what is new, and a password changed there.
    let later = site_py(&python, &django_database, &["--more"]);
    let (next, succeeded) = import_with_status(env, &url, &[]);
    assert!(!succeeded, "a refused row makes the exit status 1: {next}");
    assert_eq!(counts(&next, "users"), (2, 1, 6, 1), "{next}");
    let users = next["users"].to_string();
    assert!(
        users.contains("user 11 (jack black)") && users.contains("characters Warrant"),
        "{users}"
    );
    assert!(
        users.contains("user 10 (ivy)") && users.contains("not a Django password hash"),
        "{users}"
    );
    assert!(!users.contains("kept-in-clear"), "never printed: {users}");
    assert_eq!(counts(&next, "access_tokens").0, 1, "{next}");
    assert_eq!(counts(&next, "refresh_tokens").0, 1, "{next}");
    let server = Server::start(env.command(&["serve"])).await;
    let henrys = later["henry"]["access_token"].as_str().unwrap();
    let henry = server.get_with_bearer("/api/profile/", henrys).await;
    assert_eq!(henry.status, 200, "{henry:?}");
    assert_eq!(henry.json()["username"], "henry");
    for (password, status) in [
        (password, 400),
        (later["alices_new_password"].as_str().unwrap(), 200),
    ] {
        let login = form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", password),
        ]);
        let reply = server
            .post_form("/o/token/", &login, Some((&password_app, &password_secret)))
            .await;
        assert_eq!(reply.status, status, "alice with {password}: {reply:?}");
    }
    drop(server);

    // No value a client or user holds is kept in clear.
    let kept = env.database_text().await;
    let mut held: Vec<&str> = vec![
        &password_secret,
        &service_secret,
        &web_secret,
        &hybrid_secret,
    ];
    for tokens in site["tokens"].as_object().unwrap().values() {
        held.push(tokens["access_token"].as_str().unwrap());
        if let Some(refresh) = tokens["refresh_token"].as_str() {
            held.push(refresh);
        }
    }
    held.extend(
        site["drf_tokens"]
            .as_object()
            .unwrap()
            .values()
            .map(|key| key.as_str().unwrap()),
    );
    held.extend([
        "github-upstream-access-token",
        "bitbucket-upstream-refresh-token",
    ]);
    for value in held {
        assert!(
            !kept.contains(value),
            "{value} is in Warrant's database in clear"
        );
    }
}

pub async fn bad_django_databases_are_one_line_and_write_nothing(env: &TestEnv) {
    let not_django = env.dir.join("not-django.sqlite3");
    let half = env.dir.join("half.sqlite3");
    for (path, sql) in [
        (&not_django, "CREATE TABLE polls (id INTEGER PRIMARY KEY);"),
        (
            &half,
            "CREATE TABLE auth_user (id INTEGER PRIMARY KEY, username TEXT);",
        ),
    ] {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
    let run = |url: String| env.run(&["import", "django", "--database-url", &url], None);
    assert_one_line_error(
        &run(format!("sqlite:{}", not_django.display())),
        "is not a Django site's database",
    );
    assert_one_line_error(
        &run(format!("sqlite:{}", half.display())),
        "auth_user has no column password",
    );
    assert_one_line_error(
        &run(format!(
            "sqlite:{}",
            env.dir.join("missing.sqlite3").display()
        )),
        "cannot read the Django database",
    );
    assert_one_line_error(
        &run("postgres://nobody@127.0.0.1:1/django".into()),
        "cannot read the Django database",
    );
    assert_one_line_error(
        &run("mysql://localhost/django".into()),
        "sqlite:PATH or postgres://",
    );
    let listed = env.run(&["user", "list", "--json"], None);
    assert_eq!(text(&listed.stdout).trim(), "[]", "nothing was written");
}
