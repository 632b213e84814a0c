//! CORS on the token, revocation and introspection endpoints: a browser app's origin,
//! allowed by its application, may read the answers; no other origin may.

use crate::support::{Reply, TestEnv};
use crate::token_endpoint::Setup;

const PASSWORD: &str = "correct-horse-battery";
const SPA: &str = "https://spa.example";

/// [`Setup`] plus a public application "SPA" that allows the origin [`SPA`].
async fn setup(env: &TestEnv) -> (Setup, String) {
    let spa = env.run(
        &[
            "app",
            "create",
            "--name",
            "SPA",
            "--client-type",
            "public",
            "--grant",
            "password",
            "--allowed-origin",
            SPA,
            "--json",
        ],
        None,
    );
    assert!(spa.status.success(), "{spa:?}");
    let spa: serde_json::Value = serde_json::from_slice(&spa.stdout).unwrap();
    let client_id = spa["client_id"].as_str().unwrap().to_owned();
    (Setup::start(env).await, client_id)
}

async fn preflight(setup: &Setup, path: &str, origin: Option<&str>) -> Reply {
    let mut headers = vec![
        ("Access-Control-Request-Method", "POST".to_owned()),
        ("Access-Control-Request-Headers", "content-type".to_owned()),
    ];
    headers.extend(origin.map(|origin| ("Origin", origin.to_owned())));
    setup
        .server
        .request("OPTIONS", path, &headers, Vec::new())
        .await
}

async fn password_grant(setup: &Setup, client_id: &str, password: &str, origin: &str) -> Reply {
    let body =
        format!("grant_type=password&username=alice&password={password}&client_id={client_id}");
    let headers = [
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("Origin", origin.to_owned()),
    ];
    setup
        .server
        .request("POST", "/o/token/", &headers, body.into_bytes())
        .await
}

fn assert_no_credentials_or_wildcard(reply: &Reply) {
    assert_eq!(reply.header("access-control-allow-credentials"), None);
    assert_ne!(reply.header("access-control-allow-origin"), Some("*"));
}

pub async fn preflights_are_answered_for_allowed_origins_only(env: &TestEnv) {
    let (setup, _) = setup(env).await;
    for path in ["/o/token/", "/o/revoke_token/", "/o/introspect/"] {
        let allowed = preflight(&setup, path, Some(SPA)).await;
        assert_eq!(allowed.status, 204, "{path}: {allowed:?}");
        assert_eq!(allowed.header("access-control-allow-origin"), Some(SPA));
        assert_eq!(allowed.header("access-control-allow-methods"), Some("POST"));
        assert!(
            allowed
                .header("access-control-allow-headers")
                .is_some_and(|h| h.contains("Content-Type"))
        );
        assert_no_credentials_or_wildcard(&allowed);

        for origin in [Some("https://evil.example"), Some("not an origin"), None] {
            let refused = preflight(&setup, path, origin).await;
            assert_eq!(refused.status, 204, "{path} {origin:?}");
            assert_eq!(
                refused.header("access-control-allow-origin"),
                None,
                "{path} {origin:?}"
            );
        }
    }
}

pub async fn answers_are_readable_by_the_clients_own_origins(env: &TestEnv) {
    let (setup, spa) = setup(env).await;
    let issued = password_grant(&setup, &spa, PASSWORD, SPA).await;
    assert_eq!(issued.status, 200, "{issued:?}");
    assert_eq!(issued.header("access-control-allow-origin"), Some(SPA));
    assert_eq!(issued.header("vary"), Some("Origin"));
    assert_no_credentials_or_wildcard(&issued);

    // Errors are readable too, so the app can show them.
    let refused = password_grant(&setup, &spa, "wrong-password", SPA).await;
    refused.assert_oauth_error(400, "invalid_grant");
    assert_eq!(refused.header("access-control-allow-origin"), Some(SPA));

    // Another origin, or an origin another application allows, gets no CORS header.
    let other = password_grant(&setup, &spa, PASSWORD, "https://evil.example").await;
    assert_eq!(other.status, 200);
    assert_eq!(other.header("access-control-allow-origin"), None);
    let backend = setup
        .server
        .request(
            "POST",
            "/o/token/",
            &[
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("Origin", SPA.to_owned()),
                (
                    "Authorization",
                    crate::support::basic_header(&setup.client_id, &setup.secret),
                ),
            ],
            b"grant_type=client_credentials".to_vec(),
        )
        .await;
    assert_eq!(backend.status, 200, "{backend:?}");
    assert_eq!(backend.header("access-control-allow-origin"), None);
}
