//! The official Model Context Protocol TypeScript SDK's client (tests/mcp, pinned; the
//! node_modules `.ci/run` installs are named by `WARRANT_TEST_MCP_NODE_MODULES`) against
//! music-api's `/mcp`, protected by Warrant's guards as a protected resource: the client
//! is refused with `resource_metadata`, discovers Warrant, registers itself, runs the code
//! flow with PKCE and `resource` (the login and consent are this test's browser), and
//! calls a tool. A token for another resource is refused.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::browser::{Browser, location, query_of};
use crate::support::{Server, TestEnv, binary};

const PASSWORD: &str = "correct-horse-battery";

/// The SDK's node_modules, or `None` (the test is skipped) when none is named.
fn node_modules() -> Option<PathBuf> {
    match std::env::var_os("WARRANT_TEST_MCP_NODE_MODULES") {
        Some(path) => Some(PathBuf::from(path)),
        None => {
            eprintln!(
                "SKIPPED: WARRANT_TEST_MCP_NODE_MODULES is not set (.ci/run sets it), MCP SDK \
                 test not run"
            );
            None
        }
    }
}

pub async fn the_mcp_sdk_client_registers_and_calls_a_protected_tool(env: &TestEnv) {
    let Some(modules) = node_modules() else {
        return;
    };
    std::fs::write(
        env.dir.join("warrant.toml"),
        r#"
[registration]
mode = "open"

[oauth2.scopes]
read = "Reading scope"
write = "Writing scope"
"music:read" = "Listen to music"
"music:write" = "Add songs"
stats = "Statistics"
playlists = "Playlists"
"#,
    )
    .unwrap();
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

    // The script next to the SDK, which node resolves from the script's own folder.
    let folder = env.dir.join("mcp-client");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/mcp/client.mjs"),
        folder.join("client.mjs"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&modules, folder.join("node_modules")).unwrap();
    let mut node = Command::new("node")
        .arg(folder.join("client.mjs"))
        .arg(&mcp_url)
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
    assert!(
        consent.body.contains("Warrant&#x27;s MCP end-to-end test")
            || consent.body.contains("Warrant's MCP end-to-end test"),
        "the registered client's name: {}",
        consent.body
    );
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
}
