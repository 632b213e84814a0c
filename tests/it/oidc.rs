//! OpenID Connect against the real binary, checked by a relying-party library no one here
//! wrote: the `openidconnect` crate discovers the provider (strictly: the issuer must
//! match), runs the code flow with PKCE and a nonce, validates ID tokens against the JWKS
//! and calls userinfo. Then the ID tokens it must refuse.

use std::str::FromStr;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

use crate::browser::{Browser, location, query_of};
use crate::support::{Server, TestEnv, oauth2_http};

const PASSWORD: &str = "correct-horse-battery";
const REDIRECT: &str = "http://127.0.0.1:9000/callback";
const AFTER_LOGOUT: &str = "http://127.0.0.1:9000/bye";
/// The browser origin the relying parties allow (CORS on userinfo).
const RP_ORIGIN: &str = "http://127.0.0.1:9000";

struct Setup {
    server: Server,
    /// Public clients by ID-token algorithm: RS256 (the default), ES256, EdDSA.
    clients: Vec<(CoreJwsSigningAlgorithm, String)>,
    /// A public client also allowed the implicit grant (ID tokens from the authorization
    /// endpoint).
    front_channel: String,
}

async fn setup(env: &TestEnv) -> Setup {
    env.create_user("alice", PASSWORD, &["--email", "alice@example.com"]);
    let create = |extra: &[&str]| -> String {
        let mut args = vec![
            "--name",
            "Photo App",
            "--client-type",
            "public",
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            "--redirect-uri",
            REDIRECT,
            "--post-logout-redirect-uri",
            AFTER_LOGOUT,
            "--allowed-origin",
            RP_ORIGIN,
        ];
        args.extend_from_slice(extra);
        env.create_app(&args)["client_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let clients = vec![
        (CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, create(&[])),
        (
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            create(&["--algorithm", "ES256"]),
        ),
        (
            CoreJwsSigningAlgorithm::EdDsa,
            create(&["--algorithm", "EdDSA"]),
        ),
    ];
    let front_channel = create(&["--grant", "implicit"]);
    let mut command = env.command(&["serve"]);
    // Rotations through the CLI are seen at once.
    command.env("WARRANT_OIDC__KEYS_CACHE_SECONDS", "0");
    Setup {
        server: Server::start(command).await,
        clients,
        front_channel,
    }
}

/// What a relying party holds after discovery.
struct RelyingParty {
    metadata: CoreProviderMetadata,
    client_id: String,
}

impl RelyingParty {
    async fn discover(server: &Server, client_id: &str) -> Self {
        let issuer = IssuerUrl::new(server.base_url.clone()).unwrap();
        let metadata = CoreProviderMetadata::discover_async(issuer, &oauth2_http)
            .await
            .unwrap_or_else(|e| panic!("discovery failed: {e:?}"));
        Self {
            metadata,
            client_id: client_id.to_owned(),
        }
    }

    fn client(
        &self,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.client_id.clone()),
            None,
        )
        .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap())
    }
}

/// One login with the code flow: the ID token (unverified), the access token and the nonce.
struct SignIn {
    id_token: CoreIdToken,
    access_token: openidconnect::AccessToken,
    refresh_token: openidconnect::RefreshToken,
    nonce: Nonce,
}

async fn sign_in(server: &Server, rp: &RelyingParty) -> SignIn {
    let mut browser = Browser::new(server);
    sign_in_with(&mut browser, rp).await
}

