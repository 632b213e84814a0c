//! CORS on the token, revocation and introspection endpoints: a browser app's origin,
//! allowed by its application, may read the answers; no other origin may.

use crate::browser::{Browser, CHALLENGE, VERIFIER, location, query_of};
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

/// Headless Chromium: the one `WARRANT_TEST_CHROMIUM` names (`.ci/run` installs it and sets
/// it, so there it must exist), else `/usr/bin/chromium` if installed; `None` skips the
/// browser test.
fn chromium() -> Option<std::path::PathBuf> {
    if let Some(required) = std::env::var_os("WARRANT_TEST_CHROMIUM") {
        let path = std::path::PathBuf::from(required);
        assert!(
            path.exists(),
            "WARRANT_TEST_CHROMIUM={} does not exist",
            path.display()
        );
        return Some(path);
    }
    let installed = std::path::PathBuf::from("/usr/bin/chromium");
    if installed.exists() {
        return Some(installed);
    }
    eprintln!("SKIPPED: no Chromium (set WARRANT_TEST_CHROMIUM), browser CORS test not run");
    None
}

/// Serves `html` for every request on `port` (a browser app's origin), until the test ends.
fn serve_page(port: u16, html: String) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0_u8; 4096];
            let _ = stream.read(&mut request);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
}

/// A page that POSTs `body` to the token endpoint with `fetch` and shows what it could
/// read: `token:<access token>`, `error:<code>`, or `blocked` when CORS hid the answer.
fn token_page(token_endpoint: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html><body><p id="result">pending</p><script>
fetch("{token_endpoint}", {{method: "POST",
  headers: {{"Content-Type": "application/x-www-form-urlencoded"}}, body: "{body}"}})
  .then(r => r.json())
  .then(j => {{ document.getElementById("result").textContent = j.access_token ? "token:" + j.access_token : "error:" + j.error; }})
  .catch(() => {{ document.getElementById("result").textContent = "blocked"; }});
</script></body></html>"#
    )
}

/// What the page at `url` showed, read from the DOM once its requests are done.
fn run_in_browser(chromium: &std::path::Path, profile: &std::path::Path, url: &str) -> String {
    let output = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    let start = dom
        .find(r#"<p id="result">"#)
        .unwrap_or_else(|| panic!("no result in {dom}"));
    let rest = &dom[start + r#"<p id="result">"#.len()..];
    rest[..rest.find("</p>").unwrap()].to_owned()
}

pub async fn a_browser_app_exchanges_its_code_from_its_own_origin_only(env: &TestEnv) {
    let Some(chromium) = chromium() else { return };
    let (app_port, other_port) = (crate::support::free_port(), crate::support::free_port());
    let app_origin = format!("http://127.0.0.1:{app_port}");
    let redirect = format!("{app_origin}/callback");
    let created = env.run(
        &[
            "app",
            "create",
            "--name",
            "Browser app",
            "--client-type",
            "public",
            "--grant",
            "authorization_code",
            "--redirect-uri",
            &redirect,
            "--allowed-origin",
            &app_origin,
            "--json",
        ],
        None,
    );
    assert!(created.status.success(), "{created:?}");
    let created: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let setup = Setup::start(env).await;
    let token_endpoint = format!("{}/o/token/", setup.server.base_url);

    // Another origin's page can send a request but not read the answer.
    let probe = format!("grant_type=authorization_code&client_id={client_id}&code=guess");
    serve_page(other_port, token_page(&token_endpoint, &probe));
    let profile = env.dir.join("chromium");
    let other = run_in_browser(
        &chromium,
        &profile,
        &format!("http://127.0.0.1:{other_port}/"),
    );
    assert_eq!(other, "blocked");

    // alice authorizes the app; its page, on its own origin, exchanges the code with PKCE.
    let mut browser = Browser::new(&setup.server);
    browser.log_in("alice", PASSWORD).await;
    let encoded = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let consent = browser
        .get(&format!(
            "/o/authorize/?response_type=code&client_id={client_id}&redirect_uri={}&scope=read&code_challenge={CHALLENGE}&code_challenge_method=S256",
            encoded(&redirect)
        ))
        .await;
    assert_eq!(consent.status, 200, "{consent:?}");
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let code = query_of(location(&approved))["code"].clone();
    let exchange = format!(
        "grant_type=authorization_code&client_id={client_id}&code={code}&code_verifier={VERIFIER}&redirect_uri={}",
        encoded(&redirect)
    );
    serve_page(app_port, token_page(&token_endpoint, &exchange));
    let shown = run_in_browser(&chromium, &profile, &format!("{redirect}?code={code}"));
    let token = shown
        .strip_prefix("token:")
        .unwrap_or_else(|| panic!("{shown}"));
    let introspected = setup.introspect(token).await;
    assert_eq!(
        (&introspected["active"], &introspected["username"]),
        (&serde_json::json!(true), &serde_json::json!("alice"))
    );
}
