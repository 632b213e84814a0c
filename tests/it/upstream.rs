//! Upstream login end to end: a second Warrant is the identity provider, reached once as an
//! OpenID Connect issuer (`preset = "oidc"`: discovery, a signed ID token) and once as a
//! plain OAuth 2.0 provider whose user API is its `/api/profile/` (`preset = "oauth2"`).
//! A person has a browser (cookie jar) for each site, as two sites on the web have.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use warrant_generators::SealingKey;
use warrant_model::{Secret, Timestamp, UpstreamConnection, Username};
use warrant_storage::SyncTo;
use warrant_upstream::{ACCESS_TOKEN_PURPOSE, Accounts, ProviderConfig, REFRESH_TOKEN_PURPOSE};

use crate::browser::{Browser, location, query_of};
use crate::device::path_of;
use crate::support::{PortTaken, Reply, SECRET_KEY, Server, TestEnv, free_port};

/// The provider keys: the same identity provider, configured both ways.
pub const OIDC: &str = "corp";
pub const OAUTH2: &str = "plain";

const PASSWORD: &str = "correct-horse-battery";
const EMAIL: &str = "ursula@example.com";
const EMAIL_TAKEN: &str = "A user already exists with this email address. Please log in first and then connect this provider to the existing account.";

/// The identity provider and the Warrant whose users log in with it.
struct Sites {
    provider: Server,
    warrant: Server,
    /// The Warrant's `warrant.toml`.
    config: String,
    _provider_env: TestEnv,
}

/// The provider (its own SQLite database) has the user `ursula`; the Warrant (on `env`)
/// lists it as both providers.
async fn sites(env: &TestEnv) -> Sites {
    // The provider must know the Warrant's port before the Warrant starts; when another
    // test's server takes that port meanwhile, start over with another.
    for _ in 0..5 {
        if let Ok(sites) = try_sites(env).await {
            return sites;
        }
    }
    panic!("five free ports in a row were taken by other servers before the Warrant bound them");
}

async fn try_sites(env: &TestEnv) -> Result<Sites, PortTaken> {
    let provider_env = TestEnv::sqlite();
    provider_env.create_user("ursula", PASSWORD, &["--email", EMAIL]);
    let port = free_port();
    let callback = |key: &str| format!("http://127.0.0.1:{port}/oauth/{key}/callback/");
    let app = provider_env.create_app(&[
        "--name",
        "The other Warrant",
        "--client-type",
        "confidential",
        "--grant",
        "authorization_code",
        "--grant",
        "refresh_token",
        "--redirect-uri",
        &callback(OIDC),
        "--redirect-uri",
        &callback(OAUTH2),
        "--skip-authorization",
        "--algorithm",
        "RS256",
    ]);
    let mut command = provider_env.command(&["serve"]);
    // Shorter than the 30 s before expiry at which a connection's token counts as expired.
    command.env("WARRANT_OAUTH2__ACCESS_TOKEN_EXPIRE_SECONDS", "20");
    let provider = Server::start(command).await;
    let (id, secret) = (&app["client_id"], &app["client_secret"]);
    let base = &provider.base_url;
    // Warrant marks addresses unverified (it does not check them): trust_email.
    let config = format!(
        r#"[upstream.{OIDC}]
preset = "oidc"
name = "Corp SSO"
issuer = "{base}"
trust_email = true
client_id = {id}
client_secret = {secret}

[upstream.{OAUTH2}]
preset = "oauth2"
name = "Corp profile"
authorize_url = "{base}/o/authorize/"
token_url = "{base}/o/token/"
userinfo_url = "{base}/api/profile/"
fields = {{ id = "username", username = "username", email = "email" }}
client_id = {id}
client_secret = {secret}

[upstream.gone]
preset = "oidc"
name = "Gone"
issuer = "http://127.0.0.1:{closed}"
client_id = "x"
client_secret = "y"
"#,
        closed = free_port(),
    );
    std::fs::write(env.dir.join("warrant.toml"), &config).unwrap();
    let mut command = env.command(&["serve"]);
    command.stdout(Stdio::null());
    let warrant = Server::try_start_on(&mut command, "WARRANT_SERVER__PORT", port).await?;
    Ok(Sites {
        provider,
        warrant,
        config,
        _provider_env: provider_env,
    })
}

