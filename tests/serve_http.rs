//! `piisweep serve` over plain HTTP: who may use it (token, session cookie,
//! Host/Origin, CSRF), which folders it may export, and the three jobs end
//! to end on a drive made here (search, zip bundle, export, map, audit).

mod common;

use common::serve::{Drive, Server, files_under};

/// Every path in the app, for the checks that none answers without a session.
const PAGES: &[&str] =
    &["/", "/sar", "/export", "/export/1", "/map", "/audit", "/audit.csv", "/style.css", "/download/x"];

#[test]
fn without_the_token_or_session_every_request_gets_401_and_no_data() {
    let drive = Drive::new();
    let server = Server::start(&drive);
    assert!(server.first_line.starts_with("Open http://127.0.0.1:"), "{}", server.first_line);
    assert_eq!(server.token.len(), 32);
    for path in PAGES {
        let r = server.request("GET", path, &[], None);
        assert_eq!(r.status, 401, "{path}");
        let text = r.text();
        assert!(text.contains("?token="), "the 401 page says what to do: {text}");
        for secret in ["jane", "Roberts", "Cases", "drive", "m.db"] {
            assert!(!text.contains(secret), "{path} leaks {secret}: {text}");
        }
    }
    let wrong = server.request("GET", &format!("/?token={}", "0".repeat(32)), &[], None);
    assert_eq!(wrong.status, 401);
    let forged =
        server.request("GET", "/map", &[("Cookie", "piisweep_session=0123456789abcdef0123456789abcdef")], None);
    assert_eq!(forged.status, 401);
    // A POST with the token in the URL does not open a session either.
    let post = server.request("POST", &format!("/sar?token={}", server.token), &[], Some("name=Jane+Roberts"));
    assert_eq!(post.status, 401);

    // The token is swapped for an HttpOnly, SameSite=Strict cookie, and dropped from the address.
    let r = server.request("GET", &format!("/map?token={}", server.token), &[], None);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/map"));
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let session = server.login();
    let page = server.get(&session, "/map");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Cases"), "{}", page.text());
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.header("content-security-policy").unwrap().contains("default-src 'none'"));

    // A second start has a new token: the old one is refused.
    let again = Server::start(&drive);
    assert_ne!(again.token, server.token);
    assert_eq!(again.request("GET", &format!("/?token={}", server.token), &[], None).status, 401);
}

