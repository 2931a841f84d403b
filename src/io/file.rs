//! Reading one input file safely: only a regular file is opened (a FIFO would block the
//! reader forever, a device could stream without end), its size is bounded, and its text
//! must be UTF-8. Every refusal is one located line naming the file: what it is (missing,
//! a dangling symbolic link, a directory, a FIFO, ...) or where its first invalid byte is.
//!
//! The type is checked before the file is opened and again on the open handle, so a file
//! swapped for a FIFO between the two is still refused (it can at worst block the open
//! of that one file, never read from it).

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Largest spec, value-set, rounds, practices or key file read (they are hand-written and
/// small; a larger one is a mistake or an attack).
pub(crate) const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Largest data file read whole (tallies, certification logs and events, reports).
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) const MAX_DATA_BYTES: u64 = 1 << 30;

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Problem {
    /// Nothing at the path.
    NotFound,
    /// A symbolic link whose target does not exist.
    DanglingLink,
    /// A directory where a file was expected.
    Directory,
    /// A FIFO, socket or device.
    Special(&'static str),
    /// Longer than the limit.
    TooLarge { limit: u64 },
    /// Not UTF-8: the first invalid byte's line and column (both 1-based, the column in
    /// bytes) and its byte offset in the file (0-based).
    NotUtf8 {
        line: usize,
        column: usize,
        offset: usize,
    },
    /// Any other error from the operating system.
    Io(io::ErrorKind),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotFound => f.write_str("no such file"),
            Problem::DanglingLink => f.write_str("a symbolic link to a file that does not exist"),
            Problem::Directory => f.write_str("a directory, not a file"),
            Problem::Special(what) => write!(f, "a {what}, not a regular file"),
            Problem::TooLarge { limit } => {
                write!(f, "file longer than the limit of {limit} bytes")
            }
            Problem::NotUtf8 { offset, .. } => {
                write!(f, "invalid UTF-8 (first invalid byte at offset {offset})")
            }
            Problem::Io(kind) => write!(f, "cannot be read: {kind}"),
        }
    }
}

/// A file that was not read: where, and why. Displays as one line, `path: problem` or
/// `path:line:column: problem` for invalid UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileError {
    pub(crate) path: PathBuf,
    pub(crate) problem: Problem,
}

impl FileError {
    /// The line and column (1-based, bytes) the problem is at, when it has one.
    pub(crate) fn position(&self) -> Option<(usize, usize)> {
        match self.problem {
            Problem::NotUtf8 { line, column, .. } => Some((line, column)),
            _ => None,
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position() {
            Some((line, column)) => write!(
                f,
                "{}:{line}:{column}: {}",
                self.path.display(),
                self.problem
            ),
            None => write!(f, "{}: {}", self.path.display(), self.problem),
        }
    }
}

impl std::error::Error for FileError {}

impl From<FileError> for io::Error {
    fn from(e: FileError) -> io::Error {
        let kind = match e.problem {
            Problem::NotFound | Problem::DanglingLink => io::ErrorKind::NotFound,
            Problem::Io(kind) => kind,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e.to_string())
    }
}

/// What a file type is, when it is not a regular file.
fn special(meta: &Metadata) -> Option<Problem> {
    let ty = meta.file_type();
    if ty.is_file() {
        return None;
    }
    if ty.is_dir() {
        return Some(Problem::Directory);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ty.is_fifo() {
            return Some(Problem::Special("FIFO"));
        }
        if ty.is_socket() {
            return Some(Problem::Special("socket"));
        }
        if ty.is_block_device() || ty.is_char_device() {
            return Some(Problem::Special("device"));
        }
    }
    Some(Problem::Special("special file"))
}

/// Opens `path` for reading if it is a regular file (a symbolic link is followed), checking
/// the type before opening, so a FIFO is never opened.
pub(crate) fn open_regular(path: &Path) -> Result<File, FileError> {
    let fail = |problem| FileError {
        path: path.to_path_buf(),
        problem,
    };
    open_checks(path)?;
    let file = File::open(path).map_err(|e| fail(Problem::Io(e.kind())))?;
    // The path may have been replaced since it was looked at: check what was opened.
    let opened = file.metadata().map_err(|e| fail(Problem::Io(e.kind())))?;
    if let Some(problem) = special(&opened) {
        return Err(fail(problem));
    }
    Ok(file)
}

/// Whether a regular file is at `path` (`Ok(false)`: nothing there, not even a link); a
/// dangling link, a directory, a FIFO or other special file is an error. Nothing is opened.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) fn regular_or_absent(path: &Path) -> Result<bool, FileError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(FileError {
            path: path.to_path_buf(),
            problem: Problem::Io(e.kind()),
        }),
        Ok(_) => open_checks(path).map(|_| true),
    }
}

