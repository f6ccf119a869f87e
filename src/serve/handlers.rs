//! The pages: each handler checks its form, calls the library (on a
//! blocking thread where it reads the map or files), and renders HTML.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, Form, Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};

use super::pages::{self, bars, category_words, csrf_field, page, problem};
use super::{App, Session, audit, same_secret};
use crate::anonymise::{Operator, Policy};
use crate::sar::{self, FileMatch, Subject};

type Fields = Vec<(String, String)>;

pub(super) fn router(_app: Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/style.css", get(style))
        .route("/sar", get(sar_form).post(sar_search))
        .route("/sar/bundle", axum::routing::post(sar_bundle))
        .route("/download/{id}", get(download))
        .route("/export", get(export_form).post(export_start))
        .route("/export/{id}", get(export_status))
        .route("/map", get(data_map))
        .route("/audit", get(audit_page))
        .route("/audit.csv", get(audit_csv))
        .fallback(not_found)
}

/// The first value of a form field, trimmed ("" when absent).
fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
}

/// Refuse a form whose CSRF token is not the session's.
fn csrf_ok(session: &Session, f: &Fields) -> Result<(), Response> {
    if same_secret(field(f, "csrf"), &session.csrf) {
        Ok(())
    } else {
        Err(problem(
            StatusCode::FORBIDDEN,
            "/",
            "This form could not be accepted",
            "The form was not sent from this page, or piisweep was restarted since the page was opened. \
             Nothing was done. Open the page again from the menu and fill the form in again.",
        ))
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| anyhow::anyhow!("the work stopped unexpectedly: {e}"))?
}

fn failed(current: &str, e: &anyhow::Error) -> Response {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        current,
        "Something went wrong",
        &format!("{e:#}. Nothing more was done; fix the cause above and try again."),
    )
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], pages::CSS).into_response()
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "/", "Page not found", "There is no such page. Use the menu at the top.")
}

async fn home(State(app): State<Arc<App>>) -> Response {
    let body = html! {
        h1 { "piisweep" }
        p { "Data map: " code { (crate::map::reader::shown(&app.map)) } }
        div class="cards" {
            div class="card" { h2 { a href="/sar" { "Subject access" } } p { "Find everything about one person and build the bundle to send them." } }
            div class="card" { h2 { a href="/export" { "Anonymised export" } } p { "Make copies of a folder with personal data removed, checked before you send them." } }
            div class="card" { h2 { a href="/map" { "Data map" } } p { "Where personal data lives, files kept too long, and files that could not be read." } }
            div class="card" { h2 { a href="/audit" { "Audit trail" } } p { "How each request and export was handled." } }
        }
    };
    page("Home", "/", body)
}

// ---- Subject access -------------------------------------------------------

/// The form's fields: (name, label, hint, input type).
const SAR_FIELDS: &[(&str, &str, &str, &str)] = &[
    ("name", "Full name", "As the person gives it, e.g. Jane Roberts", "text"),
    ("dob", "Date of birth", "Day first, e.g. 12/03/1985", "text"),
    ("email", "Email", "", "email"),
    ("nino", "NI number", "National Insurance number, e.g. QQ 12 34 56 C", "text"),
    ("nhs", "NHS number", "10 digits", "text"),
    ("phone", "Phone", "With the area code", "text"),
    ("postcode", "Postcode", "In full, e.g. SW1A 1AA", "text"),
];

fn subject_of(f: &Fields) -> Subject {
    let list = |k: &str| -> Vec<String> {
        let v = field(f, k);
        if v.is_empty() { vec![] } else { vec![v.to_string()] }
    };
    let name = field(f, "name");
    Subject {
        name: (!name.is_empty()).then(|| name.to_string()),
        dob: list("dob"),
        nino: list("nino"),
        email: list("email"),
        phone: list("phone"),
        postcode: list("postcode"),
        nhs: list("nhs"),
    }
}

/// The library's messages name command-line options: say the form's labels instead.
fn in_form_words(msg: &str) -> String {
    let mut m = msg.to_string();
    for (flag, label) in [
        ("--name", "Full name"),
        ("--dob", "Date of birth"),
        ("--nino", "NI number"),
        ("--nhs", "NHS number"),
        ("--email", "Email"),
        ("--phone", "Phone"),
        ("--postcode", "Postcode"),
        ("--received", "Date received"),
    ] {
        m = m.replace(flag, label);
    }
    m
}

