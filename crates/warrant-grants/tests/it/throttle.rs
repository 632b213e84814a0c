//! Brute-force protection: counts, waits, resets and permanent locks, per subject and per
//! address, for passwords, client secrets and device codes.

use std::net::IpAddr;

use time::{Duration, OffsetDateTime};
use warrant_grants::{
    BruteForce, ClientCredentials, DeviceCodeRejection, Engine, GrantSettings, Locked, OAuthError,
    PasswordCheck, ThrottleCache,
};
use warrant_model::{ClientType, GrantType, ThrottleKey, ThrottleKind};
use warrant_storage::prelude::*;

use crate::support::*;

const WRONG: &str = "not-the-password";

fn address(text: &str) -> Option<IpAddr> {
    Some(text.parse().unwrap())
}

async fn check(engine: &Engine<'_>, login: &str, password: &str, at: OffsetDateTime) -> String {
    match engine
        .authenticate_user(login, &secret(password), at)
        .await
        .unwrap()
    {
        PasswordCheck::Valid(user) => format!("valid {}", user.username),
        PasswordCheck::Invalid => "invalid".into(),
        PasswordCheck::Locked(Locked { until: Some(until) }) => {
            format!("locked {} s", (until - at).whole_seconds())
        }
        PasswordCheck::Locked(Locked { until: None }) => "locked for good".into(),
    }
}

#[tokio::test]
async fn failures_lock_an_account_for_a_doubling_wait_and_a_success_starts_over() {
    let world = World::new().await;
    world.user("alice").await;
    let engine = world.engine().from_address(address("192.0.2.1"));
    let t0 = now();
    let at = |seconds| t0 + Duration::seconds(seconds);
    for second in 0..4 {
        assert_eq!(check(&engine, "alice", WRONG, at(second)).await, "invalid");
    }
    assert_eq!(
        check(&engine, "Alice", WRONG, at(4)).await,
        "invalid",
        "case does not matter"
    );
    // Locked now: even the right password is refused, unchecked.
    assert_eq!(check(&engine, "alice", PASSWORD, at(4)).await, "locked 1 s");
    assert_eq!(
        check(&engine, "alice", WRONG, at(5)).await,
        "invalid",
        "the wait is over"
    );
    assert_eq!(
        check(&engine, "alice", PASSWORD, at(5)).await,
        "locked 2 s",
        "doubled"
    );
    assert_eq!(
        check(&engine, "alice", PASSWORD, at(7)).await,
        "valid alice"
    );

    // The success started the count over: four more failures lock nothing.
    for second in 8..12 {
        assert_eq!(check(&engine, "alice", WRONG, at(second)).await, "invalid");
    }
    assert_eq!(
        check(&engine, "alice", PASSWORD, at(12)).await,
        "valid alice"
    );
}

#[tokio::test]
async fn an_unknown_login_is_throttled_exactly_like_a_known_one() {
    let world = World::new().await;
    world.user("alice").await;
    let engine = world.engine();
    let t0 = now();
    let mut answers = Vec::new();
    for login in ["alice", "nobody"] {
        let mut seen = Vec::new();
        for _ in 0..7 {
            seen.push(check(&engine, login, WRONG, t0).await);
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0][5], "locked 1 s");
}

#[tokio::test]
async fn a_wait_never_exceeds_the_longest_and_a_quiet_spell_forgets() {
    let world = World::new().await;
    world.user("alice").await;
    let engine = world.engine();
    let t0 = now();
    let mut at = t0;
    // Each failure waits out the previous lock, so each one counts.
    for _ in 0..16 {
        assert_eq!(check(&engine, "alice", WRONG, at).await, "invalid");
        at += Duration::minutes(15);
    }
    let last_failure = at - Duration::minutes(15);
    let throttle = world
        .store
        .throttles(&ThrottleKey::new(ThrottleKind::Account, "alice"), None, at)
        .await
        .unwrap();
    assert_eq!(throttle[0].failures, 16);
    assert_eq!(
        throttle[0].locked_until,
        Some(last_failure + Duration::minutes(15)),
        "capped at 15 minutes"
    );
    let later = at + Duration::hours(13);
    assert_eq!(
        check(&engine, "alice", PASSWORD, later).await,
        "valid alice"
    );
}

