//! What one hostile or unlucky client may not do to everyone else (issue 16): a flood of
//! wrong passwords, each costing a PBKDF2 at Django's 600,000 iterations, leaves the
//! server answering others at once, and beyond its hashing limits it refuses at once; idle,
//! slow and kept-alive sockets are closed on their deadlines, and more of them than the
//! server may hold keep no one out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Server, TestEnv};
use crate::token_endpoint::Setup;

/// A password grant for no such user: it costs a PBKDF2 at the configured count all the
/// same, so that answers do not tell which usernames exist.
const WRONG_PASSWORD: &str = "grant_type=password&username=nobody&password=not-a-password";

/// Sixteen clients sending wrong passwords as fast as they are answered, until stopped.
fn flood(setup: &Arc<Setup>, stop: &Arc<AtomicBool>) -> Vec<tokio::task::JoinHandle<Vec<u16>>> {
    (0..16)
        .map(|_| {
            let (setup, stop) = (setup.clone(), stop.clone());
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    statuses.push(setup.token(WRONG_PASSWORD).await.status);
                }
                statuses
            })
        })
        .collect()
}

/// The server, with users' passwords hashed at Django's cost, and `extra` settings.
/// Brute-force protection is off: a locked login is refused without hashing, and these
/// tests are about the hashing.
async fn setup(env: &TestEnv, extra: &[(&str, &str)]) -> Arc<Setup> {
    let mut server_env = vec![
        ("WARRANT_PASSWORDS__ITERATIONS", "600000"),
        ("WARRANT_BRUTE_FORCE__ENABLED", "false"),
    ];
    server_env.extend_from_slice(extra);
    Arc::new(Setup::start_with(env, &server_env).await)
}

/// Password hashing runs off the request threads: while sixteen clients flood the password
/// grant, liveness and client-credentials tokens still answer well within a liveness
/// probe's patience (on the old code they took seconds).
pub async fn a_wrong_password_flood_leaves_other_requests_fast(env: &TestEnv) {
    let setup = setup(env, &[]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let flooding = flood(&setup, &stop);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..8 {
        let started = Instant::now();
        assert_eq!(setup.server.get("/healthz").await.0, 200);
        slowest = slowest.max(started.elapsed());
        let started = Instant::now();
        let token = setup.token("grant_type=client_credentials").await;
        assert_eq!(token.status, 200, "{token:?}");
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut wrong = 0;
    for client in flooding {
        let statuses = client.await.unwrap();
        assert!(statuses.iter().all(|status| *status == 400), "{statuses:?}");
        wrong += statuses.len();
    }
    assert!(
        wrong >= 8,
        "the flood ran: {wrong} wrong passwords answered"
    );
    eprintln!(
        "during the flood ({wrong} wrong passwords answered) the slowest other request took {slowest:?}"
    );
    assert!(
        slowest < Duration::from_millis(500),
        "a request took {slowest:?} during the flood"
    );
}

/// Beyond its limits (here one hash at a time, one waiting) the pool refuses at once with
/// 503 and `Retry-After`, rather than queueing without bound; the right password still
/// works once the flood is over.
pub async fn a_full_hashing_pool_refuses_at_once(env: &TestEnv) {
    let setup = setup(
        env,
        &[
            ("WARRANT_PASSWORDS__WORKERS", "1"),
            ("WARRANT_PASSWORDS__MAX_WAITING", "1"),
        ],
    )
    .await;
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let setup = setup.clone();
            tokio::spawn(async move { setup.token(WRONG_PASSWORD).await })
        })
        .collect();
    let mut refused = 0;
    for attempt in attempts {
        let reply = attempt.await.unwrap();
        match reply.status {
            400 => reply.assert_oauth_error(400, "invalid_grant"),
            503 => {
                reply.assert_oauth_error(503, "temporarily_unavailable");
                assert_eq!(reply.header("retry-after"), Some("1"));
                refused += 1;
            }
            other => panic!("{other}: {reply:?}"),
        }
    }
    assert!(
        refused >= 1,
        "eight at once, room for two: some are refused"
    );
    let tokens = setup.password_tokens().await;
    assert!(tokens["access_token"].is_string());
}

/// Opens `count` connections to `server` that send nothing (or `prefix`, the start of a
/// request that never ends).
async fn idle_connections(server: &Server, count: usize, prefix: &[u8]) -> Vec<TcpStream> {
    let mut sockets = Vec::with_capacity(count);
    for _ in 0..count {
        let mut socket = TcpStream::connect(server.address()).await.unwrap();
        if !prefix.is_empty() {
            socket.write_all(prefix).await.unwrap();
        }
        sockets.push(socket);
    }
    sockets
}

