//! Anonymised exports run in the background, one thread each, so the page
//! can show a progress bar (refreshing itself) and then the result.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::anonymise::{self as anon, Anonymiser, Policy, RunOptions};
use crate::formats::Limits;

/// One residual finding in the copies, as the result page lists it.
#[derive(Debug, Clone)]
pub struct Residual {
    pub copy: String,
    pub location: String,
    pub category: String,
    pub masked: String,
    pub must_remove: bool,
}

/// What an export came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The copies are safe to send: nothing the policy must remove was found
    /// again, and every file was either copied or left out on purpose.
    pub safe: bool,
    pub copied: usize,
    pub not_copied: Vec<(String, String)>,
    pub failed: Vec<(String, String)>,
    pub residual: Vec<Residual>,
    pub must_remove_left: usize,
}

/// An export, running or done.
pub struct Job {
    pub source: PathBuf,
    pub out: PathBuf,
    pub done: AtomicUsize,
    /// Source files to do; `usize::MAX` until the folder has been walked.
    pub total: AtomicUsize,
    pub result: Mutex<Option<Result<Outcome, String>>>,
}

#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    all: Mutex<HashMap<u64, Arc<Job>>>,
}

impl Jobs {
    pub fn get(&self, id: u64) -> Option<Arc<Job>> {
        self.all.lock().unwrap().get(&id).cloned()
    }

    /// Start anonymising `source` into `out` (a new folder); returns the job's number.
    pub fn start(&self, app: Arc<super::App>, source: PathBuf, out: PathBuf) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let job = Arc::new(Job {
            source,
            out,
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(usize::MAX),
            result: Mutex::new(None),
        });
        self.all.lock().unwrap().insert(id, job.clone());
        std::thread::spawn(move || {
            let result = export(&app, &job);
            let entry = super::audit::Entry {
                action: "export".into(),
                files: result.as_ref().map(|o| o.copied as i64).unwrap_or(0),
                outcome: match &result {
                    Ok(o) => format!(
                        "anonymised copies of {} written to {}; {} copied, {} not copied, {} failed",
                        job.source.display(),
                        job.out.display(),
                        o.copied,
                        o.not_copied.len(),
                        o.failed.len()
                    ),
                    Err(e) => format!("export of {} failed: {e}", job.source.display()),
                },
                safe: Some(result.as_ref().is_ok_and(|o| o.safe)),
                ..Default::default()
            };
            let result = match super::audit::record(&app.map, &entry) {
                Ok(()) => result,
                Err(e) => Err(format!("the export ran but could not be recorded in the audit trail: {e}")),
            };
            *job.result.lock().unwrap() = Some(result);
        });
        id
    }
}

fn export(app: &super::App, job: &Job) -> Result<Outcome, String> {
    let policy = Policy::builtin();
    let limits = Limits::default();
    let anonymiser = Anonymiser {
        engine: &app.engine,
        key: &app.key,
        policy: &policy,
        min_confidence: 0.5,
        limits: &limits,
        keep: None,
    };
    crate::outputs::prepare_folder("the export folder", &job.out, false).map_err(|e| e.to_string())?;
    let opts = RunOptions {
        roots: vec![job.source.clone()],
        out: job.out.clone(),
        force: false,
        walk: crate::walk::WalkOptions { follow_links: false, exclude: Vec::new() },
        threads: 0,
    };
    let progress = |done: usize, total: usize| {
        job.total.store(total, Ordering::Relaxed);
        job.done.store(done, Ordering::Relaxed);
    };
    let report = anon::run_with_progress(&anonymiser, &opts, &progress).map_err(|e| e.to_string())?;
    let residual: Vec<Residual> = report
        .residual
        .iter()
        .map(|f| Residual {
            copy: f.path.to_string(),
            location: f.location.text().to_string(),
            category: f.category.as_str().to_string(),
            masked: f.masked().to_string(),
            must_remove: policy.must_remove.contains(&f.category),
        })
        .collect();
    let copied = report.files.iter().filter(|f| f.output.is_some()).count();
    let not_copied = report.files.iter().filter_map(|f| Some((f.source.clone(), f.not_copied.clone()?))).collect();
    let failed: Vec<(String, String)> =
        report.files.iter().filter_map(|f| Some((f.source.clone(), f.error.clone()?))).collect();
    Ok(Outcome {
        safe: report.must_remove_left == 0 && failed.is_empty(),
        copied,
        not_copied,
        failed,
        residual,
        must_remove_left: report.must_remove_left,
    })
}
