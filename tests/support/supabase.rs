//! A Supabase-compatible test target on 127.0.0.1, built from real parts:
//!
//! - a throwaway PostgreSQL cluster (Debian's PostgreSQL 15) with Supabase's roles and `auth` schema
//!   bootstrapped (`supabase/tests/setup/supabase-auth.sql`), then the **real** `supabase/migrations`;
//! - the **real** PostgREST 12.0.2 binary (`scripts/fetch-postgrest.sh`), trusting the test key set;
//! - a small gateway in this process standing in for Supabase's: `/auth/v1/*` speaks GoTrue's token (password
//!   and refresh grants with rotation), user, logout and JWKS endpoints and signs ES256 tokens with the test
//!   keys; `/rest/v1/*` checks the `apikey` header as Kong does and forwards to PostgREST. It counts requests
//!   and can be taken down, or made to lose answers, on demand.
//!
//! Each [`Supabase`] is its own cluster, PostgREST and gateway on free ports, stopped by PID when dropped.
//! Without PostgreSQL or the PostgREST binary the tests skip, except with `CI` set, where they fail.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const ANON_KEY: &str = "test-anon-key-7f3e9a1c";
const KEY_1: &str = include_str!("../fixtures/sync/es256-test-key.pem");
const KEY_2: &str = include_str!("../fixtures/sync/es256-test-key-2.pem");
const JWKS: &str = include_str!("../fixtures/sync/jwks.json");
pub const KID_1: &str = "compilar-test-es256";
pub const KID_2: &str = "compilar-test-es256-2";

/// The repository root: the folder above the crate that holds `Cargo.lock` (crates sit at different depths).
pub fn repo() -> PathBuf {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    while !dir.join("Cargo.lock").exists() {
        if !dir.pop() {
            return Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
        }
    }
    dir
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn pg_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Why the target cannot run here, if it cannot.
pub fn missing() -> Option<String> {
    if pg_bin().is_none() {
        return Some("PostgreSQL server binaries (apt-get install postgresql-15)".into());
    }
    if !repo().join("target/tools/postgrest").exists() {
        return Some("the PostgREST binary (scripts/fetch-postgrest.sh)".into());
    }
    None
}

/// Starts a target, or returns `None` (skip) when it cannot run here and `CI` is not set.
pub fn start() -> Option<Supabase> {
    available().then(|| Supabase::start(None))
}

/// A target with only the migrations named before `first_left_out` (the schema as an older release shipped it),
/// for benchmarks that measure the old server beside the new one. Absent and present as [`start`].
pub fn start_before(first_left_out: &str) -> Option<Supabase> {
    available().then(|| Supabase::start(Some(first_left_out)))
}

/// Whether a target can run here; without one, `false` (skip), except with `CI` set, where it panics.
fn available() -> bool {
    let Some(m) = missing() else { return true };
    if std::env::var_os("CI").is_some() {
        panic!("the sync tests need {m}; CI must run them");
    }
    eprintln!("skipped: the sync tests need {m}");
    false
}

struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    root: bool,
}

impl Cluster {
    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let path = self.bin.join(program);
        let mut cmd = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        cmd.args(args).output().unwrap()
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // pg_ctl stops the postmaster by the PID in its pid file.
        let d = self.data();
        let _ = self.run("pg_ctl", &["-D", &d, "-m", "immediate", "-w", "stop"]);
    }
}

pub struct Supabase {
    cluster: Cluster,
    postgrest: Proc,
    pub gateway: Arc<Gateway>,
    pub url: String,
    pub db_url: String,
    runtime: Option<tokio::runtime::Runtime>,
}

