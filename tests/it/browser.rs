//! The authorization-code flow driven like a browser: cookies kept, forms submitted with
//! their hidden fields (CSRF token included), redirects inspected rather than followed.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{Reply, Server, TestEnv};

const PASSWORD: &str = "correct-horse-battery";
const REDIRECT: &str = "http://127.0.0.1:9000/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A cookie-keeping client.
pub struct Browser<'a> {
    server: &'a Server,
    cookies: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(server: &'a Server) -> Self {
        Self {
            server,
            cookies: BTreeMap::new(),
        }
    }

    /// The `Cookie` header this browser sends (to any server on the same host).
    pub fn cookie_header(&self) -> (&'static str, String) {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        ("Cookie", cookie)
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(String, String)]>,
    ) -> Reply {
        let mut headers = Vec::new();
        if !self.cookies.is_empty() {
            headers.push(self.cookie_header());
        }
        let body = match form {
            Some(fields) => {
                headers.push((
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_owned(),
                ));
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields)
                    .finish()
                    .into_bytes()
            }
            None => Vec::new(),
        };
        let reply = self.server.request(method, path, &headers, body).await;
        for (name, value) in &reply.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or_default();
                if let Some((k, v)) = pair.split_once('=') {
                    if v.is_empty() || value.contains("Max-Age=0") {
                        self.cookies.remove(k);
                    } else {
                        self.cookies.insert(k.to_owned(), v.to_owned());
                    }
                }
            }
        }
        reply
    }

    /// The base URL of the server this browser talks to.
    pub fn base_url(&self) -> &str {
        &self.server.base_url
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send("GET", path, None).await
    }

    /// Submits the page's form for `action` (or, when none names it, the page's only one):
    /// its hidden fields plus `extra`.
    pub async fn submit(&mut self, page: &Reply, action: &str, extra: &[(&str, &str)]) -> Reply {
        let mut fields = hidden_fields(form_of(&page.body, action));
        fields.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self.send("POST", action, Some(&fields)).await
    }

    /// Posts `fields` with this browser's CSRF token, as a form of a page it saw would.
    pub async fn post_with_csrf(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let csrf = self.cookies["warrant_csrf"].clone();
        let mut all = vec![("csrf_token".to_owned(), csrf)];
        all.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self.send("POST", path, Some(&all)).await
    }

    /// Logs in on the login page.
    pub async fn log_in(&mut self, username: &str, password: &str) {
        let login_page = self.get("/accounts/login/").await;
        let reply = self
            .submit(
                &login_page,
                "/accounts/login/",
                &[("username", username), ("password", password)],
            )
            .await;
        assert_eq!(reply.status, 303, "{reply:?}");
    }

    /// Logs in through the login page reached by following `redirect`.
    async fn log_in_via(&mut self, redirect: &Reply, password: &str) -> Reply {
        assert_eq!(redirect.status, 303, "{redirect:?}");
        let login_page = self.get(location(redirect)).await;
        assert_eq!(login_page.status, 200, "{login_page:?}");
        self.submit(
            &login_page,
            "/accounts/login/",
            &[("username", "alice"), ("password", password)],
        )
        .await
    }
}

pub fn location(reply: &Reply) -> &str {
    reply
        .header("location")
        .unwrap_or_else(|| panic!("no Location: {reply:?}"))
}

/// The HTML of the form posting to `action`, or the whole page when no form names it.
fn form_of<'a>(html: &'a str, action: &str) -> &'a str {
    let Some(start) = html.find(&format!(r#"action="{action}""#)) else {
        return html;
    };
    let rest = &html[start..];
    &rest[..rest.find("</form>").unwrap_or(rest.len())]
}

/// `name`/`value` of every `<input type="hidden">`, unescaped.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split(r#"<input type="hidden" name=""#)
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once(r#"" value=""#)?;
            let (value, _) = rest.split_once('"')?;
            Some((unescape(name), unescape(value)))
        })
        .collect()
}

pub fn query_of(location: &str) -> BTreeMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs().into_owned().collect()
}

struct Setup {
    server: Server,
    public_client: String,
    resource_server: (String, String),
}

