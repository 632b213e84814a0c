//! The admin JSON API over HTTP: only staff (by session, or a bearer token with the
//! `admin` scope) get in; applications, users and tokens are managed through it; its
//! OpenAPI document is served.

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::support::{Reply, TestEnv};
use crate::token_endpoint::Setup;

const PASSWORD: &str = "correct-horse-battery";

/// [`Setup`] (alice and the application "Backend") plus the staff user root, with the
/// `admin` scope on offer.
async fn setup(env: &TestEnv) -> Setup {
    setup_with(env, &[]).await
}

/// As [`setup`], with extra environment for the server.
pub async fn setup_with(env: &TestEnv, server_env: &[(&str, &str)]) -> Setup {
    std::fs::write(
        env.dir.join("warrant.toml"),
        "[oauth2.scopes]\nread = \"Read\"\nwrite = \"Write\"\nadmin = \"Administer Warrant\"\n",
    )
    .unwrap();
    let root = env.run(
        &[
            "user",
            "create",
            "--username",
            "root",
            "--staff",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    assert!(root.status.success(), "{root:?}");
    Setup::start_with(env, server_env).await
}

pub async fn token_of(setup: &Setup, username: &str, scope: &str) -> String {
    let reply = setup
        .token(&format!(
            "grant_type=password&username={username}&password={PASSWORD}&scope={scope}"
        ))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

/// An admin API client with a bearer token.
pub struct Api<'a> {
    pub setup: &'a Setup,
    pub token: String,
}

impl Api<'_> {
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let mut headers = vec![("Authorization", format!("Bearer {}", self.token))];
        if body.is_some() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.setup
            .server
            .request(method, path, &headers, body)
            .await
    }

    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>, status: u16) -> Value {
        let reply = self.call(method, path, body).await;
        assert_eq!(reply.status, status, "{method} {path}: {reply:?}");
        if reply.body.is_empty() {
            Value::Null
        } else {
            reply.json()
        }
    }

    pub async fn user_id(&self, username: &str) -> i64 {
        let users = self
            .ok("GET", "/api/admin/users?limit=500", None, 200)
            .await;
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|user| user["username"] == username)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    }
}

pub async fn root_api(setup: &Setup) -> Api<'_> {
    Api {
        token: token_of(setup, "root", "admin").await,
        setup,
    }
}