/// A child process stopped by PID when dropped (also when a test panics half-way through starting).
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Supabase {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Supabase {
    fn start(first_left_out: Option<&str>) -> Supabase {
        let root = is_root();
        let dir = tempfile::Builder::new()
            .prefix("compilar-pg")
            .tempdir()
            .unwrap();
        if root {
            let st = Command::new("chown")
                .args(["-R", "postgres", &dir.path().display().to_string()])
                .status()
                .unwrap();
            assert!(st.success());
        }
        let cluster = Cluster {
            bin: pg_bin().unwrap(),
            dir,
            port: free_port(),
            root,
        };
        let d = cluster.data();
        let out = cluster.run(
            "initdb",
            &["-D", &d, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            cluster.port,
            cluster.dir.path().display()
        );
        let log = cluster.dir.path().join("log").display().to_string();
        let out = cluster.run(
            "pg_ctl",
            &["-D", &d, "-l", &log, "-o", &opts, "-w", "start"],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let psql = |db: &str, args: &[&str]| {
            let out = Command::new("psql")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &cluster.port.to_string(),
                    "-U",
                    "postgres",
                    "-d",
                    db,
                ])
                .args(["-v", "ON_ERROR_STOP=1", "-q"])
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "psql {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        psql("postgres", &["-c", "create database app"]);
        let mut files = vec![repo().join("supabase/tests/setup/supabase-auth.sql")];
        let mut migrations: Vec<PathBuf> = std::fs::read_dir(repo().join("supabase/migrations"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .filter(|p| {
                first_left_out.is_none_or(|f| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().as_ref() < f)
                })
            })
            .collect();
        migrations.sort();
        files.extend(migrations);
        for f in &files {
            psql("app", &["-f", &f.display().to_string()]);
        }
        psql(
            "app",
            &["-c", "create extension pgtap; create extension dblink;"],
        );
        let db_url = format!("postgres://postgres@127.0.0.1:{}/app", cluster.port);

        let rest_port = free_port();
        let postgrest = Command::new(repo().join("target/tools/postgrest"))
            .env(
                "PGRST_DB_URI",
                format!("postgres://authenticator@127.0.0.1:{}/app", cluster.port),
            )
            .env("PGRST_DB_SCHEMAS", "public")
            .env("PGRST_DB_ANON_ROLE", "anon")
            .env("PGRST_JWT_SECRET", JWKS)
            .env("PGRST_JWT_AUD", "authenticated")
            .env("PGRST_SERVER_HOST", "127.0.0.1")
            .env("PGRST_SERVER_PORT", rest_port.to_string())
            .env("PGRST_DB_POOL", "4")
            .env("PGRST_LOG_LEVEL", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let postgrest = Proc(postgrest);
        let rest = format!("http://127.0.0.1:{rest_port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let up = std::net::TcpStream::connect(("127.0.0.1", rest_port)).is_ok();
            if up {
                break;
            }
            assert!(Instant::now() < deadline, "PostgREST did not start");
            std::thread::sleep(Duration::from_millis(50));
        }

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let gateway = Arc::new(Gateway::new(rest, cluster.port));
        let std_listener = StdListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let listener = {
            let _in = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).unwrap()
        };
        let url = format!("http://{}", listener.local_addr().unwrap());
        let g = Arc::clone(&gateway);
        runtime.spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let g = Arc::clone(&g);
                tokio::spawn(async move {
                    let _ = g.serve(sock).await;
                });
            }
        });
        let s = Supabase {
            cluster,
            postgrest,
            gateway,
            url,
            db_url,
            runtime: Some(runtime),
        };
        s.wait_for_rest();
        s
    }

    /// Waits until PostgREST has loaded its schema cache (a pull by an anonymous caller gets 401, not 503).
    fn wait_for_rest(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(code) = http_status(&self.gateway.rest, "/rpc/pull_changes") {
                if code != 503 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "PostgREST never loaded its schema"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs SQL as the database superuser and returns psql's unaligned output.
    pub fn sql(&self, query: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.cluster.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "app",
            ])
            .args(["-v", "ON_ERROR_STOP=1", "-At", "-c", query])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// psql on this database as the superuser, reading a script file (quiet, stopping at the first error,
    /// unaligned output), for the caller to run or spawn.
    pub fn psql_file(&self, file: &Path) -> Command {
        let mut c = Command::new("psql");
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.cluster.port.to_string(),
            "-U",
            "postgres",
            "-d",
            "app",
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-At", "-f"])
        .arg(file);
        c
    }

    /// Runs pg_prove over `supabase/tests/*.test.sql` against this database.
    pub fn pg_prove(&self) -> std::process::Output {
        let mut tests: Vec<String> = std::fs::read_dir(repo().join("supabase/tests"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.display().to_string().ends_with(".test.sql"))
            .map(|p| p.display().to_string())
            .collect();
        tests.sort();
        Command::new("pg_prove")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.cluster.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "app",
            ])
            .args(&tests)
            .output()
            .expect("pg_prove (apt-get install libtap-parser-sourcehandler-pgtap-perl)")
    }

    /// A user who can sign in; returns their id.
    pub fn add_user(&self, email: &str, password: &str) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        self.sql(&format!(
            "insert into auth.users (id, email) values ('{id}', '{email}')"
        ));
        self.gateway
            .users
            .lock()
            .unwrap()
            .insert(email.to_owned(), (id.clone(), password.to_owned()));
        id
    }
}