async fn setup(env: &TestEnv) -> Setup {
    let user = env.run(
        &["user", "create", "--username", "alice", "--password-stdin"],
        Some(PASSWORD),
    );
    assert!(user.status.success());
    let create = |args: &[&str]| -> Value {
        let mut all = vec!["app", "create", "--json"];
        all.extend_from_slice(args);
        serde_json::from_slice(&env.run(&all, None).stdout).unwrap()
    };
    let public = create(&[
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
    ]);
    let rs = create(&[
        "--name",
        "API",
        "--client-type",
        "confidential",
        "--grant",
        "client_credentials",
    ]);
    Setup {
        server: Server::start(env.command(&["serve"])).await,
        public_client: public["client_id"].as_str().unwrap().to_owned(),
        resource_server: (
            rs["client_id"].as_str().unwrap().to_owned(),
            rs["client_secret"].as_str().unwrap().to_owned(),
        ),
    }
}

impl Setup {
    fn authorize_path(&self, extra: &str) -> String {
        format!(
            "/o/authorize/?client_id={}&response_type=code&scope=read&state=xyz%20123&redirect_uri={}&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
            self.public_client,
            url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        )
    }

    async fn introspect(&self, token: &str) -> Value {
        let (id, secret) = &self.resource_server;
        self.server
            .post_form(
                "/o/introspect/",
                &format!("token={token}"),
                Some((id, secret)),
            )
            .await
            .json()
    }

    /// The public client revokes its refresh token (`none` authentication); the grant's
    /// access token then introspects as inactive.
    async fn revoke_grant(&self, refresh_token: &str, access_token: &str) {
        let revoke = format!("client_id={}&token={refresh_token}", self.public_client);
        let revoked = self
            .server
            .post_form("/o/revoke_token/", &revoke, None)
            .await;
        assert_eq!(revoked.status, 200, "{revoked:?}");
        assert_eq!(
            self.introspect(access_token).await,
            serde_json::json!({"active": false})
        );
    }

    /// Logs alice in and returns the consent page.
    async fn consent_page(&self, browser: &mut Browser<'_>) -> Reply {
        let path = self.authorize_path("");
        let to_login = browser.get(&path).await;
        assert!(
            location(&to_login).starts_with("/accounts/login/?next="),
            "{to_login:?}"
        );
        let logged_in = browser.log_in_via(&to_login, PASSWORD).await;
        assert_eq!(
            (logged_in.status, location(&logged_in)),
            (303, path.as_str()),
            "back to the request"
        );
        browser.get(&path).await
    }
}

pub async fn authorization_code_flow_like_a_browser(env: &TestEnv) {
    let setup = setup(env).await;
    let mut browser = Browser::new(&setup.server);
    let consent = setup.consent_page(&mut browser).await;
    assert_eq!(consent.status, 200, "{consent:?}");
    assert!(
        consent.body.contains("Photo App") && consent.body.contains("Reading scope"),
        "{}",
        consent.body
    );
    assert_eq!(consent.header("x-frame-options"), Some("DENY"));
    assert!(
        consent
            .header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );

    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    assert_eq!(approved.status, 303, "{approved:?}");
    assert!(location(&approved).starts_with(&format!("{REDIRECT}?")));
    let answer = query_of(location(&approved));
    assert_eq!(
        answer.get("state").map(String::as_str),
        Some("xyz 123"),
        "state is echoed"
    );
    let code = answer["code"].clone();

    let exchange = |verifier: &str| {
        format!(
            "grant_type=authorization_code&client_id={}&code={code}&code_verifier={verifier}&redirect_uri={}",
            setup.public_client,
            url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
        )
    };
    let tokens = setup
        .server
        .post_form("/o/token/", &exchange(VERIFIER), None)
        .await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
    let tokens = tokens.json();
    assert_eq!(
        setup
            .introspect(tokens["access_token"].as_str().unwrap())
            .await["username"],
        "alice"
    );

    let refresh = format!(
        "grant_type=refresh_token&client_id={}&refresh_token={}",
        setup.public_client,
        tokens["refresh_token"].as_str().unwrap()
    );
    let refreshed = setup.server.post_form("/o/token/", &refresh, None).await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    let refreshed = refreshed.json();
    setup
        .revoke_grant(
            refreshed["refresh_token"].as_str().unwrap(),
            refreshed["access_token"].as_str().unwrap(),
        )
        .await;

    let reused = setup
        .server
        .post_form("/o/token/", &exchange(VERIFIER), None)
        .await;
    reused.assert_oauth_error(400, "invalid_grant");
}

