//! End-to-end tests over real processes and TCP. Suites that run on both databases put
//! their PostgreSQL half in `postgres` modules (run when `WARRANT_TEST_POSTGRES_URL` is set).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod admin;
mod applications;
mod browser;
mod check;
mod cli;
mod client_apps;
mod cors;
mod custom_generator;
mod deploy;
mod device;
mod django_import;
mod guards;
mod high_assurance;
mod hostile;
mod lockout;
mod mcp;
mod moved;
mod observability;
mod oidc;
mod profile;
mod proxy;
mod receiver;
mod registration;
mod scale_out;
mod serve;
mod support;
mod sync;
mod tls;
mod token_endpoint;
mod upstream;

/// Instantiates each listed test once per database.
macro_rules! on_both_databases {
    ($module:ident: $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let env = crate::support::TestEnv::sqlite();
                    crate::$module::$name(&env).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(env) = crate::support::TestEnv::postgres().await else { return };
                    crate::$module::$name(&env).await;
                }
            )*
        }
    };
}

mod sync_suite {
    on_both_databases!(sync:
        user_changes_reach_every_client_app,
        a_client_app_that_was_down_gets_the_latest_record,
        deliveries_given_up_are_reported_and_retried,
        sync_configuration_errors_name_their_key,
        a_client_app_added_later_catches_up,
        client_apps_are_reached_over_https,
    );

    #[tokio::test]
    async fn postgres_two_instances_share_the_outbox() {
        let Some(env) = crate::support::TestEnv::postgres().await else {
            return;
        };
        crate::sync::two_instances_share_the_outbox(&env).await;
    }
}

mod client_apps_suite {
    on_both_databases!(client_apps:
        users_tokens_and_logins_work_across_the_apps,
        an_app_that_was_down_catches_up,
    );
}

mod check_suite {
    on_both_databases!(check: check_reports_what_config_and_database_disagree_about);
}

mod upstream_suite {
    use crate::support::TestEnv;
    use crate::upstream::{OAUTH2, OIDC};

    async fn sign_up_log_in_and_refresh_with_oidc(env: &TestEnv) {
        crate::upstream::sign_up_log_in_and_refresh(env, OIDC).await;
    }

    async fn sign_up_log_in_and_refresh_with_oauth2(env: &TestEnv) {
        crate::upstream::sign_up_log_in_and_refresh(env, OAUTH2).await;
    }

    async fn connect_and_disconnect_with_oidc(env: &TestEnv) {
        crate::upstream::connect_and_disconnect(env, OIDC).await;
    }

    async fn connect_and_disconnect_with_oauth2(env: &TestEnv) {
        crate::upstream::connect_and_disconnect(env, OAUTH2).await;
    }

    on_both_databases!(upstream_suite:
        sign_up_log_in_and_refresh_with_oidc,
        sign_up_log_in_and_refresh_with_oauth2,
        connect_and_disconnect_with_oidc,
        connect_and_disconnect_with_oauth2,
    );

    mod callbacks {
        on_both_databases!(upstream: forged_and_replayed_callbacks_are_refused);
    }
}

mod django_import_suite {
    on_both_databases!(django_import:
        a_django_site_moves_with_its_users_clients_and_tokens,
        bad_django_databases_are_one_line_and_write_nothing,
    );
}

mod moved_suite {
    on_both_databases!(moved:
        the_cli_keeps_moved_credentials,
        the_admin_api_keeps_moved_credentials,
    );
}

mod cli_suite {
    on_both_databases!(cli:
        user_create_prints_json_and_lists_the_user,
        duplicate_username_is_a_one_line_error,
        user_passwd_checks_user_and_length,
        confidential_app_secret_is_printed_once_and_stored_hashed,
        public_app_has_no_secret,
        bad_application_input_is_a_one_line_error,
        unknown_application_is_a_one_line_error,
        cleartokens_reports_what_it_deleted,
        users_are_updated_deactivated_and_activated,
        apps_are_updated,
        config_show_prints_json_too,
        completions_and_the_man_page_describe_the_commands,
    );
}

mod admin_suite {
    on_both_databases!(admin:
        only_staff_get_in,
        applications_are_managed,
        users_are_managed,
        tokens_are_listed_and_revoked,
        requests_that_break_the_document_are_refused,
    );
}

mod applications_suite {
    on_both_databases!(applications:
        each_user_sees_and_changes_only_their_applications,
        invalid_applications_are_refused_with_their_reasons,
        changes_and_deletion_take_effect_at_once,
        authorized_tokens_are_listed_and_revoked_by_their_user,
    );
}

