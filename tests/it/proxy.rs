//! Behind a reverse proxy, or TLS itself (issue 21): nginx (Debian's `nginx-light`, named by
//! `WARRANT_TEST_NGINX`) in front of Warrant; with `server.trusted_proxies` naming it,
//! lockouts, logs and the audit log see the client's address, without it the proxy's.
//! With `[server.tls]`, Warrant serves the token endpoint over HTTPS to a client that
//! trusts the test CA, and to no other.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;
use warrant_model::Secret;
use warrant_outgoing::{Body, Client, ClientOptions, OutgoingError, Request};

use crate::hostile::client_credentials_app;
use crate::support::{Server, TestEnv, basic_header, free_port};
use crate::tls::Certificates;

/// The address the test client connects from: not the proxy's.
const CLIENT_ADDRESS: &str = "127.0.0.3";

/// nginx proxying `127.0.0.1:<port>` to Warrant as its documentation says; killed on drop.
pub(crate) struct Nginx {
    child: Child,
    address: SocketAddr,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    /// nginx passing requests to the servers at `upstreams` (`host:port`), in turn.
    pub(crate) fn start(env: &TestEnv, nginx: &str, upstreams: &[&str]) -> Self {
        let dir = env.dir.join("nginx");
        let servers: String = upstreams
            .iter()
            .map(|upstream| format!("    server {upstream};\n"))
            .collect();
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let dir_text = dir.display();
        let config = format!(
            "daemon off;\nmaster_process off;\npid {dir_text}/nginx.pid;\nerror_log {dir_text}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  upstream warrant {{\n{servers}  }}\n  access_log off;\n  client_body_temp_path {dir_text}/body;\n  proxy_temp_path {dir_text}/proxy;\n\
               fastcgi_temp_path {dir_text}/fastcgi;\n  uwsgi_temp_path {dir_text}/uwsgi;\n  scgi_temp_path {dir_text}/scgi;\n\
               server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://warrant;\n\
                 proxy_set_header Host $host;\n      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
                 proxy_set_header X-Forwarded-Proto $scheme;\n      proxy_set_header X-Request-Id $request_id;\n    }}\n  }}\n}}\n"
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, config).unwrap();
        let child = Command::new(nginx)
            .args([
                "-p",
                &dir.display().to_string(),
                "-c",
                &path.display().to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    /// `http://host:port` of the proxy.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Sends a password grant to nginx from [`CLIENT_ADDRESS`], with an `X-Forwarded-For`
    /// of the client's own making; the status.
    async fn wrong_password(&self, basic: &str) -> u16 {
        let body = "grant_type=password&username=mallory&password=guessing";
        let request = format!(
            "POST /o/token/ HTTP/1.1\r\nHost: auth.test\r\nAuthorization: {basic}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nX-Forwarded-For: 198.51.100.66\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        for _ in 0..100 {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket
                .bind(SocketAddr::new(CLIENT_ADDRESS.parse().unwrap(), 0))
                .unwrap();
            let Ok(mut stream) = socket.connect(self.address).await else {
                // nginx is still starting.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            return answer
                .split(' ')
                .nth(1)
                .and_then(|status| status.parse().ok())
                .unwrap_or_else(|| panic!("no status in {answer:?}"));
        }
        panic!("nginx did not listen on {}", self.address);
    }
}

/// The brute-force counters of login addresses (`warrant lockout list --json`).
fn counted_addresses(env: &TestEnv) -> Vec<String> {
    let output = env.run(
        &["lockout", "list", "--kind", "login_address", "--json"],
        None,
    );
    assert!(output.status.success(), "{output:?}");
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|counter| counter["subject"].as_str().unwrap().to_owned())
        .collect()
}

/// The `client_address` of every access line of the token endpoint in JSON `logs`.
fn logged_addresses(logs: &str) -> Vec<String> {
    logs.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "warrant::access" && line["route"] == "/o/token")
        .map(|line| {
            line["client_address"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

pub async fn behind_nginx_only_trusted_proxies_name_the_client(env: &TestEnv) {
    let Some(nginx) = std::env::var_os("WARRANT_TEST_NGINX") else {
        eprintln!("WARRANT_TEST_NGINX is not set: the reverse-proxy test does not run");
        return;
    };
    let nginx = nginx.to_string_lossy().into_owned();
    std::fs::write(env.dir.join("warrant.toml"), "[log]\nformat = \"json\"\n").unwrap();
    let app = env.create_app(&[
        "--name",
        "Backend",
        "--client-type",
        "confidential",
        "--grant",
        "password",
    ]);
    let basic = basic_header(
        app["client_id"].as_str().unwrap(),
        app["client_secret"].as_str().unwrap(),
    );

    // The proxy is trusted: the address it names counts, not the one the client wrote.
    let mut trusting = env.command(&["serve"]);
    trusting.env("WARRANT_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1\"]");
    let server = Server::start(trusting).await;
    let proxy = Nginx::start(env, &nginx, &[server.address()]);
    assert_eq!(proxy.wrong_password(&basic).await, 400);
    let logs = server.stop();
    assert_eq!(counted_addresses(env), [CLIENT_ADDRESS]);
    assert_eq!(logged_addresses(&logs), [CLIENT_ADDRESS], "{logs}");
    drop(proxy);
    let cleared = env.run(&["lockout", "clear", "login_address", CLIENT_ADDRESS], None);
    assert!(cleared.status.success(), "{cleared:?}");

    // Not trusted: the proxy's own address counts, whatever the headers say.
    let server = Server::start(env.command(&["serve"])).await;
    let proxy = Nginx::start(env, &nginx, &[server.address()]);
    assert_eq!(proxy.wrong_password(&basic).await, 400);
    let logs = server.stop();
    assert_eq!(counted_addresses(env), ["127.0.0.1"]);
    assert_eq!(logged_addresses(&logs), ["127.0.0.1"], "{logs}");
}

/// Configures `[server.tls]` with these files.
fn serve_tls(env: &TestEnv, certificate: &Path, key: &Path) {
    std::fs::write(
        env.dir.join("warrant.toml"),
        format!(
            "[server.tls]\ncertificate = {:?}\nkey = {:?}\n",
            certificate.display().to_string(),
            key.display().to_string()
        ),
    )
    .unwrap();
}

pub async fn native_tls_serves_clients_that_trust_its_ca(env: &TestEnv) {
    let certificates = Certificates::make();
    let (certificate, key) = certificates.write_leaf(&env.dir);
    serve_tls(env, &certificate, &key);
    let (client_id, secret) = client_credentials_app(env);
    let port = free_port();
    let mut command = env.command(&["serve"]);
    command
        .env("WARRANT_SERVER__PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    let base = format!("https://127.0.0.1:{port}");
    let trusting = Client::new(&ClientOptions {
        trusted_pem: certificates.ca.clone(),
        ..ClientOptions::new(Duration::from_secs(5))
    })
    .unwrap();
    let healthz = Url::parse(&format!("{base}/healthz")).unwrap();
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(answer) = trusting.send(Request::get(healthz.clone())).await {
            assert_eq!(answer.status, 200);
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the TLS server did not answer /healthz within 30 s");

    let token = Request::post(
        Url::parse(&format!("{base}/o/token/")).unwrap(),
        Body::form([("grant_type", "client_credentials")]),
    )
    .authorized(Secret::new(basic_header(&client_id, &secret)));
    let answer = trusting.send(token).await.unwrap();
    assert_eq!(answer.status, 200, "{answer:?}");
    // The issuer it derives is https, as are the endpoints it publishes.
    let discovery = trusting
        .send(Request::get(
            Url::parse(&format!("{base}/.well-known/openid-configuration")).unwrap(),
        ))
        .await
        .unwrap();
    let document: Value = serde_json::from_slice(&discovery.body).unwrap();
    assert_eq!(document["token_endpoint"], format!("{base}/o/token/"));

    let public_roots_only = Client::new(&ClientOptions::new(Duration::from_secs(5))).unwrap();
    let refused = public_roots_only.send(Request::get(healthz)).await;
    assert!(
        matches!(&refused, Err(OutgoingError::Unreachable { reason, .. }) if reason.contains("certificate")),
        "{refused:?}"
    );
    let _ = child.kill();
    let _ = child.wait();

    // A key that does not fit, or a file that is not there, stops the server naming it.
    let (other_certificate, _) = Certificates::make().write_leaf(&env.dir.join("other"));
    serve_tls(env, &other_certificate, &key);
    crate::support::assert_one_line_error(
        &env.run(&["serve"], None),
        "the key does not fit the certificate",
    );
    serve_tls(env, Path::new("missing.pem"), Path::new("missing.key"));
    crate::support::assert_one_line_error(
        &env.run(&["serve"], None),
        "server.tls.certificate: cannot read missing.pem",
    );
}
