//! `oncoqual fhir measures -o DIR [--specs DIR] [--date DATE]`: the library as FHIR R4
//! definitions, one JSON file per resource (`<ResourceType>-<id>.json`): a `Measure` and a
//! `Library` per measure, a `Library` per shared module, a `ValueSet` per value set (see
//! `report::fhir::definitions` for every mapping choice). Each file is written whole or not
//! at all; the output folder may not be the spec folder or lie inside it (its `.json` files
//! would be read back as value sets). Files of earlier exports that the library no longer
//! has are left in place.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::chart::Date;
use crate::measure::Catalog;
use crate::report::fhir::{ExportOptions, definitions};

/// Arguments of `oncoqual fhir`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write every measure as FHIR R4 `Measure` and `Library` resources, with the shared
    /// libraries and value sets they use (`Library`, `ValueSet`), one JSON file each.
    #[command(
        after_help = "Example:\n  oncoqual fhir measures -o fhir-definitions/ --date 2026-12-01"
    )]
    Measures(MeasuresArgs),
}

/// Arguments of `oncoqual fhir measures`.
#[derive(Debug, clap::Args)]
pub(crate) struct MeasuresArgs {
    /// The measure-spec directory; the bundled library when absent.
    #[arg(long, value_name = "DIR")]
    specs: Option<PathBuf>,
    /// The publication date (`YYYY-MM-DD`) written as each resource's `date` and the value
    /// sets' expansion timestamp; without it no `date` is written and the timestamp is
    /// `1970-01-01T00:00:00Z`, so the files depend on the library alone.
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// The output directory (created when missing).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    match &args.command {
        Command::Measures(a) => measures(a),
    }
}

/// Whether `dir` is folder `input` or lies below it, through links: `dir` need not exist
/// yet (its nearest existing ancestor decides).
fn inside(dir: &Path, input: &Path) -> bool {
    let Ok(input) = input.canonicalize() else {
        return false;
    };
    for a in dir.ancestors() {
        let a = if a.as_os_str().is_empty() {
            Path::new(".")
        } else {
            a
        };
        if let Ok(c) = a.canonicalize() {
            return c.starts_with(&input);
        }
    }
    false
}

fn measures(args: &MeasuresArgs) -> io::Result<ExitCode> {
    let date = match args.date.as_deref() {
        None => None,
        Some(d) => Some(Date::parse(d).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("--date `{d}`: expected a date `YYYY-MM-DD`"),
            )
        })?),
    };
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    if let Some(specs) = args.specs.as_deref()
        && inside(&args.output, specs)
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: refused: the output directory is (or is inside) the spec directory `{}`; the exported files would be read as specs or value sets",
                args.output.display(),
                specs.display()
            ),
        ));
    }
    let resources = definitions(
        &lib,
        Catalog::bundled().ok(),
        &ExportOptions::default().with_date(date),
    );
    let mut names: Vec<String> = resources.iter().map(|r| r.file_name()).collect();
    names.sort_unstable();
    if let Some(name) = names
        .windows(2)
        .find_map(|w| w.first().filter(|a| w.get(1) == Some(*a)))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "two resources would be written to `{name}`: rename a measure, module or value set"
            ),
        ));
    }
    std::fs::create_dir_all(&args.output).map_err(|e| super::with_path(e, &args.output))?;
    if !args.output.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a directory", args.output.display()),
        ));
    }
    let inputs: Vec<&Path> = args.specs.as_deref().into_iter().collect();
    let mut bytes: u64 = 0;
    let (mut measures, mut libraries, mut valuesets) = (0usize, 0usize, 0usize);
    for r in &resources {
        let json = r.to_json();
        super::write_file(&args.output.join(r.file_name()), &inputs, &json)?;
        bytes = bytes.saturating_add(u64::try_from(json.len()).unwrap_or(u64::MAX));
        let count = match r.resource_type() {
            "Measure" => &mut measures,
            "Library" => &mut libraries,
            _ => &mut valuesets,
        };
        *count = count.saturating_add(1);
    }
    writeln!(
        io::stderr(),
        "wrote {} files ({measures} Measure, {libraries} Library, {valuesets} ValueSet; {bytes} bytes) to {}",
        resources.len(),
        args.output.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
