//! The management pages, driven like a browser: `/o/applications/…` (each user sees and
//! changes only their own applications) and `/o/authorized-tokens/…`.

use crate::browser::Browser;
use crate::support::{Reply, TestEnv};
use crate::token_endpoint::Setup;

const PASSWORD: &str = "correct-horse-battery";

/// The server of [`Setup`] (alice and the application "Backend") plus the user bob.
async fn setup(env: &TestEnv) -> Setup {
    let bob = env.run(
        &["user", "create", "--username", "bob", "--password-stdin"],
        Some(PASSWORD),
    );
    assert!(bob.status.success(), "{bob:?}");
    Setup::start(env).await
}

/// The text between `before` and the next `after` in `html`.
fn between<'a>(html: &'a str, before: &str, after: &str) -> &'a str {
    let start = html
        .find(before)
        .unwrap_or_else(|| panic!("{before:?} not in {html}"))
        + before.len();
    let end = html[start..].find(after).unwrap() + start;
    &html[start..end]
}

/// A registered application as its registration page showed it.
struct Registered {
    id: String,
    client_id: String,
    secret: String,
}

async fn register(browser: &mut Browser<'_>, fields: &[(&str, &str)]) -> Reply {
    let page = browser.get("/o/applications/register/").await;
    assert_eq!(page.status, 200, "{page:?}");
    browser
        .submit(&page, "/o/applications/register/", fields)
        .await
}

