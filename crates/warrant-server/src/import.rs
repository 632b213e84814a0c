//! `warrant import django`.

use time::OffsetDateTime;
use warrant_import::Options;
use warrant_model::ProviderKey;

use crate::cli::{ImportCommand, ImportDjangoArgs};
use crate::config::Config;
use crate::context::Context;
use crate::secret_key::UsedBy;

pub async fn run(config: &Config, command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Django(args) = command;
    // API tokens and upstream tokens are sealed with the server's key.
    let (_, sealing) = crate::secret_key::resolve(config, UsedBy::Command)?;
    let context = Context::open(config, true).await?;
    let result = django(config, &context, &sealing, args).await;
    context.store.close().await;
    result
}

async fn django(
    config: &Config,
    context: &Context,
    sealing: &warrant_generators::SealingKey,
    args: ImportDjangoArgs,
) -> anyhow::Result<()> {
    let providers = config
        .upstream
        .keys()
        .map(|key| ProviderKey::parse(key))
        .collect::<Result<Vec<_>, _>>()?;
    let options = Options {
        database_url: &args.database_url,
        dry_run: args.dry_run,
        keep_inactive: args.keep_inactive,
        sealing,
        hasher: context.grants.hasher.hasher(),
        redirect_policy: context.redirect_policy,
        providers: &providers,
        now: OffsetDateTime::now_utc(),
    };
    let report = warrant_import::import_django(&*context.store, &options).await?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{report}");
    }
    match report.refused() {
        0 => Ok(()),
        refused => anyhow::bail!("{refused} rows were refused (listed in the report above)"),
    }
}