/// `GET /healthz` answers within a second, however many idle connections are open.
async fn assert_answers_promptly(server: &Server) {
    let started = Instant::now();
    let answered = tokio::time::timeout(Duration::from_secs(1), server.get("/healthz")).await;
    assert!(
        matches!(answered, Ok((200, _))),
        "no answer within a second ({:?})",
        started.elapsed()
    );
}

/// More idle connections than the cap (here eight) cannot keep anyone out: each new
/// connection displaces the longest idle one, and the cap is reported once.
pub async fn idle_connections_past_the_cap_keep_no_one_out(env: &TestEnv) {
    let mut command = env.command(&["serve"]);
    command.env("WARRANT_SERVER__MAX_CONNECTIONS", "8");
    let server = Server::start(command).await;
    let _silent = idle_connections(&server, 20, b"").await;
    let _slow = idle_connections(&server, 20, b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
    for _ in 0..3 {
        assert_answers_promptly(&server).await;
    }
    let log = server.stop();
    assert_eq!(log.matches("connection cap reached").count(), 1, "{log}");
}

/// Without a configured cap, the cap stays below the process's open-file limit: with the
/// limit lowered to 256, 400 idle connections leave the server answering.
pub async fn the_cap_stays_below_the_file_limit(env: &TestEnv) {
    let mut limited = Command::new("prlimit");
    limited
        .arg("--nofile=256:256")
        .arg(crate::support::warrant_binary())
        .arg("serve");
    for (name, value) in env.command(&[]).get_envs() {
        if let Some(value) = value {
            limited.env(name, value);
        }
    }
    limited.current_dir(&env.dir);
    let server = Server::start(limited).await;
    let _idle = idle_connections(&server, 400, b"").await;
    assert_answers_promptly(&server).await;
    let token = server
        .post_form("/o/token/", "grant_type=client_credentials", None)
        .await;
    assert_eq!(
        token.status, 401,
        "the token endpoint answers too: {token:?}"
    );
}

/// A socket that sends nothing, or trickles its headers (slowloris), is closed once the
/// header deadline passes; a kept-alive one after its own, longer, idle deadline; a body
/// that does not arrive is 408; methods Warrant never serves are 405.
pub async fn deadlines_close_slow_and_idle_connections(env: &TestEnv) {
    let mut command = env.command(&["serve"]);
    command
        .env("WARRANT_SERVER__HEADER_READ_TIMEOUT_SECONDS", "1")
        .env("WARRANT_SERVER__KEEP_ALIVE_TIMEOUT_SECONDS", "3")
        .env("WARRANT_SERVER__REQUEST_TIMEOUT_SECONDS", "1");
    let server = Server::start(command).await;
    let closed_within = async |socket: &mut TcpStream, bound: Duration| {
        let mut buffer = Vec::new();
        let read = tokio::time::timeout(bound, socket.read_to_end(&mut buffer)).await;
        assert!(read.is_ok(), "still open after {bound:?}");
        String::from_utf8_lossy(&buffer).into_owned()
    };

    // A connection's deadlines run from when it is accepted, not from when the server
    // last accepted one.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(server.get("/healthz").await.0, 200);

    let mut silent = TcpStream::connect(server.address()).await.unwrap();
    closed_within(&mut silent, Duration::from_secs(5)).await;

    let mut trickling = TcpStream::connect(server.address()).await.unwrap();
    let trickle = async {
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\n".iter() {
            if trickling.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), trickle)
        .await
        .expect("the trickling socket was not closed");

    // Kept alive past the header deadline, closed after the idle one.
    let mut kept = TcpStream::connect(server.address()).await.unwrap();
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    kept.write_all(request).await.unwrap();
    let mut answer = [0u8; 512];
    let read = kept.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 200"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    kept.write_all(request).await.unwrap();
    let read = kept.read(&mut answer).await.unwrap();
    assert!(
        String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 200"),
        "open past the header deadline while idle"
    );
    closed_within(&mut kept, Duration::from_secs(8)).await;

    let mut unfinished = TcpStream::connect(server.address()).await.unwrap();
    unfinished
        .write_all(b"POST /o/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type")
        .await
        .unwrap();
    let answer = closed_within(&mut unfinished, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    for method in ["TRACE", "QUERY"] {
        let reply = server.request(method, "/healthz", &[], Vec::new()).await;
        assert_eq!(reply.status, 405, "{method}: {reply:?}");
        assert!(
            reply
                .header("allow")
                .is_some_and(|allow| allow.contains("GET"))
        );
    }
}

/// Client credentials of a new confidential application.
pub fn client_credentials_app(env: &TestEnv) -> (String, String) {
    let app = env.create_app(&[
        "--name",
        "Backend",
        "--client-type",
        "confidential",
        "--grant",
        "client_credentials",
    ]);
    (
        app["client_id"].as_str().unwrap().to_owned(),
        app["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// A token request's status and how long it took (at most `bound`: longer fails the
/// test as a hang).
async fn token_status(server: &Server, app: &(String, String), bound: Duration) -> (u16, Duration) {
    let started = Instant::now();
    let reply = tokio::time::timeout(
        bound,
        server.post_form(
            "/o/token/",
            "grant_type=client_credentials",
            Some((&app.0, &app.1)),
        ),
    )
    .await
    .unwrap_or_else(|_| panic!("no answer within {bound:?}"));
    if reply.status == 503 {
        reply.assert_oauth_error(503, "temporarily_unavailable");
        assert_eq!(reply.header("retry-after"), Some("1"));
    }
    (reply.status, started.elapsed())
}

/// Retries a token request until it succeeds, for at most ten seconds.
async fn until_answered(server: &Server, app: &(String, String)) {
    for _ in 0..50 {
        if token_status(server, app, Duration::from_secs(10)).await.0 == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no token after the database came back");
}

/// A PostgreSQL server that stops answering (frozen behind a proxy, as a partition that
/// drops packets leaves it) costs a request the database deadline, not a hang: 503 with
/// `Retry-After`, readiness 503 at once, and recovery without a restart when it answers
/// again.
pub async fn a_frozen_postgresql_costs_the_deadline_not_a_hang(env: &TestEnv) {
    let app = client_credentials_app(env);
    let mut url = url::Url::parse(&env.database_url).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = crate::support::FreezingProxy::start(target.parse().unwrap()).await;
    url.set_port(Some(proxy.port)).unwrap();
    let mut command = env.command(&["serve"]);
    command
        .env("WARRANT_DATABASE__URL", url.as_str())
        .env("WARRANT_DATABASE__QUERY_TIMEOUT_SECONDS", "2")
        .env("WARRANT_OAUTH2__CLIENT_CACHE_SECONDS", "0");
    let server = Server::start(command).await;
    assert_eq!(
        token_status(&server, &app, Duration::from_secs(5)).await.0,
        200
    );

    proxy.freeze(true);
    let (status, took) = token_status(&server, &app, Duration::from_secs(15)).await;
    assert_eq!(
        status, 503,
        "a frozen database is unavailable, not an error"
    );
    assert!(
        took >= Duration::from_secs(1),
        "answered from a cache? {took:?}"
    );
    let started = Instant::now();
    let ready = tokio::time::timeout(Duration::from_secs(10), server.get("/readyz"))
        .await
        .expect("readiness hung");
    assert_eq!(ready.0, 503, "{ready:?} after {:?}", started.elapsed());

    proxy.freeze(false);
    until_answered(&server, &app).await;
    assert_eq!(server.get("/readyz").await.0, 200);
}

/// An SQLite database another process holds locked for writing costs a token request the
/// database deadline (here one second, where SQLite's own busy timeout is five), and the
/// server writes again once the lock is gone.
pub async fn a_locked_sqlite_database_costs_the_deadline(env: &TestEnv) {
    let app = client_credentials_app(env);
    let mut command = env.command(&["serve"]);
    command.env("WARRANT_DATABASE__QUERY_TIMEOUT_SECONDS", "1");
    let server = Server::start(command).await;
    assert_eq!(
        token_status(&server, &app, Duration::from_secs(5)).await.0,
        200
    );

    let other = sqlx::SqlitePool::connect(&env.database_url).await.unwrap();
    let mut holder = other.acquire().await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let (status, took) = token_status(&server, &app, Duration::from_secs(15)).await;
    assert_eq!(status, 503);
    assert!(
        took < Duration::from_secs(4),
        "the deadline, not SQLite's 5 s: {took:?}"
    );
    sqlx::query("ROLLBACK").execute(&mut *holder).await.unwrap();
    drop(holder);
    other.close().await;
    until_answered(&server, &app).await;
}