/// RFC 6749 §4.1.3: a code whose authorization request carried `redirect_uri` is exchanged
/// only with that same `redirect_uri`; one whose request omitted it (the client's only
/// registered URI) may be exchanged without.
pub async fn the_code_exchange_repeats_the_requests_redirect_uri(env: &TestEnv) {
    let setup = setup(env).await;
    let mut browser = Browser::new(&setup.server);
    // Logs alice in.
    setup.consent_page(&mut browser).await;
    let code_for = async |browser: &mut Browser<'_>, path: &str| {
        let consent = browser.get(path).await;
        assert_eq!(consent.status, 200, "{consent:?}");
        let approved = browser
            .submit(&consent, "/o/authorize/", &[("allow", "yes")])
            .await;
        let answer = query_of(location(&approved));
        assert_eq!(answer["iss"], setup.server.base_url, "RFC 9207");
        answer["code"].clone()
    };
    let exchange = |code: &str, redirect_uri: Option<&str>| {
        let mut body = format!(
            "grant_type=authorization_code&client_id={}&code={code}&code_verifier={VERIFIER}",
            setup.public_client
        );
        if let Some(uri) = redirect_uri {
            body.push_str("&redirect_uri=");
            body.extend(url::form_urlencoded::byte_serialize(uri.as_bytes()));
        }
        body
    };
    let with_redirect = setup.authorize_path("");
    let code = code_for(&mut browser, &with_redirect).await;
    let refused = setup
        .server
        .post_form("/o/token/", &exchange(&code, None), None)
        .await;
    refused.assert_oauth_error(400, "invalid_grant");
    assert!(
        refused.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("redirect_uri"),
        "{refused:?}"
    );
    let code = code_for(&mut browser, &with_redirect).await;
    let other = setup
        .server
        .post_form(
            "/o/token/",
            &exchange(&code, Some("http://127.0.0.1:9000/other")),
            None,
        )
        .await;
    other.assert_oauth_error(400, "invalid_grant");
    let code = code_for(&mut browser, &with_redirect).await;
    let tokens = setup
        .server
        .post_form("/o/token/", &exchange(&code, Some(REDIRECT)), None)
        .await;
    assert_eq!(tokens.status, 200, "{tokens:?}");

    let without_redirect = with_redirect.replace(
        &format!(
            "&redirect_uri={}",
            url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
        ),
        "",
    );
    assert_ne!(without_redirect, with_redirect);
    let code = code_for(&mut browser, &without_redirect).await;
    let tokens = setup
        .server
        .post_form("/o/token/", &exchange(&code, None), None)
        .await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
}

pub async fn pkce_failure_and_denial(env: &TestEnv) {
    let setup = setup(env).await;
    let mut browser = Browser::new(&setup.server);
    let consent = setup.consent_page(&mut browser).await;
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let code = query_of(location(&approved))["code"].clone();
    let wrong_verifier = format!(
        "grant_type=authorization_code&client_id={}&code={code}&code_verifier={}",
        setup.public_client,
        "x".repeat(43)
    );
    setup
        .server
        .post_form("/o/token/", &wrong_verifier, None)
        .await
        .assert_oauth_error(400, "invalid_grant");
    let no_verifier = format!(
        "grant_type=authorization_code&client_id={}&code={code}",
        setup.public_client
    );
    setup
        .server
        .post_form("/o/token/", &no_verifier, None)
        .await
        .assert_oauth_error(400, "invalid_grant");

    let consent = browser.get(&setup.authorize_path("")).await;
    let denied = browser
        .submit(&consent, "/o/authorize/", &[("allow", "no")])
        .await;
    let answer = query_of(location(&denied));
    assert_eq!(
        (
            answer["error"].as_str(),
            answer["state"].as_str(),
            answer["iss"].as_str()
        ),
        ("access_denied", "xyz 123", setup.server.base_url.as_str()),
        "RFC 9207: errors name the issuer too"
    );
    assert!(!answer.contains_key("code"));

    let no_challenge = browser
        .get(
            &setup
                .authorize_path("")
                .replace("code_challenge=", "ignored="),
        )
        .await;
    let answer = query_of(location(&no_challenge));
    assert_eq!(
        answer["error"], "invalid_request",
        "public clients must use PKCE"
    );
}

