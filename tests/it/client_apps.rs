//! Client sync end to end: a Warrant server and two example client apps
//! (examples/client-app) as real processes. Users created or changed on the server reach
//! both apps (their API token works there); a replaced token is refused everywhere; a
//! login with the server's password creates the local user; an app that was down catches
//! up; a wrong server key is refused; the server keeps serving while an app is down.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::admin::Api;
use crate::support::{Reply, Server, TestEnv, binary, free_port};
use crate::sync::revoke_own_api_token;
use crate::token_endpoint::Setup;

const PASSWORD: &str = "correct-horse-battery";
const SERVER_KEY: &str = "the-shared-server-key";

/// The server, two client apps, and what it takes to restart the second one.
struct World {
    setup: Setup,
    apps: Vec<Option<Server>>,
    ports: [u16; 2],
}

impl World {
    /// Writes the server's config (both apps as client apps, fast retries, the `admin`
    /// scope), starts the server (creating alice and the application "Backend") and both
    /// apps. App one keeps its mirror in the server's database when that is PostgreSQL
    /// (beside Warrant's tables), app two always in SQLite.
    async fn start(env: &TestEnv, before: impl FnOnce()) -> Self {
        before();
        let ports = [free_port(), free_port()];
        let apps: Vec<String> = ports
            .iter()
            .map(|port| format!("\"http://127.0.0.1:{port}/authprofile/\""))
            .collect();
        std::fs::write(
            env.dir.join("warrant.toml"),
            format!(
                "[oauth2.scopes]\nread = \"Read\"\nadmin = \"Administer\"\n\n\
                 [sync]\nclient_apps = [{}]\nserver_key = \"{SERVER_KEY}\"\n\
                 timeout_seconds = 2\nretry_first_delay_seconds = 1\nretry_max_delay_seconds = 1\n",
                apps.join(", ")
            ),
        )
        .unwrap();
        let setup = Setup::start(env).await;
        let mut world = Self {
            setup,
            apps: vec![None, None],
            ports,
        };
        for index in 0..2 {
            world.start_app(env, index).await;
        }
        world
    }

    fn mirror_url(env: &TestEnv, index: usize) -> String {
        if index == 0 && env.database_url.starts_with("postgres") {
            env.database_url.clone()
        } else {
            format!(
                "sqlite://{}",
                env.dir.join(format!("app{index}.db")).display()
            )
        }
    }

    async fn start_app(&mut self, env: &TestEnv, index: usize) {
        let mut app = Command::new(binary("client-app"));
        app.env("CLIENT_APP_WARRANT_URL", &self.setup.server.base_url)
            .env("CLIENT_APP_CLIENT_ID", &self.setup.client_id)
            .env("CLIENT_APP_CLIENT_SECRET", &self.setup.secret)
            .env("CLIENT_APP_SERVER_KEY", SERVER_KEY)
            .env("CLIENT_APP_DATABASE_URL", Self::mirror_url(env, index))
            .env("CLIENT_APP_TIMEOUT_SECONDS", "5")
            .env("CLIENT_APP_PASSWORD_ITERATIONS", "1000")
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_LOG_LEVEL", "off")
            .stdout(Stdio::null());
        self.apps[index] = Some(Server::start_on(app, "ROCKET_PORT", self.ports[index]).await);
    }

    fn stop_app(&mut self, index: usize) {
        self.apps[index] = None;
    }

    fn app(&self, index: usize) -> &Server {
        self.apps[index].as_ref().unwrap()
    }

    async fn whoami(&self, index: usize, token: &str) -> Reply {
        self.app(index)
            .request(
                "GET",
                "/api/whoami",
                &[("Authorization", format!("Token {token}"))],
                Vec::new(),
            )
            .await
    }

