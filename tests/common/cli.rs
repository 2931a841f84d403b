//! Running the `oncoqual` binary as a user would, and scratch folders, for the CLI tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary, run from the crate's folder.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oncoqual"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Runs the binary with `args`: its exit code (-1 when killed by a signal), standard
/// output and standard error.
pub fn oncoqual(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A scratch folder in the system's temp folder, named by `tag` and the process id (so
/// test binaries running at once never share one; tags are unique within a binary), and
/// removed on drop.
pub struct Dir(pub PathBuf);

impl Dir {
    /// A fresh, empty folder.
    pub fn new(tag: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("oncoqual-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }

    /// The path of `name` in the folder, as text for command lines.
    pub fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
