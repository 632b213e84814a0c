//! The token, revocation and introspection endpoints over HTTP.

use serde_json::Value;

use crate::support::{Reply, Server, TestEnv};

const PASSWORD: &str = "correct-horse-battery";

/// A server with user alice and a confidential client allowed the token-endpoint grants.
pub struct Setup {
    pub server: Server,
    pub client_id: String,
    pub secret: String,
}

impl Setup {
    pub async fn start(env: &TestEnv) -> Self {
        Self::start_with(env, &[]).await
    }

    /// As [`Setup::start`], with extra environment for the server.
    pub async fn start_with(env: &TestEnv, server_env: &[(&str, &str)]) -> Self {
        let user = env.run(
            &[
                "user",
                "create",
                "--username",
                "alice",
                "--email",
                "alice@example.com",
                "--password-stdin",
            ],
            Some(PASSWORD),
        );
        assert!(user.status.success());
        let app = env.run(
            &[
                "app",
                "create",
                "--name",
                "Backend",
                "--client-type",
                "confidential",
                "--json",
                "--grant",
                "password",
                "--grant",
                "client_credentials",
                "--grant",
                "refresh_token",
            ],
            None,
        );
        let created: Value = serde_json::from_slice(&app.stdout).unwrap();
        let mut serve = env.command(&["serve"]);
        serve.envs(server_env.iter().copied());
        Self {
            server: Server::start(serve).await,
            client_id: created["client_id"].as_str().unwrap().to_owned(),
            secret: created["client_secret"].as_str().unwrap().to_owned(),
        }
    }

    pub fn basic(&self) -> Option<(&str, &str)> {
        Some((&self.client_id, &self.secret))
    }

    pub async fn token(&self, body: &str) -> Reply {
        self.server.post_form("/o/token/", body, self.basic()).await
    }

    /// The introspection of `token`, asked by this client.
    pub async fn introspect(&self, token: &str) -> Value {
        let reply = self
            .server
            .post_form("/o/introspect/", &format!("token={token}"), self.basic())
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json()
    }

    pub async fn password_tokens(&self) -> Value {
        let reply = self
            .token(&format!(
                "grant_type=password&username=alice&password={PASSWORD}"
            ))
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json()
    }
}

pub async fn client_credentials_with_basic_or_post_authentication(env: &TestEnv) {
    let setup = Setup::start(env).await;
    let basic = setup
        .token("grant_type=client_credentials&scope=read")
        .await;
    assert_eq!(basic.status, 200, "{basic:?}");
    assert_eq!(basic.header("cache-control"), Some("no-store"));
    assert_eq!(basic.header("pragma"), Some("no-cache"));
    let body = basic.json();
    assert_eq!(
        (
            body["token_type"].as_str(),
            body["scope"].as_str(),
            body["expires_in"].as_i64()
        ),
        (Some("Bearer"), Some("read"), Some(36_000))
    );
    assert!(body.get("refresh_token").is_none());

    let post_body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        setup.client_id, setup.secret
    );
    let post = setup.server.post_form("/o/token", &post_body, None).await;
    assert_eq!(
        post.status, 200,
        "trailing slash optional, client_secret_post works: {post:?}"
    );
    let introspected = setup
        .introspect(body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["client_id"], setup.client_id.as_str());
    assert!(introspected["username"].is_null());
}

pub async fn failed_client_authentication_is_401_with_a_challenge(env: &TestEnv) {
    let setup = Setup::start(env).await;
    for basic in [
        Some((setup.client_id.as_str(), "wrong")),
        Some(("unknown", "x")),
        None,
    ] {
        let reply = setup
            .server
            .post_form("/o/token/", "grant_type=client_credentials", basic)
            .await;
        reply.assert_oauth_error(401, "invalid_client");
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Basic realm="warrant""#)
        );
    }
    let garbage = setup
        .server
        .request(
            "POST",
            "/o/token/",
            &[
                ("Content-Type", "application/x-www-form-urlencoded".into()),
                ("Authorization", "Basic %%%".into()),
            ],
            b"grant_type=client_credentials".to_vec(),
        )
        .await;
    garbage.assert_oauth_error(401, "invalid_client");
}

