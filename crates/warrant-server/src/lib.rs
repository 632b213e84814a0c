//! The `warrant` binary as a library: configuration, the CLI and the wiring of the
//! Warrant authorization server, for programs that extend it. [`Warrant`] runs the very
//! command line of `warrant`, with generator kinds and Rocket routes or fairings of your
//! own:
//!
//! ```no_run
//! use std::sync::Arc;
//! use warrant_generators::{Generator, GeneratorError};
//!
//! struct Prefixed(String);
//!
//! impl Generator for Prefixed {
//!     fn generate(&self) -> Result<String, GeneratorError> {
//!         let random = warrant_generators::random_urlsafe(32)?;
//!         Ok(format!("{}{}", self.0, random.expose()))
//!     }
//!
//!     fn entropy_bits(&self) -> Option<u32> {
//!         Some(256)
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     warrant_server::Warrant::new()
//!         .generators(|registry| {
//!             registry.register("prefixed", |params| {
//!                 params.allow_only(&["prefix"])?;
//!                 let prefix = params.string("prefix")?.unwrap_or_default();
//!                 Ok(Arc::new(Prefixed(prefix)))
//!             })
//!         })
//!         .main()
//! }
//! ```
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
mod import;
mod keys;
mod lockouts;
mod secret_key;
mod serve;
mod sync;
mod users;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use warrant_generators::Registry;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::config::{Config, CustomizeRocket, Extensions};

/// The `warrant` command line, with extensions.
pub struct Warrant {
    generator_kinds: Registry,
    customize_rocket: Vec<Box<CustomizeRocket>>,
}

impl Default for Warrant {
    fn default() -> Self {
        Self::new()
    }
}

impl Warrant {
    /// `warrant` as shipped: the built-in generator kinds, Warrant's routes.
    pub fn new() -> Self {
        Self {
            generator_kinds: Registry::with_builtins(),
            customize_rocket: Vec::new(),
        }
    }

    /// Registers generator kinds besides the built-in ones (and those of earlier calls),
    /// for `[generators.<slot>] kind = "…"` in warrant.toml.
    pub fn generators(mut self, register: impl FnOnce(&mut Registry)) -> Self {
        register(&mut self.generator_kinds);
        self
    }

    /// Changes the Rocket application `serve` builds, before it starts: extra routes,
    /// fairings, managed state. Several calls apply in order.
    pub fn rocket(
        mut self,
        customize: impl Fn(rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.customize_rocket.push(Box::new(customize));
        self
    }

    /// Parses the process's arguments and runs the command, as `warrant` does; errors are
    /// printed on one line.
    pub fn main(self) -> ExitCode {
        let customizers = self.customize_rocket;
        let rocket: Option<Arc<CustomizeRocket>> = (!customizers.is_empty()).then(|| {
            Arc::new(move |rocket| {
                customizers
                    .iter()
                    .fold(rocket, |rocket, customize| customize(rocket))
            }) as Arc<CustomizeRocket>
        });
        main(Extensions {
            generator_kinds: Arc::new(self.generator_kinds),
            rocket,
        })
    }
}

fn main(extensions: Extensions) -> ExitCode {
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
    match run(cli, extensions) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: the operator's script shows it as is.
            eprintln!("error: {}", format!("{error:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, extensions: Extensions) -> anyhow::Result<()> {
    // Neither needs a configuration: they describe the command line.
    match cli.command {
        Command::Completions { shell } => return print_completions(shell),
        Command::Manpage => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut std::io::stdout())?;
            return Ok(());
        }
        _ => {}
    }
    let mut config = Config::load(cli.config.as_deref())?;
    config.extensions = extensions;
    config.dev |= cli.dev || matches!(&cli.command, Command::Serve(args) if args.demo);
    let default_level = if matches!(cli.command, Command::Serve(_)) {
        config.log.level.as_str()
    } else {
        "warn"
    };
    init_logging(default_level, &config.log);
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
        Command::Import(command) => runtime.block_on(import::run(&config, command)),
        Command::Check => runtime.block_on(check::run(&config)),
        // Answered above, before the configuration is read.
        Command::Completions { .. } | Command::Manpage => Ok(()),
        Command::Config(ConfigCommand::Show { json: false }) => {
            print!("{}", toml::to_string_pretty(&config)?);
            Ok(())
        }
        Command::Config(ConfigCommand::Show { json: true }) => {
            println!("{}", serde_json::to_string_pretty(&config)?);
            Ok(())
        }
    }
}

/// The completion script for `shell`, on standard output.
fn print_completions(shell: cli::ShellArg) -> anyhow::Result<()> {
    let shell = match shell {
        cli::ShellArg::Bash => clap_complete::Shell::Bash,
        cli::ShellArg::Zsh => clap_complete::Shell::Zsh,
        cli::ShellArg::Fish => clap_complete::Shell::Fish,
    };
    let mut command = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut command, "warrant", &mut std::io::stdout());
    Ok(())
}

/// Clap's usage error on one line, without its usage block and its own pointer to
/// `--help`, so scripts log one line per failure like every other error.
fn usage_error_line(rendered: &str) -> String {
    let message = rendered.split("\n\nUsage:").next().unwrap_or(rendered);
    let message = message.replace("For more information, try '--help'.", "");
    let words: Vec<&str> = message.split_whitespace().collect();
    format!("{} (see --help)", words.join(" "))
}

/// Logs to standard error at `default_level` (or `RUST_LOG`), as `log.format` says;
/// `log.access = false` turns the access lines off.
fn init_logging(default_level: &str, log: &config::LogConfig) {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(default_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if !log.access
        && let Ok(off) = "warrant::access=off".parse()
    {
        filter = filter.add_directive(off);
    }
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match log.format {
        config::LogFormat::Text => subscriber.with_ansi(std::io::stderr().is_terminal()).init(),
        config::LogFormat::Json => subscriber
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
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
