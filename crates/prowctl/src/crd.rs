//! `prowctl crd`: print the ProwJob CRD generated from the Rust types.

use std::process::ExitCode;

/// Prints the CRD YAML to stdout.
pub fn run() -> ExitCode {
    print!("{}", prow_api::crd_yaml());
    ExitCode::SUCCESS
}
