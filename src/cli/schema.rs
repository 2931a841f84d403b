//! `oncoqual schema`: print the chart model's schema.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::chart::{BaseType, schema};

/// Arguments of `oncoqual schema`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print the schema as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let mut out = super::output(None, &[])?;
    let s = schema();
    if args.json {
        // `io::Error::from` keeps the kind of a write error (a closed pipe ends quietly).
        serde_json::to_writer_pretty(&mut out, s).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        for (path, ty) in s.leaf_paths() {
            let values = match ty.base {
                BaseType::Enum { schema } => format!("  [{}]", schema.values.join(", ")),
                _ => String::new(),
            };
            writeln!(out, "{path:<48} {}{values}", ty.describe())?;
        }
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
