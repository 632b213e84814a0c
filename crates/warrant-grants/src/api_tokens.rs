//! Users' API tokens (`Authorization: Token <key>`), shown in the profile and pushed to
//! client apps, so they are kept sealed as well as hashed.

use time::OffsetDateTime;
use warrant_generators::{SealingKey, hash_token, random_urlsafe};
use warrant_model::{ApiToken, Secret, UserId};
use warrant_storage::Store;

use crate::GrantsError;

/// The purpose API tokens are sealed under (associated data of the AES-GCM seal).
pub const API_TOKEN_PURPOSE: &str = "api_token";

/// Random bytes in a new API token: 240 bits, 40 characters like a Django REST framework
/// token, which ocs-authentication client apps store.
const API_TOKEN_BYTES: usize = 30;

/// The user's API token, made on first use.
pub async fn api_token_of(
    store: &dyn Store,
    sealing: &SealingKey,
    user: UserId,
    now: OffsetDateTime,
) -> Result<Secret<String>, GrantsError> {
    let stored = match store.api_token_of_user(user).await? {
        Some(stored) => stored,
        None => {
            let fresh = random_urlsafe(API_TOKEN_BYTES)?;
            let token = ApiToken {
                user_id: user,
                token_hash: hash_token(fresh.expose()),
                sealed_token: sealing.seal_str(API_TOKEN_PURPOSE, &fresh)?,
                created_at: now,
            };
            store.keep_first_api_token(&token).await?
        }
    };
    Ok(sealing.open_str(API_TOKEN_PURPOSE, &stored.sealed_token)?)
}
