//! Open buffers and the libraries they belong to: a file's library root, the library's files
//! read from disk with the open buffers over them, and the last analysis of each library
//! (the checker's diagnostics and what it learnt about names).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::dsl::{Diagnostic, Source, Span};
use crate::io::file::{self, FileError, Problem};
use crate::measure::SpecFile;
use crate::measure::facts::{Facts, FileFacts, analyse};

/// Most files read from one library folder (a folder opened by mistake, `/` or a home
/// folder, is not read whole).
const MAX_FILES: usize = 20_000;
/// Deepest folder walked below a library root.
const MAX_DEPTH: usize = 12;

/// An open buffer.
pub(crate) struct Doc {
    pub(crate) text: String,
}

/// The last analysis of one library.
#[derive(Default)]
pub(crate) struct Analysis {
    /// Every file of the library (specs and value sets) by name (relative, `/`-separated).
    pub(crate) sources: BTreeMap<String, Source>,
    /// The checker's diagnostics by file name.
    pub(crate) diagnostics: BTreeMap<String, Vec<Diagnostic>>,
    /// What the checker learnt.
    pub(crate) facts: Facts,
}

impl Analysis {
    /// The facts of the file `name`.
    pub(crate) fn file_facts(&self, name: &str) -> Option<&FileFacts> {
        self.facts.file(name)
    }
}

/// Every open buffer and library.
#[derive(Default)]
pub(crate) struct Workspace {
    /// The client's workspace folders.
    pub(crate) folders: Vec<PathBuf>,
    pub(crate) docs: BTreeMap<PathBuf, Doc>,
    pub(crate) analyses: BTreeMap<PathBuf, Analysis>,
    /// The facts of each file (by path) the last time it checked with no diagnostics, for
    /// completion while a file is being typed and does not parse.
    pub(crate) settled: BTreeMap<PathBuf, FileFacts>,
    /// Per library root, the files whose diagnostics were last published non-empty.
    pub(crate) published: BTreeMap<PathBuf, BTreeSet<String>>,
}

/// A file's library root: the nearest folder above it holding `valuesets/` or a `lib/` of
/// `.oqm` files (looking no higher than the workspace folder holding the file, and never at
/// the file system's root), else the workspace folder holding it, else its own folder.
pub(crate) fn library_root(path: &Path, folders: &[PathBuf]) -> PathBuf {
    let parent = path.parent().unwrap_or(path);
    let folder = folders
        .iter()
        .filter(|f| path.starts_with(f))
        .max_by_key(|f| f.components().count());
    for dir in parent.ancestors().take(16) {
        if dir.parent().is_none() {
            break;
        }
        if dir.join("valuesets").is_dir() || holds_specs(&dir.join("lib")) {
            return dir.to_path_buf();
        }
        if folder.is_some_and(|f| f == dir) {
            break;
        }
    }
    folder.cloned().unwrap_or_else(|| parent.to_path_buf())
}

fn holds_specs(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().extension().is_some_and(|x| x == "oqm"))
    })
}

