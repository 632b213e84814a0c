//! OAuth 2.0 presets: GitHub, GitLab, Bitbucket and a mapped provider.

use std::collections::HashMap;

use serde_json::json;
use time::OffsetDateTime;
use url::Url;
use warrant_model::Secret;
use warrant_outgoing::Method;
use warrant_upstream::{Prompt, UpstreamError};

use crate::config::parse;
use crate::fake::FakeProvider;

fn provider(toml_text: &str) -> warrant_upstream::Provider {
    parse(toml_text).unwrap().remove(0)
}

fn callback() -> Url {
    Url::parse("https://warrant.example/oauth/x/callback/").unwrap()
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn github_sends_state_and_pkce_and_reads_the_verified_primary_email() {
    let github = provider(
        "[github]\npreset = \"github\"\nclient_id = \"gh-id\"\nclient_secret = \"gh-secret\"\n",
    );
    let fake = FakeProvider::default();
    let start = github
        .authorization(&fake, &callback(), Prompt::AsUsual)
        .await
        .unwrap();
    assert_eq!(
        start.url.as_str().split('?').next(),
        Some("https://github.com/login/oauth/authorize")
    );
    let params = query(&start.url);
    assert_eq!(params["client_id"], "gh-id");
    assert_eq!(params["redirect_uri"], callback().as_str());
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["scope"], "read:user user:email");
    assert_eq!(params["state"], *start.state.expose());
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(
        params["code_challenge"],
        warrant_generators::sha256_base64url(start.verifier.expose().as_bytes())
    );
    assert!(start.nonce.is_none());
    // GitHub knows no prompt parameter: none is sent even when asked to log in again.
    let forced = github
        .authorization(&fake, &callback(), Prompt::LogInAgain)
        .await
        .unwrap();
    assert!(!query(&forced.url).contains_key("prompt"));
    let again = github
        .authorization(&fake, &callback(), Prompt::AsUsual)
        .await
        .unwrap();
    assert_ne!(
        again.state.expose(),
        start.state.expose(),
        "fresh state each time"
    );

    fake.answer(
        "https://github.com/login/oauth/access_token",
        200,
        json!({ "access_token": "gho_token", "token_type": "bearer", "scope": "user:email" }),
    );
    fake.answer(
        "https://api.github.com/user",
        200,
        json!({ "id": 42, "login": "octocat" }),
    );
    fake.answer(
        "https://api.github.com/user/emails",
        200,
        json!([
            { "email": "old@example.com", "primary": false, "verified": true },
            { "email": "octo@example.com", "primary": true, "verified": true },
        ]),
    );
    let now = OffsetDateTime::now_utc();
    let (tokens, user) = github
        .finish(&fake, "the-code", &callback(), &start.verifier, None, now)
        .await
        .unwrap();
    assert_eq!(tokens.access_token.expose(), "gho_token");
    assert_eq!(
        (tokens.refresh_token.is_none(), tokens.expires_at),
        (true, None)
    );
    assert_eq!(
        (
            user.id.as_str(),
            user.username.as_str(),
            user.email.as_deref()
        ),
        ("42", "octocat", Some("octo@example.com"))
    );
    let exchange = &fake.seen_at("https://github.com/login/oauth/access_token")[0];
    assert_eq!(exchange.method, Method::Post);
    for (name, value) in [
        ("grant_type", "authorization_code"),
        ("code", "the-code"),
        ("redirect_uri", callback().as_str()),
        ("code_verifier", start.verifier.expose().as_str()),
        ("client_id", "gh-id"),
        ("client_secret", "gh-secret"),
    ] {
        assert_eq!(exchange.form[name], value, "{name}");
    }
    let user_call = &fake.seen_at("https://api.github.com/user")[0];
    assert_eq!(user_call.authorization.as_deref(), Some("Bearer gho_token"));

    // An unverified primary address is no address.
    fake.answer(
        "https://api.github.com/user/emails",
        200,
        json!([{ "email": "octo@example.com", "primary": true, "verified": false }]),
    );
    let (_, user) = github
        .finish(&fake, "the-code", &callback(), &start.verifier, None, now)
        .await
        .unwrap();
    assert_eq!(user.email, None);

    // GitHub answers a bad code with 200 and an error member.
    fake.answer(
        "https://github.com/login/oauth/access_token",
        200,
        json!({ "error": "bad_verification_code" }),
    );
    let refused = github
        .finish(&fake, "stale", &callback(), &start.verifier, None, now)
        .await;
    assert!(
        matches!(refused, Err(UpstreamError::Protocol { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn gitlab_and_bitbucket_read_their_user_apis() {
    let gitlab = provider(
        "[gitlab]\npreset = \"gitlab\"\nbase_url = \"https://git.corp.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
    );
    let fake = FakeProvider::default();
    let start = gitlab
        .authorization(&fake, &callback(), Prompt::AsUsual)
        .await
        .unwrap();
    assert!(
        start
            .url
            .as_str()
            .starts_with("https://git.corp.example/oauth/authorize?")
    );
    fake.answer(
        "https://git.corp.example/oauth/token",
        200,
        json!({ "access_token": "glpat", "refresh_token": "glrt", "expires_in": 7200 }),
    );
    fake.answer(
        "https://git.corp.example/api/v4/user",
        200,
        json!({ "id": 7, "username": "jdoe", "email": "jdoe@corp.example", "confirmed_at": "2024-01-01T00:00:00Z" }),
    );
    let now = OffsetDateTime::now_utc();
    let (tokens, user) = gitlab
        .finish(&fake, "c0de", &callback(), &start.verifier, None, now)
        .await
        .unwrap();
    assert_eq!(tokens.expires_at, Some(now + time::Duration::seconds(7200)));
    assert_eq!(
        tokens.refresh_token.as_ref().map(|t| t.expose().as_str()),
        Some("glrt")
    );
    assert_eq!(
        (user.id.as_str(), user.email.as_deref()),
        ("7", Some("jdoe@corp.example"))
    );

    let bitbucket =
        provider("[bb]\npreset = \"bitbucket\"\nclient_id = \"c\"\nclient_secret = \"s\"\n");
    fake.answer(
        "https://bitbucket.org/site/oauth2/access_token",
        200,
        json!({ "access_token": "bb" }),
    );
    fake.answer(
        "https://api.bitbucket.org/2.0/user",
        200,
        json!({ "uuid": "{abc}", "username": "bucky" }),
    );
    fake.answer(
        "https://api.bitbucket.org/2.0/user/emails",
        200,
        json!({ "values": [{ "email": "b@example.com", "is_primary": true, "is_confirmed": true }] }),
    );
    let (_, user) = bitbucket
        .finish(&fake, "c0de", &callback(), &start.verifier, None, now)
        .await
        .unwrap();
    assert_eq!(
        (
            user.id.as_str(),
            user.username.as_str(),
            user.email.as_deref()
        ),
        ("{abc}", "bucky", Some("b@example.com"))
    );
}

#[tokio::test]
async fn a_mapped_email_is_used_only_when_its_verified_flag_is_true() {
    let corp = provider(
        r#"[corp]
        preset = "oauth2"
        authorize_url = "http://sso.example/authorize"
        token_url = "http://sso.example/token"
        userinfo_url = "http://sso.example/me"
        client_id = "c"
        client_secret = "s"
        fields = { id = "sub", username = "name", email = "mail", email_verified = "checks.mail" }
        "#,
    );
    let fake = FakeProvider::default();
    fake.answer(
        "http://sso.example/token",
        200,
        json!({ "access_token": "a1" }),
    );
    let verifier = Secret::new("v".repeat(43));
    let now = OffsetDateTime::now_utc();
    for (checks, expected) in [
        (json!({ "mail": true }), Some("ada@example.com")),
        (json!({ "mail": false }), None),
        (json!({ "mail": "yes" }), None),
        (json!({}), None),
    ] {
        fake.answer(
            "http://sso.example/me",
            200,
            json!({ "sub": "1", "name": "ada", "mail": "ada@example.com", "checks": checks }),
        );
        let (_, user) = corp
            .finish(&fake, "code", &callback(), &verifier, None, now)
            .await
            .unwrap();
        assert_eq!(user.email.as_deref(), expected, "{checks}");
    }
}

#[tokio::test]
async fn a_mapped_provider_reads_its_fields_and_refreshes() {
    let corp = provider(
        r#"[corp]
        preset = "oauth2"
        authorize_url = "http://sso.example/authorize"
        token_url = "http://sso.example/token"
        userinfo_url = "http://sso.example/me"
        client_id = "c"
        client_secret = "s"
        scope = "profile"
        fields = { id = "data.id", username = "data.login", email = "data.mail" }
        "#,
    );
    let fake = FakeProvider::default();
    fake.answer(
        "http://sso.example/token",
        200,
        json!({ "access_token": "a1", "refresh_token": "r1", "expires_in": "60" }),
    );
    fake.answer(
        "http://sso.example/me",
        200,
        json!({
            "data": { "id": 9, "login": "nine", "mail": "nine@example.com" },
            "tokens": { "api_token": "a-credential" },
        }),
    );
    let verifier = Secret::new("v".repeat(43));
    let now = OffsetDateTime::now_utc();
    let (tokens, user) = corp
        .finish(&fake, "code", &callback(), &verifier, None, now)
        .await
        .unwrap();
    assert_eq!((user.id.as_str(), user.username.as_str()), ("9", "nine"));
    assert_eq!(user.email.as_deref(), Some("nine@example.com"));
    // Kept with the connection: the mapped fields, not the credential beside them.
    assert_eq!(
        user.record,
        json!({ "id": "9", "username": "nine", "email": "nine@example.com" })
    );
    assert_eq!(tokens.expires_at, Some(now + time::Duration::seconds(60)));

    // Refreshing: a provider that does not rotate keeps the old refresh token.
    fake.answer(
        "http://sso.example/token",
        200,
        json!({ "access_token": "a2", "expires_in": 60 }),
    );
    let refreshed = corp
        .refresh(&fake, &Secret::new("r1".into()), now)
        .await
        .unwrap();
    assert_eq!(refreshed.access_token.expose(), "a2");
    assert_eq!(
        refreshed
            .refresh_token
            .as_ref()
            .map(|t| t.expose().as_str()),
        Some("r1")
    );
    let refresh = fake.seen_at("http://sso.example/token").pop().unwrap();
    assert_eq!(refresh.form["grant_type"], "refresh_token");
    assert_eq!(refresh.form["refresh_token"], "r1");

    // A record without the id field, a refused token call, an unreachable provider.
    fake.answer(
        "http://sso.example/token",
        200,
        json!({ "access_token": "a1" }),
    );
    fake.answer(
        "http://sso.example/me",
        200,
        json!({ "data": { "login": "nine" } }),
    );
    let no_id = corp
        .finish(&fake, "code", &callback(), &verifier, None, now)
        .await;
    assert!(
        matches!(no_id, Err(UpstreamError::Protocol { .. })),
        "{no_id:?}"
    );
    fake.answer(
        "http://sso.example/token",
        400,
        json!({ "error": "invalid_grant", "error_description": "Refresh token expired" }),
    );
    let refused = corp.refresh(&fake, &Secret::new("r1".into()), now).await;
    let Err(error @ UpstreamError::Refused { status: 400, .. }) = refused else {
        panic!("{refused:?}")
    };
    // What the log says: the provider's error, not only its status.
    assert_eq!(
        error.to_string(),
        "http://sso.example/token answered HTTP 400: invalid_grant (Refresh token expired)"
    );
    // GitHub's way: 200 with an error member.
    fake.answer(
        "http://sso.example/token",
        200,
        json!({ "error": "bad_verification_code", "error_description": "The code passed is incorrect or expired." }),
    );
    let refused = corp
        .finish(&fake, "code", &callback(), &verifier, None, now)
        .await;
    let Err(error) = refused else {
        panic!("{refused:?}")
    };
    assert!(
        error
            .to_string()
            .ends_with("bad_verification_code (The code passed is incorrect or expired.)"),
        "{error}"
    );
    let gone = provider(
        "[gone]\npreset = \"oauth2\"\nauthorize_url = \"http://gone.example/a\"\ntoken_url = \"http://gone.example/t\"\nuserinfo_url = \"http://gone.example/u\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
    );
    let unreachable = gone
        .finish(&fake, "code", &callback(), &verifier, None, now)
        .await;
    assert!(
        matches!(unreachable, Err(UpstreamError::Unreachable { .. })),
        "{unreachable:?}"
    );
}
