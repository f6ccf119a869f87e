//! Zip packing with fixed timestamps (shared by docx), and the old-files
//! archive holding a csv and a txt whose labels use `archive.zip!inner` paths.

use std::io::{self, Cursor, Write};

use ::zip::write::SimpleFileOptions;
use ::zip::{CompressionMethod, DateTime, ZipWriter};

use super::values;
use super::{Cat, Ctx, Line};

/// A zip of `entries` (name, bytes), deflated, every entry dated 1 March 2024.
pub fn pack(entries: &[(String, Vec<u8>)]) -> io::Result<Vec<u8>> {
    let when = DateTime::from_date_and_time(2024, 3, 1, 9, 0, 0).map_err(io::Error::other)?;
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).last_modified_time(when);
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(name.as_str(), opts).map_err(io::Error::other)?;
        w.write_all(bytes)?;
    }
    Ok(w.finish().map_err(io::Error::other)?.into_inner())
}

/// Old volunteer bank details: `Name, DOB, Phone, Email, Sort code, Account number`.
fn old_volunteers(ctx: &mut Ctx, path: &str) -> Vec<u8> {
    let header = ["Name", "DOB", "Phone", "Email", "Sort code", "Account number", "Expenses paid"];
    let vols = ctx.pool.volunteers.clone();
    let rng = &mut ctx.rng;
    let rows: Vec<Vec<Line>> = vols
        .iter()
        .take(4 * ctx.scale)
        .map(|v| {
            vec![
                Line::new().v(Cat::Name, v.full()),
                Line::new().v(Cat::Dob, v.dob.fmt_any(rng)),
                Line::new().v(Cat::Phone, values::fmt_phone(&v.mobile, rng)),
                Line::new().v(Cat::Email, &v.email),
                Line::new().v(Cat::SortCode, &v.sort_code),
                Line::new().v(Cat::BankAccount, &v.account),
                Line::new().t(values::negative::amount(rng)),
            ]
        })
        .collect();
    super::csv::table(ctx, path, ',', &header, &rows)
}

pub fn write_all(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    let outer = "Archive/old-files.zip";
    let csv_name = "HR/volunteers-2019.csv";
    let csv = old_volunteers(ctx, &format!("{outer}!{csv_name}"));
    let txt_name = "Notes/helpline-log-2019.txt";
    let lines = super::txt::phone_log(ctx, 2019);
    ctx.label_lines(&format!("{outer}!{txt_name}"), &lines, |i| format!("line {}", i + 1));
    let txt = super::txt::to_bytes(&lines, true);
    files.push((outer.into(), pack(&[(csv_name.into(), csv), (txt_name.into(), txt)])?));
    Ok(())
}

/// A gzipped helpline log (`Archive/helpline-log-2018.txt.gz`, the name
/// recorded in the gzip header, no timestamp) whose labels use the
/// `file.gz!inner` path.
pub fn write_gz(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    let outer = "Archive/helpline-log-2018.txt.gz";
    let inner = "helpline-log-2018.txt";
    let lines = super::txt::phone_log(ctx, 2018);
    ctx.label_lines(&format!("{outer}!{inner}"), &lines, |i| format!("line {}", i + 1));
    let txt = super::txt::to_bytes(&lines, false);
    let mut gz = flate2::GzBuilder::new().filename(inner).mtime(0).write(Vec::new(), flate2::Compression::default());
    gz.write_all(&txt)?;
    files.push((outer.into(), gz.finish()?));
    Ok(())
}

/// Old backups in the other archive formats a shared drive holds: a
/// gzipped tar (`Archive/backup-2017.tgz`, a helpline log) and a 7-Zip
/// archive (`Archive/hr-2016.7z`, volunteers' bank details), whose labels
/// use `archive!member` paths.
pub fn write_tar_7z(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    let tgz = "Archive/backup-2017.tgz";
    let txt_name = "Notes/helpline-log-2017.txt";
    let lines = super::txt::phone_log(ctx, 2017);
    ctx.label_lines(&format!("{tgz}!{txt_name}"), &lines, |i| format!("line {}", i + 1));
    let txt = super::txt::to_bytes(&lines, false);
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(txt.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(1_488_326_400); // 1 March 2017
    header.set_cksum();
    builder.append_data(&mut header, txt_name, &txt[..])?;
    let tar = builder.into_inner()?;
    let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar)?;
    files.push((tgz.into(), gz.finish()?));

    let seven = "Archive/hr-2016.7z";
    let csv_name = "HR/volunteers-2016.csv";
    let csv = old_volunteers(ctx, &format!("{seven}!{csv_name}"));
    let mut w = sevenz_rust2::ArchiveWriter::new(Cursor::new(Vec::new())).map_err(io::Error::other)?;
    w.push_archive_entry(sevenz_rust2::ArchiveEntry::new_file(csv_name), Some(&csv[..])).map_err(io::Error::other)?;
    files.push((seven.into(), w.finish().map_err(io::Error::other)?.into_inner()));
    Ok(())
}
