//! What one hostile or unlucky client may not do to everyone else (issue 16): a flood of
//! wrong passwords, each costing a PBKDF2 at Django's 600,000 iterations, leaves the
//! server answering others at once, and beyond its hashing limits it refuses at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::TestEnv;
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
async fn setup(env: &TestEnv, extra: &[(&str, &str)]) -> Arc<Setup> {
    let mut server_env = vec![("WARRANT_PASSWORDS__ITERATIONS", "600000")];
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
