//! `cargo xtask bench`: a release `warrant serve` on loopback, driven by a load generator in
//! this process (hyper, keep-alive connections), one scenario at a time; and the example
//! resource server `music-api` in front of it, to measure the request guards. Prints
//! requests/s and p50/p99 latency and writes the table to docs/benchmarks.md.
//!
//! SQLite always; PostgreSQL too when `WARRANT_BENCH_POSTGRES_URL` names a database the
//! bench may write to (it adds a user and an application with random names).

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper_util::rt::TokioIo;

const PASSWORD: &str = "bench-password-123";
const REDIRECT: &str = "http://127.0.0.1:9/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const FORM: &str = "application/x-www-form-urlencoded";

/// Bench settings from the command line.
#[derive(Clone)]
pub struct Options {
    pub seconds: u64,
    pub connections: usize,
    pub rounds: usize,
    /// Only the scenarios whose name contains this text, or one of its `|`-separated
    /// alternatives (`--only`).
    pub only: Option<String>,
    /// This `warrant` binary instead of a release build of the tree (`--binary`), to
    /// compare builds on one machine.
    pub binary: Option<PathBuf>,
}

impl Options {
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut options = Self {
            seconds: 10,
            connections: 16,
            rounds: 3,
            only: None,
            binary: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value =
                || -> anyhow::Result<u64> { Ok(args.next().context("missing value")?.parse()?) };
            match arg.as_str() {
                "--seconds" => options.seconds = value()?,
                "--connections" => options.connections = usize::try_from(value()?)?,
                "--rounds" => options.rounds = usize::try_from(value()?)?.max(1),
                "--only" => options.only = Some(args.next().context("missing value")?.clone()),
                "--binary" => {
                    options.binary = Some(PathBuf::from(args.next().context("missing value")?))
                }
                other => bail!("unknown bench option {other}"),
            }
        }
        Ok(options)
    }
}

/// One keep-alive HTTP/1.1 connection of the load generator, reopened if the server
/// closes it. Each simulated client owns one, as a browser or `wrk` connection would.
struct Conn {
    address: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

struct Reply {
    status: u16,
    location: Option<String>,
    cookies: Vec<String>,
    body: Bytes,
}

impl Conn {
    fn new(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            sender: None,
        }
    }

    async fn sender(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(&self.address).await?;
            stream.set_nodelay(true)?;
            let (sender, connection) = handshake(TokioIo::new(stream)).await?;
            tokio::task::spawn_local(connection);
            self.sender = Some(sender);
        }
        self.sender.as_mut().context("no connection")
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> anyhow::Result<Reply> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("Host", self.address.as_str());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(Bytes::from(body.to_owned())))?;
        let sender = self.sender().await?;
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Reply {
            status,
            location,
            cookies,
            body,
        })
    }
}

