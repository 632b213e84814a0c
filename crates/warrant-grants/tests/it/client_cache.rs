//! The application cache: fresh records save a read, `forget` and a zero time to live see
//! changes at once, unknown client ids are never remembered.

use std::time::Duration;

use warrant_grants::*;
use warrant_model::{ClientId, ClientType, GrantType, NewApplication};
use warrant_storage::prelude::*;

use crate::support::*;

const CODE: &[GrantType] = &[GrantType::AuthorizationCode];

async fn name_seen_through(cache: &ClientCache, world: &World, client_id: &ClientId) -> String {
    cache
        .application(&world.store, client_id)
        .await
        .unwrap()
        .unwrap()
        .name
}

async fn rename(world: &World, client: &Client, name: &str) {
    let mut renamed = client.application.clone();
    renamed.name = name.to_owned();
    world.store_update(&renamed).await;
}

#[tokio::test]
async fn a_fresh_record_is_served_without_reading_the_store_until_forgotten() {
    let world = World::new().await;
    let client = world.client(ClientType::Confidential, CODE).await;
    let client_id = &client.application.client_id;
    let cache = ClientCache::new(Duration::from_secs(3600));
    let original = name_seen_through(&cache, &world, client_id).await;

    rename(&world, &client, "renamed elsewhere").await;
    assert_eq!(name_seen_through(&cache, &world, client_id).await, original);

    cache.forget(client_id);
    assert_eq!(
        name_seen_through(&cache, &world, client_id).await,
        "renamed elsewhere"
    );
}

#[tokio::test]
async fn a_zero_time_to_live_reads_the_store_every_time() {
    let world = World::new().await;
    let client = world.client(ClientType::Confidential, CODE).await;
    let client_id = &client.application.client_id;
    let cache = ClientCache::new(Duration::ZERO);
    name_seen_through(&cache, &world, client_id).await;

    rename(&world, &client, "renamed").await;
    assert_eq!(
        name_seen_through(&cache, &world, client_id).await,
        "renamed"
    );
}

#[tokio::test]
async fn an_unknown_client_id_is_not_remembered() {
    let world = World::new().await;
    let cache = ClientCache::new(Duration::from_secs(3600));
    let client = world.client(ClientType::Confidential, CODE).await;
    let app = client.application;
    world.store.delete_application(app.id).await.unwrap();
    assert_eq!(
        cache
            .application(&world.store, &app.client_id)
            .await
            .unwrap(),
        None
    );

    let again = NewApplication {
        client_id: app.client_id.clone(),
        client_secret: app.client_secret,
        client_type: app.client_type,
        grant_types: app.grant_types.clone(),
        redirect_uris: app.redirect_uris.clone(),
        post_logout_redirect_uris: vec![],
        allowed_origins: vec![],
        allowed_resources: Default::default(),
        name: "registered again".into(),
        owner: None,
        skip_authorization: false,
        pkce_required: false,
        algorithm: None,
        security: Default::default(),
        sealed_secret: None,
    };
    world.store.create_application(&again, now()).await.unwrap();
    assert_eq!(
        name_seen_through(&cache, &world, &app.client_id).await,
        "registered again"
    );
}

#[tokio::test]
async fn the_engine_authenticates_through_the_cache() {
    let world = World::new().await;
    let client = world.confidential().await;
    let cache = ClientCache::new(Duration::from_secs(3600));
    let engine = Engine {
        clients: &cache,
        ..world.engine()
    };
    engine
        .authenticate_client(&client.credentials, now())
        .await
        .unwrap();

    world
        .store
        .delete_application(client.application.id)
        .await
        .unwrap();
    assert!(
        engine
            .authenticate_client(&client.credentials, now())
            .await
            .is_ok()
    );
    cache.forget(&client.application.client_id);
    assert!(matches!(
        engine.authenticate_client(&client.credentials, now()).await,
        Err(OAuthError::InvalidClient(_))
    ));
}