/// Someone with a browser, its cookies kept per site.
struct Person<'a> {
    at_warrant: Browser<'a>,
    at_provider: Browser<'a>,
    provider: &'a str,
}

impl<'a> Person<'a> {
    fn new(sites: &'a Sites) -> Self {
        Self {
            at_warrant: Browser::new(&sites.warrant),
            at_provider: Browser::new(&sites.provider),
            provider: &sites.provider.base_url,
        }
    }

    /// Presses the button of `page` at the Warrant that posts to `action`; when that leads
    /// to the provider, goes through it (logging in there as `ursula` when needed) and
    /// back. The Warrant's last answer.
    async fn press(&mut self, page: &str, action: &str) -> Reply {
        let page = self.at_warrant.get(page).await;
        assert_eq!(page.status, 200, "{page:?}");
        let sent = self.at_warrant.submit(&page, action, &[]).await;
        assert_eq!(sent.status, 303, "{sent:?}");
        let callback = self.through_provider(location(&sent)).await;
        self.at_warrant.get(&path_of(&callback)).await
    }

    /// Logs in at the Warrant with provider `key`, starting on the login page.
    async fn log_in_with(&mut self, key: &str) -> Reply {
        self.press("/accounts/login/", &format!("/oauth/{key}/login/"))
            .await
    }

    /// Opens the provider's authorization URL (logging in there when asked): the callback
    /// URL the provider sends the browser back to.
    async fn through_provider(&mut self, authorize: &str) -> String {
        assert!(authorize.starts_with(self.provider), "{authorize}");
        let mut answer = self.at_provider.get(&path_of(authorize)).await;
        assert_eq!(answer.status, 303, "{answer:?}");
        if location(&answer).starts_with("/accounts/login/") {
            let login = self.at_provider.get(location(&answer)).await;
            let logged_in = self
                .at_provider
                .submit(
                    &login,
                    "/accounts/login/",
                    &[("username", "ursula"), ("password", PASSWORD)],
                )
                .await;
            answer = self.at_provider.get(location(&logged_in)).await;
            assert_eq!(answer.status, 303, "{answer:?}");
        }
        location(&answer).to_owned()
    }

    async fn log_out(&mut self) {
        self.at_warrant.get("/accounts/logout/").await;
        let out = self
            .at_warrant
            .post_with_csrf("/accounts/logout/", &[])
            .await;
        assert_eq!(out.status, 303, "{out:?}");
    }

    /// Who the Warrant's session belongs to: `/api/profile/`'s username, or the status.
    async fn who(&mut self) -> Result<String, u16> {
        let profile = self.at_warrant.get("/api/profile/").await;
        match profile.status {
            200 => Ok(profile.json()["username"].as_str().unwrap().to_owned()),
            status => Err(status),
        }
    }
}

fn usernames(env: &TestEnv) -> Vec<String> {
    let output = env.run(&["user", "list", "--json"], None);
    assert!(output.status.success(), "{output:?}");
    let users: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    users
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["username"].as_str().unwrap().to_owned())
        .collect()
}

/// Activates or deactivates a user of the Warrant, as the admin API would.
async fn set_active(env: &TestEnv, username: &str, active: bool) {
    let store = env.store().await;
    let username = Username::parse(username).unwrap();
    let mut user = store.user_by_username(&username).await.unwrap().unwrap();
    user.is_active = active;
    store.update_user(&user, SyncTo::NOBODY).await.unwrap();
    store.close().await;
}

fn assert_page(reply: &Reply, status: u16, text: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert!(reply.body.contains(text), "{text:?} not in {}", reply.body);
}