/// The date a request was received: the form's date field (YYYY-MM-DD) or a day-first date.
fn received_of(f: &Fields) -> Result<chrono::NaiveDate, String> {
    let v = field(f, "received");
    if v.is_empty() {
        return Ok(chrono::Local::now().date_naive());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        if d > chrono::Local::now().date_naive() {
            return Err(format!("Date received {v:?} is in the future: check it"));
        }
        return Ok(d);
    }
    sar::check_date(v, "Date received")
}

fn sar_form_markup(session: &Session, f: &Fields, errors: &[String]) -> Markup {
    let today = chrono::Local::now().date_naive().format("%Y-%m-%d").to_string();
    let received = if field(f, "received").is_empty() { today } else { field(f, "received").to_string() };
    html! {
        h1 { "Subject access request" }
        @if !errors.is_empty() {
            div class="error" role="alert" id="errors" {
                h2 { "Please check the form" }
                ul { @for e in errors { li { (e) } } }
            }
        }
        p { "Give what you know about the person: the more details, the surer the matches. Then press Search." }
        form method="post" action="/sar" {
            (csrf_field(&session.csrf))
            @for (name, label, hint, kind) in SAR_FIELDS {
                label for=(name) { (label) @if !hint.is_empty() { span class="hint" id=(format!("{name}-hint")) { (hint) } } }
                input type=(kind) id=(name) name=(name) value=(field(f, name))
                    aria-describedby=[(!hint.is_empty()).then(|| format!("{name}-hint"))]
                    autocomplete="off";
            }
            label for="received" { "Date received" span class="hint" id="received-hint" { "When the request arrived: the reply is due one calendar month later." } }
            input type="date" id="received" name="received" value=(received) aria-describedby="received-hint";
            div { button type="submit" { "Search" } }
        }
    }
}

async fn sar_form(Extension(session): Extension<Session>) -> Response {
    page("Subject access", "/sar", sar_form_markup(&session, &vec![], &[]))
}

/// What a search found.
struct Found {
    matches: Vec<FileMatch>,
    unsearched: Vec<sar::Unsearched>,
    query: sar::Query,
}

fn search(app: &App, subject: &Subject) -> anyhow::Result<Found> {
    let mut map = crate::map::reader::Reader::open(&app.map)?;
    map.check_key(&app.key)?;
    let query = sar::Query::new(subject, &app.key);
    let matches = sar::search_db(&mut map.db(), &query)?;
    let unsearched = sar::unsearched_db(&mut map.db())?;
    Ok(Found { matches, unsearched, query })
}

/// Check the form; the subject and date received, or the messages to show.
fn check_sar_form(f: &Fields) -> Result<(Subject, chrono::NaiveDate), Vec<String>> {
    let subject = subject_of(f);
    let mut errors = Vec::new();
    if let Err(e) = subject.check() {
        errors.push(in_form_words(&e));
    }
    let received = received_of(f).map_err(|e| errors.push(in_form_words(&e))).ok();
    if subject.name.is_none() && subject.described().is_empty() {
        errors.push(
            "Fill in at least one detail: Full name, Date of birth, Email, NI number, NHS number, Phone or Postcode."
                .into(),
        );
    }
    match received {
        Some(r) if errors.is_empty() => Ok((subject, r)),
        _ => Err(errors),
    }
}

