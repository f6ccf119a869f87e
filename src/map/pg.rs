//! A data map on a PostgreSQL server (#25): the foundation several scanner
//! nodes will share.
//!
//! What is here: telling a PostgreSQL URL from a file name ([`is_url`]);
//! the connection settings, from the URL and, where it leaves them out, the
//! usual libpq environment variables (`PGHOST`, `PGPORT`, `PGUSER`,
//! `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`) ([`Target`]);
//! TLS as libpq does it ([`SslMode`]); the map's tables in PostgreSQL's
//! dialect, made and upgraded by numbered migrations recorded in a
//! `schema_version` table ([`MIGRATIONS`], [`PgMap::open`]); and the key's
//! fingerprint, which refuses a node holding another key
//! ([`PgMap::check_key`]); and one sweep per root across all nodes, by an
//! advisory lock per root rather than a lock file ([`PgMap::try_lock_root`]).
//!
//! The sweep writes it through [`super::pgsink`]; `map`, `sar` and `serve`
//! read it through [`super::db`].

use std::fmt;
use std::time::Duration;

use anyhow::{Context, bail};
use postgres::config::{Host, SslMode as ClientSslMode};
use postgres::{Client, Config, NoTls};

use crate::error::BadRequest;
use crate::keys::Key;

/// Whether a `--map` value names a PostgreSQL database rather than a file.
pub fn is_url(s: &str) -> bool {
    let lower = s.get(..13).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("postgresql://") || lower.starts_with("postgres://")
}

/// How the connection uses TLS, with libpq's names and meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, plain otherwise; the certificate is
    /// not checked (libpq's default).
    Prefer,
    /// TLS or no connection; the certificate is not checked.
    Require,
    /// TLS, with a certificate signed by a trusted authority (any name).
    VerifyCa,
    /// TLS, with a trusted certificate for the host connected to.
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> anyhow::Result<SslMode> {
        Ok(match s {
            "disable" => SslMode::Disable,
            // libpq's `allow` tries plain first; TLS when offered is no worse.
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => bail!(BadRequest(format!(
                "sslmode {other:?} is not one PostgreSQL knows: use disable, prefer, require, verify-ca or verify-full"
            ))),
        })
    }
}

/// Where a PostgreSQL data map is, and how to reach it.
#[derive(Clone)]
pub struct Target {
    config: Config,
    ssl: SslMode,
    /// A trusted authority's certificate (PEM) for verify-ca and verify-full.
    root_cert: Option<std::path::PathBuf>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the password.
        write!(f, "{self}")
    }
}

/// `postgresql://user@host:port/db`, without the password: for messages.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(Host::Unix(p)) => p.display().to_string(),
            None => String::new(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        write!(
            f,
            "postgresql://{}@{host}:{port}/{}",
            self.config.get_user().unwrap_or_default(),
            self.config.get_dbname().unwrap_or_default()
        )
    }
}

