//! Exit statuses, and how an error or a panic becomes one. The library
//! knows nothing of them: it returns errors whose typed cause
//! ([`BadRequest`], [`KeyError`]) says the request was at fault.

use std::process::ExitCode;

use piisweep::error::BadRequest;
use piisweep::keys::KeyError;

/// Exit status: ran fine (findings are not an error).
pub const EXIT_OK: i32 = 0;
/// Exit status: stopped by an error while running (an output could not be
/// written, the data map is damaged, an internal error).
pub const EXIT_ERROR: i32 = 1;
/// Exit status: bad usage.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: finished, but some files could not be read.
pub const EXIT_UNREADABLE: i32 = 3;
/// Exit status (`anonymise`): the re-scan of the copies still finds a
/// category the policy says must be removed.
pub const EXIT_RESIDUAL: i32 = 4;
/// Exit status: stopped by Ctrl-C (128 + SIGINT, as the shell reports it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Every exit status piisweep returns (also in the README).
pub const EXIT_STATUS: &str = "Exit status:
  0  finished (findings are not an error)
  1  stopped by an error while running (an output could not be written, the data map is
     damaged, an internal error): the message says what happened
  2  bad usage: nothing was done; the message says what to change
  3  finished, but some files could not be read (listed in the summary); for sar, the
     map holds files that could not be searched (the person may be in them)
  4  anonymise: a category the policy must remove is still found in a copy;
     sar --redact-others: another person's data is still found in the bundle
  130  stopped by Ctrl-C: what was done is kept; run the same command again to resume";

/// End the process as killed by Ctrl-C (after a clean stop), so that the
/// shell or script that ran it sees it was interrupted (status 130).
pub fn exit_as_interrupted() -> ! {
    #[cfg(unix)]
    // SAFETY: restoring the default action and raising a signal are plain libc calls.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::raise(libc::SIGINT);
    }
    std::process::exit(EXIT_INTERRUPTED)
}

/// The exit status for an error: bad usage when its cause is the request
/// (a [`BadRequest`] or a key that cannot be used), else an error while running.
pub fn status_of(e: &anyhow::Error) -> i32 {
    if e.downcast_ref::<BadRequest>().is_some() || e.downcast_ref::<KeyError>().is_some() {
        EXIT_USAGE
    } else {
        EXIT_ERROR
    }
}

/// Run a command: its exit status, or the error printed and its status. A
/// panic that escapes (a bug) ends with status 1 and a message, like any
/// other error, not with the runtime's own status.
pub fn run_guarded(command: impl FnOnce() -> anyhow::Result<i32>) -> ExitCode {
    piisweep::scan::quiet_caught_panics();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(command)).unwrap_or_else(|panic| {
        let text = piisweep::formats::container::panic_message(&*panic);
        // print! panics when standard output is closed (`piisweep map | head`): not a bug.
        if text.starts_with("failed printing to std") {
            return Err(anyhow::anyhow!("{text}"));
        }
        Err(anyhow::anyhow!("internal error (please report it): {text}"))
    });
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(status_of(&e) as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_request_is_bad_usage_even_with_context() {
        let e = anyhow::Error::new(BadRequest("--by x: use folder".into())).context("while reading the map");
        assert_eq!(status_of(&e), EXIT_USAGE);
        assert_eq!(status_of(&anyhow::anyhow!("disk full")), EXIT_ERROR);
    }
}
