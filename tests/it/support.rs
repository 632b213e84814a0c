//! Scratch environments, the `warrant` binary as a subprocess, and an HTTP client.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sqlx::{AssertSqlSafe, PgPool};

/// A secret key the tests configure explicitly.
pub const SECRET_KEY: &str = "e2e-test-secret-key-0123456789abcdefghij";

/// A binary of this build (`cargo xtask ci` builds `warrant`, `music-api` and `client-app`
/// before the tests).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/it-<hash> -> target/<profile>/<name>
    let binary = exe.parent().and_then(Path::parent).unwrap().join(name);
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build -p warrant-server -p warrant-example-music-api -p warrant-example-client-app -p warrant-example-custom-generator` first",
        binary.display()
    );
    binary
}

/// The `node_modules` of tests/node (client libraries from npm; `.ci/run` installs them
/// and names them in `WARRANT_TEST_NODE_MODULES`), or `None`: the test says it is skipped.
pub fn node_modules(test: &str) -> Option<PathBuf> {
    match std::env::var_os("WARRANT_TEST_NODE_MODULES") {
        Some(path) => Some(PathBuf::from(path)),
        None => {
            eprintln!(
                "SKIPPED: WARRANT_TEST_NODE_MODULES is not set (.ci/run sets it), {test} not run"
            );
            None
        }
    }
}

/// A command running tests/node's `script` with the machine's node, from a folder of
/// `env` where the script sits next to `modules` (node resolves imports from the script's
/// own folder).
pub fn node_script(env: &TestEnv, modules: &Path, script: &str) -> Command {
    let folder = env.dir.join("node");
    if !folder.exists() {
        std::fs::create_dir_all(&folder).unwrap();
        std::os::unix::fs::symlink(modules, folder.join("node_modules")).unwrap();
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("node")
        .join(script);
    std::fs::copy(source, folder.join(script)).unwrap();
    let mut command = Command::new("node");
    command.arg(folder.join(script));
    command
}

/// A plain-HTTP server on loopback answering every request with `document` (JSON, cacheable
/// for a minute); its address. It runs on a thread of its own, so it answers while the test
/// waits in blocking calls (a node client's answer).
pub async fn serve_json(
    document: std::sync::Arc<std::sync::Mutex<String>>,
) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let body = document.lock().unwrap().clone();
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: max-age=60\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    address
}

/// The `warrant` binary of this build.
pub fn warrant_binary() -> PathBuf {
    binary("warrant")
}

enum Database {
    Sqlite,
    Postgres { admin_url: String, name: String },
}

/// A scratch directory (the working directory of every `warrant` run) and database.
pub struct TestEnv {
    pub dir: PathBuf,
    pub database_url: String,
    database: Database,
    /// The program every command runs: `warrant`, or one built on its library.
    program: std::cell::RefCell<PathBuf>,
    /// Other PostgreSQL databases made for this test ([`TestEnv::sibling_database`]).
    siblings: std::cell::RefCell<Vec<String>>,
}

fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("warrant_e2e_{}_{nanos}_{n}", std::process::id())
}

impl TestEnv {
    fn with_dir(database_url: impl FnOnce(&Path) -> String, database: Database) -> Self {
        let dir = std::env::temp_dir().join(unique());
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            database_url: database_url(&dir),
            dir,
            database,
            program: std::cell::RefCell::new(warrant_binary()),
            siblings: std::cell::RefCell::default(),
        }
    }

    /// From now on every command is run by `program` (a binary built on warrant-server's
    /// library) instead of `warrant`.
    pub fn run_by(&self, program: PathBuf) {
        *self.program.borrow_mut() = program;
    }

    pub fn sqlite() -> Self {
        Self::with_dir(
            |dir| format!("sqlite://{}", dir.join("warrant.db").display()),
            Database::Sqlite,
        )
    }

    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var("WARRANT_TEST_POSTGRES_URL") else {
            eprintln!(
                "SKIPPED: WARRANT_TEST_POSTGRES_URL is not set, PostgreSQL end-to-end test not run"
            );
            return None;
        };
        let name = unique();
        admin_execute(&admin_url, &format!("CREATE DATABASE {name}")).await;
        let url = with_database(&admin_url, &name);
        Some(Self::with_dir(
            |_| url,
            Database::Postgres { admin_url, name },
        ))
    }

    /// A `warrant` command in the scratch directory, configured by environment only.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&*self.program.borrow());
        command
            .args(args)
            .current_dir(&self.dir)
            .env("WARRANT_DATABASE__URL", &self.database_url)
            .env("WARRANT_SECRET_KEY", SECRET_KEY)
            // Fast hashing; the format and the default count are unit-tested.
            .env("WARRANT_PASSWORDS__ITERATIONS", "1000")
            .env_remove("RUST_LOG");
        command
    }

    /// Runs `warrant args…` with `stdin` and waits for it.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        run_with_stdin(self.command(args), stdin)
    }

    /// `warrant user create --username <username> extra… --password-stdin`.
    pub fn create_user(&self, username: &str, password: &str, extra: &[&str]) {
        let mut args = vec!["user", "create", "--username", username, "--password-stdin"];
        args.extend_from_slice(extra);
        let output = self.run(&args, Some(password));
        assert!(output.status.success(), "{output:?}");
    }

    /// `warrant app create --json args…`: the application as printed, secret included.
    pub fn create_app(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["app", "create", "--json"];
        all.extend_from_slice(args);
        let output = self.run(&all, None);
        assert!(output.status.success(), "{output:?}");
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// The database, opened as the server opens it (close it when done).
    pub async fn store(&self) -> std::sync::Arc<dyn warrant_storage::Store> {
        warrant_storage::connect(&self.database_url, &Default::default())
            .await
            .unwrap()
    }

    /// Connects `username` to an account at `provider` as a login there would (tokens
    /// that open to nothing).
    pub async fn connect_upstream(&self, username: &str, provider: &str) {
        let store = self.store().await;
        let username = warrant_model::Username::parse(username).unwrap();
        let user = store.user_by_username(&username).await.unwrap().unwrap();
        let connection = warrant_model::NewUpstreamConnection {
            user_id: user.id,
            account: warrant_model::UpstreamAccount {
                provider: warrant_model::ProviderKey::parse(provider).unwrap(),
                provider_user_id: "1".into(),
                access_token: warrant_model::Sealed::from_bytes(vec![0]),
                refresh_token: None,
                access_token_expires_at: None,
                extra_data: "{}".into(),
                created_at: warrant_model::Timestamp::now_utc(),
            },
        };
        store.create_connection(&connection).await.unwrap();
        store.close().await;
    }

    /// Another database on the same backend, for another program (a Django site): its
    /// name or path as that program takes it, and its URL.
    pub async fn sibling_database(&self, suffix: &str) -> (String, String) {
        match &self.database {
            Database::Sqlite => {
                let path = self
                    .dir
                    .join(format!("{suffix}.sqlite3"))
                    .display()
                    .to_string();
                let url = format!("sqlite:{path}");
                (path, url)
            }
            Database::Postgres { admin_url, name } => {
                let sibling = format!("{name}_{suffix}");
                admin_execute(admin_url, &format!("CREATE DATABASE {sibling}")).await;
                self.siblings.borrow_mut().push(sibling.clone());
                let url = with_database(admin_url, &sibling);
                (url.clone(), url)
            }
        }
    }

    /// Everything Warrant's database holds, as text (to look for what must not be there).
    pub async fn database_text(&self) -> String {
        match &self.database {
            Database::Sqlite => {
                let path = self.dir.join("warrant.db");
                let mut bytes = std::fs::read(&path).unwrap();
                bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Database::Postgres { .. } => {
                let pool = PgPool::connect(&self.database_url).await.unwrap();
                let tables: Vec<(String,)> = sqlx::query_as(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
                )
                .fetch_all(&pool)
                .await
                .unwrap();
                let mut all = String::new();
                for (table,) in tables {
                    let sql = format!("SELECT string_agg(t::text, ' ') FROM {table} t");
                    let (rows,): (Option<String>,) = sqlx::query_as(AssertSqlSafe(sql))
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                    all.push_str(&rows.unwrap_or_default());
                }
                pool.close().await;
                all
            }
        }
    }

    /// Ends every server connection to the PostgreSQL database, as a server restart does.
    pub async fn terminate_postgres_connections(&self) {
        if let Database::Postgres { admin_url, name } = &self.database {
            admin_execute(
                admin_url,
                &format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                ),
            )
            .await;
        }
    }

    /// Drops the PostgreSQL database now, connections and all (to simulate an outage).
    pub async fn drop_postgres_database(&self) {
        if let Database::Postgres { admin_url, name } = &self.database {
            admin_execute(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await;
        }
    }
}

pub fn run_with_stdin(mut command: Command, stdin: Option<&str>) -> Output {
    use std::io::Write;
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Database::Postgres { admin_url, name } = &self.database {
            let admin_url = admin_url.clone();
            let mut names = self.siblings.take();
            names.push(name.clone());
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                for name in names {
                    runtime.block_on(admin_execute(
                        &admin_url,
                        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    ));
                }
            })
            .join();
        }
    }
}

async fn admin_execute(admin_url: &str, sql: &str) {
    let admin = PgPool::connect(admin_url).await.unwrap();
    sqlx::query(AssertSqlSafe(sql.to_owned()))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
}

fn with_database(url: &str, database: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let (base, query) = url.find('?').map_or((url, ""), |q| (&url[..q], &url[q..]));
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{database}{query}", &base[..path_start])
}

/// The process's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts a failed command said one line starting `error: ` containing `expected`, and
/// did not panic.
pub fn assert_one_line_error(output: &Output, expected: &str) {
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "expected failure, got success; stderr: {stderr}"
    );
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    assert!(stderr.starts_with("error: "), "{stderr:?}");
    assert!(
        stderr.contains(expected),
        "{stderr:?} does not mention {expected:?}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

/// A running `warrant serve`, killed on drop.
pub struct Server {
    child: Child,
    pub base_url: String,
    /// What it wrote to standard error so far, read as it comes: a pipe left unread would
    /// fill and stop a server that logs every request.
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts `command` (a `warrant serve …`) on a free port and waits until `/healthz`
    /// answers; panics with the server's output if it exits first.
    pub async fn start(mut command: Command) -> Self {
        command.stdout(Stdio::null());
        Self::start_with_stdout(command).await
    }

    /// As [`Server::start`], leaving the command's standard output as configured.
    pub async fn start_with_stdout(command: Command) -> Self {
        Self::start_on_port_from(command, "WARRANT_SERVER__PORT").await
    }

    /// Starts a server that takes its port from the environment variable `port_variable`
    /// and answers `GET /healthz`; on another free port when another test's server took
    /// the one found free first.
    pub async fn start_on_port_from(command: Command, port_variable: &str) -> Self {
        Self::start_on_port_from_with(command, port_variable, |_, _| {}).await
    }

    /// As [`Server::start_on_port_from`], telling the command its port with `configure`
    /// too (a server whose settings name its own address).
    pub async fn start_on_port_from_with(
        mut command: Command,
        port_variable: &str,
        configure: impl Fn(&mut Command, u16),
    ) -> Self {
        for _ in 0..5 {
            let port = free_port();
            configure(&mut command, port);
            if let Ok(server) = Self::try_start_on(&mut command, port_variable, port).await {
                return server;
            }
        }
        panic!("five free ports in a row were taken by other servers before this one bound them");
    }

    /// As [`Server::start_on_port_from`], on `port` (a restart on the same address).
    pub async fn start_on(mut command: Command, port_variable: &str, port: u16) -> Self {
        match Self::try_start_on(&mut command, port_variable, port).await {
            Ok(server) => server,
            Err(PortTaken) => panic!("port {port} is held by another process"),
        }
    }

    /// Starts `command` on `port` and waits until it answers `/healthz` itself: a port
    /// found free may be bound by another test's server first, which would answer too.
    pub async fn try_start_on(
        command: &mut Command,
        port_variable: &str,
        port: u16,
    ) -> Result<Self, PortTaken> {
        command
            .env(port_variable, port.to_string())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let pipe = child.stderr.take();
        let sink = Arc::clone(&stderr);
        let stderr_reader = std::thread::spawn(move || {
            let Some(mut pipe) = pipe else { return };
            let mut chunk = [0u8; 8192];
            while let Ok(read @ 1..) = std::io::Read::read(&mut pipe, &mut chunk) {
                sink.lock().unwrap().extend_from_slice(&chunk[..read]);
            }
        });
        let mut server = Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            stderr,
            stderr_reader: Some(stderr_reader),
        };
        for _ in 0..300 {
            if let Some(status) = server.child.try_wait().unwrap() {
                let stderr = server.finish_stderr();
                if listener_inodes(port).is_empty() {
                    panic!("the server exited with {status}: {stderr}");
                }
                return Err(PortTaken);
            }
            if get(&format!("{}/healthz", server.base_url)).await.is_ok()
                && holds_listener(server.child.id(), port)
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not answer /healthz within 30 s");
    }

    /// Stops the server; what it wrote to standard error.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.finish_stderr()
    }

    /// What the server wrote to standard error so far (it is still running).
    pub fn stderr_so_far(&self) -> String {
        text(&self.stderr.lock().unwrap())
    }

    /// Everything written to standard error, once the process has ended.
    fn finish_stderr(&mut self) -> String {
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        self.stderr_so_far()
    }

    /// The server's `host:port`.
    pub fn address(&self) -> &str {
        self.base_url.trim_start_matches("http://")
    }

    /// `GET path` → status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        get(&format!("{}{path}", self.base_url)).await.unwrap()
    }

    /// `POST path` with a form body (sent as given, so tests can send malformed ones) and
    /// optional HTTP Basic credentials.
    pub async fn post_form(&self, path: &str, body: &str, basic: Option<(&str, &str)>) -> Reply {
        self.try_post_form(path, body, basic)
            .await
            .unwrap_or_else(|error| panic!("POST {path}: {error}"))
    }

    /// `GET path` with `Authorization: Bearer <token>`.
    pub async fn get_with_bearer(&self, path: &str, token: &str) -> Reply {
        let headers = [("Authorization", format!("Bearer {token}"))];
        self.request("GET", path, &headers, vec![]).await
    }

    /// Any request; the answer with its headers.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Reply {
        self.try_request(method, path, headers, body)
            .await
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
    }

    /// As [`Server::post_form`]; an error if no whole answer came (the server is gone).
    pub async fn try_post_form(
        &self,
        path: &str,
        body: &str,
        basic: Option<(&str, &str)>,
    ) -> Result<Reply, String> {
        try_post_form_to(&self.base_url, path, body, basic).await
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn try_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Reply, String> {
        try_request_to(&self.base_url, method, path, headers, body).await
    }
}

/// As [`Server::try_post_form`], to whatever HTTP server answers at `base_url` (a proxy in
/// front of several servers).
pub async fn try_post_form_to(
    base_url: &str,
    path: &str,
    body: &str,
    basic: Option<(&str, &str)>,
) -> Result<Reply, String> {
    let mut headers = vec![(
        "Content-Type",
        "application/x-www-form-urlencoded".to_owned(),
    )];
    if let Some((id, secret)) = basic {
        headers.push(("Authorization", basic_header(id, secret)));
    }
    try_request_to(base_url, "POST", path, &headers, body.as_bytes().to_vec()).await
}

async fn try_request_to(
    base_url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Result<Reply, String> {
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(format!("{base_url}{path}"));
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client
        .request(builder.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|error| error.to_string())?;
    Ok(Reply {
        status,
        headers,
        body: text(&body.to_bytes()),
    })
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// A header's value (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts an OAuth error answer: status, `error` code, no-store.
    pub fn assert_oauth_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.json()["error"].as_str()),
            (status, Some(code)),
            "{self:?}"
        );
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 §2.3.1 asks.
pub fn basic_header(id: &str, secret: &str) -> String {
    use base64::Engine;
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(id),
            encode(secret)
        ))
    )
}

/// Another process listens on the port a server was to take.
#[derive(Debug)]
pub struct PortTaken;

/// The socket inodes listening on loopback `port` (Linux's /proc/net tables).
fn listener_inodes(port: u16) -> Vec<String> {
    const LISTEN: &str = "0A";
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let (_, local_port) = fields.get(1)?.rsplit_once(':')?;
                    let listening = u16::from_str_radix(local_port, 16).ok()? == port
                        && *fields.get(3)? == LISTEN;
                    listening.then(|| fields.get(9).map(|inode| (*inode).to_owned()))?
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether process `pid` holds a socket listening on `port`.
fn holds_listener(pid: u32, port: u16) -> bool {
    let sockets: Vec<String> = listener_inodes(port)
        .into_iter()
        .map(|inode| format!("socket:[{inode}]"))
        .collect();
    let Ok(descriptors) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    descriptors.flatten().any(|descriptor| {
        std::fs::read_link(descriptor.path()).is_ok_and(|target| {
            sockets
                .iter()
                .any(|socket| target.as_os_str() == socket.as_str())
        })
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn get(url: &str) -> Result<(u16, String), hyper_util::client::legacy::Error> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let response = client.get(url.parse().unwrap()).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Ok((status, text(&body)))
}

/// `oauth2`'s HTTP client interface over hyper.
pub async fn oauth2_http(
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, std::io::Error> {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let (parts, body) = request.into_parts();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let response = client
        .request(hyper::Request::from_parts(
            parts,
            Full::new(Bytes::from(body)),
        ))
        .await
        .map_err(std::io::Error::other)?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    Ok(hyper::Response::from_parts(parts, body.to_vec()))
}

/// A TCP proxy in front of a database that can stop forwarding without closing anything,
/// as a frozen server or a partition that drops packets does.
pub struct FreezingProxy {
    pub port: u16,
    frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
    accepting: tokio::task::JoinHandle<()>,
}

impl FreezingProxy {
    /// Forwards connections on a free loopback port to `target`.
    pub async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let accepting = tokio::spawn({
            let frozen = frozen.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                        continue;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::spawn(forward(client_read, server_write, frozen.clone()));
                    tokio::spawn(forward(server_read, client_write, frozen.clone()));
                }
            }
        });
        Self {
            port,
            frozen,
            accepting,
        }
    }

    /// Stops (`true`) or resumes forwarding.
    pub fn freeze(&self, frozen: bool) {
        self.frozen
            .store(frozen, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for FreezingProxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        while frozen.load(std::sync::atomic::Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        while frozen.load(std::sync::atomic::Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
