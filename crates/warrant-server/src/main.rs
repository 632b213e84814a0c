//! `warrant`: the Warrant authorization server and its administration CLI.
//!
//! Thin on purpose: it reads configuration, opens the store, builds the generators and
//! hands them to `warrant-http` (serve) or `warrant-grants` (CLI commands). Business rules
//! live in those crates, not here.

#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, reason = "the CLI's output is its interface")]

mod apps;
mod check;
mod cleartokens;
mod cli;
mod config;
mod context;
mod demo;
mod keys;
mod lockouts;
mod secret_key;
mod serve;
mod sync;
mod users;

/// glibc's allocator measured about 15 % of the server's time under load (many small
/// allocations per request across two threads); mimalloc does the same work faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::config::Config;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            // --help and --version: print as clap formats them.
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("{}", usage_error_line(&error.render().to_string()));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: the operator's script shows it as is.
            eprintln!("error: {}", format!("{error:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    config.dev |= cli.dev || matches!(&cli.command, Command::Serve(args) if args.demo);
    let default_level = if matches!(cli.command, Command::Serve(_)) {
        config.log.level.as_str()
    } else {
        "warn"
    };
    init_logging(default_level);
    // `warrant check` reports them itself.
    if !matches!(cli.command, Command::Check) {
        for warning in config.warnings() {
            tracing::warn!("{warning}");
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve::run(config, args)),
        Command::Migrate => runtime.block_on(async {
            let context = context::Context::open(&config, true).await?;
            context.store.close().await;
            println!("migrations applied");
            Ok(())
        }),
        Command::Cleartokens { batch_size } => {
            runtime.block_on(cleartokens::run(&config, batch_size))
        }
        Command::User(command) => runtime.block_on(users::run(&config, command)),
        Command::App(command) => runtime.block_on(apps::run(&config, command)),
        Command::Keys(command) => runtime.block_on(keys::run(&config, command)),
        Command::Sync(command) => runtime.block_on(sync::run(&config, command)),
        Command::Lockout(command) => runtime.block_on(lockouts::run(&config, command)),
        Command::Check => runtime.block_on(check::run(&config)),
        Command::Config(ConfigCommand::Show) => {
            print!("{}", toml::to_string_pretty(&config)?);
            Ok(())
        }
    }
}

/// Clap's usage error on one line, without its usage block and its own pointer to
/// `--help`, so scripts log one line per failure like every other error.
fn usage_error_line(rendered: &str) -> String {
    let message = rendered.split("\n\nUsage:").next().unwrap_or(rendered);
    let message = message.replace("For more information, try '--help'.", "");
    let words: Vec<&str> = message.split_whitespace().collect();
    format!("{} (see --help)", words.join(" "))
}

fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(default_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn usage_errors_point_to_help_once() {
        for args in [
            &[
                "warrant",
                "app",
                "create",
                "--name",
                "x",
                "--client-type",
                "other",
            ][..],
            &["warrant", "user", "lst"],
            &["warrant", "--frob"],
        ] {
            let error = Cli::try_parse_from(args).unwrap_err();
            let line = usage_error_line(&error.render().to_string());
            assert_eq!(line.matches("help").count(), 1, "{line}");
            assert!(
                line.ends_with(" (see --help)") && !line.contains('\n'),
                "{line}"
            );
        }
    }
}
