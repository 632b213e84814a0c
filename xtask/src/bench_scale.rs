//! `cargo xtask bench`'s scale-out scenarios (issue 22): 1, 2 and 4 `warrant serve`
//! instances behind nginx on the bench's PostgreSQL database, and 4 through pgbouncer in
//! session pooling; client_credentials tokens and introspection through the proxy, and
//! whether every token answered was stored. nginx is `WARRANT_BENCH_NGINX` (default
//! Debian's `/usr/sbin/nginx`), pgbouncer `WARRANT_BENCH_PGBOUNCER` (`/usr/sbin/pgbouncer`);
//! without them the scenarios are skipped, with a note.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use base64::Engine as _;

use crate::bench::{
    FORM, Measured, Options, Server, client_post, database_sql, free_port, issue_token, measure,
    serve, wait_ready, warrant,
};

/// How the instances reach PostgreSQL.
#[derive(Clone, Copy)]
enum Route {
    Direct,
    PgBouncerSession,
}

const LAYOUTS: [(usize, Route); 4] = [
    (1, Route::Direct),
    (2, Route::Direct),
    (4, Route::Direct),
    (4, Route::PgBouncerSession),
];

/// Runs the scale-out scenarios on the PostgreSQL database at `database_url`.
pub(crate) async fn bench_scale_out(
    binary: &Path,
    database_url: &str,
    options: &Options,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Measured>> {
    let names = |instances: usize, route: Route| {
        let through = match route {
            Route::Direct => "",
            Route::PgBouncerSession => " through pgbouncer (session pooling)",
        };
        let plural = if instances == 1 { "" } else { "s" };
        let layout = format!("PostgreSQL, {instances} instance{plural} behind nginx{through}");
        [
            format!("{layout}: client_credentials token"),
            format!("{layout}: introspection (valid token)"),
        ]
    };
    if !LAYOUTS
        .iter()
        .any(|&(n, route)| names(n, route).iter().any(|name| options.selects(name)))
    {
        return Ok(Vec::new());
    }
    let (Some(nginx), Some(pgbouncer)) = (
        program("WARRANT_BENCH_NGINX", "/usr/sbin/nginx"),
        program("WARRANT_BENCH_PGBOUNCER", "/usr/sbin/pgbouncer"),
    ) else {
        notes.push(
            "Scale-out scenarios skipped: they need nginx and pgbouncer (Debian's \
             nginx-light and pgbouncer, or WARRANT_BENCH_NGINX and WARRANT_BENCH_PGBOUNCER)."
                .to_owned(),
        );
        return Ok(Vec::new());
    };
    let dir = std::env::temp_dir().join(format!("warrant-bench-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let env: Vec<(String, String)> = [
        ("WARRANT_DATABASE__URL", database_url),
        (
            "WARRANT_SECRET_KEY",
            "bench-secret-key-0123456789abcdefghijklmnop",
        ),
        ("WARRANT_LOG__LEVEL", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let created = warrant(
        binary,
        &dir,
        &env,
        &[
            "app",
            "create",
            "--name",
            "bench scale-out",
            "--client-type",
            "confidential",
            "--json",
            "--grant",
            "client_credentials",
        ],
        None,
    )?;
    let created: serde_json::Value = serde_json::from_str(&created)?;
    let credentials = format!(
        "{}:{}",
        created["client_id"].as_str().context("client_id")?,
        created["client_secret"].as_str().context("client_secret")?
    );
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    );

    let mut results = Vec::new();
    let mut introspect_body = None;
    for (instances, route) in LAYOUTS {
        let [tokens_name, introspection_name] = names(instances, route);
        if !options.selects(&tokens_name) && !options.selects(&introspection_name) {
            continue;
        }
        // Each instance has its default pool, twice the cores (splitting one instance's
        // threads and connections among them measured no better); in session pooling
        // each client connection holds a server connection, and an instance's start-up
        // check holds two for a moment.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        let pool = 2 * cores;
        let bouncer = match route {
            Route::Direct => None,
            Route::PgBouncerSession => Some(start_pgbouncer(
                &pgbouncer,
                &dir,
                database_url,
                instances as u32 * pool + 2,
            )?),
        };
        let instance_url = bouncer
            .as_ref()
            .map_or_else(|| database_url.to_owned(), |(_, url)| url.clone());
        let mut servers = Vec::new();
        let mut upstreams = Vec::new();
        for _ in 0..instances {
            let port = free_port()?;
            servers.push(serve(
                binary,
                &dir,
                &env,
                &[
                    ("WARRANT_SERVER__PORT", &port.to_string()),
                    ("WARRANT_DATABASE__URL", &instance_url),
                ],
            )?);
            let address = format!("127.0.0.1:{port}");
            wait_ready(&address, "warrant serve").await?;
            upstreams.push(address);
        }
        let (_nginx, address) = start_nginx(&nginx, &dir, &upstreams)?;
        let mut conn = wait_ready(&address, "nginx").await?;

        if introspect_body.is_none() {
            let headers = [("Content-Type", FORM), ("Authorization", basic.as_str())];
            let token = issue_token(&mut conn, &headers).await?;
            introspect_body = Some(format!("token={token}"));
        }
        let (stored_before, wal_before) =
            (stored_tokens(database_url)?, wal_position(database_url)?);
        if let Some(measured) = measure(
            &tokens_name,
            &address,
            options,
            client_post(&basic, "/o/token/", "grant_type=client_credentials"),
        )
        .await
        {
            let stored = stored_tokens(database_url)? - stored_before;
            let wal: f64 = database_sql(
                database_url,
                &format!("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{wal_before}')"),
            )?
            .parse()?;
            notes.push(format!(
                "{tokens_name}: {} tokens answered, {stored} stored; {:.0} bytes of \
                 write-ahead log per token.",
                measured.answered,
                wal / stored.max(1) as f64
            ));
            results.push(measured);
        }
        results.extend(
            measure(
                &introspection_name,
                &address,
                options,
                client_post(
                    &basic,
                    "/o/introspect/",
                    introspect_body.as_deref().unwrap_or_default(),
                ),
            )
            .await,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(results)
}

/// `variable`'s path, or `default` when that exists.
fn program(variable: &str, default: &str) -> Option<PathBuf> {
    std::env::var_os(variable)
        .map(PathBuf::from)
        .or_else(|| Path::new(default).exists().then(|| PathBuf::from(default)))
}

fn stored_tokens(database_url: &str) -> anyhow::Result<usize> {
    Ok(database_sql(database_url, "SELECT count(*) FROM access_tokens")?.parse()?)
}

/// Where PostgreSQL's write-ahead log is now.
fn wal_position(database_url: &str) -> anyhow::Result<String> {
    database_sql(database_url, "SELECT pg_current_wal_lsn()")
}

/// nginx as `deploy/nginx.conf` configures it (keep-alive to the upstreams), one worker
/// process; the process and its `host:port`.
fn start_nginx(
    program: &Path,
    dir: &Path,
    upstreams: &[String],
) -> anyhow::Result<(Server, String)> {
    let dir = dir.join("nginx");
    std::fs::create_dir_all(&dir)?;
    let port = free_port()?;
    let servers: String = upstreams
        .iter()
        .map(|upstream| format!("    server {upstream};\n"))
        .collect();
    let d = dir.display();
    let config = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         upstream warrant {{\n{servers}    keepalive 32;\n  }}\n\
         server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://warrant;\n\
         proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n\
         proxy_set_header Host $host;\n      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
         proxy_set_header X-Request-Id $request_id;\n    }}\n  }}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, config)?;
    let child = Command::new(program)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(&path)
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    Ok((Server { child }, format!("127.0.0.1:{port}")))
}