pub async fn forms_without_csrf_token_are_403(env: &TestEnv) {
    let setup = setup(env).await;
    let mut browser = Browser::new(&setup.server);
    let login_page = browser.get("/accounts/login/").await;
    let mut fields: Vec<(String, String)> = vec![
        ("username".into(), "alice".into()),
        ("password".into(), PASSWORD.into()),
    ];
    let forged = browser
        .send("POST", "/accounts/login/", Some(&fields))
        .await;
    assert_eq!(forged.status, 403, "no token");
    fields.push(("csrf_token".into(), "guessed".into()));
    assert_eq!(
        browser
            .send("POST", "/accounts/login/", Some(&fields))
            .await
            .status,
        403,
        "wrong token"
    );
    assert!(!login_page.body.is_empty());

    let consent = setup.consent_page(&mut browser).await;
    let without: Vec<(String, String)> = hidden_fields(&consent.body)
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .collect();
    let mut fields = without.clone();
    fields.push(("allow".into(), "yes".into()));
    let forged = browser.send("POST", "/o/authorize/", Some(&fields)).await;
    assert_eq!(forged.status, 403, "{forged:?}");
    assert!(forged.header("location").is_none());
}

pub async fn open_redirects_are_refused(env: &TestEnv) {
    let setup = setup(env).await;
    let mut browser = Browser::new(&setup.server);
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let login_page = browser
            .get(&format!(
                "/accounts/login/?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
            .await;
        assert!(
            !login_page.body.contains("evil.example"),
            "unsafe next is dropped from the form"
        );
        let logged_in = browser
            .submit(
                &login_page,
                "/accounts/login/",
                &[
                    ("username", "alice"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(
            (logged_in.status, location(&logged_in)),
            (303, "/accounts/login/"),
            "{next}"
        );
    }
    let evil = url::form_urlencoded::byte_serialize(b"https://evil.example/cb").collect::<String>();
    let unknown_client =
        format!("/o/authorize/?client_id=nope&response_type=code&redirect_uri={evil}");
    let mismatched = setup.authorize_path("").replace(
        &url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        &evil,
    );
    let repeated = format!(
        "{}&client_id={}",
        setup.authorize_path(""),
        setup.public_client
    );
    for path in [unknown_client, mismatched, repeated] {
        let reply = browser.get(&path).await;
        assert_eq!(reply.status, 400, "{path}: {reply:?}");
        assert!(
            reply.header("location").is_none(),
            "never redirects to an unverified URI"
        );
        assert!(reply.body.contains("role=\"alert\""));
    }
}

pub async fn wrong_password_shows_the_form_again(env: &TestEnv) {
    let setup = setup(env).await;
    let mut browser = Browser::new(&setup.server);
    let to_login = browser.get(&setup.authorize_path("")).await;
    let retry = browser.log_in_via(&to_login, "not-the-password").await;
    assert_eq!(retry.status, 200);
    assert!(
        retry
            .body
            .contains("Please enter a correct username or email and password.")
    );
    assert!(!browser.cookies.contains_key("warrant_session"));
    let logged_in = browser
        .submit(
            &retry,
            "/accounts/login/",
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert!(
        location(&logged_in).starts_with("/o/authorize/"),
        "next survives the retry"
    );

    let home = browser.get("/accounts/login/").await;
    assert!(
        home.body
            .contains("You are logged in as <strong>alice</strong>")
    );
    let logged_out = browser.submit(&home, "/accounts/logout/", &[]).await;
    assert_eq!(logged_out.status, 303);
    assert!(
        location(&browser.get(&setup.authorize_path("")).await).starts_with("/accounts/login/"),
        "the session ended"
    );
}

/// A client library no one here wrote accepts Warrant's answers: the `oauth2` crate builds
/// the authorization request (PKCE, state), exchanges the code and refreshes.
pub async fn the_oauth2_crate_completes_the_code_flow(env: &TestEnv) {
    use oauth2::basic::BasicClient;
    use oauth2::{
        AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope,
        TokenResponse, TokenUrl,
    };
    let setup = setup(env).await;
    let base = &setup.server.base_url;
    let client = BasicClient::new(ClientId::new(setup.public_client.clone()))
        .set_auth_uri(AuthUrl::new(format!("{base}/o/authorize/")).unwrap())
        .set_token_uri(TokenUrl::new(format!("{base}/o/token/")).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The user's part, in the browser.
    let path = format!(
        "{}?{}",
        authorize_url.path(),
        authorize_url.query().unwrap()
    );
    let mut browser = Browser::new(&setup.server);
    let to_login = browser.get(&path).await;
    browser.log_in_via(&to_login, PASSWORD).await;
    let consent = browser.get(&path).await;
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let answer = query_of(location(&approved));
    assert_eq!(
        answer.get("state"),
        Some(state.secret()),
        "the library's state comes back"
    );

    let tokens = client
        .exchange_code(AuthorizationCode::new(answer["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&crate::support::oauth2_http)
        .await
        .unwrap_or_else(|e| panic!("code exchange refused: {e:?}"));
    assert_eq!(
        tokens
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        Some(vec!["read".to_owned()])
    );
    assert!(tokens.expires_in().is_some());
    assert_eq!(
        setup.introspect(tokens.access_token().secret()).await["active"],
        true
    );

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .request_async(&crate::support::oauth2_http)
        .await
        .unwrap_or_else(|e| panic!("refresh refused: {e:?}"));
    // The library revokes only over https (RevocationUrl refuses http), so this step is a
    // plain form post.
    setup
        .revoke_grant(
            refreshed.refresh_token().unwrap().secret(),
            refreshed.access_token().secret(),
        )
        .await;
}

/// RFC 8707 at the authorization endpoint: repeated `resource` parameters survive the login
/// (through a rebuilt request: `max_age=0` is dropped after it) and the consent form, the
/// page names them, and the code's tokens are for them, or fewer.
pub async fn the_resources_of_an_authorization_request_reach_its_tokens(env: &TestEnv) {
    const MCP: &str = "https://mcp.example.com/mcp";
    const API: &str = "https://api.example.com/";
    let encoded =
        |uri: &str| url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>();
    let setup = setup(env).await;
    let mut browser = Browser::new(&setup.server);
    let path = setup.authorize_path(&format!(
        "&resource={}&resource={}&max_age=0",
        encoded(MCP),
        encoded(API)
    ));
    let to_login = browser.get(&path).await;
    let logged_in = browser.log_in_via(&to_login, PASSWORD).await;
    let back = location(&logged_in).to_owned();
    assert!(!back.contains("max_age"), "{back}");
    let consent = browser.get(&back).await;
    assert_eq!(consent.status, 200, "{consent:?}");
    assert!(
        consent.body.contains(MCP) && consent.body.contains(API),
        "{}",
        consent.body
    );
    let approved = browser
        .submit(&consent, "/o/authorize/", &[("allow", "yes")])
        .await;
    let code = query_of(location(&approved))["code"].clone();
    let tokens = setup
        .server
        .post_form(
            "/o/token/",
            &format!(
                "grant_type=authorization_code&client_id={}&code={code}&code_verifier={VERIFIER}&redirect_uri={}&resource={}",
                setup.public_client,
                encoded(REDIRECT),
                encoded(MCP)
            ),
            None,
        )
        .await;
    assert_eq!(tokens.status, 200, "{tokens:?}");
    let tokens = tokens.json();
    let described = setup
        .introspect(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(described["aud"], serde_json::json!([MCP]));

    let refresh = format!(
        "grant_type=refresh_token&client_id={}&refresh_token={}",
        setup.public_client,
        tokens["refresh_token"].as_str().unwrap()
    );
    let refreshed = setup
        .server
        .post_form("/o/token/", &refresh, None)
        .await
        .json();
    let described = setup
        .introspect(refreshed["access_token"].as_str().unwrap())
        .await;
    assert_eq!(
        described["aud"],
        serde_json::json!([API, MCP]),
        "the grant was for both"
    );
}
