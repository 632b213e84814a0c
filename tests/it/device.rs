//! The device authorization grant (RFC 8628) against the real binary: the `oauth2` crate
//! plays the device, a cookie-keeping client the user's browser.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    ClientId, DeviceAuthorizationUrl, Scope, StandardDeviceAuthorizationResponse, TokenResponse,
    TokenUrl,
};
use serde_json::Value;

use crate::browser::{Browser, location};
use crate::support::{Reply, Server, TestEnv, oauth2_http};

const PASSWORD: &str = "correct-horse-battery";

struct Setup {
    server: Server,
    client_id: String,
}

/// The server with devices polling every `interval` seconds at most.
async fn setup(env: &TestEnv, interval: &str) -> Setup {
    env.create_user("alice", PASSWORD, &[]);
    let created = env.create_app(&[
        "--name",
        "Living-room TV",
        "--client-type",
        "public",
        "--grant",
        "device_code",
        "--grant",
        "refresh_token",
    ]);
    let mut command = env.command(&["serve"]);
    command.env("WARRANT_OAUTH2__DEVICE_POLLING_INTERVAL_SECONDS", interval);
    Setup {
        server: Server::start(command).await,
        client_id: created["client_id"].as_str().unwrap().to_owned(),
    }
}

/// The path and query of an absolute URL on the server.
pub fn path_of(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

/// The user, logged in, opens `verification_uri_complete` and answers `decision`.
async fn decide(server: &Server, complete: &str, decision: &str) -> Reply {
    let mut browser = Browser::new(server);
    let to_login = browser.get(&path_of(complete)).await;
    assert_eq!(to_login.status, 303, "the page needs a login");
    assert!(location(&to_login).starts_with("/accounts/login/"));
    browser.log_in("alice", PASSWORD).await;
    let confirm = browser.get(&path_of(complete)).await;
    assert_eq!(confirm.status, 200, "{confirm:?}");
    assert!(confirm.body.contains("Living-room TV"), "{}", confirm.body);
    // RFC 8628 §5.4: the user compares the code with the one on the device.
    let user_code = url::Url::parse(complete)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "user_code")
        .unwrap()
        .1
        .into_owned();
    assert!(confirm.body.contains(&user_code), "{}", confirm.body);
    browser
        .submit(&confirm, "/o/device/", &[("decision", decision)])
        .await
}