pub async fn password_grant_refresh_rotation_and_reuse(env: &TestEnv) {
    let setup = Setup::start(env).await;
    let first = setup.password_tokens().await;
    let first_refresh = first["refresh_token"].as_str().unwrap();
    assert_eq!(
        setup
            .introspect(first["access_token"].as_str().unwrap())
            .await["username"],
        "alice"
    );

    let second = setup
        .token(&format!(
            "grant_type=refresh_token&refresh_token={first_refresh}"
        ))
        .await;
    assert_eq!(second.status, 200, "{second:?}");
    let second = second.json();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(
        setup
            .introspect(first["access_token"].as_str().unwrap())
            .await["active"],
        false
    );

    let reuse = setup
        .token(&format!(
            "grant_type=refresh_token&refresh_token={first_refresh}"
        ))
        .await;
    reuse.assert_oauth_error(400, "invalid_grant");
    assert_eq!(
        setup
            .introspect(second["access_token"].as_str().unwrap())
            .await["active"],
        false,
        "family revoked"
    );

    let wrong = setup
        .token(&format!(
            "grant_type=password&username=alice&password=nope{PASSWORD}"
        ))
        .await;
    wrong.assert_oauth_error(400, "invalid_grant");
    let by_email = setup
        .token(&format!(
            "grant_type=password&username=alice%40example.com&password={PASSWORD}"
        ))
        .await;
    assert_eq!(by_email.status, 200, "{by_email:?}");
}

pub async fn revocation_then_introspection_is_inactive(env: &TestEnv) {
    let setup = Setup::start(env).await;
    let tokens = setup.password_tokens().await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let revoked = setup
        .server
        .post_form(
            "/o/revoke_token/",
            &format!("token={refresh}&token_type_hint=refresh_token"),
            setup.basic(),
        )
        .await;
    assert_eq!(revoked.status, 200, "{revoked:?}");
    assert_eq!(
        setup.introspect(refresh).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        setup
            .introspect(tokens["access_token"].as_str().unwrap())
            .await["active"],
        false
    );
    let unknown = setup
        .server
        .post_form("/o/revoke_token/", "token=never-issued", setup.basic())
        .await;
    assert_eq!(
        unknown.status, 200,
        "RFC 7009: unknown tokens revoke successfully"
    );
    let missing = setup
        .server
        .post_form("/o/revoke_token/", "", setup.basic())
        .await;
    missing.assert_oauth_error(400, "invalid_request");
}

pub async fn malformed_requests_are_400_never_500(env: &TestEnv) {
    let setup = Setup::start(env).await;
    let cases = [
        (
            "grant_type=client_credentials&grant_type=password",
            "invalid_request",
        ),
        ("scope=read", "invalid_request"),
        ("grant_type=magic", "unsupported_grant_type"),
        ("grant_type=password&username=alice", "invalid_request"),
        ("grant_type=refresh_token", "invalid_request"),
        (
            "grant_type=client_credentials&scope=%22quoted%22",
            "invalid_scope",
        ),
        ("grant_type=client_credentials&scope=admin", "invalid_scope"),
        (
            "grant_type=authorization_code&code=nope&redirect_uri=https%3A%2F%2Fa.example%2Fcb",
            "unauthorized_client",
        ),
        ("%ff%fe=%00", "invalid_request"),
    ];
    for (body, code) in cases {
        setup.token(body).await.assert_oauth_error(400, code);
    }
    let unknown_scope = setup
        .token("grant_type=client_credentials&scope=read%20admin")
        .await;
    assert_eq!(
        unknown_scope.json()["error_description"],
        "unknown scope \"admin\" requested",
        "names the scope"
    );
    let doubled = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        setup.client_id, setup.secret
    );
    setup
        .token(&doubled)
        .await
        .assert_oauth_error(400, "invalid_request");

    let json = setup
        .server
        .request(
            "POST",
            "/o/token/",
            &[("Content-Type", "application/json".into())],
            br#"{"grant_type":"client_credentials"}"#.to_vec(),
        )
        .await;
    json.assert_oauth_error(400, "invalid_request");
    let huge = format!("grant_type=client_credentials&pad={}", "a".repeat(100_000));
    let too_large = setup.token(&huge).await;
    assert_eq!(too_large.status, 413, "{too_large:?}");
    let invalid_utf8 = setup
        .server
        .request(
            "POST",
            "/o/token/",
            &[("Content-Type", "application/x-www-form-urlencoded".into())],
            vec![0xff, 0xfe, 0x3d],
        )
        .await;
    invalid_utf8.assert_oauth_error(400, "invalid_request");
}

