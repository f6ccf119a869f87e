//! A throwaway PostgreSQL cluster for the tests (#25): `initdb` into a
//! temporary folder, started on a free loopback port with its socket in that
//! folder, stopped (immediately) and removed when dropped.
//!
//! PostgreSQL will not run as root: when the tests do, the cluster is made
//! and run as the `postgres` user (`runuser`), with the folder given to it.
//! The server's programs are found through `pg_config --bindir`, or in
//! Debian's /usr/lib/postgresql/VERSION/bin (not on PATH there).
//!
//! Without PostgreSQL, [`PgCluster::start`] fails the test under CI=true
//! (CI must install it: .ci/run does) and otherwise returns `None` after
//! printing a notice, so a developer without it can still run the rest.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    /// Run the server's programs as this user (`runuser -u`), when root.
    run_as: Option<String>,
}

/// The folder holding `initdb` and `pg_ctl`, if PostgreSQL is installed.
pub fn bin_dir() -> Option<PathBuf> {
    let has_initdb = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_initdb(&d) {
            return Some(d);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let d = e.path().join("bin");
            has_initdb(&d).then_some((version, d))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, d)| d)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port").local_addr().unwrap().port()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

impl PgCluster {
    /// A new, running cluster; `None` (with a notice) when PostgreSQL is
    /// not installed and CI is not set.
    pub fn start() -> Option<PgCluster> {
        let Some(bin) = bin_dir() else {
            let msg = "PostgreSQL is not installed (no initdb from `pg_config --bindir` or in /usr/lib/postgresql/*/bin): \
                       install Debian's `postgresql` package (.ci/run does) to run the PostgreSQL map tests";
            if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0") {
                panic!("{msg}");
            }
            eprintln!("SKIPPED: {msg}");
            return None;
        };
        let dir = tempfile::Builder::new().prefix("piisweep-pg-").tempdir().expect("temp dir");
        let run_as = is_root().then(|| "postgres".to_string());
        if let Some(user) = &run_as {
            let status = Command::new("chown").arg("-R").arg(user).arg(dir.path()).status().expect("run chown");
            assert!(status.success(), "cannot give {} to the {user} user", dir.path().display());
        }
        let mut cluster = PgCluster { dir, bin, port: 0, run_as };
        let data = cluster.data();
        let out = cluster.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C",
            ],
        );
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        // A port taken between choosing it and starting is tried again.
        for attempt in 0..5 {
            cluster.port = free_port();
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=50",
                cluster.port,
                cluster.dir.path().display()
            );
            let log = cluster.dir.path().join("server.log");
            let out = cluster.run(
                "pg_ctl",
                &["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &options, "-w", "-t", "60", "start"],
            );
            if out.status.success() {
                return Some(cluster);
            }
            if attempt == 4 {
                panic!(
                    "cannot start PostgreSQL: {}\n{}",
                    String::from_utf8_lossy(&out.stderr),
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        }
        unreachable!()
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        self.run_program(&self.bin.join(program), args)
    }

    /// Run `path` as the server's user, in the cluster's folder.
    fn run_program(&self, path: &Path, args: &[&str]) -> Output {
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        };
        cmd.args(args).current_dir(self.dir.path());
        cmd.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()))
    }

    /// Turn TLS on, with a server certificate for the name `name` signed by
    /// a new authority; returns the authority's certificate (PEM file). The
    /// certificates are made with the `openssl` command (Debian's `openssl`
    /// package; .ci/run installs it).
    pub fn enable_tls(&self, name: &str) -> PathBuf {
        let d = self.dir.path();
        let openssl = Path::new("openssl");
        let run = |args: &[&str]| {
            let out = self.run_program(openssl, args);
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let ext = d.join("san.ext");
        std::fs::write(&ext, format!("subjectAltName=DNS:{name}\n")).unwrap();
        if let Some(user) = &self.run_as {
            Command::new("chown").arg(user).arg(&ext).status().unwrap();
        }
        run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=piisweep test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ]);
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).expect("connect to postgres");
        // ALTER SYSTEM runs alone, outside any transaction.
        for sql in [
            format!("ALTER SYSTEM SET ssl_cert_file = '{}'", d.join("server.pem").display()),
            format!("ALTER SYSTEM SET ssl_key_file = '{}'", d.join("server.key").display()),
            "ALTER SYSTEM SET ssl = on".to_string(),
            "SELECT pg_reload_conf()".to_string(),
        ] {
            admin.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        // The reload is asynchronous: wait until new connections see it.
        for _ in 0..100 {
            let mut c = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).unwrap();
            if c.query_one("SHOW ssl", &[]).unwrap().get::<_, String>(0) == "on" {
                return d.join("ca.pem");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("PostgreSQL did not turn TLS on: {}", std::fs::read_to_string(d.join("server.log")).unwrap_or_default());
    }

    /// A `--map` URL for database `db` as the superuser `postgres`.
    pub fn url(&self, db: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{db}?sslmode=disable", self.port)
    }

    /// Make an empty database `name` and return its URL.
    pub fn create_db(&self, name: &str) -> String {
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).expect("connect to postgres");
        admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).expect("create database");
        self.url(name)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.run("pg_ctl", &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
    }
}