/// The status of a plain GET, or `None` when nothing answers.
fn http_status(base: &str, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let addr = base.strip_prefix("http://")?;
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split(' ').nth(1)?.parse().ok()
}

/// One issued refresh token.
struct Refresh {
    user: String,
    email: String,
    session: String,
    used: bool,
}

/// The gateway: GoTrue's endpoints and a Kong-like front for PostgREST.
pub struct Gateway {
    rest: String,
    pg_port: u16,
    http: reqwest::Client,
    pub users: Mutex<HashMap<String, (String, String)>>,
    refresh: Mutex<HashMap<String, Refresh>>,
    revoked: Mutex<std::collections::HashSet<String>>,
    /// Access token lifetime in seconds for new tokens.
    pub ttl: AtomicI64,
    /// Sign new tokens with the second key (published once `publish_second` is set).
    pub sign_with_second: AtomicBool,
    pub publish_second: AtomicBool,
    /// `/rest/v1` answers 503 while set.
    pub down: AtomicBool,
    /// Forward the next push, then drop the connection without the answer.
    pub lose_next_push_answer: AtomicBool,
    /// Hold pushes (not forwarded) until [`Gateway::release`]; `held` counts the ones waiting.
    pub hold_pushes: AtomicBool,
    pub held: AtomicU64,
    release: tokio::sync::Semaphore,
    counts: Mutex<HashMap<String, u64>>,
    pub requests: AtomicU64,
}

impl Gateway {
    fn new(rest: String, pg_port: u16) -> Gateway {
        Gateway {
            rest,
            pg_port,
            http: reqwest::Client::new(),
            users: Mutex::new(HashMap::new()),
            refresh: Mutex::new(HashMap::new()),
            revoked: Mutex::new(Default::default()),
            ttl: AtomicI64::new(3600),
            sign_with_second: AtomicBool::new(false),
            publish_second: AtomicBool::new(false),
            down: AtomicBool::new(false),
            lose_next_push_answer: AtomicBool::new(false),
            hold_pushes: AtomicBool::new(false),
            held: AtomicU64::new(0),
            release: tokio::sync::Semaphore::new(0),
            counts: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
        }
    }

    /// Requests seen for `route` ("token:password", "token:refresh_token", "jwks", "user", "logout", "rest:<path>").
    pub fn count(&self, route: &str) -> u64 {
        self.counts.lock().unwrap().get(route).copied().unwrap_or(0)
    }

