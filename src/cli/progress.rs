//! Progress on long commands (`tally`, `benchmark`, `evaluate`, `validate`, `import`): one
//! bar over the bytes of the input files, drawn on standard error only when it is a
//! terminal, so pipes, logs and CI output stay clean.

use std::io::{self, IsTerminal};
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over the bytes of `paths` (a spinner when a length is unknown: standard input, or
/// a file whose size cannot be read), labelled `what`; hidden off a terminal, and when the
/// command writes to standard output (`to_stdout`) and that is the terminal too (the bar
/// would tangle with the lines).
pub(crate) fn over_files(paths: &[&Path], what: &'static str, to_stdout: bool) -> ProgressBar {
    if !io::stderr().is_terminal() || (to_stdout && io::stdout().is_terminal()) {
        return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    }
    let total = paths.iter().try_fold(0u64, |sum, p| {
        if p.as_os_str() == "-" {
            return None;
        }
        std::fs::metadata(p)
            .ok()
            .map(|m| sum.saturating_add(m.len()))
    });
    let (pb, template) = match total {
        Some(t) => (
            ProgressBar::new(t),
            "{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ),
        None => (
            ProgressBar::no_length(),
            "{msg:>10} {spinner} {bytes} {bytes_per_sec}",
        ),
    };
    pb.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what);
    pb
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_wrapped_reader_reads_the_same_bytes_and_advances_its_bar() {
        let bar = ProgressBar::hidden();
        let mut r = bar.wrap_read(&b"hello, world"[..]);
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello, world");
        assert_eq!(bar.position(), 12);
    }

    #[test]
    fn off_a_terminal_the_bar_is_hidden() {
        // Tests run with standard error captured, never a terminal.
        if !io::stderr().is_terminal() {
            assert!(over_files(&[Path::new("-")], "x", false).is_hidden());
        }
    }
}
