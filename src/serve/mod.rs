//! `piisweep serve`: a local web page for staff, on this computer only.
//!
//! The three jobs of the command line — subject access requests with their
//! bundle, anonymised exports with the re-scan, the data map — as pages in
//! the browser, calling the same library code ([`crate::sar`],
//! [`crate::anonymise`], [`crate::map::report`]). Server-rendered HTML
//! without JavaScript; the style sheet is in the binary.
//!
//! Safety: it listens on 127.0.0.1 unless told otherwise; a random token
//! printed at start is swapped on the first visit for an HttpOnly,
//! SameSite=Strict session cookie, and anything else gets 401; requests whose
//! `Host` or `Origin` is not this server's loopback address are refused (DNS
//! rebinding); every form carries the session's CSRF token; the folders staff
//! may export are confined to the `--root` folders ([`paths`]). Searches,
//! bundles and exports are recorded in the data map's audit table ([`audit`]).

pub mod audit;
mod handlers;
mod jobs;
mod pages;
pub mod paths;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::detect::Engine;
use crate::keys::Key;

/// What `piisweep serve` was started with.
pub struct Config {
    /// The data map (made by `scan --map`).
    pub map: PathBuf,
    /// The key the map was made with.
    pub key: Key,
    /// The rules for redaction and the re-scans.
    pub engine: Engine,
    /// Folders staff may export from.
    pub roots: Vec<PathBuf>,
    /// Folder for bundles and anonymised copies (outside the roots).
    pub out: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Open a browser at the page.
    pub open_browser: bool,
}

/// One browser session: its CSRF token.
#[derive(Clone)]
pub(crate) struct Session {
    pub csrf: String,
}

pub(crate) struct App {
    pub map: PathBuf,
    pub key: Key,
    pub engine: Engine,
    pub roots: paths::Roots,
    pub out: PathBuf,
    token: String,
    /// `Host` values this server answers to, lower case (`127.0.0.1:8080`).
    hosts: Vec<String>,
    /// Listening on every address (`--listen 0.0.0.0`): any IP address with
    /// this port is a good `Host` too (DNS rebinding needs a name).
    any_ip: Option<u16>,
    sessions: Mutex<HashMap<String, Session>>,
    pub jobs: jobs::Jobs,
    /// Bundles ready to download: id → zip file.
    pub downloads: Mutex<HashMap<String, PathBuf>>,
}

impl App {
    /// Is `host` (`name:port`, lower case) this server's own address?
    fn own_host(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h == host)
            || self.any_ip.is_some_and(|port| host.parse::<SocketAddr>().is_ok_and(|a| a.port() == port))
    }
}

/// The session cookie's name.
const COOKIE: &str = "piisweep_session";

/// A random token: 32 hex digits from the system's random source.
pub(crate) fn random_token() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the system's random source failed");
    hex::encode(b)
}

/// Compare secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Start the server and serve until the process is stopped. Prints the one
/// line `Open http://…/?token=…` on standard output.
pub fn run(cfg: Config) -> anyhow::Result<()> {
    let roots = paths::Roots::new(&cfg.roots).map_err(crate::error::BadRequest)?;
    std::fs::create_dir_all(&cfg.out).map_err(|e| {
        crate::error::BadRequest(format!(
            "cannot create the folder for bundles and copies {}: {e}; give another with --out",
            cfg.out.display()
        ))
    })?;
    let out = std::fs::canonicalize(&cfg.out)?;
    audit::prepare(&cfg.map)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cfg.listen).await.map_err(|e| {
            crate::error::BadRequest(format!(
                "cannot listen on {}: {e}; give another --port (or leave it out to take a free one)",
                cfg.listen
            ))
        })?;
        let addr = listener.local_addr()?;
        let port = addr.port();
        let mut hosts = vec![format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")];
        if !addr.ip().is_loopback() {
            hosts.push(addr.to_string().to_ascii_lowercase());
        }
        let token = random_token();
        let shown = if addr.ip().is_unspecified() || addr.ip().is_loopback() {
            format!("127.0.0.1:{port}")
        } else {
            addr.to_string()
        };
        let url = format!("http://{shown}/?token={token}");
        let app = Arc::new(App {
            map: cfg.map,
            key: cfg.key,
            engine: cfg.engine,
            roots,
            out,
            token,
            hosts,
            any_ip: addr.ip().is_unspecified().then_some(port),
            sessions: Mutex::new(HashMap::new()),
            jobs: jobs::Jobs::default(),
            downloads: Mutex::new(HashMap::new()),
        });
        println!("Open {url}");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        if cfg.open_browser {
            open_browser(&url);
        }
        let router = handlers::router(app.clone())
            .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
            .with_state(app);
        axum::serve(listener, router).await?;
        Ok(())
    })
}

