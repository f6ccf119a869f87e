//! The web page in a real browser: headless Chromium driven through
//! chromedriver (WebDriver) does the three jobs on a drive made here, saves a
//! screenshot of each page under target/tmp/screenshots/, and checks every
//! page with axe-core (no serious or critical accessibility violation).
//!
//! Needs Debian's `chromium` and `chromium-driver`, and axe-core from npm
//! (`.ci/run` installs all three; set PIISWEEP_AXE_JS to an axe.min.js, or
//! the test installs it with npm into target/tmp/axe).

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::serve::{Drive, Server};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// A chromedriver this test started, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_chromedriver() -> Driver {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run chromedriver ({e}): the browser test needs Chromium and its driver; \
                 on Debian: apt-get install -y chromium chromium-driver"
            )
        });
    let driver = Driver { child, port };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return driver;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("chromedriver did not start listening on port {port} within 10 s");
}

/// axe.min.js: PIISWEEP_AXE_JS, else installed with npm into target/tmp/axe.
fn axe_source() -> String {
    let path = match std::env::var_os("PIISWEEP_AXE_JS") {
        Some(p) => PathBuf::from(p),
        None => {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("axe");
            let js = dir.join("node_modules/axe-core/axe.min.js");
            if !js.is_file() {
                std::fs::create_dir_all(&dir).unwrap();
                let status = Command::new("npm")
                    .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                    .arg(&dir)
                    .arg("axe-core@4")
                    .status()
                    .unwrap_or_else(|e| panic!("cannot run npm ({e}) to install axe-core: apt-get install -y npm"));
                assert!(status.success(), "npm install axe-core failed: check the npm registry can be reached");
            }
            js
        }
    };
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read axe-core at {}: {e}", path.display()))
}

struct Browser {
    client: Client,
    axe: String,
    shots: PathBuf,
    checked: Vec<String>,
}

impl Browser {
    /// The page's text. A page replaced while it is read (a form's answer
    /// arriving just after the click) is read again, as it now is.
    async fn text(&self) -> String {
        let mut last = None;
        for _ in 0..5 {
            let main = self.client.find(Locator::Css("main")).await.unwrap();
            match main.text().await {
                Ok(text) => return text,
                Err(e) => last = Some(e),
            }
        }
        panic!("the page kept changing while it was read: {last:?}");
    }

    /// The page's text, or "" if the page was replaced while it was read (a
    /// page that refreshes itself).
    async fn text_while_refreshing(&self) -> String {
        match self.client.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Save a screenshot and run axe-core on the page: no serious or critical violation.
    async fn check(&mut self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
        self.client.execute(&format!("{}\nreturn true;", self.axe), vec![]).await.unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document).then(r => done({passes: r.passes.length, bad: r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))}),
                   e => done({passes: 0, bad: ['axe failed: ' + e]}));",
                vec![],
            )
            .await
            .unwrap();
        let problems: Vec<Value> = found["bad"].as_array().cloned().unwrap_or_default();
        assert!(problems.is_empty(), "axe-core on {name}: {problems:#?}");
        // axe really ran its checks (colour contrast, labels, landmarks...).
        assert!(found["passes"].as_u64().unwrap_or(0) >= 10, "axe-core on {name} checked too little: {found}");
        self.checked.push(name.to_string());
    }

    /// The input a visible label names (the label's `for`).
    async fn field(&self, label: &str) -> fantoccini::elements::Element {
        let xpath = format!("//label[normalize-space(text()[1])='{label}']");
        let l = self.client.find(Locator::XPath(&xpath)).await.unwrap_or_else(|_| panic!("no label {label:?}"));
        let id = l.attr("for").await.unwrap().unwrap_or_else(|| panic!("label {label:?} names no field"));
        self.client.find(Locator::Id(&id)).await.unwrap()
    }

    async fn button(&self, text: &str) -> fantoccini::elements::Element {
        let xpath = format!("//button[normalize-space()='{text}']");
        self.client.find(Locator::XPath(&xpath)).await.unwrap_or_else(|_| panic!("no button {text:?}"))
    }
}

#[test]
fn staff_do_the_three_jobs_in_a_real_browser() {
    let axe = axe_source();
    let drive = Drive::new();
    let server = Server::start(&drive);
    let driver = start_chromedriver();
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1024"]}),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("a Chromium session through chromedriver");
        // The steps run as a task of their own so that, pass or fail, the
        // browser is closed after them: a failed test leaves no Chromium behind.
        let (base, link) = (server.base(), server.first_line["Open ".len()..].to_string());
        let steps = tokio::spawn(three_jobs(Browser { client: client.clone(), axe, shots, checked: vec![] }, base, link));
        let outcome = steps.await;
        client.close().await.unwrap();
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    });
}

