//! The `prow-utils` binary: `prow-utils <clonerefs|initupload|entrypoint|sidecar>`, or a copy
//! named after the role.

fn main() {
    std::process::exit(prow_utils::cli::main());
}