/// [`sign_in`] in `browser`, which logs in first.
async fn sign_in_with(browser: &mut Browser<'_>, rp: &RelyingParty) -> SignIn {
    let client = rp.client();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    browser.log_in("alice", PASSWORD).await;
    let path = format!("{}?{}", url.path(), url.query().unwrap());
    let consent = browser.get(&path).await;
    assert_eq!(consent.status, 200, "{consent:?}");
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let answer = query_of(location(&approved));
    assert_eq!(answer.get("state"), Some(state.secret()));
    // RFC 9207: the answer names its issuer.
    assert_eq!(answer.get("iss"), Some(&browser.base_url().to_owned()));

    let tokens = client
        .exchange_code(AuthorizationCode::new(answer["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&oauth2_http)
        .await
        .unwrap_or_else(|e| panic!("code exchange refused: {e:?}"));
    SignIn {
        id_token: tokens.id_token().expect("an ID token").clone(),
        access_token: tokens.access_token().clone(),
        refresh_token: tokens.refresh_token().expect("a refresh token").clone(),
        nonce,
    }
}

pub async fn the_openidconnect_crate_signs_in_with_each_algorithm(env: &TestEnv) {
    let setup = setup(env).await;
    for (algorithm, client_id) in &setup.clients {
        let rp = RelyingParty::discover(&setup.server, client_id).await;
        let first = sign_in(&setup.server, &rp).await;
        let client = rp.client();
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs([algorithm.clone()]);
        let claims = first
            .id_token
            .claims(&verifier, &first.nonce)
            .unwrap_or_else(|e| panic!("{algorithm:?}: the ID token does not verify: {e:?}"));
        assert_eq!(claims.issuer().as_str(), setup.server.base_url);
        assert_eq!(
            claims.preferred_username().map(|u| u.as_str()),
            Some("alice")
        );
        assert_eq!(
            claims.email().map(|e| e.as_str()),
            Some("alice@example.com")
        );
        assert!(claims.auth_time().is_some());

        // at_hash binds the access token to the ID token.
        let signing_alg = first.id_token.signing_alg().unwrap();
        let key = first.id_token.signing_key(&verifier).unwrap();
        let expected = AccessTokenHash::from_token(&first.access_token, signing_alg, key).unwrap();
        assert_eq!(claims.access_token_hash(), Some(&expected), "{algorithm:?}");

        let info: CoreUserInfoClaims = client
            .user_info(first.access_token.clone(), Some(claims.subject().clone()))
            .unwrap()
            .request_async(&oauth2_http)
            .await
            .unwrap_or_else(|e| panic!("userinfo refused: {e:?}"));
        assert_eq!(info.subject(), claims.subject());
        assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("alice"));
        assert_ne!(
            claims.subject().as_str(),
            "alice",
            "sub is not the username"
        );

        // A relying party that enforces a max_age (openid-client's default_max_age) needs
        // auth_time in every ID token, refreshed ones too (OIDC Core §12.2).
        let needs_auth_time = client
            .id_token_verifier()
            .set_allowed_algs([algorithm.clone()])
            .set_auth_time_verifier_fn(|auth_time| {
                auth_time.map(drop).ok_or_else(|| "no auth_time".to_owned())
            });
        let refreshed = client
            .exchange_refresh_token(&first.refresh_token)
            .unwrap()
            .request_async(&oauth2_http)
            .await
            .unwrap_or_else(|e| panic!("refresh refused: {e:?}"));
        let refreshed_claims = refreshed
            .id_token()
            .expect("a refreshed ID token")
            .claims(&needs_auth_time, |nonce: Option<&Nonce>| match nonce {
                None => Ok(()),
                Some(_) => Err("a refreshed ID token repeats the nonce".to_owned()),
            })
            .unwrap_or_else(|e| panic!("{algorithm:?}: the refreshed ID token is refused: {e:?}"));
        assert_eq!(refreshed_claims.auth_time(), claims.auth_time());
    }
}

/// The JWT with another subject in its claims, or with its signature's bytes changed.
fn tampered(token: &CoreIdToken, part: usize) -> CoreIdToken {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let text = token.to_string();
    let mut parts: Vec<String> = text.split('.').map(str::to_owned).collect();
    let mut bytes = URL_SAFE_NO_PAD.decode(&parts[part]).unwrap();
    if part == 1 {
        let mut claims: Value = serde_json::from_slice(&bytes).unwrap();
        claims["sub"] = Value::from("1000");
        bytes = serde_json::to_vec(&claims).unwrap();
    } else {
        bytes[10] ^= 1;
    }
    parts[part] = URL_SAFE_NO_PAD.encode(bytes);
    CoreIdToken::from_str(&parts.join(".")).unwrap()
}

pub async fn id_tokens_that_must_not_verify_are_refused(env: &TestEnv) {
    let setup = setup(env).await;
    let (_, client_id) = &setup.clients[0];
    let rp = RelyingParty::discover(&setup.server, client_id).await;
    let first = sign_in(&setup.server, &rp).await;
    let client = rp.client();
    let verifier = client.id_token_verifier();
    first
        .id_token
        .claims(&verifier, &first.nonce)
        .expect("the untouched token verifies");

    let wrong_nonce = first
        .id_token
        .claims(&verifier, &Nonce::new("another-nonce".into()));
    assert!(wrong_nonce.is_err(), "wrong nonce accepted");

    let other_audience = CoreIdTokenVerifier::new_public_client(
        ClientId::new("someone-else".into()),
        rp.metadata.issuer().clone(),
        rp.metadata.jwks().clone(),
    );
    assert!(
        first
            .id_token
            .claims(&other_audience, &first.nonce)
            .is_err(),
        "wrong audience accepted"
    );

    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let later = client.id_token_verifier().set_time_fn(move || tomorrow);
    assert!(
        first.id_token.claims(&later, &first.nonce).is_err(),
        "expired token accepted"
    );

    for part in [1, 2] {
        assert!(
            tampered(&first.id_token, part)
                .claims(&verifier, &first.nonce)
                .is_err(),
            "token with part {part} tampered with accepted"
        );
    }

    // A key the relying party has not seen: the provider rotates, the RP's JWKS (from
    // discovery) lacks the new kid until it fetches the JWKS again.
    let rotated = env.run(&["keys", "rotate", "--algorithm", "RS256"], None);
    assert!(rotated.status.success(), "{rotated:?}");
    let after_rotation = sign_in(&setup.server, &rp).await;
    assert!(
        after_rotation
            .id_token
            .claims(&verifier, &after_rotation.nonce)
            .is_err(),
        "unknown kid accepted"
    );
    let fresh_jwks = CoreJsonWebKeySet::fetch_async(rp.metadata.jwks_uri(), &oauth2_http)
        .await
        .unwrap();
    let refreshed = CoreIdTokenVerifier::new_public_client(
        ClientId::new(client_id.clone()),
        rp.metadata.issuer().clone(),
        fresh_jwks,
    );
    after_rotation
        .id_token
        .claims(&refreshed, &after_rotation.nonce)
        .expect("the new key is published");
    first
        .id_token
        .claims(&refreshed, &first.nonce)
        .expect("the retired key stays published while its tokens live");
}

pub async fn discovery_jwks_and_userinfo_over_http(env: &TestEnv) {
    let setup = setup(env).await;
    let server = &setup.server;
    let (status, root) = server.get("/.well-known/openid-configuration").await;
    assert_eq!(status, 200);
    let document: Value = serde_json::from_str(&root).unwrap();
    for path in [
        "/o/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let (status, body) = server.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            document,
            "{path}"
        );
    }
    assert_eq!(document["issuer"], server.base_url);
    assert_eq!(
        document["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(
        document["userinfo_endpoint"],
        format!("{}/o/userinfo/", server.base_url)
    );
    assert!(
        document["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from("openid"))
    );

    let (status, _) = server
        .get("/.well-known/oauth-authorization-server/tenant")
        .await;
    assert_eq!(status, 404, "this issuer has no path");

    // RFC 8414 §3.1: an issuer with a path has its metadata after the well-known name.
    let mut behind_proxy = env.command(&["serve"]);
    behind_proxy.env(
        "WARRANT_SERVER__ISSUER",
        "https://auth.example.com/tenant-a",
    );
    let behind_proxy = crate::support::Server::start(behind_proxy).await;
    for path in [
        "/.well-known/oauth-authorization-server/tenant-a",
        "/.well-known/openid-configuration/tenant-a",
        "/.well-known/openid-configuration",
    ] {
        let (status, body) = behind_proxy.get(path).await;
        assert_eq!(status, 200, "{path}");
        let document: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            document["issuer"], "https://auth.example.com/tenant-a",
            "{path}"
        );
        assert_eq!(
            document["token_endpoint"],
            "https://auth.example.com/tenant-a/o/token/"
        );
    }
    let (status, _) = behind_proxy
        .get("/.well-known/oauth-authorization-server/tenant-b")
        .await;
    assert_eq!(status, 404);
    drop(behind_proxy);

    let jwks = server
        .request("GET", "/o/.well-known/jwks.json", &[], vec![])
        .await;
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.header("access-control-allow-origin"), Some("*"));
    let keys = jwks.json()["keys"].as_array().unwrap().clone();
    let algorithms: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert_eq!(algorithms.len(), 3, "{algorithms:?}");
    for algorithm in ["RS256", "ES256", "EdDSA"] {
        assert!(algorithms.contains(&algorithm), "{algorithm}");
    }
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(keys.iter().all(|k| k.get(private).is_none()), "{private}");
    }
    let listed: Value =
        serde_json::from_slice(&env.run(&["keys", "list", "--json"], None).stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);

    // Userinfo: a bearer token with openid, by GET and POST.
    let rp = RelyingParty::discover(server, &setup.clients[0].1).await;
    let first = sign_in(server, &rp).await;
    let bearer = format!("Bearer {}", first.access_token.secret());
    for method in ["GET", "POST"] {
        let reply = server
            .request(
                method,
                "/o/userinfo/",
                &[("Authorization", bearer.clone())],
                vec![],
            )
            .await;
        assert_eq!(reply.status, 200, "{method}: {reply:?}");
        assert_eq!(reply.json()["preferred_username"], "alice");
    }
    // Browser apps: the token's client allows its origin, and only that one.
    for (origin, readable) in [(RP_ORIGIN, true), ("https://evil.example", false)] {
        let reply = server
            .request(
                "GET",
                "/o/userinfo/",
                &[
                    ("Authorization", bearer.clone()),
                    ("Origin", origin.to_owned()),
                ],
                vec![],
            )
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("access-control-allow-origin"),
            readable.then_some(origin),
            "{origin}"
        );
        let preflight = server
            .request(
                "OPTIONS",
                "/o/userinfo/",
                &[
                    ("Origin", origin.to_owned()),
                    ("Access-Control-Request-Method", "GET".to_owned()),
                ],
                vec![],
            )
            .await;
        assert_eq!(preflight.status, 204);
        assert_eq!(
            preflight.header("access-control-allow-methods"),
            readable.then_some("GET, POST"),
            "{origin}"
        );
    }
    let anonymous = server.request("GET", "/o/userinfo/", &[], vec![]).await;
    assert_eq!(anonymous.status, 401);
    assert!(
        anonymous
            .header("www-authenticate")
            .is_some_and(|c| c.starts_with("Bearer")),
        "{anonymous:?}"
    );
    let unknown = server
        .request(
            "GET",
            "/o/userinfo/",
            &[("Authorization", "Bearer not-a-token".to_owned())],
            vec![],
        )
        .await;
    unknown.assert_oauth_error(401, "invalid_token");
}

