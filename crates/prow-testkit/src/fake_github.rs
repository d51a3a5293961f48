//! fake_github