/// The checks of [`open_regular`] without opening: the file's type, links followed.
fn open_checks(path: &Path) -> Result<Metadata, FileError> {
    let fail = |problem| FileError {
        path: path.to_path_buf(),
        problem,
    };
    match std::fs::metadata(path) {
        Ok(m) => match special(&m) {
            Some(problem) => Err(fail(problem)),
            None => Ok(m),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A link that exists but leads nowhere is a different mistake from a typo.
            let dangling = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
            Err(fail(if dangling {
                Problem::DanglingLink
            } else {
                Problem::NotFound
            }))
        }
        Err(e) => Err(fail(Problem::Io(e.kind()))),
    }
}

/// Reads the regular file at `path` whole, refusing one longer than `limit` bytes.
pub(crate) fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let fail = |problem| FileError {
        path: path.to_path_buf(),
        problem,
    };
    let file = open_regular(path)?;
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
    if hint > limit {
        return Err(fail(Problem::TooLarge { limit }));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    // The file may grow while it is read: read one byte past the limit to notice.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| fail(Problem::Io(e.kind())))?;
    if bytes.len() as u64 > limit {
        return Err(fail(Problem::TooLarge { limit }));
    }
    Ok(bytes)
}

/// Reads the regular file at `path` whole as UTF-8 text, refusing one longer than `limit`
/// bytes; invalid UTF-8 is located (line, column and offset of the first invalid byte).
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String, FileError> {
    let bytes = read_bytes(path, limit)?;
    String::from_utf8(bytes).map_err(|e| FileError {
        path: path.to_path_buf(),
        problem: not_utf8(e.as_bytes(), e.utf8_error().valid_up_to()),
    })
}

/// The location of the invalid byte at `offset` of `bytes`.
pub(crate) fn not_utf8(bytes: &[u8], offset: usize) -> Problem {
    let before = bytes.get(..offset).unwrap_or(bytes);
    // Positions within `bytes`, in memory: the additions cannot overflow, and the line's
    // start is at most `offset` (it is in `before`, which ends at `offset` or earlier).
    let line = memchr::memchr_iter(b'\n', before).count().saturating_add(1);
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i.saturating_add(1));
    Problem::NotUtf8 {
        line,
        column: offset.saturating_sub(line_start).saturating_add(1),
        offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "oncoqual-file-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn invalid_utf8_is_located_by_line_column_and_offset() {
        let dir = temp();
        let path = dir.join("bad.txt");
        std::fs::write(&path, b"ok\nab\xffc\n").unwrap();
        let err = read_text(&path, 100).unwrap_err();
        assert_eq!(
            err.problem,
            Problem::NotUtf8 {
                line: 2,
                column: 3,
                offset: 5
            }
        );
        assert!(
            err.to_string()
                .ends_with("bad.txt:2:3: invalid UTF-8 (first invalid byte at offset 5)")
        );
    }

    #[test]
    fn a_file_cut_inside_a_multibyte_character_is_located() {
        let dir = temp();
        let path = dir.join("cut.txt");
        std::fs::write(&path, "é".as_bytes().get(..1).unwrap()).unwrap();
        let err = read_text(&path, 100).unwrap_err();
        assert_eq!(err.position(), Some((1, 1)));
    }

    #[test]
    fn a_file_over_the_limit_is_refused() {
        let dir = temp();
        let path = dir.join("big.txt");
        std::fs::write(&path, [b'a'; 11]).unwrap();
        assert_eq!(
            read_text(&path, 10).unwrap_err().problem,
            Problem::TooLarge { limit: 10 }
        );
        assert_eq!(read_text(&path, 11).unwrap().len(), 11);
    }

    #[test]
    fn missing_files_directories_and_dangling_links_are_named() {
        let dir = temp();
        assert_eq!(
            read_text(&dir.join("none"), 10).unwrap_err().problem,
            Problem::NotFound
        );
        assert_eq!(read_text(&dir, 10).unwrap_err().problem, Problem::Directory);
        #[cfg(unix)]
        {
            let link = dir.join("dangling");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(dir.join("nowhere"), &link).unwrap();
            assert_eq!(
                read_text(&link, 10).unwrap_err().problem,
                Problem::DanglingLink
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_being_opened() {
        let dir = temp();
        let fifo = dir.join("fifo");
        let _ = std::fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo on this machine
        }
        // Opening a FIFO for reading would block here forever.
        assert_eq!(
            read_text(&fifo, 10).unwrap_err().problem,
            Problem::Special("FIFO")
        );
    }
}