#[tokio::test]
async fn one_address_failing_against_many_accounts_is_locked_for_all() {
    let world = World::new().await;
    world.user("alice").await;
    let guesser = world.engine().from_address(address("2001:db8::7"));
    let t0 = now();
    for n in 0..50 {
        assert_eq!(
            check(&guesser, &format!("user{n}"), WRONG, t0).await,
            "invalid"
        );
    }
    assert_eq!(check(&guesser, "alice", PASSWORD, t0).await, "locked 1 s");
    let same_network = world.engine().from_address(address("2001:db8::8"));
    assert_eq!(
        check(&same_network, "alice", PASSWORD, t0).await,
        "locked 1 s",
        "IPv6 addresses count by their /64"
    );
    let elsewhere = world.engine().from_address(address("2001:db8:0:1::8"));
    assert_eq!(
        check(&elsewhere, "alice", PASSWORD, t0).await,
        "valid alice",
        "the account itself is not locked"
    );
}

#[tokio::test]
async fn a_permanent_lock_holds_until_it_is_cleared() {
    let settings = GrantSettings {
        brute_force: BruteForce {
            permanent_after: Some(7),
            ..BruteForce::default()
        },
        ..GrantSettings::default()
    };
    let world = World::with_settings(settings).await;
    world.user("alice").await;
    let engine = world.engine();
    let mut at = now();
    for _ in 0..7 {
        assert_eq!(check(&engine, "alice", WRONG, at).await, "invalid");
        at += Duration::minutes(20);
    }
    let next_year = at + Duration::days(365);
    assert_eq!(
        check(&engine, "alice", PASSWORD, next_year).await,
        "locked for good"
    );
    let key = ThrottleKey::new(ThrottleKind::Account, "alice");
    assert!(world.store.clear_throttle(&key).await.unwrap());
    assert_eq!(
        check(&engine, "alice", PASSWORD, next_year).await,
        "valid alice"
    );
}

