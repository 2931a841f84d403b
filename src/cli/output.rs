//! Output files that are never half-written and never an input: bytes go to a temporary
//! file beside the destination, which replaces it (rename) only when everything was
//! written; an output path that names one of the command's inputs is refused before
//! anything is opened.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where a command writes: standard output, or a file committed by [`Output::finish`].
pub(crate) enum Output {
    Stdout(BufWriter<io::StdoutLock<'static>>),
    File {
        w: BufWriter<File>,
        tmp: PathBuf,
        dest: PathBuf,
    },
}

/// Opens `path` for writing (standard output for `None` / `-`), refusing a path that is one
/// of `inputs`.
pub(crate) fn output(path: Option<&Path>, inputs: &[&Path]) -> io::Result<Output> {
    let Some(dest) = path.filter(|p| p.as_os_str() != "-") else {
        return Ok(Output::Stdout(BufWriter::new(io::stdout().lock())));
    };
    if let Ok(d) = dest.canonicalize() {
        for input in inputs {
            if input.as_os_str() != "-" && input.canonicalize().is_ok_and(|i| i == d) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{}: refused: the output is also an input (`{}`); writing it would destroy what is being read",
                        dest.display(),
                        input.display()
                    ),
                ));
            }
        }
    }
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_owned());
    let tmp = dest.with_file_name(format!(".{name}.oncoqual-{}.tmp", std::process::id()));
    let file = File::create(&tmp).map_err(|e| super::with_path(e, &tmp))?;
    Ok(Output::File {
        w: BufWriter::new(file),
        tmp,
        dest: dest.to_path_buf(),
    })
}

impl Output {
    /// Flushes, and for a file moves it into place (the old file, if any, stays whole until
    /// then).
    pub(crate) fn finish(mut self) -> io::Result<()> {
        match &mut self {
            Output::Stdout(w) => w.flush(),
            Output::File { w, tmp, dest } => {
                w.flush().map_err(|e| super::with_path(e, tmp))?;
                w.get_ref()
                    .sync_all()
                    .map_err(|e| super::with_path(e, tmp))?;
                std::fs::rename(&*tmp, &*dest).map_err(|e| super::with_path(e, dest))?;
                // Renamed: nothing for `drop` to remove.
                tmp.clear();
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File { w, .. } => w.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(buf),
            Output::File { w, .. } => w.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File { w, .. } => w.flush(),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Not finished (an error on the way): the destination is left as it was.
        if let Output::File { tmp, .. } = self
            && !tmp.as_os_str().is_empty()
        {
            let _ = std::fs::remove_file(&*tmp);
        }
    }
}
