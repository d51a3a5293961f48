//! Options of entrypoint (Prow's `pkg/entrypoint.Options`), read from `ENTRYPOINT_OPTIONS`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::EnvOptions;
use super::serde_go::{is_false, nanos};
use super::wrapper::WrapperOptions;
use crate::Error;

/// The environment variable holding [`EntrypointOptions`].
pub const ENV_VAR: &str = "ENTRYPOINT_OPTIONS";
/// Where `--copy-mode-only` copies the binary unless told otherwise.
pub const DEFAULT_COPY_DESTINATION: &str = "/tools/entrypoint";
/// Marker written when entrypoint itself fails or the process timed out (`InternalErrorCode`).
pub const INTERNAL_ERROR_CODE: i32 = 127;
/// Marker written when entrypoint was interrupted by a signal (`AbortedErrorCode`).
pub const ABORTED_ERROR_CODE: i32 = 130;
/// Marker written when a previous step failed and this one did not run (Prow's
/// `PreviousErrorCode`: its internal offset 1000 plus [`ABORTED_ERROR_CODE`]).
pub const PREVIOUS_ERROR_CODE: i32 = 1130;
/// Time before SIGINT when the options give none: 120 minutes (`DefaultTimeout`).
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120 * 60);
/// Time between SIGINT and SIGKILL when the options give none: 15 s (`DefaultGracePeriod`).
pub const DEFAULT_GRACE_PERIOD: std::time::Duration = std::time::Duration::from_secs(15);

/// How entrypoint runs and supervises the test process.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrypointOptions {
    /// Time before the process receives SIGINT (Go duration in nanoseconds).
    #[serde(default, with = "nanos")]
    pub timeout: Duration,
    /// Time after SIGINT before the process receives SIGKILL (Go duration in nanoseconds).
    #[serde(default, with = "nanos")]
    pub grace_period: Duration,
    /// Directory created for the process to put artifacts in (uploaded by sidecar).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub artifact_dir: String,
    /// Wait for this marker first; run only if it says 0, else write 1130 without running.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub previous_marker: String,
    /// Exit zero whatever the marker says.
    #[serde(default, skip_serializing_if = "is_false")]
    pub always_zero: bool,
    /// Exit with the process's own exit code.
    #[serde(default, skip_serializing_if = "is_false")]
    pub propagate_error_code: bool,
    /// Only copy this binary to [`Self::copy_dst`] and exit.
    #[serde(default, skip_serializing_if = "is_false")]
    pub copy_mode_only: bool,
    /// Destination of the copy in copy mode.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub copy_dst: String,
    /// The wrapped process (Go's embedded `*wrapper.Options`).
    #[serde(flatten)]
    pub wrapper: WrapperOptions,
}

impl EnvOptions for EntrypointOptions {
    const ENV_VAR: &'static str = ENV_VAR;

    fn validate(&self) -> Result<(), Error> {
        if self.copy_mode_only {
            return Ok(());
        }
        if self.wrapper.args.is_empty() {
            return Err(Error::InvalidOptions("no process to wrap specified".into()));
        }
        if self.propagate_error_code && self.always_zero {
            return Err(Error::InvalidOptions(
                "cannot propagate error code and always exit zero".into(),
            ));
        }
        self.wrapper.validate()
    }
}
