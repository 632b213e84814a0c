//! The `Store` contract: one suite of behaviours, run against SQLite and PostgreSQL.
//!
//! PostgreSQL runs when `WARRANT_TEST_POSTGRES_URL` names a server whose user may create
//! databases; each test gets a database of its own, dropped afterwards. Without the
//! variable every `postgres::` test prints that it was skipped and passes;
//! `cargo xtask ci` leaves them out and says so.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod contract;
mod fixtures;
mod harness;
mod open;
mod outbox;
mod schema;
mod sqlite_wal;

macro_rules! contract_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::harness::TestDb::sqlite().await;
                    crate::contract::$name(&db).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = crate::harness::TestDb::postgres().await else { return };
                    crate::contract::$name(&db).await;
                }
            )*
        }
    };
}

contract_suite!(
    migrations_can_run_twice,
    timestamps_round_trip_at_whole_seconds,
    users_crud,
    usernames_and_emails_are_unique,
    applications_crud,
    client_ids_are_unique,
    token_hashes_are_unique,
    authorization_code_is_redeemed_once,
    racing_redemptions_have_exactly_one_winner,
    racing_refresh_rotations_have_exactly_one_winner,
    revoking_a_family_revokes_its_tokens_once,
    code_reuse_revokes_the_whole_family,
    deleting_a_user_cascades_to_everything_they_own,
    consents_crud,
    sessions_expire_and_end,
    api_tokens_are_replaced_and_unique,
    upstream_connections_crud,
    connected_users_are_created_with_their_connection_or_not_at_all,
    user_writes_mark_every_client_app,
    claims_are_exclusive_until_settled_or_expired,
    a_change_during_delivery_is_sent_again,
    failures_back_off_then_die_until_retried,
    racing_claims_never_share_a_row,
    signing_keys_crud,
    device_authorizations_are_decided_and_consumed_once,
    no_raw_secret_reaches_the_database,
    expired_rows_are_deleted_in_batches,
    access_tokens_are_described_in_one_query,
    closed_store_reports_unavailable,
    concurrent_access_tokens_each_get_their_own_answer,
    the_first_api_token_is_kept,
    allowed_origins_are_listed_once_each,
    throttles_count_lock_forget_and_clear,
    racing_failures_all_count,
    imports_keep_ids_refuse_conflicts_and_change_nothing_twice,
    client_registrations_are_managed_by_their_token_and_unused_ones_removed,
    pushed_requests_are_opened_by_their_client_and_used_once,
    client_assertion_settings_round_trip_and_jtis_are_used_once,
);