#[test]
fn foreign_host_or_origin_is_refused_even_with_a_session() {
    let drive = Drive::new();
    let server = Server::start(&drive);
    let s = server.login();
    let port = server.port;
    let local = format!("localhost:{port}");
    assert_eq!(server.request("GET", "/map", &[("Cookie", &s.cookie), ("Host", &local)], None).status, 200);
    // DNS rebinding: a name that resolves to 127.0.0.1 is still another site.
    for host in [
        format!("evil.example:{port}"),
        "evil.example".into(),
        format!("127.0.0.1:{}", port + 1),
        format!("192.168.1.5:{port}"),
    ] {
        let r = server.request("GET", "/map", &[("Cookie", &s.cookie), ("Host", &host)], None);
        assert_eq!(r.status, 403, "{host}");
        assert!(!r.text().contains("Cases"));
    }
    let token_url = format!("/?token={}", server.token);
    assert_eq!(server.request("GET", &token_url, &[("Host", "evil.example")], None).status, 403);
    // A cross-site form post, even with the right CSRF token.
    let form = common::serve::encode(&[("csrf", &s.csrf), ("name", "Jane Roberts")]);
    for origin in ["http://evil.example", "null", &format!("https://127.0.0.1:{port}")] {
        let r = server.request("POST", "/sar", &[("Cookie", &s.cookie), ("Origin", origin)], Some(&form));
        assert_eq!(r.status, 403, "{origin}");
    }
    let own = format!("http://127.0.0.1:{port}");
    let r = server.request("POST", "/sar", &[("Cookie", &s.cookie), ("Origin", &own)], Some(&form));
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn a_post_without_the_sessions_csrf_token_changes_nothing() {
    let drive = Drive::new();
    let server = Server::start(&drive);
    let s = server.login();
    let other = server.login();
    assert_ne!(s.csrf, other.csrf);
    for (path, form) in [
        ("/sar", vec![("name", "Jane Roberts")]),
        ("/sar", vec![("name", "Jane Roberts"), ("csrf", other.csrf.as_str())]),
        ("/sar/bundle", vec![("name", "Jane Roberts"), ("file", "1"), ("csrf", "")]),
        ("/export", vec![("folder", "0/")]),
    ] {
        let r = server.post(&s, path, &form);
        assert_eq!(r.status, 403, "{path} {form:?}");
    }
    assert!(!drive.path("web/exports").exists());
    assert!(!drive.path("web/bundles").exists());
    let audit = server.get(&s, "/audit.csv").text();
    assert_eq!(audit.lines().count(), 1, "nothing recorded: {audit}");
}

#[test]
fn folders_outside_the_roots_are_refused() {
    let drive = Drive::new();
    let server = Server::start(&drive);
    let s = server.login();
    let secret = drive.path("secret").display().to_string();
    let absolute = format!("0/{secret}");
    let mut bad = vec![
        "0/../secret",
        "0/Cases/../../secret",
        "0/..",
        absolute.as_str(),
        secret.as_str(),
        "1/",
        "0/Cases/2024/jane.txt",
    ];
    if cfg!(unix) {
        bad.push("0/Shared"); // a link to ../secret
    }
    for folder in bad {
        let r = server.post(&s, "/export", &[("csrf", &s.csrf), ("folder", folder)]);
        assert_eq!(r.status, 403, "{folder}");
        assert!(r.text().contains("Choose a folder") || r.text().contains("choose a folder"), "{}", r.text());
    }
    assert!(!drive.path("web/exports").exists(), "nothing exported");
    // The list offered holds the drive's folders only, not the link.
    let page = server.get(&s, "/export").text();
    assert!(page.contains("value=\"0/Cases/2024\""), "{page}");
    assert!(!page.contains("Shared") && !page.contains("secret"), "{page}");
}

#[test]
fn search_bundle_export_map_and_audit_end_to_end() {
    let drive = Drive::new();
    let server = Server::start(&drive);
    let s = server.login();

    // The form: its labels, exactly.
    let form = server.get(&s, "/sar").text();
    for label in
        ["Full name", "Date of birth", "Email", "NI number", "NHS number", "Phone", "Postcode", "Date received"]
    {
        assert!(form.contains(&format!(">{label}")), "{label}");
    }
    // A mistake is explained in the form's words.
    let r = server.post(&s, "/sar", &[("csrf", &s.csrf), ("email", "jane at example")]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Email &quot;jane at example&quot; is not an email address"), "{}", r.text());

    let details =
        [("csrf", s.csrf.as_str()), ("name", "Jane Roberts"), ("dob", "12/03/1985"), ("received", "2025-01-31")];
    let r = server.post(&s, "/sar", &details);
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("due by 28 February 2025"), "{t}");
    let notes = t.find("1. Cases/2024/jane.txt").expect("the case notes first");
    let register = t.find("2. Cases/register.csv").expect("the register second");
    assert!(notes < register);
    assert!(t.contains("date of birth") && t.contains("changed "), "{t}");
    // The same files, in the same order, with the same reasons as `piisweep sar`.
    let cli = common::bin()
        .args(["sar", "--name", "Jane Roberts", "--dob", "12/03/1985", "--format", "json", "--map"])
        .arg(drive.path("m.db"))
        .output()
        .unwrap();
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    let cli = cli["matches"].as_array().unwrap();
    assert_eq!(cli.len(), 2);
    let mut last = 0;
    for (i, m) in cli.iter().enumerate() {
        let at = t.find(&format!("{}. {}", i + 1, m["path"].as_str().unwrap())).expect("each file the CLI finds");
        assert!(at > last, "same order as the CLI");
        last = at;
        assert!(t.contains(&format!("Why: {} (", m["why"].as_str().unwrap())), "{m}");
    }
    assert!(t.contains("letter.docx"), "the unreadable file is listed: {t}");
    let ids: Vec<String> = t
        .match_indices("name=\"file\" value=\"")
        .map(|(i, m)| t[i + m.len()..].split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(t.contains("name=\"redact_others\" value=\"1\" checked"), "ticked by default");

    // Untick the register: only the case notes go in the bundle.
    let mut form: Vec<(&str, &str)> = details.to_vec();
    form.push(("file", &ids[0]));
    form.push(("redact_others", "1"));
    let r = server.post(&s, "/sar/bundle", &form);
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(
        t.contains("no other person&#39;s data was found") || t.contains("no other person's data was found"),
        "{t}"
    );
    let link = t.split("href=\"/download/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let zip = server.get(&s, &format!("/download/{link}"));
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    assert!(zip.header("content-disposition").unwrap().contains(".zip"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body.clone())).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().to_string()).collect();
    assert!(names.contains(&"index.html".to_string()), "{names:?}");
    let copies: Vec<&String> = names.iter().filter(|n| n.starts_with("files/")).collect();
    assert_eq!(copies.len(), 1, "{names:?}");
    let mut copy = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(copies[0]).unwrap(), &mut copy).unwrap();
    assert!(copy.contains("Jane Roberts") && !copy.contains("peter.smith@example.com"), "{copy}");

    // Export the Cases folder: copies without the people, and a plain verdict.
    let r = server.post(&s, "/export", &[("csrf", &s.csrf), ("folder", "0/Cases")]);
    assert_eq!(r.status, 303);
    let job = r.header("location").unwrap().to_string();
    let mut result = String::new();
    for _ in 0..600 {
        let page = server.get(&s, &job);
        assert_eq!(page.status, 200);
        result = page.text();
        if !result.contains("Making anonymised copies") {
            break;
        }
        assert_eq!(page.header("refresh"), Some("2"), "the progress page refreshes itself");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(result.contains("Safe to send."), "{result}");
    let exports = drive.path("web/exports");
    let copies = files_under(&exports);
    assert!(copies.iter().any(|c| c.ends_with("register.csv")), "{copies:?}");
    for c in &copies {
        let text = std::fs::read_to_string(exports.join(c)).unwrap_or_default();
        assert!(!text.contains("Roberts") && !text.contains("example.org"), "{c}: {text}");
    }

    // The data map: bars, the unreadable file and why.
    let map = server.get(&s, "/map?older_than=1d").text();
    assert!(map.matches("<rect class=\"bar\"").count() >= 4, "{map}");
    assert!(map.contains("Email addresses") && map.contains("letter.docx"), "{map}");
    assert!(server.get(&s, "/map?older_than=soon").status == 422);

    // The audit trail: search, bundle, export; the details only as keyed hashes.
    let csv = server.get(&s, "/audit.csv").text();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1].starts_with(|_| true)
            && lines[1].contains(",export,")
            && lines[2].contains(",bundle,")
            && lines[3].contains(",search,"),
        "{csv}"
    );
    assert!(lines[3].contains("2025-01-31") && lines[3].contains("2025-02-28"), "{csv}");
    for plain in ["Jane", "Roberts", "1985", "jane"] {
        assert!(!csv.contains(plain), "{plain} in {csv}");
    }
    let page = server.get(&s, "/audit").text();
    assert!(page.contains("bundle of 1 files"), "{page}");
}

