//! The HTML: one layout, the style sheet, and the pieces the pages share.
//! Plain server-rendered HTML (maud escapes every value), no script.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// The style sheet, served as `/style.css` (no outside resource). Colours
/// meet WCAG 2.2 AA contrast (text at least 4.5:1 on its background); every
/// control shows a thick focus ring.
pub const CSS: &str = r#"
:root { --ink: #1b1b1b; --muted: #4a4a4a; --link: #0b4f9c; --line: #8a8a8a; --ok: #0d6b2e; --bad: #a4161a; --bar: #0b4f9c; }
* { box-sizing: border-box; }
body { margin: 0; font: 1.05rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink); background: #fff; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #b35c00; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; }
header { background: #12263f; color: #fff; padding: .75rem 1.25rem; }
header a { color: #fff; }
header .brand { font-weight: 700; margin-right: 1.5rem; text-decoration: none; }
nav ul { list-style: none; margin: 0; padding: 0; display: inline-flex; flex-wrap: wrap; gap: 1.25rem; }
nav a[aria-current] { font-weight: 700; }
main { max-width: 62rem; padding: 1rem 1.25rem 3rem; margin: 0 auto; }
h1 { font-size: 1.6rem; }
label { display: block; font-weight: 600; margin-top: .9rem; }
.hint { display: block; color: var(--muted); font-weight: 400; font-size: .95rem; }
input[type=text], input[type=email], input[type=date], select { font: inherit; padding: .35rem .5rem; border: 2px solid var(--line); border-radius: 3px; width: 100%; max-width: 28rem; }
input[type=checkbox] { width: 1.2rem; height: 1.2rem; vertical-align: middle; }
.check { display: flex; gap: .5rem; align-items: flex-start; font-weight: 400; }
button { font: inherit; font-weight: 600; margin-top: 1.2rem; padding: .5rem 1.2rem; background: #0b4f9c; color: #fff; border: 2px solid #0b4f9c; border-radius: 4px; cursor: pointer; }
button:hover { background: #083b75; }
.error { border-left: 5px solid var(--bad); padding: .5rem 1rem; background: #fdeeee; }
.ok { border-left: 5px solid var(--ok); padding: .5rem 1rem; background: #eaf6ee; }
.notice { border-left: 5px solid #12263f; padding: .5rem 1rem; background: #eef2f7; }
table { border-collapse: collapse; width: 100%; margin: .75rem 0; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #c8c8c8; vertical-align: top; }
th { background: #eef2f7; }
.match { border: 1px solid #c8c8c8; border-radius: 4px; padding: .5rem .9rem; margin: .75rem 0; }
.match h3 { margin: .2rem 0; font-size: 1.05rem; word-break: break-all; }
.small { color: var(--muted); font-size: .95rem; }
ul.places { margin: .25rem 0; }
progress { width: 100%; max-width: 32rem; height: 1.5rem; }
svg text { fill: var(--ink); font-size: 13px; }
svg rect.bar { fill: var(--bar); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
.card { border: 1px solid #c8c8c8; border-radius: 4px; padding: .5rem 1rem; }
"#;

/// The four pages in the menu: (path, title).
const NAV: &[(&str, &str)] =
    &[("/sar", "Subject access"), ("/export", "Anonymised export"), ("/map", "Data map"), ("/audit", "Audit trail")];

/// A whole page: `current` is the menu entry it belongs to.
pub fn layout(title: &str, current: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " - piisweep" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                a class="skip" href="#main" { "Skip to main content" }
                header {
                    nav aria-label="Main" {
                        a class="brand" href="/" { "piisweep" }
                        ul {
                            @for (href, name) in NAV {
                                li { a href=(href) aria-current=[(*href == current).then_some("page")] { (name) } }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    }
}

/// A page as a response.
pub fn page(title: &str, current: &str, body: Markup) -> Response {
    Html(layout(title, current, body).into_string()).into_response()
}

/// A page saying why a request was refused (with no data from the map).
pub fn refused(status: StatusCode, title: &str, what_to_do: &str) -> Response {
    let body = html! {
        (DOCTYPE)
        html lang="en-GB" {
            head { meta charset="utf-8"; title { (title) " - piisweep" } }
            body { main { h1 { (title) } p { (what_to_do) } } }
        }
    };
    (status, Html(body.into_string())).into_response()
}

/// An error page inside the layout, saying what to do.
pub fn problem(status: StatusCode, current: &str, title: &str, what_to_do: &str) -> Response {
    let body = html! {
        h1 { (title) }
        div class="error" role="alert" { p { (what_to_do) } }
        p { a href=(current) { "Go back" } }
    };
    (status, page(title, current, body)).into_response()
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A horizontal bar chart as inline SVG (with a text alternative), one bar per (label, value).
pub fn bars(title: &str, rows: &[(String, i64)]) -> Markup {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let row_h = 26;
    let label_w = 260;
    let bar_w = 380;
    let height = row_h * rows.len().max(1) + 6;
    let summary: Vec<String> = rows.iter().map(|(l, v)| format!("{l}: {v}")).collect();
    html! {
        figure {
            figcaption { strong { (title) } }
            svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(format!("{title}. {}", summary.join("; ")))
                width=(label_w + bar_w + 70) height=(height) viewBox=(format!("0 0 {} {height}", label_w + bar_w + 70)) {
                @for (i, (label, v)) in rows.iter().enumerate() {
                    @let y = i * row_h + 4;
                    @let w = ((*v as f64 / max as f64) * bar_w as f64).round().max(1.0) as i64;
                    @let short = if label.chars().count() > 36 { format!("…{}", label.chars().rev().take(35).collect::<Vec<_>>().into_iter().rev().collect::<String>()) } else { label.clone() };
                    text x="0" y=(y + 15) { (short) }
                    rect class="bar" x=(label_w) y=(y) width=(w) height=(row_h - 8) {}
                    text x=(label_w + w + 6) y=(y + 15) { (v) }
                }
            }
        }
    }
}

/// Plain words for a category of personal data.
pub fn category_words(cat: &str) -> &'static str {
    match cat {
        "name" => "Names",
        "dob" => "Dates of birth",
        "nino" => "National Insurance numbers",
        "postcode" => "Postcodes",
        "phone" => "Phone numbers",
        "email" => "Email addresses",
        "nhs_number" => "NHS numbers",
        "bank_card" => "Bank card numbers",
        "sort_code" => "Sort codes",
        "bank_account" => "Bank account numbers",
        "address" => "Street addresses",
        _ => "Other personal data",
    }
}
