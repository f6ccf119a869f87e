//! The corpus is checked with the format's own readers: every label's value
//! is really at its location, every person-value in text files is labelled,
//! and generation is byte-for-byte deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use mailparse::{MailHeaderMap, ParsedMail};

use super::people::Pool;
use super::rng::Rng;
use super::values;
use super::*;

/// Generates the default corpus once per test into a temp dir.
fn corpus() -> (tempfile::TempDir, Vec<Label>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let labels = generate(dir.path(), &Options::default()).expect("generate");
    (dir, labels)
}

/// Every file under `root`, relative, `/`-separated, with its bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).into_iter().filter_map(|e| e.ok()) {
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.insert(rel, std::fs::read(e.path()).unwrap());
        }
    }
    out
}

fn unzip(bytes: &[u8], name: &str) -> Vec<u8> {
    let mut z = ::zip::ZipArchive::new(Cursor::new(bytes)).expect("zip opens");
    let mut f = z.by_name(name).unwrap_or_else(|_| panic!("no {name} in zip"));
    let mut out = Vec::new();
    f.read_to_end(&mut out).unwrap();
    out
}

/// The messages of an mbox, `>From ` unescaped (mboxrd).
fn mbox_messages(bytes: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    let mut msgs: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("From ") {
            msgs.push(String::new());
        } else if let Some(m) = msgs.last_mut() {
            let unescaped = match line.strip_prefix('>') {
                Some(rest) if rest.trim_start_matches('>').starts_with("From ") => rest,
                _ => line,
            };
            m.push_str(unescaped);
        }
    }
    msgs.into_iter().map(String::into_bytes).collect()
}

/// The text/plain part of a message.
fn plain_body(m: &ParsedMail) -> String {
    if m.subparts.is_empty() {
        return m.get_body().expect("body decodes");
    }
    m.subparts.iter().find(|p| p.ctype.mimetype == "text/plain").map(|p| p.get_body().unwrap()).expect("text part")
}

/// The bytes of a labelled path, following `!` into zips, attachments and mbox messages.
fn resolve(all: &BTreeMap<String, Vec<u8>>, path: &str) -> Vec<u8> {
    let mut parts = path.split('!');
    let outer = parts.next().unwrap();
    let mut bytes = all.get(outer).unwrap_or_else(|| panic!("missing file {outer}")).clone();
    let mut kind = outer.to_string();
    for inner in parts {
        bytes = if kind.ends_with(".zip") {
            unzip(&bytes, inner)
        } else if kind.ends_with(".gz") {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out).unwrap();
            out
        } else if kind.ends_with(".tgz") {
            let mut tar = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut tar).unwrap();
            let mut archive = tar::Archive::new(&tar[..]);
            let mut member = archive
                .entries()
                .unwrap()
                .map(Result::unwrap)
                .find(|e| e.path().unwrap().to_string_lossy() == inner)
                .unwrap_or_else(|| panic!("no member {inner}"));
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut member, &mut out).unwrap();
            out
        } else if kind.ends_with(".7z") {
            let mut reader =
                sevenz_rust2::ArchiveReader::new(std::io::Cursor::new(&bytes[..]), sevenz_rust2::Password::empty())
                    .unwrap();
            reader.read_file(inner).unwrap()
        } else if kind.ends_with(".mbox") {
            let n: usize = inner.parse().unwrap();
            mbox_messages(&bytes)[n - 1].clone()
        } else {
            let name = inner.strip_prefix("attachments/").expect("attachment path");
            let m = mailparse::parse_mail(&bytes).unwrap();
            let part = m
                .subparts
                .iter()
                .find(|p| p.get_content_disposition().params.get("filename").map(String::as_str) == Some(name))
                .unwrap_or_else(|| panic!("no attachment {name}"));
            part.get_body_raw().unwrap()
        };
        kind = inner.to_string();
    }
    bytes
}