fn long_date(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

async fn sar_search(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let (subject, received) = match check_sar_form(&f) {
        Ok(x) => x,
        Err(errors) => {
            let body = sar_form_markup(&session, &f, &errors);
            return (StatusCode::UNPROCESSABLE_ENTITY, page("Subject access: check the form", "/sar", body))
                .into_response();
        }
    };
    let a = app.clone();
    let s = subject.clone();
    let found = match blocking(move || search(&a, &s)).await {
        Ok(found) => found,
        Err(e) => return failed("/sar", &e),
    };
    let deadline = sar::deadline(received);
    let entry = audit::Entry {
        action: "search".into(),
        searched: audit::searched(&found.query),
        received: received.to_string(),
        deadline: deadline.to_string(),
        files: found.matches.len() as i64,
        outcome: format!(
            "{} files matched; {} files or parts could not be searched",
            found.matches.len(),
            found.unsearched.len()
        ),
        safe: None,
        ..Default::default()
    };
    let map = app.map.clone();
    if let Err(e) = blocking(move || audit::record(&map, &entry)).await {
        return failed("/sar", &e);
    }
    let likely = found.matches.iter().filter(|m| m.likely()).count();
    let body = html! {
        h1 { "Subject access: results" }
        div class="notice" {
            p { strong { "Request received " (long_date(received)) ". The reply is due by " (long_date(deadline)) " (one calendar month)." } }
            p { "Searched for: " (subject.described().join("; ")) "." }
        }
        @if found.matches.is_empty() {
            p { "Nothing in the data map matches this person." }
        } @else {
            p { (found.matches.len()) " files mention this person, strongest first. Untick any file that should not go in the bundle." }
        }
        form method="post" action="/sar/bundle" {
            (csrf_field(&session.csrf))
            @for (name, _, _, _) in SAR_FIELDS { input type="hidden" name=(name) value=(field(&f, name)); }
            input type="hidden" name="received" value=(received.to_string());
            @for (i, m) in found.matches.iter().enumerate() {
                div class="match" {
                    h3 {
                        @if m.likely() {
                            label class="check" for=(format!("file-{}", m.file_id)) {
                                input type="checkbox" id=(format!("file-{}", m.file_id)) name="file" value=(m.file_id) checked;
                                span { (i + 1) ". " (m.path) }
                            }
                        } @else {
                            (i + 1) ". " (m.path)
                        }
                    }
                    p { "Why: " (m.why) " (score " (format!("{:.1}", m.score)) "; " (sar::thousands(m.count)) " places)" }
                    p class="small" { (m.abs) " · " (m.kind) " · changed " (m.modified) }
                    ul class="places" {
                        @for p in &m.places {
                            li { @if p.path != m.path { (p.path) " " } (p.what) ": " (sar::thousands(p.count)) " (" (p.at) ")" }
                        }
                    }
                    @if !m.likely() { p class="small" { "Not offered for the bundle: only the surname matched, with another first name." } }
                }
            }
            @if !found.unsearched.is_empty() {
                h2 { "Files that could not be searched" }
                p { (found.unsearched.len()) " files or parts could not be searched: the person may be in them. Check them by hand." }
                table { thead { tr { th { "File" } th { "Why" } } } tbody {
                    @for u in found.unsearched.iter().take(200) { tr { td { (u.path) } td { (u.status) ": " (u.reason) } } }
                } }
            }
            @if likely > 0 {
                h2 { "Bundle" }
                label class="check" for="redact_others" {
                    input type="checkbox" id="redact_others" name="redact_others" value="1" checked;
                    span { "Redact other people's personal data in the copies (recommended)" }
                }
                button type="submit" { "Build bundle" }
            }
        }
        p { a href="/sar" { "New search" } }
    };
    page("Subject access: results", "/sar", body)
}

/// The zip of a bundle folder: every file under `dir`, paths relative to it.
fn zip_folder(dir: &Path, zip_path: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    let file = std::fs::File::create(zip_path)?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e?;
        // Not the marker piisweep leaves in its output folders.
        if !e.file_type().is_file() || e.file_name() == ".piisweep-output" {
            continue;
        }
        let rel = e.path().strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
        zip.start_file(rel, opts)?;
        zip.write_all(&std::fs::read(e.path())?)?;
    }
    zip.finish()?.flush()?;
    Ok(())
}

