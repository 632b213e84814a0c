//! Dynamic client registration (RFC 7591) and its management (RFC 7592): policy, metadata
//! rules, the registration access token, the per-address limit.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::{Value, json};
use warrant_grants::{
    GrantSettings, OAuthError, RegistrationAccess, RegistrationPolicy, RegistrationRefused,
    TokenRequest,
};
use warrant_model::{ClientId, Secret};
use warrant_storage::prelude::*;

use crate::support::*;

const ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));

async fn world(access: RegistrationAccess, per_address_per_hour: u32) -> World {
    World::with_settings(GrantSettings {
        registration: RegistrationPolicy {
            access,
            per_address_per_hour,
            ..RegistrationPolicy::default()
        },
        ..GrantSettings::default()
    })
    .await
}

/// What an MCP client sends.
fn mcp_client() -> Value {
    json!({
        "client_name": "An MCP client",
        "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_uri": "https://client.example.com/",
    })
}

fn error_of(refused: Result<Value, RegistrationRefused>) -> OAuthError {
    match refused {
        Err(RegistrationRefused::Error(error)) => error,
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

fn secret_of(answer: &Value, field: &str) -> Secret<String> {
    secret(answer[field].as_str().unwrap())
}

#[tokio::test]
async fn a_client_registers_and_manages_its_registration_with_its_token() {
    let world = world(RegistrationAccess::Open, 20).await;
    let engine = world.engine();
    let answer = engine
        .register_client(&mcp_client(), None, Some(ADDRESS), now())
        .await
        .unwrap();
    let client_id = answer["client_id"].as_str().unwrap().to_owned();
    assert_eq!(answer["client_name"], "An MCP client");
    assert_eq!(answer["token_endpoint_auth_method"], "none");
    assert_eq!(answer["client_uri"], "https://client.example.com/");
    assert!(answer.get("client_secret").is_none(), "a public client");
    assert_eq!(
        answer["registration_client_uri"],
        format!(
            "{}/o/register/{client_id}/",
            GrantSettings::default().issuer
        )
    );
    let token = secret_of(&answer, "registration_access_token");
    let application = world
        .store
        .application_by_client_id(&ClientId::parse(&client_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(application.pkce_required && application.owner.is_none());

    let read = engine
        .read_client_registration(&client_id, &token)
        .await
        .unwrap();
    assert_eq!(read["redirect_uris"], answer["redirect_uris"]);
    assert!(read.get("registration_access_token").is_none());
    assert!(matches!(
        engine
            .read_client_registration(&client_id, &secret("not-the-token"))
            .await,
        Err(OAuthError::InvalidToken(_))
    ));

    let mut changed = read.clone();
    changed["client_name"] = json!("Renamed");
    changed["redirect_uris"] = json!(["http://127.0.0.1:40000/cb"]);
    let updated = engine
        .update_client_registration(&client_id, &token, &changed, now())
        .await
        .unwrap();
    assert_eq!(updated["client_name"], "Renamed");
    let rotated = secret_of(&updated, "registration_access_token");
    assert!(
        engine
            .read_client_registration(&client_id, &token)
            .await
            .is_err(),
        "the old registration access token is replaced"
    );
    let mut confidential = changed.clone();
    confidential["token_endpoint_auth_method"] = json!("client_secret_basic");
    assert!(matches!(
        engine
            .update_client_registration(&client_id, &rotated, &confidential, now())
            .await,
        Err(OAuthError::InvalidClientMetadata(_))
    ));

    engine
        .delete_client_registration(&client_id, &rotated)
        .await
        .unwrap();
    assert!(
        world
            .store
            .application_by_client_id(&ClientId::parse(&client_id).unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_confidential_client_gets_a_secret_it_authenticates_with() {
    let mut document = mcp_client();
    document["token_endpoint_auth_method"] = json!("client_secret_basic");
    document["grant_types"] = json!(["client_credentials"]);
    document["redirect_uris"] = json!([]);
    document["response_types"] = json!([]);
    let by_default = world(RegistrationAccess::Open, 20).await;
    assert!(
        matches!(
            error_of(
                by_default
                    .engine()
                    .register_client(&document, None, Some(ADDRESS), now())
                    .await
            ),
            OAuthError::InvalidClientMetadata(_)
        ),
        "client_credentials is not allowed by the default policy"
    );
    let machines = World::with_settings(GrantSettings {
        registration: RegistrationPolicy {
            access: RegistrationAccess::Open,
            grant_types: warrant_model::GrantTypes::parse("client_credentials").unwrap(),
            ..RegistrationPolicy::default()
        },
        ..GrantSettings::default()
    })
    .await;
    let answer = machines
        .engine()
        .register_client(&document, None, Some(ADDRESS), now())
        .await
        .unwrap();
    assert_eq!(answer["client_secret_expires_at"], 0);
    let credentials = warrant_grants::ClientCredentials::Secret {
        client_id: ClientId::parse(answer["client_id"].as_str().unwrap()).unwrap(),
        secret: secret_of(&answer, "client_secret"),
    };
    machines
        .engine()
        .token(
            &credentials,
            TokenRequest::ClientCredentials { scope: None },
            now(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn metadata_that_breaks_the_rules_is_refused_naming_the_field() {
    let world = world(RegistrationAccess::Open, 100).await;
    let engine = world.engine();
    let with = |field: &str, value: Value| {
        let mut document = mcp_client();
        document[field] = value;
        document
    };
    let cases = [
        (
            with("redirect_uris", json!(["javascript:alert(1)"])),
            "invalid_redirect_uri",
        ),
        (
            with("redirect_uris", json!(["http://app.example.com/cb"])),
            "invalid_redirect_uri",
        ),
        (with("redirect_uris", json!([])), "invalid_redirect_uri"),
        (
            with("grant_types", json!(["password"])),
            "invalid_client_metadata",
        ),
        (
            with("grant_types", json!(["client_credentials"])),
            "invalid_client_metadata",
        ),
        (
            with("token_endpoint_auth_method", json!("private_key_jwt")),
            "invalid_client_metadata",
        ),
        (
            with("response_types", json!(["token"])),
            "invalid_client_metadata",
        ),
        (with("contacts", json!([1])), "invalid_client_metadata"),
        (
            with("software_statement", json!("eyJ…")),
            "invalid_software_statement",
        ),
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
    ];
    for (document, code) in cases {
        let error = error_of(
            engine
                .register_client(&document, None, Some(ADDRESS), now())
                .await,
        );
        assert_eq!(error.code(), code, "{document}: {error:?}");
    }
    // A native app's custom scheme and a loopback redirect are fine.
    engine
        .register_client(
            &with(
                "redirect_uris",
                json!(["com.example.app:/callback", "http://[::1]/cb"]),
            ),
            None,
            Some(ADDRESS),
            now(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_policy_decides_who_may_register_and_how_often() {
    let off = world(RegistrationAccess::Off, 20).await;
    assert!(!off.engine().registration_enabled());
    assert!(matches!(
        error_of(
            off.engine()
                .register_client(&mcp_client(), None, None, now())
                .await
        ),
        OAuthError::AccessDenied(_)
    ));

    let initial = secret("an-initial-access-token-of-32-characters");
    let gated = world(RegistrationAccess::InitialAccessToken(initial.clone()), 20).await;
    for given in [None, Some(secret("a-wrong-one"))] {
        assert!(matches!(
            error_of(
                gated
                    .engine()
                    .register_client(&mcp_client(), given.as_ref(), None, now())
                    .await
            ),
            OAuthError::InvalidToken(_)
        ));
    }
    gated
        .engine()
        .register_client(&mcp_client(), Some(&initial), None, now())
        .await
        .unwrap();

    let limited = world(RegistrationAccess::Open, 2).await;
    let engine = limited.engine();
    let document = mcp_client();
    let register = |address| engine.register_client(&document, None, Some(address), now());
    register(ADDRESS).await.unwrap();
    register(ADDRESS).await.unwrap();
    assert!(matches!(
        register(ADDRESS).await,
        Err(RegistrationRefused::TooMany)
    ));
    register(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8)))
        .await
        .unwrap();
}