/// The first `provider_user_id` a page's disconnect forms carry.
fn connected_account(page: &Reply) -> String {
    let (_, rest) = page
        .body
        .split_once(r#"name="provider_user_id" value=""#)
        .unwrap_or_else(|| panic!("no connection listed: {}", page.body));
    rest.split('"').next().unwrap().to_owned()
}

/// Signs up through the provider, logs in again, follows `next` only on this site, may not
/// remove the only way to log in, and gets fresh access tokens from the library.
pub async fn sign_up_log_in_and_refresh(env: &TestEnv, key: &str) {
    let sites = sites(env).await;
    let mut ursula = Person::new(&sites);
    let login_page = ursula.at_warrant.get("/accounts/login/").await;
    for button in ["Log in with Corp SSO", "Log in with Corp profile"] {
        assert!(login_page.body.contains(button), "{}", login_page.body);
    }

    // Sign-up: a new user named and addressed as at the provider, logged in, sent on.
    let page = "/accounts/login/?next=%2Faccounts%2Fconnections%2F";
    let signed_up = ursula.press(page, &format!("/oauth/{key}/login/")).await;
    assert_eq!(
        (signed_up.status, location(&signed_up)),
        (303, "/accounts/connections/")
    );
    assert_eq!(ursula.who().await, Ok("ursula".into()));
    let profile = ursula.at_warrant.get("/api/profile/").await.json();
    assert_eq!(profile["email"], EMAIL);
    assert_eq!(usernames(env), ["ursula"]);
    let connections = ursula.at_warrant.get("/accounts/connections/").await;
    assert!(connections.body.contains(EMAIL), "{}", connections.body);

    // Logged in already: the button goes straight on, the provider is not asked.
    let pressed = ursula
        .at_warrant
        .post_with_csrf(
            &format!("/oauth/{key}/login/"),
            &[("next", "/o/applications/")],
        )
        .await;
    assert_eq!(
        (pressed.status, location(&pressed)),
        (303, "/o/applications/")
    );

    // Asked to log in again (OpenID Connect's prompt=login), the button goes to the
    // provider, and on to `next` afterwards. An OpenID Connect provider is asked to
    // re-authenticate the user too (plain OAuth 2.0 has no way to ask).
    let again = ursula
        .at_warrant
        .get("/accounts/login/?next=%2Fo%2Fapplications%2F")
        .await;
    assert_page(&again, 200, "Log in again to continue.");
    let sent = ursula
        .at_warrant
        .submit(&again, &format!("/oauth/{key}/login/"), &[])
        .await;
    let prompt = query_of(location(&sent)).get("prompt").cloned();
    assert_eq!(prompt.as_deref(), (key == OIDC).then_some("login"));
    let asked = ursula.at_provider.get(&path_of(location(&sent))).await;
    let to_login = location(&asked).starts_with("/accounts/login/");
    assert_eq!(to_login, key == OIDC, "{asked:?}");
    let callback = ursula.through_provider(location(&sent)).await;
    let back = ursula.at_warrant.get(&path_of(&callback)).await;
    assert_eq!((back.status, location(&back)), (303, "/o/applications/"));
    assert_eq!(ursula.who().await, Ok("ursula".into()));

    // The only way to log in cannot be removed (no password, no other connection).
    let account = connected_account(&connections);
    let refused = ursula
        .at_warrant
        .post_with_csrf(
            &format!("/oauth/{key}/disconnect/"),
            &[("provider_user_id", &account)],
        )
        .await;
    assert_page(&refused, 400, "This is your only way to log in");
    assert!(
        ursula
            .at_warrant
            .get("/accounts/connections/")
            .await
            .body
            .contains(&account)
    );

    // Logging in again is the same user; a `next` off this site is not followed.
    ursula.log_out().await;
    assert_eq!(ursula.who().await, Err(401));
    let sent = ursula
        .at_warrant
        .post_with_csrf(
            &format!("/oauth/{key}/login/"),
            &[("next", "https://evil.example/")],
        )
        .await;
    let callback = ursula.through_provider(location(&sent)).await;
    let back = ursula.at_warrant.get(&path_of(&callback)).await;
    assert_eq!((back.status, location(&back)), (303, "/accounts/login/"));
    assert_eq!(ursula.who().await, Ok("ursula".into()));
    assert_eq!(usernames(env), ["ursula"]);

    // Each return from the provider was counted by what became of it.
    let metrics = ursula.at_warrant.get("/metrics").await;
    for (outcome, count) in [("signed_up", 1), ("logged_in", 2)] {
        let line = format!(
            "warrant_upstream_logins_total{{provider=\"{key}\",outcome=\"{outcome}\"}} {count}"
        );
        assert!(
            metrics.body.lines().any(|l| l == line),
            "{line} not in {}",
            metrics.body
        );
    }

    fresh_access_tokens_are_refreshed(env, &sites, key).await;
}

/// `Accounts::fresh_access_token` on the Warrant's database: the provider's token lives
/// 20 s, inside the refresh margin, so each call refreshes at the provider, and the tokens
/// it stores (sealed) are the new ones.
async fn fresh_access_tokens_are_refreshed(env: &TestEnv, sites: &Sites, key: &str) {
    let mut config: toml::Table = toml::from_str(&sites.config).unwrap();
    let configs: BTreeMap<String, ProviderConfig> =
        config.remove("upstream").unwrap().try_into().unwrap();
    let providers = warrant_upstream::providers(&configs).unwrap();
    let provider = providers
        .iter()
        .find(|provider| provider.key().as_str() == key)
        .unwrap();
    let store = env.store().await;
    let sealing = SealingKey::derive(&Secret::new(SECRET_KEY.to_owned())).unwrap();
    let accounts = Accounts {
        store: &*store,
        sealing: &sealing,
        client_apps: &[],
    };
    let http = warrant_outgoing::Client::new(&warrant_outgoing::ClientOptions::new(
        Duration::from_secs(5),
    ))
    .unwrap();
    let ursula = Username::parse("ursula").unwrap();
    let user = store.user_by_username(&ursula).await.unwrap().unwrap();
    let connection = || async {
        let mut connections = store.connections_of_user(user.id).await.unwrap();
        assert_eq!(connections.len(), 1);
        connections.remove(0)
    };
    let opened = |connection: &UpstreamConnection| {
        let refresh = connection.refresh_token.as_ref().unwrap();
        (
            sealing
                .open_str(ACCESS_TOKEN_PURPOSE, &connection.access_token)
                .unwrap()
                .expose()
                .clone(),
            sealing
                .open_str(REFRESH_TOKEN_PURPOSE, refresh)
                .unwrap()
                .expose()
                .clone(),
        )
    };
    let stored = connection().await;
    assert!(
        !stored.extra_data.contains("api_token"),
        "the provider's record is kept without credentials: {}",
        stored.extra_data
    );
    let mut before = opened(&stored);
    for _ in 0..2 {
        let now = Timestamp::now_utc();
        let fresh = accounts
            .fresh_access_token(provider, &http, &connection().await, now)
            .await
            .unwrap();
        let after = opened(&connection().await);
        assert_ne!(fresh.expose(), &before.0, "refreshed");
        assert_eq!(&after.0, fresh.expose(), "stored");
        // The provider rotates refresh tokens: the second round uses the stored new one.
        assert_ne!(after.1, before.1);
        let profile = sites
            .provider
            .get_with_bearer("/api/profile/", fresh.expose())
            .await;
        assert_eq!(profile.json()["username"], "ursula", "{profile:?}");
        before = after;
    }
    store.close().await;
}

/// An address already taken is refused with django-oauth-login's sentence; a logged-in
/// user connects the account, logs in with it, and disconnects it; nobody else can take
/// or remove it.
pub async fn connect_and_disconnect(env: &TestEnv, key: &str) {
    env.create_user("dora", PASSWORD, &["--email", EMAIL]);
    env.create_user("eve", PASSWORD, &[]);
    let sites = sites(env).await;
    let connect = format!("/oauth/{key}/connect/");
    let mut dora = Person::new(&sites);

    // The provider's address is dora's: no sign-up, no login, nothing created.
    let refused = dora.log_in_with(key).await;
    assert_page(&refused, 400, EMAIL_TAKEN);
    assert_eq!(dora.who().await, Err(401));
    assert_eq!(usernames(env), ["dora", "eve"]);

    // Connecting needs a login.
    let anonymous = dora.at_warrant.post_with_csrf(&connect, &[]).await;
    assert_eq!(
        (anonymous.status, location(&anonymous)),
        (303, "/accounts/login/?next=%2Faccounts%2Fconnections%2F")
    );
    dora.at_warrant.log_in("dora", PASSWORD).await;
    let empty = dora.at_warrant.get("/accounts/connections/").await;
    assert_page(&empty, 200, "No accounts of other providers are connected.");

    let connected = dora.press("/accounts/connections/", &connect).await;
    assert_eq!(
        (connected.status, location(&connected)),
        (303, "/accounts/connections/")
    );
    let listed = dora.at_warrant.get("/accounts/connections/").await;
    assert!(listed.body.contains(EMAIL), "{}", listed.body);
    let account = connected_account(&listed);

    // The connection logs dora in.
    dora.log_out().await;
    let back = dora.log_in_with(key).await;
    assert_eq!(back.status, 303, "{back:?}");
    assert_eq!(dora.who().await, Ok("dora".into()));

    // Deactivated, dora cannot log in with it either.
    dora.log_out().await;
    set_active(env, "dora", false).await;
    assert_page(
        &dora.log_in_with(key).await,
        403,
        "This account is inactive.",
    );
    assert_eq!(dora.who().await, Err(401));
    set_active(env, "dora", true).await;
    dora.at_warrant.log_in("dora", PASSWORD).await;

    // Eve can neither connect the same account nor disconnect it.
    let mut eve = Person::new(&sites);
    eve.at_warrant.log_in("eve", PASSWORD).await;
    let taken = eve.press("/accounts/connections/", &connect).await;
    let name = if key == OIDC {
        "Corp SSO"
    } else {
        "Corp profile"
    };
    let message = format!("This {name} account is already connected to another user.");
    assert_page(&taken, 400, &message);
    let removed = eve
        .at_warrant
        .post_with_csrf(
            &format!("/oauth/{key}/disconnect/"),
            &[("provider_user_id", &account)],
        )
        .await;
    assert_page(&removed, 404, "There is no such connection.");
    let unnamed = eve
        .at_warrant
        .post_with_csrf(&format!("/oauth/{key}/disconnect/"), &[])
        .await;
    assert_page(&unnamed, 404, "There is no such connection.");
    assert_eq!(
        connected_account(&dora.at_warrant.get("/accounts/connections/").await),
        account
    );

    // A connection started by one login does not end in another's.
    let page = dora.at_warrant.get("/accounts/connections/").await;
    let sent = dora.at_warrant.submit(&page, &connect, &[]).await;
    dora.log_out().await;
    let callback = dora.through_provider(location(&sent)).await;
    let lost = dora.at_warrant.get(&path_of(&callback)).await;
    assert_page(&lost, 400, "no longer logged in as the user who started");

    // Dora has a password: she may disconnect, and then the account is a stranger again.
    dora.at_warrant.log_in("dora", PASSWORD).await;
    let page = dora.at_warrant.get("/accounts/connections/").await;
    let disconnected = dora
        .at_warrant
        .submit(&page, &format!("/oauth/{key}/disconnect/"), &[])
        .await;
    assert_eq!(
        (disconnected.status, location(&disconnected)),
        (303, "/accounts/connections/")
    );
    let empty = dora.at_warrant.get("/accounts/connections/").await;
    assert_page(&empty, 200, "No accounts of other providers are connected.");

    // A connection of a provider no longer configured is listed as such, and removable.
    env.connect_upstream("dora", "retired").await;
    let page = dora.at_warrant.get("/accounts/connections/").await;
    assert_page(&page, 200, "retired (no longer configured)");
    let removed = dora
        .at_warrant
        .submit(&page, "/oauth/retired/disconnect/", &[])
        .await;
    assert_eq!(removed.status, 303, "{removed:?}");
    let empty = dora.at_warrant.get("/accounts/connections/").await;
    assert_page(&empty, 200, "No accounts of other providers are connected.");
    dora.log_out().await;
    assert_page(&dora.log_in_with(key).await, 400, EMAIL_TAKEN);
}

/// Presses the OpenID Connect provider's login button: the provider's authorization URL.
async fn start(person: &mut Person<'_>) -> String {
    let page = person.at_warrant.get("/accounts/login/").await;
    let sent = person
        .at_warrant
        .submit(&page, &format!("/oauth/{OIDC}/login/"), &[])
        .await;
    assert_eq!(sent.status, 303, "{sent:?}");
    location(&sent).to_owned()
}

/// The callback takes the flow this browser started: a changed state, a replay, another
/// browser and the provider's refusal all fail without logging anyone in.
pub async fn forged_and_replayed_callbacks_are_refused(env: &TestEnv) {
    let sites = sites(env).await;
    let mut ursula = Person::new(&sites);

    // The provider is asked with state, PKCE (S256) and a nonce.
    let authorize = start(&mut ursula).await;
    let query = query_of(&authorize);
    assert_eq!(query["code_challenge_method"], "S256");
    assert!(query.contains_key("nonce") && query.contains_key("code_challenge"));
    let callback = ursula.through_provider(&authorize).await;
    let state = &query["state"];
    assert_eq!(&query_of(&callback)["state"], state);

    let forged = callback.replace(state.as_str(), "forged-state");
    let refused = ursula.at_warrant.get(&path_of(&forged)).await;
    assert_page(
        &refused,
        400,
        "does not belong to the login this browser started",
    );
    let replayed = ursula.at_warrant.get(&path_of(&callback)).await;
    assert_page(
        &replayed,
        400,
        "This login expired or was started in another browser.",
    );
    assert_eq!(ursula.who().await, Err(401));

    // RFC 9207: the provider names itself in its answer (it says so in its metadata). An
    // answer naming another issuer (a mix-up attack), or none, is refused before its code
    // is used.
    assert_eq!(query_of(&callback)["iss"], sites.provider.base_url);
    for iss in [Some("http://evil.example"), None] {
        let authorize = start(&mut ursula).await;
        let callback = ursula.through_provider(&authorize).await;
        let mixed_up = with_param(&callback, "iss", iss);
        let refused = ursula.at_warrant.get(&path_of(&mixed_up)).await;
        assert_page(&refused, 400, "This answer did not come from Corp SSO.");
        assert_eq!(ursula.who().await, Err(401), "{iss:?}");
    }

    // A genuine callback opened in another browser does nothing; in this one, it logs in.
    let authorize = start(&mut ursula).await;
    let callback = ursula.through_provider(&authorize).await;
    let mut elsewhere = Browser::new(&sites.warrant);
    let refused = elsewhere.get(&path_of(&callback)).await;
    assert_page(&refused, 400, "started in another browser");
    let logged_in = ursula.at_warrant.get(&path_of(&callback)).await;
    assert_eq!(logged_in.status, 303, "{logged_in:?}");
    assert_eq!(ursula.who().await, Ok("ursula".into()));
    ursula.log_out().await;

    // A used code under a new login's state: the provider refuses it, the user gets a 502
    // page that does not repeat the provider's answer. So does an unreachable provider.
    let used_code = callback;
    let authorize = start(&mut ursula).await;
    let fresh_state = &query_of(&authorize)["state"];
    let old_state = &query_of(&used_code)["state"];
    let reused = used_code.replace(old_state.as_str(), fresh_state);
    let refused = ursula.at_warrant.get(&path_of(&reused)).await;
    assert_page(&refused, 502, "Logging in with Corp SSO failed");
    assert!(!refused.body.contains("invalid_grant"), "{}", refused.body);
    assert_eq!(ursula.who().await, Err(401));
    let page = ursula.at_warrant.get("/accounts/login/").await;
    let gone = ursula
        .at_warrant
        .submit(&page, "/oauth/gone/login/", &[])
        .await;
    assert_page(&gone, 502, "Logging in with Gone failed");

    // The provider's refusal, passed back with this flow's state.
    let authorize = start(&mut ursula).await;
    let state = &query_of(&authorize)["state"];
    let iss: String =
        url::form_urlencoded::byte_serialize(sites.provider.base_url.as_bytes()).collect();
    let denied = ursula
        .at_warrant
        .get(&format!(
            "/oauth/{OIDC}/callback/?error=access_denied&state={state}&iss={iss}"
        ))
        .await;
    assert_page(&denied, 400, "Corp SSO did not log you in (access_denied).");
    assert_eq!(ursula.who().await, Err(401));

    // Buttons need the CSRF token; unknown providers are 404; the page needs a login.
    let forged = ursula
        .at_warrant
        .send("POST", &format!("/oauth/{OIDC}/login/"), Some(&[]))
        .await;
    assert_eq!(forged.status, 403, "{forged:?}");
    let unknown = ursula
        .at_warrant
        .post_with_csrf("/oauth/nope/login/", &[])
        .await;
    assert_page(&unknown, 404, "There is no such login provider.");
    assert_eq!(
        ursula.at_warrant.get("/oauth/nope/callback/").await.status,
        404
    );
    let anonymous = ursula.at_warrant.get("/accounts/connections/").await;
    assert_eq!(
        (anonymous.status, location(&anonymous)),
        (303, "/accounts/login/?next=%2Faccounts%2Fconnections%2F")
    );
}

/// `url` with the query parameter `name` set to `value`, or removed.
fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let mut url = url::Url::parse(url).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(key, _)| key != name)
        .collect();
    let mut query = url.query_pairs_mut();
    query.clear().extend_pairs(kept);
    if let Some(value) = value {
        query.append_pair(name, value);
    }
    drop(query);
    url.into()
}
