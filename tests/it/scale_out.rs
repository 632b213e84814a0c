//! Scale-out as large sites run it (issue 22): several `warrant serve` instances behind
//! nginx (named by `WARRANT_TEST_NGINX`) on one PostgreSQL, through pgbouncer (Debian's,
//! named by `WARRANT_TEST_PGBOUNCER`). In session pooling no answered token is lost and
//! every instance knows every token; a pooler in transaction mode, which would break
//! sqlx's prepared statements under load, is refused at start in one line.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sqlx::Connection;
use url::Url;

use crate::hostile::client_credentials_app;
use crate::proxy::Nginx;
use crate::support::{Server, TestEnv, assert_one_line_error, free_port, try_post_form_to};

/// pgbouncer in front of the test's database, as `postgres://…/warrant`; killed on drop.
struct PgBouncer {
    child: Child,
    url: String,
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PgBouncer {
    /// pgbouncer in `pool_mode` (`session` or `transaction`) with room for `server_connections`
    /// server connections, its log in the test's directory.
    fn start(env: &TestEnv, program: &str, pool_mode: &str, server_connections: u32) -> Self {
        let target = Url::parse(&env.database_url).unwrap();
        let dir = env.dir.join(format!("pgbouncer-{pool_mode}"));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let config = format!(
            "[databases]\nwarrant = host={host} port={target_port} dbname={database} user={user}\n\
             [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = any\npool_mode = {pool_mode}\ndefault_pool_size = {server_connections}\n\
             max_client_conn = 200\nignore_startup_parameters = extra_float_digits\n",
            host = target.host_str().unwrap(),
            target_port = target.port().unwrap_or(5432),
            database = target.path().trim_start_matches('/'),
            user = target.username(),
        );
        let path = dir.join("pgbouncer.ini");
        std::fs::write(&path, config).unwrap();
        let mut command = Command::new(program);
        // pgbouncer will not run as root; Debian's package runs it as `postgres`.
        if is_root() {
            command.args(["-u", "postgres"]);
        }
        let log = std::fs::File::create(dir.join("pgbouncer.log")).unwrap();
        let child = command
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let started = Self {
            child,
            url: format!("postgres://{}@127.0.0.1:{port}/warrant", target.username()),
        };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return started;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "pgbouncer did not listen on {port}: {}",
            std::fs::read_to_string(dir.join("pgbouncer.log")).unwrap_or_default()
        );
    }
}

fn is_root() -> bool {
    let id = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&id.stdout).trim() == "0"
}

/// The programs these tests drive; `None` (the test skipped, and says so) without them.
fn programs() -> Option<(String, String)> {
    let named = |variable: &str| {
        let program = std::env::var(variable).ok();
        if program.is_none() {
            eprintln!("SKIPPED: {variable} is not set, scale-out test not run");
        }
        program
    };
    Some((
        named("WARRANT_TEST_NGINX")?,
        named("WARRANT_TEST_PGBOUNCER")?,
    ))
}

/// `warrant serve` on the database behind `bouncer`.
fn serve_through(env: &TestEnv, bouncer: &PgBouncer) -> Command {
    let mut command = env.command(&["serve"]);
    command.env("WARRANT_DATABASE__URL", &bouncer.url);
    command
}

pub async fn instances_behind_nginx_through_pgbouncer_lose_no_token(env: &TestEnv) {
    let Some((nginx, pgbouncer)) = programs() else {
        return;
    };
    // Session pooling gives each client connection a server connection of its own: room
    // for both instances' pools (twice the cores each) and their start-up checks.
    let bouncer = PgBouncer::start(env, &pgbouncer, "session", 32);
    let app = client_credentials_app(env);
    let first = Server::start(serve_through(env, &bouncer)).await;
    let second = Server::start(serve_through(env, &bouncer)).await;
    let proxy = Nginx::start(env, &nginx, &[first.address(), second.address()]);
    let proxy_url = proxy.base_url();
    let mut started = false;
    for _ in 0..100 {
        if try_post_form_to(&proxy_url, "/o/token/", "", None)
            .await
            .is_ok()
        {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started, "nginx did not listen at {proxy_url}");

    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (proxy_url, app) = (proxy_url.clone(), app.clone());
        clients.spawn(async move {
            let mut answered = Vec::new();
            for _ in 0..25 {
                let reply = try_post_form_to(
                    &proxy_url,
                    "/o/token/",
                    "grant_type=client_credentials",
                    Some((&app.0, &app.1)),
                )
                .await
                .unwrap();
                assert_eq!(reply.status, 200, "{reply:?}");
                answered.push(reply.json()["access_token"].as_str().unwrap().to_owned());
            }
            answered
        });
    }
    let mut answered = Vec::new();
    while let Some(done) = clients.join_next().await {
        answered.extend(done.unwrap());
    }
    assert_eq!(answered.len(), 200);

    for server in [&first, &second] {
        assert!(
            server.stderr_so_far().contains("/o/token"),
            "nginx sent no token request to {}",
            server.address()
        );
        for token in &answered {
            let reply = server
                .post_form(
                    "/o/introspect/",
                    &format!("token={token}"),
                    Some((&app.0, &app.1)),
                )
                .await;
            assert_eq!(reply.json()["active"], true, "{reply:?}");
        }
    }
    let mut database = sqlx::PgConnection::connect(&env.database_url)
        .await
        .unwrap();
    let (stored,): (i64,) = sqlx::query_as("SELECT count(*) FROM access_tokens")
        .fetch_one(&mut database)
        .await
        .unwrap();
    assert_eq!(
        stored, 200,
        "one row for every token answered, and no other"
    );
}

pub async fn transaction_pooling_is_refused_in_one_line(env: &TestEnv) {
    let Some((_, pgbouncer)) = programs() else {
        return;
    };
    let bouncer = PgBouncer::start(env, &pgbouncer, "transaction", 4);
    let mut serve = serve_through(env, &bouncer);
    serve.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = serve.spawn().unwrap();
    // Without the check the server starts, and fails only once requests share sessions.
    let mut waited = 0;
    while child.try_wait().unwrap().is_none() {
        if waited == 300 {
            let _ = child.kill();
            panic!("warrant serve started behind a pooler in transaction mode");
        }
        waited += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    assert_one_line_error(&output, "pool_mode = session");
    assert!(
        crate::support::text(&output.stderr).contains(&bouncer.url),
        "the message names the database"
    );
}
