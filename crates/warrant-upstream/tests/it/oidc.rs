//! OpenID Connect: discovery, the nonce, and every way an ID token must be refused.

use serde_json::{Value, json};
use time::OffsetDateTime;
use url::Url;
use warrant_generators::{SigningKeyPair, generate_signing_key};
use warrant_model::SigningAlgorithm;
use warrant_upstream::{Authorization, Prompt, Provider, UpstreamError};

use crate::config::parse;
use crate::fake::FakeProvider;

const ISSUER: &str = "http://idp.example";

fn key() -> SigningKeyPair {
    let pkcs8 = generate_signing_key(SigningAlgorithm::ES256).unwrap();
    SigningKeyPair::from_pkcs8(SigningAlgorithm::ES256, pkcs8.expose()).unwrap()
}

fn callback() -> Url {
    Url::parse("http://warrant.example/oauth/idp/callback/").unwrap()
}

/// A provider at `ISSUER` whose JWKS holds `keys`.
fn idp(keys: &[&SigningKeyPair]) -> (Provider, FakeProvider) {
    let provider = parse(&format!(
        "[idp]\npreset = \"oidc\"\nissuer = \"{ISSUER}\"\nclient_id = \"warrant\"\nclient_secret = \"s\"\n"
    ))
    .unwrap()
    .remove(0);
    let fake = FakeProvider::default();
    fake.answer(
        &format!("{ISSUER}/.well-known/openid-configuration"),
        200,
        json!({
            "issuer": ISSUER,
            "authorization_endpoint": format!("{ISSUER}/authorize"),
            "token_endpoint": format!("{ISSUER}/token"),
            "userinfo_endpoint": format!("{ISSUER}/userinfo"),
            "jwks_uri": format!("{ISSUER}/jwks"),
        }),
    );
    publish(&fake, keys);
    (provider, fake)
}

fn publish(fake: &FakeProvider, keys: &[&SigningKeyPair]) {
    let jwks: Vec<Value> = keys.iter().map(|k| k.public_jwk().clone()).collect();
    fake.answer(&format!("{ISSUER}/jwks"), 200, json!({ "keys": jwks }));
}

fn claims(start: &Authorization, now: OffsetDateTime) -> Value {
    json!({
        "iss": ISSUER, "sub": "user-1", "aud": "warrant",
        "iat": now.unix_timestamp(), "exp": now.unix_timestamp() + 300,
        "nonce": start.nonce.as_ref().unwrap().expose(),
        "email": "ada@example.com", "email_verified": true, "preferred_username": "ada",
    })
}

fn answer_with(fake: &FakeProvider, id_token: &str) {
    fake.answer(
        &format!("{ISSUER}/token"),
        200,
        json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token }),
    );
}

async fn finish(
    provider: &Provider,
    fake: &FakeProvider,
    start: &Authorization,
    now: OffsetDateTime,
) -> Result<warrant_upstream::UpstreamUser, UpstreamError> {
    provider
        .finish(
            fake,
            "code",
            &callback(),
            &start.verifier,
            start.nonce.as_ref(),
            now,
        )
        .await
        .map(|(_, user)| user)
}