/// Ask the desktop to open `url` in the default browser; nothing happens
/// where there is none (the printed line is enough).
fn open_browser(url: &str) {
    let mut cmd = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else {
        std::process::Command::new("xdg-open")
    };
    cmd.arg(url).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
    cmd.stderr(std::process::Stdio::null());
    if let Ok(mut child) = cmd.spawn() {
        // Reap it in the background so it leaves no zombie.
        std::thread::spawn(move || child.wait());
    }
}

/// The headers every answer carries: no caching of personal data, no
/// framing, no outside resource, no referrer to other sites (`same-origin`,
/// not `no-referrer`: with that, browsers send `Origin: null` on the page's
/// own form posts, which the Origin check must refuse).
fn harden(headers: &mut HeaderMap) {
    let set = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Check every request: the `Host` and `Origin` are this server's, then the
/// session cookie, or the start token (swapped for a cookie).
async fn guard(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let mut resp = check(&app, &mut req).unwrap_or_else(|refused| refused);
    if resp.status() == StatusCode::CONTINUE {
        resp = next.run(req).await;
    }
    harden(resp.headers_mut());
    resp
}

fn check(app: &App, req: &mut Request) -> Result<Response, Response> {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_ascii_lowercase);
    if !host.as_ref().is_some_and(|h| app.own_host(h)) {
        return Err(pages::refused(
            StatusCode::FORBIDDEN,
            "This address is not allowed",
            "piisweep only answers its own address on this computer. Open the link piisweep serve printed \
             (it starts with http://127.0.0.1).",
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .ok()
            .and_then(|o| o.to_ascii_lowercase().strip_prefix("http://").map(str::to_string))
            .is_some_and(|o| app.own_host(&o));
        if !ok {
            return Err(pages::refused(
                StatusCode::FORBIDDEN,
                "Request from another site refused",
                "Another web site tried to use this page. Nothing was done. Use piisweep's own page only.",
            ));
        }
    }
    if let Some(id) = session_cookie(headers)
        && let Some(session) = app.sessions.lock().unwrap().get(&id).cloned()
    {
        req.extensions_mut().insert(session);
        return Ok(StatusCode::CONTINUE.into_response());
    }
    let token =
        req.uri().query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")).map(str::to_string));
    if req.method() == axum::http::Method::GET
        && let Some(token) = token
        && same_secret(&token, &app.token)
    {
        let id = random_token();
        app.sessions.lock().unwrap().insert(id.clone(), Session { csrf: random_token() });
        let mut resp = Redirect::to(req.uri().path()).into_response();
        let cookie = format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/");
        resp.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ASCII cookie"));
        return Err(resp);
    }
    Err(pages::refused(
        StatusCode::UNAUTHORIZED,
        "Open the link piisweep printed",
        "This page needs the link that piisweep serve printed when it started (it ends with ?token=...). \
         Copy it from the window where piisweep serve runs into this browser. If piisweep was started again, \
         use the new link.",
    ))
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        v.split(';')
            .map(str::trim)
            .find_map(|c| c.strip_prefix(COOKIE).and_then(|r| r.strip_prefix('=')))
            .map(str::to_string)
    })
}
