//! `warrant user …`.

use std::io::Read;

use anyhow::Context as _;
use serde_json::json;
use time::OffsetDateTime;
use warrant_grants::{AccountChanges, InitialPassword, NewAccount};
use warrant_model::{Email, PasswordHash, Secret, User, Username};
use warrant_storage::{Page, UserFilter};

use crate::cli::{UserCommand, UserCreateArgs, UserUpdateArgs};
use crate::config::Config;
use crate::context::Context;

pub async fn run(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let mut context = Context::open(config, true).await?;
    let result = match command {
        UserCommand::Create(args) => create(&context, args).await,
        UserCommand::Passwd { username, .. } => passwd(&context, &username).await,
        UserCommand::List { json } => list(&context, json).await,
        UserCommand::RevokeApiToken { username } => {
            revoke_api_token(config, &mut context, &username).await
        }
        UserCommand::Update(args) => update(&context, args).await,
        UserCommand::Deactivate { username } => set_active(&context, &username, false).await,
        UserCommand::Activate { username } => set_active(&context, &username, true).await,
        UserCommand::Unlock { username } => crate::lockouts::unlock(&context, &username).await,
        UserCommand::Delete { username, yes } => delete(&context, &username, yes).await,
    };
    context.store.close().await;
    result
}

async fn create(context: &Context, args: UserCreateArgs) -> anyhow::Result<()> {
    let account = NewAccount {
        username: Username::parse(&args.username)?,
        email: args.email.as_deref().map(Email::parse).transpose()?,
        password: match (args.password_stdin, args.password_hash) {
            (true, _) => InitialPassword::Plain(read_secret("password")?),
            (false, Some(hash)) => {
                InitialPassword::Hashed(PasswordHash::parse(&hash).context("--password-hash")?)
            }
            (false, None) => InitialPassword::None,
        },
        first_name: args.first_name,
        last_name: args.last_name,
        is_staff: args.staff,
        is_superuser: args.superuser,
    };
    let user = context
        .engine()
        .create_user(account, OffsetDateTime::now_utc())
        .await?;
    if args.json {
        println!("{}", json!({ "id": user.id.0, "username": user.username }));
    } else {
        println!("created user {} (id {})", user.username, user.id);
    }
    Ok(())
}

async fn update(context: &Context, args: UserUpdateArgs) -> anyhow::Result<()> {
    let user = find(context, &args.username).await?;
    let email = match args.email.as_deref() {
        Some("") => Some(None),
        Some(email) => Some(Some(Email::parse(email).context("--email")?)),
        None => None,
    };
    let changes = AccountChanges {
        email,
        first_name: args.first_name,
        last_name: args.last_name,
        is_staff: args.staff,
        is_superuser: args.superuser,
        ..AccountChanges::default()
    };
    let user = context
        .engine()
        .update_account(user, changes, OffsetDateTime::now_utc())
        .await?;
    println!("updated user {}", user.username);
    Ok(())
}

/// Activates or deactivates `username` (a deactivation ends their sessions and their
/// tokens stop working).
async fn set_active(context: &Context, username: &str, active: bool) -> anyhow::Result<()> {
    let user = find(context, username).await?;
    let changes = AccountChanges {
        is_active: Some(active),
        ..AccountChanges::default()
    };
    context
        .engine()
        .update_account(user, changes, OffsetDateTime::now_utc())
        .await?;
    if active {
        println!("activated user {username}");
    } else {
        println!("deactivated user {username}: their sessions ended, their tokens stop working");
    }
    Ok(())
}

async fn passwd(context: &Context, username: &str) -> anyhow::Result<()> {
    let username = Username::parse(username)?;
    let password = read_secret("password")?;
    context.engine().set_password(&username, &password).await?;
    println!("password of {username} changed; their sessions have ended");
    Ok(())
}

async fn revoke_api_token(
    config: &Config,
    context: &mut Context,
    username: &str,
) -> anyhow::Result<()> {
    context.use_secret_key(config)?;
    let user = find(context, username).await?;
    context
        .engine()
        .replace_api_token(user.id, OffsetDateTime::now_utc())
        .await?;
    println!("API token of {username} replaced; client apps will get the new one");
    Ok(())
}

/// The user named `username`; an error naming it when there is none.
/// Deletes `username`, once `--yes` says so.
async fn delete(context: &Context, username: &str, yes: bool) -> anyhow::Result<()> {
    let user = find(context, username).await?;
    if !yes {
        anyhow::bail!(
            "user delete: deleting {username} cannot be undone and client apps are not told; \
             add --yes to delete (or `warrant user deactivate {username}` to stop them instead)"
        );
    }
    context.engine().delete_user(user.id).await?;
    println!("deleted user {username}");
    Ok(())
}

pub(crate) async fn find(context: &Context, username: &str) -> anyhow::Result<User> {
    let username = Username::parse(username)?;
    context
        .store
        .user_by_username(&username)
        .await?
        .with_context(|| format!("no user {username}"))
}

async fn list(context: &Context, json: bool) -> anyhow::Result<()> {
    let mut page = Page::first(500);
    let mut rows = Vec::new();
    loop {
        let users = context
            .store
            .list_users(UserFilter::default(), page)
            .await?;
        let Some(last) = users.last() else { break };
        page.after = Some(last.id.0);
        rows.extend(users);
    }
    if json {
        let users: Vec<_> = rows
            .iter()
            .map(|u| {
                json!({
                    "id": u.id.0, "username": u.username, "email": u.email,
                    "first_name": u.first_name, "last_name": u.last_name,
                    "is_active": u.is_active, "is_staff": u.is_staff, "is_superuser": u.is_superuser,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&users)?);
        return Ok(());
    }
    println!("{:>6}  {:<24} {:<32} FLAGS", "ID", "USERNAME", "EMAIL");
    for u in rows {
        let flags: Vec<&str> = [
            (u.is_staff, "staff"),
            (u.is_superuser, "superuser"),
            (!u.is_active, "inactive"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        let email = u.email.as_ref().map(Email::as_str).unwrap_or("-");
        println!(
            "{:>6}  {:<24} {:<32} {}",
            u.id.0,
            u.username.as_str(),
            email,
            flags.join(",")
        );
    }
    Ok(())
}

/// The whole of standard input, without the final line break: the `what` (a password, a
/// client secret).
pub(crate) fn read_secret(what: &str) -> anyhow::Result<Secret<String>> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .with_context(|| format!("reading the {what} from standard input"))?;
    let password = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text);
    if password.is_empty() {
        anyhow::bail!("no {what} on standard input");
    }
    Ok(Secret::new(password.to_owned()))
}
