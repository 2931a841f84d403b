//! Output files that are never half-written and never an input: bytes go to a temporary
//! file beside the destination, synced, which replaces it (rename, then the folder synced)
//! only when everything was written; an output that is one of the command's inputs (the
//! same file by identity: a hard link or a symbolic link to an input is that input) is
//! refused before anything is opened. Every file the command line writes goes through here.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where a command writes: standard output, a file committed by [`Output::finish`], or a
/// device or FIFO written directly (`-o /dev/null`, a pipe): it is no file to keep whole,
/// and replacing it by a renamed file would destroy it. It is `Send` (standard output is
/// not held locked), so a writer that needs a `Send` sink (Parquet's) can own it.
pub(crate) enum Output {
    Stdout(BufWriter<io::Stdout>),
    Device(BufWriter<File>, PathBuf),
    File {
        w: BufWriter<File>,
        tmp: PathBuf,
        dest: PathBuf,
    },
}

/// Whether `a` and `b` are the same file: by (device, inode) on Unix, so a hard link or a
/// symbolic link to a file is that file; by canonical path elsewhere. A path that does not
/// exist is no file.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// Refuses `dest` when it is one of `inputs` (`-`, standard input, is none).
pub(crate) fn refuse_inputs(dest: &Path, inputs: &[&Path]) -> io::Result<()> {
    for input in inputs {
        if input.as_os_str() != "-" && same_file(dest, input) {
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
    Ok(())
}

/// Temporary files of this process are told apart by a counter.
static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// A new temporary file beside `dest` (same folder, so the rename stays on one file
/// system), never an existing file.
pub(crate) fn temp_beside(dest: &Path) -> io::Result<(File, PathBuf)> {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_owned());
    // Bounded, so a long destination name still gives a valid temporary name.
    let short: String = name.chars().take(64).collect();
    loop {
        let n = TMP_SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = dest.with_file_name(format!(".{short}.oncoqual-{}-{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(super::with_path(e, &tmp)),
        }
    }
}

/// Makes a rename in `dest`'s folder durable: syncs the folder (Unix; elsewhere the rename
/// is left to the file system).
pub(crate) fn sync_parent(dest: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(|e| super::with_path(e, parent))?;
    }
    #[cfg(not(unix))]
    let _ = dest;
    Ok(())
}

/// Opens `path` for writing (standard output for `None` / `-`), refusing a path that is one
/// of `inputs`. A symbolic link is written through: its target is replaced and the link
/// kept.
pub(crate) fn output(path: Option<&Path>, inputs: &[&Path]) -> io::Result<Output> {
    let Some(dest) = path.filter(|p| p.as_os_str() != "-") else {
        return Ok(Output::Stdout(BufWriter::new(io::stdout())));
    };
    refuse_inputs(dest, inputs)?;
    // A character or block device, a FIFO or a socket (through any link) is written as it
    // is: renamed over, it would be replaced by a regular file.
    if let Ok(m) = std::fs::metadata(dest)
        && !m.is_file()
        && !m.is_dir()
    {
        let f = OpenOptions::new()
            .write(true)
            .open(dest)
            .map_err(|e| super::with_path(e, dest))?;
        return Ok(Output::Device(BufWriter::new(f), dest.to_path_buf()));
    }
    let dest = match std::fs::symlink_metadata(dest) {
        Ok(m) if m.file_type().is_symlink() => dest.canonicalize().unwrap_or(dest.to_path_buf()),
        _ => dest.to_path_buf(),
    };
    let (file, tmp) = temp_beside(&dest)?;
    Ok(Output::File {
        w: BufWriter::new(file),
        tmp,
        dest,
    })
}

/// Writes `bytes` to `path` through [`output`]: whole or not at all, never over an input.
pub(crate) fn write_file(path: &Path, inputs: &[&Path], bytes: &[u8]) -> io::Result<()> {
    let mut out = output(Some(path), inputs)?;
    out.write_all(bytes)
        .map_err(|e| super::with_path(e, path))?;
    out.finish()
}

impl Output {
    /// Flushes, and for a file moves it into place (the old file, if any, stays whole until
    /// then).
    pub(crate) fn finish(mut self) -> io::Result<()> {
        match &mut self {
            Output::Stdout(w) => w.flush(),
            Output::Device(w, dest) => w.flush().map_err(|e| super::with_path(e, dest)),
            Output::File { w, tmp, dest } => {
                w.flush().map_err(|e| super::with_path(e, tmp))?;
                w.get_ref()
                    .sync_all()
                    .map_err(|e| super::with_path(e, tmp))?;
                std::fs::rename(&*tmp, &*dest).map_err(|e| super::with_path(e, dest))?;
                // Renamed: nothing for `drop` to remove.
                tmp.clear();
                sync_parent(dest)
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::Device(w, _) => w.write(buf),
            Output::File { w, .. } => w.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(buf),
            Output::Device(w, _) => w.write_all(buf),
            Output::File { w, .. } => w.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::Device(w, _) => w.flush(),
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
