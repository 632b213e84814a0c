//! `warrant serve --demo`: a demo user and two demo clients, and commands to try them.

use time::OffsetDateTime;
use warrant_generators::{hash_token, random_urlsafe};
use warrant_model::{
    ClientId, ClientSecretHash, ClientType, Email, GrantType, GrantTypes, NewApplication,
    RedirectUri, RedirectUriPolicy, Secret, Username,
};
use warrant_storage::Store;

use crate::context::Context;

const USERNAME: &str = "demo";
const CONFIDENTIAL: &str = "demo-confidential";
const PUBLIC: &str = "demo-public";
const REDIRECT: &str = "http://127.0.0.1:9000/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Seeds the demo data (again: each start sets a fresh password and client secret, since
/// only their hashes are stored) and returns what to print.
pub async fn seed(context: &Context, base_url: &str) -> anyhow::Result<String> {
    let now = OffsetDateTime::now_utc();
    let password = random_urlsafe(12)?;
    let username = Username::parse(USERNAME)?;
    match context.store.user_by_username(&username).await? {
        Some(_) => {
            context.engine().set_password(&username, &password).await?;
        }
        None => {
            let account = warrant_grants::NewAccount {
                username,
                email: Some(Email::parse("demo@example.com")?),
                password: warrant_grants::InitialPassword::Plain(password.clone()),
                first_name: "Demo".into(),
                last_name: "User".into(),
                is_staff: false,
                is_superuser: false,
            };
            context.engine().create_user(account, now).await?;
        }
    }
    let secret = random_urlsafe(48)?;
    upsert_client(
        &*context.store,
        CONFIDENTIAL,
        ClientType::Confidential,
        &GrantType::ALL,
        Some(&secret),
        now,
    )
    .await?;
    let public_grants = [GrantType::AuthorizationCode, GrantType::RefreshToken];
    upsert_client(
        &*context.store,
        PUBLIC,
        ClientType::Public,
        &public_grants,
        None,
        now,
    )
    .await?;
    Ok(instructions(base_url, password.expose(), secret.expose()))
}

async fn upsert_client(
    store: &dyn Store,
    client_id: &str,
    client_type: ClientType,
    grants: &[GrantType],
    secret: Option<&Secret<String>>,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let client_id = ClientId::parse(client_id)?;
    let secret_hash = secret.map(|s| ClientSecretHash::Sha256(hash_token(s.expose())));
    if let Some(mut existing) = store.application_by_client_id(&client_id).await? {
        existing.client_secret = secret_hash;
        store.update_application(&existing, now).await?;
        return Ok(());
    }
    let application = NewApplication {
        client_id,
        client_secret: secret_hash,
        client_type,
        grant_types: GrantTypes::new(grants.iter().copied())?,
        redirect_uris: vec![RedirectUri::parse(REDIRECT, RedirectUriPolicy::default())?],
        post_logout_redirect_uris: vec![],
        allowed_origins: vec![],
        allowed_resources: Default::default(),
        name: format!("Warrant demo ({client_type})"),
        owner: None,
        skip_authorization: false,
        pkce_required: client_type == ClientType::Public,
        algorithm: None,
        security: Default::default(),
        sealed_secret: None,
    };
    store.create_application(&application, now).await?;
    Ok(())
}

fn instructions(base: &str, password: &str, secret: &str) -> String {
    let token = format!("{base}/o/token/");
    let extract = r#"sed -E 's/.*"access_token":"([^"]+)".*/\1/'"#;
    format!(
        "\
Demo data is ready (the password and the client secret change at every --demo start).
  user:                {USERNAME} / {password}
  confidential client: {CONFIDENTIAL} / {secret} (every grant)
  public PKCE client:  {PUBLIC} (authorization_code + refresh_token, redirect {REDIRECT})

Try it (paste into a shell while the server runs):

curl -s -u {CONFIDENTIAL}:{secret} -d grant_type=client_credentials {token}
curl -s -u {CONFIDENTIAL}:{secret} -d grant_type=password -d username={USERNAME} -d password={password} {token}
TOKEN=$(curl -s -u {CONFIDENTIAL}:{secret} -d grant_type=password -d username={USERNAME} -d password={password} {token} | {extract})
curl -s -u {CONFIDENTIAL}:{secret} -d token=$TOKEN {base}/o/introspect/
curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/profile/
curl -s -u {CONFIDENTIAL}:{secret} -d token=$TOKEN {base}/o/revoke_token/
curl -s -u {CONFIDENTIAL}:{secret} -d token=$TOKEN {base}/o/introspect/

In a browser, log in as {USERNAME} and authorize the public client (PKCE, RFC 7636's example verifier):
{base}/o/authorize/?client_id={PUBLIC}&response_type=code&scope=read&state=demo&redirect_uri={redirect}&code_challenge={CHALLENGE}&code_challenge_method=S256
The browser then lands on {REDIRECT}?code=…; exchange the code within a minute (it works once):
CODE=paste-the-code-here
curl -s -d grant_type=authorization_code -d client_id={PUBLIC} -d code=$CODE -d code_verifier={VERIFIER} -d redirect_uri={REDIRECT} {token}
",
        redirect = url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
    )
}
