//! The request guards, through the example API `music-api` (examples/music-api): each route
//! there is protected by one guard, and these tests say what each accepts and refuses.
//! The API checks tokens against Warrant's database, or through its introspection endpoint.

use std::process::Command;

use serde_json::json;

use crate::browser::Browser;
use crate::support::{Reply, Server, TestEnv, binary};
use crate::tls::{Certificates, address_of};
use crate::token_endpoint::Setup;

const PASSWORD: &str = "correct-horse-battery";
const BARE_CHALLENGE: &str = r#"Bearer realm="warrant""#;

/// The scopes the example API asks for, offered by the Warrant server.
pub const SCOPES_CONFIG: &str = r#"
[oauth2.scopes]
read = "Reading scope"
write = "Writing scope"
"music:read" = "Listen to music"
"music:write" = "Add songs"
stats = "Statistics"
playlists = "Playlists"
"#;

/// A Warrant server with alice, the staff user boss and a confidential client, and the
/// example API in front of it.
struct Apis {
    warrant: Setup,
    music: Server,
}

impl Apis {
    /// The API checks tokens against the server's database.
    async fn on_database(env: &TestEnv) -> Self {
        let warrant = start_warrant(env).await;
        let mut api = Command::new(binary("music-api"));
        api.env("MUSIC_API_DATABASE_URL", &env.database_url);
        Self::with_api(warrant, api).await
    }

    /// The API checks tokens through introspection, caching answers `cache_seconds`.
    async fn on_introspection(env: &TestEnv, cache_seconds: u32) -> Self {
        Self::introspecting(env, cache_seconds, None).await
    }

    /// As [`Apis::on_introspection`]; the API authenticates with `secret` when given,
    /// else with the client's real secret.
    async fn introspecting(env: &TestEnv, cache_seconds: u32, secret: Option<&str>) -> Self {
        let warrant = start_warrant(env).await;
        let mut api = Command::new(binary("music-api"));
        api.env(
            "MUSIC_API_INTROSPECTION_URL",
            format!("{}/o/introspect/", warrant.server.base_url),
        )
        .env("MUSIC_API_CLIENT_ID", &warrant.client_id)
        .env("MUSIC_API_CLIENT_SECRET", secret.unwrap_or(&warrant.secret))
        .env("MUSIC_API_CACHE_SECONDS", cache_seconds.to_string());
        Self::with_api(warrant, api).await
    }

    async fn with_api(warrant: Setup, api: Command) -> Self {
        Self::with_api_configured(warrant, api, |_, _| {}).await
    }

    /// As [`Apis::with_api`], telling the API its port with `configure` too.
    async fn with_api_configured(
        warrant: Setup,
        mut api: Command,
        configure: impl Fn(&mut Command, u16),
    ) -> Self {
        api.env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_LOG_LEVEL", "off")
            .stdout(std::process::Stdio::null());
        Self {
            music: Server::start_on_port_from_with(api, "ROCKET_PORT", configure).await,
            warrant,
        }
    }