impl Target {
    /// The target a `--map` URL names, with libpq's environment variables
    /// filling in what it leaves out.
    pub fn from_url(url: &str) -> anyhow::Result<Target> {
        Self::from_url_env(url, |name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// [`Target::from_url`] with the environment given (for tests).
    pub fn from_url_env(url: &str, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Target> {
        if !is_url(url) {
            bail!(BadRequest(format!("{url:?} is not a PostgreSQL URL (postgresql://user@host:port/database)")));
        }
        // The client knows only disable, prefer and require, and no root
        // certificate: take those parameters out and handle them here.
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut ssl = None;
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", v)) => ssl = Some(SslMode::parse(v)?),
                Some(("sslrootcert", v)) => root_cert = Some(std::path::PathBuf::from(v)),
                _ => kept.push(pair),
            }
        }
        // The client gives a host named without a port the default one:
        // PGPORT must come in before it does.
        let env_port = match env("PGPORT") {
            Some(port) => Some(port.trim().parse::<u16>().map_err(|_| {
                BadRequest(format!("PGPORT is {port:?}, not a port number: set it to a number such as 5432"))
            })?),
            None => None,
        };
        let base = match env_port {
            Some(port) if !names_port(base) => with_port(base, &port.to_string()),
            _ => base.to_string(),
        };
        let cleaned = if kept.is_empty() { base } else { format!("{base}?{}", kept.join("&")) };
        let mut config: Config = cleaned.parse().map_err(|e| {
            BadRequest(format!(
                "cannot read the PostgreSQL URL {}: {e}. Write it as postgresql://user@host:port/database",
                redact(url)
            ))
        })?;
        if config.get_hosts().is_empty() {
            match env("PGHOST") {
                Some(hosts) => {
                    for h in hosts.split(',') {
                        config.host(h);
                    }
                }
                None => {
                    #[cfg(unix)]
                    if std::path::Path::new("/var/run/postgresql").is_dir() {
                        config.host("/var/run/postgresql");
                    } else {
                        config.host("localhost");
                    }
                    #[cfg(not(unix))]
                    config.host("localhost");
                }
            }
        }
        if config.get_ports().is_empty()
            && let Some(port) = env_port
        {
            config.port(port);
        }
        if config.get_user().is_none() {
            let user = env("PGUSER").or_else(|| env("USER")).or_else(|| env("USERNAME")).ok_or_else(|| {
                BadRequest(format!(
                    "the PostgreSQL URL {} names no user: write postgresql://USER@host/database, or set PGUSER",
                    redact(url)
                ))
            })?;
            config.user(&user);
        }
        if config.get_password().is_none()
            && let Some(password) = env("PGPASSWORD")
        {
            config.password(password);
        }
        if config.get_dbname().is_none() {
            let db = env("PGDATABASE").unwrap_or_else(|| config.get_user().unwrap_or_default().to_string());
            config.dbname(&db);
        }
        let ssl = match ssl {
            Some(s) => s,
            None => env("PGSSLMODE").map(|s| SslMode::parse(&s)).transpose()?.unwrap_or(SslMode::Prefer),
        };
        let root_cert = root_cert.or_else(|| env("PGSSLROOTCERT").map(std::path::PathBuf::from));
        config.ssl_mode(match ssl {
            SslMode::Disable => ClientSslMode::Disable,
            SslMode::Prefer => ClientSslMode::Prefer,
            _ => ClientSslMode::Require,
        });
        config.connect_timeout(Duration::from_secs(30));
        config.application_name("piisweep");
        Ok(Target { config, ssl, root_cert })
    }

    /// How TLS is used.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl
    }

    /// The client settings (host, port, user, database...).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Connect, with TLS as [`Target::ssl_mode`] says.
    pub fn connect(&self) -> anyhow::Result<Client> {
        let client = if self.ssl == SslMode::Disable {
            self.config.connect(NoTls)
        } else {
            let tls = tls::client_config(self.ssl, self.root_cert.as_deref())?;
            self.config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        };
        client.map_err(|e| {
            anyhow::Error::new(BadRequest(format!(
                "cannot connect to the PostgreSQL data map {self}: {e}. check the server is running and accepts this node, and the user, password (in the URL or PGPASSWORD) and sslmode"
            )))
        })
    }
}

/// TLS with rustls (no OpenSSL), checking the server's certificate as
/// libpq's sslmode says.
mod tls {
    use std::path::Path;
    use std::sync::Arc;

    use anyhow::Context;
    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

    use super::SslMode;
    use crate::error::BadRequest;

    /// The client's TLS settings for `mode`, trusting the authorities in
    /// `root_cert` (PEM), else the system's.
    ///
    /// - prefer, require (no root certificate): encrypted, the certificate
    ///   not checked (libpq's meaning: protection from eavesdropping only);
    /// - require with a root certificate, verify-ca: signed by a trusted
    ///   authority, for any name (libpq treats require with a root
    ///   certificate file as verify-ca);
    /// - verify-full: signed by a trusted authority and for the host named.
    pub fn client_config(mode: SslMode, root_cert: Option<&Path>) -> anyhow::Result<ClientConfig> {
        // ring, not aws-lc-rs: no C/CMake build of AWS-LC, and it builds for
        // the Windows target too. rustls 0.23.48 marks it deprecated only
        // because it lacks post-quantum key exchange.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("cannot set up TLS for PostgreSQL")?;
        let check = match mode {
            SslMode::Disable | SslMode::Prefer => Check::Nothing,
            SslMode::Require if root_cert.is_none() => Check::Nothing,
            SslMode::Require | SslMode::VerifyCa => Check::Authority,
            SslMode::VerifyFull => Check::AuthorityAndName,
        };
        let verifier: Arc<dyn ServerCertVerifier> = match check {
            Check::Nothing => Arc::new(AnyCertificate(provider)),
            Check::Authority | Check::AuthorityAndName => {
                let roots = Arc::new(roots(root_cert)?);
                let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .context("cannot set up TLS for PostgreSQL")?;
                Arc::new(Authority { webpki, check_name: check == Check::AuthorityAndName })
            }
        };
        Ok(builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth())
    }