pub async fn userinfo_needs_the_openid_scope(env: &TestEnv) {
    let setup = setup(env).await;
    let server = &setup.server;
    let mut browser = Browser::new(server);
    browser.log_in("alice", PASSWORD).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let path = format!(
        "/o/authorize/?response_type=code&client_id={}&redirect_uri={}&scope=profile&code_challenge={}&code_challenge_method=S256",
        setup.clients[0].1,
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        challenge.as_str()
    );
    let consent = browser.get(&path).await;
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let code = query_of(location(&approved))["code"].clone();
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id={}&code_verifier={}",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        setup.clients[0].1,
        verifier.secret()
    );
    let tokens = server.post_form("/o/token/", &body, None).await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
    assert!(
        tokens.json().get("id_token").is_none(),
        "no openid, no ID token"
    );
    let access_token = tokens.json()["access_token"].as_str().unwrap().to_owned();
    server
        .get_with_bearer("/o/userinfo/", &access_token)
        .await
        .assert_oauth_error(403, "insufficient_scope");
}

/// Approves `url` (an authorization request) in a logged-in browser; the answer's fragment.
async fn approve_in_browser(
    server: &Server,
    url: &url::Url,
) -> std::collections::BTreeMap<String, String> {
    let mut browser = Browser::new(server);
    browser.log_in("alice", PASSWORD).await;
    let consent = browser
        .get(&format!("{}?{}", url.path(), url.query().unwrap()))
        .await;
    assert_eq!(consent.status, 200, "{consent:?}");
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let answer = url::Url::parse(location(&approved)).unwrap();
    assert_eq!(answer.query(), None, "tokens never go in the query");
    url::form_urlencoded::parse(answer.fragment().unwrap().as_bytes())
        .into_owned()
        .collect()
}