/// The text at a location of a text-like file (txt, csv, mail), or None for other formats.
fn text_at(kind: &str, bytes: &[u8], location: &str) -> Option<String> {
    if kind.ends_with(".txt") {
        let n: usize = location.strip_prefix("line ")?.parse().ok()?;
        return String::from_utf8(bytes.to_vec()).ok()?.lines().nth(n - 1).map(str::to_string);
    }
    if kind.ends_with(".csv") {
        let (row, col) = location.strip_prefix("row ")?.split_once(", col ")?;
        let row: usize = row.parse().ok()?;
        let delim = if bytes.split(|b| *b == b'\n').next()?.contains(&b';') { b';' } else { b',' };
        let mut rdr = ::csv::ReaderBuilder::new().delimiter(delim).has_headers(false).from_reader(bytes);
        let recs: Vec<::csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
        let ci = recs[0].iter().position(|h| h == col)?;
        return recs.get(row - 1)?.get(ci).map(str::to_string);
    }
    if kind.ends_with(".eml") || kind.parse::<usize>().is_ok() {
        let m = mailparse::parse_mail(bytes).ok()?;
        if let Some(h) = location.strip_prefix("header ") {
            return m.headers.get_first_value(h);
        }
        let n: usize = location.strip_prefix("body line ")?.parse().ok()?;
        return plain_body(&m).lines().nth(n - 1).map(str::to_string);
    }
    None
}

#[test]
fn labels_of_text_formats_are_at_their_locations() {
    let (dir, labels) = corpus();
    let all = files(&dir.path().join("drive"));
    let mut checked = 0;
    // The Outlook store's labels are checked with its reader (below).
    for l in labels.iter().filter(|l| !l.path.contains(".pst!")) {
        let kind = l.path.rsplit('!').next().unwrap();
        let bytes = resolve(&all, &l.path);
        if let Some(text) = text_at(kind, &bytes, &l.location) {
            // A value over lines (a house name, its street on the next line)
            // starts at its location.
            let (first, rest) = l.value.split_once('\n').unwrap_or((&l.value, ""));
            assert!(text.contains(first), "{l:?} not in {text:?}");
            if !rest.is_empty() {
                let whole = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
                assert!(whole.contains(&l.value), "{l:?} not in the file");
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} labels checked");
}

/// Byte ranges of every whole-word occurrence of `needle` in `hay`.
fn occurrences(hay: &str, needle: &str) -> Vec<(usize, usize)> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    hay.match_indices(needle)
        .map(|(i, m)| (i, i + m.len()))
        .filter(|&(s, e)| !word(hay[..s].chars().next_back()) && !word(hay[e..].chars().next()))
        .collect()
}

#[test]
fn every_person_value_in_text_files_is_labelled() {
    let opts = Options::default();
    let (dir, labels) = corpus();
    let pool = Pool::new(&mut Rng::new(opts.seed), opts.scale);
    let mut needles: BTreeSet<String> = BTreeSet::new();
    for p in pool.everyone() {
        needles.extend([
            p.first.clone(),
            p.surname.clone(),
            p.kin.first.clone(),
            p.kin.surname.clone(),
            p.email.clone(),
        ]);
        needles.extend([p.postcode.clone(), p.postcode.to_lowercase(), p.postcode.replace(' ', "")]);
        let n = &p.nino;
        needles.extend([n.clone(), format!("{} {} {} {} {}", &n[..2], &n[2..4], &n[4..6], &n[6..8], &n[8..])]);
        let h = &p.nhs;
        needles.extend([
            h.clone(),
            format!("{} {} {}", &h[..3], &h[3..6], &h[6..]),
            format!("{}-{}-{}", &h[..3], &h[3..6], &h[6..]),
        ]);
        needles.extend([p.sort_code.clone(), p.account.clone(), p.street_line()]);
        needles.extend(p.card.clone());
    }
    let all = files(&dir.path().join("drive"));
    let mut text_paths: Vec<String> = all.keys().filter(|p| p.ends_with(".txt")).cloned().collect();
    text_paths.push("Archive/old-files.zip!Notes/helpline-log-2019.txt".into());
    let mut found = 0;
    for path in &text_paths {
        let text = String::from_utf8(resolve(&all, path)).unwrap();
        for (i, line) in text.lines().enumerate() {
            let loc = format!("line {}", i + 1);
            let spans: Vec<(usize, usize)> = labels
                .iter()
                .filter(|l| &l.path == path && l.location == loc)
                .flat_map(|l| occurrences(line, &l.value))
                .collect();
            for n in &needles {
                for (s, e) in occurrences(line, n) {
                    found += 1;
                    assert!(
                        spans.iter().any(|&(ls, le)| ls <= s && e <= le),
                        "{path} {loc}: {n:?} is not labelled in {line:?}"
                    );
                }
            }
        }
    }
    assert!(found > 150, "only {found} person-values seen");
}

#[test]
fn generation_is_deterministic_and_seeded() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    generate(a.path(), &Options::default()).unwrap();
    generate(b.path(), &Options::default()).unwrap();
    generate(c.path(), &Options { seed: 2, scale: 1, special: false }).unwrap();
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{k} differs between runs");
    }
    assert_ne!(fa["labels.jsonl"], fc["labels.jsonl"]);
}