/// pgbouncer in session pooling in front of `database_url`, with room for
/// `server_connections`; the process and the URL that reaches the database through it.
fn start_pgbouncer(
    program: &Path,
    dir: &Path,
    database_url: &str,
    server_connections: u32,
) -> anyhow::Result<(Server, String)> {
    let target = url::Url::parse(database_url)?;
    let port = free_port()?;
    let config = format!(
        "[databases]\nwarrant = host={host} port={target_port} dbname={database} user={user}{password}\n\
         [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         auth_type = any\npool_mode = session\ndefault_pool_size = {server_connections}\n\
         max_client_conn = 1000\nignore_startup_parameters = extra_float_digits\n",
        host = target
            .host_str()
            .context("the database URL names no host")?,
        target_port = target.port().unwrap_or(5432),
        database = target.path().trim_start_matches('/'),
        user = target.username(),
        password = target
            .password()
            .map(|password| format!(" password={password}"))
            .unwrap_or_default(),
    );
    let path = dir.join("pgbouncer.ini");
    std::fs::write(&path, config)?;
    let mut command = Command::new(program);
    let root = Command::new("id")
        .arg("-u")
        .output()?
        .stdout
        .starts_with(b"0\n");
    if root {
        // pgbouncer will not run as root; Debian's package runs it as `postgres`.
        command.args(["-u", "postgres"]);
    }
    let child = command
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    let bouncer = Server { child };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            let url = format!("postgres://{}@127.0.0.1:{port}/warrant", target.username());
            return Ok((bouncer, url));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    bail!("pgbouncer did not listen on port {port}")
}
