//! Repository automation, run as `cargo xtask <task>` so nothing depends on shell tricks.
//!
//! - `bench`: load-test a release server on loopback; writes docs/benchmarks.md.
//! - `bench-import`: time a release `warrant import django` of a large Django site;
//!   writes its section of docs/benchmarks.md.
//! - `ci`: rustfmt check, clippy with `-D warnings`, the light crates built alone with
//!   their dependency trees checked, every test (PostgreSQL ones too when
//!   `WARRANT_TEST_POSTGRES_URL` is set; otherwise they are left out and the run says so).

#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, reason = "xtask reports to the terminal")]

use std::process::Command;

use anyhow::{Context, bail};

/// Names PostgreSQL variants of tests: every suite that runs on both databases puts the
/// PostgreSQL half in a `postgres` module.
const POSTGRES_TESTS: &str = "test(/(^|::)postgres::/)";

mod bench;
mod bench_import;
mod bench_scale;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench") => bench::run(&root(), &bench::Options::parse(&args[1..])?),
        Some("bench-import") => bench_import::run(&root()),
        _ => bail!(
            "usage: cargo xtask ci | bench [--seconds N] [--connections N] [--rounds N] [--only TEXT|=NAME|…] [--fill N] [--binary PATH] | bench-import"
        ),
    }
}

/// The repository's root.
fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ci() -> anyhow::Result<()> {
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    light_builds()?;
    // The end-to-end tests start the real binaries.
    build_binaries(&[])?;
    let postgres = std::env::var_os("WARRANT_TEST_POSTGRES_URL").is_some();
    if has_nextest() {
        let mut args = vec![
            "nextest",
            "run",
            "--workspace",
            "--locked",
            "--no-fail-fast",
        ];
        let filter = format!("not {POSTGRES_TESTS}");
        if !postgres {
            args.extend(["-E", filter.as_str()]);
        }
        run("cargo", &args)?;
    } else {
        println!("cargo-nextest not found: running cargo test");
        let mut args = vec![
            "test",
            "--workspace",
            "--locked",
            "--no-fail-fast",
            "--",
            "--test-threads",
            "4",
        ];
        if !postgres {
            args.extend(["--skip", "postgres::"]);
        }
        run("cargo", &args)?;
    }
    run("cargo", &["test", "--workspace", "--locked", "--doc"])?;
    if postgres {
        println!("xtask ci: all checks passed, on SQLite and PostgreSQL");
    } else {
        println!(
            "xtask ci: all checks passed on SQLite; PostgreSQL tests SKIPPED (set WARRANT_TEST_POSTGRES_URL to run them)"
        );
    }
    Ok(())
}

/// What a user who depends on one light crate compiles: (cargo package selection, the
/// packages that must not be in its dependency tree). Each is checked, or where it has
/// unit tests for the features it leaves out (`--lib` in the selection), tested.
const LIGHT_BUILDS: &[(&[&str], &[&str])] = &[
    (
        &["-p", "warrant-guards", "--no-default-features"],
        &[
            "sqlx",
            "rsa",
            "warrant-storage",
            "warrant-grants",
            "warrant-upstream",
            "argon2",
        ],
    ),
    (
        &["-p", "warrant-example-music-api", "--no-default-features"],
        &[
            "sqlx",
            "rsa",
            "warrant-storage",
            "warrant-grants",
            "warrant-upstream",
            "argon2",
        ],
    ),
    (
        &[
            "-p",
            "warrant-client-sync",
            "--no-default-features",
            "--features",
            "client-app",
        ],
        &["warrant-storage", "warrant-grants", "argon2"],
    ),
    (
        &[
            "-p",
            "warrant-storage",
            "--no-default-features",
            "--features",
            "postgres",
            "--lib",
        ],
        &["libsqlite3-sys", "sqlx-sqlite"],
    ),
    (
        &["-p", "warrant-generators", "--no-default-features", "--lib"],
        &["rsa", "argon2", "bcrypt", "scrypt"],
    ),
];

/// Builds each light crate alone, as its users do, and fails if its dependency tree holds
/// a package it promises not to compile.
fn light_builds() -> anyhow::Result<()> {
    for (selection, forbidden) in LIGHT_BUILDS {
        let command = if selection.contains(&"--lib") {
            "test"
        } else {
            "check"
        };
        let mut check = vec![command, "--locked"];
        check.extend_from_slice(selection);
        run("cargo", &check)?;
        let mut tree = vec!["tree", "--locked", "-e", "normal", "--prefix", "none"];
        tree.extend(selection.iter().filter(|arg| **arg != "--lib"));
        let output = Command::new("cargo")
            .args(&tree)
            .output()
            .context("running cargo tree")?;
        if !output.status.success() {
            bail!("`cargo {}` failed", tree.join(" "));
        }
        let listing = String::from_utf8_lossy(&output.stdout);
        let mut packages: Vec<&str> = listing
            .lines()
            .filter_map(|line| line.split(' ').next())
            .collect();
        packages.sort_unstable();
        packages.dedup();
        let found: Vec<&str> = forbidden
            .iter()
            .copied()
            .filter(|name| packages.contains(name))
            .collect();
        if !found.is_empty() {
            bail!(
                "`cargo {}` compiles {}, which it must not",
                check.join(" "),
                found.join(", ")
            );
        }
        println!(
            "xtask ci: `{}` alone: {} packages, none of {}",
            selection.join(" "),
            packages.len(),
            forbidden.join(", ")
        );
    }
    Ok(())
}

fn has_nextest() -> bool {
    Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Builds the binaries the end-to-end tests and the bench start (`warrant` and the examples
/// `music-api` and `client-app`) with the locked dependencies and `extra` cargo flags.
pub(crate) fn build_binaries(extra: &[&str]) -> anyhow::Result<()> {
    let mut args = vec![
        "build",
        "--locked",
        "-p",
        "warrant-server",
        "-p",
        "warrant-example-music-api",
        "-p",
        "warrant-example-client-app",
        "-p",
        "warrant-example-custom-generator",
        "--bins",
    ];
    args.extend_from_slice(extra);
    run("cargo", &args)
}

pub(crate) fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    println!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("running {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
