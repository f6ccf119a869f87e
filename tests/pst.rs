//! Outlook data files (PST/OST) through the real binary: every item read as
//! a message under its folder path, a damaged item or store reported with
//! its reason (exit 3) while the rest is read, a store inside a zip read
//! from memory, and the map recording items.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{bin, quads, scan_reveal};

const STORE: &str = "tests/data/pst/dist-list.pst";

fn copy_store(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(STORE, &path).unwrap();
    path
}

#[test]
fn items_are_read_under_their_folder_paths_and_an_item_the_crate_cannot_open_is_read_from_its_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Mail");
    std::fs::create_dir(&root).unwrap();
    copy_store(&root, "jsmith.pst");
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let found = quads(&lines);
    let contact = "jsmith.pst!Contacts/2014-05-25 contact name 1";
    assert!(
        found.iter().any(|(p, l, c, v)| p.ends_with(contact)
            && l.starts_with("body line")
            && c == "email"
            && v == "contact1@rjohnson.id.au"),
        "{found:?}\n{stderr}"
    );
    // The distribution list cannot be opened by the crate (it has no sub-node
    // tree): it is read from its row in the folder's contents table, under its
    // name, and the summary warns that only that much was read.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let loud = bin().arg("scan").arg(&root).arg("--key").arg(tmp.path().join("k.key")).output().unwrap();
    let said = String::from_utf8_lossy(&loud.stderr);
    assert!(said.contains("Contacts/test dist list: only the folder's summary of this item could be read"), "{said}");
    let out = bin().arg("extract").arg(root.join("jsmith.pst")).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.contains("jsmith.pst!Contacts/test dist list") && l.contains("\"header Subject\"")),
        "{text}"
    );
}

#[test]
fn the_text_of_each_item_is_what_outlook_shows() {
    let out = bin().arg("extract").arg(STORE).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let appointment = "dist-list.pst!Calendar/2016-08-02 Test appointment";
    for (path, location, expected) in [
        (appointment, "header Subject", "Test appointment"),
        (appointment, "body line 1", "This is a complete test"),
        ("dist-list.pst!Contacts/2014-05-25 contact name 1", "body line", "Given name: contact"),
        ("dist-list.pst!Contacts/2014-05-25 contact name 1", "body line", "Surname: 1"),
    ] {
        assert!(
            text.lines().any(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["path"] == path
                    && v["location"].as_str().unwrap().starts_with(location)
                    && v["text"].as_str().unwrap().contains(expected)
            }),
            "{path} {location} {expected}:\n{text}"
        );
    }
}

#[test]
fn a_damaged_store_is_reported_with_its_reason_and_the_other_files_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir(&root).unwrap();
    let data = std::fs::read(STORE).unwrap();
    std::fs::write(root.join("truncated.pst"), &data[..20_000]).unwrap();
    // The header and root pages overwritten: not a store any more.
    let mut overwritten = data.clone();
    overwritten[200..60_000].fill(0x5A);
    std::fs::write(root.join("overwritten.ost"), &overwritten).unwrap();
    // A store of a format version after 36 (the 4 KB-page OSTs of Outlook
    // 2013+): a kind piisweep does not know, said so with what to do.
    let mut ost_2013 = data.clone();
    ost_2013[10..12].copy_from_slice(&37u16.to_le_bytes());
    std::fs::write(root.join("cache.ost"), &ost_2013).unwrap();
    std::fs::write(root.join("note.txt"), "Contact jane.roberts@example.org about the referral.\n").unwrap();
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    for name in ["truncated.pst", "overwritten.ost"] {
        assert!(
            stderr.lines().any(|l| l.contains(name) && l.contains("corrupt or unreadable Outlook")),
            "{name}: {stderr}"
        );
    }
    assert!(
        stderr.lines().any(|l| l.contains("cache.ost")
            && l.contains("version piisweep does not know (37)")
            && l.contains("export")),
        "{stderr}"
    );
    assert!(quads(&lines).iter().any(|q| q.3 == "jane.roberts@example.org"), "{stderr}");
}