pub async fn only_staff_get_in(env: &TestEnv) {
    let setup = setup(env).await;
    let document = setup.server.get("/api/admin/openapi.json").await;
    assert_eq!(document.0, 200);
    let document: Value = serde_json::from_str(&document.1).unwrap();
    assert_eq!(document["openapi"], "3.1.0");

    // alice is no staff: every documented operation refuses her token with 403.
    let alice = Api {
        token: token_of(&setup, "alice", "admin").await,
        setup: &setup,
    };
    let mut operations = 0;
    for (path, methods) in document["paths"].as_object().unwrap() {
        if path.ends_with("openapi.json") {
            continue;
        }
        for method in methods.as_object().unwrap().keys() {
            let path = fill(path, "id", &1.to_string(), 1);
            let body = (method == "post" || method == "patch").then(|| json!({}));
            let reply = alice.call(&method.to_uppercase(), &path, body).await;
            reply.assert_oauth_error(403, "forbidden");
            operations += 1;
        }
    }
    assert_eq!(operations, 21);

    let none = setup
        .server
        .request("GET", "/api/admin/users", &[], Vec::new())
        .await;
    assert_eq!(none.status, 401);
    assert!(
        none.header("www-authenticate").is_some_and(
            |challenge| challenge.starts_with(r#"Bearer realm="warrant", resource_metadata=""#)
        ),
        "{none:?}"
    );
    let bad = Api {
        token: "never-issued".into(),
        setup: &setup,
    };
    bad.call("GET", "/api/admin/users", None)
        .await
        .assert_oauth_error(401, "invalid_token");
    let unscoped = Api {
        token: token_of(&setup, "root", "read").await,
        setup: &setup,
    };
    // Never granted without being asked for: a staff user's token with the default scopes
    // cannot call the admin API.
    let defaults = setup
        .token(&format!(
            "grant_type=password&username=root&password={PASSWORD}"
        ))
        .await
        .json();
    assert_eq!(defaults["scope"], "read write", "{defaults}");
    let defaulted = Api {
        token: defaults["access_token"].as_str().unwrap().into(),
        setup: &setup,
    };
    defaulted
        .call("GET", "/api/admin/users", None)
        .await
        .assert_oauth_error(403, "insufficient_scope");
    unscoped
        .call("GET", "/api/admin/users", None)
        .await
        .assert_oauth_error(403, "insufficient_scope");
    let machine = setup
        .token("grant_type=client_credentials&scope=admin")
        .await
        .json();
    let machine = Api {
        token: machine["access_token"].as_str().unwrap().into(),
        setup: &setup,
    };
    machine
        .call("GET", "/api/admin/users", None)
        .await
        .assert_oauth_error(403, "forbidden");

    // Sessions: staff only, and writes only from this site.
    let mut alice_browser = Browser::new(&setup.server);
    alice_browser.log_in("alice", PASSWORD).await;
    alice_browser
        .get("/api/admin/users")
        .await
        .assert_oauth_error(403, "forbidden");
    let mut root_browser = Browser::new(&setup.server);
    root_browser.log_in("root", PASSWORD).await;
    assert_eq!(root_browser.get("/api/admin/users").await.status, 200);
    let cross_site = setup
        .server
        .request(
            "POST",
            "/api/admin/users",
            &[
                root_browser.cookie_header(),
                ("Origin", "https://evil.example".to_owned()),
                ("Content-Type", "application/json".to_owned()),
            ],
            json!({"username": "mallory"}).to_string().into_bytes(),
        )
        .await;
    cross_site.assert_oauth_error(403, "forbidden");
}

pub async fn applications_are_managed(env: &TestEnv) {
    let setup = setup(env).await;
    let api = root_api(&setup).await;
    let alice = api.user_id("alice").await;

    let created = api
        .ok(
            "POST",
            "/api/admin/applications",
            Some(json!({
                "name": "Reports", "client_type": "confidential",
                "grant_types": ["client_credentials"], "owner": alice,
                "allowed_origins": ["https://reports.example"],
            })),
            201,
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let machine_token = |secret: String| {
        let (setup, client_id) = (&setup, client_id.clone());
        async move {
            setup
                .server
                .post_form(
                    "/o/token/",
                    "grant_type=client_credentials",
                    Some((&client_id, &secret)),
                )
                .await
        }
    };
    assert_eq!(machine_token(secret.clone()).await.status, 200);
    let shown = api
        .ok("GET", &format!("/api/admin/applications/{id}"), None, 200)
        .await;
    assert_eq!(shown["owner"], alice);
    assert!(shown.get("client_secret").is_none());
    assert_eq!(
        shown["algorithm"], "RS256",
        "the default ID-token algorithm"
    );
    for (algorithm, expected) in [(json!("EdDSA"), "EdDSA"), (Value::Null, "RS256")] {
        let changed = api
            .ok(
                "PATCH",
                &format!("/api/admin/applications/{id}"),
                Some(json!({ "algorithm": algorithm })),
                200,
            )
            .await;
        assert_eq!(changed["algorithm"], expected);
    }

    // Filtering and pagination.
    let owned = api
        .ok(
            "GET",
            &format!("/api/admin/applications?owner={alice}"),
            None,
            200,
        )
        .await;
    assert_eq!(owned["items"].as_array().unwrap().len(), 1);
    let first = api
        .ok("GET", "/api/admin/applications?limit=1", None, 200)
        .await;
    let after = first["next_after"].as_i64().unwrap();
    let second = api
        .ok(
            "GET",
            &format!("/api/admin/applications?limit=1&after={after}"),
            None,
            200,
        )
        .await;
    assert_eq!(second["items"][0]["id"], id);

    // Invalid input names the field; nothing changes.
    for (body, field) in [
        (
            json!({"redirect_uris": ["http://reports.example/cb"]}),
            "redirect_uris",
        ),
        (json!({"grant_types": ["telepathy"]}), "grant_types"),
        (
            json!({"grant_types": ["authorization_code"]}),
            "redirect URI",
        ),
        (json!({"colour": "red"}), "unknown field"),
        (json!({"algorithm": "HS256"}), "algorithm"),
    ] {
        let reply = api
            .call(
                "PATCH",
                &format!("/api/admin/applications/{id}"),
                Some(body),
            )
            .await;
        reply.assert_oauth_error(400, "invalid_request");
        assert!(
            reply.json()["error_description"]
                .as_str()
                .unwrap()
                .contains(field),
            "{reply:?}"
        );
    }
    let no_owner = api
        .call("POST", "/api/admin/applications", Some(json!({"name": "X", "client_type": "public", "grant_types": ["password"], "owner": 999_999})))
        .await;
    no_owner.assert_oauth_error(400, "invalid_request");
    let public = api
        .ok(
            "POST",
            "/api/admin/applications",
            Some(json!({"name": "SPA", "client_type": "public", "grant_types": ["password"], "algorithm": "ES256"})),
            201,
        )
        .await;
    assert_eq!(public["client_secret"], Value::Null);
    assert_eq!(public["algorithm"], "ES256");
    let no_secret = api
        .call(
            "POST",
            &format!("/api/admin/applications/{}/rotate_secret", public["id"]),
            None,
        )
        .await;
    no_secret.assert_oauth_error(400, "invalid_request");
    api.call("GET", "/api/admin/applications/999999", None)
        .await
        .assert_oauth_error(404, "not_found");

    // A change is seen by the next token request, despite the application cache.
    let changed = api
        .ok(
            "PATCH",
            &format!("/api/admin/applications/{id}"),
            Some(json!({"grant_types": ["password"], "skip_authorization": true})),
            200,
        )
        .await;
    assert_eq!(changed["skip_authorization"], true);
    machine_token(secret.clone())
        .await
        .assert_oauth_error(400, "unauthorized_client");
    api.ok(
        "PATCH",
        &format!("/api/admin/applications/{id}"),
        Some(json!({"grant_types": ["client_credentials"]})),
        200,
    )
    .await;

    let rotated = api
        .ok(
            "POST",
            &format!("/api/admin/applications/{id}/rotate_secret"),
            None,
            200,
        )
        .await;
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    machine_token(secret)
        .await
        .assert_oauth_error(401, "invalid_client");
    assert_eq!(machine_token(new_secret.clone()).await.status, 200);

    // The one way it authenticates, and its keys.
    let path = format!("/api/admin/applications/{id}");
    for (refused, why) in [
        (
            json!({"token_endpoint_auth_method": "private_key_jwt"}),
            "private_key_jwt needs the client's public keys",
        ),
        (
            json!({"token_endpoint_auth_method": "none"}),
            "none is for public clients",
        ),
        (
            json!({"token_endpoint_auth_method": "tls_client_auth"}),
            "token_endpoint_auth_method",
        ),
        (json!({"jwks": {"keys": []}}), "jwks"),
        (
            json!({"jwks_uri": "http://reports.example/jwks"}),
            "must be https",
        ),
        (
            json!({"jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA"}]}, "jwks_uri": "https://reports.example/jwks"}),
            "not both",
        ),
    ] {
        let reply = api.call("PATCH", &path, Some(refused.clone())).await;
        reply.assert_oauth_error(400, "invalid_request");
        assert!(reply.body.contains(why), "{refused}: {}", reply.body);
    }
    let asserting = api
        .ok(
            "PATCH",
            &path,
            Some(json!({"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://reports.example/jwks"})),
            200,
        )
        .await;
    assert_eq!(asserting["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(asserting["jwks_uri"], "https://reports.example/jwks");
    assert_eq!(asserting["jwks"], Value::Null);
    machine_token(new_secret.clone())
        .await
        .assert_oauth_error(401, "invalid_client");
    let back = api
        .ok(
            "PATCH",
            &path,
            Some(json!({"token_endpoint_auth_method": null, "jwks_uri": null})),
            200,
        )
        .await;
    assert_eq!(
        (&back["token_endpoint_auth_method"], &back["jwks_uri"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(machine_token(new_secret.clone()).await.status, 200);

    api.ok(
        "DELETE",
        &format!("/api/admin/applications/{id}"),
        None,
        204,
    )
    .await;
    api.call("GET", &format!("/api/admin/applications/{id}"), None)
        .await
        .assert_oauth_error(404, "not_found");
    machine_token(new_secret)
        .await
        .assert_oauth_error(401, "invalid_client");
}

pub async fn users_are_managed(env: &TestEnv) {
    let setup = setup(env).await;
    let api = root_api(&setup).await;
    let created = api
        .ok(
            "POST",
            "/api/admin/users",
            Some(json!({"username": "carol", "email": "carol@example.com", "password": PASSWORD})),
            201,
        )
        .await;
    let carol = created["id"].as_i64().unwrap();
    assert_eq!(created["has_password"], true);
    assert!(created.get("password").is_none());
    let taken = api
        .call(
            "POST",
            "/api/admin/users",
            Some(json!({"username": "carol"})),
        )
        .await;
    taken.assert_oauth_error(409, "conflict");
    let short = api
        .call(
            "POST",
            "/api/admin/users",
            Some(json!({"username": "dave", "password": "short"})),
        )
        .await;
    short.assert_oauth_error(400, "invalid_request");
    let bad_name = api
        .call(
            "POST",
            "/api/admin/users",
            Some(json!({"username": "no spaces"})),
        )
        .await;
    bad_name.assert_oauth_error(400, "invalid_request");

    let staff = api
        .ok("GET", "/api/admin/users?is_staff=true", None, 200)
        .await;
    let names: Vec<&str> = staff["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["root"]);

    let bad_email = api
        .call(
            "PATCH",
            &format!("/api/admin/users/{carol}"),
            Some(json!({"email": "not-an-email"})),
        )
        .await;
    bad_email.assert_oauth_error(400, "invalid_request");
    assert!(bad_email.body.contains("email"), "{bad_email:?}");
    let changed = api
        .ok(
            "PATCH",
            &format!("/api/admin/users/{carol}"),
            Some(json!({"first_name": "Carol", "email": ""})),
            200,
        )
        .await;
    assert_eq!(
        (changed["first_name"].as_str(), &changed["email"]),
        (Some("Carol"), &Value::Null)
    );

    // Deactivated: her token is refused and she cannot log in; activated: both work again.
    let token = token_of(&setup, "carol", "read").await;
    let profile = |token: String| {
        let setup = &setup;
        async move {
            setup
                .server
                .request(
                    "GET",
                    "/api/profile/",
                    &[("Authorization", format!("Bearer {token}"))],
                    Vec::new(),
                )
                .await
        }
    };
    assert_eq!(profile(token.clone()).await.status, 200);
    let deactivated = api
        .ok(
            "POST",
            &format!("/api/admin/users/{carol}/deactivate"),
            None,
            200,
        )
        .await;
    assert_eq!(deactivated["is_active"], false);
    profile(token.clone())
        .await
        .assert_oauth_error(401, "invalid_token");
    let login = setup
        .token(&format!(
            "grant_type=password&username=carol&password={PASSWORD}"
        ))
        .await;
    login.assert_oauth_error(400, "invalid_grant");
    api.ok(
        "POST",
        &format!("/api/admin/users/{carol}/activate"),
        None,
        200,
    )
    .await;
    assert_eq!(profile(token).await.status, 200);

    api.ok("DELETE", &format!("/api/admin/users/{carol}"), None, 204)
        .await;
    api.call("DELETE", &format!("/api/admin/users/{carol}"), None)
        .await
        .assert_oauth_error(404, "not_found");
    api.call("GET", &format!("/api/admin/users/{carol}"), None)
        .await
        .assert_oauth_error(404, "not_found");
}

pub async fn tokens_are_listed_and_revoked(env: &TestEnv) {
    let setup = setup(env).await;
    let api = root_api(&setup).await;
    let alice = api.user_id("alice").await;
    let tokens = setup.password_tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let listed = api
        .ok("GET", &format!("/api/admin/tokens?user={alice}"), None, 200)
        .await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["user"], alice);
    assert!(!listed.to_string().contains(access));
    let id = items[0]["id"].as_i64().unwrap();
    let of_application = items[0]["application"].as_i64().unwrap();
    let by_application = api
        .ok(
            "GET",
            &format!("/api/admin/tokens?application={of_application}"),
            None,
            200,
        )
        .await;
    assert!(
        by_application["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id)
    );

    api.ok("DELETE", &format!("/api/admin/tokens/{id}"), None, 204)
        .await;
    assert_eq!(setup.introspect(access).await, json!({"active": false}));
    setup
        .token(&format!("grant_type=refresh_token&refresh_token={refresh}"))
        .await
        .assert_oauth_error(400, "invalid_grant");
    let listed = api
        .ok("GET", &format!("/api/admin/tokens?user={alice}"), None, 200)
        .await;
    assert_eq!(listed["items"], json!([]));
    api.call("DELETE", &format!("/api/admin/tokens/{id}"), None)
        .await
        .assert_oauth_error(404, "not_found");
}

/// Values that break `schema` (a property's or a parameter's): another JSON type, a string
/// too short or too long, one off its pattern, enum or format, a number under its minimum
/// or over its maximum, an array with too few items or a bad item.
fn violations(schema: &Value) -> Vec<Value> {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(kind) => vec![kind.as_str()],
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let mut values = Vec::new();
    for (kind, value) in [
        ("null", Value::Null),
        ("boolean", json!(true)),
        ("integer", json!(12)),
        ("string", json!("x")),
        ("array", json!([])),
    ] {
        if !types.contains(&kind) {
            values.push(value);
        }
    }
    values.push(json!({}));
    if let Some(min) = schema["minLength"].as_u64().filter(|min| *min > 0) {
        values.push(json!("a".repeat(min as usize - 1)));
    }
    if let Some(max) = schema["maxLength"].as_u64() {
        values.push(json!("a".repeat(max as usize + 1)));
    }
    if schema.get("pattern").is_some() {
        values.push(json!("has space/and/path?"));
    }
    if schema.get("enum").is_some() {
        values.push(json!("not-one-of-them"));
    }
    match schema["format"].as_str() {
        Some("email") => values.push(json!("not-an-email")),
        Some("uri") => values.push(json!("not a uri")),
        _ => {}
    }
    if let Some(min) = schema["minimum"].as_i64() {
        values.push(json!(min - 1));
    }
    if let Some(max) = schema["maximum"].as_i64() {
        values.push(json!(max + 1));
    }
    if schema["minItems"].as_u64().is_some_and(|min| min > 0) {
        values.push(json!([]));
    }
    if schema.get("items").is_some() {
        values.extend(
            violations(&schema["items"])
                .into_iter()
                .map(|item| json!([item])),
        );
    }
    values
}

/// A value that the document allows for every body schema, to change one field at a time.
fn valid_body(schema: &str) -> Value {
    match schema {
        "NewUser" => json!({ "username": "generated", "password": "long-enough-password" }),
        "UserPatch" => json!({ "first_name": "Generated" }),
        "NewApplication" => {
            json!({ "name": "Generated", "client_type": "confidential", "grant_types": ["client_credentials"] })
        }
        "ApplicationPatch" => json!({ "name": "Generated again" }),
        other => panic!("no valid example of {other}"),
    }
}

/// Requests generated from the served OpenAPI document, each breaking it in one place (a
/// path id, a query parameter, a body field; an unknown parameter or field; a missing
/// required field), are all refused with 400: the document is as strict as the server.
pub async fn requests_that_break_the_document_are_refused(env: &TestEnv) {
    let setup = setup(env).await;
    let api = root_api(&setup).await;
    let document = api.ok("GET", "/api/admin/openapi.json", None, 200).await;
    let user = api.user_id("alice").await;
    let application = api
        .ok(
            "POST",
            "/api/admin/applications",
            Some(valid_body("NewApplication")),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let mut refused = 0;
    let mut expect_400 = async |method: &str, path: &str, body: Option<Value>, what: &str| {
        let reply = api.call(method, path, body.clone()).await;
        assert_eq!(
            reply.status, 400,
            "{method} {path} with {what} {body:?} was not refused: {reply:?}"
        );
        refused += 1;
    };
    for (template, operations) in document["paths"].as_object().unwrap() {
        if template.ends_with("openapi.json") {
            continue;
        }
        let id = if template.starts_with("/api/admin/users/") {
            user
        } else {
            application
        };
        let path = fill(template, "id", &id.to_string(), id);
        for (method, operation) in operations.as_object().unwrap() {
            let method = method.to_uppercase();
            let parameters = operation["parameters"].as_array().unwrap();
            for parameter in parameters {
                let name = parameter["name"].as_str().unwrap();
                let textual = parameter["schema"]["type"] == "string";
                for bad in violations(&parameter["schema"]) {
                    // In a URL everything is text: a number is a valid string.
                    if textual && !bad.is_string() {
                        continue;
                    }
                    let text = match &bad {
                        Value::String(text) => text.clone(),
                        Value::Array(_) | Value::Object(_) => continue,
                        other => other.to_string(),
                    };
                    let encoded: String =
                        url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
                    let target = if parameter["in"] == "path" {
                        fill(template, name, &encoded, id)
                    } else {
                        format!("{path}?{name}={encoded}")
                    };
                    let body = operation["requestBody"]
                        .is_object()
                        .then(|| body_schema_example(operation));
                    expect_400(&method, &target, body, &format!("{name}={text}")).await;
                }
            }
            if method == "GET" {
                expect_400(
                    &method,
                    &format!("{path}?unknown_parameter=1"),
                    None,
                    "an unknown parameter",
                )
                .await;
            }
            let Some(reference) =
                operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            else {
                continue;
            };
            let name = reference.rsplit('/').next().unwrap();
            let schema = &document["components"]["schemas"][name];
            let base = valid_body(name);
            let mut unknown = base.clone();
            unknown["unknown_field"] = json!(1);
            expect_400(&method, &path, Some(unknown), "an unknown field").await;
            for required in schema["required"].as_array().into_iter().flatten() {
                let mut missing = base.clone();
                missing
                    .as_object_mut()
                    .unwrap()
                    .remove(required.as_str().unwrap());
                expect_400(&method, &path, Some(missing), "a missing required field").await;
            }
            for (field, field_schema) in schema["properties"].as_object().unwrap() {
                for bad in violations(field_schema) {
                    let mut body = base.clone();
                    body[field] = bad;
                    expect_400(&method, &path, Some(body), field).await;
                }
            }
        }
    }
    assert!(refused > 200, "only {refused} requests were generated");
    // Ids of nothing are 404 after parsing; oversized bodies 413.
    assert_eq!(
        api.call("GET", "/api/admin/users/999999", None)
            .await
            .status,
        404
    );
    let huge = json!({ "username": "a".repeat(70_000) });
    assert_eq!(
        api.call("POST", "/api/admin/users", Some(huge))
            .await
            .status,
        413
    );
}

/// `template` with its path parameter `name` set to `value` and the others to valid ones:
/// `id` for `{id}`, a kind and a subject for a lockout.
fn fill(template: &str, name: &str, value: &str, id: i64) -> String {
    let mut path = template.replace(&format!("{{{name}}}"), value);
    for (parameter, valid) in [
        ("id", id.to_string()),
        ("kind", "account".into()),
        ("subject", "alice".into()),
    ] {
        path = path.replace(&format!("{{{parameter}}}"), &valid);
    }
    path
}

/// An operation's valid example body, by its schema's name.
fn body_schema_example(operation: &Value) -> Value {
    let reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    valid_body(reference.rsplit('/').next().unwrap())
}
