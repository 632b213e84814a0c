//! `GET /api/profile/` as ocs-authentication's client apps call it: a password grant with
//! the client's credentials in the body, then the profile with the new bearer token.

use crate::browser::Browser;
use crate::support::{Reply, TestEnv};
use crate::token_endpoint::Setup;

const PASSWORD: &str = "correct-horse-battery";

async fn profile(setup: &Setup, authorization: Option<String>) -> Reply {
    let headers: Vec<(&str, String)> = authorization
        .into_iter()
        .map(|value| ("Authorization", value))
        .collect();
    setup
        .server
        .request("GET", "/api/profile/", &headers, Vec::new())
        .await
}

async fn password_grant_token(setup: &Setup) -> String {
    let body = format!(
        "grant_type=password&username=alice&password={PASSWORD}&client_id={}&client_secret={}",
        setup.client_id, setup.secret
    );
    let reply = setup.server.post_form("/o/token/", &body, None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

pub async fn the_profile_has_ocs_authentications_shape(env: &TestEnv) {
    let setup = Setup::start(env).await;
    let token = password_grant_token(&setup).await;
    let reply = profile(&setup, Some(format!("Bearer {token}"))).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    for (field, expected) in [
        ("username", "alice"),
        ("email", "alice@example.com"),
        ("first_name", ""),
        ("last_name", ""),
    ] {
        assert_eq!(body[field], expected, "{field}");
    }
    assert_eq!(body["is_staff"], false);
    assert_eq!(body["is_superuser"], false);
    assert_eq!(body["profile"]["staff_view"], false);
    let api_token = body["tokens"]["api_token"].as_str().unwrap().to_owned();
    assert_eq!(api_token.len(), 40);

    // The API token is the user's, not the access token's: a new login sees the same one.
    let again = password_grant_token(&setup).await;
    let reply = profile(&setup, Some(format!("Bearer {again}"))).await;
    assert_eq!(reply.json()["tokens"]["api_token"], api_token.as_str());
}

pub async fn profile_refusals_follow_rfc_6750(env: &TestEnv) {
    let setup = Setup::start(env).await;
    // Warrant's own APIs are a protected resource (RFC 9728) named by the issuer.
    let metadata_url = format!(
        "{}/.well-known/oauth-protected-resource",
        setup.server.base_url
    );
    let bare_challenge = &format!(r#"Bearer realm="warrant", resource_metadata="{metadata_url}""#);
    let (status, metadata) = setup
        .server
        .get("/.well-known/oauth-protected-resource")
        .await;
    assert_eq!(status, 200, "{metadata}");
    let metadata: serde_json::Value = serde_json::from_str(&metadata).unwrap();
    assert_eq!(metadata["resource"], setup.server.base_url);
    assert_eq!(
        metadata["authorization_servers"],
        serde_json::json!([setup.server.base_url])
    );

    let missing = profile(&setup, None).await;
    assert_eq!(missing.status, 401, "{missing:?}");
    assert_eq!(
        missing.header("www-authenticate"),
        Some(bare_challenge.as_str())
    );
    let other_scheme = profile(&setup, Some("Basic YWxpY2U6c2VjcmV0".into())).await;
    assert_eq!(other_scheme.status, 401);
    assert_eq!(
        other_scheme.header("www-authenticate"),
        Some(bare_challenge.as_str())
    );

    // A token requested for another resource (RFC 8707) does not open Warrant's API.
    let elsewhere = setup
        .token(&format!("grant_type=password&username=alice&password={PASSWORD}&resource=https%3A%2F%2Fmcp.example.com%2F"))
        .await;
    let elsewhere = elsewhere.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    profile(&setup, Some(format!("Bearer {elsewhere}")))
        .await
        .assert_oauth_error(401, "invalid_token");

    let unknown = profile(&setup, Some("Bearer never-issued".into())).await;
    unknown.assert_oauth_error(401, "invalid_token");
    assert!(
        unknown
            .header("www-authenticate")
            .is_some_and(|c| c.starts_with(r#"Bearer realm="warrant", error="invalid_token""#)),
        "{unknown:?}"
    );

    profile(&setup, Some("Bearer".into()))
        .await
        .assert_oauth_error(400, "invalid_request");
    profile(&setup, Some("Bearer two words".into()))
        .await
        .assert_oauth_error(400, "invalid_request");

    let machine = setup.token("grant_type=client_credentials").await;
    let machine = machine.json()["access_token"].as_str().unwrap().to_owned();
    let refused = profile(&setup, Some(format!("Bearer {machine}"))).await;
    refused.assert_oauth_error(403, "insufficient_scope");
    assert!(
        refused
            .header("www-authenticate")
            .is_some_and(|c| c.contains(r#"error="insufficient_scope""#))
    );

    let token = password_grant_token(&setup).await;
    let revoked = setup
        .server
        .post_form(
            "/o/revoke_token/",
            &format!("token={token}"),
            Some((&setup.client_id, &setup.secret)),
        )
        .await;
    assert_eq!(revoked.status, 200);
    profile(&setup, Some(format!("Bearer {token}")))
        .await
        .assert_oauth_error(401, "invalid_token");
}

pub async fn api_tokens_and_sessions_reach_the_profile(env: &TestEnv) {
    let setup = Setup::start(env).await;
    let bearer = password_grant_token(&setup).await;
    let api_token = profile(&setup, Some(format!("Bearer {bearer}")))
        .await
        .json()["tokens"]["api_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // `Authorization: Token <key>`, as Django REST framework reads it.
    let by_token = profile(&setup, Some(format!("Token {api_token}"))).await;
    assert_eq!(by_token.status, 200, "{by_token:?}");
    assert_eq!(by_token.json()["username"], "alice");
    profile(&setup, Some("Token never-issued".into()))
        .await
        .assert_oauth_error(401, "invalid_token");
    profile(&setup, Some("Token".into()))
        .await
        .assert_oauth_error(400, "invalid_request");

    // The logged-in user of a browser session.
    let mut browser = Browser::new(&setup.server);
    browser.log_in("alice", PASSWORD).await;
    let by_session = browser.get("/api/profile/").await;
    assert_eq!(by_session.status, 200, "{by_session:?}");
    assert_eq!(by_session.json()["tokens"]["api_token"], api_token.as_str());
}

pub async fn revoking_the_api_token_replaces_it(env: &TestEnv) {
    let setup = Setup::start(env).await;
    let bearer = password_grant_token(&setup).await;
    let old = profile(&setup, Some(format!("Bearer {bearer}")))
        .await
        .json()["tokens"]["api_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let revoke = |authorization: String| {
        let server = &setup.server;
        async move {
            server
                .request(
                    "POST",
                    "/api/revoke_api_token/",
                    &[("Authorization", authorization)],
                    Vec::new(),
                )
                .await
        }
    };
    let reply = revoke(format!("Token {old}")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let new = reply.json()["tokens"]["api_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    assert_eq!(new.len(), 40);

    // The old token is refused everywhere at once; the new one works and is the profile's.
    profile(&setup, Some(format!("Token {old}")))
        .await
        .assert_oauth_error(401, "invalid_token");
    revoke(format!("Token {old}"))
        .await
        .assert_oauth_error(401, "invalid_token");
    let reply = profile(&setup, Some(format!("Token {new}"))).await;
    assert_eq!(reply.json()["tokens"]["api_token"], new.as_str());

    // A bearer token of the user may replace it too; no credentials may not.
    let reply = revoke(format!("Bearer {bearer}")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let none = setup
        .server
        .request("POST", "/api/revoke_api_token/", &[], Vec::new())
        .await;
    assert_eq!(none.status, 401, "{none:?}");

    // By session, only from this site.
    let mut browser = Browser::new(&setup.server);
    browser.log_in("alice", PASSWORD).await;
    let cross_site = setup
        .server
        .request(
            "POST",
            "/api/revoke_api_token/",
            &[
                browser.cookie_header(),
                ("Origin", "https://evil.example".to_owned()),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(
        (cross_site.status, cross_site.json()["error"].as_str()),
        (403, Some("forbidden"))
    );
    let same_site = setup
        .server
        .request(
            "POST",
            "/api/revoke_api_token/",
            &[
                browser.cookie_header(),
                ("Sec-Fetch-Site", "same-origin".to_owned()),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(same_site.status, 200, "{same_site:?}");
}