pub async fn implicit_and_hybrid_id_tokens_verify(env: &TestEnv) {
    use openidconnect::core::CoreResponseType;
    use openidconnect::{AccessToken, AuthorizationCodeHash};
    let setup = setup(env).await;
    let rp = RelyingParty::discover(&setup.server, &setup.front_channel).await;
    let client = rp.client();
    let verifier = client.id_token_verifier();

    // Implicit: `id_token token`.
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::Implicit(true),
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .url();
    let answer = approve_in_browser(&setup.server, &url).await;
    assert_eq!(answer.get("state"), Some(state.secret()));
    assert_eq!(answer.get("iss"), Some(&setup.server.base_url), "RFC 9207");
    let id_token = CoreIdToken::from_str(&answer["id_token"]).unwrap();
    let claims = id_token
        .claims(&verifier, &nonce)
        .unwrap_or_else(|e| panic!("implicit ID token refused: {e:?}"));
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some("alice")
    );
    let access_token = AccessToken::new(answer["access_token"].clone());
    let expected = AccessTokenHash::from_token(
        &access_token,
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected));

    // Hybrid: `code id_token`, then the code is exchanged as usual.
    let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::Hybrid(vec![CoreResponseType::Code, CoreResponseType::IdToken]),
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let answer = approve_in_browser(&setup.server, &url).await;
    assert_eq!(answer.get("iss"), Some(&setup.server.base_url), "RFC 9207");
    let id_token = CoreIdToken::from_str(&answer["id_token"]).unwrap();
    let claims = id_token
        .claims(&verifier, &nonce)
        .unwrap_or_else(|e| panic!("hybrid ID token refused: {e:?}"));
    let code = AuthorizationCode::new(answer["code"].clone());
    let expected = AuthorizationCodeHash::from_code(
        &code,
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.code_hash(), Some(&expected));
    let tokens = client
        .exchange_code(code)
        .unwrap()
        .set_pkce_verifier(pkce_verifier)
        .request_async(&oauth2_http)
        .await
        .unwrap_or_else(|e| panic!("hybrid code exchange refused: {e:?}"));
    tokens
        .id_token()
        .unwrap()
        .claims(&verifier, &nonce)
        .expect("the token endpoint's ID token carries the same nonce");
}

