//! Dynamic client registration over HTTP (RFC 7591, RFC 7592): off by default (404, not in
//! the metadata); when open, a client registers, runs the code flow with what it got,
//! manages its registration with its token, shows in the admin API as registered, and is
//! cleaned up when never used; an address that registers too much gets 429.

use serde_json::{Value, json};

use crate::admin::{Api, setup_with, token_of};
use crate::browser::{Browser, location, query_of};
use crate::support::{Reply, TestEnv, text};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const PASSWORD: &str = "correct-horse-battery";
const REDIRECT: &str = "http://127.0.0.1:33418/callback";

async fn post_json(
    server: &crate::support::Server,
    path: &str,
    body: &Value,
    bearer: Option<&str>,
) -> Reply {
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if let Some(token) = bearer {
        headers.push(("Authorization", format!("Bearer {token}")));
    }
    server
        .request("POST", path, &headers, body.to_string().into_bytes())
        .await
}

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

pub async fn registration_is_off_unless_configured(env: &TestEnv) {
    let setup = setup_with(env, &[]).await;
    let (_, metadata) = setup
        .server
        .get("/.well-known/oauth-authorization-server")
        .await;
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    assert!(
        metadata.get("registration_endpoint").is_none(),
        "{metadata}"
    );
    let reply = post_json(&setup.server, "/o/register/", &json!({}), None).await;
    assert_eq!(reply.status, 404, "{reply:?}");
}

pub async fn a_client_registers_itself_and_signs_a_user_in(env: &TestEnv) {
    let setup = setup_with(
        env,
        &[
            ("WARRANT_REGISTRATION__MODE", "open"),
            ("WARRANT_REGISTRATION__PER_ADDRESS_PER_HOUR", "3"),
            ("WARRANT_REGISTRATION__UNUSED_CLIENT_SECONDS", "1"),
        ],
    )
    .await;
    let server = &setup.server;
    let (_, metadata) = server.get("/.well-known/oauth-authorization-server").await;
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    let endpoint = metadata["registration_endpoint"].as_str().unwrap();
    assert_eq!(endpoint, format!("{}/o/register/", server.base_url));

    let registered = post_json(
        server,
        "/o/register/",
        &json!({
            "client_name": "An MCP client",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }),
        None,
    )
    .await;
    assert_eq!(registered.status, 201, "{registered:?}");
    assert_eq!(registered.header("access-control-allow-origin"), Some("*"));
    assert_eq!(registered.header("cache-control"), Some("no-store"));
    let client = registered.json();
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let token = client["registration_access_token"].as_str().unwrap();
    let manage = client["registration_client_uri"].as_str().unwrap();
    let manage_path = manage.trim_start_matches(&server.base_url).to_owned();

    // The user signs in to the client it just registered: code flow with PKCE.
    let mut browser = Browser::new(server);
    browser.log_in("alice", PASSWORD).await;
    let consent = browser
        .get(&format!(
            "/o/authorize/?client_id={client_id}&response_type=code&redirect_uri={}&scope=read&code_challenge={CHALLENGE}&code_challenge_method=S256",
            encoded(REDIRECT)
        ))
        .await;
    assert_eq!(consent.status, 200, "{consent:?}");
    assert!(consent.body.contains("An MCP client"), "{}", consent.body);
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let code = query_of(location(&approved))["code"].clone();
    let tokens = server
        .post_form(
            "/o/token/",
            &format!(
                "grant_type=authorization_code&client_id={client_id}&code={code}&code_verifier={VERIFIER}&redirect_uri={}",
                encoded(REDIRECT)
            ),
            None,
        )
        .await;
    assert_eq!(tokens.status, 200, "{tokens:?}");

    // It reads its registration with its token, and nobody else does.
    let bearer = |token: &str| vec![("Authorization", format!("Bearer {token}"))];
    let read = server
        .request("GET", &manage_path, &bearer(token), vec![])
        .await;
    assert_eq!(read.status, 200, "{read:?}");
    assert_eq!(read.json()["client_name"], "An MCP client");
    let stranger = server
        .request("GET", &manage_path, &bearer("not-its-token"), vec![])
        .await;
    stranger.assert_oauth_error(401, "invalid_token");
    let bare = server.request("GET", &manage_path, &[], vec![]).await;
    assert_eq!(bare.status, 401);

    // Staff see it marked as registered.
    let admin = Api {
        setup: &setup,
        token: token_of(&setup, "root", "admin").await,
    };
    let listed = admin.ok("GET", "/api/admin/applications", None, 200).await;
    let entry = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|app| app["client_id"] == client_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["dynamically_registered"], true);
    let backend = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|app| app["name"] == "Backend")
        .unwrap()
        .clone();
    assert_eq!(backend["dynamically_registered"], false);

    // Bad metadata is refused naming the field; too many registrations get 429.
    let bad = post_json(
        server,
        "/o/register/",
        &json!({"redirect_uris": ["http://app.example.com/cb"]}),
        None,
    )
    .await;
    bad.assert_oauth_error(400, "invalid_redirect_uri");
    let unused = post_json(
        server,
        "/o/register/",
        &json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
        None,
    )
    .await;
    assert_eq!(unused.status, 201, "{unused:?}");
    let unused_id = unused.json()["client_id"].as_str().unwrap().to_owned();
    let third = post_json(
        server,
        "/o/register/",
        &json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
        None,
    )
    .await;
    assert_eq!(third.status, 201);
    let too_many = post_json(
        server,
        "/o/register/",
        &json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
        None,
    )
    .await;
    assert_eq!(too_many.status, 429, "{too_many:?}");
    assert_eq!(too_many.header("retry-after"), Some("3600"));

    // The clean-up removes registered clients never used, and only those.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let mut cleanup = env.command(&["cleartokens"]);
    cleanup.env("WARRANT_REGISTRATION__UNUSED_CLIENT_SECONDS", "1");
    let cleaned = cleanup.output().unwrap();
    assert!(cleaned.status.success(), "{cleaned:?}");
    assert!(
        text(&cleaned.stdout).contains("2 unused registered clients"),
        "{}",
        text(&cleaned.stdout)
    );
    let listed = admin.ok("GET", "/api/admin/applications", None, 200).await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|app| app["client_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&client_id.as_str()) && !ids.contains(&unused_id.as_str()),
        "{ids:?}"
    );

    // It deletes itself.
    let deleted = server
        .request("DELETE", &manage_path, &bearer(token), vec![])
        .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let gone = server
        .request("GET", &manage_path, &bearer(token), vec![])
        .await;
    assert_eq!(gone.status, 401);
}