#[test]
fn a_store_inside_a_zip_is_read_from_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("backup.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    w.start_file("old/archive.pst", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(&std::fs::read(STORE).unwrap()).unwrap();
    w.finish().unwrap();
    let (out, lines) = scan_reveal(&[&zip_path], &[], tmp.path());
    let found = quads(&lines);
    assert!(
        found.iter().any(|(p, _, _, v)| p.ends_with("backup.zip!old/archive.pst!Contacts/2014-05-25 contact name 1")
            && v == "contact1@rjohnson.id.au"),
        "{found:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_map_records_items() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Mail");
    std::fs::create_dir(&root).unwrap();
    copy_store(&root, "jsmith.pst");
    let db = tmp.path().join("map.db");
    let out = bin().arg("scan").arg(&root).arg(format!("--map={}", db.display())).arg("--quiet").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let all = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    // An item with findings is a path of the map, as a zip member is.
    let paths = all("SELECT path FROM paths");
    assert!(paths.iter().any(|p| p == "jsmith.pst!Contacts/2014-05-25 contact name 1"), "{paths:?}");
    let kind: String = conn.query_row("SELECT kind FROM files", [], |r| r.get(0)).unwrap();
    assert_eq!(kind, "pst");
}

#[test]
fn a_bundle_holds_each_matching_item_as_an_eml() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Mail");
    std::fs::create_dir(&root).unwrap();
    copy_store(&root, "jsmith.pst");
    let db = tmp.path().join("map.db");
    let out = bin().arg("scan").arg(&root).arg(format!("--map={}", db.display())).arg("--quiet").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let bundle = tmp.path().join("bundle");
    let out = bin()
        .args(["sar", "--email", "contact1@rjohnson.id.au", "--map"])
        .arg(&db)
        .arg("--bundle")
        .arg(&bundle)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let copies: Vec<PathBuf> = std::fs::read_dir(bundle.join("files")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(copies.len(), 1, "{copies:?}\n{stdout}");
    let copy = &copies[0];
    assert!(copy.to_string_lossy().ends_with("contact name 1.eml"), "{copy:?}");
    // The copy is a message any mail program opens, with the item's text.
    let data = std::fs::read(copy).unwrap();
    let mail = mailparse::parse_mail(&data).unwrap();
    assert_eq!(
        mailparse::MailHeaderMap::get_first_value(mail.headers.as_slice(), "Subject").unwrap(),
        "contact name 1"
    );
    let body = mail.subparts[0].get_body().unwrap();
    assert!(body.contains("contact1@rjohnson.id.au") && body.contains("Given name: contact"), "{body}");
}

#[test]
fn anonymise_writes_the_store_as_a_folder_tree_of_eml_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let mail = root.join("Mail");
    std::fs::create_dir_all(&mail).unwrap();
    copy_store(&mail, "jsmith.pst");
    let out_dir = tmp.path().join("anon");
    let key = tmp.path().join("k.key");
    std::fs::write(&key, format!("{}\n", "07".repeat(32))).unwrap();
    let out = bin().arg("anonymise").arg(&root).arg("--out").arg(&out_dir).arg("--key").arg(&key).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{text}");
    let tree = out_dir.join("Mail/jsmith-outlook");
    let contact = std::fs::read(tree.join("Contacts/2014-05-25 contact name 1.eml")).unwrap();
    let appointment = tree.join("Calendar/2016-08-02 Test appointment.eml");
    assert!(appointment.is_file(), "{text}");
    // A message any mail program (and Outlook, by drag and drop) opens, the
    // contact's address replaced.
    let parsed = mailparse::parse_mail(&contact).unwrap();
    let body = parsed.subparts[0].get_body().unwrap();
    assert!(body.contains("Given name: contact") && !body.contains("contact1@rjohnson.id.au"), "{body}");
    assert!(text.contains("Mail/jsmith.pst -> Mail/jsmith-outlook: redact email 2"), "{text}");
    assert!(text.contains("Outlook imports them"), "{text}");
    // The distribution list, read from its summary, is copied as such.
    assert!(tree.join("Contacts/test dist list.eml").is_file(), "{text}");
    assert!(text.contains("Contacts/test dist list: only the folder's summary"), "{text}");
    assert!(text.contains("Verified: 1 of 1 copy re-scanned"), "{text}");
}