/// The whole visit, page by page.
async fn three_jobs(mut b: Browser, base: String, link: String) {
    {
        // Without the token: 401, and a page saying what to do.
        b.client.goto(&format!("{base}/map")).await.unwrap();
        assert!(b.client.source().await.unwrap().contains("Open the link piisweep printed"));

        // The printed link opens a session; the token leaves the address bar.
        b.client.goto(&link).await.unwrap();
        assert_eq!(b.client.current_url().await.unwrap().as_str(), format!("{base}/"));
        b.check("1-home").await;

        // Subject access: a mistake first, then the search, by keyboard (Enter submits).
        b.client.find(Locator::LinkText("Subject access")).await.unwrap().click().await.unwrap();
        b.check("2-sar-form").await;
        b.field("Postcode").await.send_keys("SW1A").await.unwrap();
        b.button("Search").await.click().await.unwrap();
        b.client.wait().for_element(Locator::XPath("//main[contains(., 'is not a UK postcode')]")).await.unwrap();
        let error = b.text().await;
        assert!(error.contains("Postcode \"SW1A\" is not a UK postcode: write it in full"), "{error}");
        b.check("3-sar-form-error").await;
        b.field("Postcode").await.clear().await.unwrap();
        b.field("Full name").await.send_keys("Jane Roberts").await.unwrap();
        b.field("Date of birth").await.send_keys("12/03/1985\u{E007}").await.unwrap(); // Enter
        b.client.wait().for_element(Locator::XPath("//h1[.='Subject access: results']")).await.unwrap();
        let results = b.text().await;
        assert!(
            results.find("Cases/2024/jane.txt").unwrap() < results.find("Cases/register.csv").unwrap(),
            "{results}"
        );
        assert!(results.contains("The reply is due by"), "{results}");
        b.check("4-sar-results").await;
        // Untick the register, keep "redact others" ticked, build the bundle.
        let boxes = b.client.find_all(Locator::Css("input[name=file]")).await.unwrap();
        assert_eq!(boxes.len(), 2);
        boxes[1].click().await.unwrap();
        let redact = b.client.find(Locator::Id("redact_others")).await.unwrap();
        assert!(redact.prop("checked").await.unwrap().as_deref() == Some("true"));
        b.button("Build bundle").await.click().await.unwrap();
        b.client.wait().for_element(Locator::XPath("//h1[.='Bundle ready']")).await.unwrap();
        let bundle = b.text().await;
        assert!(bundle.contains("1 files in the bundle") && bundle.contains("no other person's data"), "{bundle}");
        let link = b.client.find(Locator::LinkText("Download the bundle (.zip)")).await.unwrap();
        assert!(link.attr("href").await.unwrap().unwrap().starts_with("/download/"));
        b.check("5-bundle").await;

        // Anonymised export of one folder, followed to its verdict.
        b.client.find(Locator::LinkText("Anonymised export")).await.unwrap().click().await.unwrap();
        assert!(b.text().await.contains("only the year is kept"), "the policy in plain words");
        b.check("6-export-form").await;
        b.field("Folder to export").await.select_by_value("0/Cases").await.unwrap();
        b.button("Make anonymised copies").await.click().await.unwrap();
        let mut verdict = String::new();
        for _ in 0..240 {
            verdict = b.text_while_refreshing().await;
            if verdict.contains("Export finished") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await; // the page refreshes itself
        }
        assert!(verdict.contains("Safe to send."), "{verdict}");
        b.check("7-export-result").await;

        // The data map, with its charts, and the audit trail.
        b.client.find(Locator::LinkText("Data map")).await.unwrap().click().await.unwrap();
        let map = b.text().await;
        assert!(map.contains("Items by category") && map.contains("letter.docx"), "{map}");
        assert!(b.client.find_all(Locator::Css("svg rect.bar")).await.unwrap().len() >= 4);
        b.check("8-map").await;
        b.client.find(Locator::LinkText("Audit trail")).await.unwrap().click().await.unwrap();
        let audit = b.text().await;
        for action in ["search", "bundle", "export"] {
            assert!(audit.contains(action), "{audit}");
        }
        b.check("9-audit").await;
        assert_eq!(b.checked.len(), 9);
    }
}
