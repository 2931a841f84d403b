//! `oncoqual lsp`: the language server for `.oqm` measure specs, on standard input and
//! output (see `crate::lsp`).

use std::io;
use std::process::ExitCode;

/// Arguments of `oncoqual lsp`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Talk over standard input and output (the only transport; accepted because editors
    /// pass it).
    #[arg(long)]
    stdio: bool,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let _ = args.stdio;
    let input = io::stdin().lock();
    let output = io::stdout().lock();
    let clean = crate::lsp::serve(input, output)?;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