/// An item of a store's copy that the re-scan still finds data in which the
/// policy must remove is deleted on its own and listed; the store's other
/// items stay (one doubtful message does not cost the whole mailbox).
#[test]
fn an_item_that_could_not_be_made_clean_is_left_out_of_the_store_copy_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(&root).unwrap();
    copy_store(&root, "jsmith.pst");
    // Masking that keeps every character leaves the contact's address.
    let policy = tmp.path().join("leaky.toml");
    std::fs::write(&policy, "must_remove = [\"email\"]\n[categories]\nemail = { operator = \"mask\", keep = 80 }\n")
        .unwrap();
    let out_dir = tmp.path().join("anon");
    let out = bin()
        .arg("anonymise")
        .arg(&root)
        .arg("--out")
        .arg(&out_dir)
        .arg("--key")
        .arg(tmp.path().join("k.key"))
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(4), "{text}");
    let tree = out_dir.join("jsmith-outlook");
    assert!(!tree.join("Contacts/2014-05-25 contact name 1.eml").exists(), "{text}");
    assert!(
        text.contains(
            "left out: jsmith-outlook/Contacts/2014-05-25 contact name 1.eml: the re-scan of its copy still found email"
        ),
        "{text}"
    );
    assert!(tree.join("Calendar/2016-08-02 Test appointment.eml").is_file(), "{text}");
    assert!(tree.join("Contacts/test dist list.eml").is_file(), "{text}");
    assert!(!text.contains("jsmith.pst: not copied"), "{text}");
    // What is left holds none of it.
    let left: Vec<PathBuf> =
        walkdir::WalkDir::new(&tree).into_iter().map(|e| e.unwrap().into_path()).filter(|p| p.is_file()).collect();
    assert!(!left.is_empty());
    for file in left {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("contact1@rjohnson.id.au"), "{}", file.display());
    }
}

// ---- a store generated in the test: a message attached to a message ----

use piisweep_testkit::pst as store_gen;

/// Planted in the outer message and its CSV attachment.
const OUTER_EMAIL: &str = "margaret.ellison@example.org";
const OUTER_CSV_EMAIL: &str = "priya.natarajan@example.net";
/// Planted only inside the attached message: its headers, body and its own
/// CSV attachment.
const INNER_FROM: &str = "rhiannon.pugh@example.com";
const INNER_BODY_EMAIL: &str = "daniel.okafor@example.net";
const INNER_BODY_PHONE: &str = "07700 900461";
const INNER_CSV_PHONE: &str = "07700 900782";
const INNER_CSV_EMAIL: &str = "samira.haddad@example.net";

fn person(name: &str, address: &str, kind: i32) -> store_gen::Recipient {
    store_gen::Recipient { name: name.into(), address: address.into(), kind }
}

fn generated_store() -> store_gen::Store {
    let inner = store_gen::Message {
        subject: "Safeguarding concern".into(),
        from_name: "Rhiannon Pugh".into(),
        from_address: INNER_FROM.into(),
        recipients: vec![person("Owen Brierley", "owen.brierley@example.co.uk", 1)],
        sent: 1_695_900_000, // 2023-09-28
        body: format!(
            "Daniel Okafor lives at 14 Mill Lane, Leeds. His mobile is {INNER_BODY_PHONE} and his email {INNER_BODY_EMAIL}.\r\n"
        ),
        attachments: vec![store_gen::Attachment::File {
            name: "contacts.csv".into(),
            mime: "text/csv".into(),
            data: format!("name,phone,email\nSamira Haddad,{INNER_CSV_PHONE},{INNER_CSV_EMAIL}\n").into_bytes(),
        }],
    };
    let outer = store_gen::Message {
        subject: "Referral for the youth club".into(),
        from_name: "Margaret Ellison".into(),
        from_address: OUTER_EMAIL.into(),
        recipients: vec![person("Intake Team", "intake@example.org", 1)],
        sent: 1_696_400_000, // 2023-10-04
        body: "Please see the list attached, and the message forwarded to me.\r\n".into(),
        attachments: vec![
            store_gen::Attachment::File {
                name: "referrals.csv".into(),
                mime: "text/csv".into(),
                data: format!("name,email\nPriya Natarajan,{OUTER_CSV_EMAIL}\n").into_bytes(),
            },
            store_gen::Attachment::Message(Box::new(inner)),
        ],
    };
    let other = store_gen::Message {
        subject: "Rota".into(),
        from_name: "Tom Ashby".into(),
        from_address: "tom.ashby@example.org".into(),
        recipients: vec![person("Volunteers", "volunteers@example.org", 1)],
        sent: 1_696_500_000,
        body: "Saturday shifts are on the board.\r\n".into(),
        attachments: Vec::new(),
    };
    store_gen::Store {
        name: "Youth club".into(),
        folders: vec![store_gen::Folder {
            name: "Inbox".into(),
            messages: vec![outer],
            folders: vec![store_gen::Folder { name: "Rotas".into(), messages: vec![other], folders: Vec::new() }],
        }],
    }
}

const ITEM: &str = "club.pst!Inbox/2023-10-04 Referral for the youth club";
const ATTACHED: &str = "club.pst!Inbox/2023-10-04 Referral for the youth club!attachments/Safeguarding concern.eml";