mod oidc_suite {
    on_both_databases!(oidc:
        the_openidconnect_crate_signs_in_with_each_algorithm,
        id_tokens_that_must_not_verify_are_refused,
        discovery_jwks_and_userinfo_over_http,
        userinfo_needs_the_openid_scope,
        implicit_and_hybrid_id_tokens_verify,
        prompt_max_age_and_login_hint,
        rp_initiated_logout,
        jwt_access_tokens_verify_offline_and_revoke_online,
        instances_sharing_a_database_agree_on_the_signing_key,
        keys_operators_bring_are_imported_from_pem,
    );
}

mod device_suite {
    on_both_databases!(device:
        the_oauth2_crate_completes_the_device_flow,
        polling_answers_follow_rfc_8628,
        device_id_tokens_carry_the_users_login_time,
    );
}

mod cors_suite {
    on_both_databases!(cors:
        preflights_are_answered_for_allowed_origins_only,
        answers_are_readable_by_the_clients_own_origins,
        a_browser_app_exchanges_its_code_from_its_own_origin_only,
    );
}

mod guards_suite {
    on_both_databases!(guards:
        bearer_token_accepts_live_tokens_only,
        read_write_scope_follows_the_method,
        resource_scope_follows_the_method,
        token_has_scope_needs_every_scope,
        session_user_or_scoped_token,
        writes_are_for_staff_reads_for_anyone,
        introspection_checks_tokens_remotely,
        introspection_answers_are_cached_and_outages_are_503,
        introspection_with_wrong_credentials_is_503,
        introspection_works_over_https,
        a_protected_resource_publishes_its_metadata_and_takes_only_its_tokens,
        dpop_bound_tokens_on_the_database,
        dpop_bound_tokens_through_introspection,
    );
}

mod custom_generator_suite {
    on_both_databases!(custom_generator:
        a_generator_kind_of_ones_own_makes_the_tokens,
    );
}

mod tls_suite {
    on_both_databases!(tls:
        peers_are_reached_over_tls_with_a_trusted_certificate_only,
    );
}

mod high_assurance_suite {
    on_both_databases!(high_assurance:
        pushed_authorization_requests_with_oauth4webapi,
        private_key_jwt_with_oauth4webapi,
        private_key_jwt_keys_from_a_jwks_uri,
        dpop_with_oauth4webapi,
        fapi2_flow_with_oauth4webapi,
    );

    #[tokio::test]
    async fn postgres_two_instances_share_used_assertions() {
        let Some(env) = crate::support::TestEnv::postgres().await else {
            return;
        };
        crate::high_assurance::two_instances_share_used_assertions(&env).await;
    }
}

mod mcp_suite {
    on_both_databases!(mcp:
        the_mcp_sdk_client_registers_and_calls_a_protected_tool,
        the_mcp_sdk_client_uses_a_client_id_metadata_document,
    );
}

mod registration_suite {
    on_both_databases!(registration:
        registration_is_off_unless_configured,
        a_client_registers_itself_and_signs_a_user_in,
    );
}

mod token_endpoint_suite {
    on_both_databases!(token_endpoint:
        client_credentials_with_basic_or_post_authentication,
        failed_client_authentication_is_401_with_a_challenge,
        password_grant_refresh_rotation_and_reuse,
        revocation_then_introspection_is_inactive,
        malformed_requests_are_400_never_500,
        resource_indicators_set_the_audience,
    );
}

mod profile_suite {
    on_both_databases!(profile:
        the_profile_has_ocs_authentications_shape,
        profile_refusals_follow_rfc_6750,
        api_tokens_and_sessions_reach_the_profile,
        revoking_the_api_token_replaces_it,
    );
}

mod browser_suite {
    on_both_databases!(browser:
        authorization_code_flow_like_a_browser,
        the_code_exchange_repeats_the_requests_redirect_uri,
        pkce_failure_and_denial,
        forms_without_csrf_token_are_403,
        open_redirects_are_refused,
        wrong_password_shows_the_form_again,
        the_oauth2_crate_completes_the_code_flow,
        the_resources_of_an_authorization_request_reach_its_tokens,
    );
}

mod hostile_suite {
    #[tokio::test]
    async fn sqlite_a_locked_database_costs_the_deadline() {
        let env = crate::support::TestEnv::sqlite();
        crate::hostile::a_locked_sqlite_database_costs_the_deadline(&env).await;
    }

