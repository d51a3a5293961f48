//! The `trigger` plugin.
