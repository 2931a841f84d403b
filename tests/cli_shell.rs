//! The command line as people expect it: completions for every shell, a man page per
//! command, an example in every `--help`, and no progress bar when standard error is not a
//! terminal.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod cli_support;

use cli_support::{Dir, oncoqual};

#[test]
fn completions_are_generated_for_every_shell() {
    for (shell, marker) in [
        ("bash", "_oncoqual()"),
        ("zsh", "#compdef oncoqual"),
        ("fish", "complete -c oncoqual"),
        ("elvish", "oncoqual"),
        ("powershell", "oncoqual"),
    ] {
        let (code, out, err) = oncoqual(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}");
        // Subcommands and their options are completed.
        assert!(
            out.contains("benchmark") && out.contains("--practices"),
            "{shell}"
        );
    }
    let (code, _, _) = oncoqual(&["completions", "tcsh"]);
    assert_eq!(code, 2);
}

#[test]
fn man_writes_one_page_per_command_and_prints_the_main_page() {
    let dir = Dir::new("man-pages");
    let out_dir = dir.file("man");
    let (code, _, err) = oncoqual(&["man", "-o", &out_dir]);
    assert_eq!(code, 0, "{err}");
    let mut pages: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for page in [
        "oncoqual.1",
        "oncoqual-benchmark.1",
        "oncoqual-certify-apply.1",
        "oncoqual-import-fhir.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "{page} not in {pages:?}");
    }
    assert!(
        err.contains(&format!("wrote {} man pages", pages.len())),
        "{err}"
    );
    let apply = std::fs::read_to_string(format!("{out_dir}/oncoqual-certify-apply.1")).unwrap();
    assert!(apply.contains(".SH NAME") && apply.contains("oncoqual certify apply"));
    assert!(apply.contains("Example:"), "the example is in the page");
    let (code, main, _) = oncoqual(&["man"]);
    assert_eq!(code, 0);
    assert!(main.starts_with(".ie") && main.contains(".TH oncoqual 1"));
}

#[test]
fn help_shows_an_example_and_long_commands_draw_no_bar_off_a_terminal() {
    let (_, help, _) = oncoqual(&["tally", "--help"]);
    assert!(
        help.contains("Example:\n  oncoqual tally --charts"),
        "{help}"
    );
    let dir = Dir::new("progress-off-terminal");
    let charts = dir.file("charts.jsonl");
    let (code, _, _) = oncoqual(&["synth", "--charts", "50", "-o", &charts]);
    assert_eq!(code, 0);
    let tally = dir.file("tally.json");
    let (code, _, err) = oncoqual(&["tally", "--charts", &charts, "-o", &tally]);
    assert_eq!(code, 0, "{err}");
    // Captured standard error is no terminal: nothing but the command's own lines.
    assert!(!err.contains("tallying") && !err.contains('\r'), "{err:?}");
    let (_, out, err) = oncoqual(&["validate", &charts]);
    assert!(out.contains("50 records"), "{out}");
    assert!(!err.contains("validating"), "{err:?}");
}
