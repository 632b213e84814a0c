//! Resource indicators (RFC 8707): the resources named at the authorization and token
//! endpoints become the token's audience; a token request or refresh narrows them, never
//! widens; a configured catalog refuses other resources and leaves out scopes a resource
//! does not offer.

use std::collections::BTreeMap;

use warrant_grants::{
    AuthorizationParams, GrantSettings, Introspection, OAuthError, ResourceCatalog, TokenRequest,
    TokenResponse,
};
use warrant_model::{RedirectUri, RedirectUriPolicy, ResourceUri, Resources, ScopeSet, User};

use crate::support::*;

const MCP: &str = "https://mcp.example.com/mcp";
const API: &str = "https://api.example.com/";

fn resources(text: &str) -> Resources {
    Resources::parse(text).unwrap()
}

/// The audience introspection reports for `token`.
async fn audience(world: &World, token: &TokenResponse) -> Resources {
    match world
        .engine()
        .introspect(&token.access_token, None, now())
        .await
        .unwrap()
    {
        Introspection::Active(active) => active.aud,
        Introspection::Inactive => panic!("the token is inactive"),
    }
}

/// The code of an approved authorization request for `resource`.
async fn code_for(world: &World, client: &Client, alice: &User, resource: &str) -> String {
    let engine = world.engine();
    let params = AuthorizationParams {
        client_id: Some(client.application.client_id.to_string()),
        response_type: Some("code".into()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some("read".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        resource: Some(resource.into()),
        ..AuthorizationParams::default()
    };
    let request = engine.validate_authorization(&params, now()).await.unwrap();
    assert_eq!(request.resources, resources(resource));
    let location = engine.approve(&request, alice, now(), now()).await.unwrap();
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned()
}

fn exchange(code: &str) -> TokenRequest {
    TokenRequest::AuthorizationCode {
        code: secret(code),
        redirect_uri: Some(RedirectUri::parse(REDIRECT, RedirectUriPolicy::default()).unwrap()),
        code_verifier: Some(secret(VERIFIER)),
    }
}

#[tokio::test]
async fn the_resources_of_the_authorization_become_the_audience_and_only_narrow() {
    let world = World::new().await;
    let client = world.confidential().await;
    let engine = world.engine();
    let alice = world.user("alice").await;
    let both = format!("{MCP} {API}");

    // A token request may not widen what was authorized.
    let code = code_for(&world, &client, &alice, MCP).await;
    let wider = engine
        .token_for_resources(&client.credentials, exchange(&code), resources(API), now())
        .await;
    assert!(
        matches!(wider, Err(OAuthError::InvalidTarget(_))),
        "{wider:?}"
    );

    // Authorized for both, the token request narrows to one.
    let code = code_for(&world, &client, &alice, &both).await;
    let tokens = engine
        .token_for_resources(&client.credentials, exchange(&code), resources(MCP), now())
        .await
        .unwrap();
    assert_eq!(audience(&world, &tokens).await, resources(MCP));

    // A refresh names either (the refresh token keeps the whole grant), never another.
    let refresh = |tokens: &TokenResponse, resource: &str| {
        let request = TokenRequest::RefreshToken {
            refresh_token: tokens.refresh_token.clone().unwrap(),
            scope: None,
        };
        engine.token_for_resources(&client.credentials, request, resources(resource), now())
    };
    let refreshed = refresh(&tokens, API).await.unwrap();
    assert_eq!(audience(&world, &refreshed).await, resources(API));
    let again = refresh(&refreshed, "").await.unwrap();
    assert_eq!(audience(&world, &again).await, resources(&both));
    let elsewhere = refresh(&again, "https://other.example.com/").await;
    assert!(matches!(elsewhere, Err(OAuthError::InvalidTarget(_))));

    // Without any resource the token has no audience, as before RFC 8707.
    let plain = world.client_credentials_token(&client).await;
    assert!(audience(&world, &plain).await.is_empty());
}

#[tokio::test]
async fn a_catalog_refuses_other_resources_and_leaves_out_scopes_they_do_not_offer() {
    let served = BTreeMap::from([
        (
            ResourceUri::parse(MCP).unwrap(),
            Some(ScopeSet::parse("read").unwrap()),
        ),
        (ResourceUri::parse(API).unwrap(), None),
    ]);
    let world = World::with_settings(GrantSettings {
        resources: ResourceCatalog::new(served),
        ..GrantSettings::default()
    })
    .await;
    let client = world.confidential().await;
    let engine = world.engine();
    let machine = |resource: &str| {
        engine.token_for_resources(
            &client.credentials,
            TokenRequest::ClientCredentials {
                scope: Some(ScopeSet::parse("read write").unwrap()),
            },
            resources(resource),
            now(),
        )
    };

    let for_mcp = machine(MCP).await.unwrap();
    assert_eq!(
        for_mcp.scope,
        ScopeSet::parse("read").unwrap(),
        "write is not MCP's"
    );
    assert_eq!(audience(&world, &for_mcp).await, resources(MCP));
    let for_api = machine(API).await.unwrap();
    assert_eq!(for_api.scope, ScopeSet::parse("read write").unwrap());
    let unknown = machine("https://other.example.com/").await;
    assert!(
        matches!(unknown, Err(OAuthError::InvalidTarget(_))),
        "{unknown:?}"
    );

    let params = AuthorizationParams {
        client_id: Some(client.application.client_id.to_string()),
        response_type: Some("code".into()),
        redirect_uri: Some(REDIRECT.into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        resource: Some("https://other.example.com/".into()),
        ..AuthorizationParams::default()
    };
    let refused = engine.validate_authorization(&params, now()).await;
    assert!(
        matches!(
            &refused,
            Err(warrant_grants::AuthorizationRejection::Redirect {
                error: OAuthError::InvalidTarget(_),
                ..
            })
        ),
        "{refused:?}"
    );
    let malformed = AuthorizationParams {
        resource: Some("https://mcp.example.com/#fragment".into()),
        ..params
    };
    assert!(matches!(
        engine.validate_authorization(&malformed, now()).await,
        Err(warrant_grants::AuthorizationRejection::Redirect {
            error: OAuthError::InvalidTarget(_),
            ..
        })
    ));
}

#[tokio::test]
async fn a_client_limited_to_resources_gets_tokens_for_those_only() {
    let world = World::new().await;
    let mut client = world.confidential().await;
    client.application.allowed_resources = resources(MCP);
    world.store_update(&client.application).await;
    let engine = world.engine();
    let machine = |resource: &str| {
        engine.token_for_resources(
            &client.credentials,
            TokenRequest::ClientCredentials { scope: None },
            resources(resource),
            now(),
        )
    };

    let unnamed = machine("").await.unwrap();
    assert_eq!(
        audience(&world, &unnamed).await,
        resources(MCP),
        "naming none, it gets those it may ask for"
    );
    let named = machine(MCP).await.unwrap();
    assert_eq!(audience(&world, &named).await, resources(MCP));
    let other = machine(API).await;
    assert!(
        matches!(other, Err(OAuthError::InvalidTarget(_))),
        "{other:?}"
    );

    let params = AuthorizationParams {
        client_id: Some(client.application.client_id.to_string()),
        response_type: Some("code".into()),
        redirect_uri: Some(REDIRECT.into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        resource: Some(API.into()),
        ..AuthorizationParams::default()
    };
    assert!(matches!(
        engine.validate_authorization(&params, now()).await,
        Err(warrant_grants::AuthorizationRejection::Redirect {
            error: OAuthError::InvalidTarget(_),
            ..
        })
    ));
    let unnamed = AuthorizationParams {
        resource: None,
        ..params
    };
    let request = engine
        .validate_authorization(&unnamed, now())
        .await
        .unwrap();
    assert_eq!(request.resources, resources(MCP));
}