    #[derive(PartialEq, Eq)]
    enum Check {
        Nothing,
        Authority,
        AuthorityAndName,
    }

    /// The authorities to trust: the PEM file given, else the system's.
    fn roots(root_cert: Option<&Path>) -> anyhow::Result<RootCertStore> {
        let mut store = RootCertStore::empty();
        match root_cert {
            Some(path) => {
                let text = std::fs::read(path)
                    .with_context(|| format!("cannot read the certificate authority file {}", path.display()))?;
                let mut n = 0;
                for cert in CertificateDer::pem_slice_iter(&text) {
                    let cert = cert.map_err(|e| {
                        BadRequest(format!(
                            "{} is not a PEM certificate ({e}): give the server's CA certificate",
                            path.display()
                        ))
                    })?;
                    store.add(cert).map_err(|e| {
                        BadRequest(format!(
                            "{} holds a certificate that cannot be trusted as an authority ({e}): give the server's CA certificate",
                            path.display()
                        ))
                    })?;
                    n += 1;
                }
                if n == 0 {
                    anyhow::bail!(BadRequest(format!(
                        "{} holds no PEM certificate: give the server's CA certificate (sslrootcert or PGSSLROOTCERT)",
                        path.display()
                    )));
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                let (added, _) = store.add_parsable_certificates(found.certs);
                if added == 0 {
                    anyhow::bail!(BadRequest(
                        "this system has no trusted certificate authorities to check the PostgreSQL server's certificate with: give the server's CA certificate with sslrootcert=FILE in the URL or PGSSLROOTCERT".to_string()
                    ));
                }
            }
        }
        Ok(store)
    }

    /// Checks the chain to a trusted authority; the name only if asked.
    #[derive(Debug)]
    struct Authority {
        webpki: Arc<WebPkiServerVerifier>,
        check_name: bool,
    }

    impl ServerCertVerifier for Authority {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            match self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
                // The chain is checked before the name: a wrong name means a trusted chain.
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
                )) if !self.check_name => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.webpki.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.webpki.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.webpki.supported_verify_schemes()
        }
    }

    /// Accepts any certificate (sslmode prefer or require), still checking
    /// the handshake is signed by the certificate's key.
    #[derive(Debug)]
    struct AnyCertificate(Arc<CryptoProvider>);

    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

/// The `host:port` part of a URL (after any `user:password@`).
fn host_part(url: &str) -> (&str, &str, &str) {
    let Some((scheme, rest)) = url.split_once("://") else { return (url, "", "") };
    let end = rest.find('/').unwrap_or(rest.len());
    let start = rest[..end].rfind('@').map_or(0, |i| i + 1);
    let head = &url[..scheme.len() + 3 + start];
    (head, &rest[start..end], &rest[end..])
}

/// Whether the URL names a port for its host.
fn names_port(url: &str) -> bool {
    let (_, host, _) = host_part(url);
    match host.rsplit_once(']') {
        Some((_, after)) => after.starts_with(':'),
        None => host.contains(':'),
    }
}

/// The URL with `port` given to its one host (a list of hosts is left as it is).
fn with_port(url: &str, port: &str) -> String {
    let (head, host, tail) = host_part(url);
    if host.is_empty() || host.contains(',') {
        return url.to_string();
    }
    format!("{head}{host}:{port}{tail}")
}

/// A URL with its password (if any) replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// One step of the map's schema, in each dialect.
pub struct Migration {
    /// The version the map has once this step is applied.
    pub version: i64,
    /// What the step does, as recorded in `schema_version`.
    pub what: &'static str,
    /// The step in SQLite's dialect ([`super::store`] applies it through
    /// `meta.schema`).
    pub sqlite: &'static str,
    /// The same step in PostgreSQL's dialect.
    pub postgres: &'static str,
}

/// The schema's steps, oldest first. A PostgreSQL map starts at schema 4
/// (the first that could be written there); SQLite's steps from 1 to 3 are
/// the conversions in [`super::store`].
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 4,
        what: "schema 4: runs, files, parts, findings (keyed hashes) and the audit trail",
        sqlite: super::store::SCHEMA,
        postgres: SCHEMA_4_POSTGRES,
    },
    Migration {
        version: 5,
        what: "schema 5: the host of each run and file; files unique per (host, abs)",
        sqlite: super::store::SCHEMA_5,
        postgres: SCHEMA_5_POSTGRES,
    },
];