async fn sar_bundle(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let (subject, received) = match check_sar_form(&f) {
        Ok(x) => x,
        Err(errors) => {
            return problem(StatusCode::UNPROCESSABLE_ENTITY, "/sar", "Please search again", &errors.join(" "));
        }
    };
    let ticked: BTreeSet<i64> = f.iter().filter(|(k, _)| k == "file").filter_map(|(_, v)| v.parse().ok()).collect();
    if ticked.is_empty() {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/sar",
            "No file was ticked",
            "Tick at least one file for the bundle, then press Build bundle again (use your browser's Back button).",
        );
    }
    let redact_others = !field(&f, "redact_others").is_empty();
    let a = app.clone();
    let built = blocking(move || {
        let found = search(&a, &subject)?;
        let chosen: Vec<FileMatch> = found.matches.into_iter().filter(|m| ticked.contains(&m.file_id)).collect();
        let request = sar::bundle::Request {
            whose: subject.whose(),
            searched: subject.described(),
            received,
            deadline: sar::deadline(received),
            unsearched: found.unsearched,
        };
        let id = format!("{}-{}", chrono::Local::now().format("%Y%m%d-%H%M%S"), &super::random_token()[..8]);
        let dir = a.out.join("bundles").join(&id);
        crate::outputs::prepare_folder("the bundle folder", &dir, false)?;
        let opts = sar::bundle::BundleOptions {
            dir: &dir,
            redact_others,
            limits: crate::formats::Limits::default(),
            min_confidence: 0.5,
            request: &request,
        };
        let report = sar::bundle::write(&chosen, &found.query, &a.key, &a.engine, &opts)?;
        let zip_path = a.out.join("bundles").join(format!("{id}.zip"));
        zip_folder(&dir, &zip_path)?;
        audit::record(
            &a.map,
            &audit::Entry {
                action: "bundle".into(),
                searched: audit::searched(&found.query),
                received: received.to_string(),
                deadline: request.deadline.to_string(),
                files: report.rows.len() as i64,
                outcome: format!(
                    "bundle of {} files written to {} and {}{}; {} left for manual review",
                    report.rows.len(),
                    dir.display(),
                    zip_path.display(),
                    if redact_others { ", other people's data redacted" } else { ", not redacted" },
                    report.review
                ),
                safe: Some(report.residual_total == 0),
                ..Default::default()
            },
        )?;
        a.downloads.lock().unwrap().insert(id.clone(), zip_path.clone());
        Ok((id, request, report, zip_path))
    })
    .await;
    let (id, request, report, zip_path) = match built {
        Ok(x) => x,
        Err(e) => return failed("/sar", &e),
    };
    let body = html! {
        h1 { "Bundle ready" }
        div class="notice" { p { strong { "Reply due by " (long_date(request.deadline)) } " (request received " (long_date(request.received)) ")." } }
        p { a href=(format!("/download/{id}")) download { "Download the bundle (.zip)" } }
        p class="small" { "Also kept at " (zip_path.display()) ". Open index.html inside it first." }
        p { (report.rows.len()) " files in the bundle." }
        @if report.review > 0 {
            div class="error" { p { (report.review) " files could not be redacted and were not copied: the index lists them for manual review." } }
        }
        @if redact_others {
            @if report.residual_total == 0 {
                div class="ok" { p { "Checked again after redaction: no other person's data was found in the copies." } }
            } @else {
                div class="error" role="alert" {
                    p { "The check after redaction still finds " (report.residual_total) " items of other people's data. Remove them before sending the bundle:" }
                    ul { @for r in report.residual.iter().take(100) { li { (r.copy) " " (r.location) ": " (category_words(r.category.as_str())) " " (r.masked) } } }
                }
            }
        } @else {
            div class="error" { p { "Other people's data was not redacted: check every copy before sending it." } }
        }
        p { a href="/sar" { "New search" } }
    };
    page("Bundle ready", "/sar", body)
}