#[tokio::test]
async fn the_callbacks_iss_must_be_the_providers_issuer() {
    let (provider, fake) = idp(&[&key()]);
    // Without the RFC 9207 promise, an answer without iss is accepted.
    for (iss, accepted) in [
        (None, true),
        (Some(ISSUER), true),
        (Some("http://evil.example"), false),
        (Some("http://idp.example/"), false),
    ] {
        let checked = provider.check_response_issuer(&fake, iss).await;
        assert_eq!(checked.is_ok(), accepted, "{iss:?}: {checked:?}");
    }
    // A provider that promises iss must send it.
    let (provider, fake) = idp(&[&key()]);
    let metadata = format!("{ISSUER}/.well-known/openid-configuration");
    fake.answer(
        &metadata,
        200,
        json!({
            "issuer": ISSUER,
            "authorization_endpoint": format!("{ISSUER}/authorize"),
            "token_endpoint": format!("{ISSUER}/token"),
            "jwks_uri": format!("{ISSUER}/jwks"),
            "authorization_response_iss_parameter_supported": true,
        }),
    );
    let missing = provider.check_response_issuer(&fake, None).await;
    assert!(
        matches!(missing, Err(UpstreamError::WrongIssuer(_))),
        "{missing:?}"
    );
    assert!(
        provider
            .check_response_issuer(&fake, Some(ISSUER))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn discovery_is_checked_against_the_configured_issuer() {
    let (provider, fake) = idp(&[&key()]);
    provider.check_discovery(&fake).await.unwrap();
    // A Django OAuth Toolkit issuer is <site>/o; configured without it, the document names
    // another issuer.
    fake.answer(
        &format!("{ISSUER}/.well-known/openid-configuration"),
        200,
        json!({ "issuer": format!("{ISSUER}/o") }),
    );
    let error = provider.check_discovery(&fake).await.unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("it names the issuer \"http://idp.example/o\", not the configured \"http://idp.example\""),
        "{error}"
    );
}

#[tokio::test]
async fn a_verified_id_token_names_the_user() {
    let signer = key();
    let (provider, fake) = idp(&[&signer]);
    let start = provider
        .authorization(&fake, &callback(), Prompt::AsUsual)
        .await
        .unwrap();
    assert!(
        start
            .url
            .as_str()
            .starts_with(&format!("{ISSUER}/authorize?"))
    );
    let params: std::collections::HashMap<String, String> =
        start.url.query_pairs().into_owned().collect();
    assert_eq!(params["scope"], "openid email profile");
    assert_eq!(params["nonce"], *start.nonce.as_ref().unwrap().expose());
    assert!(!params.contains_key("prompt"));
    let again = provider
        .authorization(&fake, &callback(), Prompt::LogInAgain)
        .await
        .unwrap();
    assert!(
        again
            .url
            .query_pairs()
            .any(|(k, v)| k == "prompt" && v == "login")
    );

    let now = OffsetDateTime::now_utc();
    answer_with(
        &fake,
        &signer.sign_jwt("JWT", &claims(&start, now)).unwrap(),
    );
    let user = finish(&provider, &fake, &start, now).await.unwrap();
    assert_eq!(
        (
            user.id.as_str(),
            user.username.as_str(),
            user.email.as_deref()
        ),
        ("user-1", "ada", Some("ada@example.com"))
    );
    // Discovery and keys were read once and kept.
    assert_eq!(fake.seen_at(&format!("{ISSUER}/jwks")).len(), 1);

    // Without an email in the ID token, userinfo's verified one is used.
    let mut without_email = claims(&start, now);
    without_email.as_object_mut().unwrap().remove("email");
    answer_with(&fake, &signer.sign_jwt("JWT", &without_email).unwrap());
    fake.answer(
        &format!("{ISSUER}/userinfo"),
        200,
        json!({ "sub": "user-1", "email": "ada@corp.example", "email_verified": true }),
    );
    let user = finish(&provider, &fake, &start, now).await.unwrap();
    assert_eq!(user.email.as_deref(), Some("ada@corp.example"));
    fake.answer(
        &format!("{ISSUER}/userinfo"),
        200,
        json!({ "sub": "user-1", "email": "ada@corp.example", "email_verified": false }),
    );
    assert_eq!(
        finish(&provider, &fake, &start, now).await.unwrap().email,
        None
    );

    // An issuer configured with trust_email: its address counts although it says
    // nothing of verification (Warrant's own ID tokens say `false`).
    let trusting = parse(&format!(
        "[idp]\npreset = \"oidc\"\nissuer = \"{ISSUER}\"\ntrust_email = true\nclient_id = \"warrant\"\nclient_secret = \"s\"\n"
    ))
    .unwrap()
    .remove(0);
    let start = trusting
        .authorization(&fake, &callback(), Prompt::AsUsual)
        .await
        .unwrap();
    let mut unverified = claims(&start, now);
    unverified["email_verified"] = json!(false);
    answer_with(&fake, &signer.sign_jwt("JWT", &unverified).unwrap());
    assert_eq!(
        finish(&trusting, &fake, &start, now)
            .await
            .unwrap()
            .email
            .as_deref(),
        Some("ada@example.com")
    );
}

#[tokio::test]
async fn id_tokens_that_must_not_verify_are_refused() {
    let signer = key();
    let stranger = key();
    let (provider, fake) = idp(&[&signer]);
    let start = provider
        .authorization(&fake, &callback(), Prompt::AsUsual)
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = claims(&start, now);
        change(&mut claims);
        signer.sign_jwt("JWT", &claims).unwrap()
    };
    let cases: Vec<(String, &str)> = vec![
        (
            with(&|c| c["nonce"] = json!("another-login")),
            "its nonce is not this login's",
        ),
        (
            with(&|c| {
                c.as_object_mut().unwrap().remove("nonce");
            }),
            "its nonce is not this login's",
        ),
        (
            with(&|c| c["aud"] = json!("someone-else")),
            "it is for another client",
        ),
        (with(&|c| c["aud"] = json!(["a", "warrant"])), ""),
        (
            with(&|c| c["iss"] = json!("http://evil.example")),
            "it names another issuer",
        ),
        (
            with(&|c| c["exp"] = json!(now.unix_timestamp() - 3600)),
            "it has expired",
        ),
        (
            stranger.sign_jwt("JWT", &claims(&start, now)).unwrap(),
            "no published key matches its kid",
        ),
        (
            {
                let token = signer.sign_jwt("JWT", &claims(&start, now)).unwrap();
                let (head, _) = token.rsplit_once('.').unwrap();
                let other = signer.sign_jwt("JWT", &json!({"sub": "x"})).unwrap();
                format!("{head}.{}", other.rsplit_once('.').unwrap().1)
            },
            "the signature does not verify",
        ),
    ];
    for (token, expected) in cases {
        answer_with(&fake, &token);
        let outcome = finish(&provider, &fake, &start, now).await;
        match (expected, outcome) {
            ("", Ok(_)) => {}
            (expected, Err(UpstreamError::IdToken(reason))) => assert_eq!(reason, expected),
            (expected, other) => panic!("{expected}: {other:?}"),
        }
    }

    // A token response without an ID token, or a login without its nonce.
    fake.answer(
        &format!("{ISSUER}/token"),
        200,
        json!({ "access_token": "at" }),
    );
    assert!(matches!(
        finish(&provider, &fake, &start, now).await,
        Err(UpstreamError::Protocol { .. })
    ));
    answer_with(
        &fake,
        &signer.sign_jwt("JWT", &claims(&start, now)).unwrap(),
    );
    let no_nonce = provider
        .finish(&fake, "code", &callback(), &start.verifier, None, now)
        .await;
    assert!(
        matches!(no_nonce, Err(UpstreamError::IdToken(_))),
        "{no_nonce:?}"
    );
}

#[tokio::test]
async fn a_rotated_key_is_fetched_and_a_foreign_issuer_refused() {
    let old = key();
    let (provider, fake) = idp(&[&old]);
    let start = provider
        .authorization(&fake, &callback(), Prompt::AsUsual)
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    // The provider rotates after its keys were read: the new kid makes us read them again.
    let new = key();
    publish(&fake, &[&old, &new]);
    answer_with(&fake, &new.sign_jwt("JWT", &claims(&start, now)).unwrap());
    assert!(finish(&provider, &fake, &start, now).await.is_ok());
    assert_eq!(fake.seen_at(&format!("{ISSUER}/jwks")).len(), 2);

    // Discovery that names another issuer is refused.
    let (provider, fake) = idp(&[&old]);
    fake.answer(
        &format!("{ISSUER}/.well-known/openid-configuration"),
        200,
        json!({ "issuer": "http://other.example", "authorization_endpoint": "http://other.example/a",
                "token_endpoint": "http://other.example/t", "jwks_uri": "http://other.example/k" }),
    );
    let refused = provider
        .authorization(&fake, &callback(), Prompt::AsUsual)
        .await;
    assert!(
        matches!(refused, Err(UpstreamError::Protocol { .. })),
        "{refused:?}"
    );
}
