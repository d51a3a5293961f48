//! The `cat` plugin.