pub async fn prompt_max_age_and_login_hint(env: &TestEnv) {
    let setup = setup(env).await;
    let server = &setup.server;
    let client_id = &setup.clients[0].1;
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let authorize = |extra: &str| {
        format!(
            "/o/authorize/?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid&state=s1&code_challenge={}&code_challenge_method=S256{extra}",
            url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
            challenge.as_str()
        )
    };
    let mut browser = Browser::new(server);
    let error_of = |reply: &crate::support::Reply| {
        let answer = query_of(location(reply));
        assert_eq!(answer.get("state").map(String::as_str), Some("s1"));
        answer.get("error").cloned()
    };

    let not_logged_in = browser.get(&authorize("&prompt=none")).await;
    assert_eq!(not_logged_in.status, 303);
    assert_eq!(error_of(&not_logged_in).as_deref(), Some("login_required"));

    let hinted = browser
        .get(&authorize("&login_hint=alice%40example.com"))
        .await;
    let login_page = browser.get(location(&hinted)).await;
    assert!(
        login_page.body.contains(r#"value="alice@example.com""#),
        "login_hint fills in the username"
    );

    browser.log_in("alice", PASSWORD).await;
    let no_consent_yet = browser.get(&authorize("&prompt=none")).await;
    assert_eq!(
        error_of(&no_consent_yet).as_deref(),
        Some("consent_required")
    );

    for extra in ["&prompt=login", "&max_age=0"] {
        let again = browser.get(&authorize(extra)).await;
        assert_eq!(again.status, 303, "{extra}");
        let to = location(&again).to_owned();
        assert!(to.starts_with("/accounts/login/"), "{extra}: {to}");
        let page = browser.get(&to).await;
        assert!(page.body.contains("Log in again to continue."), "{extra}");
        let logged_in = browser
            .submit(
                &page,
                "/accounts/login/",
                &[("username", "alice"), ("password", PASSWORD)],
            )
            .await;
        let back = location(&logged_in).to_owned();
        assert!(
            !back.contains("prompt=login") && !back.contains("max_age"),
            "{back}"
        );
        let consent = browser.get(&back).await;
        assert_eq!(
            consent.status, 200,
            "{extra}: no loop back to the login page"
        );
        assert!(consent.body.contains("Authorize"), "{extra}");
    }
}

pub async fn rp_initiated_logout(env: &TestEnv) {
    use openidconnect::{LogoutRequest, PostLogoutRedirectUrl, ProviderMetadataWithLogout};
    let setup = setup(env).await;
    let server = &setup.server;
    let client_id = &setup.clients[0].1;
    let rp = RelyingParty::discover(server, client_id).await;
    let issuer = IssuerUrl::new(server.base_url.clone()).unwrap();
    let with_logout = ProviderMetadataWithLogout::discover_async(issuer, &oauth2_http)
        .await
        .unwrap();
    let end_session = with_logout
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .expect("the metadata names the end-session endpoint");
    let logout_path = |url: url::Url| format!("{}?{}", url.path(), url.query().unwrap_or_default());

    // With an ID token as hint: logged out at once, sent back with the state.
    let mut browser = Browser::new(server);
    let first = sign_in_with(&mut browser, &rp).await;
    let url = LogoutRequest::from(end_session.clone())
        .set_id_token_hint(&first.id_token)
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(AFTER_LOGOUT.into()).unwrap())
        .set_state(CsrfToken::new("bye-1".into()))
        .http_get_url();
    let reply = browser.get(&logout_path(url)).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    assert_eq!(location(&reply), format!("{AFTER_LOGOUT}?state=bye-1"));
    let home = browser.get("/accounts/login/").await;
    assert!(
        !home.body.contains("You are logged in"),
        "the session ended"
    );
    // And, as Django OAuth Toolkit does by default, the tokens the user granted.
    let userinfo = server
        .get_with_bearer("/o/userinfo/", first.access_token.secret())
        .await;
    assert_eq!(userinfo.status, 401, "the access token was revoked");
    let refreshed = rp
        .client()
        .exchange_refresh_token(&first.refresh_token)
        .unwrap()
        .request_async(&oauth2_http)
        .await;
    assert!(refreshed.is_err(), "the refresh token was revoked");

    // Without a hint the user confirms first.
    let second = sign_in_with(&mut browser, &rp).await;
    let url = LogoutRequest::from(end_session.clone())
        .set_client_id(ClientId::new(client_id.clone()))
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(AFTER_LOGOUT.into()).unwrap())
        .http_get_url();
    let confirm = browser.get(&logout_path(url)).await;
    assert_eq!(confirm.status, 200);
    assert!(
        confirm
            .body
            .contains("Log out from <strong>Photo App</strong>?")
    );
    assert!(
        browser
            .get("/accounts/login/")
            .await
            .body
            .contains("You are logged in"),
        "not logged out before confirming"
    );
    let still = server
        .get_with_bearer("/o/userinfo/", second.access_token.secret())
        .await;
    assert_eq!(still.status, 200, "tokens live until the user confirms");
    let done = browser.submit(&confirm, "/o/logout/", &[]).await;
    assert_eq!(location(&done), AFTER_LOGOUT);
    assert!(
        !browser
            .get("/accounts/login/")
            .await
            .body
            .contains("You are logged in")
    );
    let revoked = server
        .get_with_bearer("/o/userinfo/", second.access_token.secret())
        .await;
    assert_eq!(revoked.status, 401, "the confirmed logout revoked them");

    // An unregistered destination is never redirected to.
    let url = LogoutRequest::from(end_session)
        .set_id_token_hint(&first.id_token)
        .set_post_logout_redirect_uri(
            PostLogoutRedirectUrl::new("https://evil.example/".into()).unwrap(),
        )
        .http_get_url();
    let reply = browser.get(&logout_path(url)).await;
    assert_eq!(reply.status, 400);
    assert!(reply.header("location").is_none());
}