/// RFC 8707: the resources a token request names become the token's audience, repeated
/// `resource` parameters included; a refresh narrows them; a resource the server does not
/// serve, or a malformed one, is `invalid_target`.
pub async fn resource_indicators_set_the_audience(env: &TestEnv) {
    const MCP: &str = "https://mcp.example.com/mcp";
    const API: &str = "https://api.example.com/";
    std::fs::write(
        env.dir.join("warrant.toml"),
        format!(
            "[[oauth2.resources]]\nidentifier = \"{MCP}\"\nscopes = [\"read\"]\n\n\
             [[oauth2.resources]]\nidentifier = \"{API}\"\n"
        ),
    )
    .unwrap();
    let setup = Setup::start(env).await;
    let encoded =
        |uri: &str| url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>();

    let both = setup
        .token(&format!(
            "grant_type=client_credentials&scope=read+write&resource={}&resource={}",
            encoded(MCP),
            encoded(API)
        ))
        .await;
    assert_eq!(both.status, 200, "{both:?}");
    let token = both.json()["access_token"].as_str().unwrap().to_owned();
    let described = setup.introspect(&token).await;
    assert_eq!(described["aud"], serde_json::json!([API, MCP]));

    let for_mcp = setup
        .token(&format!(
            "grant_type=password&username=alice&password={PASSWORD}&scope=read+write&resource={}",
            encoded(MCP)
        ))
        .await
        .json();
    assert_eq!(for_mcp["scope"], "read", "the MCP server offers read only");
    let described = setup
        .introspect(for_mcp["access_token"].as_str().unwrap())
        .await;
    assert_eq!(described["aud"], serde_json::json!([MCP]));
    setup
        .token(&format!(
            "grant_type=refresh_token&refresh_token={}&resource={}",
            for_mcp["refresh_token"].as_str().unwrap(),
            encoded(API)
        ))
        .await
        .assert_oauth_error(400, "invalid_target");

    for resource in [
        "https://other.example.com/",
        "https://api.example.com/#x",
        "relative",
    ] {
        setup
            .token(&format!(
                "grant_type=client_credentials&resource={}",
                encoded(resource)
            ))
            .await
            .assert_oauth_error(400, "invalid_target");
    }
    let plain = setup.token("grant_type=client_credentials").await.json();
    let described = setup
        .introspect(plain["access_token"].as_str().unwrap())
        .await;
    assert!(described.get("aud").is_none(), "{described}");

    // A client limited to a resource (`app create --resource`) gets tokens for it only.
    let limited = env.create_app(&[
        "--name",
        "MCP gateway",
        "--client-type",
        "confidential",
        "--grant",
        "client_credentials",
        "--resource",
        MCP,
    ]);
    let client_id = limited["client_id"].as_str().unwrap();
    let shown = env.run(&["app", "show", client_id, "--json"], None);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["allowed_resources"], serde_json::json!([MCP]));
    let basic = (
        limited["client_id"].as_str().unwrap(),
        limited["client_secret"].as_str().unwrap(),
    );
    let token = setup
        .server
        .post_form("/o/token/", "grant_type=client_credentials", Some(basic))
        .await
        .json();
    let described = setup
        .introspect(token["access_token"].as_str().unwrap())
        .await;
    assert_eq!(
        described["aud"],
        serde_json::json!([MCP]),
        "naming none: its own"
    );
    setup
        .server
        .post_form(
            "/o/token/",
            &format!("grant_type=client_credentials&resource={}", encoded(API)),
            Some(basic),
        )
        .await
        .assert_oauth_error(400, "invalid_target");
}
