//! Tracing initialisation: a `RUST_LOG` filter (default `info`) and plain or JSON output.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::{Error, Result};

/// The filter used when `RUST_LOG` is unset or empty.
pub const DEFAULT_FILTER: &str = "info";

/// Log output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Plain,
    /// One JSON object per line (for log collectors).
    Json,
}

/// Logging flags; flatten into a component's clap parser with `#[command(flatten)]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LogArgs {
    /// Log output format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Plain)]
    pub log_format: LogFormat,

    /// Log filter in `RUST_LOG` syntax (e.g. `info,plank=debug`); default `info`.
    #[arg(long, env = "RUST_LOG", value_name = "FILTER")]
    pub log_filter: Option<String>,
}

/// Parses a filter, defaulting to [`DEFAULT_FILTER`] when none or an empty one is given.
pub fn parse_filter(filter: Option<&str>) -> Result<EnvFilter> {
    let text = filter
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .unwrap_or(DEFAULT_FILTER);
    EnvFilter::builder()
        .parse(text)
        .map_err(|source| Error::ParseLogFilter {
            filter: text.to_string(),
            source,
        })
}

/// Installs the global tracing subscriber. An invalid filter is an error; when a global
/// subscriber is already installed (a second call, e.g. from another test) the call does
/// nothing and returns `Ok(false)`; `Ok(true)` means this call installed it.
pub fn init_tracing(args: &LogArgs) -> Result<bool> {
    let filter = parse_filter(args.log_filter.as_deref())?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let installed = match args.log_format {
        LogFormat::Plain => builder.finish().try_init().is_ok(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .finish()
            .try_init()
            .is_ok(),
    };
    Ok(installed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        log: LogArgs,
    }

    #[test]
    fn filters_parse_or_fail_with_the_filter_text() {
        let cases: &[(Option<&str>, bool)] = &[
            (None, true),
            (Some(""), true),
            (Some("info,plank=debug"), true),
            (Some("kube=warn"), true),
            (Some("plank=loud"), false),
        ];
        for (filter, ok) in cases {
            match parse_filter(*filter) {
                Ok(_) => assert!(ok, "{filter:?} should be rejected"),
                Err(e) => {
                    assert!(!ok, "{filter:?}: {e}");
                    assert!(e.to_string().contains("plank=loud"), "{e}");
                }
            }
        }
    }

    #[test]
    fn log_format_flag_accepts_plain_and_json_only() {
        let parse =
            |v: &str| Cli::try_parse_from(["x", "--log-format", v]).map(|c| c.log.log_format);
        assert_eq!(parse("json").ok(), Some(LogFormat::Json));
        assert_eq!(parse("plain").ok(), Some(LogFormat::Plain));
        assert!(parse("xml").is_err());
    }

    #[test]
    fn init_twice_is_safe_and_only_the_first_installs() {
        let args = LogArgs {
            log_format: LogFormat::Json,
            log_filter: Some("warn".into()),
        };
        init_tracing(&args).expect("first init");
        let second = init_tracing(&args).expect("second init");
        assert!(
            !second,
            "a second init must not replace the global subscriber"
        );
        let bad = LogArgs {
            log_format: LogFormat::Plain,
            log_filter: Some("plank=loud".into()),
        };
        assert!(init_tracing(&bad).is_err());
    }
}