    /// An access token of `username` with `scope`, from the password grant.
    async fn token(&self, username: &str, scope: &str) -> String {
        self.tokens(username, scope).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn tokens(&self, username: &str, scope: &str) -> serde_json::Value {
        let reply = self
            .warrant
            .token(&format!(
                "grant_type=password&username={username}&password={PASSWORD}&scope={scope}"
            ))
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json()
    }

    /// `method path` on the API with `Authorization: Bearer <token>` when a token is given.
    async fn call(&self, method: &str, path: &str, token: Option<&str>) -> Reply {
        let headers: Vec<(&str, String)> = token
            .map(|token| ("Authorization", format!("Bearer {token}")))
            .into_iter()
            .collect();
        self.music
            .request(method, path, &headers, b"Blue Train".to_vec())
            .await
    }

    async fn revoke(&self, token: &str) {
        let reply = self
            .warrant
            .server
            .post_form(
                "/o/revoke_token/",
                &format!("token={token}"),
                Some((&self.warrant.client_id, &self.warrant.secret)),
            )
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
    }
}

async fn start_warrant(env: &TestEnv) -> Setup {
    std::fs::write(env.dir.join("warrant.toml"), SCOPES_CONFIG).unwrap();
    let boss = env.run(
        &[
            "user",
            "create",
            "--username",
            "boss",
            "--staff",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    assert!(boss.status.success(), "{boss:?}");
    Setup::start(env).await
}

/// Asserts a 403 `forbidden` refusal, which carries no challenge: not a token problem.
fn assert_forbidden(reply: &Reply) {
    reply.assert_oauth_error(403, "forbidden");
    assert_eq!(reply.header("www-authenticate"), None);
}

/// Asserts an RFC 6750 refusal: status, `error` and the challenge naming it.
fn assert_challenged(reply: &Reply, status: u16, error: &str) {
    reply.assert_oauth_error(status, error);
    let expected = format!(r#"Bearer realm="warrant", error="{error}""#);
    let sent = reply.header("www-authenticate");
    assert!(
        sent.is_some_and(|sent| sent.starts_with(&expected)),
        "{sent:?} does not start with {expected:?}"
    );
}

/// No credentials: 401 with a bare challenge (RFC 6750 §3.1).
fn assert_credentials_required(reply: &Reply) {
    reply.assert_oauth_error(401, "unauthorized");
    assert_eq!(reply.header("www-authenticate"), Some(BARE_CHALLENGE));
}

fn assert_invalid_token(reply: &Reply) {
    assert_challenged(reply, 401, "invalid_token");
}

/// 403 `insufficient_scope`, whose description names the `missing` scope when given, and
/// whose challenge (RFC 6750 §3) and body (Django OAuth Toolkit's `required_scopes`) name
/// the `required` ones.
fn assert_insufficient_scope(reply: &Reply, missing: Option<&str>, required: &str) {
    assert_challenged(reply, 403, "insufficient_scope");
    let challenge = reply.header("www-authenticate").unwrap();
    assert!(
        challenge.contains(&format!(r#", scope="{required}""#)),
        "{challenge}"
    );
    let listed: Vec<String> = serde_json::from_value(reply.json()["required_scopes"].clone())
        .expect("required_scopes lists the scopes");
    assert_eq!(listed.join(" "), required);
    if let Some(missing) = missing {
        let description = reply.json()["error_description"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(description.contains(missing), "{description}");
    }
}

pub async fn bearer_token_accepts_live_tokens_only(env: &TestEnv) {
    let apis = Apis::on_database(env).await;
    let token = apis.token("alice", "read").await;

    let reply = apis.call("GET", "/whoami", Some(&token)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.json();
    assert_eq!(body["username"], "alice");
    assert_eq!(body["client_id"], apis.warrant.client_id.as_str());
    assert_eq!(body["scopes"], "read");

    let machine = apis
        .warrant
        .token("grant_type=client_credentials&scope=read")
        .await
        .json();
    let reply = apis
        .call("GET", "/whoami", machine["access_token"].as_str())
        .await;
    assert_eq!(
        (reply.status, &reply.json()["username"]),
        (200, &serde_json::Value::Null)
    );

    let none = apis.call("GET", "/whoami", None).await;
    assert_credentials_required(&none);
    let unknown = apis.call("GET", "/whoami", Some("never-issued")).await;
    assert_invalid_token(&unknown);
    let malformed = apis
        .music
        .request(
            "GET",
            "/whoami",
            &[("Authorization", "Bearer a b".to_owned())],
            Vec::new(),
        )
        .await;
    malformed.assert_oauth_error(400, "invalid_request");

    apis.revoke(&token).await;
    let revoked = apis.call("GET", "/whoami", Some(&token)).await;
    assert_invalid_token(&revoked);
}

pub async fn read_write_scope_follows_the_method(env: &TestEnv) {
    let apis = Apis::on_database(env).await;
    let reader = apis.token("alice", "read").await;
    let writer = apis.token("alice", "read+write").await;

    assert_eq!(apis.call("GET", "/albums", Some(&reader)).await.status, 200);
    let refused = apis.call("POST", "/albums", Some(&reader)).await;
    assert_insufficient_scope(&refused, Some("write"), "write");
    assert_eq!(
        apis.call("POST", "/albums", Some(&writer)).await.status,
        201
    );
    let listed = apis.call("GET", "/albums", Some(&writer)).await;
    assert_eq!(listed.json(), serde_json::json!(["Blue Train"]));

    let write_only = apis.token("alice", "write").await;
    let refused = apis.call("GET", "/albums", Some(&write_only)).await;
    assert_insufficient_scope(&refused, None, "read");

    // A CORS preflight carries no credentials and passes.
    assert_eq!(apis.call("OPTIONS", "/albums", None).await.status, 204);
    let none = apis.call("POST", "/albums", None).await;
    assert_credentials_required(&none);
}

pub async fn resource_scope_follows_the_method(env: &TestEnv) {
    let apis = Apis::on_database(env).await;
    let listener = apis.token("alice", "music:read").await;
    let editor = apis.token("alice", "music:write").await;

    assert_eq!(
        apis.call("GET", "/songs", Some(&listener)).await.status,
        200
    );
    let refused = apis.call("POST", "/songs", Some(&listener)).await;
    assert_insufficient_scope(&refused, Some("music:write"), "music:write");
    assert_eq!(apis.call("POST", "/songs", Some(&editor)).await.status, 201);
    // Writing does not imply reading, as in Django OAuth Toolkit.
    let refused = apis.call("GET", "/songs", Some(&editor)).await;
    assert_insufficient_scope(&refused, None, "music:read");
    let plain_read = apis.token("alice", "read").await;
    let refused = apis.call("GET", "/songs", Some(&plain_read)).await;
    assert_eq!(refused.status, 403);
}

pub async fn token_has_scope_needs_every_scope(env: &TestEnv) {
    let apis = Apis::on_database(env).await;
    let read_only = apis.token("alice", "read").await;
    let both = apis.token("alice", "read+stats").await;

    let refused = apis.call("GET", "/stats", Some(&read_only)).await;
    assert_insufficient_scope(&refused, Some("stats"), "read stats");
    let reply = apis.call("GET", "/stats", Some(&both)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["albums"], 0);
}

pub async fn session_user_or_scoped_token(env: &TestEnv) {
    let apis = Apis::on_database(env).await;
    let none = apis.call("GET", "/playlists", None).await;
    assert_credentials_required(&none);

    let unscoped = apis.token("alice", "read").await;
    let refused = apis.call("GET", "/playlists", Some(&unscoped)).await;
    assert_insufficient_scope(&refused, Some("playlists"), "playlists");

    let scoped = apis.token("alice", "playlists").await;
    let reply = apis.call("GET", "/playlists", Some(&scoped)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["authenticated_by"], "token");
    assert_eq!(reply.json()["owner"], "alice");

    // Logged in to Warrant: the session cookie is enough, on the same host.
    let mut browser = Browser::new(&apis.warrant.server);
    browser.log_in("alice", PASSWORD).await;
    let reply = apis
        .music
        .request("GET", "/playlists", &[browser.cookie_header()], Vec::new())
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["authenticated_by"], "session");
    assert_eq!(reply.json()["owner"], "alice");

    // A token that is sent decides, even beside a session.
    let reply = apis
        .music
        .request(
            "GET",
            "/playlists",
            &[
                browser.cookie_header(),
                ("Authorization", format!("Bearer {unscoped}")),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(reply.status, 403, "{reply:?}");
}

pub async fn writes_are_for_staff_reads_for_anyone(env: &TestEnv) {
    let apis = Apis::on_database(env).await;
    assert_eq!(apis.call("GET", "/charts", None).await.status, 200);
    let bad = apis.call("GET", "/charts", Some("never-issued")).await;
    assert_invalid_token(&bad);

    let none = apis.call("PUT", "/charts", None).await;
    assert_credentials_required(&none);
    let alice = apis.token("alice", "read").await;
    let refused = apis.call("PUT", "/charts", Some(&alice)).await;
    assert_forbidden(&refused);
    let machine = apis
        .warrant
        .token("grant_type=client_credentials")
        .await
        .json();
    let refused = apis
        .call("PUT", "/charts", machine["access_token"].as_str())
        .await;
    assert_forbidden(&refused);

    let boss = apis.token("boss", "read").await;
    assert_eq!(apis.call("PUT", "/charts", Some(&boss)).await.status, 201);
    let charts = apis.call("GET", "/charts", None).await;
    assert_eq!(charts.json(), serde_json::json!(["Blue Train"]));

    // boss's session writes from this site, not from another one.
    let mut browser = Browser::new(&apis.warrant.server);
    browser.log_in("boss", PASSWORD).await;
    let music = &apis.music;
    let put_from = |origin: String| {
        let headers = [browser.cookie_header(), ("Origin", origin)];
        async move {
            music
                .request("PUT", "/charts", &headers, b"Kind of Blue".to_vec())
                .await
        }
    };
    assert_eq!(put_from(music.base_url.clone()).await.status, 201);
    let cross_site = put_from("https://evil.example".to_owned()).await;
    assert_forbidden(&cross_site);
}

pub async fn introspection_checks_tokens_remotely(env: &TestEnv) {
    let apis = Apis::on_introspection(env, 0).await;
    let tokens = apis.tokens("alice", "read+music:read").await;
    let token = tokens["access_token"].as_str().unwrap();

    let reply = apis.call("GET", "/whoami", Some(token)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["username"], "alice");
    assert_eq!(apis.call("GET", "/songs", Some(token)).await.status, 200);
    let refused = apis.call("POST", "/songs", Some(token)).await;
    assert_insufficient_scope(&refused, Some("music:write"), "music:write");

    // A refresh token is active at the introspection endpoint but is no bearer credential.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let refused = apis.call("GET", "/whoami", Some(refresh)).await;
    assert_invalid_token(&refused);

    // Without a cache, a revocation is seen by the next request.
    apis.revoke(token).await;
    let revoked = apis.call("GET", "/whoami", Some(token)).await;
    assert_invalid_token(&revoked);

    // A remote API cannot see Warrant's sessions.
    let mut browser = Browser::new(&apis.warrant.server);
    browser.log_in("alice", PASSWORD).await;
    let reply = apis
        .music
        .request("GET", "/playlists", &[browser.cookie_header()], Vec::new())
        .await;
    assert_credentials_required(&reply);
}

/// The API introspects over https, Warrant's certificate signed by a private CA the API is
/// told to trust (`MUSIC_API_CA_FILE`, passed to `ClientOptions::trusted_pem`).
pub async fn introspection_works_over_https(env: &TestEnv) {
    let warrant = start_warrant(env).await;
    let certificates = Certificates::make();
    let https = certificates.proxy(address_of(&warrant.server)).await;
    let mut api = Command::new(binary("music-api"));
    api.env(
        "MUSIC_API_INTROSPECTION_URL",
        format!("{https}o/introspect/"),
    )
    .env("MUSIC_API_CLIENT_ID", &warrant.client_id)
    .env("MUSIC_API_CLIENT_SECRET", &warrant.secret)
    .env("MUSIC_API_CACHE_SECONDS", "0")
    .env("MUSIC_API_CA_FILE", certificates.write_ca(&env.dir));
    let apis = Apis::with_api(warrant, api).await;
    let token = apis.token("alice", "read").await;
    let reply = apis.call("GET", "/whoami", Some(&token)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["username"], "alice");
    apis.revoke(&token).await;
    assert_invalid_token(&apis.call("GET", "/whoami", Some(&token)).await);
}

pub async fn introspection_answers_are_cached_and_outages_are_503(env: &TestEnv) {
    let apis = Apis::on_introspection(env, 600).await;
    let token = apis.token("alice", "read").await;
    assert_eq!(apis.call("GET", "/whoami", Some(&token)).await.status, 200);

    // Within the cache time, the API keeps its answer: the bound documented for revocation.
    apis.revoke(&token).await;
    assert_eq!(apis.call("GET", "/whoami", Some(&token)).await.status, 200);

    // A token never seen needs the endpoint; with Warrant down, the answer is 503.
    let Apis { warrant, music } = apis;
    let fresh = {
        let reply = warrant
            .token(&format!(
                "grant_type=password&username=alice&password={PASSWORD}&scope=read"
            ))
            .await;
        reply.json()["access_token"].as_str().unwrap().to_owned()
    };
    drop(warrant);
    let reply = music
        .request(
            "GET",
            "/whoami",
            &[("Authorization", format!("Bearer {fresh}"))],
            Vec::new(),
        )
        .await;
    reply.assert_oauth_error(503, "temporarily_unavailable");
}

pub async fn introspection_with_wrong_credentials_is_503(env: &TestEnv) {
    let apis = Apis::introspecting(env, 0, Some("not-the-secret")).await;
    let token = apis.token("alice", "read").await;
    let reply = apis.call("GET", "/whoami", Some(&token)).await;
    reply.assert_oauth_error(503, "temporarily_unavailable");
}

/// RFC 9728 and RFC 8707 through the example API, checking tokens in the database and by
/// introspection: it publishes its metadata (naming Warrant and its scopes) where its
/// challenges say, and takes only tokens issued for it.
pub async fn a_protected_resource_publishes_its_metadata_and_takes_only_its_tokens(env: &TestEnv) {
    let mut warrant = start_warrant(env).await;
    let issuer = warrant.server.base_url.clone();
    for introspection in [false, true] {
        let mut api = Command::new(binary("music-api"));
        if introspection {
            api.env(
                "MUSIC_API_INTROSPECTION_URL",
                format!("{issuer}/o/introspect/"),
            )
            .env("MUSIC_API_CLIENT_ID", &warrant.client_id)
            .env("MUSIC_API_CLIENT_SECRET", &warrant.secret)
            .env("MUSIC_API_CACHE_SECONDS", "0");
        } else {
            api.env("MUSIC_API_DATABASE_URL", &env.database_url);
        }
        api.env("MUSIC_API_AUTHORIZATION_SERVER", &issuer);
        let apis = Apis::with_api_configured(warrant, api, |api, port| {
            api.env("MUSIC_API_RESOURCE", format!("http://127.0.0.1:{port}/"));
        })
        .await;
        let resource = format!("{}/", apis.music.base_url);
        let metadata_url = format!(
            "{}/.well-known/oauth-protected-resource",
            apis.music.base_url
        );

        let none = apis.call("GET", "/whoami", None).await;
        assert_eq!(none.status, 401);
        assert_eq!(
            none.header("www-authenticate"),
            Some(format!(r#"{BARE_CHALLENGE}, resource_metadata="{metadata_url}""#).as_str())
        );
        let (status, body) = apis
            .music
            .get("/.well-known/oauth-protected-resource")
            .await;
        assert_eq!(status, 200, "{body}");
        let metadata: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(metadata["resource"], resource.as_str());
        assert_eq!(
            metadata["authorization_servers"],
            serde_json::json!([issuer])
        );
        assert!(
            metadata["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&"music:read".into())
        );

        let encoded =
            |uri: &str| url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>();
        let for_it = apis
            .tokens("alice", &format!("read&resource={}", encoded(&resource)))
            .await;
        let reply = apis
            .call("GET", "/whoami", for_it["access_token"].as_str())
            .await;
        assert_eq!(
            reply.status, 200,
            "introspection {introspection}: {reply:?}"
        );
        let albums = apis
            .call("GET", "/albums", for_it["access_token"].as_str())
            .await;
        assert_eq!(albums.status, 200, "{albums:?}");
        let write = apis
            .call("POST", "/albums", for_it["access_token"].as_str())
            .await;
        assert_insufficient_scope(&write, Some("write"), "write");
        assert!(
            write
                .header("www-authenticate")
                .unwrap()
                .ends_with(&format!(r#"resource_metadata="{metadata_url}""#)),
            "{write:?}"
        );

        for (token, why) in [
            (
                apis.tokens("alice", "read&resource=https%3A%2F%2Fother.example.com%2F")
                    .await,
                "a token for another resource",
            ),
            (
                apis.tokens("alice", "read").await,
                "a token for no resource",
            ),
        ] {
            let reply = apis
                .call("GET", "/whoami", token["access_token"].as_str())
                .await;
            assert_invalid_token(&reply);
            assert!(
                reply.json()["error_description"]
                    .as_str()
                    .unwrap()
                    .contains("not for this resource"),
                "{why}: {reply:?}"
            );
        }
        warrant = apis.warrant;
    }
}

/// A DPoP-bound token (oauth4webapi's client credentials with a proof) at the guards, which
/// check it against the database: taken with a proof of its key, refused as a bearer token
/// and with another key's proof.
pub async fn dpop_bound_tokens_on_the_database(env: &TestEnv) {
    dpop_at_the_guards(env, Apis::on_database(env).await).await;
}

/// As [`dpop_bound_tokens_on_the_database`], the guards introspecting (`cnf.jkt`).
pub async fn dpop_bound_tokens_through_introspection(env: &TestEnv) {
    dpop_at_the_guards(env, Apis::on_introspection(env, 0).await).await;
}

async fn dpop_at_the_guards(env: &TestEnv, apis: Apis) {
    let Some(modules) = crate::support::node_modules("DPoP guards test") else {
        return;
    };
    let mut client = crate::high_assurance::OAuthClient::start(env, &modules);
    client.ok(json!({"op": "discover", "issuer": apis.warrant.server.base_url}));
    client.ok(json!({
        "op": "client",
        "client_id": apis.warrant.client_id,
        "auth": {"method": "client_secret_basic", "secret": apis.warrant.secret},
    }));
    client.ok(json!({"op": "dpop", "alg": "ES256"}));
    let tokens = client.ok(json!({"op": "client_credentials", "scope": "music:read"}));
    let token = tokens["access_token"].as_str().unwrap();
    let songs = format!("{}/songs", apis.music.base_url);
    let opened =
        client.ok(json!({"op": "resource", "method": "GET", "url": songs, "token": token}));
    assert_eq!(opened["status"], 200, "{opened}");

    let as_bearer = apis.call("GET", "/songs", Some(token)).await;
    crate::high_assurance::assert_dpop_challenge(&as_bearer);
    client.ok(json!({"op": "dpop", "alg": "ES256"}));
    let other_key = client
        .call(json!({"op": "resource", "method": "GET", "url": songs, "token": token}))
        .unwrap_err();
    assert_eq!(other_key["status"], 401, "{other_key}");
    assert_eq!(other_key["error"], "invalid_dpop_proof", "{other_key}");
}