/// JWT access tokens (RFC 9068, `generators.access_token.kind = "jwt"`), checked by a JOSE
/// library no one here wrote against the published JWKS; revocation still works online.
pub async fn jwt_access_tokens_verify_offline_and_revoke_online(env: &TestEnv) {
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    env.create_user("alice", PASSWORD, &[]);
    let created = env.create_app(&[
        "--name",
        "API client",
        "--client-type",
        "confidential",
        "--grant",
        "password",
        "--grant",
        "client_credentials",
    ]);
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();

    for (name, algorithm) in [
        ("RS256", Algorithm::RS256),
        ("ES256", Algorithm::ES256),
        ("EdDSA", Algorithm::EdDSA),
    ] {
        let mut command = env.command(&["serve"]);
        command
            .env("WARRANT_GENERATORS__ACCESS_TOKEN__KIND", "jwt")
            .env("WARRANT_GENERATORS__ACCESS_TOKEN__ALGORITHM", name)
            .env(
                "WARRANT_GENERATORS__ACCESS_TOKEN__AUDIENCE",
                "https://music.example.com",
            );
        let server = Server::start(command).await;
        let issued = server
            .post_form(
                "/o/token/",
                &format!("grant_type=password&username=alice&password={PASSWORD}&scope=read"),
                Some((&id, &secret)),
            )
            .await;
        assert_eq!(issued.status, 200, "{issued:?}");
        let token = issued.json()["access_token"].as_str().unwrap().to_owned();

        let header = decode_header(&token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"), "{name}");
        assert_eq!(header.alg, algorithm);
        let (_, jwks) = server.get("/o/.well-known/jwks.json").await;
        let jwks: JwkSet = serde_json::from_str(&jwks).unwrap();
        let jwk = jwks
            .find(header.kid.as_deref().unwrap())
            .expect("the kid is published");
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&server.base_url]);
        validation.set_audience(&["https://music.example.com"]);
        let claims = decode::<Value>(&token, &key, &validation)
            .unwrap_or_else(|e| panic!("{name}: the JWT does not verify: {e:?}"))
            .claims;
        assert_eq!(claims["client_id"], id.as_str());
        assert_eq!(claims["scope"], "read");
        let introspected = server
            .post_form(
                "/o/introspect/",
                &format!("token={token}"),
                Some((&id, &secret)),
            )
            .await
            .json();
        assert_eq!(introspected["active"], true);
        assert_eq!(claims["sub"], introspected["sub"], "the user's stable id");

        let mut other_audience = Validation::new(algorithm);
        other_audience.set_audience(&["https://elsewhere.example.com"]);
        assert!(
            decode::<Value>(&token, &key, &other_audience).is_err(),
            "{name}: audience"
        );
        let (head, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let forged_claims = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(
                &serde_json::json!({"sub": "1", "aud": "https://music.example.com"}),
            )
            .unwrap(),
        );
        let forged = format!("{head}.{forged_claims}.{signature}");
        assert!(
            decode::<Value>(&forged, &key, &validation).is_err(),
            "{name}: forged"
        );

        // Offline checks cannot see a revocation; introspection and Warrant's own
        // endpoints do.
        let revoked = server
            .post_form(
                "/o/revoke_token/",
                &format!("token={token}"),
                Some((&id, &secret)),
            )
            .await;
        assert_eq!(revoked.status, 200);
        let introspected = server
            .post_form(
                "/o/introspect/",
                &format!("token={token}"),
                Some((&id, &secret)),
            )
            .await
            .json();
        assert_eq!(introspected["active"], false, "{name}");
        server
            .get_with_bearer("/api/profile/", &token)
            .await
            .assert_oauth_error(401, "invalid_token");

        let machine = server
            .post_form(
                "/o/token/",
                "grant_type=client_credentials",
                Some((&id, &secret)),
            )
            .await
            .json();
        let token = machine["access_token"].as_str().unwrap();
        let claims = decode::<Value>(token, &key, &validation).unwrap().claims;
        assert_eq!(
            claims["sub"],
            id.as_str(),
            "{name}: no user, the client is the subject"
        );
    }
}