pub async fn the_oauth2_crate_completes_the_device_flow(env: &TestEnv) {
    let setup = setup(env, "1").await;
    let base = &setup.server.base_url;
    let client = BasicClient::new(ClientId::new(setup.client_id.clone()))
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(format!("{base}/o/device_authorization/")).unwrap(),
        )
        .set_token_uri(TokenUrl::new(format!("{base}/o/token/")).unwrap());
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new("read".into()))
        .request_async(&oauth2_http)
        .await
        .unwrap_or_else(|e| panic!("device authorization refused: {e:?}"));
    assert_eq!(
        details.verification_uri().as_str(),
        format!("{base}/o/device/")
    );
    assert_eq!(details.interval(), Duration::from_secs(1));
    let complete = details
        .verification_uri_complete()
        .expect("a link with the code")
        .secret()
        .clone();
    assert!(complete.contains(details.user_code().secret().as_str()));

    // The device polls (its first answers are authorization_pending) while the user
    // approves in the browser.
    let poller = tokio::spawn(async move {
        client
            .exchange_device_access_token(&details)
            .request_async(
                &oauth2_http,
                tokio::time::sleep,
                Some(Duration::from_secs(60)),
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let done = decide(&setup.server, &complete, "allow").await;
    assert!(done.body.contains("is connected"), "{}", done.body);
    let tokens = poller
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("device token refused: {e:?}"));
    assert!(tokens.refresh_token().is_some());
    let profile = setup
        .server
        .get_with_bearer("/api/profile/", tokens.access_token().secret())
        .await;
    assert_eq!(profile.status, 200);
    assert_eq!(profile.json()["username"], "alice");
}

pub async fn polling_answers_follow_rfc_8628(env: &TestEnv) {
    // Polls are stored to the second, so a 2-second interval makes two polls a moment
    // apart always "too soon".
    let setup = setup(env, "2").await;
    let server = &setup.server;
    let start = async || {
        let reply = server
            .post_form(
                "/o/device_authorization/",
                &format!("client_id={}&scope=read", setup.client_id),
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        reply.json()
    };
    let poll = async |device_code: String| {
        server
            .post_form(
                "/o/token/",
                &format!(
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={device_code}&client_id={}",
                    setup.client_id
                ),
                None,
            )
            .await
    };

    let codes = start().await;
    let device_code = codes["device_code"].as_str().unwrap().to_owned();
    poll(device_code.clone())
        .await
        .assert_oauth_error(400, "authorization_pending");
    poll(device_code.clone())
        .await
        .assert_oauth_error(400, "slow_down");

    let refused = decide(
        server,
        codes["verification_uri_complete"].as_str().unwrap(),
        "deny",
    )
    .await;
    assert!(refused.body.contains("denied"));
    poll(device_code.clone())
        .await
        .assert_oauth_error(400, "access_denied");

    // A wrong code typed on the page: the form again, with a message.
    let mut browser = Browser::new(server);
    browser.log_in("alice", PASSWORD).await;
    let page = browser.get("/o/device/").await;
    let wrong = browser
        .submit(&page, "/o/device/", &[("user_code", "BCDF-GHJK")])
        .await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.body.contains("not valid or has expired"));
    let typed = start().await["user_code"].as_str().unwrap().to_lowercase();
    let confirm = browser
        .submit(&page, "/o/device/", &[("user_code", &typed)])
        .await;
    assert!(
        confirm.body.contains("Living-room TV") && confirm.body.contains(&typed.to_uppercase()),
        "typed in lower case, shown as the device shows it: {}",
        confirm.body
    );

    let refused = server
        .post_form("/o/device_authorization/", "client_id=unknown", None)
        .await;
    refused.assert_oauth_error(401, "invalid_client");
    let (_, metadata) = server.get("/.well-known/openid-configuration").await;
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    assert_eq!(
        metadata["device_authorization_endpoint"],
        format!("{}/o/device_authorization/", server.base_url)
    );
}

/// The claims of a JWT, unverified (the OpenID Connect tests verify signatures).
fn jwt_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A device asking for `openid` gets ID tokens that say when the approving user logged
/// in, after refreshes too.
pub async fn device_id_tokens_carry_the_users_login_time(env: &TestEnv) {
    let setup = setup(env, "1").await;
    let server = &setup.server;
    let codes = server
        .post_form(
            "/o/device_authorization/",
            &format!("client_id={}&scope=openid", setup.client_id),
            None,
        )
        .await
        .json();
    let before_login = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let done = decide(
        server,
        codes["verification_uri_complete"].as_str().unwrap(),
        "allow",
    )
    .await;
    assert!(done.body.contains("is connected"), "{}", done.body);
    let tokens = server
        .post_form(
            "/o/token/",
            &format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={}&client_id={}",
                codes["device_code"].as_str().unwrap(),
                setup.client_id
            ),
            None,
        )
        .await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
    let tokens = tokens.json();
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    let auth_time = claims["auth_time"].as_i64().expect("auth_time");
    assert!(
        (before_login..=claims["iat"].as_i64().unwrap()).contains(&auth_time),
        "{claims}"
    );
    let refreshed = server
        .post_form(
            "/o/token/",
            &format!(
                "grant_type=refresh_token&refresh_token={}&client_id={}",
                tokens["refresh_token"].as_str().unwrap(),
                setup.client_id
            ),
            None,
        )
        .await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    let claims = jwt_claims(refreshed.json()["id_token"].as_str().unwrap());
    assert_eq!(claims["auth_time"].as_i64(), Some(auth_time), "{claims}");
}
