//! `cargo xtask bench`: a release `warrant serve` on loopback, driven by a load generator in
//! this process (hyper, keep-alive connections), one scenario at a time; and the example
//! resource server `music-api` in front of it, to measure the request guards. Prints
//! requests/s and p50/p99 latency and writes the table to docs/benchmarks.md.
//!
//! SQLite always; PostgreSQL too when `WARRANT_BENCH_POSTGRES_URL` names a server and a
//! user that may create databases (each run makes one of its own and drops it after).
//!
//! Two scenarios measure a large database: the growth scenario adds `--fill` live tokens
//! (10 million by default; SQL through `sqlite3` or `psql`) and measures issuance and
//! introspection again; the clean-up scenario adds as many expired ones and measures
//! issuance while the server's periodic clean-up deletes them, and how long that takes.

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
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// Bench settings from the command line.
#[derive(Clone)]
pub struct Options {
    pub seconds: u64,
    pub connections: usize,
    pub rounds: usize,
    /// Only the scenarios whose name contains this text, or one of its `|`-separated
    /// alternatives; an alternative starting with `=` is the whole name (`--only`).
    pub only: Option<String>,
    /// This `warrant` binary instead of a release build of the tree (`--binary`), to
    /// compare builds on one machine.
    pub binary: Option<PathBuf>,
    /// How many tokens the growth and clean-up scenarios add (`--fill`).
    pub fill: u64,
}