async fn register_backend_service(browser: &mut Browser<'_>) -> Registered {
    let reply = register(
        browser,
        &[
            ("name", "Billing <service>"),
            ("client_type", "confidential"),
            ("grant_client_credentials", "on"),
            ("grant_authorization_code", "on"),
            (
                "redirect_uris",
                "https://billing.example/cb\nhttp://127.0.0.1:7000/cb",
            ),
            ("allowed_origins", "https://billing.example"),
        ],
    )
    .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let html = &reply.body;
    assert!(html.contains("Billing &lt;service&gt;"), "{html}");
    assert!(html.contains("Copy the client secret now"));
    Registered {
        id: between(html, r#"href="/o/applications/"#, "/update/").to_owned(),
        client_id: between(html, "<dt>Client id</dt><dd><code>", "</code>").to_owned(),
        secret: between(html, "</p><p><code>", "</code>").to_owned(),
    }
}

async fn client_credentials(setup: &Setup, app: &Registered) -> Reply {
    setup
        .server
        .post_form(
            "/o/token/",
            "grant_type=client_credentials",
            Some((&app.client_id, &app.secret)),
        )
        .await
}

pub async fn each_user_sees_and_changes_only_their_applications(env: &TestEnv) {
    let setup = setup(env).await;
    let mut anonymous = Browser::new(&setup.server);
    let reply = anonymous.get("/o/applications/").await;
    assert_eq!(reply.status, 303);
    assert_eq!(
        reply.header("location"),
        Some("/accounts/login/?next=%2Fo%2Fapplications%2F")
    );

    let mut alice = Browser::new(&setup.server);
    alice.log_in("alice", PASSWORD).await;
    assert!(
        alice
            .get("/o/applications/")
            .await
            .body
            .contains("You have no applications.")
    );
    let app = register_backend_service(&mut alice).await;
    // The secret shown is the real one, and it is shown once.
    assert_eq!(client_credentials(&setup, &app).await.status, 200);
    let detail = alice.get(&format!("/o/applications/{}/", app.id)).await;
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains(&app.client_id));
    assert!(!detail.body.contains(&app.secret));
    let list = alice.get("/o/applications/").await;
    assert!(
        list.body
            .contains(&format!(r#"<a href="/o/applications/{}/">"#, app.id))
    );

    let mut bob = Browser::new(&setup.server);
    bob.log_in("bob", PASSWORD).await;
    assert!(
        bob.get("/o/applications/")
            .await
            .body
            .contains("You have no applications.")
    );
    for page in ["", "update/", "delete/"] {
        let reply = bob.get(&format!("/o/applications/{}/{page}", app.id)).await;
        assert_eq!(reply.status, 404, "{page}: {reply:?}");
        assert!(!reply.body.contains("Billing"));
    }
    let bobs_page = bob.get("/o/applications/register/").await;
    for action in ["update/", "delete/"] {
        let reply = bob
            .submit(
                &bobs_page,
                &format!("/o/applications/{}/{action}", app.id),
                &[("name", "Stolen"), ("grant_password", "on")],
            )
            .await;
        assert_eq!(reply.status, 404, "{action}: {reply:?}");
    }
    let unchanged = alice.get(&format!("/o/applications/{}/", app.id)).await;
    assert!(unchanged.body.contains("Billing &lt;service&gt;"));
    assert_eq!(client_credentials(&setup, &app).await.status, 200);
}

pub async fn invalid_applications_are_refused_with_their_reasons(env: &TestEnv) {
    let setup = setup(env).await;
    let mut alice = Browser::new(&setup.server);
    alice.log_in("alice", PASSWORD).await;
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[
                ("name", "Shop"),
                ("grant_authorization_code", "on"),
                ("redirect_uris", "http://shop.example/cb"),
            ],
            "plain http is allowed only for loopback hosts",
        ),
        (
            &[("name", "Shop"), ("grant_authorization_code", "on")],
            "need at least one redirect URI",
        ),
        (
            &[
                ("name", "Shop"),
                ("client_type", "public"),
                ("grant_client_credentials", "on"),
            ],
            "a public client cannot use the client_credentials grant",
        ),
        (&[("name", "Shop")], "Choose at least one grant type."),
        (
            &[
                ("name", "Shop"),
                ("grant_password", "on"),
                ("allowed_origins", "https://shop.example/path"),
            ],
            "is not an origin",
        ),
    ];
    for (fields, message) in cases {
        let reply = register(&mut alice, fields).await;
        assert_eq!(reply.status, 400, "{fields:?}: {reply:?}");
        assert!(
            reply.body.contains(message),
            "{message:?} not in {}",
            reply.body
        );
        // The form comes back with what was typed.
        assert!(reply.body.contains(r#"value="Shop""#));
    }
    // One value per line (spaces separate values too, as in Django OAuth Toolkit): a bad
    // line gets one message that names it.
    let reply = register(
        &mut alice,
        &[
            ("name", "Shop"),
            ("grant_authorization_code", "on"),
            (
                "redirect_uris",
                "https://shop.example/cb\r\nnot a uri\r\nhttps://shop.example/a https://shop.example/b",
            ),
        ],
    )
    .await;
    assert_eq!(reply.status, 400, "{reply:?}");
    let messages: Vec<&str> = reply
        .body
        .split("<li>")
        .skip(1)
        .map(|item| item.split("</li>").next().unwrap())
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("Redirect URIs, line 2: "),
        "{messages:?}"
    );
    let created = register(
        &mut alice,
        &[
            ("name", "Shop"),
            ("grant_authorization_code", "on"),
            (
                "redirect_uris",
                "https://shop.example/cb\r\nhttps://shop.example/a https://shop.example/b\r\n",
            ),
        ],
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    for uri in [
        "https://shop.example/cb",
        "https://shop.example/a",
        "https://shop.example/b",
    ] {
        assert!(created.body.contains(uri), "{uri} in {}", created.body);
    }
    let delete = format!(
        "/o/applications/{}/delete/",
        between(&created.body, r#"href="/o/applications/"#, "/update/")
    );
    let confirm = alice.get(&delete).await;
    assert_eq!(alice.submit(&confirm, &delete, &[]).await.status, 303);

    assert!(
        alice
            .get("/o/applications/")
            .await
            .body
            .contains("You have no applications.")
    );

    // A form without its CSRF token is refused.
    let forged = alice
        .send(
            "POST",
            "/o/applications/register/",
            Some(&[("name".to_owned(), "Shop".to_owned())]),
        )
        .await;
    assert_eq!(forged.status, 403);
}

pub async fn changes_and_deletion_take_effect_at_once(env: &TestEnv) {
    let setup = setup(env).await;
    let mut alice = Browser::new(&setup.server);
    alice.log_in("alice", PASSWORD).await;
    let app = register_backend_service(&mut alice).await;
    assert_eq!(client_credentials(&setup, &app).await.status, 200);

    let edit = alice
        .get(&format!("/o/applications/{}/update/", app.id))
        .await;
    assert!(edit.body.contains("https://billing.example/cb"));
    let action = format!("/o/applications/{}/update/", app.id);
    let refused = alice
        .submit(
            &edit,
            &action,
            &[
                ("name", "Billing"),
                ("grant_authorization_code", "on"),
                ("redirect_uris", "not a uri"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(refused.body.contains("Redirect URIs"));

    let saved = alice
        .submit(
            &edit,
            &action,
            &[
                ("name", "Billing v2"),
                ("grant_authorization_code", "on"),
                ("grant_urn:ietf:params:oauth:grant-type:device_code", "on"),
                ("redirect_uris", "https://billing.example/cb"),
                ("algorithm", "ES256"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let detail = alice.get(&format!("/o/applications/{}/", app.id)).await;
    assert!(detail.body.contains("Billing v2"));
    assert!(
        detail
            .body
            .contains("<dt>ID-token algorithm</dt><dd>ES256</dd>"),
        "{}",
        detail.body
    );
    assert!(
        detail
            .body
            .contains("urn:ietf:params:oauth:grant-type:device_code")
    );
    let edit_again = alice
        .get(&format!("/o/applications/{}/update/", app.id))
        .await;
    assert!(
        edit_again
            .body
            .contains(r#"<option value="ES256" selected>"#)
    );
    // client_credentials was unticked: refused at once, despite the application cache.
    client_credentials(&setup, &app)
        .await
        .assert_oauth_error(400, "unauthorized_client");

    // How the client authenticates: private_key_jwt needs its keys; then the secret is no
    // longer a way in.
    let fields = |extra: &'static [(&'static str, &'static str)]| {
        let mut fields = vec![
            ("name", "Billing v2"),
            ("grant_authorization_code", "on"),
            ("grant_client_credentials", "on"),
            ("redirect_uris", "https://billing.example/cb"),
            ("auth_method", "private_key_jwt"),
        ];
        fields.extend_from_slice(extra);
        fields
    };
    let keyless = alice.submit(&edit, &action, &fields(&[])).await;
    assert_eq!(keyless.status, 400, "{keyless:?}");
    assert!(
        keyless.body.contains("private_key_jwt needs the client"),
        "{}",
        keyless.body
    );
    let both = alice
        .submit(
            &edit,
            &action,
            &fields(&[
                ("jwks_uri", "https://billing.example/jwks.json"),
                (
                    "jwks",
                    r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AA"}]}"#,
                ),
            ]),
        )
        .await;
    assert!(both.body.contains("not both"), "{}", both.body);
    let asserting = alice
        .submit(
            &edit,
            &action,
            &fields(&[
                ("jwks_uri", "https://billing.example/jwks.json"),
                ("require_dpop", "on"),
            ]),
        )
        .await;
    assert_eq!(asserting.status, 303, "{asserting:?}");
    let detail = alice.get(&format!("/o/applications/{}/", app.id)).await;
    assert!(
        detail
            .body
            .contains("<dt>Client authentication</dt><dd>private_key_jwt</dd>"),
        "{}",
        detail.body
    );
    let edit_again = alice
        .get(&format!("/o/applications/{}/update/", app.id))
        .await;
    assert!(
        edit_again
            .body
            .contains("https://billing.example/jwks.json")
    );
    assert!(
        edit_again
            .body
            .contains(r#"name="require_dpop" value="on" checked"#)
    );
    client_credentials(&setup, &app)
        .await
        .assert_oauth_error(401, "invalid_client");

    let confirm = alice
        .get(&format!("/o/applications/{}/delete/", app.id))
        .await;
    assert_eq!(confirm.status, 200);
    let deleted = alice
        .submit(
            &confirm,
            &format!("/o/applications/{}/delete/", app.id),
            &[],
        )
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.header("location"), Some("/o/applications/"));
    assert_eq!(
        alice
            .get(&format!("/o/applications/{}/", app.id))
            .await
            .status,
        404
    );
    client_credentials(&setup, &app)
        .await
        .assert_oauth_error(401, "invalid_client");
}

pub async fn authorized_tokens_are_listed_and_revoked_by_their_user(env: &TestEnv) {
    let setup = setup(env).await;
    let tokens = setup.password_tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let mut alice = Browser::new(&setup.server);
    alice.log_in("alice", PASSWORD).await;
    let list = alice.get("/o/authorized-tokens/").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Backend"), "{}", list.body);
    let id = between(&list.body, r#"action="/o/authorized-tokens/"#, "/delete/").to_owned();
    let action = format!("/o/authorized-tokens/{id}/delete/");

    // bob cannot see or revoke alice's authorization.
    let mut bob = Browser::new(&setup.server);
    bob.log_in("bob", PASSWORD).await;
    let bobs_list = bob.get("/o/authorized-tokens/").await;
    assert!(
        bobs_list
            .body
            .contains("You have not authorized any application.")
    );
    assert_eq!(bob.get(&action).await.status, 404);
    let bobs_form = bob.get("/o/applications/register/").await;
    assert_eq!(bob.submit(&bobs_form, &action, &[]).await.status, 404);
    assert_eq!(setup.introspect(access).await["active"], true);

    let confirm = alice.get(&action).await;
    assert!(confirm.body.contains("Backend"));
    let revoked = alice.submit(&confirm, &action, &[]).await;
    assert_eq!(revoked.status, 303, "{revoked:?}");
    assert!(
        alice
            .get("/o/authorized-tokens/")
            .await
            .body
            .contains("You have not authorized any application.")
    );
    assert_eq!(
        setup.introspect(access).await,
        serde_json::json!({"active": false})
    );
    // The refresh token went with it: the application cannot mint a new access token.
    setup
        .token(&format!("grant_type=refresh_token&refresh_token={refresh}"))
        .await
        .assert_oauth_error(400, "invalid_grant");
    assert_eq!(alice.submit(&confirm, &action, &[]).await.status, 404);
}
