//! `warrant app …`.

use anyhow::Context as _;
use serde_json::{Value, json};
use time::OffsetDateTime;
use warrant_grants::{ApplicationChanges, ApplicationRegistration};
use warrant_model::{
    Application, AuthMethod, ClientId, ClientJwks, ClientKeys, ClientSecurity, ClientType,
    GrantType, GrantTypes, Origin, RedirectUri, ResourceUri, SecurityProfile, SigningAlgorithm,
    Username,
};
use warrant_storage::Page;

use crate::cli::{AppCommand, AppCreateArgs, AppUpdateArgs, ClientTypeArg};
use crate::config::Config;
use crate::context::Context;

pub async fn run(config: &Config, command: AppCommand) -> anyhow::Result<()> {
    let context = Context::open(config, true).await?;
    let result = match command {
        AppCommand::Create(args) => create(&context, *args).await,
        AppCommand::List { json } => list(&context, json).await,
        AppCommand::Show { client_id, json } => show(&context, &client_id, json).await,
        AppCommand::Delete { client_id } => {
            let client_id = ClientId::parse(&client_id)?;
            context.engine().delete_application(&client_id).await?;
            println!("deleted application {client_id}");
            Ok(())
        }
        AppCommand::RotateSecret { client_id, json } => rotate(&context, &client_id, json).await,
        AppCommand::Update(args) => update(&context, *args).await,
    };
    context.store.close().await;
    result
}

async fn create(context: &Context, args: AppCreateArgs) -> anyhow::Result<()> {
    let parse_uris = |uris: &[String]| -> anyhow::Result<Vec<RedirectUri>> {
        Ok(uris
            .iter()
            .map(|u| RedirectUri::parse(u, context.redirect_policy))
            .collect::<Result<_, _>>()?)
    };
    let owner = match &args.owner {
        Some(name) => {
            let username = Username::parse(name)?;
            let user = context.store.user_by_username(&username).await?;
            Some(
                user.ok_or_else(|| anyhow::anyhow!("no user named {username}"))?
                    .id,
            )
        }
        None => None,
    };
    let client_secret = match args.client_secret_stdin {
        true => Some(crate::users::read_secret("client secret")?),
        false => None,
    };
    let registration = ApplicationRegistration {
        client_id: args.client_id.as_deref().map(ClientId::parse).transpose()?,
        client_secret,
        name: args.name,
        client_type: match args.client_type {
            ClientTypeArg::Confidential => ClientType::Confidential,
            ClientTypeArg::Public => ClientType::Public,
        },
        grant_types: GrantTypes::new(
            args.grants
                .iter()
                .map(|g| GrantType::parse(g))
                .collect::<Result<Vec<_>, _>>()?,
        )?,
        redirect_uris: parse_uris(&args.redirect_uris)?,
        post_logout_redirect_uris: parse_uris(&args.post_logout_redirect_uris)?,
        allowed_origins: args
            .allowed_origins
            .iter()
            .map(|o| Origin::parse(o))
            .collect::<Result<_, _>>()?,
        allowed_resources: args
            .resources
            .iter()
            .map(|uri| ResourceUri::parse(uri))
            .collect::<Result<_, _>>()?,
        owner,
        skip_authorization: args.skip_authorization,
        pkce_required: args.require_pkce,
        algorithm: args
            .algorithm
            .as_deref()
            .map(SigningAlgorithm::parse)
            .transpose()?,
        security: ClientSecurity {
            require_pushed_requests: args.require_par,
            auth_method: args
                .auth_method
                .as_deref()
                .map(AuthMethod::parse)
                .transpose()?,
            keys: client_keys(args.jwks_file.as_deref(), args.jwks_uri.as_deref())?,
            require_dpop: args.require_dpop,
            profile: args
                .profile
                .as_deref()
                .map(SecurityProfile::parse)
                .transpose()?,
        },
    };
    let (app, secret) = context
        .engine()
        .register_application(registration, OffsetDateTime::now_utc())
        .await?;
    let secret = secret.as_ref().map(|s| s.expose().as_str());
    if args.json {
        println!(
            "{}",
            json!({ "client_id": app.client_id, "client_secret": secret })
        );
    } else {
        println!("created application {:?}", app.name);
        println!("client_id:     {}", app.client_id);
        match secret {
            Some(secret) => println!("client_secret: {secret}\n(shown only now: store it safely)"),
            None => println!("client_secret: none (public client)"),
        }
    }
    Ok(())
}

/// The keys `--jwks-file` or `--jwks-uri` name.
fn client_keys(
    jwks_file: Option<&std::path::Path>,
    jwks_uri: Option<&str>,
) -> anyhow::Result<Option<ClientKeys>> {
    if let Some(path) = jwks_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--jwks-file {}: cannot read it", path.display()))?;
        let jwks =
            ClientJwks::parse(&text).with_context(|| format!("--jwks-file {}", path.display()))?;
        return Ok(Some(ClientKeys::Jwks(jwks)));
    }
    jwks_uri
        .map(ClientKeys::uri)
        .transpose()
        .context("--jwks-uri")
}

