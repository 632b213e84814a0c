//! The official Model Context Protocol TypeScript SDK's client (tests/node, pinned; the
//! node_modules `.ci/run` installs are named by `WARRANT_TEST_NODE_MODULES`) against
//! music-api's `/mcp`, protected by Warrant's guards as a protected resource: the client
//! is refused with `resource_metadata`, discovers Warrant, registers itself (or, in the
//! second variant, uses a client ID metadata document this test serves over https), runs
//! the code flow with PKCE and `resource` (the login and consent are this test's browser),
//! and calls a tool. A token for another resource is refused.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::browser::{Browser, location, query_of};
use crate::guards::SCOPES_CONFIG;
use crate::support::{Server, TestEnv, binary, node_modules, node_script, serve_json};
use crate::tls::Certificates;

const PASSWORD: &str = "correct-horse-battery";

pub async fn the_mcp_sdk_client_registers_and_calls_a_protected_tool(env: &TestEnv) {
    let Some(modules) = node_modules("MCP SDK test") else {
        return;
    };
    let config = format!("[registration]\nmode = \"open\"\n{SCOPES_CONFIG}");
    let finished = sdk_flow(env, &modules, &config, None).await;
    assert_ne!(finished["client_id"], Value::Null, "it registered");
}

/// The same client without registering: its client id is the URL of its metadata
/// document, served here over https (a private CA Warrant is told to trust), which Warrant
/// fetches, checks and keeps.
pub async fn the_mcp_sdk_client_uses_a_client_id_metadata_document(env: &TestEnv) {
    let Some(modules) = node_modules("MCP SDK test") else {
        return;
    };
    let certificates = Certificates::make();
    let ca = certificates.write_ca(&env.dir);
    let document = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let plain = serve_json(document.clone()).await;
    let base = certificates.proxy(plain).await;
    let url = format!("{base}mcp/client.json");
    *document.lock().unwrap() = serde_json::json!({
        "client_id": url,
        "client_name": "An MCP client by document",
        "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    })
    .to_string();
    let config = format!(
        "[cimd]\nenabled = true\nallow_private_addresses = true\n\n[outgoing]\nca_file = \"{}\"\n{SCOPES_CONFIG}",
        ca.display()
    );
    let finished = sdk_flow(env, &modules, &config, Some(&url)).await;
    assert_eq!(
        finished["client_id"],
        url.as_str(),
        "no registration: the URL"
    );

    // Kept as a registered client: marked for staff, deleted by the clean-up once unused.
    let store = env.store().await;
    let kept = store
        .application_by_client_id(&warrant_model::ClientId::parse(&url).unwrap())
        .await
        .unwrap()
        .unwrap();
    let registration = store.registration_of(kept.id).await.unwrap().unwrap();
    assert_eq!(registration.registered_from, "client ID metadata document");
    assert!(registration.metadata.contains("An MCP client by document"));
    store.close().await;

    // A document that names another client id is not used: an error page, no redirect.
    let authorize = |client_id: &str| {
        format!(
            "/o/authorize/?client_id={}&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect::<String>()
        )
    };
    let warrant = Server::start(env.command(&["serve"])).await;
    let impostor = format!("{base}other/client.json");
    let refused = warrant
        .request("GET", &authorize(&impostor), &[], vec![])
        .await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(refused.header("location").is_none());
    assert!(
        refused.body.contains("its client_id is not its own URL"),
        "{}",
        refused.body
    );
    drop(warrant);

    // By default a document is never fetched from a loopback or private address.
    let mut strict = env.command(&["serve"]);
    strict.env("WARRANT_CIMD__ALLOW_PRIVATE_ADDRESSES", "false");
    let strict = Server::start(strict).await;
    let unfetched = format!("{base}never/client.json");
    let refused = strict
        .request("GET", &authorize(&unfetched), &[], vec![])
        .await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(
        refused.body.contains("private or loopback address"),
        "{}",
        refused.body
    );
}

/// Runs the SDK's client against music-api and a Warrant configured with `config`
/// (a warrant.toml), as a registered client or, with `metadata_url`, by its document: what
/// the client printed at the end.
async fn sdk_flow(
    env: &TestEnv,
    modules: &std::path::Path,
    config: &str,
    metadata_url: Option<&str>,
) -> Value {
    std::fs::write(env.dir.join("warrant.toml"), config).unwrap();
    env.create_user("alice", PASSWORD, &[]);
    let warrant = Server::start(env.command(&["serve"])).await;
    let mut api = Command::new(binary("music-api"));
    api.env("MUSIC_API_DATABASE_URL", &env.database_url)
        .env("MUSIC_API_AUTHORIZATION_SERVER", &warrant.base_url)
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_LOG_LEVEL", "off")
        .stdout(Stdio::null());
    let music = Server::start_on_port_from_with(api, "ROCKET_PORT", |api, port| {
        api.env("MUSIC_API_RESOURCE", format!("http://127.0.0.1:{port}/mcp"));
    })
    .await;
    let mcp_url = format!("{}/mcp", music.base_url);

    let mut node = node_script(env, modules, "mcp-client.mjs")
        .arg(&mcp_url)
        .args(metadata_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node is on the machine");
    let mut out = BufReader::new(node.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    if line.is_empty() {
        let output = node.wait_with_output().unwrap();
        panic!(
            "the MCP client stopped: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let started: Value = serde_json::from_str(&line).unwrap();
    let authorization = url::Url::parse(started["authorization_url"].as_str().unwrap()).unwrap();
    let asked = query_of(authorization.as_str());
    assert_eq!(
        asked["resource"], mcp_url,
        "RFC 8707: the token is for the MCP server"
    );
    assert_eq!(asked["code_challenge_method"], "S256");
    assert!(
        authorization.as_str().starts_with(&warrant.base_url),
        "{authorization}"
    );

    // The user logs in and consents, as in a browser.
    let mut browser = Browser::new(&warrant);
    browser.log_in("alice", PASSWORD).await;
    let path = format!(
        "{}?{}",
        authorization.path(),
        authorization.query().unwrap()
    );
    let consent = browser.get(&path).await;
    assert_eq!(consent.status, 200, "{consent:?}");
    let name = match metadata_url {
        Some(_) => "An MCP client by document (127.0.0.1)",
        None => "Warrant&#x27;s MCP end-to-end test",
    };
    assert!(
        consent.body.contains(name),
        "the client's name: {}",
        consent.body
    );
    if metadata_url.is_some() {
        assert!(
            consent
                .body
                .contains("describes itself at <strong>127.0.0.1</strong>"),
            "the document's host is shown: {}",
            consent.body
        );
    }
    assert!(consent.body.contains(&mcp_url), "the resource is named");
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let code = query_of(location(&approved))["code"].clone();
    let mut stdin = node.stdin.take().unwrap();
    writeln!(stdin, "{code}").unwrap();
    drop(stdin);

    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let output = node.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the MCP client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let finished: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(finished["tools"], serde_json::json!(["list_songs"]));
    assert_eq!(finished["called"][0]["text"], "[]");

    // Its token is for the MCP server only; a token for another resource opens nothing.
    let token = finished["access_token"].as_str().unwrap();
    let bearer = |token: &str| vec![("Authorization", format!("Bearer {token}"))];
    let whoami = music
        .request("GET", "/whoami", &bearer(token), vec![])
        .await;
    assert_eq!(whoami.status, 200, "{whoami:?}");
    let profile = warrant
        .request("GET", "/api/profile/", &bearer(token), vec![])
        .await;
    profile.assert_oauth_error(401, "invalid_token");
    let app = env.create_app(&[
        "--name",
        "Elsewhere",
        "--client-type",
        "confidential",
        "--grant",
        "password",
    ]);
    let elsewhere = warrant
        .post_form(
            "/o/token/",
            &format!(
                "grant_type=password&username=alice&password={PASSWORD}&scope=music:read&resource=https%3A%2F%2Fother.example.com%2Fmcp"
            ),
            Some((
                app["client_id"].as_str().unwrap(),
                app["client_secret"].as_str().unwrap(),
            )),
        )
        .await;
    assert_eq!(elsewhere.status, 200, "{elsewhere:?}");
    let other = elsewhere.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = music
        .request(
            "POST",
            "/mcp",
            &[
                ("Authorization", format!("Bearer {other}")),
                ("Content-Type", "application/json".to_owned()),
            ],
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.to_vec(),
        )
        .await;
    refused.assert_oauth_error(401, "invalid_token");
    finished
}
