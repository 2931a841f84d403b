//! The `oncoqual` command line: a thin shell over the library (see `oncoqual --help`).

fn main() -> std::process::ExitCode {
    oncoqual::cli::main()
}