#[test]
fn default_corpus_size_and_category_spread() {
    let (dir, labels) = corpus();
    let n_files = files(&dir.path().join("drive")).len();
    assert!((40..=70).contains(&n_files), "{n_files} files");
    assert!((400..=1100).contains(&labels.len()), "{} labels", labels.len());
    for cat in Cat::ALL {
        let n = labels.iter().filter(|l| l.category == cat).count();
        if cat.is_special() {
            assert_eq!(n, 0, "{cat:?}: planted only with Options::special");
        } else {
            assert!(n >= 15, "{cat:?}: {n}");
        }
    }
    let jsonl = std::fs::read_to_string(dir.path().join("labels.jsonl")).unwrap();
    let parsed: Vec<Label> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(parsed, labels);
    assert!(jsonl.contains(r#""category":"nhs_number""#));
    // Role mailboxes appear in the corpus but are never labelled.
    assert!(labels.iter().all(|l| !l.value.starts_with("referrals@") && !l.value.starts_with("info@")));
}

#[test]
fn labelled_identifiers_are_valid() {
    let (_dir, labels) = corpus();
    for l in &labels {
        let ok = match l.category {
            Cat::Nino => values::is_valid_nino(&l.value),
            Cat::NhsNumber => values::is_valid_nhs(&l.value),
            Cat::BankCard => values::luhn_ok(&l.value),
            Cat::SortCode => l.value.len() == 8 && l.value.matches('-').count() == 2,
            Cat::BankAccount => l.value.len() == 8 && l.value.bytes().all(|b| b.is_ascii_digit()),
            Cat::Name => !["Mr ", "Mrs ", "Ms ", "Miss ", "Dr "].iter().any(|t| l.value.starts_with(t)),
            _ => !l.value.trim().is_empty() && l.value.trim() == l.value,
        };
        assert!(ok, "{l:?}");
    }
}

/// Body paragraphs (outside tables) and table cells of a docx, as text.
fn docx_text(bytes: &[u8]) -> (Vec<String>, BTreeMap<String, String>) {
    use quick_xml::events::Event;
    let xml = String::from_utf8(unzip(bytes, "word/document.xml")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut paras, mut cells) = (Vec::new(), BTreeMap::new());
    let (mut table, mut row, mut cell, mut in_tbl) = (0, 0, 0, false);
    let mut cur = String::new();
    let mut in_t = false;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => match e.name().as_ref() {
                "w:tbl" => (table, row, in_tbl) = (table + 1, 0, true),
                "w:tr" => (row, cell) = (row + 1, 0),
                "w:tc" => cell += 1,
                "w:p" => cur.clear(),
                "w:t" => in_t = true,
                _ => {}
            },
            Event::Text(t) if in_t => cur.push_str(t.as_ref()),
            Event::GeneralRef(r) if in_t => {
                let s = match r.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    _ => "'",
                };
                cur.push_str(s);
            }
            Event::End(e) => match e.name().as_ref() {
                "w:tbl" => in_tbl = false,
                "w:t" => in_t = false,
                "w:p" if in_tbl => {
                    cells.insert(format!("table {table} row {row} cell {cell}"), cur.clone());
                }
                "w:p" => paras.push(cur.clone()),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    (paras, cells)
}

#[test]
fn binary_formats_open_with_their_readers_and_hold_the_labels() {
    let (dir, labels) = corpus();
    let all = files(&dir.path().join("drive"));
    let mut seen = BTreeMap::new();
    // The Outlook store's labels are checked with its reader (below).
    for l in labels.iter().filter(|l| !l.path.contains(".pst!")) {
        let kind = l.path.rsplit('!').next().unwrap();
        let ext = kind.rsplit('.').next().unwrap();
        let bytes = resolve(&all, &l.path);
        let text = match (ext, l.location.as_str()) {
            ("docx", "metadata creator") => String::from_utf8(unzip(&bytes, "docProps/core.xml")).unwrap(),
            ("xlsx", "metadata creator") => String::from_utf8(unzip(&bytes, "docProps/core.xml")).unwrap(),
            ("docx", loc) => {
                let (paras, cells) = docx_text(&bytes);
                match loc.strip_prefix("paragraph ") {
                    Some(n) => paras[n.parse::<usize>().unwrap() - 1].clone(),
                    None => cells[loc].clone(),
                }
            }
            ("xlsx", loc) => {
                let (sheet, cell) = loc.rsplit_once('!').unwrap();
                let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
                let range = wb.worksheet_range(sheet).unwrap();
                let col = u32::from(cell.as_bytes()[0] - b'A');
                let row: u32 = cell[1..].parse::<u32>().unwrap() - 1;
                match range.get_value((row, col)).unwrap() {
                    Data::String(s) => s.clone(),
                    Data::DateTime(d) => {
                        let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
                        (base + chrono::Days::new(d.as_f64() as u64)).format("%Y-%m-%d").to_string()
                    }
                    other => format!("{other}"),
                }
            }
            ("pdf", loc) => {
                let doc = lopdf::Document::load_mem(&bytes).unwrap();
                let page: u32 = loc.strip_prefix("page ").unwrap().parse().unwrap();
                doc.extract_text(&[page]).unwrap()
            }
            _ => continue,
        };
        assert!(text.contains(&l.value), "{l:?} not in {text:?}");
        *seen.entry(ext.to_string()).or_insert(0) += 1;
    }
    for ext in ["docx", "xlsx", "pdf"] {
        assert!(seen.get(ext).copied().unwrap_or(0) >= 10, "{seen:?}");
    }
}

#[test]
fn docx_runs_are_split_inside_labelled_values() {
    let (dir, labels) = corpus();
    let all = files(&dir.path().join("drive"));
    let split = labels
        .iter()
        .filter(|l| l.path.ends_with(".docx") && matches!(l.category, Cat::Name | Cat::Email))
        .filter(|l| {
            let xml = String::from_utf8(unzip(&resolve(&all, &l.path), "word/document.xml")).unwrap();
            !xml.contains(&docx::esc(&l.value))
        })
        .count();
    assert!(split >= 5, "only {split} names/emails split across runs");
}

#[test]
fn special_data_is_planted_only_when_asked_and_changes_nothing_else() {
    let (plain, plain_labels) = corpus();
    let dir = tempfile::tempdir().unwrap();
    let labels = generate(dir.path(), &Options { special: true, ..Options::default() }).unwrap();
    for cat in Cat::SPECIAL {
        let n = labels.iter().filter(|l| l.category == cat).count();
        assert!(n >= 15, "{cat:?}: {n}");
    }
    // The default drive's files and labels are all there, byte for byte.
    let (a, b) = (files(&plain.path().join("drive")), files(&dir.path().join("drive")));
    for (path, bytes) in &a {
        assert!(b.get(path) == Some(bytes), "{path} changed with special data planted");
    }
    assert!(b.len() > a.len());
    assert_eq!(&labels[..plain_labels.len()], &plain_labels[..]);
    // Answers that reveal nothing are never labelled.
    assert!(labels.iter().all(|l| !["Prefer not to say", "None", "N/A", "No", ""].contains(&l.value.as_str())));
}

/// The Outlook store opens with piisweep's reader, and each of its labels
/// is in the text of the item, attached message or attachment it names.
#[test]
fn the_outlook_store_holds_its_labels_where_they_say() {
    use piisweep::formats::container::{Visit, walk};
    use piisweep::formats::{Input, Limits, Segment};
    #[derive(Default)]
    struct Texts(BTreeMap<String, String>);
    impl Visit for Texts {
        fn segment(&mut self, path: &str, seg: Segment<'_>) {
            let text = self.0.entry(path.to_string()).or_default();
            text.push_str(seg.text);
            text.push('\n');
        }
    }
    let (dir, labels) = corpus();
    let store = "Mail/casework.pst";
    let bytes = std::fs::read(dir.path().join("drive").join(store)).unwrap();
    let (texts, read) = walk(store, &Input::Bytes(&bytes), Texts::default(), &Limits::default());
    read.expect("the store is read");
    let ours: Vec<_> = labels.iter().filter(|l| l.path.starts_with("Mail/casework.pst!")).collect();
    assert!(ours.len() >= 20, "{} labels in the store", ours.len());
    assert!(
        ours.iter().any(|l| l.path.contains(".eml!attachments/contacts.csv")),
        "an attachment of an attached message"
    );
    for l in ours {
        let text = texts.0.get(&l.path).unwrap_or_else(|| panic!("{} not read: {:?}", l.path, texts.0.keys()));
        assert!(text.contains(&l.value), "{l:?} not in {text:?}");
    }
}