#[tokio::test]
async fn disabled_protection_counts_nothing() {
    let settings = GrantSettings {
        brute_force: BruteForce {
            enabled: false,
            ..BruteForce::default()
        },
        ..GrantSettings::default()
    };
    let world = World::with_settings(settings).await;
    world.user("alice").await;
    let engine = world.engine();
    let t0 = now();
    for _ in 0..10 {
        assert_eq!(check(&engine, "alice", WRONG, t0).await, "invalid");
    }
    assert_eq!(check(&engine, "alice", PASSWORD, t0).await, "valid alice");
    assert!(
        world
            .store
            .list_throttles(None, None, t0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn wrong_client_secrets_lock_the_client_id_with_the_same_answer() {
    let world = World::new().await;
    let client = world.confidential().await;
    let engine = world.engine().from_address(address("192.0.2.9"));
    let wrong = ClientCredentials::Secret {
        client_id: client.application.client_id.clone(),
        secret: secret("wrong"),
    };
    let t0 = now();
    let outcome = |result: Result<_, OAuthError>| match result {
        Ok(_) => "ok".to_owned(),
        Err(error) => error.to_string(),
    };
    let refused = outcome(engine.authenticate_client(&wrong, t0).await);
    for _ in 0..4 {
        assert_eq!(
            outcome(engine.authenticate_client(&wrong, t0).await),
            refused
        );
    }
    assert_eq!(
        outcome(engine.authenticate_client(&client.credentials, t0).await),
        refused,
        "locked: the right secret is refused alike"
    );
    assert_eq!(
        outcome(
            engine
                .authenticate_resource_server(&client.credentials, t0)
                .await
        ),
        refused
    );
    let later = t0 + Duration::seconds(1);
    assert_eq!(
        outcome(engine.authenticate_client(&client.credentials, later).await),
        "ok"
    );
    let key = ThrottleKey::new(ThrottleKind::Client, client.application.client_id.as_str());
    assert!(
        world
            .store
            .throttles(&key, None, later)
            .await
            .unwrap()
            .is_empty(),
        "the success forgot the count"
    );
}

#[tokio::test]
async fn guessed_device_codes_lock_the_user_and_the_address() {
    let world = World::new().await;
    let alice = world.user("alice").await;
    let bob = world.user("bob").await;
    let client = world
        .client(ClientType::Public, &[GrantType::DeviceCode])
        .await;
    let t0 = now();
    let codes = world
        .engine()
        .device_authorization(&client.credentials, None, t0)
        .await
        .unwrap();
    let typed = codes.user_code.display();
    let engine = world.engine().from_address(address("192.0.2.3"));
    for guess in [
        "BCDF-GHJK",
        "BCDF-GHJL",
        "BCDF-GHJM",
        "BCDF-GHJN",
        "BCDF-GHJP",
    ] {
        assert_eq!(
            engine.pending_device(guess, &alice, t0).await.map(|_| ()),
            Err(DeviceCodeRejection::UnknownOrExpired)
        );
    }
    assert!(matches!(
        engine.pending_device(&typed, &alice, t0).await,
        Err(DeviceCodeRejection::Locked(Locked { until: Some(_) }))
    ));
    assert!(
        engine.pending_device(&typed, &bob, t0).await.is_ok(),
        "another user is not locked"
    );
    let elsewhere = world.engine().from_address(address("192.0.2.4"));
    for _ in 0..45 {
        let _ = elsewhere.pending_device("BCDF-GHJK", &bob, t0).await;
    }
    assert!(
        elsewhere.pending_device(&typed, &bob, t0).await.is_err(),
        "the address and bob are past their thresholds"
    );
}

/// Two instances on one database, each with its own cache.
fn instance<'a>(world: &'a World, cache: &'a ThrottleCache) -> Engine<'a> {
    Engine {
        throttles: cache,
        ..world.engine()
    }
}

#[tokio::test]
async fn a_cache_sees_its_own_failures_at_once_and_others_within_its_time_to_live() {
    let world = World::new().await;
    world.user("alice").await;
    let time_to_live = std::time::Duration::from_millis(300);
    let (first, second) = (
        ThrottleCache::new(time_to_live),
        ThrottleCache::new(time_to_live),
    );
    let (one, other) = (instance(&world, &first), instance(&world, &second));
    let t0 = now();
    assert_eq!(check(&other, "bob", WRONG, t0).await, "invalid");
    for _ in 0..5 {
        assert_eq!(check(&one, "alice", WRONG, t0).await, "invalid");
    }
    assert_eq!(check(&one, "alice", PASSWORD, t0).await, "locked 1 s");
    tokio::time::sleep(time_to_live).await;
    assert_eq!(
        check(&other, "alice", PASSWORD, t0).await,
        "locked 1 s",
        "the other instance read the lock again"
    );

    // A success on one instance forgets the count there at once.
    let later = t0 + Duration::seconds(2);
    assert_eq!(check(&one, "alice", PASSWORD, later).await, "valid alice");
    assert_eq!(check(&one, "alice", WRONG, later).await, "invalid");
    assert_eq!(check(&one, "alice", PASSWORD, later).await, "valid alice");
}

#[tokio::test]
async fn past_its_capacity_a_cache_reads_each_attempts_counters() {
    let world = World::new().await;
    world.user("alice").await;
    let small = ThrottleCache::with_capacity(std::time::Duration::from_secs(3600), 3);
    let engine = instance(&world, &small);
    let t0 = now();
    // A spray: one failure each against many names, more than the cache holds.
    for n in 0..4 {
        assert_eq!(
            check(&engine, &format!("user{n}"), WRONG, t0).await,
            "invalid"
        );
    }
    // Every further attempt is judged on the database's counts.
    for _ in 0..5 {
        assert_eq!(check(&engine, "alice", WRONG, t0).await, "invalid");
    }
    assert_eq!(check(&engine, "alice", PASSWORD, t0).await, "locked 1 s");
    let other = ThrottleCache::with_capacity(std::time::Duration::from_secs(3600), 3);
    assert_eq!(
        check(&instance(&world, &other), "alice", PASSWORD, t0).await,
        "locked 1 s",
        "a new instance past its capacity reads the lock from the database"
    );
}
