//! Run `piisweep serve` on a drive made in the test, and talk HTTP/1.1 to it
//! over a plain socket (so each test sets exactly the headers it means).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

/// A drive with one client's case notes, a register with two people, an
/// unreadable file, and a link out of the drive; scanned into a map.
pub struct Drive {
    pub dir: tempfile::TempDir,
}

impl Drive {
    pub fn new() -> Drive {
        let dir = tempfile::tempdir().unwrap();
        let drive = dir.path().join("drive");
        std::fs::create_dir_all(drive.join("Cases/2024")).unwrap();
        std::fs::create_dir_all(dir.path().join("secret")).unwrap();
        std::fs::write(dir.path().join("secret/payroll.txt"), "Email: boss@example.org\n").unwrap();
        std::fs::write(
            drive.join("Cases/2024/jane.txt"),
            "Client: Jane Roberts\nDOB: 12/03/1985\nEmail: jane.roberts@example.org\nNI: QQ123456C\n\
             Also spoke to Peter Smith, peter.smith@example.com, 07700 900123\n",
        )
        .unwrap();
        std::fs::write(
            drive.join("Cases/register.csv"),
            "name,email,phone\nPeter Smith,peter.smith@example.com,07700 900123\nJane Roberts,jane.roberts@example.org,07700 900456\n",
        )
        .unwrap();
        // A damaged Word file: it cannot be read.
        std::fs::write(drive.join("Cases/letter.docx"), b"PK\x03\x04 not really a zip").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret"), drive.join("Shared")).unwrap();
        let out = super::bin()
            .arg("scan")
            .arg(&drive)
            .arg("--map")
            .arg(dir.path().join("m.db"))
            .arg("--quiet")
            .output()
            .unwrap();
        assert!(out.status.code().is_some_and(|c| c == 0 || c == 3), "scan: {out:?}");
        Drive { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

/// A running `piisweep serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    pub token: String,
    pub first_line: String,
    stderr: tempfile::NamedTempFile,
}

impl Server {
    pub fn start(drive: &Drive) -> Server {
        Server::start_with(drive, &[])
    }

    /// With more options; the server's standard error goes to [`Server::stderr`].
    pub fn start_with(drive: &Drive, extra: &[&str]) -> Server {
        Server::start_env(drive, extra, &[])
    }

    /// With more options and environment variables (the test hooks).
    pub fn start_env(drive: &Drive, extra: &[&str], env: &[(&str, &Path)]) -> Server {
        let stderr = tempfile::NamedTempFile::new_in(drive.dir.path()).unwrap();
        let mut child = super::bin()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .arg("serve")
            .arg("--map")
            .arg(drive.path("m.db"))
            .arg("--root")
            .arg(drive.path("drive"))
            .arg("--out")
            .arg(drive.path("web"))
            .arg("--no-open")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().unwrap())
            .spawn()
            .expect("run piisweep serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let line = line.trim_end().to_string();
        let rest = line.strip_prefix("Open http://127.0.0.1:").unwrap_or_else(|| panic!("first line: {line:?}"));
        let (port, token) = rest.split_once("/?token=").unwrap();
        Server { port: port.parse().unwrap(), token: token.to_string(), first_line: line.clone(), child, stderr }
    }

    /// What the server wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap()
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One request; `headers` replace the default Host when they give one.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Response {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req += &format!("Host: 127.0.0.1:{}\r\n", self.port);
        }
        for (k, v) in headers {
            req += &format!("{k}: {v}\r\n");
        }
        if let Some(b) = body {
            req += &format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n", b.len());
        }
        req += "\r\n";
        req += body.unwrap_or("");
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        Response::parse(&raw)
    }

    /// Swap the token for a session: (cookie header value, CSRF token).
    pub fn login(&self) -> Session {
        let r = self.request("GET", &format!("/?token={}", self.token), &[], None);
        assert_eq!(r.status, 303, "{}", r.text());
        let set = r.header("set-cookie").expect("a session cookie");
        let cookie = set.split(';').next().unwrap().to_string();
        let page = self.request("GET", "/sar", &[("Cookie", &cookie)], None);
        assert_eq!(page.status, 200);
        let csrf = page.csrf().expect("a CSRF field in the form");
        Session { cookie, csrf }
    }

    pub fn get(&self, s: &Session, path: &str) -> Response {
        self.request("GET", path, &[("Cookie", &s.cookie)], None)
    }

    pub fn post(&self, s: &Session, path: &str, form: &[(&str, &str)]) -> Response {
        self.request("POST", path, &[("Cookie", &s.cookie)], Some(&encode(form)))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// `application/x-www-form-urlencoded`.
pub fn encode(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    form.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8]) -> Response {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a whole HTTP response");
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
            body = unchunk(&body);
        }
        Response { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of the first `csrf` hidden field.
    pub fn csrf(&self) -> Option<String> {
        let t = self.text();
        let at = t.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        Some(t[at..].split('"').next()?.to_string())
    }
}

fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else { return out };
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}

/// Files under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