async fn download(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    let path = app.downloads.lock().unwrap().get(&id).cloned();
    let Some(path) = path else {
        return problem(
            StatusCode::NOT_FOUND,
            "/sar",
            "No such bundle",
            "Build the bundle again from the Subject access page.",
        );
    };
    let p = path.clone();
    match blocking(move || Ok(std::fs::read(&p)?)).await {
        Ok(data) => (
            [
                (header::CONTENT_TYPE, "application/zip".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"subject-access-{id}.zip\"")),
            ],
            data,
        )
            .into_response(),
        Err(e) => failed("/sar", &anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

// ---- Anonymised export ------------------------------------------------------

/// The policy in plain words, one line per category.
fn policy_words(policy: &Policy) -> Vec<(String, String)> {
    crate::detect::Category::ALL
        .iter()
        .map(|&c| {
            let what = match policy.operator(c) {
                Operator::Pseudonymise { prefix } => {
                    let p = prefix.unwrap_or_else(|| crate::anonymise::operators::pseudonym_prefix(c).to_string());
                    format!("replaced by a code such as {p}7F3A9C; the same value always gets the same code")
                }
                Operator::Generalise { to: Some(crate::anonymise::policy::Generalise::Year) } => {
                    "only the year is kept".into()
                }
                Operator::Generalise { to: Some(crate::anonymise::policy::Generalise::AgeBand) } => {
                    "replaced by an age band, such as 30-39".into()
                }
                Operator::Generalise { to: None } => match c {
                    crate::detect::Category::Postcode => "only the first half (the district, e.g. SW1A) is kept".into(),
                    crate::detect::Category::Phone => "removed".into(),
                    _ => "made less precise".into(),
                },
                Operator::Redact { text } => format!("replaced by {}", text.unwrap_or_else(|| "[NAME]".into())),
                Operator::Mask { keep } => format!("hidden with stars, keeping the last {keep} characters"),
                Operator::Drop => "removed".into(),
            };
            let must =
                if policy.must_remove.contains(&c) { " Must not remain: the copies are checked for it." } else { "" };
            (category_words(c.as_str()).to_string(), format!("{what}.{must}"))
        })
        .collect()
}

async fn export_form(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let a = app.clone();
    let choices = blocking(move || Ok(a.roots.choices(3, 500))).await.unwrap_or_default();
    export_page(&app, &session, &choices, None, StatusCode::OK)
}

fn export_page(
    app: &App,
    session: &Session,
    choices: &[(String, String)],
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let policy = Policy::builtin();
    let body = html! {
        h1 { "Anonymised export" }
        @if let Some(e) = error { div class="error" role="alert" { p { (e) } } }
        @if choices.is_empty() {
            div class="error" { p { "No folder may be exported: start piisweep serve with --root FOLDER (the folders staff may export from)." } }
        } @else {
            form method="post" action="/export" {
                (csrf_field(&session.csrf))
                label for="folder" { "Folder to export" span class="hint" id="folder-hint" { "Copies of every file in it are made with personal data replaced as below." } }
                select id="folder" name="folder" aria-describedby="folder-hint" {
                    @for (value, label) in choices { option value=(value) { (label) } }
                }
                div { button type="submit" { "Make anonymised copies" } }
            }
        }
        h2 { "What happens to personal data" }
        table {
            thead { tr { th scope="col" { "Personal data" } th scope="col" { "In the copies" } } }
            tbody { @for (what, how) in policy_words(&policy) { tr { th scope="row" { (what) } td { (how) } } } }
        }
        p { "The originals are never changed. The copies go into a new folder under " code { (app.out.join("exports").display()) } ". "
            "Afterwards every copy is scanned again: the result says plainly whether they are safe to send." }
    };
    (status, page("Anonymised export", "/export", body)).into_response()
}

async fn export_start(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let source = match app.roots.confine(field(&f, "folder")) {
        Ok(s) => s,
        Err(e) => {
            let a = app.clone();
            let choices = blocking(move || Ok(a.roots.choices(3, 500))).await.unwrap_or_default();
            return export_page(&app, &session, &choices, Some(&e), StatusCode::FORBIDDEN);
        }
    };
    let name = source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "folder".into());
    let name: String =
        name.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let out = app.out.join("exports").join(format!(
        "{}-{name}-{}",
        chrono::Local::now().format("%Y%m%d-%H%M%S"),
        &super::random_token()[..6]
    ));
    let id = app.jobs.start(app.clone(), source, out);
    Redirect::to(&format!("/export/{id}")).into_response()
}

async fn export_status(State(app): State<Arc<App>>, UrlPath(id): UrlPath<u64>) -> Response {
    let Some(job) = app.jobs.get(id) else {
        return problem(
            StatusCode::NOT_FOUND,
            "/export",
            "No such export",
            "Start the export again from the Anonymised export page.",
        );
    };
    let result = job.result.lock().unwrap().clone();
    let Some(result) = result else {
        let total = job.total.load(std::sync::atomic::Ordering::Relaxed);
        let done = job.done.load(std::sync::atomic::Ordering::Relaxed);
        let body = html! {
            h1 { "Making anonymised copies" }
            p { "From " code { (job.source.display()) } }
            @if total == usize::MAX {
                p { "Listing the files…" }
            } @else if done < total {
                label for="progress" { "Files done: " (done) " of " (total) }
                progress id="progress" max=(total.max(1)) value=(done) { (done) " of " (total) }
            } @else {
                label for="progress" { "All " (total) " files copied; checking the copies again…" }
                progress id="progress" max=(total.max(1)) value=(done) { (done) " of " (total) }
            }
            p class="small" { "This page updates itself every two seconds." }
        };
        let mut resp = page("Export running", "/export", body);
        resp.headers_mut().insert(header::REFRESH, axum::http::HeaderValue::from_static("2"));
        return resp;
    };
    let body = match result {
        Err(e) => html! {
            h1 { "The export did not finish" }
            div class="error" role="alert" { p { (e) } }
            p { a href="/export" { "Try again" } }
        },
        Ok(o) => html! {
            h1 { "Export finished" }
            @if o.safe {
                div class="ok" role="status" { p { strong { "Safe to send." } " The copies were scanned again and none of the personal data the policy removes was found." } }
            } @else {
                div class="error" role="alert" { p { strong { "Not safe to send yet." }
                    @if o.must_remove_left > 0 { " The copies were scanned again and " (o.must_remove_left) " items of personal data are still there (listed below): those copies were deleted." }
                    @if !o.failed.is_empty() { " " (o.failed.len()) " files could not be copied (listed below)." }
                } }
            }
            p { (o.copied) " files copied to " code { (job.out.display()) } "." }
            @if !o.residual.is_empty() {
                h2 { "Found again in the copies" }
                table { thead { tr { th { "Copy" } th { "Where" } th { "What" } th { "Value (masked)" } } } tbody {
                    @for r in o.residual.iter().take(500) { tr { td { (r.copy) } td { (r.location) } td { (category_words(&r.category)) @if r.must_remove { " (must be removed)" } } td { (r.masked) } } }
                } }
            }
            @if !o.failed.is_empty() {
                h2 { "Could not be copied" }
                table { thead { tr { th { "File" } th { "Why" } } } tbody { @for (s, why) in &o.failed { tr { td { (s) } td { (why) } } } } }
            }
            @if !o.not_copied.is_empty() {
                h2 { "Left out on purpose" }
                table { thead { tr { th { "File" } th { "Why" } } } tbody { @for (s, why) in &o.not_copied { tr { td { (s) } td { (why) } } } } }
            }
            p { a href="/export" { "Export another folder" } }
        },
    };
    page("Export finished", "/export", body)
}

// ---- Data map ---------------------------------------------------------------

#[derive(serde::Deserialize)]
struct MapParams {
    older_than: Option<String>,
}

async fn data_map(State(app): State<Arc<App>>, Query(q): Query<MapParams>) -> Response {
    use crate::map::report::{self, Age, By};
    let age_text = q.older_than.unwrap_or_else(|| "7y".into());
    let age = match Age::parse(&age_text) {
        Ok(a) => a,
        Err(e) => return problem(StatusCode::UNPROCESSABLE_ENTITY, "/map", "Retention period not understood", &e),
    };
    let a = app.clone();
    let built = blocking(move || {
        let mut map = crate::map::reader::Reader::open(&a.map)?;
        let name = map.name();
        let mut out = Vec::new();
        for by in [By::Folder, By::Category, By::Type] {
            out.push(report::build_db(&mut map.db(), &name, by, age)?);
        }
        Ok(out)
    })
    .await;
    let reports = match built {
        Ok(r) => r,
        Err(e) => return failed("/map", &e),
    };
    let r = &reports[0];
    let chart = |rep: &report::MapReport, title: &str, words: bool| {
        let rows: Vec<(String, i64)> = rep
            .groups
            .iter()
            .take(15)
            .map(|g| (if words { category_words(&g.name).to_string() } else { g.name.clone() }, g.findings))
            .collect();
        bars(title, &rows)
    };
    let body = html! {
        h1 { "Data map" }
        p { "From " code { (r.map) } ". Last sweep: " (r.last_sweep.clone().unwrap_or_else(|| "none".into()))
            @if !r.last_sweep_complete { " (not complete: run the sweep again)" } "." }
        p { (r.totals.files_with_personal_data) " of " (r.totals.files) " files hold personal data (" (r.totals.findings) " items)." }
        h2 { "Where personal data lives" }
        (chart(&reports[0], "Items of personal data by folder", false))
        (chart(&reports[1], "Items by category", true))
        (chart(&reports[2], "Items by file type", false))
        details {
            summary { "The same figures as tables" }
            @for (rep, what) in reports.iter().zip(["Folder", "Category", "File type"]) {
                table {
                    thead { tr { th scope="col" { (what) } th scope="col" { "Files" } th scope="col" { "Items" } } }
                    tbody { @for g in &rep.groups { tr { td { (g.name) } td { (g.files) } td { (g.findings) } } } }
                }
            }
        }
        h2 { "Kept longer than " (r.older_than) }
        form method="get" action="/map" {
            label for="older_than" { "Retention period" span class="hint" id="older-hint" { "e.g. 12m for unsuccessful job applicants, 2y for complaints, 7y" } }
            input type="text" id="older_than" name="older_than" value=(age_text) aria-describedby="older-hint";
            div { button type="submit" { "Show" } }
        }
        @if r.retention.is_empty() {
            p { "No file with personal data was last changed before " (r.cutoff) "." }
        } @else {
            p { (r.retention.len()) " files with personal data were last changed before " (r.cutoff) ": review whether they should still be kept." }
            table { thead { tr { th { "File" } th { "Changed" } th { "Items" } } } tbody {
                @for f in r.retention.iter().take(500) { tr { td { (f.abs) } td { (f.modified) } td { (f.findings) } } }
            } }
        }
        h2 { "Files that could not be read" }
        @if r.unreadable.is_empty() {
            p { "Every file was read." }
        } @else {
            p { (r.unreadable.len()) " files or parts could not be read: they may hold personal data. Check them by hand." }
            table { thead { tr { th { "File" } th { "Why" } } } tbody {
                @for (p, why) in r.unreadable.iter().take(500) { tr { td { (p) } td { (why) } } }
            } }
        }
    };
    page("Data map", "/map", body)
}

// ---- Audit trail ---------------------------------------------------------------

async fn audit_page(State(app): State<Arc<App>>) -> Response {
    let map = app.map.clone();
    let entries = match blocking(move || audit::list(&map)).await {
        Ok(e) => e,
        Err(e) => return failed("/audit", &e),
    };
    let body = html! {
        h1 { "Audit trail" }
        p { "Every search, bundle and export made on this page, newest first. The details searched are kept only as keyed hashes, never as text." }
        p { a href="/audit.csv" download { "Download as CSV" } }
        @if entries.is_empty() {
            p { "Nothing has been done yet." }
        } @else {
            table {
                thead { tr { th scope="col" { "When (UTC)" } th scope="col" { "Action" } th scope="col" { "Due by" } th scope="col" { "Files" } th scope="col" { "What was done" } th scope="col" { "Re-scan clean" } } }
                tbody { @for e in &entries { tr {
                    td { (e.at) } td { (e.action) } td { (e.deadline) } td { (e.files) } td { (e.outcome) }
                    td { @match e.safe { Some(true) => "yes", Some(false) => "no", None => "" } }
                } } }
            }
        }
    };
    page("Audit trail", "/audit", body)
}

async fn audit_csv(State(app): State<Arc<App>>) -> Response {
    let map = app.map.clone();
    match blocking(move || audit::csv(&audit::list(&map)?)).await {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"piisweep-audit.csv\""),
            ],
            text,
        )
            .into_response(),
        Err(e) => failed("/audit", &e),
    }
}