#[test]
fn it_listens_on_loopback_unless_told_and_then_warns() {
    let drive = Drive::new();
    let server = Server::start(&drive);
    assert!(server.stderr().is_empty(), "{}", server.stderr());
    // Not reachable on another address of this machine.
    assert!(std::net::TcpStream::connect(("127.0.0.2", server.port)).is_err());

    let open = Server::start_with(&drive, &["--listen", "0.0.0.0"]);
    assert!(
        open.stderr().contains("warning: --listen 0.0.0.0: other computers on the network can reach this page"),
        "{}",
        open.stderr()
    );
    let s = open.login();
    let other_ip = format!("127.0.0.2:{}", open.port);
    assert_eq!(open.request("GET", "/map", &[("Cookie", &s.cookie), ("Host", &other_ip)], None).status, 200);
    // A name is still refused (DNS rebinding), and the token is still needed.
    let name = format!("files.example:{}", open.port);
    assert_eq!(open.request("GET", "/map", &[("Cookie", &s.cookie), ("Host", &name)], None).status, 403);
    assert_eq!(open.request("GET", "/map", &[("Host", &other_ip)], None).status, 401);
}

#[test]
fn the_bundle_folder_may_not_be_inside_the_drive() {
    let drive = Drive::new();
    let out = common::bin()
        .arg("serve")
        .arg("--map")
        .arg(drive.path("m.db"))
        .arg("--out")
        .arg(drive.path("drive/Cases/bundles"))
        .arg("--no-open")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--out"), "{err}");
    assert!(!drive.path("drive/Cases/bundles").exists());
}

#[test]
fn the_export_shows_its_progress_until_the_verdict() {
    let drive = Drive::new();
    let pause = tempfile::tempdir().unwrap();
    // The re-scan of the register's copy waits for `resume` (test hook).
    let server = Server::start_env(
        &drive,
        &[],
        &[("PIISWEEP_TEST_PAUSE_ON", std::path::Path::new("register.csv")), ("PIISWEEP_TEST_PAUSE_DIR", pause.path())],
    );
    let s = server.login();
    let r = server.post(&s, "/export", &[("csrf", &s.csrf), ("folder", "0/Cases")]);
    assert_eq!(r.status, 303);
    let job = r.header("location").unwrap().to_string();
    for _ in 0..600 {
        if pause.path().join("paused").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(pause.path().join("paused").exists(), "the re-scan reached the register");
    let page = server.get(&s, &job);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("refresh"), Some("2"), "the progress page refreshes itself");
    let t = page.text();
    assert!(t.contains("Making anonymised copies") && t.contains("checking the copies again"), "{t}");
    assert!(t.contains("<progress id=\"progress\" max=\"3\" value=\"3\">"), "3 of 3 files done: {t}");
    std::fs::write(pause.path().join("resume"), "").unwrap();
    let mut t = String::new();
    for _ in 0..600 {
        t = server.get(&s, &job).text();
        if t.contains("Export finished") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(t.contains("Safe to send.") && t.contains("2 files copied"), "{t}");
    assert!(t.contains("letter.docx"), "the damaged file is listed as not copied: {t}");
}
