//! The one place where `measure` reads files: a library folder for [`Library::load`] and a
//! test deck for [`run_cases`](super::run_cases). Everything else in `measure` takes text
//! ([`Library::from_sources`], [`Library::from_files`]), so an embedder can read specs from
//! anywhere; this module only walks folders and reads files through the crate's guarded
//! reader (`io::file`: regular files only, size-limited), turning what cannot be read into
//! diagnostics located in the file, as before.
//!
//! A module rather than a cargo feature: the crate always has `std` (serde_json needs it), so
//! a feature would gate nothing but these two functions while touching every caller.

use std::path::{Path, PathBuf};

use super::cases::{CaseFile, CaseFilter, CaseReport, run_case_files};
use super::library::{CheckErrors, Library, LoadError, SpecFile};
use crate::chart::round::RoundCalendar;
use crate::dsl::{Diagnostic, Source, Span};
use crate::io::file::{self, FileError, Problem};

/// [`Library::load`]: reads the folder, then checks what could be read; a file that could
/// not be read is an `E0005` diagnostic reported beside every diagnostic of the others.
pub(super) fn load(dir: &Path) -> Result<Library, LoadError> {
    let mut specs = Vec::new();
    let mut valuesets = Vec::new();
    let mut unreadable = Vec::new();
    collect(dir, dir, &mut specs, &mut valuesets, &mut unreadable)?;
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    valuesets.sort_by(|a, b| a.name.cmp(&b.name));
    let built = Library::from_files(specs, valuesets);
    if unreadable.is_empty() {
        return Ok(built?);
    }
    // The files that could be read were still checked: every diagnostic is reported.
    if let Err(e) = built {
        unreadable.extend(e.files);
    }
    unreadable.sort_by(|a, b| a.0.name().cmp(b.0.name()));
    Err(LoadError::Check(CheckErrors { files: unreadable }))
}

/// The spec and value-set files below `dir`, read; a file (or sub-folder) that cannot be
/// read is an error diagnostic of its own in `unreadable`, and the others are still read.
fn collect(
    root: &Path,
    dir: &Path,
    specs: &mut Vec<SpecFile>,
    valuesets: &mut Vec<SpecFile>,
    unreadable: &mut Vec<(Source, Vec<Diagnostic>)>,
) -> Result<(), LoadError> {
    let name_of = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let refuse = |unreadable: &mut Vec<(Source, Vec<Diagnostic>)>,
                  path: &Path,
                  problem: Problem,
                  text: String,
                  span: Span| {
        let message = match problem {
            Problem::NotUtf8 { .. } => format!("{problem}"),
            _ => format!("cannot read this file: {problem}"),
        };
        unreadable.push((
            Source::new(name_of(path), text),
            vec![Diagnostic::error("E0005", span, message)],
        ));
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(source) if dir == root => {
            return Err(LoadError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
        Err(e) => {
            refuse(
                unreadable,
                dir,
                Problem::Io(e.kind()),
                String::new(),
                Span::new(0, 0),
            );
            return Ok(());
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                refuse(
                    unreadable,
                    dir,
                    Problem::Io(e.kind()),
                    String::new(),
                    Span::new(0, 0),
                );
                continue;
            }
        };
        let path = entry.path();
        // Not followed: a link to a folder is not walked (no cycles); a link to a file is
        // read below, through the same checks as any file.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            collect(root, &path, specs, valuesets, unreadable)?;
            continue;
        }
        let name = name_of(&path);
        let ext = path.extension().and_then(|e| e.to_str());
        let in_valuesets = name.starts_with("valuesets/");
        let into = match ext {
            Some("oqm") => &mut *specs,
            Some("json") if in_valuesets => &mut *valuesets,
            _ => continue,
        };
        match file::read_bytes(&path, file::MAX_CONFIG_BYTES) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => into.push(SpecFile::new(name, text)),
                Err(e) => {
                    let offset = e.utf8_error().valid_up_to();
                    let problem = file::not_utf8(e.as_bytes(), offset);
                    // Shown with each invalid sequence replaced; the caret is on the first.
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let width = char::REPLACEMENT_CHARACTER.len_utf8();
                    refuse(
                        unreadable,
                        &path,
                        problem,
                        text,
                        Span::new(offset, offset.saturating_add(width)),
                    );
                }
            },
            Err(FileError { problem, .. }) => {
                refuse(unreadable, &path, problem, String::new(), Span::new(0, 0));
            }
        }
    }
    Ok(())
}

/// [`run_cases`](super::run_cases): the case files below `dir` (`dir/<measure-id>/*.json`),
/// read in name order, then run. I/O errors on the folders are returned; a case file that
/// cannot be read is an invalid case, and the run goes on.
pub(super) fn run_cases(
    library: &Library,
    dir: &Path,
    calendar: &RoundCalendar,
    filter: &CaseFilter,
    cover: bool,
) -> std::io::Result<CaseReport> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut decks = Vec::with_capacity(folders.len());
    for folder in folders {
        let measure = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !filter.selects_measure(&measure) {
            continue;
        }
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter(|p| {
                p.file_stem()
                    .is_some_and(|s| filter.selects_case(&s.to_string_lossy()))
            })
            .collect();
        if paths.is_empty() && !filter.cases.is_empty() {
            continue;
        }
        paths.sort();
        let files = paths
            .into_iter()
            .map(|path| {
                let text =
                    file::read_text(&path, file::MAX_CONFIG_BYTES).map_err(|e| e.to_string());
                CaseFile { path, text }
            })
            .collect();
        decks.push((measure, files));
    }
    Ok(run_case_files(
        library,
        decks,
        calendar,
        cover.then_some(filter),
    ))
}

/// The case files of one measure's deck, `dir/<measure>/*.json`, read in name order (none
/// when the folder does not exist). A file that cannot be read keeps its error.
pub(super) fn read_deck(dir: &Path, measure: &str) -> std::io::Result<Vec<CaseFile>> {
    let folder = dir.join(measure);
    let entries = match std::fs::read_dir(&folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|path| {
            let text = file::read_text(&path, file::MAX_CONFIG_BYTES).map_err(|e| e.to_string());
            CaseFile { path, text }
        })
        .collect())
}