#[test]
fn an_attached_message_and_its_own_attachment_are_read_with_paths_that_name_them() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Mail");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("club.pst"), store_gen::write(&generated_store())).unwrap();
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let found = quads(&lines);
    let has = |path: &str, location: &str, value: &str| {
        found.iter().any(|(p, l, _, v)| p == path && l.starts_with(location) && v == value)
    };
    assert!(has(ITEM, "header From", OUTER_EMAIL), "{found:?}");
    assert!(has(&format!("{ITEM}!attachments/referrals.csv"), "row 2", OUTER_CSV_EMAIL), "{found:?}");
    // The attached message: its headers and body, as an .eml of its own ...
    assert!(has(ATTACHED, "header From", INNER_FROM), "{found:?}");
    assert!(has(ATTACHED, "body line 1", INNER_BODY_EMAIL), "{found:?}");
    assert!(has(ATTACHED, "body line 1", INNER_BODY_PHONE), "{found:?}");
    // ... and its own attachment, under it.
    let inner_csv = format!("{ATTACHED}!attachments/contacts.csv");
    assert!(has(&inner_csv, "row 2", INNER_CSV_PHONE), "{found:?}");
    assert!(has(&inner_csv, "row 2", INNER_CSV_EMAIL), "{found:?}");
    // The other folder is read too.
    assert!(found.iter().any(|q| q.0 == "club.pst!Inbox/Rotas/2023-10-05 Rota" && q.3 == "tom.ashby@example.org"));
}

fn scan_to_map(root: &Path, db: &Path) {
    let out = bin().arg("scan").arg(root).arg(format!("--map={}", db.display())).arg("--quiet").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_bundle_for_a_person_named_only_in_an_attached_message_holds_that_message() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Mail");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("club.pst"), store_gen::write(&generated_store())).unwrap();
    let db = tmp.path().join("map.db");
    scan_to_map(&root, &db);
    let bundle = tmp.path().join("bundle");
    let out = bin()
        .args(["sar", "--email", INNER_BODY_EMAIL, "--map"])
        .arg(&db)
        .arg("--bundle")
        .arg(&bundle)
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let copies: Vec<PathBuf> = walkdir::WalkDir::new(bundle.join("files"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}\n{said}");
    let data = std::fs::read(&copies[0]).unwrap();
    let mail = mailparse::parse_mail(&data).unwrap();
    let header = |m: &mailparse::ParsedMail, name: &str| {
        mailparse::MailHeaderMap::get_first_value(m.headers.as_slice(), name).unwrap_or_default()
    };
    // The attached message that names the person, as an .eml of its own
    // with its own attachment -- not the item it was attached to, whose
    // other attachment (a list of other people) is not the person's data.
    assert_eq!(header(&mail, "Subject"), "Safeguarding concern", "{}", String::from_utf8_lossy(&data));
    assert!(header(&mail, "From").contains(INNER_FROM));
    assert!(mail.subparts[0].get_body().unwrap().contains(INNER_BODY_EMAIL));
    assert_eq!(
        mail.subparts[1].get_content_disposition().params.get("filename").map(String::as_str),
        Some("contacts.csv")
    );
    assert!(!String::from_utf8_lossy(&data).contains(OUTER_CSV_EMAIL), "{}", String::from_utf8_lossy(&data));
}

#[test]
fn anonymise_removes_the_personal_data_of_an_attached_message_and_keeps_its_structure() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let mail = root.join("Mail");
    std::fs::create_dir_all(&mail).unwrap();
    std::fs::write(mail.join("club.pst"), store_gen::write(&generated_store())).unwrap();
    let out_dir = tmp.path().join("anon");
    let key = tmp.path().join("k.key");
    std::fs::write(&key, format!("{}\n", "07".repeat(32))).unwrap();
    let out = bin().arg("anonymise").arg(&root).arg("--out").arg(&out_dir).arg("--key").arg(&key).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{text}");
    let tree = out_dir.join("Mail/club-outlook");
    let item = tree.join("Inbox/2023-10-04 Referral for the youth club.eml");
    let data = std::fs::read(&item).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(tree.join("Inbox/Rotas/2023-10-05 Rota.eml").is_file(), "{text}");
    // Structure kept: the CSV, and the attached message with its own CSV.
    let parsed = mailparse::parse_mail(&data).unwrap();
    let types: Vec<String> = parsed.subparts.iter().map(|p| p.ctype.mimetype.clone()).collect();
    assert_eq!(types, ["text/plain", "text/csv", "message/rfc822"], "{}", String::from_utf8_lossy(&data));
    let inner_raw = parsed.subparts[2].get_body_raw().unwrap();
    let inner = mailparse::parse_mail(&inner_raw).unwrap();
    let inner_types: Vec<String> = inner.subparts.iter().map(|p| p.ctype.mimetype.clone()).collect();
    assert_eq!(inner_types, ["text/plain", "text/csv"], "{}", String::from_utf8_lossy(&data));
    let inner_text = inner.subparts[0].get_body().unwrap();
    assert!(
        inner_text.contains("lives at") && inner_text.contains("His mobile is"),
        "{inner_text}\n{}",
        String::from_utf8_lossy(&data)
    );
    // None of the planted values is left, at any depth: not in the bytes of
    // the copy, nor found by a scan of the copy.
    let all = std::fs::read(&item).unwrap();
    let inner_csv = String::from_utf8(inner.subparts[1].get_body_raw().unwrap()).unwrap();
    let inner_body = inner.subparts[0].get_body().unwrap();
    let planted = [
        OUTER_EMAIL,
        OUTER_CSV_EMAIL,
        INNER_FROM,
        INNER_BODY_EMAIL,
        INNER_BODY_PHONE,
        INNER_CSV_PHONE,
        INNER_CSV_EMAIL,
    ];
    for value in planted {
        assert!(!String::from_utf8_lossy(&all).contains(value), "{value} left in the copy");
        assert!(!inner_csv.contains(value) && !inner_body.contains(value), "{value} left in the attached message");
    }
    let (rescan, lines) = scan_reveal(&[&out_dir], &[], tmp.path());
    let left: Vec<_> = quads(&lines).into_iter().filter(|q| planted.contains(&q.3.as_str())).collect();
    assert!(left.is_empty(), "{left:?}\n{}", String::from_utf8_lossy(&rescan.stderr));
}