/// One scenario's result: its median round, and the rates of the slowest and fastest.
struct Measured {
    name: String,
    rate: f64,
    slowest: f64,
    fastest: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

/// Runs a scenario `rounds` times and keeps the median round: on a shared virtual machine
/// one round can differ from the next by a fifth. `None` for a scenario `--only` leaves out.
async fn measure<F>(name: &str, address: &str, options: &Options, step: F) -> Option<Measured>
where
    F: AsyncFn(&mut Conn) -> bool + 'static,
{
    if options
        .only
        .as_ref()
        .is_some_and(|only| !only.split('|').any(|text| name.contains(text)))
    {
        return None;
    }
    let step = Rc::new(step);
    let mut rounds = Vec::with_capacity(options.rounds);
    for _ in 0..options.rounds {
        rounds.push(measure_once(name, address, options, step.clone()).await);
    }
    rounds.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    let (slowest, fastest) = (
        rounds.first().map_or(0.0, |r| r.rate),
        rounds.last().map_or(0.0, |r| r.rate),
    );
    let median = rounds.swap_remove(rounds.len() / 2);
    Some(Measured {
        slowest,
        fastest,
        ..median
    })
}

/// Runs `step` on `connections` connections at once, each in a loop, for `seconds`. The
/// generator runs on one thread (as `wrk -t1` would), leaving the other core to the server.
async fn measure_once<F>(name: &str, address: &str, options: &Options, step: Rc<F>) -> Measured
where
    F: AsyncFn(&mut Conn) -> bool + 'static,
{
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let start = Instant::now();
    let loops: Vec<_> = (0..options.connections)
        .map(|_| {
            let (step, mut conn) = (step.clone(), Conn::new(address));
            tokio::task::spawn_local(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    let began = Instant::now();
                    if step(&mut conn).await {
                        latencies.push(began.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for done in loops {
        if let Ok((l, e)) = done.await {
            latencies.extend(l);
            errors += e;
        }
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    Measured {
        name: name.to_owned(),
        rate,
        slowest: rate,
        fastest: rate,
        p50: at(0.50),
        p99: at(0.99),
        errors,
    }
}

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn warrant(
    binary: &Path,
    dir: &Path,
    env: &[(String, String)],
    args: &[&str],
    stdin: Option<&str>,
) -> anyhow::Result<String> {
    use std::io::Write;
    let mut child = Command::new(binary)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "warrant {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs every scenario against one database.
/// The processes a bench starts.
struct Binaries {
    warrant: PathBuf,
    music_api: PathBuf,
}

async fn bench_backend(
    label: &str,
    Binaries {
        warrant: binary,
        music_api,
    }: &Binaries,
    database_url: &str,
    options: &Options,
) -> anyhow::Result<Vec<Measured>> {
    let dir = std::env::temp_dir().join(format!("warrant-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let env: Vec<(String, String)> = [
        ("WARRANT_DATABASE__URL", database_url.to_owned()),
        (
            "WARRANT_SECRET_KEY",
            "bench-secret-key-0123456789abcdefghijklmnop".to_owned(),
        ),
        ("WARRANT_SERVER__PORT", port.to_string()),
        ("WARRANT_LOG__LEVEL", "warn".to_owned()),
        // The flood comes from one address, like a botnet from many: it is not locked out.
        (
            "WARRANT_BRUTE_FORCE__ADDRESS_MAX_FAILURES",
            u32::MAX.to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let suffix = std::process::id();
    let username = format!("bench{suffix}");
    warrant(
        binary,
        &dir,
        &env,
        &[
            "user",
            "create",
            "--username",
            &username,
            "--password-stdin",
        ],
        Some(PASSWORD),
    )?;
    let created = warrant(
        binary,
        &dir,
        &env,
        &[
            "app",
            "create",
            "--name",
            "bench",
            "--client-type",
            "confidential",
            "--json",
            "--skip-authorization",
            "--grant",
            "authorization_code",
            "--grant",
            "password",
            "--grant",
            "client_credentials",
            "--grant",
            "refresh_token",
            "--redirect-uri",
            REDIRECT,
        ],
        None,
    )?;
    let created: serde_json::Value = serde_json::from_str(&created)?;
    let client_id = created["client_id"]
        .as_str()
        .context("client_id")?
        .to_owned();
    let secret = created["client_secret"]
        .as_str()
        .context("client_secret")?
        .to_owned();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"))
    );

    let child = Command::new(binary)
        .arg("serve")
        .current_dir(&dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .spawn()?;
    let address = format!("127.0.0.1:{port}");
    let server = Server { child };
    let mut conn = wait_ready(&address, "warrant serve").await?;
    let client_headers = [("Content-Type", FORM), ("Authorization", basic.as_str())];
    let client_headers: Rc<[(&str, String)]> = client_headers
        .iter()
        .map(|(name, value)| (*name, (*value).to_owned()))
        .collect();
    let post = |path: &'static str, body: String| {
        let headers = client_headers.clone();
        async move |conn: &mut Conn| {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            conn.send("POST", path, &headers, &body)
                .await
                .is_ok_and(|r| r.status == 200)
        }
    };
    let mut results = Vec::new();

    results.extend(
        measure(
            &format!("{label}: client_credentials token"),
            &address,
            options,
            post("/o/token/", "grant_type=client_credentials".to_owned()),
        )
        .await,
    );

    let headers: Vec<(&str, &str)> = client_headers
        .iter()
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    let issued = conn
        .send(
            "POST",
            "/o/token/",
            &headers,
            "grant_type=client_credentials",
        )
        .await?;
    let token: serde_json::Value = serde_json::from_slice(&issued.body)?;
    let introspect_body = format!(
        "token={}",
        token["access_token"].as_str().context("access_token")?
    );
    results.extend(
        measure(
            &format!("{label}: introspection (valid token)"),
            &address,
            options,
            post("/o/introspect/", introspect_body),
        )
        .await,
    );

    let bearer = format!(
        "Bearer {}",
        token["access_token"].as_str().context("access_token")?
    );
    let api_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let api_address = format!("127.0.0.1:{api_port}");
    let modes = [
        (
            "guard checks the database",
            vec![("MUSIC_API_DATABASE_URL", database_url.to_owned())],
        ),
        (
            "guard asks introspection, 10 s cache",
            vec![
                (
                    "MUSIC_API_INTROSPECTION_URL",
                    format!("http://{address}/o/introspect/"),
                ),
                ("MUSIC_API_CLIENT_ID", client_id.clone()),
                ("MUSIC_API_CLIENT_SECRET", secret.clone()),
            ],
        ),
    ];
    for (mode, api_env) in modes {
        let api = Server {
            child: Command::new(music_api)
                .envs(api_env)
                .env("ROCKET_PORT", api_port.to_string())
                .env("ROCKET_LOG_LEVEL", "off")
                .stdout(Stdio::null())
                .spawn()?,
        };
        wait_ready(&api_address, "music-api").await?;
        let bearer = bearer.clone();
        results.extend(
            measure(
                &format!("{label}: protected resource, {mode}"),
                &api_address,
                options,
                async move |conn: &mut Conn| {
                    conn.send("GET", "/whoami", &[("Authorization", &bearer)], "")
                        .await
                        .is_ok_and(|r| r.status == 200)
                },
            )
            .await,
        );
        drop(api);
    }

    results.extend(
        measure(
            &format!("{label}: password grant (PBKDF2 600k)"),
            &address,
            options,
            post(
                "/o/token/",
                format!("grant_type=password&username={username}&password={PASSWORD}"),
            ),
        )
        .await,
    );

    // Sixteen clients send wrong passwords (each a PBKDF2 at 600,000 iterations) as fast as
    // they are answered, while two others ask for liveness and for tokens.
    let stop_flood = flood(&address, &client_headers, 16);
    let beside = Options {
        connections: 2,
        ..options.clone()
    };
    results.extend(
        measure(
            &format!("{label}: /healthz during a wrong-password flood"),
            &address,
            &beside,
            async |conn: &mut Conn| {
                conn.send("GET", "/healthz", &[], "")
                    .await
                    .is_ok_and(|r| r.status == 200)
            },
        )
        .await,
    );
    results.extend(
        measure(
            &format!("{label}: client_credentials token during a wrong-password flood"),
            &address,
            &beside,
            post("/o/token/", "grant_type=client_credentials".to_owned()),
        )
        .await,
    );
    stop_flood.set(true);

    let session = log_in(&mut conn, &username).await?;
    for (scenario, scope) in [
        ("authorization code (authorize + exchange)", "read"),
        (
            "authorization code with openid (+ RS256 ID token)",
            "openid",
        ),
    ] {
        let authorize = format!(
            "/o/authorize/?client_id={client_id}&response_type=code&scope={scope}&nonce=n-0S6&code_challenge={CHALLENGE}&code_challenge_method=S256"
        );
        let headers = client_headers.clone();
        let session = session.clone();
        results.extend(
            measure(
                &format!("{label}: {scenario}"),
                &address,
                options,
                async move |conn: &mut Conn| {
                    let Ok(answer) = conn
                        .send("GET", &authorize, &[("Cookie", &session)], "")
                        .await
                    else {
                        return false;
                    };
                    let Some(code) = answer
                        .location
                        .as_deref()
                        .and_then(|l| l.split("code=").nth(1))
                    else {
                        return false;
                    };
                    let body = format!(
                        "grant_type=authorization_code&code={code}&code_verifier={VERIFIER}"
                    );
                    let headers: Vec<(&str, &str)> =
                        headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                    conn.send("POST", "/o/token/", &headers, &body)
                        .await
                        .is_ok_and(|r| r.status == 200)
                },
            )
            .await,
        );
    }
    drop(server);

    // The same server making RFC 9068 JWT access tokens: each token is signed.
    let server = Server {
        child: Command::new(binary)
            .arg("serve")
            .current_dir(&dir)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("WARRANT_GENERATORS__ACCESS_TOKEN__KIND", "jwt")
            .stdout(Stdio::null())
            .spawn()?,
    };
    wait_ready(&address, "warrant serve (JWT access tokens)").await?;
    results.extend(
        measure(
            &format!("{label}: client_credentials token, JWT access tokens (RS256)"),
            &address,
            options,
            post("/o/token/", "grant_type=client_credentials".to_owned()),
        )
        .await,
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(results)
}

/// Starts `clients` connections that send password grants for users that do not exist
/// (each costs the server a PBKDF2, as a wrong password does; each a new name, so that no
/// lockout spares the hashing) until the returned flag is set.
fn flood(address: &str, headers: &Rc<[(&'static str, String)]>, clients: usize) -> Rc<Cell<bool>> {
    let stop = Rc::new(Cell::new(false));
    for client in 0..clients {
        let (stop, headers, mut conn) = (stop.clone(), headers.clone(), Conn::new(address));
        tokio::task::spawn_local(async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let mut attempt = 0_u64;
            while !stop.get() {
                attempt += 1;
                let body = format!(
                    "grant_type=password&username=nobody-{client}-{attempt}&password=wrong-password"
                );
                let _ = conn.send("POST", "/o/token/", &headers, &body).await;
            }
        });
    }
    stop
}

/// A connection to `address` once it answers `GET /healthz`.
async fn wait_ready(address: &str, what: &str) -> anyhow::Result<Conn> {
    let mut conn = Conn::new(address);
    for _ in 0..100 {
        if conn
            .send("GET", "/healthz", &[], "")
            .await
            .is_ok_and(|r| r.status == 200)
        {
            return Ok(conn);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{what} did not start")
}

/// Logs the bench user in; returns the `Cookie` header value.
async fn log_in(conn: &mut Conn, username: &str) -> anyhow::Result<String> {
    let page = conn.send("GET", "/accounts/login/", &[], "").await?;
    let html = String::from_utf8_lossy(&page.body);
    let csrf = html
        .split(r#"name="csrf_token" value=""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("csrf token")?;
    let cookie = page.cookies.join("; ");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrf_token", csrf),
            ("username", username),
            ("password", PASSWORD),
        ])
        .finish();
    let reply = conn
        .send(
            "POST",
            "/accounts/login/",
            &[("Content-Type", FORM), ("Cookie", &cookie)],
            &body,
        )
        .await?;
    if reply.status != 303 {
        bail!("bench login failed: {}", reply.status);
    }
    Ok(reply.cookies.join("; "))
}

/// How long one PBKDF2-SHA256 verification with Django's 600000 iterations takes here.
fn pbkdf2_cost() -> anyhow::Result<Duration> {
    let hasher = warrant_generators::PasswordHasher::default();
    let password = warrant_model::Secret::new(PASSWORD.to_owned());
    let hash = hasher.hash(&password)?;
    let runs = 5;
    let start = Instant::now();
    for _ in 0..runs {
        hasher.verify(&password, &hash);
    }
    Ok(start.elapsed() / runs)
}

pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{} GiB", kb / 1024 / 1024))
        .unwrap_or_default();
    format!("{cores} cores ({cpu}), {memory}")
}

pub fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    crate::build_binaries(&["--release"])?;
    let binaries = Binaries {
        warrant: match &options.binary {
            Some(path) => path.clone(),
            None => root.join("target/release/warrant"),
        },
        // The example resource server always comes from the tree.
        music_api: root.join("target/release/music-api"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let scratch: PathBuf =
        std::env::temp_dir().join(format!("warrant-bench-db-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let sqlite = format!("sqlite://{}", scratch.join("bench.db").display());
    let mut results = local.block_on(
        &runtime,
        bench_backend("SQLite", &binaries, &sqlite, options),
    )?;
    if let Ok(url) = std::env::var("WARRANT_BENCH_POSTGRES_URL") {
        results.extend(local.block_on(
            &runtime,
            bench_backend("PostgreSQL", &binaries, &url, options),
        )?);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let pbkdf2 = pbkdf2_cost()?;
    let report = report(&results, pbkdf2, options);
    println!("{report}");
    write_report(&root.join("docs/benchmarks.md"), &report)?;
    println!("written to docs/benchmarks.md");
    Ok(())
}

const START: &str = "<!-- bench:start -->";
const END: &str = "<!-- bench:end -->";

/// Replaces the measured block of docs/benchmarks.md, keeping the analysis around it.
fn write_report(path: &Path, report: &str) -> anyhow::Result<()> {
    write_block(path, (START, END), report, |_, block| {
        format!("# Benchmarks\n\n{block}\n")
    })
}

/// Replaces what stands between the `markers` in the file at `path` with `report`; a file
/// without them becomes `without(existing, block)`.
pub(crate) fn write_block(
    path: &Path,
    (start_marker, end_marker): (&str, &str),
    report: &str,
    without: impl FnOnce(&str, &str) -> String,
) -> anyhow::Result<()> {
    let block = format!("{start_marker}\n{report}{end_marker}");
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let updated = match (existing.find(start_marker), existing.find(end_marker)) {
        (Some(start), Some(end)) if start < end => format!(
            "{}{block}{}",
            &existing[..start],
            &existing[end + end_marker.len()..]
        ),
        _ => without(&existing, &block),
    };
    Ok(std::fs::write(path, updated)?)
}

fn report(results: &[Measured], pbkdf2: Duration, options: &Options) -> String {
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let date = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut out = format!(
        "Measured by `cargo xtask bench` on {date}, commit `{commit}`, on {machine}. A release `warrant serve` \
         with default settings on loopback; the load generator (hyper on one thread, {connections} keep-alive connections, {seconds} s per round) runs in the \
         same machine and shares its cores. Each scenario ran {rounds} rounds; the table shows the median round \
         and the range of all rounds. SQLite is the default durable setup (WAL, synchronous=NORMAL).\n\n\
         | scenario | requests/s (median) | range | p50 | p99 | errors |\n|---|---:|---:|---:|---:|---:|\n",
        machine = machine(),
        connections = options.connections,
        seconds = options.seconds,
        rounds = options.rounds,
    );
    for m in results {
        out.push_str(&format!(
            "| {} | {:.0} | {:.0}–{:.0} | {:.2} ms | {:.2} ms | {} |\n",
            m.name,
            m.rate,
            m.slowest,
            m.fastest,
            m.p50.as_secs_f64() * 1000.0,
            m.p99.as_secs_f64() * 1000.0,
            m.errors
        ));
    }
    out.push_str(&format!(
        "\nOne PBKDF2-HMAC-SHA256 verification at Django's 600000 iterations takes {:.0} ms on one core here: that, \
         not Warrant, bounds the password grant (at most about {:.0}/s on {} cores).\n",
        pbkdf2.as_secs_f64() * 1000.0,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64 / pbkdf2.as_secs_f64(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    ));
    out
}