/// [`super::store::SCHEMA_5`] in PostgreSQL's dialect: here `abs` alone is
/// no longer unique (two nodes may each have a `/srv/share`).
const SCHEMA_5_POSTGRES: &str = "
ALTER TABLE runs ADD COLUMN IF NOT EXISTS host TEXT NOT NULL DEFAULT '';
ALTER TABLE files ADD COLUMN IF NOT EXISTS host TEXT NOT NULL DEFAULT '';
ALTER TABLE files DROP CONSTRAINT IF EXISTS files_abs_key;
CREATE UNIQUE INDEX IF NOT EXISTS files_host_abs ON files(host, abs);
UPDATE meta SET value = '5' WHERE key = 'schema';
";

/// The latest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// [`super::store::SCHEMA`] and [`super::store::AUDIT_SCHEMA`] in
/// PostgreSQL's dialect: 64-bit integers, identity keys (a sweep may give
/// the id), BYTEA for BLOB, `encode(.., 'hex')` for `hex(..)`.
const SCHEMA_4_POSTGRES: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    roots TEXT NOT NULL,
    settings TEXT NOT NULL,
    reveal BIGINT NOT NULL,
    files_read BIGINT NOT NULL DEFAULT 0,
    files_reused BIGINT NOT NULL DEFAULT 0,
    files_gone BIGINT NOT NULL DEFAULT 0,
    findings BIGINT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS files(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    root TEXT NOT NULL,
    abs TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    size BIGINT NOT NULL,
    modified BIGINT,
    kind TEXT NOT NULL,
    content_hash TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    findings BIGINT NOT NULL DEFAULT 0,
    settings TEXT NOT NULL,
    seen_in_run BIGINT NOT NULL,
    scanned_in_run BIGINT NOT NULL,
    counts TEXT);