    mod database {
        mod postgres {
            #[tokio::test]
            async fn a_frozen_postgresql_costs_the_deadline_not_a_hang() {
                let Some(env) = crate::support::TestEnv::postgres().await else {
                    return;
                };
                crate::hostile::a_frozen_postgresql_costs_the_deadline_not_a_hang(&env).await;
            }
        }
    }

    on_both_databases!(hostile:
        a_wrong_password_flood_leaves_other_requests_fast,
        a_full_hashing_pool_refuses_at_once,
        idle_connections_past_the_cap_keep_no_one_out,
        the_cap_stays_below_the_file_limit,
        deadlines_close_slow_and_idle_connections,
    );
}

mod lockout_suite {
    on_both_databases!(lockout:
        wrong_passwords_lock_the_account_and_tell_nothing,
        the_login_page_asks_to_try_again_later,
        addresses_are_counted_and_only_a_configured_header_names_them,
        client_secrets_are_locked_at_every_endpoint,
        device_code_guesses_are_refused_for_a_while,
        staff_see_and_lift_lockouts,
        instances_on_one_database_share_the_count,
    );
}

mod observability_suite {
    on_both_databases!(observability:
        metrics_and_logs_follow_a_realistic_flow,
        audit_events_record_who_did_what,
    );
}

mod scale_out_suite {
    // Several instances share one database only on PostgreSQL.
    mod postgres {
        #[tokio::test]
        async fn instances_behind_nginx_through_pgbouncer_lose_no_token() {
            let Some(env) = crate::support::TestEnv::postgres().await else {
                return;
            };
            crate::scale_out::instances_behind_nginx_through_pgbouncer_lose_no_token(&env).await;
        }

        #[tokio::test]
        async fn transaction_pooling_is_refused_in_one_line() {
            let Some(env) = crate::support::TestEnv::postgres().await else {
                return;
            };
            crate::scale_out::transaction_pooling_is_refused_in_one_line(&env).await;
        }
    }
}

mod serve_suite {
    on_both_databases!(serve:
        serve_answers_health_and_readiness,
        unknown_paths_get_a_json_404,
        demo_prints_commands_that_work_as_pasted,
        kill_9_loses_no_token_that_was_answered,
    );
}

// Cases that do not depend on the database.
#[tokio::test]
async fn bad_config_values_name_the_key_and_the_file() {
    cli::bad_config_values_name_the_key_and_the_file(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn check_reports_providers_issuer_and_footguns() {
    check::check_reports_providers_issuer_and_footguns(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn database_errors_name_the_database_and_what_to_check() {
    cli::database_errors_name_the_database_and_what_to_check(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn usage_errors_are_one_line_with_status_2() {
    cli::usage_errors_are_one_line_with_status_2(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn config_show_redacts_the_secret_key() {
    cli::config_show_redacts_the_secret_key(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn serve_without_secret_key_fails_unless_dev_mode() {
    serve::serve_without_secret_key_fails_unless_dev_mode(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn dev_mode_generates_the_secret_key_once() {
    serve::dev_mode_generates_the_secret_key_once(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn a_busy_port_fails_before_anything_is_made() {
    serve::a_busy_port_fails_before_anything_is_made(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn metrics_are_served_only_to_whom_the_config_allows() {
    observability::metrics_are_served_only_to_whom_the_config_allows(&support::TestEnv::sqlite())
        .await;
}

#[tokio::test]
async fn behind_nginx_only_trusted_proxies_name_the_client() {
    proxy::behind_nginx_only_trusted_proxies_name_the_client(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn native_tls_serves_clients_that_trust_its_ca() {
    proxy::native_tls_serves_clients_that_trust_its_ca(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn deploy_files_check_out() {
    deploy::deploy_files_check_out(&support::TestEnv::sqlite()).await;
}

#[tokio::test]
async fn commands_find_the_development_key() {
    serve::commands_find_the_development_key(&support::TestEnv::sqlite()).await;
}

mod postgres {
    #[tokio::test]
    async fn readiness_fails_with_503_when_the_database_is_gone() {
        let Some(env) = crate::support::TestEnv::postgres().await else {
            return;
        };
        crate::serve::readiness_fails_with_503_when_the_database_is_gone(&env).await;
    }

    #[tokio::test]
    async fn the_pool_recovers_after_postgresql_drops_its_connections() {
        let Some(env) = crate::support::TestEnv::postgres().await else {
            return;
        };
        crate::serve::the_pool_recovers_after_postgresql_drops_its_connections(&env).await;
    }
}