    pub fn auth_requests(&self) -> u64 {
        self.counts
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| !k.starts_with("rest:"))
            .map(|(_, v)| v)
            .sum()
    }

    /// Revokes every session of `email`, as GoTrue does when a used refresh token comes back.
    pub fn revoke_sessions(&self, email: &str) {
        let sessions: Vec<String> = self
            .refresh
            .lock()
            .unwrap()
            .values()
            .filter(|r| r.email == email)
            .map(|r| r.session.clone())
            .collect();
        self.revoked.lock().unwrap().extend(sessions);
    }

    /// Lets the held pushes through (forwarded to PostgREST even if their client has gone).
    pub fn release(&self) {
        self.hold_pushes.store(false, Ordering::Relaxed);
        self.release.add_permits(1000);
    }

    fn bump(&self, route: &str) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        *self
            .counts
            .lock()
            .unwrap()
            .entry(route.to_owned())
            .or_insert(0) += 1;
    }

    fn mint(&self, user: &str, email: &str, session: &str) -> Value {
        let now = chrono::Utc::now().timestamp();
        let ttl = self.ttl.load(Ordering::Relaxed);
        let second = self.sign_with_second.load(Ordering::Relaxed);
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(if second { KID_2 } else { KID_1 }.to_owned());
        let claims = json!({
            "iss": "http://127.0.0.1/auth/v1", "aud": "authenticated", "sub": user, "role": "authenticated",
            "email": email, "exp": now + ttl, "iat": now, "session_id": session, "aal": "aal1",
        });
        let key = EncodingKey::from_ec_pem(if second { KEY_2 } else { KEY_1 }.as_bytes()).unwrap();
        let access = jsonwebtoken::encode(&header, &claims, &key).unwrap();
        let refresh = uuid::Uuid::now_v7().simple().to_string();
        self.refresh.lock().unwrap().insert(
            refresh.clone(),
            Refresh {
                user: user.to_owned(),
                email: email.to_owned(),
                session: session.to_owned(),
                used: false,
            },
        );
        json!({
            "access_token": access, "token_type": "bearer", "expires_in": ttl, "expires_at": now + ttl,
            "refresh_token": refresh,
            "user": {"id": user, "aud": "authenticated", "role": "authenticated", "email": email},
        })
    }

    fn bearer_user(&self, headers: &HashMap<String, String>) -> Option<(String, String, String)> {
        let tok = headers.get("authorization")?.strip_prefix("Bearer ")?;
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_str(JWKS).ok()?;
        let kid = jsonwebtoken::decode_header(tok).ok()?.kid?;
        let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid)?).ok()?;
        let mut v = jsonwebtoken::Validation::new(Algorithm::ES256);
        v.set_audience(&["authenticated"]);
        let c = jsonwebtoken::decode::<Value>(tok, &key, &v).ok()?.claims;
        let session = c["session_id"].as_str()?.to_owned();
        if self.revoked.lock().unwrap().contains(&session) {
            return None;
        }
        Some((
            c["sub"].as_str()?.to_owned(),
            c["email"].as_str()?.to_owned(),
            session,
        ))
    }

    fn auth(
        &self,
        method: &str,
        path: &str,
        headers: &HashMap<String, String>,
        body: &[u8],
    ) -> (u16, Value) {
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let bad = |msg: &str| {
            (
                400,
                json!({"code": 400, "error_code": "invalid_credentials", "msg": msg}),
            )
        };
        match (method, path) {
            ("POST", "/auth/v1/token?grant_type=password") => {
                self.bump("token:password");
                let email = body["email"].as_str().unwrap_or_default();
                let users = self.users.lock().unwrap();
                match users.get(email) {
                    Some((id, pw)) if Some(pw.as_str()) == body["password"].as_str() => {
                        let (id, email) = (id.clone(), email.to_owned());
                        drop(users);
                        (
                            200,
                            self.mint(&id, &email, &uuid::Uuid::now_v7().to_string()),
                        )
                    }
                    _ => bad("Invalid login credentials"),
                }
            }
            ("POST", "/auth/v1/token?grant_type=refresh_token") => {
                self.bump("token:refresh_token");
                let tok = body["refresh_token"].as_str().unwrap_or_default();
                let mut map = self.refresh.lock().unwrap();
                let Some(r) = map.get_mut(tok) else {
                    return bad("Invalid Refresh Token: Refresh Token Not Found");
                };
                if self.revoked.lock().unwrap().contains(&r.session) {
                    return bad("Invalid Refresh Token: Already Used");
                }
                if r.used {
                    // Reuse after rotation: the whole family is revoked.
                    let s = r.session.clone();
                    drop(map);
                    self.revoked.lock().unwrap().insert(s);
                    return bad("Invalid Refresh Token: Already Used");
                }
                r.used = true;
                let (user, email, session) = (r.user.clone(), r.email.clone(), r.session.clone());
                drop(map);
                (200, self.mint(&user, &email, &session))
            }
            ("GET", "/auth/v1/user") => {
                self.bump("user");
                match self.bearer_user(headers) {
                    Some((id, email, _)) => (
                        200,
                        json!({"id": id, "email": email, "aud": "authenticated"}),
                    ),
                    None => (401, json!({"code": 401, "msg": "invalid JWT"})),
                }
            }
            ("POST", "/auth/v1/logout") => {
                self.bump("logout");
                if let Some((_, _, s)) = self.bearer_user(headers) {
                    self.revoked.lock().unwrap().insert(s);
                }
                (204, Value::Null)
            }
            ("GET", "/auth/v1/.well-known/jwks.json") => {
                self.bump("jwks");
                let mut set: Value = serde_json::from_str(JWKS).unwrap();
                if !self.publish_second.load(Ordering::Relaxed) {
                    set["keys"]
                        .as_array_mut()
                        .unwrap()
                        .retain(|k| k["kid"] == KID_1);
                }
                (200, set)
            }
            _ => (404, json!({"msg": "not found"})),
        }
    }

    async fn serve(self: Arc<Self>, mut sock: tokio::net::TcpStream) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 64 * 1024];
        let head_end = loop {
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let first: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
        let (method, path) = (
            first[0].to_owned(),
            first.get(1).copied().unwrap_or("/").to_owned(),
        );
        let headers: HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = buf[head_end..].to_vec();
        let (status, extra, out): (u16, Vec<(String, String)>, Vec<u8>) =
            if headers.get("apikey").map(String::as_str) != Some(ANON_KEY) {
                (
                    401,
                    vec![],
                    br#"{"message":"No API key found in request"}"#.to_vec(),
                )
            } else if let Some(rest_path) = path.strip_prefix("/rest/v1") {
                self.bump(&format!(
                    "rest:{}",
                    rest_path.split('?').next().unwrap_or_default()
                ));
                if self.down.load(Ordering::Relaxed) {
                    (
                        503,
                        vec![("Retry-After".into(), "1".into())],
                        br#"{"message":"down for a test"}"#.to_vec(),
                    )
                } else {
                    if rest_path.starts_with("/rpc/push_changes")
                        && self.hold_pushes.load(Ordering::Relaxed)
                    {
                        self.held.fetch_add(1, Ordering::Relaxed);
                        if let Ok(p) = self.release.acquire().await {
                            p.forget();
                        }
                    }
                    let mut req = self
                        .http
                        .request(method.parse().unwrap(), format!("{}{rest_path}", self.rest));
                    for h in ["authorization", "content-type", "accept", "prefer"] {
                        if let Some(v) = headers.get(h) {
                            req = req.header(h, v);
                        }
                    }
                    let resp = req.body(body).send().await.map_err(std::io::Error::other)?;
                    let status = resp.status().as_u16();
                    let bytes = resp.bytes().await.map_err(std::io::Error::other)?.to_vec();
                    if rest_path.starts_with("/rpc/push_changes")
                        && self.lose_next_push_answer.swap(false, Ordering::Relaxed)
                    {
                        // The server applied the batch; the client never hears back.
                        return sock.shutdown().await;
                    }
                    (status, vec![], bytes)
                }
            } else {
                let (status, v) = self.auth(&method, &path, &headers, &body);
                (
                    status,
                    vec![],
                    if v.is_null() {
                        Vec::new()
                    } else {
                        v.to_string().into_bytes()
                    },
                )
            };
        let mut resp = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            out.len()
        );
        for (k, v) in extra {
            resp.push_str(&format!("{k}: {v}\r\n"));
        }
        resp.push_str("\r\n");
        sock.write_all(resp.as_bytes()).await?;
        sock.write_all(&out).await?;
        sock.shutdown().await
    }
}