/// `path`'s name in the library at `root` (relative, `/`-separated).
pub(crate) fn name_in(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

impl Workspace {
    /// Reads the library at `root` (open buffers over the disk) and checks it.
    pub(crate) fn analyse(&mut self, root: &Path) {
        let mut specs = Vec::new();
        let mut valuesets = Vec::new();
        let mut unreadable: Vec<(Source, Diagnostic)> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut count = 0usize;
        collect(root, root, 0, &mut count, &mut |path, name| {
            seen.insert(path.to_path_buf());
            let text = match self.docs.get(path) {
                Some(doc) => Ok(doc.text.clone()),
                None => read(path),
            };
            take(name, text, &mut specs, &mut valuesets, &mut unreadable);
        });
        // Open buffers not (yet) on disk.
        for (path, doc) in &self.docs {
            if seen.contains(path) || !path.starts_with(root) {
                continue;
            }
            if let Some(name) = name_in(root, path)
                && kind_of(&name).is_some()
            {
                let text = Ok(doc.text.clone());
                take(name, text, &mut specs, &mut valuesets, &mut unreadable);
            }
        }
        specs.sort_by(|a, b| a.name.cmp(&b.name));
        valuesets.sort_by(|a, b| a.name.cmp(&b.name));
        let mut analysis = Analysis::default();
        for f in specs.iter().chain(&valuesets) {
            analysis.sources.insert(
                f.name.clone(),
                Source::new(f.name.as_str(), f.text.as_str()),
            );
        }
        let (built, facts) = analyse(specs, valuesets);
        if let Err(errors) = built {
            for (source, diags) in errors.files() {
                analysis
                    .diagnostics
                    .entry(source.name().to_owned())
                    .or_default()
                    .extend(diags.iter().cloned());
            }
        }
        for (source, d) in unreadable {
            let name = source.name().to_owned();
            analysis
                .diagnostics
                .entry(name.clone())
                .or_default()
                .push(d);
            analysis.sources.insert(name, source);
        }
        for (i, name) in facts.names.iter().enumerate() {
            if analysis.diagnostics.contains_key(name) {
                continue;
            }
            if let Some(f) = facts.files.get(i) {
                self.settled.insert(root.join(name), f.clone());
            }
        }
        analysis.facts = facts;
        self.analyses.insert(root.to_path_buf(), analysis);
    }
}

/// Which kind of library file `name` is: `Some(true)` a spec, `Some(false)` a value set.
fn kind_of(name: &str) -> Option<bool> {
    if name.ends_with(".oqm") {
        Some(true)
    } else if name
        .strip_prefix("valuesets/")
        .is_some_and(|rest| rest.ends_with(".json") && !rest.contains('/'))
    {
        Some(false)
    } else {
        None
    }
}

fn take(
    name: String,
    text: Result<String, (Problem, String, Span)>,
    specs: &mut Vec<SpecFile>,
    valuesets: &mut Vec<SpecFile>,
    unreadable: &mut Vec<(Source, Diagnostic)>,
) {
    let Some(spec) = kind_of(&name) else {
        return;
    };
    match text {
        Ok(text) if text.len() as u64 > file::MAX_CONFIG_BYTES => {
            let problem = Problem::TooLarge {
                limit: file::MAX_CONFIG_BYTES,
            };
            let d = Diagnostic::error(
                "E0005",
                Span::new(0, 0),
                format!("cannot read this file: {problem}"),
            );
            unreadable.push((Source::new(name, ""), d));
        }
        Ok(text) => {
            let into = if spec { specs } else { valuesets };
            into.push(SpecFile::new(name, text));
        }
        Err((problem, shown, span)) => {
            let message = match problem {
                Problem::NotUtf8 { .. } => format!("{problem}"),
                _ => format!("cannot read this file: {problem}"),
            };
            let d = Diagnostic::error("E0005", span, message);
            unreadable.push((Source::new(name, shown), d));
        }
    }
}

/// Reads a library file through the crate's guarded reader; what cannot be read is the
/// problem, the text to show (invalid UTF-8 replaced) and where.
fn read(path: &Path) -> Result<String, (Problem, String, Span)> {
    match file::read_bytes(path, file::MAX_CONFIG_BYTES) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let problem = file::not_utf8(e.as_bytes(), offset);
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let width = char::REPLACEMENT_CHARACTER.len_utf8();
            (
                problem,
                text,
                Span::new(offset, offset.saturating_add(width)),
            )
        }),
        Err(FileError { problem, .. }) => Err((problem, String::new(), Span::new(0, 0))),
    }
}

/// Calls `found` with every spec and value-set file below `dir` (not following links to
/// folders, skipping hidden folders and build output), up to [`MAX_FILES`] files.
fn collect(
    root: &Path,
    dir: &Path,
    depth: usize,
    count: &mut usize,
    found: &mut dyn FnMut(&Path, String),
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if *count >= MAX_FILES {
            return;
        }
        let path = entry.path();
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if file_name.starts_with('.') || file_name == "target" || file_name == "node_modules" {
                continue;
            }
            collect(root, &path, depth.saturating_add(1), count, found);
            continue;
        }
        let Some(name) = name_in(root, &path) else {
            continue;
        };
        if kind_of(&name).is_some() {
            *count = count.saturating_add(1);
            found(&path, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_files_are_specs_anywhere_and_value_sets_in_valuesets() {
        assert_eq!(kind_of("core/a.oqm"), Some(true));
        assert_eq!(kind_of("valuesets/x.json"), Some(false));
        assert_eq!(kind_of("valuesets/sub/x.json"), None);
        assert_eq!(kind_of("cases/x.json"), None);
        assert_eq!(kind_of("README.md"), None);
    }

    #[test]
    fn the_root_is_the_folder_holding_lib() {
        let tmp = std::env::temp_dir().join(format!("oncoqual-lsp-root-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(tmp.join("specs/lib")).unwrap();
        std::fs::write(tmp.join("specs/lib/l.oqm"), "library lib.l\n").unwrap();
        std::fs::create_dir_all(tmp.join("specs/core")).unwrap();
        let file = tmp.join("specs/core/a.oqm");
        assert_eq!(library_root(&file, &[]), tmp.join("specs"));
        let other = tmp.join("loose/b.oqm");
        assert_eq!(library_root(&other, &[]), tmp.join("loose"));
        assert_eq!(library_root(&other, std::slice::from_ref(&tmp)), tmp);
        assert_eq!(
            name_in(&tmp.join("specs"), &file).as_deref(),
            Some("core/a.oqm")
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
