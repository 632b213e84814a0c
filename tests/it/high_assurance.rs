//! High-assurance OAuth driven by oauth4webapi (panva's certified client library, pinned
//! in tests/node; `tests/node/oauth-client.mjs` runs it one JSON command at a time): pushed
//! authorization requests (RFC 9126), `private_key_jwt` (RFC 7523), DPoP (RFC 9449) and a
//! FAPI 2.0 client end to end, and every refusal a client or attacker meets: a reused or
//! expired `request_uri`, a plain request from a client that must push, a push with the
//! wrong secret, a replayed assertion (also to another instance on the same PostgreSQL),
//! one for another audience, an expired one, one signed by a key the client does not have,
//! a DPoP-bound token as a bearer token or with a proof for another method, URL, time or
//! key, or used before.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use serde_json::{Value, json};

use crate::browser::{Browser, location, query_of};
use crate::support::{Server, TestEnv, node_modules, node_script, serve_json};

const PASSWORD: &str = "correct-horse-battery";
const REDIRECT: &str = "https://client.example/cb";
/// RFC 7636 Appendix B's PKCE verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// oauth4webapi in a node process, answering one command per line.
pub(crate) struct OAuthClient {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl OAuthClient {
    pub(crate) fn start(env: &TestEnv, modules: &std::path::Path) -> Self {
        let mut child = node_script(env, modules, "oauth-client.mjs")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is on the machine");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            input,
            output,
        }
    }

    /// Runs `command`: `Ok` with what the library returned, or `Err` with the error it
    /// raised (`{"error", "description", "status"}`).
    pub(crate) fn call(&mut self, command: Value) -> Result<Value, Value> {
        writeln!(self.input, "{command}").unwrap();
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the oauth4webapi client stopped");
        let mut answer: Value = serde_json::from_str(&line).unwrap();
        match answer.get_mut("ok") {
            Some(ok) => Ok(ok.take()),
            None => Err(answer),
        }
    }

    /// Runs `command`, which must succeed.
    pub(crate) fn ok(&mut self, command: Value) -> Value {
        self.call(command.clone())
            .unwrap_or_else(|error| panic!("{command} failed: {error}"))
    }
}

impl Drop for OAuthClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The authorization request a client pushes.
fn pushed_params(state: &str) -> Value {
    json!({
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "read",
        "state": state,
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    })
}

/// A confidential application named Bank, redirecting to [`REDIRECT`], with the
/// authorization-code grant and `extra` arguments of `warrant app create`: as created.
fn bank_app(env: &TestEnv, extra: &[&str]) -> Value {
    let mut args = vec![
        "--name",
        "Bank",
        "--client-type",
        "confidential",
        "--grant",
        "authorization-code",
        "--redirect-uri",
        REDIRECT,
    ];
    args.extend_from_slice(extra);
    env.create_app(&args)
}

/// Asserts a refusal at a resource that names the DPoP scheme (RFC 9449 §7.1).
pub(crate) fn assert_dpop_challenge(reply: &crate::support::Reply) {
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(
        reply
            .header("www-authenticate")
            .is_some_and(|challenge| challenge.starts_with("DPoP ")),
        "{reply:?}"
    );
}

/// The path the browser is sent to for a pushed request.
fn by_reference(client_id: &str, request_uri: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    format!("/o/authorize/?{query}")
}

