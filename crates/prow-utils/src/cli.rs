//! Choosing the role: the first argument (`prow-utils entrypoint`) or, for a copy of the binary
//! named after a role (`/tools/entrypoint`), the program name.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

/// The four pod utilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Clone the refs (init container).
    CloneRefs,
    /// Upload `started.json` and clone records (init container).
    InitUpload,
    /// Wrap the test process.
    Entrypoint,
    /// Wait for the test and upload its results.
    Sidecar,
}

impl Role {
    /// The role called `name` (`clonerefs`, `initupload`, `entrypoint`, `sidecar`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "clonerefs" => Some(Role::CloneRefs),
            "initupload" => Some(Role::InitUpload),
            "entrypoint" => Some(Role::Entrypoint),
            "sidecar" => Some(Role::Sidecar),
            _ => None,
        }
    }
}

/// The role to run and the remaining arguments: argv[0]'s file name if it names a role,
/// else the first argument.
pub fn select_role(args: &[OsString]) -> Option<(Role, Vec<OsString>)> {
    let program = args.first()?;
    let program_name = Path::new(program).file_name()?.to_str()?;
    if let Some(role) = Role::from_name(program_name) {
        return Some((role, args[1..].to_vec()));
    }
    let first = args.get(1)?.to_str()?;
    Role::from_name(first).map(|role| (role, args[2..].to_vec()))
}

const USAGE: &str = "usage: prow-utils <clonerefs|initupload|entrypoint|sidecar>\n\
each role reads its JSON options from CLONEREFS_OPTIONS, INITUPLOAD_OPTIONS, \
ENTRYPOINT_OPTIONS or SIDECAR_OPTIONS (and JOB_SPEC), as Prow's pod utilities do";

/// Runs the binary.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    match select_role(&args) {
        Some((role, _rest)) => {
            eprintln!("{role:?} is not implemented yet");
            ExitCode::from(2)
        }
        None => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn role_from_program_name_or_first_argument() {
        let cases: [(&[&str], Option<Role>); 5] = [
            (&["/tools/entrypoint"], Some(Role::Entrypoint)),
            (&["/ko-app/prow-utils", "sidecar"], Some(Role::Sidecar)),
            (&["prow-utils", "clonerefs", "x"], Some(Role::CloneRefs)),
            (&["prow-utils", "bogus"], None),
            (&["prow-utils"], None),
        ];
        for (argv, want) in cases {
            assert_eq!(select_role(&args(argv)).map(|(r, _)| r), want, "{argv:?}");
        }
    }
}
