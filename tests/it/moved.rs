//! Credentials moved from another server (a Django site): the CLI and the admin API keep a
//! given client id and secret and a user's Django password hash, and they work.

use serde_json::{Value, json};

use crate::admin::{root_api, setup_with};
use crate::support::{Server, TestEnv, assert_one_line_error};

/// `correct horse battery staple`, hashed by Django 5.2's Argon2 hasher
/// (crates/warrant-generators/tests/data/django-hashers.txt).
const ARGON2: &str = "argon2$argon2id$v=19$m=102400,t=2,p=8$bkd5bXFnTFc5UVBQcGt4OVFlY3Mweg$uj3F8TqOJOUOzEnMB3osNQjDm+MUfIiDONYKwzNCCyI";
const DJANGO_PASSWORD_FORM: &str = "correct+horse+battery+staple";
const SECRET: &str = "a-client-secret-django-oauth-toolkit-made";

async fn stored_hash(env: &TestEnv, username: &str) -> String {
    let store = env.store().await;
    let username = warrant_model::Username::parse(username).unwrap();
    let user = store.user_by_username(&username).await.unwrap().unwrap();
    store.close().await;
    user.password.unwrap().as_str().to_owned()
}

pub async fn the_cli_keeps_moved_credentials(env: &TestEnv) {
    let dora = env.run(
        &[
            "user",
            "create",
            "--username",
            "dora",
            "--password-hash",
            ARGON2,
        ],
        None,
    );
    assert!(dora.status.success(), "{dora:?}");
    assert_one_line_error(
        &env.run(
            &[
                "user",
                "create",
                "--username",
                "eve",
                "--password-hash",
                "md5$salt$0123abcd",
            ],
            None,
        ),
        "password_hash",
    );
    let moved = |stdin: &str| {
        env.run(
            &[
                "app",
                "create",
                "--name",
                "Moved",
                "--client-type",
                "confidential",
                "--grant",
                "password",
                "--client-id",
                "moved-from-dot",
                "--client-secret-stdin",
                "--json",
            ],
            Some(stdin),
        )
    };
    let created = moved(&format!("{SECRET}\n"));
    assert!(created.status.success(), "{created:?}");
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(created["client_id"], "moved-from-dot");
    assert_eq!(created["client_secret"], SECRET);
    assert_one_line_error(&moved(SECRET), "client_id");

    let server = Server::start(env.command(&["serve"])).await;
    let login = format!("grant_type=password&username=dora&password={DJANGO_PASSWORD_FORM}");
    let reply = server
        .post_form("/o/token/", &login, Some(("moved-from-dot", SECRET)))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        stored_hash(env, "dora").await.starts_with("pbkdf2_sha256$"),
        "the Django hash is replaced after the login"
    );
    let again = server
        .post_form("/o/token/", &login, Some(("moved-from-dot", SECRET)))
        .await;
    assert_eq!(again.status, 200, "{again:?}");
}

pub async fn the_admin_api_keeps_moved_credentials(env: &TestEnv) {
    let setup = setup_with(env, &[]).await;
    let api = root_api(&setup).await;
    let fay = api
        .ok(
            "POST",
            "/api/admin/users",
            Some(json!({"username": "fay", "password_hash": ARGON2})),
            201,
        )
        .await;
    assert_eq!(fay["has_password"], true);
    for refused in [
        json!({"username": "gil", "password_hash": "md5$salt$0123abcd"}),
        json!({"username": "gil", "password_hash": "no-dollar"}),
        json!({"username": "gil", "password": "long-enough-password", "password_hash": ARGON2}),
    ] {
        let reply = api.call("POST", "/api/admin/users", Some(refused)).await;
        reply.assert_oauth_error(400, "invalid_request");
        assert!(reply.body.contains("password_hash"), "{reply:?}");
    }

    let application = json!({
        "client_id": "moved-by-api", "client_secret": SECRET, "name": "Moved",
        "client_type": "confidential", "grant_types": ["client_credentials"],
    });
    let created = api
        .ok(
            "POST",
            "/api/admin/applications",
            Some(application.clone()),
            201,
        )
        .await;
    assert_eq!(
        (
            created["client_id"].as_str(),
            created["client_secret"].as_str()
        ),
        (Some("moved-by-api"), Some(SECRET))
    );
    let taken = api
        .call("POST", "/api/admin/applications", Some(application))
        .await;
    taken.assert_oauth_error(409, "conflict");
    let token = setup
        .server
        .post_form(
            "/o/token/",
            "grant_type=client_credentials",
            Some(("moved-by-api", SECRET)),
        )
        .await;
    assert_eq!(token.status, 200, "{token:?}");
    let login = format!("grant_type=password&username=fay&password={DJANGO_PASSWORD_FORM}");
    let fay_login = setup.token(&login).await;
    assert_eq!(
        fay_login.status, 200,
        "fay logs in with her Django password: {fay_login:?}"
    );
}