pub async fn pushed_authorization_requests_with_oauth4webapi(env: &TestEnv) {
    let Some(modules) = node_modules("oauth4webapi test") else {
        return;
    };
    env.create_user("alice", PASSWORD, &[]);
    let app = bank_app(env, &["--require-par"]);
    let client_id = app["client_id"].as_str().unwrap();
    let secret = app["client_secret"].as_str().unwrap();
    let mut serve = env.command(&["serve"]);
    serve.env("WARRANT_OAUTH2__PUSHED_REQUEST_EXPIRE_SECONDS", "5");
    let warrant = Server::start(serve).await;

    let mut client = OAuthClient::start(env, &modules);
    let metadata = client.ok(json!({"op": "discover", "issuer": warrant.base_url}));
    assert_eq!(
        metadata["pushed_authorization_request_endpoint"],
        format!("{}/o/par/", warrant.base_url)
    );
    client.ok(json!({
        "op": "client",
        "client_id": client_id,
        "auth": {"method": "client_secret_basic", "secret": secret},
    }));
    let pushed = client.ok(json!({"op": "par", "params": pushed_params("s1")}));
    assert_eq!(pushed["expires_in"], 5);
    let request_uri = pushed["request_uri"].as_str().unwrap();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));

    // The browser brings only the client id and the request URI.
    let mut browser = Browser::new(&warrant);
    let to_login = browser.get(&by_reference(client_id, request_uri)).await;
    assert_eq!(to_login.status, 303, "{to_login:?}");
    assert!(location(&to_login).starts_with("/accounts/login/"));
    browser.log_in("alice", PASSWORD).await;
    let path = by_reference(client_id, request_uri);
    let consent = browser.get(&path).await;
    assert_eq!(consent.status, 200, "{consent:?}");
    assert!(consent.body.contains("Bank"), "{}", consent.body);
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let callback = location(&approved).to_owned();
    assert!(callback.starts_with(REDIRECT), "{callback}");
    let tokens = client.ok(json!({
        "op": "code",
        "callback": callback,
        "state": "s1",
        "verifier": VERIFIER,
        "redirect_uri": REDIRECT,
    }));
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["scope"], "read");

    // Used: the same request URI is refused, on a page (never a redirect).
    let reused = browser.get(&path).await;
    assert_eq!(reused.status, 400, "{reused:?}");
    assert!(reused.header("location").is_none());
    assert!(
        reused.body.contains("invalid_request_uri"),
        "{}",
        reused.body
    );

    // This client must push: a plain request is sent back with invalid_request.
    let plain = format!(
        "/o/authorize/?client_id={client_id}&response_type=code&redirect_uri={}&state=s2&code_challenge={CHALLENGE}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let refused = browser.get(&plain).await;
    let answer = query_of(location(&refused));
    assert_eq!(answer["error"], "invalid_request", "{answer:?}");
    assert_eq!(answer["state"], "s2");

    // Not brought within its lifetime: expired.
    let late = client.ok(json!({"op": "par", "params": pushed_params("s3")}));
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let expired = browser
        .get(&by_reference(
            client_id,
            late["request_uri"].as_str().unwrap(),
        ))
        .await;
    assert_eq!(expired.status, 400, "{expired:?}");
    assert!(expired.body.contains("invalid_request_uri"));

    // A push is authenticated as at the token endpoint, and checked as at the authorization
    // endpoint.
    client.ok(json!({
        "op": "client",
        "client_id": client_id,
        "auth": {"method": "client_secret_basic", "secret": "wrong"},
    }));
    let wrong_secret = client
        .call(json!({"op": "par", "params": pushed_params("s4")}))
        .unwrap_err();
    assert_eq!(wrong_secret["error"], "invalid_client", "{wrong_secret}");
    assert_eq!(wrong_secret["status"], 401);
    client.ok(json!({
        "op": "client",
        "client_id": client_id,
        "auth": {"method": "client_secret_post", "secret": secret},
    }));
    let mut elsewhere = pushed_params("s5");
    elsewhere["redirect_uri"] = json!("https://attacker.example/cb");
    let refused = client
        .call(json!({"op": "par", "params": elsewhere}))
        .unwrap_err();
    assert_eq!(refused["error"], "invalid_request", "{refused}");
    assert_eq!(refused["status"], 400);
}

