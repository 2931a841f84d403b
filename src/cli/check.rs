//! `oncoqual check [DIR]`: check a measure library (default: the bundled one) and print
//! every diagnostic of every file.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::measure::{Library, LoadError};

/// Arguments of `oncoqual check`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The measure-spec directory (`*.oqm`, `valuesets/*.json`); the bundled library when absent.
    dir: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    match load(args.dir.as_deref())? {
        Ok(lib) => {
            let mut out = io::stdout().lock();
            writeln!(out, "ok: {} measures check", lib.measures().len())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(code) => Ok(code),
    }
}

/// A loaded library: from a directory, or the bundled one.
pub(crate) enum Loaded {
    Owned(Box<Library>),
    Bundled(&'static Library),
}

impl std::ops::Deref for Loaded {
    type Target = Library;
    fn deref(&self) -> &Library {
        match self {
            Loaded::Owned(l) => l,
            Loaded::Bundled(l) => l,
        }
    }
}

/// Loads the library at `dir` (or the bundled one), narrowed to `measures` when any are
/// given ([`Library::restrict`]: another library, whose tallies and reports state the
/// selection and never merge with the whole library's); an unknown id is refused with a
/// suggestion.
pub(crate) fn load_selected(
    dir: Option<&std::path::Path>,
    measures: &[String],
) -> io::Result<Result<Loaded, ExitCode>> {
    if measures.is_empty() {
        return load(dir);
    }
    let owned = match dir {
        Some(d) => Library::load(d),
        None => Library::bundled_owned().map_err(LoadError::Check),
    };
    let lib = match owned {
        Ok(l) => l,
        // Diagnostics are printed by `load` (the failure is the same).
        Err(_) => return load(dir),
    };
    let ids: Vec<&str> = measures.iter().map(String::as_str).collect();
    lib.restrict(&ids)
        .map(|l| Ok(Loaded::Owned(Box::new(l))))
        .map_err(|e| io::Error::new(io::ErrorKind::NotFound, e.to_string()))
}

/// Loads the library at `dir` (or the bundled one), printing diagnostics on failure.
pub(crate) fn load(dir: Option<&std::path::Path>) -> io::Result<Result<Loaded, ExitCode>> {
    let result = match dir {
        Some(d) => Library::load(d).map(|l| Loaded::Owned(Box::new(l))),
        None => Library::bundled()
            .map(Loaded::Bundled)
            .map_err(|e| LoadError::Check(e.clone())),
    };
    match result {
        Ok(lib) => Ok(Ok(lib)),
        Err(LoadError::Check(errors)) => {
            let color = io::stderr().is_terminal();
            let mut err = io::stderr().lock();
            for (source, diags) in errors.files() {
                for d in diags {
                    err.write_all(super::render::diagnostic(d, source, color).as_bytes())?;
                }
            }
            writeln!(
                err,
                "error: {} error(s); the library does not check",
                errors.error_count()
            )?;
            Ok(Err(ExitCode::from(1)))
        }
        Err(LoadError::Io { path, source }) => Err(super::with_path(source, &path)),
    }
}
