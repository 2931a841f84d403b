//! `oncoqual completions SHELL` and `oncoqual man [-o DIR]`: shell completions
//! (`clap_complete`) and man pages (`clap_mangen`), generated from the command line itself so
//! they never drift from it.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::CommandFactory;

/// Arguments of `oncoqual completions`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  oncoqual completions bash > ~/.local/share/bash-completion/completions/oncoqual\n  oncoqual completions zsh > \"${fpath[1]}/_oncoqual\""
)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Arguments of `oncoqual man`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  oncoqual man -o man/ && man -l man/oncoqual-benchmark.1\n  oncoqual man | man -l -"
)]
pub(crate) struct ManArgs {
    /// Write one page per command (`oncoqual.1`, `oncoqual-<command>.1`, ...) into this
    /// folder; without it, the main page goes to standard output.
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
}

pub(crate) fn completions(args: &CompletionsArgs) -> io::Result<ExitCode> {
    let mut cmd = super::Cli::command();
    let mut out = io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "oncoqual", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn man(args: &ManArgs) -> io::Result<ExitCode> {
    let cmd = super::Cli::command();
    let Some(dir) = &args.output else {
        let mut out = io::stdout().lock();
        clap_mangen::Man::new(cmd).render(&mut out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).map_err(|e| super::with_path(e, dir))?;
    let mut pages = Vec::new();
    collect(cmd, "oncoqual", &mut pages);
    for (name, cmd) in &pages {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .title(name.to_uppercase())
            .render(&mut page)?;
        super::write_file(&dir.join(format!("{name}.1")), &[], &page)?;
    }
    writeln!(
        io::stderr(),
        "wrote {} man pages to {}",
        pages.len(),
        dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Every command and subcommand with its page name (`oncoqual-certify-apply`), by an
/// explicit stack (the tree is shallow, but no recursion is needed).
fn collect(root: clap::Command, name: &str, out: &mut Vec<(String, clap::Command)>) {
    let mut stack = vec![(name.to_owned(), name.to_owned(), root)];
    while let Some((page, bin, cmd)) = stack.pop() {
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let sub_page = format!("{page}-{}", sub.get_name());
            let sub_bin = format!("{bin} {}", sub.get_name());
            let named = sub
                .clone()
                .display_name(sub_page.clone())
                .bin_name(sub_bin.clone());
            stack.push((sub_page, sub_bin, named));
        }
        out.push((page, cmd));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
}