#[test]
fn a_damaged_attached_message_is_reported_with_its_reason_and_the_rest_of_the_store_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Mail");
    std::fs::create_dir(&root).unwrap();
    let written = store_gen::write_with_map(&generated_store());
    let mut bytes = written.bytes;
    // The attached message's property context block overwritten (its data
    // and trailer): it cannot be read.
    let (at, size) = written.embedded_message_blocks[0];
    bytes[at..at + size].fill(0xA5);
    std::fs::write(root.join("club.pst"), &bytes).unwrap();
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("Referral for the youth club") && l.contains("attachment 2") && l.contains("corrupt")),
        "{stderr}"
    );
    let found = quads(&lines);
    // The rest of the item and of the store is read.
    assert!(found.iter().any(|q| q.0 == ITEM && q.3 == OUTER_EMAIL), "{found:?}");
    assert!(found.iter().any(|q| q.0.ends_with("!attachments/referrals.csv") && q.3 == OUTER_CSV_EMAIL), "{found:?}");
    assert!(found.iter().any(|q| q.3 == "tom.ashby@example.org"), "{found:?}");
    assert!(!found.iter().any(|q| q.3 == INNER_BODY_EMAIL), "{found:?}");
}

#[test]
fn attached_messages_two_deep_and_an_attachment_kept_in_a_sub_node_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("sample.pst");
    std::fs::write(&path, store_gen::write(&store_gen::sample_store())).unwrap();
    let out = bin().arg("extract").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let has = |path: &str, expected: &str| {
        lines.iter().any(|v| v["path"] == path && v["text"].as_str().unwrap().contains(expected))
    };
    let outer = "sample.pst!Inbox/2023-10-04 Outer";
    // 5000 bytes: more than a heap allocation holds, so kept in a sub-node.
    assert!(has(&format!("{outer}!attachments/big.csv"), "0123456789"), "{text}");
    let inner = format!("{outer}!attachments/Inner.eml");
    assert!(has(&inner, "Body of Inner"), "{text}");
    assert!(has(&format!("{inner}!attachments/in.csv"), "x"), "{text}");
    let innermost = format!("{inner}!attachments/Innermost.eml");
    assert!(has(&innermost, "Body of Innermost"), "{text}");
    assert!(has(&innermost, "Di Bcc <di@example.org>"), "{text}");
    assert!(has(&format!("{innermost}!attachments/deep.csv"), "1"), "{text}");
    assert!(has("sample.pst!Archive/2023/2023-10-04 Old", "Body of Old"), "{text}");
}