/// The `kid` of the ID token `server` issues for a password grant with `openid`.
async fn id_token_kid(server: &Server, id: &str, secret: &str) -> String {
    let reply = server
        .post_form(
            "/o/token/",
            &format!("grant_type=password&username=alice&password={PASSWORD}&scope=openid"),
            Some((id, secret)),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let id_token = reply.json()["id_token"].as_str().unwrap().to_owned();
    let header = id_token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

/// The kids a server publishes, sorted.
async fn published_kids(server: &Server) -> Vec<String> {
    let (_, jwks) = server.get("/o/.well-known/jwks.json").await;
    let jwks: Value = serde_json::from_str(&jwks).unwrap();
    let mut kids: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    kids.sort();
    kids
}

pub async fn instances_sharing_a_database_agree_on_the_signing_key(env: &TestEnv) {
    let migrated = env.run(&["migrate"], None);
    assert!(migrated.status.success());
    env.create_user("alice", PASSWORD, &[]);
    let created = env.create_app(&[
        "--name",
        "RP",
        "--client-type",
        "confidential",
        "--grant",
        "password",
    ]);
    let (id, secret) = (
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap(),
    );
    // Two instances start at once on a database without keys.
    let instance = || {
        let mut command = env.command(&["serve", "--no-migrate"]);
        command.env("WARRANT_OIDC__KEYS_CACHE_SECONDS", "0");
        Server::start(command)
    };
    let (first, second) = tokio::join!(instance(), instance());

    let kid = id_token_kid(&first, id, secret).await;
    assert_eq!(id_token_kid(&second, id, secret).await, kid);
    assert_eq!(published_kids(&first).await, published_kids(&second).await);

    let rotated = env.run(&["keys", "rotate", "--algorithm", "RS256"], None);
    assert!(rotated.status.success(), "{rotated:?}");
    let new_kid = id_token_kid(&first, id, secret).await;
    assert_ne!(new_kid, kid, "the rotation reached the running instance");
    assert_eq!(id_token_kid(&second, id, secret).await, new_kid);
    let kids = published_kids(&second).await;
    assert!(kids.contains(&kid) && kids.contains(&new_kid), "{kids:?}");
    assert_eq!(published_kids(&first).await, kids);
}

/// Runs `openssl args…` in `dir` (keys made the way operators make them).
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let output = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed (.ci/run installs it)");
    assert!(output.status.success(), "openssl {args:?}: {output:?}");
}

pub async fn keys_operators_bring_are_imported_from_pem(env: &TestEnv) {
    // An old `openssl genrsa` key (PKCS#1), as a Django OAuth Toolkit server's
    // OIDC_RSA_PRIVATE_KEY often is, and an EC key in PKCS#8.
    openssl(
        &env.dir,
        &["genrsa", "-traditional", "-out", "dot.pem", "2048"],
    );
    openssl(
        &env.dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "ec.pem",
        ],
    );
    let imported = env.run(
        &[
            "keys",
            "import",
            "--algorithm",
            "RS256",
            "--pem-file",
            "dot.pem",
        ],
        None,
    );
    assert!(imported.status.success(), "{imported:?}");
    let stdout = crate::support::text(&imported.stdout);
    let kid = stdout
        .split_whitespace()
        .nth(4)
        .unwrap()
        .trim_end_matches(';')
        .to_owned();

    crate::support::assert_one_line_error(
        &env.run(
            &[
                "keys",
                "import",
                "--algorithm",
                "EdDSA",
                "--pem-file",
                "ec.pem",
            ],
            None,
        ),
        "ec.pem",
    );
    crate::support::assert_one_line_error(
        &env.run(
            &[
                "keys",
                "import",
                "--algorithm",
                "ES256",
                "--pem-file",
                "missing.pem",
            ],
            None,
        ),
        "missing.pem",
    );
    crate::support::assert_one_line_error(
        &env.run(&["keys", "rotate", "--algorithm", "HS256"], None),
        "HS256",
    );
    let ec = env.run(
        &[
            "keys",
            "import",
            "--algorithm",
            "ES256",
            "--pem-file",
            "ec.pem",
        ],
        None,
    );
    assert!(ec.status.success(), "{ec:?}");

    env.create_user("alice", PASSWORD, &[]);
    let created = env.create_app(&[
        "--name",
        "RP",
        "--client-type",
        "confidential",
        "--grant",
        "password",
    ]);
    let server = Server::start(env.command(&["serve"])).await;
    let (id, secret) = (
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap(),
    );
    assert_eq!(
        id_token_kid(&server, id, secret).await,
        kid,
        "signed with the imported key"
    );
    assert!(published_kids(&server).await.contains(&kid));
}