fn describe(app: &Application) -> Value {
    json!({
        "client_id": app.client_id,
        "name": app.name,
        "client_type": app.client_type,
        "grant_types": app.grant_types.iter().map(GrantType::as_str).collect::<Vec<_>>(),
        "redirect_uris": app.redirect_uris,
        "post_logout_redirect_uris": app.post_logout_redirect_uris,
        "allowed_origins": app.allowed_origins,
        "allowed_resources": app.allowed_resources.iter().map(|uri| uri.as_str()).collect::<Vec<_>>(),
        "owner_id": app.owner.map(|o| o.0),
        "skip_authorization": app.skip_authorization,
        "pkce_required": app.pkce_required,
        "algorithm": app.algorithm.map(SigningAlgorithm::as_str),
        "require_pushed_authorization_requests": app.security.require_pushed_requests,
        "token_endpoint_auth_method": app.security.auth_method.map(AuthMethod::as_str),
        "jwks": match &app.security.keys {
            Some(ClientKeys::Jwks(jwks)) => Some(jwks.as_json()),
            _ => None,
        },
        "jwks_uri": match &app.security.keys {
            Some(ClientKeys::Uri(uri)) => Some(uri.as_str()),
            _ => None,
        },
        "dpop_bound_access_tokens": app.security.require_dpop,
        "security_profile": app.security.profile.map(SecurityProfile::as_str),
        "has_client_secret": app.client_secret.is_some(),
    })
}

async fn list(context: &Context, json: bool) -> anyhow::Result<()> {
    let mut page = Page::first(500);
    let mut apps = Vec::new();
    loop {
        let batch = context.store.list_applications(None, page).await?;
        let Some(last) = batch.last() else { break };
        page.after = Some(last.id.0);
        apps.extend(batch);
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&apps.iter().map(describe).collect::<Vec<_>>())?
        );
        return Ok(());
    }
    println!("{:<42} {:<13} {:<28} GRANTS", "CLIENT_ID", "TYPE", "NAME");
    for app in apps {
        println!(
            "{:<42} {:<13} {:<28} {}",
            app.client_id.as_str(),
            app.client_type.as_str(),
            app.name,
            app.grant_types
        );
    }
    Ok(())
}

async fn show(context: &Context, client_id: &str, json: bool) -> anyhow::Result<()> {
    let client_id = ClientId::parse(client_id)?;
    let app = context
        .store
        .application_by_client_id(&client_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no application with client_id {client_id}"))?;
    let description = describe(&app);
    if json {
        println!("{}", serde_json::to_string_pretty(&description)?);
    } else if let Value::Object(fields) = description {
        for (key, value) in fields {
            println!("{key:<38} {value}");
        }
    }
    Ok(())
}

async fn update(context: &Context, args: AppUpdateArgs) -> anyhow::Result<()> {
    let client_id = ClientId::parse(&args.client_id)?;
    let mut app = context
        .store
        .application_by_client_id(&client_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no application with client_id {client_id}"))?;
    let uris = |given: &[String], kept: &[RedirectUri]| -> anyhow::Result<Vec<RedirectUri>> {
        if given.is_empty() {
            return Ok(kept.to_vec());
        }
        Ok(given
            .iter()
            .map(|uri| RedirectUri::parse(uri, context.redirect_policy))
            .collect::<Result<_, _>>()?)
    };
    let changes = ApplicationChanges {
        name: args.name.unwrap_or_else(|| app.name.clone()),
        grant_types: if args.grants.is_empty() {
            app.grant_types.clone()
        } else {
            GrantTypes::new(
                args.grants
                    .iter()
                    .map(|g| GrantType::parse(g))
                    .collect::<Result<Vec<_>, _>>()?,
            )?
        },
        redirect_uris: uris(&args.redirect_uris, &app.redirect_uris)?,
        post_logout_redirect_uris: uris(
            &args.post_logout_redirect_uris,
            &app.post_logout_redirect_uris,
        )?,
        allowed_origins: if args.allowed_origins.is_empty() {
            app.allowed_origins.clone()
        } else {
            args.allowed_origins
                .iter()
                .map(|o| Origin::parse(o))
                .collect::<Result<_, _>>()?
        },
        allowed_resources: None,
        pkce_required: args.require_pkce.unwrap_or(app.pkce_required),
        algorithm: match args.algorithm.as_deref() {
            Some(name) => Some(SigningAlgorithm::parse(name)?),
            None => app.algorithm,
        },
        security: None,
    };
    if let Some(skip) = args.skip_authorization {
        app.skip_authorization = skip;
    }
    let updated = context
        .engine()
        .update_application(app, changes, OffsetDateTime::now_utc())
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&describe(&updated))?);
    } else {
        println!(
            "updated application {:?} ({})",
            updated.name, updated.client_id
        );
    }
    Ok(())
}

async fn rotate(context: &Context, client_id: &str, json: bool) -> anyhow::Result<()> {
    let client_id = ClientId::parse(client_id)?;
    let secret = context
        .engine()
        .rotate_client_secret(&client_id, OffsetDateTime::now_utc())
        .await?;
    if json {
        println!(
            "{}",
            json!({ "client_id": client_id, "client_secret": secret.expose() })
        );
    } else {
        println!(
            "client_secret: {}\n(shown only now; the old secret no longer works)",
            secret.expose()
        );
    }
    Ok(())
}