    /// Waits (up to 30 s) until app `index` answers `status` to `token`.
    async fn until_whoami(&self, index: usize, token: &str, status: u16) -> Reply {
        for _ in 0..300 {
            let reply = self.whoami(index, token).await;
            if reply.status == status {
                return reply;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "app {index} never answered {status}: {:?}",
            self.whoami(index, token).await
        );
    }

    async fn login(&self, index: usize, username: &str, password: &str) -> Reply {
        self.app(index)
            .post_form(
                "/api/login",
                &format!("username={username}&password={password}"),
                None,
            )
            .await
    }

    /// The user's API token, as the server's profile shows it.
    async fn api_token(&self, username: &str) -> String {
        let bearer = self.bearer(username, "read").await;
        let reply = self
            .setup
            .server
            .get_with_bearer("/api/profile/", &bearer)
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json()["tokens"]["api_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn bearer(&self, username: &str, scope: &str) -> String {
        let reply = self
            .setup
            .token(&format!(
                "grant_type=password&username={username}&password={PASSWORD}&scope={scope}"
            ))
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// Replaces the user's API token through `/api/revoke_api_token/`; the new one.
    async fn replace_api_token(&self, username: &str) -> String {
        let bearer = self.bearer(username, "read").await;
        let reply = revoke_own_api_token(&self.setup, &bearer).await;
        reply.json()["tokens"]["api_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn create_user(env: &TestEnv, username: &str, extra: &[&str]) {
    env.create_user(username, PASSWORD, extra);
}

pub async fn users_tokens_and_logins_work_across_the_apps(env: &TestEnv) {
    // carol exists before client sync is configured: no app hears of her.
    let world = World::start(env, || {
        create_user(
            env,
            "carol",
            &["--email", "carol@example.com", "--first-name", "Carol"],
        );
    })
    .await;

    // alice, created with sync configured, reaches both apps; her API token works there.
    let token = world.api_token("alice").await;
    for app in 0..2 {
        let reply = world.until_whoami(app, &token, 200).await;
        assert_eq!(reply.json()["username"], "alice");
        assert_eq!(reply.json()["email"], "alice@example.com");
    }

    // Replaced: the old token is refused everywhere, the new one accepted.
    let replaced = world.replace_api_token("alice").await;
    for app in 0..2 {
        world.until_whoami(app, &replaced, 200).await;
        assert_eq!(world.whoami(app, &token).await.status, 401);
    }
    let old_at_server = world
        .setup
        .server
        .request(
            "GET",
            "/api/profile/",
            &[("Authorization", format!("Token {token}"))],
            Vec::new(),
        )
        .await;
    assert_eq!(old_at_server.status, 401);

    // carol logs in to app one with the server's password, by email: her local user is
    // made from the server's profile, and the app's own token works. App two still does
    // not know her.
    let carol_token = world.api_token("carol").await;
    assert_eq!(world.whoami(0, &carol_token).await.status, 401);
    let wrong = world
        .login(0, "carol@example.com", "not-her-password")
        .await;
    assert_eq!(wrong.status, 401, "{wrong:?}");
    let login = world.login(0, "carol@example.com", PASSWORD).await;
    assert_eq!(login.status, 200, "{login:?}");
    let body = login.json();
    assert_eq!(
        (body["username"].clone(), body["first_name"].clone()),
        (json!("carol"), json!("Carol"))
    );
    let app_token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        world.whoami(0, &app_token).await.json()["username"],
        "carol"
    );
    assert_eq!(
        world.whoami(0, &carol_token).await.status,
        200,
        "the profile brought her API token"
    );
    assert_eq!(world.whoami(1, &carol_token).await.status, 401);
    assert_eq!(
        world.whoami(1, &app_token).await.status,
        401,
        "app tokens are per app"
    );
    let unknown = world.login(1, "nobody", PASSWORD).await;
    assert_eq!(unknown.status, 401);

    // Deliveries need the server key: none is 401, another 403, and nothing is stored.
    let forged = json!({ "username": "mallory", "tokens": { "api_token": "forged-token-value" } });
    for (authorization, status) in [
        (None, 401),
        (Some(format!("Server {SERVER_KEY}-not")), 403),
        (Some("Token forged-token-value".to_owned()), 401),
    ] {
        let headers: Vec<(&str, String)> = authorization
            .into_iter()
            .map(|a| ("Authorization", a))
            .collect();
        let reply = world
            .app(1)
            .request(
                "POST",
                "/authprofile/addupdateuser/",
                &headers,
                forged.to_string().into_bytes(),
            )
            .await;
        assert_eq!(reply.status, status, "{reply:?}");
        assert_eq!(
            reply.json(),
            json!({ "detail": "Invalid or missing API Key." })
        );
    }
    let refused = world.whoami(1, "forged-token-value").await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("www-authenticate"), Some("Token"));
    assert_eq!(refused.json(), json!({ "detail": "Invalid token." }));
    // With the right key, a body that is no user record is 400, and says where it broke
    // without echoing what it was sent.
    let server_key = [("Authorization", format!("Server {SERVER_KEY}"))];
    for body in [
        &b"{\"username\": \"x\", \"is_staff\": \"secret-value\"}"[..],
        b"{}",
        b"{\"username\": \"\"}",
    ] {
        let reply = world
            .app(1)
            .request(
                "POST",
                "/authprofile/addupdateuser/",
                &server_key,
                body.to_vec(),
            )
            .await;
        assert_eq!(reply.status, 400, "{reply:?}");
        assert!(!reply.body.contains("secret-value"), "{reply:?}");
    }
    // The right key stores what it is sent, as the server would.
    let reply = world
        .app(1)
        .request(
            "POST",
            "/authprofile/addupdateuser/",
            &[("Authorization", format!("Server {SERVER_KEY}"))],
            forged.to_string().into_bytes(),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json(), json!({ "message": "User account updated" }));
    assert_eq!(
        world.whoami(1, "forged-token-value").await.json()["username"],
        "mallory"
    );
}

pub async fn an_app_that_was_down_catches_up(env: &TestEnv) {
    let mut world = World::start(env, || {}).await;
    create_user(env, "root", &["--staff"]);
    create_user(env, "bob", &[]);
    let alice_old = world.api_token("alice").await;
    let bob = world.api_token("bob").await;
    for app in 0..2 {
        world.until_whoami(app, &alice_old, 200).await;
        world.until_whoami(app, &bob, 200).await;
    }

    // App two goes down; meanwhile the server keeps serving, and users change.
    world.stop_app(1);
    let cc = world.setup.token("grant_type=client_credentials").await;
    assert_eq!(cc.status, 200, "{cc:?}");
    create_user(env, "dave", &[]);
    let dave = world.api_token("dave").await;
    let alice_new = world.replace_api_token("alice").await;
    let admin_token = world.bearer("root", "admin").await;
    let admin = Api {
        token: admin_token.clone(),
        setup: &world.setup,
    };
    let users = admin
        .call("GET", "/api/admin/users?limit=500", None)
        .await
        .json();
    let bob_id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "bob")
        .unwrap()["id"]
        .clone();
    let deactivated = admin
        .call(
            "POST",
            &format!("/api/admin/users/{bob_id}/deactivate"),
            None,
        )
        .await;
    assert_eq!(deactivated.status, 200, "{deactivated:?}");
    world.until_whoami(0, &bob, 401).await;
    world.until_whoami(0, &dave, 200).await;

    // Back up on the same address and database: it gets everything it missed.
    world.start_app(env, 1).await;
    world.until_whoami(1, &dave, 200).await;
    world.until_whoami(1, &alice_new, 200).await;
    world.until_whoami(1, &bob, 401).await;
    // Nothing stale arrives after: the old token stays refused, bob stays out.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(world.whoami(1, &alice_old).await.status, 401);
    let inactive = world.whoami(1, &bob).await;
    assert_eq!(inactive.status, 401);
    assert_eq!(
        inactive.json(),
        json!({ "detail": "User inactive or deleted." })
    );
    assert_eq!(world.whoami(1, &alice_new).await.status, 200);
    let admin = Api {
        token: admin_token,
        setup: &world.setup,
    };
    let status = admin.call("GET", "/api/admin/sync", None).await.json();
    for app in status["client_apps"].as_array().unwrap() {
        assert_eq!(
            (app["pending"].clone(), app["dead"].clone()),
            (json!(0), json!(0)),
            "{app}"
        );
    }
}