CREATE INDEX IF NOT EXISTS files_root ON files(root, seen_in_run);
CREATE TABLE IF NOT EXISTS parts(
    file_id BIGINT NOT NULL, path TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS parts_file ON parts(file_id);
CREATE TABLE IF NOT EXISTS categories(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS rules(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS paths(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, path TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS places(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    pre TEXT NOT NULL,
    post TEXT NOT NULL,
    scope TEXT,
    win BIGINT,
    UNIQUE(pre, post));
CREATE TABLE IF NOT EXISTS findings(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    file_id BIGINT NOT NULL,
    path BIGINT NOT NULL,
    place BIGINT NOT NULL,
    num BIGINT,
    category BIGINT NOT NULL,
    rule BIGINT NOT NULL,
    confidence BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    masked TEXT NOT NULL,
    value TEXT,
    words BYTEA,
    hkey BIGINT);
CREATE INDEX IF NOT EXISTS findings_file ON findings(file_id);
CREATE INDEX IF NOT EXISTS findings_hkey ON findings(hkey);
CREATE INDEX IF NOT EXISTS findings_word1 ON findings(substr(words, 1, 8)) WHERE words IS NOT NULL;
CREATE INDEX IF NOT EXISTS findings_word2 ON findings(substr(words, 9, 8)) WHERE length(words) = 16;
CREATE OR REPLACE VIEW findings_text AS
    SELECT f.id, f.file_id, p.path, l.pre || coalesce(f.num::text, '') || l.post AS location, c.name AS category,
           encode(f.hash, 'hex') AS hash, f.masked, f.value, r.name AS rule, f.confidence / 100.0 AS confidence
    FROM findings f JOIN paths p ON p.id = f.path JOIN places l ON l.id = f.place
         JOIN categories c ON c.id = f.category JOIN rules r ON r.id = f.rule;
CREATE TABLE IF NOT EXISTS audit(
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    searched TEXT,
    received TEXT,
    deadline TEXT,
    files BIGINT NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL,
    safe BIGINT);
INSERT INTO meta(key, value) VALUES ('schema', '4') ON CONFLICT (key) DO NOTHING;
";

/// The advisory lock (transaction-scoped) that one node holds while it
/// makes or upgrades the schema, so two nodes starting at once do not both
/// run a migration. Any fixed number: this one spells "piisweep".
const SCHEMA_LOCK: i64 = 0x7069_6973_7765_6570;

/// An open PostgreSQL data map.
pub struct PgMap {
    pub client: Client,
    pub target: Target,
}

impl PgMap {
    /// Connect and bring the schema up to date (for a sweep): the missing
    /// migrations are applied in one transaction, under an advisory lock.
    pub fn open(target: &Target) -> anyhow::Result<PgMap> {
        let mut client = target.connect()?;
        migrate(&mut client).with_context(|| format!("cannot set up the data map {target}"))?;
        Ok(PgMap { client, target: target.clone() })
    }

    /// Connect to a map a sweep has made (for `map` and `sar`), changing
    /// nothing.
    pub fn open_existing(target: &Target) -> anyhow::Result<PgMap> {
        let mut client = target.connect()?;
        match current_version(&mut client)? {
            None => {
                bail!(BadRequest(format!("no data map in {target}: run `piisweep scan FOLDER --map {target}` first")))
            }
            Some(v) if v > latest_version() => bail!(newer(target, v)),
            Some(_) => {}
        }
        Ok(PgMap { client, target: target.clone() })
    }

    /// The schema version the map has.
    pub fn version(&mut self) -> anyhow::Result<i64> {
        Ok(current_version(&mut self.client)?.unwrap_or(0))
    }

    /// Check `key` is the one the map's hashes were made with, recording it
    /// on first use when `record` (a sweep): the first node to write the map
    /// sets the key every other node must hold.
    pub fn check_key(&mut self, key: &Key, record: bool) -> anyhow::Result<()> {
        let check = super::key_check(key);
        if record {
            self.client.execute(
                "INSERT INTO meta(key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING",
                &[&check],
            )?;
        }
        match self.recorded_key_check()? {
            Some(s) if s != check => bail!(BadRequest(format!(
                "this node's key does not match the data map {}: its hashes were made with another key, so this node's findings could never be matched with theirs. Give every node the same key file (see \"Several scanner nodes\" in the README) with --key",
                self.target
            ))),
            _ => Ok(()),
        }
    }

    /// The fingerprint of the key the map's hashes are made with, once a
    /// sweep has recorded it.
    pub fn recorded_key_check(&mut self) -> anyhow::Result<Option<String>> {
        Ok(self.client.query_opt("SELECT value FROM meta WHERE key = 'key_check'", &[])?.map(|r| r.get(0)))
    }
}

/// The advisory locks on roots use two numbers: this one (the letters
/// "pis") for piisweep, and a hash of the root.
const ROOT_LOCKS: i32 = 0x0070_6973;

impl PgMap {
    /// Take this connection's hold on `root` (as given on the command
    /// line, whichever node gives it): one sweep of a root at a time across
    /// every node, while sweeps of other roots go on beside it. Returns
    /// `false` at once if another connection holds it. The hold lasts until
    /// [`PgMap::unlock_root`] or the connection ends (however the sweep
    /// ends: the server lets go of a dead node's locks with its session).
    /// Two roots whose hashes collide take turns; nothing worse.
    pub fn try_lock_root(&mut self, root: &str) -> anyhow::Result<bool> {
        Ok(self.client.query_one("SELECT pg_try_advisory_lock($1, hashtext($2))", &[&ROOT_LOCKS, &root])?.get(0))
    }

    /// [`PgMap::try_lock_root`], waiting for the other sweep to finish.
    pub fn lock_root(&mut self, root: &str) -> anyhow::Result<()> {
        self.client.execute("SELECT pg_advisory_lock($1, hashtext($2))", &[&ROOT_LOCKS, &root])?;
        Ok(())
    }

    /// Let go of `root`; `false` if this connection did not hold it.
    pub fn unlock_root(&mut self, root: &str) -> anyhow::Result<bool> {
        Ok(self.client.query_one("SELECT pg_advisory_unlock($1, hashtext($2))", &[&ROOT_LOCKS, &root])?.get(0))
    }
}

fn newer(target: &Target, v: i64) -> BadRequest {
    BadRequest(format!(
        "the data map {target} was made by a newer piisweep (format {v}; this one knows up to {}): use that version on every node",
        latest_version()
    ))
}

/// The version recorded in `schema_version`; `None` if the table is absent.
fn current_version(client: &mut Client) -> anyhow::Result<Option<i64>> {
    let exists: bool = client.query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?.get(0);
    if !exists {
        return Ok(None);
    }
    Ok(Some(client.query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])?.get(0)))
}

/// Apply the migrations the map lacks.
fn migrate(client: &mut Client) -> anyhow::Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version(
            version BIGINT PRIMARY KEY,
            applied TEXT NOT NULL,
            what TEXT NOT NULL)",
    )?;
    let current: i64 = tx.query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])?.get(0);
    if current > latest_version() {
        // Nothing to apply; the caller's message names the map.
        bail!(BadRequest(format!(
            "the data map was made by a newer piisweep (format {current}; this one knows up to {}): use that version on every node",
            latest_version()
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(m.postgres).with_context(|| format!("migration to schema {} failed", m.version))?;
        tx.execute(
            "INSERT INTO schema_version(version, applied, what) VALUES ($1, $2, $3)",
            &[&m.version, &super::now_text(), &m.what],
        )?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn tells_urls_from_files() {
        assert!(is_url("postgresql://u@h/db"));
        assert!(is_url("postgres://u@h/db"));
        assert!(is_url("PostgreSQL://u@h/db"));
        assert!(!is_url("piisweep.db"));
        assert!(!is_url("postgres.db"));
        assert!(!is_url("/srv/postgresql/map.db"));
    }

    #[test]
    fn url_wins_over_environment() {
        let env = env_of(&[
            ("PGHOST", "envhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "envuser"),
            ("PGPASSWORD", "envpw"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "require"),
        ]);
        let t = Target::from_url_env("postgresql://alice:pw@db.example:5433/charity?sslmode=verify-full", env).unwrap();
        let c = t.config();
        assert_eq!(c.get_hosts(), &[Host::Tcp("db.example".into())]);
        assert_eq!(c.get_ports(), &[5433]);
        assert_eq!(c.get_user(), Some("alice"));
        assert_eq!(c.get_password(), Some(&b"pw"[..]));
        assert_eq!(c.get_dbname(), Some("charity"));
        assert_eq!(t.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(t.to_string(), "postgresql://alice@db.example:5433/charity");
        assert!(!format!("{t:?}").contains("pw"));
    }

    #[test]
    fn environment_fills_what_the_url_leaves_out() {
        let env = env_of(&[
            ("PGHOST", "envhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "envuser"),
            ("PGPASSWORD", "envpw"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "disable"),
        ]);
        let t = Target::from_url_env("postgres://", env).unwrap();
        let c = t.config();
        assert_eq!(c.get_hosts(), &[Host::Tcp("envhost".into())]);
        assert_eq!(c.get_ports(), &[6000]);
        assert_eq!(c.get_user(), Some("envuser"));
        assert_eq!(c.get_password(), Some(&b"envpw"[..]));
        assert_eq!(c.get_dbname(), Some("envdb"));
        assert_eq!(t.ssl_mode(), SslMode::Disable);
        // A host without a port takes PGPORT; a port in the URL wins.
        let t = Target::from_url_env("postgresql://u@h/db", env_of(&[("PGPORT", "6001")])).unwrap();
        assert_eq!(t.config().get_ports(), &[6001]);
        let t = Target::from_url_env("postgresql://u@[::1]/db", env_of(&[("PGPORT", "6001")])).unwrap();
        assert_eq!(t.config().get_ports(), &[6001]);
        let t = Target::from_url_env("postgresql://u@[::1]:7/db", env_of(&[("PGPORT", "6001")])).unwrap();
        assert_eq!(t.config().get_ports(), &[7]);
        // With nothing set: TLS when offered, the database named as the user.
        let t = Target::from_url_env("postgresql://bob@h", env_of(&[])).unwrap();
        assert_eq!(t.ssl_mode(), SslMode::Prefer);
        assert_eq!(t.config().get_dbname(), Some("bob"));
    }

    #[test]
    fn bad_settings_are_refused_plainly() {
        let e = Target::from_url_env("postgresql://u@h/db?sslmode=sometimes", env_of(&[])).unwrap_err();
        assert!(e.to_string().contains("sslmode \"sometimes\""), "{e}");
        let e = Target::from_url_env("postgresql://u@h/db", env_of(&[("PGPORT", "five")])).unwrap_err();
        assert!(e.to_string().contains("PGPORT"), "{e}");
        let e = Target::from_url_env("postgresql://u:secret@h:notaport/db", env_of(&[])).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(e.to_string().contains("postgresql://u:***@h:notaport/db"), "{e}");
    }
}