/// A [`bank_app`] that may also use `client_credentials` (with `extra` arguments) and
/// authenticates with `private_key_jwt`, its key made by `client` for `alg` and given to
/// Warrant with `--jwks-file`: the created application.
fn private_key_jwt_app(
    env: &TestEnv,
    client: &mut OAuthClient,
    alg: &str,
    extra: &[&str],
) -> Value {
    let public_key = client.ok(json!({"op": "keys", "alg": alg}));
    let jwks_file = env.dir.join("client-jwks.json");
    std::fs::write(&jwks_file, json!({"keys": [public_key]}).to_string()).unwrap();
    let mut args = vec![
        "--grant",
        "client-credentials",
        "--auth-method",
        "private_key_jwt",
        "--jwks-file",
        jwks_file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    bank_app(env, &args)
}

/// `private_key_jwt` at every step of a pushed code flow and at the token endpoint, with
/// keys given (`--jwks-file`) or fetched from the client's `jwks_uri`, and its refusals.
pub async fn private_key_jwt_with_oauth4webapi(env: &TestEnv) {
    let Some(modules) = node_modules("oauth4webapi test") else {
        return;
    };
    env.create_user("alice", PASSWORD, &[]);
    let mut client = OAuthClient::start(env, &modules);
    let app = private_key_jwt_app(
        env,
        &mut client,
        "ES256",
        &["--grant", "authorization-code", "--redirect-uri", REDIRECT],
    );
    let client_id = app["client_id"].as_str().unwrap();
    let warrant = Server::start(env.command(&["serve"])).await;
    let metadata = client.ok(json!({"op": "discover", "issuer": warrant.base_url}));
    let methods = metadata["token_endpoint_auth_methods_supported"].to_string();
    assert!(methods.contains("private_key_jwt"), "{methods}");
    let signed_with = |assertion: Value| {
        json!({
            "op": "client",
            "client_id": client_id,
            "auth": {"method": "private_key_jwt", "assertion": assertion},
        })
    };
    client.ok(signed_with(json!({})));

    // A pushed code flow, authenticated by assertions at the pushed-request and token
    // endpoints.
    let pushed = client.ok(json!({"op": "par", "params": pushed_params("k1")}));
    let mut browser = Browser::new(&warrant);
    browser.log_in("alice", PASSWORD).await;
    let consent = browser
        .get(&by_reference(
            client_id,
            pushed["request_uri"].as_str().unwrap(),
        ))
        .await;
    assert_eq!(consent.status, 200, "{consent:?}");
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let tokens = client.ok(json!({
        "op": "code",
        "callback": location(&approved),
        "state": "k1",
        "verifier": VERIFIER,
        "redirect_uri": REDIRECT,
    }));
    assert!(tokens["access_token"].is_string(), "{tokens}");
    client.ok(json!({"op": "client_credentials"}));

    // Replayed, for another audience, expired: each refused as invalid_client.
    client.ok(signed_with(json!({"jti": "used-once"})));
    client.ok(json!({"op": "client_credentials"}));
    let refused = [
        json!({"jti": "used-once"}),
        json!({"aud": "https://other.example"}),
        json!({"iat": 1_700_000_000, "nbf": 1_700_000_000, "exp": 1_700_000_060}),
    ];
    for assertion in refused {
        client.ok(signed_with(assertion.clone()));
        let error = client
            .call(json!({"op": "client_credentials"}))
            .unwrap_err();
        assert_eq!(error["error"], "invalid_client", "{assertion}: {error}");
        assert_eq!(error["status"], 401, "{assertion}");
    }
    // A key the client does not have (same kid).
    client.ok(json!({"op": "keys", "alg": "ES256"}));
    client.ok(signed_with(json!({})));
    let error = client
        .call(json!({"op": "client_credentials"}))
        .unwrap_err();
    assert_eq!(error["error"], "invalid_client", "{error}");
}

/// A client whose keys are at its `jwks_uri`: fetched, kept, and fetched again when an
/// assertion names a key the kept set lacks (a rotation).
pub async fn private_key_jwt_keys_from_a_jwks_uri(env: &TestEnv) {
    let Some(modules) = node_modules("oauth4webapi test") else {
        return;
    };
    let mut client = OAuthClient::start(env, &modules);
    let first = client.ok(json!({"op": "keys", "alg": "ES256"}));
    let published =
        std::sync::Arc::new(std::sync::Mutex::new(json!({"keys": [first]}).to_string()));
    let at = serve_json(published.clone()).await;
    let app = env.create_app(&[
        "--name",
        "Published keys",
        "--client-type",
        "confidential",
        "--grant",
        "client-credentials",
        "--auth-method",
        "private_key_jwt",
        "--jwks-uri",
        &format!("http://{at}/jwks.json"),
    ]);
    let client_id = app["client_id"].as_str().unwrap();
    let warrant = Server::start(env.command(&["serve"])).await;
    client.ok(json!({"op": "discover", "issuer": warrant.base_url}));
    let private_key_jwt = json!({
        "op": "client",
        "client_id": client_id,
        "auth": {"method": "private_key_jwt"},
    });
    client.ok(private_key_jwt.clone());
    client.ok(json!({"op": "client_credentials"}));

    // The client rotates to a key "k2" and publishes both; Warrant fetches the set again
    // for the kid it lacks (once the last fetch is some seconds old).
    let second = client.ok(json!({"op": "keys", "alg": "PS256", "kid": "k2"}));
    *published.lock().unwrap() = json!({"keys": [first, second]}).to_string();
    client.ok(private_key_jwt.clone());
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    let rotated = client.ok(json!({"op": "client_credentials"}));
    assert!(rotated["access_token"].is_string(), "{rotated}");
}

/// Two instances on one PostgreSQL: an assertion used at one is refused by the other.
pub async fn two_instances_share_used_assertions(env: &TestEnv) {
    let Some(modules) = node_modules("oauth4webapi test") else {
        return;
    };
    let mut client = OAuthClient::start(env, &modules);
    let app = private_key_jwt_app(env, &mut client, "Ed25519", &[]);
    let client_id = app["client_id"].as_str().unwrap();
    const ISSUER: &str = "https://bank.example";
    let instance = || {
        let mut serve = env.command(&["serve"]);
        serve.env("WARRANT_SERVER__ISSUER", ISSUER);
        Server::start(serve)
    };
    let (first, second) = (instance().await, instance().await);
    let token_endpoint =
        |server: &Server| json!({"token_endpoint": format!("{}/o/token/", server.base_url)});
    client.ok(json!({"op": "server", "metadata": {"issuer": ISSUER}}));
    client.ok(json!({
        "op": "client",
        "client_id": client_id,
        "auth": {"method": "private_key_jwt", "assertion": {"jti": "shared-1"}},
    }));
    client.ok(json!({"op": "client_credentials", "as": token_endpoint(&first)}));
    let replayed = client
        .call(json!({"op": "client_credentials", "as": token_endpoint(&second)}))
        .unwrap_err();
    assert_eq!(replayed["error"], "invalid_client", "{replayed}");
    // The other instance takes a fresh assertion: the refusal was the replay.
    client.ok(json!({
        "op": "client",
        "client_id": client_id,
        "auth": {"method": "private_key_jwt", "assertion": {"jti": "shared-2"}},
    }));
    client.ok(json!({"op": "client_credentials", "as": token_endpoint(&second)}));
}

/// DPoP (RFC 9449) with oauth4webapi: a client that must use it gets a bound token through
/// a pushed code flow and opens the profile API with proofs; the token does nothing as a bearer
/// token, nor with a proof for another method, URL, time or key, nor with a proof used
/// before.
pub async fn dpop_with_oauth4webapi(env: &TestEnv) {
    let Some(modules) = node_modules("oauth4webapi test") else {
        return;
    };
    env.create_user("alice", PASSWORD, &[]);
    let app = bank_app(env, &["--grant", "client-credentials", "--require-dpop"]);
    let client_id = app["client_id"].as_str().unwrap();
    let secret = app["client_secret"].as_str().unwrap();
    let warrant = Server::start(env.command(&["serve"])).await;
    let mut client = OAuthClient::start(env, &modules);
    let metadata = client.ok(json!({"op": "discover", "issuer": warrant.base_url}));
    assert!(
        metadata["dpop_signing_alg_values_supported"]
            .to_string()
            .contains("ES256")
    );
    client.ok(json!({
        "op": "client",
        "client_id": client_id,
        "auth": {"method": "client_secret_basic", "secret": secret},
    }));
    // Without a proof this client gets nothing.
    let refused = client
        .call(json!({"op": "client_credentials"}))
        .unwrap_err();
    assert_eq!(refused["error"], "invalid_dpop_proof", "{refused}");

    let jkt = client.ok(json!({"op": "dpop", "alg": "ES256"}));
    let pushed = client.ok(json!({"op": "par", "params": pushed_params("d1")}));
    let mut browser = Browser::new(&warrant);
    browser.log_in("alice", PASSWORD).await;
    let consent = browser
        .get(&by_reference(
            client_id,
            pushed["request_uri"].as_str().unwrap(),
        ))
        .await;
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let tokens = client.ok(json!({
        "op": "code",
        "callback": location(&approved),
        "state": "d1",
        "verifier": VERIFIER,
        "redirect_uri": REDIRECT,
    }));
    assert_eq!(tokens["token_type"], "dpop", "{tokens}");
    let token = tokens["access_token"].as_str().unwrap();
    let profile = format!("{}/api/profile/", warrant.base_url);
    let userinfo = format!("{}/o/userinfo/", warrant.base_url);
    let opened =
        client.ok(json!({"op": "resource", "method": "GET", "url": profile, "token": token}));
    assert_eq!(opened["status"], 200, "{opened}");
    assert_eq!(opened["body"]["username"], "alice", "{opened}");

    // Introspection names the key.
    let introspected = warrant
        .post_form(
            "/o/introspect/",
            &format!("token={token}"),
            Some((client_id, secret)),
        )
        .await;
    let introspected: Value = serde_json::from_str(&introspected.body).unwrap();
    assert_eq!(introspected["cnf"]["jkt"], jkt, "{introspected}");
    assert_eq!(introspected["token_type"], "DPoP");

    // As a bearer token it is refused, with a DPoP challenge.
    let as_bearer = warrant
        .request(
            "GET",
            "/api/profile/",
            &[("Authorization", format!("Bearer {token}"))],
            vec![],
        )
        .await;
    assert_dpop_challenge(&as_bearer);
    let send = |proof: Value| {
        let (warrant, token) = (&warrant, token.to_owned());
        async move {
            warrant
                .request(
                    "GET",
                    "/api/profile/",
                    &[
                        ("Authorization", format!("DPoP {token}")),
                        ("DPoP", proof.as_str().unwrap().to_owned()),
                    ],
                    vec![],
                )
                .await
        }
    };
    let proof = |method: &str, url: &str, claims: Value| json!({"op": "proof", "method": method, "url": url, "token": token, "claims": claims});
    let good = client.ok(proof("GET", &profile, json!({})));
    assert_eq!(send(good.clone()).await.status, 200);
    let replayed = send(good).await;
    assert_eq!(replayed.status, 401, "a proof used before");
    assert!(replayed.body.contains("used before"), "{}", replayed.body);
    for (refused, why) in [
        (proof("POST", &profile, json!({})), "another method"),
        (proof("GET", &userinfo, json!({})), "another URL"),
        (
            proof("GET", &profile, json!({"iat": 1_700_000_000})),
            "too old",
        ),
    ] {
        let proof = client.ok(refused);
        let reply = send(proof).await;
        assert_eq!(reply.status, 401, "{why}");
        assert!(
            reply.body.contains("invalid_dpop_proof"),
            "{why}: {}",
            reply.body
        );
        assert!(reply.body.contains(why), "{why}: {}", reply.body);
    }
    client.ok(json!({"op": "dpop", "alg": "ES256"}));
    let other_key = send(client.ok(proof("GET", &profile, json!({})))).await;
    assert_eq!(other_key.status, 401);
    assert!(other_key.body.contains("another key"), "{}", other_key.body);
}

/// An application with `--profile fapi2` and a client doing what FAPI 2.0 asks, through
/// oauth4webapi: a pushed request with PKCE S256 and a DPoP proof, `private_key_jwt`,
/// DPoP-bound tokens that open the profile API, a refresh that keeps its refresh token.
/// Refused when it strays: a request not pushed, a client secret.
pub async fn fapi2_flow_with_oauth4webapi(env: &TestEnv) {
    let Some(modules) = node_modules("oauth4webapi test") else {
        return;
    };
    env.create_user("alice", PASSWORD, &[]);
    let mut client = OAuthClient::start(env, &modules);
    let app = private_key_jwt_app(
        env,
        &mut client,
        "ES256",
        &["--grant", "refresh-token", "--profile", "fapi2"],
    );
    assert!(
        app["client_secret"].is_string(),
        "it has a secret, which must not work"
    );
    let client_id = app["client_id"].as_str().unwrap();
    let warrant = Server::start(env.command(&["serve"])).await;
    client.ok(json!({"op": "discover", "issuer": warrant.base_url}));
    client.ok(json!({
        "op": "client",
        "client_id": client_id,
        "auth": {"method": "private_key_jwt"},
    }));
    client.ok(json!({"op": "dpop", "alg": "ES256"}));
    let pushed = client.ok(json!({"op": "par", "params": pushed_params("f1")}));
    let mut browser = Browser::new(&warrant);
    browser.log_in("alice", PASSWORD).await;
    let consent = browser
        .get(&by_reference(
            client_id,
            pushed["request_uri"].as_str().unwrap(),
        ))
        .await;
    assert_eq!(consent.status, 200, "{consent:?}");
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let callback = location(&approved).to_owned();
    assert!(query_of(&callback).contains_key("iss"), "{callback}");
    let tokens = client.ok(json!({
        "op": "code",
        "callback": callback,
        "state": "f1",
        "verifier": VERIFIER,
        "redirect_uri": REDIRECT,
    }));
    assert_eq!(tokens["token_type"], "dpop", "{tokens}");
    let profile = format!("{}/api/profile/", warrant.base_url);
    let token = tokens["access_token"].as_str().unwrap();
    let opened =
        client.ok(json!({"op": "resource", "method": "GET", "url": profile, "token": token}));
    assert_eq!(opened["status"], 200, "{opened}");
    let refreshed = client.ok(json!({"op": "refresh", "refresh_token": tokens["refresh_token"]}));
    assert_eq!(
        refreshed["refresh_token"], tokens["refresh_token"],
        "no rotation"
    );
    assert_eq!(refreshed["token_type"], "dpop");

    // Straying: a request not pushed, a client secret.
    let plain = format!(
        "/o/authorize/?client_id={client_id}&response_type=code&redirect_uri={}&state=f2&code_challenge={CHALLENGE}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let refused = query_of(location(&browser.get(&plain).await));
    assert_eq!(refused["error"], "invalid_request", "{refused:?}");
    client.ok(json!({
        "op": "client",
        "client_id": client_id,
        "auth": {"method": "client_secret_basic", "secret": app["client_secret"]},
    }));
    let with_secret = client
        .call(json!({"op": "par", "params": pushed_params("f3")}))
        .unwrap_err();
    assert_eq!(with_secret["error"], "invalid_client", "{with_secret}");
}
