//! Choosing the role: the first argument (`prow-utils entrypoint`) or, for a copy of the binary
//! named after a role (`/tools/entrypoint`), the program name.

use std::ffi::OsString;
use std::path::Path;

use crate::options::{
    CloneRefsOptions, EntrypointOptions, EnvOptions, InitUploadOptions, SidecarOptions,
};
use crate::{clonerefs, entrypoint, initupload, sidecar};

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
ENTRYPOINT_OPTIONS or SIDECAR_OPTIONS (and JOB_SPEC), as Prow's pod utilities do; \
`entrypoint --copy-mode-only [--copy-destination=PATH]` copies the binary (default /tools/entrypoint)";

/// The value of `--name=value` or `--name value` in `args`.
fn flag_value(args: &[OsString], name: &str) -> Option<String> {
    let long = format!("--{name}");
    let prefixed = format!("--{name}=");
    let mut iter = args.iter().filter_map(|arg| arg.to_str());
    while let Some(arg) = iter.next() {
        if let Some(value) = arg.strip_prefix(&prefixed) {
            return Some(value.to_owned());
        }
        if arg == long {
            return iter.next().map(str::to_owned);
        }
    }
    None
}

fn has_flag(args: &[OsString], name: &str) -> bool {
    let long = format!("--{name}");
    args.iter()
        .filter_map(|arg| arg.to_str())
        .any(|arg| arg == long || arg == format!("{long}=true"))
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Installs ring as the process-wide rustls provider (reqwest is built without one).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn fail(role: &str, error: impl std::fmt::Display) -> i32 {
    tracing::error!(role, error = %error, "failed");
    1
}

fn run_role(role: Role, args: &[OsString]) -> i32 {
    init_tracing();
    install_crypto_provider();
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail("runtime", e),
    };
    match role {
        Role::Entrypoint => {
            if has_flag(args, "copy-mode-only")
                && std::env::var_os(EntrypointOptions::ENV_VAR).is_none()
            {
                let destination = flag_value(args, "copy-destination").unwrap_or_default();
                return match entrypoint::copy_self(&destination) {
                    Ok(()) => 0,
                    Err(e) => fail("entrypoint", e),
                };
            }
            let options = match EntrypointOptions::from_env() {
                Ok(options) => options,
                Err(e) => return fail("entrypoint", e),
            };
            if options.copy_mode_only {
                return match entrypoint::copy_self(&options.copy_dst) {
                    Ok(()) => 0,
                    Err(e) => fail("entrypoint", e),
                };
            }
            runtime.block_on(entrypoint::run(&options))
        }
        Role::CloneRefs => {
            let options = match CloneRefsOptions::from_env() {
                Ok(options) => options,
                Err(e) => return fail("clonerefs", e),
            };
            let cookie_path = flag_value(args, "cookiefile");
            match clonerefs::run(&options, cookie_path.as_deref()) {
                Ok(()) => 0,
                Err(e) => fail("clonerefs", e),
            }
        }
        Role::InitUpload => {
            let options = match InitUploadOptions::from_env() {
                Ok(options) => options,
                Err(e) => return fail("initupload", e),
            };
            match runtime.block_on(initupload::run(&options)) {
                Ok(()) => 0,
                Err(e) => fail("initupload", e),
            }
        }
        Role::Sidecar => {
            let options = match SidecarOptions::from_env() {
                Ok(options) => options,
                Err(e) => return fail("sidecar", e),
            };
            match runtime.block_on(sidecar::run(&options)) {
                Ok(code) => code,
                Err(e) => fail("sidecar", e),
            }
        }
    }
}

/// Runs the binary; returns the process exit code.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    match select_role(&args) {
        Some((role, rest)) => run_role(role, &rest),
        None => {
            eprintln!("{USAGE}");
            2
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

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn flags_in_both_forms() {
        let argv: Vec<OsString> = [
            "--copy-mode-only",
            "--copy-destination",
            "/x/entrypoint",
            "--cookiefile=/c",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        assert!(has_flag(&argv, "copy-mode-only"));
        assert!(!has_flag(&argv, "fail"));
        assert_eq!(
            flag_value(&argv, "copy-destination").as_deref(),
            Some("/x/entrypoint")
        );
        assert_eq!(flag_value(&argv, "cookiefile").as_deref(), Some("/c"));
        assert_eq!(flag_value(&argv, "missing"), None);
    }
}
