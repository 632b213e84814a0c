//! `cargo xtask bench-import`: imports a Django site of 100,000 users and 1,000,000 tokens
//! (tests/django/site.py makes it, tests/django/fill.py fills it) with a release `warrant
//! import django`, on SQLite and (with `WARRANT_BENCH_POSTGRES_URL`) PostgreSQL, and
//! writes the time and peak memory of a first and a second (no-op) run to
//! docs/benchmarks.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

const USERS: u32 = 100_000;
const TOKENS: u32 = 1_000_000;

struct Run {
    backend: &'static str,
    which: &'static str,
    elapsed: Duration,
    peak_rss_mib: u64,
    report: serde_json::Value,
}

pub fn run(root: &Path) -> anyhow::Result<()> {
    crate::run(
        "cargo",
        &["build", "--locked", "--release", "-p", "warrant-server"],
    )?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let warrant = target.join("release/warrant");
    let python = match std::env::var_os("WARRANT_TEST_DJANGO_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => target.join("django-venv/bin/python"),
    };
    if !python.exists() {
        bail!(
            "{} does not exist: run .ci/run once (it makes the Django venv) or set \
             WARRANT_TEST_DJANGO_PYTHON",
            python.display()
        );
    }
    let scratch = std::env::temp_dir().join(format!("warrant-bench-import-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let mut runs = Vec::new();
    let django = scratch.join("django.sqlite3").display().to_string();
    make_site(root, &python, &django)?;
    let warrant_db = format!("sqlite://{}", scratch.join("warrant.db").display());
    runs.extend(import_twice(
        &warrant,
        "SQLite",
        &format!("sqlite:{django}"),
        &warrant_db,
        &scratch,
    )?);
    if let Ok(admin_url) = std::env::var("WARRANT_BENCH_POSTGRES_URL") {
        let django = fresh_database(&python, &admin_url, "warrant_bench_django")?;
        let warrant_db = fresh_database(&python, &admin_url, "warrant_bench_import")?;
        make_site(root, &python, &django)?;
        runs.extend(import_twice(
            &warrant,
            "PostgreSQL",
            &django,
            &warrant_db,
            &scratch,
        )?);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let report = report(&runs);
    println!("{report}");
    write_section(&root.join("docs/benchmarks.md"), &report)?;
    println!("written to docs/benchmarks.md");
    Ok(())
}

fn make_site(root: &Path, python: &Path, database: &str) -> anyhow::Result<()> {
    let django = root.join("tests/django");
    let status = Command::new(python)
        .arg(django.join("site.py"))
        .arg(database)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("tests/django/site.py {database} failed");
    }
    crate::run(
        &python.display().to_string(),
        &[
            &django.join("fill.py").display().to_string(),
            database,
            &USERS.to_string(),
            &TOKENS.to_string(),
        ],
    )
}

/// Drops and creates database `name` on the server of `admin_url`: its URL.
fn fresh_database(python: &Path, admin_url: &str, name: &str) -> anyhow::Result<String> {
    let script = format!(
        "import psycopg, sys\n\
         c = psycopg.connect(sys.argv[1], autocommit=True)\n\
         c.execute('DROP DATABASE IF EXISTS {name} WITH (FORCE)')\n\
         c.execute('CREATE DATABASE {name}')"
    );
    crate::run(&python.display().to_string(), &["-c", &script, admin_url])?;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    Ok(format!("{base}/{name}"))
}

fn import_twice(
    warrant: &Path,
    backend: &'static str,
    django_url: &str,
    warrant_url: &str,
    scratch: &Path,
) -> anyhow::Result<Vec<Run>> {
    let mut runs = Vec::new();
    for which in ["first import", "second import (no-op)"] {
        let mut command = Command::new(warrant);
        command
            .args(["import", "django", "--database-url", django_url, "--json"])
            .current_dir(scratch)
            .env("WARRANT_DATABASE__URL", warrant_url)
            .env(
                "WARRANT_SECRET_KEY",
                "bench-import-secret-key-0123456789abcdef",
            )
            .stdout(Stdio::piped());
        let start = Instant::now();
        let child = command.spawn().context("starting warrant import django")?;
        let pid = child.id();
        let watcher = std::thread::spawn(move || peak_rss_kib(pid));
        let output = child.wait_with_output()?;
        let elapsed = start.elapsed();
        let peak = watcher.join().unwrap_or(0);
        if !output.status.success() {
            bail!("warrant import django failed ({})", output.status);
        }
        runs.push(Run {
            backend,
            which,
            elapsed,
            peak_rss_mib: peak / 1024,
            report: serde_json::from_slice(&output.stdout)?,
        });
    }
    Ok(runs)
}

/// The process's peak resident memory (`VmHWM`), read until it exits.
fn peak_rss_kib(pid: u32) -> u64 {
    let mut peak = 0;
    while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
        let hwm = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
        match hwm {
            Some(hwm) => peak = peak.max(hwm),
            // A zombie has no memory left to report.
            None => break,
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    peak
}

fn report(runs: &[Run]) -> String {
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut out = format!(
        "Measured by `cargo xtask bench-import` on {date}, on {machine}: a release `warrant \
         import django` of a Django site (made by tests/django/site.py with Django 5.2 and \
         django-oauth-toolkit 3.4.1, filled by tests/django/fill.py) of {USERS} users and \
         {TOKENS} live tokens (half access tokens, half refresh tokens), into an empty \
         Warrant database on the same backend and machine. Peak memory is the importing \
         process's resident high-water mark.\n\n\
         | backend | run | time | peak memory | users imported | tokens imported | rows skipped |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
        machine = crate::bench::machine(),
    );
    for run in runs {
        let count = |kind: &str, field: &str| run.report[kind][field].as_u64().unwrap_or(0);
        let skipped: u64 = ["users", "applications", "access_tokens", "refresh_tokens"]
            .iter()
            .map(|kind| count(kind, "skipped"))
            .sum();
        out.push_str(&format!(
            "| {} | {} | {:.1} s | {} MiB | {} | {} | {} |\n",
            run.backend,
            run.which,
            run.elapsed.as_secs_f64(),
            run.peak_rss_mib,
            count("users", "imported"),
            count("access_tokens", "imported") + count("refresh_tokens", "imported"),
            skipped,
        ));
    }
    out
}

const START: &str = "<!-- bench-import:start -->";
const END: &str = "<!-- bench-import:end -->";

/// Replaces the import section of docs/benchmarks.md, or appends it.
fn write_section(path: &Path, report: &str) -> anyhow::Result<()> {
    crate::bench::write_block(path, (START, END), report, |existing, block| {
        format!("{existing}\n## Importing a Django site\n\n{block}\n")
    })
}