impl Options {
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut options = Self {
            seconds: 10,
            connections: 16,
            rounds: 3,
            only: None,
            binary: None,
            fill: 10_000_000,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value =
                || -> anyhow::Result<u64> { Ok(args.next().context("missing value")?.parse()?) };
            match arg.as_str() {
                "--seconds" => options.seconds = value()?,
                "--connections" => options.connections = usize::try_from(value()?)?,
                "--rounds" => options.rounds = usize::try_from(value()?)?.max(1),
                "--fill" => options.fill = value()?.max(1),
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
pub(crate) struct Conn {
    address: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    location: Option<String>,
    cookies: Vec<String>,
    body: Bytes,
}

impl Conn {
    pub(crate) fn new(address: &str) -> Self {
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

    pub(crate) async fn send(
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
pub(crate) struct Measured {
    name: String,
    rate: f64,
    slowest: f64,
    fastest: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
    /// Successful requests over all rounds.
    pub(crate) answered: usize,
}

impl Options {
    /// Whether `--only` leaves the scenario `name` in.
    pub(crate) fn selects(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|only| {
            only.split('|').any(|text| match text.strip_prefix('=') {
                Some(whole) => name == whole,
                None => name.contains(text),
            })
        })
    }
}

/// Runs a scenario `rounds` times and keeps the median round: on a shared virtual machine
/// one round can differ from the next by a fifth. `None` for a scenario `--only` leaves out.
pub(crate) async fn measure<F>(
    name: &str,
    address: &str,
    options: &Options,
    step: F,
) -> Option<Measured>
where
    F: AsyncFn(&mut Conn) -> bool + 'static,
{
    if !options.selects(name) {
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
    let answered = rounds.iter().map(|round| round.answered).sum();
    let median = rounds.swap_remove(rounds.len() / 2);
    // As it comes: a long run (a 10-million fill) stopped midway keeps what it measured.
    println!(
        "{name}: {:.0}/s, p99 {:.2} ms, {} errors",
        median.rate,
        median.p99.as_secs_f64() * 1000.0,
        median.errors
    );
    Some(Measured {
        slowest,
        fastest,
        answered,
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
        answered: latencies.len(),
    }
}

/// A process the bench started; killed on drop.
pub(crate) struct Server {
    pub(crate) child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn warrant(
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
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Measured>> {
    let dir = std::env::temp_dir().join(format!("warrant-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let port = free_port()?;
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

    let address = format!("127.0.0.1:{port}");
    let server = serve(binary, &dir, &env, &[])?;
    let mut conn = wait_ready(&address, "warrant serve").await?;
    let client_headers = [("Content-Type", FORM), ("Authorization", basic.as_str())];
    let client_headers: Rc<[(&str, String)]> = client_headers
        .iter()
        .map(|(name, value)| (*name, (*value).to_owned()))
        .collect();
    let post = |path: &'static str, body: String| client_post(&basic, path, &body);
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
    let token = issue_token(&mut conn, &headers).await?;
    let introspect_body = format!("token={token}");
    results.extend(
        measure(
            &format!("{label}: introspection (valid token)"),
            &address,
            options,
            post("/o/introspect/", introspect_body.clone()),
        )
        .await,
    );

    let bearer = format!("Bearer {token}");
    let api_port = free_port()?;
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
    let jwt = [("WARRANT_GENERATORS__ACCESS_TOKEN__KIND", "jwt")];
    let server = serve(binary, &dir, &env, &jwt)?;
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

    // The fills copy the token issued above for the introspection scenarios.
    let more = format!("{} more tokens", count(options.fill));
    let grown = [
        format!("{label}: client_credentials token, {more}"),
        format!("{label}: introspection (valid token), {more}"),
    ];
    if grown.iter().any(|name| options.selects(name)) {
        let started = Instant::now();
        fill_tokens(database_url, options.fill, false)?;
        let (rows, bytes) = access_token_bytes(database_url)?;
        notes.push(format!(
            "{label}: {} live tokens added in {:.0} s (SQL, not through the server); then {rows} \
             access tokens took {} bytes, {:.0} per token (table and indexes).",
            count(options.fill),
            started.elapsed().as_secs_f64(),
            bytes,
            bytes as f64 / rows.max(1) as f64,
        ));
        let server = serve(binary, &dir, &env, &[])?;
        wait_ready(&address, "warrant serve").await?;
        let [tokens, introspection] = grown;
        results.extend(
            measure(
                &tokens,
                &address,
                options,
                post("/o/token/", "grant_type=client_credentials".to_owned()),
            )
            .await,
        );
        results.extend(
            measure(
                &introspection,
                &address,
                options,
                post("/o/introspect/", introspect_body.clone()),
            )
            .await,
        );
        drop(server);
    }

    let cleaning = format!(
        "{label}: client_credentials token while {} expired tokens are deleted",
        count(options.fill)
    );
    if options.selects(&cleaning) {
        fill_tokens(database_url, options.fill, true)?;
        // `serve` starts its periodic clean-up at once.
        let started = Instant::now();
        let server = serve(binary, &dir, &env, &[])?;
        wait_ready(&address, "warrant serve").await?;
        let once = Options {
            rounds: 1,
            ..options.clone()
        };
        results.extend(
            measure(
                &cleaning,
                &address,
                &once,
                post("/o/token/", "grant_type=client_credentials".to_owned()),
            )
            .await,
        );
        while expired_tokens_left(database_url)? {
            if started.elapsed() > Duration::from_secs(3_600) {
                bail!("the clean-up did not finish within an hour");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        notes.push(format!(
            "{label}: the server's clean-up deleted {} expired tokens in {:.0} s while the \
             scenario above ran (then idle).",
            count(options.fill),
            started.elapsed().as_secs_f64()
        ));
        drop(server);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(results)
}

/// `warrant serve` in `dir` with `env` and `extra` settings.
pub(crate) fn serve(
    binary: &Path,
    dir: &Path,
    env: &[(String, String)],
    extra: &[(&str, &str)],
) -> anyhow::Result<Server> {
    let child = Command::new(binary)
        .arg("serve")
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .spawn()?;
    Ok(Server { child })
}

/// `10M`, `200k`, `1500`.
fn count(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// Runs `sql` on the bench's database with the database's own client (`sqlite3`, `psql`);
/// its output.
pub(crate) fn database_sql(url: &str, sql: &str) -> anyhow::Result<String> {
    let mut command = match url.strip_prefix("sqlite://") {
        Some(path) => {
            let mut command = Command::new("sqlite3");
            command.args(["-cmd", ".timeout 10000", path, sql]);
            command
        }
        None => {
            let mut command = Command::new("psql");
            command.args([url, "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql]);
            command
        }
    };
    let output = command
        .output()
        .context("running sqlite3 or psql (the growth scenarios need the database's client)")?;
    if !output.status.success() {
        bail!("{sql}: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Adds `n` access tokens to the database, a million per statement: copies of the newest
/// token (its application, scope and resources; no user, as client credentials) with random
/// hashes and families, live or, with `expired`, expired decades ago. SQL, because through
/// the server 10 million tokens would take a quarter of an hour.
fn fill_tokens(url: &str, n: u64, expired: bool) -> anyhow::Result<()> {
    let sqlite = url.starts_with("sqlite:");
    let expires = match (sqlite, expired) {
        (_, false) => "t.expires_at",
        (true, true) => "'2000' || substr(t.expires_at, 5)",
        (false, true) => "t.expires_at - interval '30 years'",
    };
    let (series, random_hash, random_family) = if sqlite {
        (
            "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {chunk}) SELECT i FROM n)",
            "lower(hex(randomblob(32)))",
            "lower(hex(randomblob(13)))",
        )
    } else {
        (
            "generate_series(1, {chunk})",
            "md5(random()::text) || md5(random()::text)",
            "substr(md5(random()::text), 1, 26)",
        )
    };
    let mut left = n;
    while left > 0 {
        let chunk = left.min(1_000_000);
        let series = series.replace("{chunk}", &chunk.to_string());
        database_sql(
            url,
            &format!(
                "INSERT INTO access_tokens (token_hash, application_id, scope, resources, family, \
                 created_at, expires_at) SELECT {random_hash}, t.application_id, t.scope, \
                 t.resources, {random_family}, t.created_at, {expires} FROM {series} AS n, \
                 (SELECT * FROM access_tokens ORDER BY id DESC LIMIT 1) AS t"
            ),
        )?;
        left -= chunk;
    }
    database_sql(url, "ANALYZE access_tokens")?;
    if sqlite {
        // The server starts with an empty write-ahead log, as after a quiet moment.
        database_sql(url, "PRAGMA wal_checkpoint(TRUNCATE)")?;
    }
    Ok(())
}

/// How many access tokens the database holds, and the bytes of their table and indexes.
fn access_token_bytes(url: &str) -> anyhow::Result<(u64, u64)> {
    let bytes = if url.starts_with("sqlite:") {
        "SELECT sum(pgsize) FROM dbstat WHERE name IN \
         (SELECT name FROM sqlite_master WHERE tbl_name = 'access_tokens')"
    } else {
        "SELECT pg_total_relation_size('access_tokens')"
    };
    Ok((
        database_sql(url, "SELECT count(*) FROM access_tokens")?.parse()?,
        database_sql(url, bytes)?.parse()?,
    ))
}

/// Whether an access token that expired decades ago (a filled one) is still stored.
fn expired_tokens_left(url: &str) -> anyhow::Result<bool> {
    let found = database_sql(
        url,
        "SELECT count(*) FROM (SELECT 1 FROM access_tokens WHERE expires_at < '2001-01-01' LIMIT 1) AS t",
    )?;
    Ok(found != "0")
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

/// A step posting `body` to `path` with the client's `basic` credentials, successful on a
/// 200.
pub(crate) fn client_post(
    basic: &str,
    path: &'static str,
    body: &str,
) -> impl AsyncFn(&mut Conn) -> bool + use<> {
    let (basic, body) = (basic.to_owned(), body.to_owned());
    async move |conn: &mut Conn| {
        let headers = [("Content-Type", FORM), ("Authorization", basic.as_str())];
        conn.send("POST", path, &headers, &body)
            .await
            .is_ok_and(|reply| reply.status == 200)
    }
}

/// A free port on loopback.
pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A client_credentials access token, asked with `headers` (the client's credentials).
pub(crate) async fn issue_token(
    conn: &mut Conn,
    headers: &[(&str, &str)],
) -> anyhow::Result<String> {
    let issued = conn
        .send(
            "POST",
            "/o/token/",
            headers,
            "grant_type=client_credentials",
        )
        .await?;
    let token: serde_json::Value = serde_json::from_slice(&issued.body)?;
    Ok(token["access_token"]
        .as_str()
        .context("no access_token in the token response")?
        .to_owned())
}

/// A connection to `address` once it answers `GET /healthz`.
pub(crate) async fn wait_ready(address: &str, what: &str) -> anyhow::Result<Conn> {
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
    let mut notes = Vec::new();
    let mut results = local.block_on(
        &runtime,
        bench_backend("SQLite", &binaries, &sqlite, options, &mut notes),
    )?;
    let _ = std::fs::remove_dir_all(&scratch);
    if let Ok(server) = std::env::var("WARRANT_BENCH_POSTGRES_URL") {
        // A database of its own, so that every run starts empty.
        let name = format!("warrant_bench_{}", std::process::id());
        database_sql(&server, &format!("CREATE DATABASE {name}"))?;
        let mut url = url::Url::parse(&server).context("WARRANT_BENCH_POSTGRES_URL")?;
        url.set_path(&name);
        let measured = local.block_on(&runtime, async {
            let mut measured =
                bench_backend("PostgreSQL", &binaries, url.as_str(), options, &mut notes).await?;
            measured.extend(
                crate::bench_scale::bench_scale_out(
                    &binaries.warrant,
                    url.as_str(),
                    options,
                    &mut notes,
                )
                .await?,
            );
            anyhow::Ok(measured)
        });
        database_sql(&server, &format!("DROP DATABASE {name} WITH (FORCE)"))?;
        results.extend(measured?);
    }
    let pbkdf2 = pbkdf2_cost()?;
    let report = report(&results, &notes, pbkdf2, options);
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

fn report(results: &[Measured], notes: &[String], pbkdf2: Duration, options: &Options) -> String {
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
    for note in notes {
        out.push_str(&format!("\n{note}\n"));
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
